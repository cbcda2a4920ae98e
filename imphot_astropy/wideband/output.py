"""Writing bandpass images as MUSE-style FITS files, and naming them."""

import os
import re

import numpy as np
import astropy.units as u
from astropy.io import fits

from ..exceptions import UserError
from ..io import write_fits_atomically

__all__ = ["write_muse_image", "wideband_image_name"]

# Keywords that describe an HDU's structure or its WCS; they are written from
# the image itself, never copied from the metadata.
_STRUCTURAL = re.compile(r"^(SIMPLE|BITPIX|NAXIS\d*|EXTEND|XTENSION|PCOUNT|GCOUNT|"
                         r"BSCALE|BZERO|BUNIT|EXTNAME|CHECKSUM|DATASUM|WCSAXES|"
                         r"C(TYPE|UNIT|RVAL|RPIX|DELT|ROTA|RDER|SYER)\d+|"
                         r"(PC|CD|PV|PS)\d+_\d+|LONPOLE|LATPOLE|RADESYS|EQUINOX)$")


def _unit_string(unit):
    if unit is None:
        return None
    try:
        return u.Unit(unit).to_string("fits")
    except (ValueError, u.UnitsError):
        return u.Unit(unit).to_string()


def _extension(name, values, header_wcs, bunit):
    hdu = fits.ImageHDU(values, name=name)
    hdu.header.update(header_wcs)
    if bunit:
        hdu.header["BUNIT"] = bunit
    return hdu


def _copy_metadata(meta, header):
    """Copy descriptive keywords (not structure or WCS) from meta to header."""
    if isinstance(meta, fits.Header):
        for card in meta.cards:
            key = card.keyword
            if key == "COMMENT":
                header.add_comment(card.value)
            elif key == "HISTORY":
                header.add_history(card.value)
            elif key and not _STRUCTURAL.match(key.upper()):
                header[key] = (card.value, card.comment)
    elif meta:
        for key, value in meta.items():
            if (isinstance(key, str) and 0 < len(key) <= 8 and np.isscalar(value)
                    and not _STRUCTURAL.match(key.upper())):
                header[key] = value


def write_muse_image(image, path, inputs=(), argname="output"):
    """Write a 2D image as a MUSE-style FITS file (DATA, STAT, DQ extensions).

    The file is written to a temporary name and renamed when complete, and
    never replaces one of ``inputs``.

    Parameters
    ----------
    image : `~astropy.nddata.CCDData` or `~astropy.nddata.NDData`
        The image: data, optional variance (any uncertainty that converts to
        a variance), mask (True = bad), unit and celestial WCS. Its ``meta``,
        when a FITS header or a dict of keywords, goes to the primary header.
    path : str or `os.PathLike`
        The output file name.
    inputs : iterable of str
        Files that must not be overwritten (e.g. the cube).
    argname : str
        The argument name to quote in error messages.

    Notes
    -----
    DATA and STAT are float32 as in MUSE products, with NaN at masked
    pixels; DQ is 1 at masked pixels and 0 elsewhere.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from astropy.nddata import CCDData, VarianceUncertainty
    >>> ccd = CCDData(np.ones((2, 3)), unit="adu", mask=np.zeros((2, 3), bool),
    ...               uncertainty=VarianceUncertainty(np.ones((2, 3))))
    >>> path = os.path.join(tempfile.mkdtemp(), "image.fits")
    >>> write_muse_image(ccd, path)
    >>> with fits.open(path) as hdus:
    ...     print([hdu.name for hdu in hdus])
    ['PRIMARY', 'DATA', 'STAT', 'DQ']
    """
    from astropy.nddata import VarianceUncertainty

    data = np.asarray(image.data, dtype=float)
    if data.ndim != 2:
        raise UserError(f"{argname}: expected a 2D image, not {data.ndim}D")
    mask = ~np.isfinite(data)
    if image.mask is not None:
        mask |= np.asarray(image.mask, dtype=bool)
    variance = None
    if image.uncertainty is not None:
        variance = np.asarray(image.uncertainty.represent_as(VarianceUncertainty).array,
                              dtype=float)
    primary = fits.PrimaryHDU()
    _copy_metadata(image.meta, primary.header)
    wcs_header = image.wcs.to_header() if image.wcs is not None else fits.Header()
    unit = image.unit
    hdus = [primary,
            _extension("DATA", np.where(mask, np.nan, data).astype(np.float32),
                       wcs_header, _unit_string(unit))]
    if variance is not None:
        hdus.append(_extension("STAT", np.where(mask, np.nan, variance).astype(np.float32),
                               wcs_header, _unit_string(unit**2) if unit else None))
    hdus.append(_extension("DQ", mask.astype(np.uint8), wcs_header, None))
    write_fits_atomically(fits.HDUList(hdus), path, inputs=inputs, argname=argname)


def wideband_image_name(filter_name, cube_path, prefix=None):
    """Return the default file name of a bandpass image, as imphot named it.

    The name is ``<prefix>_<cube>``, where ``<prefix>`` defaults to the base
    name of the filter file up to its first dot (or the HST filter name as
    given), and ``<cube>`` is the base name of the cube file with its first
    "datacube" or "cube" (any case) replaced by "IMAGE" when it began with a
    capital, else "image".

    Parameters
    ----------
    filter_name : str
        The filter file or HST filter name given by the user.
    cube_path : str
        The cube's file name.
    prefix : str, optional
        The prefix (the ``--prefix`` option of ``make_wideband_image``); it
        may hold a directory. None or "" for the default.

    Returns
    -------
    name : str
        A file name, without directory unless ``prefix`` has one.

    Examples
    --------
    >>> wideband_image_name("curves/wfc_F606W.dat",
    ...                     "/data/DATACUBE-MUSE.2014-09-21T07:12:55.019.fits")
    'wfc_F606W_IMAGE-MUSE.2014-09-21T07:12:55.019.fits'
    >>> wideband_image_name("F775W", "udf_cube.fits")
    'F775W_udf_image.fits'
    >>> wideband_image_name("F775W", "udf_cube.fits", prefix="out/hst")
    'out/hst_udf_image.fits'
    """
    if not prefix:
        prefix = os.path.basename(str(filter_name)).split(".")[0] or "filter"
    name = os.path.basename(str(cube_path))
    match = re.search(r"(data)?cube", name, re.IGNORECASE)
    if match:
        replacement = "IMAGE" if match.group(0)[0].isupper() else "image"
        name = name[:match.start()] + replacement + name[match.end():]
    return f"{prefix}_{name}"
