"""Synthetic input files for the batch tests and benchmark."""

import os

import numpy as np
from astropy.io import fits

from imphot_astropy.datasets import make_synthetic_pair

__all__ = ["write_muse_fits", "write_hst_fits", "write_synthetic_field"]


def write_muse_fits(ccd, path):
    """Write a synthetic MUSE CCDData as MUSE does: DATA and STAT extensions."""
    header = ccd.wcs.to_header()
    header["BUNIT"] = ccd.unit.to_string("fits")
    hdus = [fits.PrimaryHDU(),
            fits.ImageHDU(np.asarray(ccd.data, dtype=np.float32), header, name="DATA")]
    if ccd.uncertainty is not None:
        hdus.append(fits.ImageHDU(np.asarray(ccd.uncertainty.array, dtype=np.float32),
                                  header, name="STAT"))
    fits.HDUList(hdus).writeto(path, overwrite=True)
    return str(path)


def write_hst_fits(ccd, path):
    """Write a synthetic regridded HST CCDData: DATA extension, filter keywords."""
    header = ccd.wcs.to_header()
    header["BUNIT"] = ccd.unit.to_string("fits")
    for key, value in ccd.meta.items():
        header[key] = value
    fits.HDUList([fits.PrimaryHDU(),
                  fits.ImageHDU(np.asarray(ccd.data, dtype=np.float32), header,
                                name="DATA")]).writeto(path, overwrite=True)
    return str(path)


def write_synthetic_field(directory, nfiles, shape=(60, 60), seed=10, oversample=3):
    """One HST file and ``nfiles`` MUSE exposures of one synthetic field.

    The exposures differ in seeing, flux scale, pointing offset and noise,
    as exposures of one field do. Returns (hst_path, muse_paths, truths).
    """
    hst_path = None
    muse_paths, truths = [], []
    for i in range(nfiles):
        hst, muse, truth = make_synthetic_pair(
            shape=shape, seed=seed, oversample=oversample,
            fwhm=0.55 + 0.02 * i, scale=1.1 + 0.01 * i,
            dx=0.05 * ((i % 5) - 2), dy=0.04 * ((i % 3) - 1), bg=0.01 * i)
        if hst_path is None:
            hst_path = write_hst_fits(hst, os.path.join(directory, "hst.fits"))
        muse_paths.append(write_muse_fits(muse, os.path.join(directory,
                                                             f"muse{i:02d}.fits")))
        truths.append(truth)
    return hst_path, muse_paths, truths
