"""No information, no result: inputs that cannot give a meaningful fit.

Each case of issue 13 that used to return numbers, or a raw traceback, must
now give a precise UserError (or, for a fit ending at a bound, a warning
and a record in the result and the table).
"""


import numpy as np
import pytest
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning

from imphot_astropy import UserError
from imphot_astropy.datasets import make_synthetic_pair
from imphot_astropy.photometry import (fit_image_photometry, fit_star_photometry,
                                       fit_image_and_star_photometry)
from imphot_astropy.fitting import photometry_table
from imphot_astropy.scripts import fit_photometry

KW = {"fix_beta": 2.5}


@pytest.fixture(scope="module")
def pair():
    return make_synthetic_pair(shape=(48, 48), seed=7)


def _star(truth, radius=1.5):
    ra, dec = truth["star_radec"][0]
    return (ra, dec, radius)


def test_all_zero_muse_image(pair):
    hst, muse, truth = pair
    zero = muse.copy()
    zero.data[:] = 0.0
    with pytest.raises(UserError, match="muse: .* has no usable variation: every usable "
                                        "pixel is 0"):
        fit_image_photometry(hst, zero, **KW)
    with pytest.raises(UserError, match="no usable variation"):
        fit_star_photometry(hst, zero, _star(truth))


def test_negative_variance(pair, tmp_path):
    hst, muse, truth = pair
    path = tmp_path / "muse.fits"
    header = muse.wcs.to_header()
    header["BUNIT"] = muse.unit.to_string("fits")
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(muse.data, header, name="DATA"),
                  fits.ImageHDU(np.full(muse.shape, -1.0), name="STAT")]).writeto(path)
    with pytest.raises(UserError, match="variance .STAT. of muse is not positive at 2304 "
                                        "of 2304 usable pixels .minimum -1"):
        fit_image_photometry(hst, str(path), **KW)


def test_regions_star_without_a_star(pair):
    hst, muse, _ = pair
    for regions in ("star", "notstar"):
        with pytest.raises(UserError, match=f"regions: '{regions}' needs the star argument"):
            fit_image_photometry(hst, muse, regions=regions, **KW)


def test_star_as_a_string(pair):
    hst, muse, _ = pair
    with pytest.raises(UserError, match="star: expected .* not the string '123'"):
        fit_image_photometry(hst, muse, star="123", **KW)
    with pytest.raises(UserError, match="not the string"):
        fit_star_photometry(hst, muse, "123")


def test_huge_star_radius(pair):
    hst, muse, truth = pair
    star = _star(truth, radius=1e6)
    for fit in (fit_image_photometry, fit_star_photometry, fit_image_and_star_photometry):
        with pytest.raises(UserError, match="star: the radius 1e\\+06\" is larger than the "
                                            "whole MUSE image"):
            fit(hst, muse, star=star)


def test_nan_in_a_region_line(pair):
    hst, muse, truth = pair
    ra, dec = truth["star_radec"][0]
    for line in (f'fk5; circle(nan, {dec}, 3")', f'fk5; circle({ra}, {dec}, inf")',
                 "image; box(10, nan, 5, 5, 0)"):
        with pytest.raises(UserError, match="not a finite number|cannot read region"):
            fit_image_photometry(hst, muse, regions=[line], **KW)


def test_huge_region_masks_without_allocating_its_bounding_box(pair):
    hst, muse, truth = pair
    ra, dec = truth["star_radec"][0]
    fit = fit_image_photometry(hst, muse, regions=[f'fk5; circle({ra}, {dec}, 100000")'],
                               **KW)
    reference = fit_image_photometry(hst, muse, **KW)
    assert fit.fwhm.value == pytest.approx(reference.fwhm.value, abs=0.02)


def test_muse_image_as_the_hst_reference(pair):
    hst, muse, truth = pair
    other = make_synthetic_pair(shape=(48, 48), seed=8)[1]
    with pytest.raises(UserError, match="hst: .* looks like a MUSE image .*variance"):
        fit_image_photometry(other, muse, **KW)


def test_swapped_images(pair):
    hst, muse, truth = pair
    with pytest.raises(UserError, match="muse: .* is an HST image .*IMPFILT.*wrong way"):
        fit_image_photometry(muse, hst, **KW)
    with pytest.raises(UserError, match="wrong way round"):
        fit_star_photometry(muse, hst, _star(truth))


def test_swapped_hdfs_files_on_the_command_line(hdfs, capsys):
    status = fit_photometry.main([str(hdfs / "IMAGE-HDFS-1.34.fits"),
                                  str(hdfs / "HST-HDFS-on-MUSE-grid.fits")])
    assert status == 1
    assert "is an HST image (its header names the HST camera WFPC2)" in \
        capsys.readouterr().err
    # The MUSE image as its own HST reference: refused, not FWHM 0.01".
    status = fit_photometry.main([str(hdfs / "IMAGE-HDFS-1.34.fits"),
                                  str(hdfs / "IMAGE-HDFS-1.34.fits")])
    assert status == 1
    assert "looks like a MUSE image" in capsys.readouterr().err


def test_a_fit_at_a_bound_warns_and_is_recorded(pair):
    hst, muse, _ = pair
    with pytest.warns(AstropyUserWarning, match="ended with scale at a bound"):
        fit = fit_image_photometry(hst, muse, min_scale=5.0, **KW)
    assert fit.at_bound == ("scale",)
    table = photometry_table([fit, fit_image_photometry(hst, muse, **KW)])
    assert list(table["at_bound"]) == ["scale", ""]
