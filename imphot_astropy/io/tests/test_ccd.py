"""read_muse_image and read_hst_image: CCDData with variance, DQ mask, unit and WCS."""

import os

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.nddata import VarianceUncertainty

from imphot_astropy.io import read_muse_image, read_hst_image, MUSE_FLUX_UNIT


def test_read_muse_image_round_trips_hdfs(hdfs):
    path = os.path.join(hdfs, "IMAGE-HDFS-1.34.fits")
    ccd = read_muse_image(path)
    with fits.open(path) as hdul:
        data = hdul["DATA"].data.astype(float)
        stat = hdul["STAT"].data.astype(float)
        dq = hdul["DQ"].data
        fscale = hdul["DATA"].header.get("FSCALE", hdul[0].header.get("FSCALE"))
    assert isinstance(ccd.uncertainty, VarianceUncertainty)
    # STAT is a variance and must come back as one, not squared or rooted.
    np.testing.assert_array_equal(ccd.uncertainty.array[np.isfinite(stat)],
                                  stat[np.isfinite(stat)])
    np.testing.assert_array_equal(ccd.data[np.isfinite(data)], data[np.isfinite(data)])
    expected_mask = (dq != 0) | ~np.isfinite(data) | ~np.isfinite(stat)
    np.testing.assert_array_equal(ccd.mask, expected_mask)
    assert ccd.mask.any() and not ccd.mask.all()
    assert ccd.unit == u.Unit(float(f"{fscale:.12g}") * MUSE_FLUX_UNIT)
    assert ccd.wcs.naxis == 2 and ccd.wcs.has_celestial
    assert ccd.meta["FILENAME"] == path


def test_read_hst_image_honours_dq(hdfs):
    """CCDData.read ignores DQ: 91% of the regridded HDFS image would be zeros."""
    path = os.path.join(hdfs, "HST-HDFS-on-MUSE-grid.fits")
    ccd = read_hst_image(path)
    with fits.open(path) as hdul:
        dq = hdul["DQ"].data
    np.testing.assert_array_equal(ccd.mask, (dq != 0) | ~np.isfinite(ccd.data))
    assert ccd.mask.mean() > 0.85
    assert ccd.uncertainty is None
