"""Public readers of MUSE and HST images as `~astropy.nddata.CCDData`.

``CCDData.read`` is not safe for these files:

- ``CCDData.read(path, hdu_uncertainty="STAT")`` wraps the MUSE STAT
  extension, which holds variances, in a `~astropy.nddata.StdDevUncertainty`
  (it assumes standard deviations), so every uncertainty is the square of
  what it should be;
- it ignores DQ extensions, so the pixels that MUSE or a regridding flagged
  as bad (for an HST image regridded onto the MUSE grid, the zeros outside
  the HST coverage: 91% of the HDFS image) are fitted as real data.

`read_muse_image` and `read_hst_image` read the same files through the
package's own reader, which the fitters use.
"""

from astropy.io import fits

from .images import read_image

__all__ = ["read_muse_image", "read_hst_image"]


def _as_ccddata(image):
    ccd = image.to_ccddata()
    meta = fits.Header(image.primary_header, copy=True)
    meta.extend(image.header, unique=True, update=True)
    if image.filename is not None:
        meta["FILENAME"] = image.filename
    ccd.meta = meta
    return ccd


def read_muse_image(image, argname="muse"):
    """Read a MUSE image into a `~astropy.nddata.CCDData`.

    Parameters
    ----------
    image : str, `os.PathLike`, HDUList, HDU or NDData
        A MUSE image file (DATA, STAT and DQ extensions) or any input the
        fitters accept.
    argname : str
        The name quoted in error messages.

    Returns
    -------
    image : `~astropy.nddata.CCDData`
        ``data`` from DATA (float64); ``uncertainty`` a
        `~astropy.nddata.VarianceUncertainty` holding STAT as it is (STAT
        is a variance); ``mask`` True where DQ is non-zero or DATA/STAT is
        NaN; ``unit`` from BUNIT, else FSCALE (1e-20 erg/s/cm2/Angstrom);
        the celestial ``wcs``; ``meta`` the primary header updated by the
        data header, with FILENAME.

    Raises
    ------
    UserError
        For a missing or unreadable file, or one with no 2D image and
        celestial WCS.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(30, 30), sources=[], seed=1)
    >>> ccd = read_muse_image(muse)
    >>> type(ccd.uncertainty).__name__, ccd.unit
    ('VarianceUncertainty', Unit("1e-20 erg / (Angstrom s cm2)"))
    """
    return _as_ccddata(read_image(image, argname))


def read_hst_image(image, argname="hst"):
    """Read an HST image, raw or regridded onto a MUSE grid, into `~astropy.nddata.CCDData`.

    Parameters
    ----------
    image : str, `os.PathLike`, HDUList, HDU or NDData
        An HST image file: SCI, DATA or the primary HDU; a DQ extension
        (as a regridded image has: non-zero outside the HST coverage) and
        an ERR (standard deviation) or STAT (variance) extension are used
        when present.
    argname : str
        The name quoted in error messages.

    Returns
    -------
    image : `~astropy.nddata.CCDData`
        ``mask`` True where DQ is non-zero or the data are NaN;
        ``uncertainty`` a `~astropy.nddata.VarianceUncertainty` if the file
        has one (ERR squared), else None; ``unit`` from BUNIT (``ELECTRONS/S``
        and ``COUNTS/S`` are understood), dimensionless without it.

    Raises
    ------
    UserError
        As for `read_muse_image`.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(30, 30), sources=[], seed=1)
    >>> read_hst_image(hst).shape
    (30, 30)
    """
    return _as_ccddata(read_image(image, argname))
