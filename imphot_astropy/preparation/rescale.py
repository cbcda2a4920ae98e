"""Convert HST count rates to the flux unit of a MUSE image or cube."""

import logging
import os
import warnings
from dataclasses import dataclass, field

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.nddata import (NDData, CCDData, VarianceUncertainty, StdDevUncertainty,
                            InverseVariance)
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import WCS

from ..exceptions import UserError
from ..io import (ImageData, read_image, flux_unit_from_header, MUSE_FLUX_UNIT,
                  celestial_wcs, file_base_name, open_fits, data_headers,
                  header_from_meta, merged_header, unparseable_bunit)
from .filters import HstFilterInfo

__all__ = ["rescale_hst_like_muse", "hst_to_muse_flux_factor", "MuseReference",
           "read_muse_reference", "CALIBRATION_KEYWORD", "CURVE_KEYWORD",
           "STAND_IN_KEYWORD"]

#: Header keyword of a rescaled image: where its calibration came from
#: ('header': the image's own PHOTFLAM..., 'built-in': the published table).
CALIBRATION_KEYWORD = "IMPCALIB"
#: Header keyword of a rescaled image: the filter curve for its MUSE image.
CURVE_KEYWORD = "IMPCURVE"
#: Header keyword of a rescaled image: the filter the curve stands in for
#: (present only when another camera's curve stands in, e.g. 'WFPC2 F814W').
STAND_IN_KEYWORD = "IMPCSTND"

log = logging.getLogger(__name__)

#: The unit MUSE pipeline products are calibrated in, assumed when a MUSE
#: header gives neither BUNIT nor FSCALE.
DEFAULT_MUSE_UNIT = u.Unit(1e-20 * MUSE_FLUX_UNIT)

@dataclass
class MuseReference:
    """What the preparation steps need from a MUSE image or cube.

    Attributes
    ----------
    wcs : `~astropy.wcs.WCS`
        The 2D celestial WCS of the spatial pixel grid.
    shape : tuple of int
        The (ny, nx) spatial shape.
    unit : `~astropy.units.UnitBase`
        The flux unit of the pixels.
    notes : list of str
        What was assumed while reading.
    name : str
        The file's base name without ``.fits``, or the argument name.
    filename : str or None
        The file the MUSE data came from.

    Examples
    --------
    >>> from imphot_astropy.preparation import read_muse_reference
    >>> from imphot_astropy.datasets import hdfs_path
    >>> path = hdfs_path("muse_image", required=False)
    >>> reference = read_muse_reference(str(path)) if path else None
    >>> reference is None or reference.shape == (331, 326)
    True
    """

    wcs: WCS
    shape: tuple
    unit: object
    notes: list = field(default_factory=list)
    name: str = "muse"
    filename: object = None
    #: The BUNIT text when it is there but is not a unit, else None.
    bad_bunit: object = None

    @property
    def pixel_scales(self):
        """The (x, y) pixel sizes in arcsec."""
        from astropy.wcs.utils import proj_plane_pixel_scales

        return proj_plane_pixel_scales(self.wcs) * 3600.0


def _reference_from_header(header, primary, label, filename):
    naxis = header.get("NAXIS", 0)
    if naxis not in (2, 3):
        raise UserError(f"{label}: expected a MUSE image or cube, but the data "
                        f"have {naxis} dimensions")
    what = "cube" if naxis == 3 else "image"
    wcs = celestial_wcs(header, label, what)
    shape = (int(header["NAXIS2"]), int(header["NAXIS1"]))
    unit, note = flux_unit_from_header(header, label)
    if unit == u.dimensionless_unscaled and primary is not None and primary is not header:
        unit2, note2 = flux_unit_from_header(primary, label)
        if unit2 != u.dimensionless_unscaled:
            unit, note = unit2, note2
    notes = [] if note is None else [note]
    bad_bunit = unparseable_bunit(header)
    if bad_bunit is None and primary is not None:
        bad_bunit = unparseable_bunit(primary)
    return MuseReference(wcs=wcs, shape=shape, unit=unit, notes=notes,
                         name=file_base_name(filename) if filename else "muse",
                         filename=filename, bad_bunit=bad_bunit)


def read_muse_reference(muse, argname="muse"):
    """Read the spatial grid and flux unit of a MUSE image or cube.

    Only headers are read from files, so a large cube costs nothing.

    Parameters
    ----------
    muse : str, `os.PathLike`, HDUList, HDU, NDData/CCDData, ImageData, or cube
        The MUSE image (2D) or cube (3D, wavelength first in array order):
        any object with ``wcs``, ``shape`` and ``unit`` (a SpectralCube, for
        example) will do.
    argname : str
        The argument name to quote in errors.

    Returns
    -------
    reference : `MuseReference`

    Raises
    ------
    UserError
        If the file is missing or unreadable, or there is no celestial WCS.

    Examples
    --------
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> w.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    >>> ref = read_muse_reference(CCDData(np.zeros((3, 4)), unit="adu", wcs=w))
    >>> ref.shape, ref.pixel_scales.round(3).tolist()
    ((3, 4), [0.2, 0.2])
    """
    if isinstance(muse, MuseReference):
        return muse
    if isinstance(muse, ImageData):
        return MuseReference(wcs=muse.wcs, shape=muse.shape, unit=muse.unit,
                             notes=list(muse.notes), name=muse.name,
                             filename=muse.filename)
    if isinstance(muse, (str, os.PathLike)):
        path = os.fspath(muse)
        try:
            with open_fits(path, argname) as hdulist:
                _, header, primary = data_headers(hdulist, path, ndims=(2, 3))
                return _reference_from_header(header, primary, path, path)
        except UserError:
            raise
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise UserError(f"{argname}: {path} is not a readable FITS file "
                            f"({exc})") from None
    if isinstance(muse, fits.HDUList):
        label = muse.filename() or argname
        _, header, primary = data_headers(muse, label, ndims=(2, 3))
        return _reference_from_header(header, primary, label, muse.filename())
    if isinstance(muse, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
        return _reference_from_header(muse.header, None, argname, None)
    if hasattr(muse, "wcs") and hasattr(muse, "shape"):
        return _reference_from_object(muse, argname)
    raise UserError(f"{argname}: expected a MUSE image or cube (FITS file name, "
                    f"HDU, NDData/CCDData), not {type(muse).__name__}")


def _reference_from_object(muse, argname):
    shape = tuple(muse.shape)
    if len(shape) not in (2, 3):
        raise UserError(f"{argname}: expected a MUSE image or cube, but the data "
                        f"have {len(shape)} dimensions")
    what = "cube" if len(shape) == 3 else "image"
    wcs = celestial_wcs(getattr(muse, "wcs", None), argname, what)
    notes = []
    unit = getattr(muse, "unit", None)
    if unit is None:
        header = header_from_meta(getattr(muse, "meta", None))
        unit, note = flux_unit_from_header(header, argname)
        if note is not None:
            notes.append(note)
    meta = getattr(muse, "meta", None) or {}
    filename = meta.get("FILENAME") if hasattr(meta, "get") else None
    return MuseReference(wcs=wcs, shape=shape[-2:], unit=u.Unit(unit), notes=notes,
                         name=file_base_name(filename) if filename else argname,
                         filename=filename)


def _target_unit(reference):
    """The MUSE flux unit, assuming the MUSE standard when the header is silent."""
    for note in reference.notes:
        log.info(note)
    if reference.unit == u.dimensionless_unscaled:
        why = ("no BUNIT or FSCALE" if reference.bad_bunit is None else
               f"its BUNIT = '{reference.bad_bunit}' cannot be parsed as a unit")
        warnings.warn(f"muse: {reference.name} has no flux unit ({why}); assuming {DEFAULT_MUSE_UNIT.to_string()}, the unit "
                      "of MUSE pipeline products", AstropyUserWarning)
        return DEFAULT_MUSE_UNIT
    return reference.unit


def hst_to_muse_flux_factor(hst_unit, muse_unit, info):
    """The factor that converts HST (or JWST) pixel values to MUSE flux units.

    Parameters
    ----------
    hst_unit : `~astropy.units.UnitBase`
        The unit of the HST pixels: a count rate (electron/s; DN/s or
        count/s for WFPC2), a surface brightness (MJy/sr, over the pixel
        area ``info.pixel_area``), or already a flux density.
    muse_unit : `~astropy.units.UnitBase`
        The flux unit of the MUSE pixels (flux density per wavelength or per
        frequency, any scale).
    info : `~imphot_astropy.preparation.HstFilterInfo`
        The image's calibration, whose PHOTFLAM (or pixel area) and pivot
        wavelength make the conversion.

    Returns
    -------
    factor : float

    Raises
    ------
    UserError
        If the units cannot be converted; the message says what was found
        and what to pass.

    Examples
    --------
    >>> import astropy.units as u
    >>> f = hst_to_muse_flux_factor(u.electron / u.s,
    ...                             u.Unit("1e-20 erg / (s cm2 Angstrom)"),
    ...                             HstFilterInfo("F606W"))
    >>> round(f, 6)
    7.73
    """
    # astropy applies one equivalency per conversion: count rate -> F_lambda
    # with the filter's PHOTFLAM, then F_lambda -> the MUSE unit (which may be
    # per frequency) at the pivot wavelength.
    spectral = u.spectral_density(info.photplam * u.AA)
    hst_unit = u.Unit(hst_unit)
    _check_hst_unit(hst_unit, info, spectral)
    quantity = 1.0 * hst_unit
    if _is_surface_brightness(hst_unit, spectral) and not hst_unit.is_equivalent(
            info.rate_unit):
        quantity = quantity * info.pixel_area
    try:
        if not quantity.unit.is_equivalent(muse_unit, equivalencies=spectral):
            quantity = quantity.to(info.flam_unit, equivalencies=info.equivalencies())
        return float(quantity.to_value(muse_unit, equivalencies=spectral))
    except u.UnitConversionError:
        raise UserError(f"hst: cannot convert the HST unit '{hst_unit}' to the MUSE "
                        f"unit '{muse_unit}' with the {info.instrument} "
                        f"{info.filter_name} calibration (which is per "
                        f"{info.rate_unit}); {_UNITS_UNDERSTOOD}") from None


_UNITS_UNDERSTOOD = ("the units understood are electrons/s (ACS, WFC3), counts/s or "
                     "DN/s (WFPC2), MJy/sr with PIXAR_SR (JWST) and flux densities; "
                     "pass the image as a CCDData with one of these as its unit")


def _is_surface_brightness(unit, spectral):
    return (unit * u.sr).is_equivalent(u.Jy, equivalencies=spectral)


def _check_hst_unit(unit, info, spectral):
    """Refuse, with what to pass, the units that PHOTFLAM does not calibrate."""
    totals = {u.electron: "electrons", u.count: "counts", u.DN: "DN"}
    for total, name in totals.items():
        if unit == total:
            raise UserError(f"hst: the image is in {name} (BUNIT = '{unit}'), a total, "
                            f"not a rate; PHOTFLAM calibrates {name} per second: divide "
                            f"the data by the exposure time (EXPTIME) and pass the image "
                            f"as a CCDData with unit '{unit} / s'")
    if unit == u.count / u.s and info.rate_unit == u.electron / u.s:
        raise UserError(f"hst: the image is in counts/s, but the {info.instrument} "
                        "calibration (PHOTFLAM) is per electron/s, and counts may be "
                        "electrons or DN (a factor of the gain, CCDGAIN): pass the image "
                        "as a CCDData with unit 'electron / s' (after multiplying DN by "
                        "the gain if they are DN)")
    if _is_surface_brightness(unit, spectral) and info.pixel_area is None:
        raise UserError(f"hst: the image is a surface brightness ('{unit}') but its "
                        "header gives no pixel area (PIXAR_SR or PIXAR_A2) to turn it "
                        "into a flux per pixel: add PIXAR_SR (steradians) to the header")


def _assumed_hst_unit(unit, info, name, header=None):
    if unit != u.dimensionless_unscaled:
        return unit
    if info.rate_unit == u.electron / u.s:
        why = f"the unit of {info.instrument} drizzled products"
    elif info.pixel_area is not None:
        why = f"the unit of {info.instrument} i2d images"
    else:
        why = (f"DN per second, the unit of {info.instrument} products, "
               f"calibrated at gain {info.gain:g} electrons/DN")
    bad_bunit = unparseable_bunit(header)
    problem = ("has no BUNIT" if bad_bunit is None else
               f"has a BUNIT that cannot be parsed as a unit (BUNIT = '{bad_bunit}')")
    warnings.warn(f"hst: {name} {problem}; assuming {info.rate_unit.to_string()} "
                  f"({why})", AstropyUserWarning)
    return info.rate_unit


def _scale_variance_uncertainty(uncertainty, factor):
    """A VarianceUncertainty scaled by factor**2, from an NDData uncertainty."""
    array = np.asarray(uncertainty.array, dtype=float)
    if isinstance(uncertainty, VarianceUncertainty):
        variance = array
    elif isinstance(uncertainty, StdDevUncertainty):
        variance = array**2
    elif isinstance(uncertainty, InverseVariance):
        with np.errstate(divide="ignore"):
            variance = 1.0 / array
    else:
        raise UserError(f"hst: an uncertainty of type {type(uncertainty).__name__} "
                        "cannot be converted to a variance")
    return VarianceUncertainty(variance * factor**2)


def _header_for_filter(image):
    if isinstance(image, ImageData):
        return merged_header(image.primary_header, image.header)
    return header_from_meta(image.meta)


def _record(header, info, factor, hst_unit, muse_unit):
    header["FILTER"] = (info.filter_name, "HST filter")
    header["PHOTFLAM"] = (info.photflam, f"erg/cm2/s/Angstrom per {info.rate_unit}")
    header["PHOTPLAM"] = (info.photplam, "pivot wavelength (Angstrom)")
    header["PHOTBW"] = (info.photbw, "RMS bandwidth (Angstrom)")
    header[CALIBRATION_KEYWORD] = (info.source, "calibration: image header or built-in")
    header["HISTORY"] = (f"imphot_astropy: rescaled from {hst_unit} to {muse_unit} "
                         f"(x {factor:.6g}, {info.instrument} {info.filter_name}, "
                         f"calibration from the {info.source} "
                         f"{', '.join(info.keywords) or 'table'})")
    _record_curve(header, info)


def _record_curve(header, info):
    """Name the filter curve for the MUSE image of this band, and any stand-in.

    The rescaling itself needs no curve for HST (PHOTFLAM and PHOTPLAM
    calibrate it); a camera whose curve is not installed (WFPC2) gets
    another camera's (with a `FilterStandInWarning`), which the header
    records so that the band image made for this image says so too.
    """
    try:
        bandpass = info.bandpass()
    except UserError as exc:
        log.info("no filter curve recorded for %s %s: %s", info.instrument,
                 info.filter_name, exc)
        return
    header[CURVE_KEYWORD] = (str(bandpass.meta.get("name", "filter"))[:68],
                             "filter curve for the MUSE image of this band")
    stand_in = bandpass.meta.get("stand_in_for")
    if stand_in:
        header[STAND_IN_KEYWORD] = (stand_in, "the curve stands in for this filter")


def rescale_hst_like_muse(hst, muse, inplace=True, filter_name=None, filter_curve=None):
    """Rescale an HST (or JWST) image to the flux unit of a MUSE image or cube.

    The calibration is the image's own, from its header
    (`~imphot_astropy.preparation.HstFilterInfo`): pixel values in
    electrons/s (ACS, WFC3), counts/s or DN/s (WFPC2) are multiplied by its
    PHOTFLAM; JWST values in MJy/sr by its pixel area PIXAR_SR (DN/s first
    by PHOTMJSR); then converted with `astropy.units` to the MUSE unit
    (usually 1e-20 erg/s/cm2/Angstrom) at the pivot wavelength; the
    variance, if any, by the square of the factor. An image already in
    flux-density units is only converted. A header with no calibration
    falls back on the built-in published values, with a warning.

    A missing HST BUNIT is taken to mean the calibration's unit
    (electrons/s for ACS and WFC3, DN/s for WFPC2, MJy/sr for JWST), with a
    warning saying so; a MUSE header without BUNIT or FSCALE is taken to be
    in 1e-20 erg/s/cm2/Angstrom, also with a warning.

    Parameters
    ----------
    hst : str, HDU, HDUList, `~astropy.nddata.CCDData`, NDData, or `~imphot_astropy.io.ImageData`
        The HST image, usually after `regrid_hst_like_muse` (rescaling a
        whole mosaic reads it all into memory).
    muse : str, HDU, HDUList, NDData/CCDData, ImageData, or a cube
        A MUSE image or cube with the target flux unit (only its header is
        read from files).
    inplace : bool
        If True (the default) and ``hst`` is a `~astropy.nddata.CCDData` or
        an `~imphot_astropy.io.ImageData`, that object is rescaled and
        returned. File names, HDUs and plain NDData are never modified: a
        new CCDData is returned for them whatever ``inplace`` says.
    filter_name : str, optional
        The HST filter, when the header does not name it (see
        `~imphot_astropy.preparation.HstFilterInfo`).
    filter_curve : `synphot.SpectralElement`, `~astropy.table.Table` or str, optional
        The filter's throughput curve when the installed curves lack it
        (needed for a JWST image's pivot wavelength).

    Returns
    -------
    out : `~astropy.nddata.CCDData` or `~imphot_astropy.io.ImageData`
        The rescaled image, with FILTER, PHOTFLAM, PHOTPLAM, PHOTBW,
        IMPCALIB (``'header'`` or ``'built-in'``: where the calibration came
        from), IMPCURVE (the filter curve for the MUSE image of this band),
        IMPCSTND (only when another camera's curve stands in: the filter it
        stands in for, e.g. ``'WFPC2 F814W'``) and a HISTORY line in its
        header.

    Raises
    ------
    UserError
        If the filter is unknown or unnamed, or the units are not
        understood (the message says what was found and what to pass).

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.nddata import CCDData
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> w.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    >>> hst = CCDData(np.ones((2, 2)), unit="electron/s", wcs=w,
    ...               meta={"INSTRUME": "ACS", "DETECTOR": "WFC", "FILTER1": "F775W",
    ...                     "FILTER2": "CLEAR2L", "PHOTFLAM": 1.0037e-19,
    ...                     "PHOTPLAM": 7693.5})
    >>> muse = CCDData(np.ones((2, 2)), unit="1e-20 erg/(s cm2 Angstrom)", wcs=w)
    >>> out = rescale_hst_like_muse(hst, muse)
    >>> out is hst, out.unit, round(float(out.data[0, 0]), 6), out.meta["IMPCALIB"]
    (True, Unit("1e-20 erg / (Angstrom s cm2)"), 10.037, 'header')
    """
    reference = read_muse_reference(muse)
    muse_unit = _target_unit(reference)
    how = dict(filter_name=filter_name, filter_curve=filter_curve)
    if isinstance(hst, ImageData):
        return _rescale_imagedata(hst if inplace else hst.copy(), muse_unit, how)
    if isinstance(hst, CCDData) and inplace:
        return _rescale_ccddata(hst, muse_unit, how)
    if isinstance(hst, NDData):
        ccd = CCDData(np.array(hst.data, dtype=float),
                      unit=hst.unit if hst.unit is not None else u.dimensionless_unscaled,
                      wcs=hst.wcs, mask=None if hst.mask is None else np.array(hst.mask),
                      uncertainty=None if hst.uncertainty is None else hst.uncertainty,
                      meta=fits.Header(_header_for_filter(hst), copy=True))
        return _rescale_ccddata(ccd, muse_unit, how)
    image = read_image(hst, "hst")
    for note in image.notes:
        log.info(note)
    _rescale_imagedata(image, muse_unit, how)
    return image.to_ccddata()


def _rescale_imagedata(image, muse_unit, how):
    header = _header_for_filter(image)
    info = HstFilterInfo(header, **how)
    hst_unit = _assumed_hst_unit(image.unit, info, image.name, header)
    factor = hst_to_muse_flux_factor(hst_unit, muse_unit, info)
    image.data *= factor
    if image.variance is not None:
        image.variance *= factor**2
    image.unit = muse_unit
    _record(image.header, info, factor, hst_unit, muse_unit)
    return image


def _rescale_ccddata(ccd, muse_unit, how):
    header = header_from_meta(ccd.meta)
    name = str(header.get("FILENAME", "the HST image"))
    info = HstFilterInfo(header, **how)
    hst_unit = _assumed_hst_unit(ccd.unit, info, name, header)
    factor = hst_to_muse_flux_factor(hst_unit, muse_unit, info)
    uncertainty = ccd.uncertainty
    ccd.uncertainty = None
    if np.issubdtype(ccd.data.dtype, np.floating) and ccd.data.flags.writeable:
        ccd.data *= factor
    else:
        ccd.data = np.asarray(ccd.data, dtype=float) * factor
    ccd.unit = muse_unit
    if uncertainty is not None:
        ccd.uncertainty = _scale_variance_uncertainty(uncertainty, factor)
    if not isinstance(ccd.meta, fits.Header):
        ccd.meta = header
    _record(header, info, factor, hst_unit, muse_unit)
    return ccd
