"""Truth tests of fit_star_photometry on synthetic pairs with an isolated star."""

import pickle

import numpy as np
import pytest
import astropy.units as u

from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.fitting import FittedStarPhotometry, FittedValue, photometry_table
from imphot_astropy.photometry import fit_star_photometry, fit_image_photometry

# (fwhm, beta, dx, dy, rotation, star x, star y, seed)
CASES = [(0.65, 2.5, 0.06, -0.04, 0.0, 20.3, 19.6, 1),
         (0.50, 2.0, -0.11, 0.07, 30.0, 20.0, 20.45, 2),
         (0.85, 3.5, 0.03, 0.15, 0.0, 19.55, 20.2, 3),
         (0.60, 2.8, 0.20, -0.25, 10.0, 21.1, 19.2, 4)]


def _pair(fwhm, beta, dx, dy, rotation, x, y, seed, flux=300.0):
    hst, muse, truth = make_synthetic_pair(
        shape=(41, 41), sources=[SyntheticSource(x, y, flux)], fwhm=fwhm, beta=beta,
        dx=dx, dy=dy, rotation=rotation, scale=1.2, bg=0.05, noise=0.02, seed=seed)
    ra, dec = truth["star_radec"][0]
    return hst, muse, truth, (ra, dec, 2.0)


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"fwhm{c[0]}-beta{c[1]}")
def synthetic(request):
    return _pair(*request.param)


@pytest.fixture(scope="module")
def star_fit(synthetic):
    hst, muse, truth, star = synthetic
    return fit_star_photometry(hst, muse, star)


def test_star_fit_recovers_truth(synthetic, star_fit):
    truth = synthetic[2]
    fit = star_fit
    assert fit.fwhm.value == pytest.approx(truth["fwhm"], rel=0.03)
    assert fit.beta.value == pytest.approx(truth["beta"], rel=0.10)
    assert abs(fit.dx.value - truth["dx"]) < 0.01
    assert abs(fit.dy.value - truth["dy"]) < 0.01
    assert fit.scale.value == pytest.approx(truth["scale"], rel=0.02)
    assert abs(fit.bg.value - truth["bg"]) < 0.01
    # The HST PSF behind the regridding filter is recovered too (the
    # synthetic HST image has no noise).
    assert fit.hst_fwhm.value == pytest.approx(truth["hst_fwhm"], rel=0.02)
    assert fit.hst_beta.value == pytest.approx(truth["hst_beta"], rel=0.02)


def test_uncertainties_are_consistent_with_the_errors(synthetic, star_fit):
    truth = synthetic[2]
    fit = star_fit
    for name in ("fwhm", "dx", "dy", "scale"):
        value = getattr(fit, name)
        assert value.stdev is not None and 0 < value.stdev < 0.05
        assert abs(value.value - truth[name]) < 5 * value.stdev + 1e-3 * abs(truth[name])


def test_combination_rules(star_fit):
    fit = star_fit
    assert fit.scale.value == pytest.approx(fit.muse_flux.value / fit.hst_flux.value)
    assert fit.bg.value == pytest.approx(fit.muse_bg.value - fit.hst_bg.value)
    assert fit.dx.value == pytest.approx(fit.muse_dx.value - fit.hst_dx.value)
    assert fit.dy.value == pytest.approx(fit.muse_dy.value - fit.hst_dy.value)
    assert fit.fwhm is fit.muse_fwhm and fit.beta is fit.muse_beta
    assert fit.rchi == fit.muse_rchi


def test_rchi_uses_the_muse_variance(star_fit):
    # The synthetic MUSE noise is 0.02 with a matching variance, and the
    # model is right, so the reduced chi-squared is about 1.
    assert 0.7 < star_fit.muse_rchi < 1.3


def test_offsets_are_measured_from_the_given_position(synthetic, star_fit):
    truth = synthetic[2]
    # The HST star lies exactly at (ra, dec); the MUSE star is shifted.
    assert abs(star_fit.hst_dx.value) < 2e-3 and abs(star_fit.hst_dy.value) < 2e-3
    assert abs(star_fit.muse_dx.value - truth["dx"]) < 0.01
    assert abs(star_fit.muse_dy.value - truth["dy"]) < 0.01


def test_radec_offsets_follow_the_rotation(synthetic, star_fit):
    truth = synthetic[2]
    theta = np.deg2rad(truth["rotation"])
    # muse_wcs: with rotation 0, +x points to -RA (east left) and +y to +Dec.
    expected_dra = -(np.cos(theta) * truth["dx"] - np.sin(theta) * truth["dy"])
    expected_ddec = np.sin(theta) * truth["dx"] + np.cos(theta) * truth["dy"]
    assert abs(star_fit.dra_sky.value - expected_dra) < 0.01
    assert abs(star_fit.ddec_sky.value - expected_ddec) < 0.01
    # dra is a difference of RA coordinates: the on-sky angle / cos(Dec)
    # (to 1e-6" at these offsets, from the second-order terms).
    cos_dec = np.cos(np.deg2rad(star_fit.dec))
    assert star_fit.dra.value * cos_dec == pytest.approx(star_fit.dra_sky.value, abs=1e-6)
    assert star_fit.ddec.value == star_fit.ddec_sky.value


def test_result_has_every_reference_attribute(star_fit):
    fit = star_fit
    for prefix in ("muse", "hst"):
        for name in ("fwhm", "beta", "dx", "dy", "bg", "flux"):
            assert isinstance(getattr(fit, f"{prefix}_{name}"), FittedValue)
        assert np.isfinite(getattr(fit, f"{prefix}_rchi"))
    for name in ("scale", "bg", "dx", "dy", "dra", "ddec", "fwhm", "beta"):
        assert isinstance(getattr(fit, name), FittedValue)
    assert isinstance(fit, FittedStarPhotometry)
    assert fit.method == "star" and fit.name == "muse"
    assert np.isfinite(fit.ra) and np.isfinite(fit.dec) and fit.rms_error > 0
    assert "[[MUSE star fit]]" in fit.fit_report and "[[HST star fit]]" in fit.fit_report


def test_summary_and_table_rows(star_fit):
    fit = star_fit
    lines = fit.summary().splitlines()
    assert len(lines) == 4 and lines[0].startswith("#")
    fields = lines[3].split()
    assert fields[:2] == ["muse", "star"]
    assert float(fields[2]) == pytest.approx(fit.scale.value, abs=1e-4)
    assert float(fields[3]) == pytest.approx(fit.fwhm.value, abs=1e-4)
    table = photometry_table([fit])
    assert table["method"][0] == "star"
    assert table["muse_fwhm"][0] == fit.muse_fwhm.value
    assert table["hst_flux_err"][0] == fit.hst_flux.stdev
    assert table["hst_fwhm"].unit == u.arcsec and table["ra"].unit == u.deg
    assert table["muse_bg"].unit == fit.unit
    assert table["hst_rchi"][0] == fit.hst_rchi


def test_mixed_table_of_image_and_star_rows(synthetic, star_fit):
    hst, muse, truth, star = synthetic
    image = fit_image_photometry(hst, muse, regions="star", star=star)
    table = photometry_table([image, star_fit])
    assert list(table["method"]) == ["image", "star"]
    assert table["muse_fwhm"].mask[0] and not table["muse_fwhm"].mask[1]


def test_pickling_drops_plotting_products(star_fit):
    assert star_fit.products is not None
    copy = pickle.loads(pickle.dumps(star_fit))
    assert copy.products is None
    assert copy.summary() == star_fit.summary()
    assert copy.muse_flux == star_fit.muse_flux


def test_products_hold_images_and_models(synthetic, star_fit):
    products = star_fit.products
    muse = synthetic[1]
    assert np.array_equal(products.muse, muse.data[products.crop])
    residual = (products.muse - products.muse_model)[products.pixels]
    assert np.sqrt(np.mean(residual**2)) == pytest.approx(star_fit.rms_error)
    assert products.selected.sum() == products.pixels.sum() > 300


def test_fixed_fwhm_and_beta_hold_only_the_muse_fit():
    hst, muse, truth, star = _pair(*CASES[0])
    fit = fit_star_photometry(hst, muse, star, fix_fwhm=0.7, fix_beta=3.0)
    assert fit.fwhm.value == 0.7 and fit.fwhm.fixed and fit.fwhm.stdev == 0.0
    assert fit.beta.value == 3.0 and fit.beta.fixed
    assert not fit.hst_fwhm.fixed and not fit.hst_beta.fixed
    assert fit.hst_fwhm.value == pytest.approx(truth["hst_fwhm"], rel=0.02)
    # With the wrong PSF held, the centre is still found.
    assert abs(fit.dx.value - truth["dx"]) < 0.01
    only_beta = fit_star_photometry(hst, muse, star, fix_beta=2.5)
    assert only_beta.beta.fixed and not only_beta.fwhm.fixed
    assert only_beta.fwhm.value == pytest.approx(truth["fwhm"], rel=0.03)


def test_masked_pixels_are_left_out_not_zero_filled():
    hst, muse, truth, star = _pair(*CASES[0])
    clean = fit_star_photometry(hst, muse, star)
    # Mask a block of pixels next to the star's core and fill them with
    # garbage: the fit must not see them.
    mask = np.zeros(muse.shape, dtype=bool)
    mask[18:21, 21:24] = True
    data = muse.data.copy()
    data[mask] = 1e6
    masked_muse = muse.__class__(data, unit=muse.unit, wcs=muse.wcs, mask=mask,
                                 uncertainty=muse.uncertainty)
    fit = fit_star_photometry(hst, masked_muse, star)
    assert fit.products.selected.sum() == clean.products.selected.sum() - 9
    assert fit.scale.value == pytest.approx(truth["scale"], rel=0.02)
    assert fit.fwhm.value == pytest.approx(truth["fwhm"], rel=0.03)
    assert abs(fit.dx.value - truth["dx"]) < 0.01
    # NaN pixels in the HST image are masked too.
    hst_data = hst.data.copy()
    hst_data[19:21, 18:20] = np.nan
    nan_hst = hst.__class__(hst_data, unit=hst.unit, wcs=hst.wcs, meta=hst.meta)
    fit = fit_star_photometry(nan_hst, muse, star)
    assert fit.scale.value == pytest.approx(truth["scale"], rel=0.02)
    assert abs(fit.dy.value - truth["dy"]) < 0.01


def test_faint_star_is_still_recovered():
    hst, muse, truth, star = _pair(0.7, 2.5, -0.05, 0.08, 0.0, 20.2, 20.3, 7, flux=40.0)
    fit = fit_star_photometry(hst, muse, star)
    assert fit.fwhm.value == pytest.approx(0.7, rel=0.03)
    assert abs(fit.dx.value + 0.05) < 0.01 and abs(fit.dy.value - 0.08) < 0.01
    assert fit.scale.value == pytest.approx(1.2, rel=0.02)


def test_star_given_off_centre_is_found():
    # The given position is 0.4" from the star: the fitted centres move to
    # it, and the common offsets do not depend on where we started.
    hst, muse, truth, (ra, dec, radius) = _pair(*CASES[0])
    shifted = (ra + 0.4 / 3600 / np.cos(np.deg2rad(dec)), dec, radius)
    fit = fit_star_photometry(hst, muse, shifted)
    assert abs(fit.dx.value - truth["dx"]) < 0.01
    assert abs(fit.dy.value - truth["dy"]) < 0.01
    # 0.4" east of the star is 2 pixels to its -x side: the star lies +0.4"
    # along x from the given position.
    assert abs(fit.hst_dx.value - 0.4) < 0.002 and abs(fit.hst_dy.value) < 0.002
