"""Bad input to the star and combined fits: each a clear UserError."""

import os

import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData

from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.exceptions import UserError
from imphot_astropy.photometry import fit_star_photometry, fit_image_and_star_photometry

FITTERS = [fit_star_photometry, fit_image_and_star_photometry]


@pytest.fixture(scope="module")
def pair():
    hst, muse, truth = make_synthetic_pair(
        shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
    return hst, muse, truth["star_radec"][0]


def _with_mask(image, mask):
    return CCDData(image.data, unit=image.unit, wcs=image.wcs, mask=mask,
                   uncertainty=image.uncertainty, meta=image.meta)


def _write(image, path):
    hdu = fits.PrimaryHDU(image.data, header=image.wcs.to_header())
    hdu.header["BUNIT"] = image.unit.to_string("fits")
    for key, value in image.meta.items():
        hdu.header[key] = value
    hdu.writeto(path)
    return str(path)


def _content(path):
    with open(path, "rb") as stream:
        return stream.read()


@pytest.mark.parametrize("fitter", FITTERS)
def test_star_off_the_image(pair, fitter):
    hst, muse, (ra, dec) = pair
    with pytest.raises(UserError, match="star: .* lies outside the MUSE image"):
        fitter(hst, muse, (ra + 10 / 3600 / np.cos(np.deg2rad(dec)), dec, 2.0))


@pytest.mark.parametrize("fitter", FITTERS)
def test_star_in_a_fully_masked_muse_area(pair, fitter):
    hst, muse, (ra, dec) = pair
    mask = np.zeros(muse.shape, dtype=bool)
    mask[5:35, 5:35] = True
    with pytest.raises(UserError, match="star: every MUSE pixel within 2.0\" .* is masked"):
        fitter(hst, _with_mask(muse, mask), (ra, dec, 2.0))


@pytest.mark.parametrize("fitter", FITTERS)
def test_star_where_the_hst_image_has_no_data(pair, fitter):
    hst, muse, (ra, dec) = pair
    data = hst.data.copy()
    data[:, 10:] = np.nan  # the HST image covers only the left edge
    blank = CCDData(data, unit=hst.unit, wcs=hst.wcs, meta=hst.meta)
    with pytest.raises(UserError, match="star: every HST pixel within .* is masked"):
        fitter(blank, muse, (ra, dec, 2.0))


def test_no_pixel_unmasked_in_both_images(pair):
    hst, muse, (ra, dec) = pair
    left = np.zeros(muse.shape, dtype=bool)
    left[:, :20] = True
    right_hst = hst.data.copy()
    right_hst[:, 20:] = np.nan
    with pytest.raises(UserError, match="no pixel within .* is unmasked in both"):
        fit_star_photometry(CCDData(right_hst, unit=hst.unit, wcs=hst.wcs, meta=hst.meta),
                            _with_mask(muse, left), (ra, dec, 2.0))


@pytest.mark.parametrize("fitter", FITTERS)
def test_radius_smaller_than_a_pixel(pair, fitter):
    hst, muse, (ra, dec) = pair
    with pytest.raises(UserError, match="radius 0.15\" is smaller than a pixel"):
        fitter(hst, muse, (ra, dec, 0.15))


@pytest.mark.parametrize("fitter", FITTERS)
def test_fewer_unmasked_pixels_than_free_parameters(pair, fitter):
    hst, muse, (ra, dec) = pair
    # A 0.25" circle holds 4 or 5 pixel centres, fewer than 6 parameters.
    with pytest.raises(UserError, match=r"only [1-5] pixels .* at least 7 are needed"):
        fitter(hst, muse, (ra, dec, 0.25))
    # So does a wide circle that is mostly masked.
    mask = np.ones(muse.shape, dtype=bool)
    mask[19:21, 19:22] = False
    with pytest.raises(UserError, match="only 6 pixels"):
        fitter(hst, _with_mask(muse, mask), (ra, dec, 2.0))


def test_malformed_arguments(pair):
    hst, muse, (ra, dec) = pair
    star = (ra, dec, 2.0)
    with pytest.raises(UserError, match="star: expected"):
        fit_star_photometry(hst, muse, (ra, dec))
    with pytest.raises(UserError, match="fix_fwhm: expected a number"):
        fit_star_photometry(hst, muse, star, fix_fwhm="wide")
    with pytest.raises(UserError, match="fix_beta: must be > 1"):
        fit_star_photometry(hst, muse, star, fix_beta=0.8)
    with pytest.raises(UserError, match="apply: expected True or False"):
        fit_star_photometry(hst, muse, star, apply="yes")
    with pytest.raises(UserError, match="resample: expected True or False"):
        fit_star_photometry(hst, muse, star, resample=2)
    with pytest.raises(UserError, match="apply: expected False, True, 'image' or 'star'"):
        fit_image_and_star_photometry(hst, muse, star, apply="both")
    with pytest.raises(UserError, match="muse: expected a FITS file name"):
        fit_star_photometry(hst, [1, 2], star)


def test_misaligned_grids(pair):
    hst, muse, (ra, dec) = pair
    wcs = muse.wcs.deepcopy()
    wcs.wcs.crpix = wcs.wcs.crpix + [0.5, 0.0]
    moved = CCDData(muse.data, unit=muse.unit, wcs=wcs)
    with pytest.raises(UserError, match="hst: the pixels of the HST image .* not aligned"):
        fit_star_photometry(hst, moved, (ra, dec, 2.0))


@pytest.mark.parametrize("fitter", FITTERS)
def test_output_that_is_an_input_is_refused(pair, fitter, tmp_path, monkeypatch):
    hst, muse, (ra, dec) = pair
    monkeypatch.chdir(tmp_path)
    # The MUSE image comes from no file, so the output would be
    # ./muse_aligned.fits: which is where the HST image was read from.
    hst_file = _write(hst, tmp_path / "muse_aligned.fits")
    before = _content(hst_file)
    with pytest.raises(UserError, match="apply: muse_aligned.fits is an input file"):
        fitter(hst_file, muse, (ra, dec, 2.0), apply=True)
    assert _content(hst_file) == before
    assert sorted(os.listdir(tmp_path)) == ["muse_aligned.fits"]


def test_output_that_is_the_hst_file_next_to_the_muse_file(pair, tmp_path):
    hst, muse, (ra, dec) = pair
    muse_file = str(tmp_path / "exposure.fits")
    muse.write(muse_file)
    hst_file = _write(hst, tmp_path / "exposure_aligned.fits")
    with pytest.raises(UserError, match="exposure_aligned.fits is an input file"):
        fit_star_photometry(hst_file, muse_file, (ra, dec, 2.0), apply=True,
                            resample=True)
    # Without apply the same files are fine.
    fit = fit_star_photometry(hst_file, muse_file, (ra, dec, 2.0))
    assert fit.name == "exposure"
