"""Read 2D images from FITS files, HDUs and NDData into one internal form."""

import os
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.nddata import NDData, CCDData, VarianceUncertainty, StdDevUncertainty
from astropy.wcs import WCS, FITSFixedWarning
from astropy.wcs.utils import proj_plane_pixel_scales

from ..exceptions import UserError
from .units import flux_unit_from_header
from .hdus import select_data_hdu, header_from_meta, check_not_truncated, header_shape
from .mpdaf_objects import is_mpdaf_object, mpdaf_hdulist

__all__ = ["ImageData", "read_image", "celestial_wcs", "file_base_name", "open_fits",
           "fits_open"]


@dataclass
class ImageData:
    """A 2D image in the form the array-level layers use.

    Attributes
    ----------
    data : `numpy.ndarray`
        The pixel values, float64, a private copy.
    mask : `numpy.ndarray`
        Boolean, True where a pixel is bad (NaN, flagged in DQ, or masked in
        the NDData object).
    variance : `numpy.ndarray` or None
        The variance of each pixel, if known.
    unit : `~astropy.units.UnitBase`
        The flux unit of ``data``.
    wcs : `~astropy.wcs.WCS`
        The celestial WCS of the pixel grid.
    header : `~astropy.io.fits.Header`
        The header of the HDU that held the data (empty for NDData input).
    primary_header : `~astropy.io.fits.Header`
        The primary header of the file, if read from a file.
    filename : str or None
        The file the image came from.
    name : str
        A short name: the file's base name without ``.fits``, or the
        argument name when the image came from no file.
    notes : list of str
        What was assumed while reading (for example about units).

    Examples
    --------
    >>> from astropy.wcs import WCS
    >>> im = ImageData(np.zeros((2, 3)), np.zeros((2, 3), bool), None, None, WCS(naxis=2))
    >>> im.shape, im.name
    ((2, 3), 'image')
    """

    data: np.ndarray
    mask: np.ndarray
    variance: object
    unit: object
    wcs: WCS
    header: fits.Header = field(default_factory=fits.Header)
    primary_header: fits.Header = field(default_factory=fits.Header)
    filename: object = None
    name: str = "image"
    notes: list = field(default_factory=list)

    @property
    def shape(self):
        """The (ny, nx) shape of the image."""
        return self.data.shape

    @property
    def pixel_scales(self):
        """The (x, y) pixel sizes in arcsec along the array axes."""
        return proj_plane_pixel_scales(self.wcs) * 3600.0

    def keywords(self, *keys):
        """The values of some header keywords, data header first, then primary.

        Only the keywords asked for are looked up: merging whole headers
        (thousands of cards in HST products) would cost about a second.

        Examples
        --------
        >>> from astropy.wcs import WCS
        >>> im = ImageData(np.zeros((1, 1)), np.zeros((1, 1), bool), None, None,
        ...                WCS(naxis=2), header=fits.Header({"A": 1}),
        ...                primary_header=fits.Header({"A": 2, "B": 3}))
        >>> im.keywords("A", "B", "C")
        {'A': 1, 'B': 3}
        """
        found = {}
        for key in keys:
            for header in (self.header, self.primary_header):
                if key in header:
                    found[key] = header[key]
                    break
        return found

    def to_ccddata(self):
        """Return a new `~astropy.nddata.CCDData` holding this image."""
        uncertainty = (None if self.variance is None
                       else VarianceUncertainty(self.variance.copy()))
        meta = fits.Header(self.header, copy=True)
        return CCDData(self.data.copy(), unit=self.unit, wcs=self.wcs.deepcopy(),
                       mask=self.mask.copy(), uncertainty=uncertainty, meta=meta)

    def copy(self):
        """Return a deep copy."""
        return ImageData(
            data=self.data.copy(), mask=self.mask.copy(),
            variance=None if self.variance is None else self.variance.copy(),
            unit=self.unit, wcs=self.wcs.deepcopy(),
            header=fits.Header(self.header, copy=True),
            primary_header=fits.Header(self.primary_header, copy=True),
            filename=self.filename, name=self.name, notes=list(self.notes))


# Keywords of the FITS WCS papers (with alternate-WCS letters), SIP, and the
# dates and frames that astropy.wcs reads. HST headers hold thousands of other
# cards, and building a WCS serialises every card of the header it is given.
_WCS_CARD = re.compile(r"^(NAXIS|WCSAXES|CTYPE|CUNIT|CRVAL|CDELT|CRPIX|CROTA|PC\d|CD\d|"
                       r"PV\d|PS\d|CNAME|CRDER|CSYER|LONPOLE|LATPOLE|RADESYS|RADECSYS|"
                       r"EQUINOX|EPOCH|MJD|DATE|A_|B_|AP_|BP_|WCSNAME|SPECSYS|SSYS|"
                       r"RESTFRQ|RESTFREQ|RESTWAV|VELREF|VELOSYS|ZSOURCE|OBSGEO|TIMESYS)")
# A header without any of these has no WCS at all (astropy would make a
# pixel-coordinate one).
_WCS_KEY_PREFIXES = ("CTYPE", "CRVAL", "CRPIX", "CDELT", "CD1_", "CD2_", "PC1_", "PC2_")


def _wcs_cards(header):
    """A header holding only the cards that can affect its WCS."""
    return fits.Header([card for card in header.cards if _WCS_CARD.match(card.keyword)])


def celestial_wcs(header_or_wcs, argname="image", what="image"):
    """Return the 2D celestial part of a 2D or 3D WCS, or raise `UserError`.

    The celestial axes must be the first two WCS axes (the last two array
    axes), as in MUSE images and cubes and HST images.

    Parameters
    ----------
    header_or_wcs : `~astropy.io.fits.Header` or `~astropy.wcs.WCS` or None
        Where the WCS comes from.
    argname : str
        The argument or file name to quote in error messages.
    what : str
        ``"image"`` or ``"cube"``, for error messages.

    Returns
    -------
    wcs : `~astropy.wcs.WCS`

    Examples
    --------
    >>> from astropy.io import fits
    >>> h = fits.Header({"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN",
    ...                  "CDELT1": -5.5e-5, "CDELT2": 5.5e-5})
    >>> celestial_wcs(h).naxis
    2
    >>> w = WCS(naxis=3); w.wcs.ctype = ["RA---TAN", "DEC--TAN", "AWAV"]
    >>> celestial_wcs(w, "muse", "cube").naxis
    2
    """
    if header_or_wcs is None:
        raise UserError(f"{argname}: the {what} has no WCS")
    if isinstance(header_or_wcs, fits.Header):
        if not any(key.startswith(_WCS_KEY_PREFIXES) for key in header_or_wcs.keys()):
            raise UserError(f"{argname}: the {what} has no WCS (no CTYPE, CRVAL, CRPIX, "
                            "CD or CDELT keywords)")
        _check_cd_matrix(header_or_wcs, argname, what)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            try:
                wcs = WCS(_wcs_cards(header_or_wcs))
            except Exception as exc:  # astropy raises many kinds here
                raise UserError(f"{argname}: the WCS in the header cannot be "
                                f"read ({exc})") from None
    elif isinstance(header_or_wcs, WCS):
        wcs = header_or_wcs
    else:
        raise UserError(f"{argname}: the WCS must be an astropy WCS, not a "
                        f"{type(header_or_wcs).__module__}.{type(header_or_wcs).__name__}")
    if not wcs.has_celestial:
        raise UserError(f"{argname}: the {what} has no celestial WCS (no RA/Dec "
                        f"axes; CTYPE = {list(wcs.wcs.ctype)})")
    if sorted((wcs.wcs.lng, wcs.wcs.lat)) != [0, 1]:
        raise UserError(f"{argname}: the celestial axes of the {what} must be its "
                        "first two WCS axes (its last two array axes)")
    celestial = wcs.celestial
    _check_not_singular(celestial, argname, what)
    return celestial


def _check_cd_matrix(header, argname, what):
    """Refuse a header whose celestial CD matrix is singular.

    astropy (wcslib's ``cdfix``) silently replaces an all-zero CD matrix by
    the identity, 1 degree per pixel, so this must be checked on the header.
    """
    keys = [f"CD{i}_{j}" for i in (1, 2) for j in (1, 2)]
    if not any(key in header for key in keys):
        return
    try:
        matrix = np.array([[float(header.get(f"CD{i}_{j}", 0.0)) for j in (1, 2)]
                           for i in (1, 2)])
    except (TypeError, ValueError):
        return  # left to astropy, which reports unreadable values
    if not np.all(np.isfinite(matrix)) or np.linalg.det(matrix) == 0:
        raise UserError(f"{argname}: the WCS of the {what} is singular: its CD matrix "
                        f"{matrix.tolist()} has no inverse, so its pixels have no "
                        "position on the sky")


def _check_not_singular(wcs, argname, what):
    """Refuse a WCS whose pixel-to-sky matrix cannot be inverted (say CD = 0)."""
    try:
        matrix = wcs.pixel_scale_matrix
    except Exception:  # astropy raises many kinds for broken WCS
        matrix = np.zeros((2, 2))
    determinant = float(np.linalg.det(matrix)) if np.all(np.isfinite(matrix)) else np.nan
    if not np.isfinite(determinant) or determinant == 0:
        raise UserError(f"{argname}: the WCS of the {what} is singular (its CD or "
                        f"PC x CDELT matrix {matrix.tolist()} has no inverse), so its "
                        "pixels have no position on the sky")


def _mask_from_dq(hdulist, shape, filename):
    """Return the bad-pixel mask held in a DQ extension, if any."""
    if "DQ" not in [hdu.name.upper() for hdu in hdulist]:
        return None
    check_not_truncated(hdulist, hdulist.index_of("DQ"), filename)
    dq = hdulist["DQ"].data
    if dq is None:
        return None
    if dq.shape != shape:
        raise UserError(f"{filename}: the DQ extension has shape {dq.shape}, "
                        f"but the data have shape {shape}")
    return np.asarray(dq) != 0


def _variance_from_hdus(hdulist, shape, filename):
    """Return the variance from a STAT (variance) or ERR (sigma) extension."""
    names = [hdu.name.upper() for hdu in hdulist]
    for extname, power in (("STAT", 1), ("ERR", 2)):
        if extname in names and header_shape(hdulist[extname].header):
            check_not_truncated(hdulist, hdulist.index_of(extname), filename)
            values = np.array(hdulist[extname].data, dtype=np.float64)
            if values.shape != shape:
                raise UserError(f"{filename}: the {extname} extension has shape "
                                f"{values.shape}, but the data have shape {shape}")
            return values**power
    return None


def file_base_name(filename):
    """A file's name without directory and FITS suffix.

    Examples
    --------
    >>> file_base_name("/data/IMAGE-HDFS-1.34.fits")
    'IMAGE-HDFS-1.34'
    """
    name = os.path.basename(str(filename))
    for suffix in (".fits.gz", ".fits", ".fit", ".fts"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _from_hdulist(hdulist, filename, argname, own=False):
    label = filename if filename is not None else argname
    hdu = hdulist[select_data_hdu(hdulist, label)]
    data = np.array(hdu.data, dtype=np.float64)
    if data.ndim != 2:
        raise UserError(f"{label}: expected a 2D image, but the data have "
                        f"{data.ndim} dimensions")
    primary = hdulist[0].header
    header = hdu.header
    wcs = celestial_wcs(header, label)
    unit, note = flux_unit_from_header(header, label)
    if note is not None and unit == u.dimensionless_unscaled and hdu is not hdulist[0]:
        # MPDAF and some HST products keep BUNIT/FSCALE in the primary header.
        unit2, note2 = flux_unit_from_header(primary, label)
        if unit2 != u.dimensionless_unscaled:
            unit, note = unit2, note2
    mask = ~np.isfinite(data)
    dq = _mask_from_dq(hdulist, data.shape, label)
    if dq is not None:
        mask |= dq
    variance = _variance_from_hdus(hdulist, data.shape, label)
    if variance is not None:
        mask |= ~np.isfinite(variance)
    # Headers of a file opened here belong to nobody else; copying the
    # thousands of cards of an HST header would cost a quarter of a second.
    keep = (lambda h: h) if own else (lambda h: fits.Header(h, copy=True))
    return ImageData(data=data, mask=mask, variance=variance, unit=unit, wcs=wcs,
                     header=keep(header), primary_header=keep(primary),
                     filename=None if filename is None else str(filename),
                     name=file_base_name(filename) if filename is not None else argname,
                     notes=[] if note is None else [note])


def fits_open(path, **kwargs):
    """`astropy.io.fits.open` on a file name, leaving no file open if it fails.

    astropy leaves the file it opened open when a corrupted header (one
    without BITPIX, say) stops ``fits.open``; here the file is opened first
    and closed on any error (astropy closes it with the HDUList otherwise).

    Parameters
    ----------
    path : str
        The file name.
    **kwargs
        Passed to `astropy.io.fits.open`.

    Returns
    -------
    hdulist : `~astropy.io.fits.HDUList`

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     name = os.path.join(tmp, "x.fits")
    ...     fits.PrimaryHDU(np.zeros(3)).writeto(name)
    ...     with fits_open(name) as hdulist:
    ...         print(hdulist[0].data.shape)
    (3,)
    """
    handle = open(path, "rb")
    try:
        return fits.open(handle, **kwargs)
    except BaseException:
        handle.close()
        raise


def open_fits(path, argname, what="file"):
    """Open a FITS file with a memory map, or raise a `UserError` that says why not.

    Parameters
    ----------
    path : str or `os.PathLike`
        The file name.
    argname : str
        The argument name to quote in error messages.
    what : str
        What the file should be ("file", "image", "cube"), for the message.

    Returns
    -------
    hdulist : `~astropy.io.fits.HDUList`
        To be used as a context manager (it closes the file).

    Examples
    --------
    >>> try:
    ...     open_fits("no-such-file.fits", "muse")
    ... except UserError as err:
    ...     print(err)
    muse: the file no-such-file.fits does not exist
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise UserError(f"{argname}: the file {path} does not exist")
    if os.path.isdir(path):
        raise UserError(f"{argname}: {path} is a directory, not a FITS file")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hdulist = fits_open(path, memmap=True)
            try:
                len(hdulist)  # read every header now, to hear of truncation here
            except BaseException:
                hdulist.close()
                raise
    except KeyError as exc:  # astropy, on a header without BITPIX or NAXIS
        raise UserError(f"{argname}: {path} is not a readable FITS {what}: a header is "
                        f"corrupted ({exc})") from None
    except (OSError, ValueError) as exc:
        raise UserError(f"{argname}: {path} is not a readable FITS {what} ({exc})"
                        f"{_truncation_hint(path)}") from None
    for warning in caught:
        text = str(warning.message)
        # astropy's words for a file cut in a data unit, or in a header.
        if "truncated" in text or "the file is corrupted" in text:
            _refuse_truncated(hdulist, path, argname)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    return hdulist


def _refuse_truncated(hdulist, path, argname):
    """Close a file that astropy found cut short, and say where it ends."""
    try:
        for index in range(len(hdulist)):
            check_not_truncated(hdulist, index, f"{argname}: {path}")
        last = hdulist.fileinfo(len(hdulist) - 1)
        end = int(last["datLoc"]) + int(last["datSpan"])
    finally:
        hdulist.close()
    size = os.path.getsize(path)
    raise UserError(f"{argname}: {path}: the file is truncated: it has {size} bytes, "
                    f"but after its last complete HDU (which ends at byte {end}) come "
                    f"{size - end} bytes that are not a whole FITS header, where at "
                    f"least {end + 2880} bytes were expected")


def _truncation_hint(path):
    """Say so when a file's size shows it was cut short (not whole FITS blocks)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            magic = handle.read(2)
    except OSError:
        return ""
    if size % 2880 == 0 or magic == b"\x1f\x8b":  # whole blocks, or gzipped
        return ""
    return (f"; the file is truncated: a FITS file is a whole number of 2880-byte "
            f"blocks (at least {-(-size // 2880) * 2880} bytes here) but it has {size}")


def _from_file(path, argname):
    try:
        with open_fits(path, argname, "image") as hdulist:
            return _from_hdulist(hdulist, path, argname, own=True)
    except UserError:
        raise
    except (OSError, ValueError, TypeError, IndexError, KeyError) as exc:
        raise UserError(f"{argname}: {path} is not a readable FITS image "
                        f"({exc})") from None


def _from_nddata(nd, argname):
    data = np.array(nd.data, dtype=np.float64)
    if data.ndim != 2:
        raise UserError(f"{argname}: expected a 2D image, but the data have "
                        f"{data.ndim} dimensions")
    mask = ~np.isfinite(data)
    if nd.mask is not None:
        given = np.asarray(nd.mask)
        if given.shape != data.shape:
            raise UserError(f"{argname}: the mask has shape {given.shape}, but "
                            f"the data have shape {data.shape}")
        mask |= given.astype(bool)
    variance = None
    if nd.uncertainty is not None:
        try:
            variance = np.array(nd.uncertainty.represent_as(VarianceUncertainty).array,
                                dtype=np.float64)
        except Exception:
            if isinstance(nd.uncertainty, StdDevUncertainty):
                variance = np.asarray(nd.uncertainty.array, dtype=np.float64)**2
            else:
                raise UserError(f"{argname}: the uncertainty of type "
                                f"{type(nd.uncertainty).__name__} cannot be "
                                "converted to a variance") from None
        mask |= ~np.isfinite(variance)
    header = header_from_meta(nd.meta)
    wcs = celestial_wcs(nd.wcs, argname)
    notes = []
    if nd.unit is None:
        unit, note = flux_unit_from_header(header, argname)
        if note is not None:
            notes.append(note)
    else:
        unit = nd.unit
    filename = None
    if isinstance(nd.meta, dict) or isinstance(nd.meta, fits.Header):
        filename = nd.meta.get("FILENAME") or nd.meta.get("filename")
    return ImageData(data=data, mask=mask, variance=variance, unit=unit,
                     wcs=wcs.deepcopy(), header=fits.Header(header, copy=True),
                     filename=filename,
                     name=file_base_name(filename) if filename else argname,
                     notes=notes)


def read_image(image, argname="image"):
    """Read a 2D image into an `ImageData`, never modifying the input.

    Parameters
    ----------
    image : str, `os.PathLike`, `~astropy.io.fits.HDUList`, HDU, `~astropy.nddata.NDData`, MPDAF ``Image`` or `ImageData`
        A FITS file name (MUSE images: DATA, STAT, DQ extensions; HST images:
        SCI, DATA or the primary HDU), an open HDUList or image HDU, an
        NDData/CCDData with a WCS, or an MPDAF ``Image`` (read as the file
        it stands for, see `~imphot_astropy.io.mpdaf_hdulist`). Masks from
        DQ extensions and NDData masks are honoured and NaN pixels are
        masked.
    argname : str
        The name of the argument, quoted in error messages and used as the
        image's name when it came from no file.

    Returns
    -------
    image : `ImageData`

    Raises
    ------
    UserError
        If the file is missing or unreadable, the data are not 2D, or there
        is no celestial WCS.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.nddata import CCDData
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> w.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    >>> im = read_image(CCDData(np.ones((4, 5)), unit="adu", wcs=w), "muse")
    >>> im.shape, im.name
    ((4, 5), 'muse')
    """
    if isinstance(image, ImageData):
        return image.copy()
    if isinstance(image, (str, os.PathLike)):
        return _from_file(os.fspath(image), argname)
    if isinstance(image, fits.HDUList):
        return _from_hdulist(image, image.filename(), argname)
    if isinstance(image, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
        return _from_hdulist(fits.HDUList([fits.PrimaryHDU(image.data, image.header)]),
                             None, argname)
    if isinstance(image, NDData):
        return _from_nddata(image, argname)
    if is_mpdaf_object(image):
        hdulist, filename = mpdaf_hdulist(image, argname)
        return _from_hdulist(hdulist, filename, argname, own=True)
    raise UserError(f"{argname}: expected a FITS file name, an HDU, an NDData/CCDData "
                    f"or an MPDAF Image, not {type(image).__name__}")
