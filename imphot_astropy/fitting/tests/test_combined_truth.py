"""fit_image_and_star_photometry: both methods on the same star and pixels."""

import numpy as np
import pytest
from astropy.io import fits

from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.fitting import FittedImagePhotometry, FittedStarPhotometry
from imphot_astropy.photometry import fit_image_and_star_photometry

CASES = [(0.65, 2.5, 0.06, -0.04, 0.0, 20.3, 19.6, 1),
         (0.55, 3.0, -0.12, 0.09, 25.0, 20.1, 20.4, 5)]


@pytest.fixture(scope="module", params=CASES, ids=["case1", "case2"])
def synthetic(request):
    fwhm, beta, dx, dy, rotation, x, y, seed = request.param
    hst, muse, truth = make_synthetic_pair(
        shape=(41, 41), sources=[SyntheticSource(x, y, 300.0)], fwhm=fwhm, beta=beta,
        dx=dx, dy=dy, rotation=rotation, scale=1.2, bg=0.05, noise=0.02, seed=seed)
    ra, dec = truth["star_radec"][0]
    return hst, muse, truth, (ra, dec, 2.0)


@pytest.fixture(scope="module")
def both(synthetic):
    hst, muse, truth, star = synthetic
    return fit_image_and_star_photometry(hst, muse, star)


def _image_pixels(image_fit, shape):
    pixels = np.zeros(shape, dtype=bool)
    pixels[image_fit.products.crop] = image_fit.products.good
    return pixels


def test_both_methods_fit_exactly_the_same_pixels(synthetic, both):
    image, star = both
    assert isinstance(image, FittedImagePhotometry) and isinstance(star, FittedStarPhotometry)
    pixels = _image_pixels(image, synthetic[1].shape)
    assert np.array_equal(star.products.selected, pixels)
    assert pixels.sum() > 300


def test_both_methods_recover_truth_and_agree(synthetic, both):
    truth = synthetic[2]
    image, star = both
    for fit in both:
        assert fit.fwhm.value == pytest.approx(truth["fwhm"], rel=0.03)
        assert fit.beta.value == pytest.approx(truth["beta"], rel=0.10)
        assert abs(fit.dx.value - truth["dx"]) < 0.01
        assert abs(fit.dy.value - truth["dy"]) < 0.01
        assert fit.scale.value == pytest.approx(truth["scale"], rel=0.02)
    assert star.fwhm.value == pytest.approx(image.fwhm.value, rel=0.03)
    assert star.beta.value == pytest.approx(image.beta.value, rel=0.10)
    assert abs(star.dx.value - image.dx.value) < 0.01
    assert abs(star.dy.value - image.dy.value) < 0.01
    assert star.scale.value == pytest.approx(image.scale.value, rel=0.02)
    assert abs(star.dra.value - image.dra.value) < 0.01
    assert abs(star.ddec.value - image.ddec.value) < 0.01


def test_fixed_psf_reaches_both_fits_and_fixed_scale_only_the_image_fit(synthetic):
    hst, muse, truth, star = synthetic
    image, star_fit = fit_image_and_star_photometry(hst, muse, star, fix_fwhm=0.6,
                                                    fix_beta=2.2, fix_scale=1.1)
    for fit in (image, star_fit):
        assert fit.fwhm.fixed and fit.fwhm.value == 0.6
        assert fit.beta.fixed and fit.beta.value == 2.2
    assert image.scale.fixed and image.scale.value == 1.1
    assert not star_fit.scale.fixed and star_fit.scale.value != 1.1


def test_notstar_regions_leave_the_star_fit_on_its_circle():
    sources = [SyntheticSource(20.3, 19.6, 300.0),
               SyntheticSource(10.0, 30.0, 80.0, scale_length=0.4),
               SyntheticSource(31.0, 9.0, 60.0, scale_length=0.3, axis_ratio=0.5)]
    hst, muse, truth = make_synthetic_pair(shape=(41, 41), sources=sources, seed=3)
    star = (*truth["star_radec"][0], 2.0)
    image, star_fit = fit_image_and_star_photometry(hst, muse, star, regions="notstar")
    image_pixels = _image_pixels(image, muse.shape)
    assert not np.any(image_pixels & star_fit.products.selected)
    assert star_fit.products.selected.sum() > 300
    # Both still see the same PSF and pointing.
    assert image.fwhm.value == pytest.approx(truth["fwhm"], rel=0.03)
    assert star_fit.fwhm.value == pytest.approx(truth["fwhm"], rel=0.03)
    assert abs(image.dx.value - star_fit.dx.value) < 0.01


@pytest.mark.parametrize("apply, method", [(True, "image"), ("image", "image"),
                                           ("star", "star")])
def test_apply_writes_the_chosen_fit(synthetic, tmp_path, monkeypatch, apply, method):
    hst, muse, truth, star = synthetic
    monkeypatch.chdir(tmp_path)
    image, star_fit = fit_image_and_star_photometry(hst, muse, star, apply=apply)
    chosen = image if method == "image" else star_fit
    with fits.open(tmp_path / "muse_aligned.fits") as hdul:
        header = hdul["DATA"].header
        assert header["IMPMETH"] == method
        assert header["IMPDX"] == chosen.dx.value
        assert header["IMPSCALE"] == chosen.scale.value
        assert np.allclose(hdul["DATA"].data, (muse.data - chosen.bg.value) / chosen.scale.value)
