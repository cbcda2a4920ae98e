"""Writing a 2D image as a MUSE-style FITS file (DATA, STAT, DQ).

The package writes images in three places (bandpass images from cubes,
regridded HST images, corrected MUSE images); all use `muse_image_hdulist`,
so every image it writes has the same layout, types and unit spelling (see
its Notes).
"""

import re

import numpy as np
from astropy.io import fits
from astropy.nddata import VarianceUncertainty

from ..exceptions import UserError
from .atomic import write_fits_atomically
from .hdus import header_from_meta
from .units import format_bunit

__all__ = ["muse_image_hdulist", "write_muse_image", "MUSE_DQ_DTYPE"]

#: The type of the DQ extension, as in MUSE pipeline products (see
#: `muse_image_hdulist`).
MUSE_DQ_DTYPE = np.dtype(np.int32)

# Keywords copied headers must not bring along: the structure of an HDU and
# its WCS are written from the image itself, and the unit from image.unit
# (a stale FSCALE beside a new BUNIT would be read as a second unit). The
# WCS part includes alternate descriptions (suffix A-Z), SIP and IRAF
# keywords, which would disagree with the new WCS.
_NOT_COPIED = re.compile(
    r"^(SIMPLE|BITPIX|NAXIS\d*|EXTEND|XTENSION|PCOUNT|GCOUNT|BSCALE|BZERO|BLANK|"
    r"BUNIT|FSCALE|EXTNAME|EXTVER|INHERIT|CHECKSUM|DATASUM|"
    r"WCSAXES[A-Z]?|WCSNAME[A-Z]?|WCSDIM|"
    r"C(TYPE|UNIT|RVAL|RPIX|DELT|ROTA|RDER|SYER|NAME)\d+[A-Z]?|"
    r"(PC|CD|PV|PS)\d+_\d+[A-Z]?|LONPOLE[A-Z]?|LATPOLE[A-Z]?|RADESYS[A-Z]?|"
    r"EQUINOX[A-Z]?|EPOCH|"
    r"(A|B|AP|BP)_(ORDER|\d+_\d+)|LTV\d|LTM\d_\d|WAT\d_\d+)$")


def muse_image_hdulist(image, primary_header=None, data_header=None):
    """A MUSE-style HDUList (PRIMARY, DATA, STAT, DQ) holding a 2D image.

    Parameters
    ----------
    image : `~astropy.nddata.NDData` or `~astropy.nddata.CCDData`
        The image: 2D data, optional uncertainty (any that converts to a
        variance), mask (True = bad), unit and celestial WCS.
    primary_header : `~astropy.io.fits.Header` or mapping, optional
        Keywords for the primary header; by default the image's ``meta``.
    data_header : `~astropy.io.fits.Header` or mapping, optional
        Keywords for the DATA header, besides its WCS and BUNIT.

    Returns
    -------
    hdulist : `~astropy.io.fits.HDUList`
        Readable by `~imphot_astropy.io.read_image` and by MPDAF.

    Raises
    ------
    UserError
        If the data are not 2D.

    Notes
    -----
    The layout:

    - an empty primary HDU that carries the descriptive keywords;
    - ``DATA``: the image as float32 (as the MUSE pipeline writes it), NaN
      at masked pixels, with the celestial WCS and ``BUNIT``
      (`format_bunit`);
    - ``STAT``: the variance, if the image has one, float32, NaN at masked
      pixels, with the WCS and the square of the data unit as ``BUNIT``;
    - ``DQ``: if the image has a mask (or NaN values), int32
      (`MUSE_DQ_DTYPE`), 1 at masked pixels and 0 elsewhere, with the WCS
      and no ``BUNIT``.

    Why int32 for DQ: it is what MUSE pipeline products use (``BITPIX =
    32`` for the DQ extension of its images and the ``dq`` column of its
    pixel tables), because its Euro3D quality flags use bits up to 2**31,
    which only a 32-bit integer holds; a DQ extension of that type can carry
    the pipeline's flags and is what tools written for pipeline products
    expect. The pipeline, MPDAF and `read_image` all take any non-zero value
    for a bad pixel, so the 1 written here means "masked". The 3 more bytes
    per pixel than uint8 (0.3 MB for a 320 x 320 MUSE image) do not matter.

    Structural, unit (``BUNIT``, ``FSCALE``) and WCS keywords of the given
    headers are not copied: they are written from the image itself.

    Examples
    --------
    >>> from astropy.nddata import CCDData, VarianceUncertainty
    >>> ccd = CCDData(np.ones((2, 3)), unit="adu", mask=np.zeros((2, 3), bool),
    ...               uncertainty=VarianceUncertainty(np.ones((2, 3))))
    >>> [(hdu.name, hdu.data.dtype.name, hdu.header.get("BUNIT"))
    ...  for hdu in muse_image_hdulist(ccd)[1:]]
    [('DATA', 'float32', 'adu'), ('STAT', 'float32', 'adu2'), ('DQ', 'int32', None)]
    """
    return _hdulist(image, primary_header, data_header, "image")


def _hdulist(image, primary_header, data_header, argname):
    data = np.asarray(image.data, dtype=float)
    if data.ndim != 2:
        raise UserError(f"{argname}: expected a 2D image, not {data.ndim}D")
    mask = ~np.isfinite(data)
    if image.mask is not None:
        mask |= np.asarray(image.mask, dtype=bool)
    wcs_header = image.wcs.to_header() if image.wcs is not None else fits.Header()
    unit = image.unit
    primary = fits.PrimaryHDU(header=_descriptive(
        image.meta if primary_header is None else primary_header))
    hdus = [primary, _extension("DATA", np.where(mask, np.nan, data).astype(np.float32),
                                wcs_header, format_bunit(unit), _descriptive(data_header))]
    if image.uncertainty is not None:
        variance = image.uncertainty.represent_as(VarianceUncertainty).array
        hdus.append(_extension("STAT", np.where(mask, np.nan, variance).astype(np.float32),
                               wcs_header, format_bunit(None if unit is None else unit**2)))
    if image.mask is not None or mask.any():
        hdus.append(_extension("DQ", mask.astype(MUSE_DQ_DTYPE), wcs_header, None))
    return fits.HDUList(hdus)


def _descriptive(meta):
    """The keywords of ``meta`` (a Header, a mapping or None) that are copied."""
    header = header_from_meta(meta, copy=True)
    for keyword in {key.upper() for key in header.keys()}:
        if _NOT_COPIED.match(keyword):
            header.remove(keyword, remove_all=True)
    return header


def _extension(name, values, wcs_header, bunit, extra=None):
    hdu = fits.ImageHDU(values, header=extra, name=name)
    hdu.header.update(wcs_header)
    if bunit:
        hdu.header["BUNIT"] = bunit
    return hdu


def write_muse_image(image, path, inputs=(), argname="output", primary_header=None,
                     data_header=None):
    """Write a 2D image as a MUSE-style FITS file (DATA, STAT, DQ extensions).

    The file, laid out by `muse_image_hdulist`, is written through
    `atomic_output`: under a temporary name, renamed when complete, never
    over one of ``inputs``.

    Parameters
    ----------
    image : `~astropy.nddata.CCDData` or `~astropy.nddata.NDData`
        The image (see `muse_image_hdulist`).
    path : str or `os.PathLike`
        The output file name.
    inputs : iterable of str
        Files that must not be overwritten (e.g. the cube).
    argname : str
        The argument name to quote in error messages.
    primary_header, data_header : `~astropy.io.fits.Header` or mapping, optional
        See `muse_image_hdulist`.

    Examples
    --------
    >>> import os, tempfile
    >>> from astropy.nddata import CCDData
    >>> ccd = CCDData(np.ones((2, 3)), unit="adu", mask=np.zeros((2, 3), bool))
    >>> path = os.path.join(tempfile.mkdtemp(), "image.fits")
    >>> write_muse_image(ccd, path)
    >>> with fits.open(path) as hdus:
    ...     print([hdu.name for hdu in hdus])
    ['PRIMARY', 'DATA', 'DQ']
    """
    hdulist = _hdulist(image, primary_header, data_header, argname)
    write_fits_atomically(hdulist, path, inputs=inputs, argname=argname)
