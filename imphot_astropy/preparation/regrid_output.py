"""Writing regridded HST images as MUSE-style FITS files."""

import os

from astropy.io import fits

from ..core.transfer import REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD
from ..io import write_fits_atomically, header_from_meta, muse_image_hdulist

__all__ = ["regridded_hdulist", "write_regridded_hst"]


def regridded_hdulist(image):
    """A MUSE-style HDUList (DATA, STAT, DQ) holding a regridded image.

    Parameters
    ----------
    image : `~astropy.nddata.CCDData`
        As returned by `regrid_hst_like_muse` (and `rescale_hst_like_muse`).

    Returns
    -------
    hdulist : `~astropy.io.fits.HDUList`
        A primary HDU with the header keywords, DATA (float32, NaN where
        masked), STAT (variance, if any) and DQ (int32, 1 where masked), each
        with the MUSE WCS, laid out by `~imphot_astropy.io.muse_image_hdulist`
        and readable by `~imphot_astropy.io.read_image`.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.nddata import CCDData
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> ccd = CCDData(np.ones((2, 3)), unit="electron/s", wcs=w,
    ...               mask=np.zeros((2, 3), bool))
    >>> [hdu.name for hdu in regridded_hdulist(ccd)]
    ['PRIMARY', 'DATA', 'DQ']
    """
    meta = header_from_meta(image.meta)
    # The regridding's filter and the HST filter are also written with the
    # data, so that a reader of the DATA HDU alone finds them.
    data_header = fits.Header([meta.cards[key] for key in
                               (REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD, "FILTER",
                                "INSTRUME") if key in meta])
    return muse_image_hdulist(image, primary_header=meta, data_header=data_header)


def write_regridded_hst(image, path, inputs=()):
    """Write a regridded HST image atomically, as `regridded_hdulist` lays it out.

    Parameters
    ----------
    image : `~astropy.nddata.CCDData`
        The regridded (and usually rescaled) image.
    path : str or `os.PathLike`
        The output file; written to a temporary name, then renamed.
    inputs : iterable of str
        Input file names, which are never overwritten; nor is the HST file
        that ``image`` was regridded from.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from astropy.nddata import CCDData
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> path = os.path.join(tempfile.mkdtemp(), "hst_F606W_for_X.fits")
    >>> write_regridded_hst(CCDData(np.ones((2, 3)), unit="adu", wcs=w), path)
    >>> os.path.exists(path)
    True
    """
    write_fits_atomically(regridded_hdulist(image), path,
                          inputs=list(inputs) + _source_at(image, path))


def _source_at(image, path):
    """[path] if ``path`` is the HST file that ``image`` was regridded from.

    The image keeps only its source's base name (FILENAME); a file of that
    name at ``path`` that is not itself a regridded image is taken to be the
    source, which must never be replaced (issue 13).
    """
    meta = getattr(image, "meta", None) or {}
    source = meta.get("FILENAME")
    if not source or os.path.basename(os.fspath(path)) != source \
            or not os.path.isfile(path):
        return []
    try:
        with fits.open(path) as hdulist:
            if any(REGRID_FILTER_KEYWORD in hdu.header for hdu in hdulist):
                return []  # an earlier output: may be replaced
    except (OSError, ValueError):
        pass
    return [os.fspath(path)]
