"""The image fit recovers known parameters from synthetic image pairs.

Tolerances (issue 2): fwhm within 2%, dx and dy within 0.01", scale within
1%, bg within 0.01 (in MUSE flux units; the synthetic galaxies peak at
~1-30 units per pixel and the noise is 0.02).
"""

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord

from imphot_astropy import fit_image_photometry
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource, random_sky

SHAPE = (120, 120)


def assert_recovered(fit, truth, beta_tolerance=0.1):
    assert fit.fwhm.value == pytest.approx(truth["fwhm"], rel=0.02)
    assert fit.scale.value == pytest.approx(truth["scale"], rel=0.01)
    assert fit.bg.value == pytest.approx(truth["bg"], abs=0.01)
    assert fit.dx.value == pytest.approx(truth["dx"], abs=0.01)
    assert fit.dy.value == pytest.approx(truth["dy"], abs=0.01)
    if not fit.beta.fixed:
        assert fit.beta.value == pytest.approx(truth["beta"], rel=beta_tolerance)


def expected_radec_offsets(muse, dx, dy):
    """The on-sky RA/Dec offsets of a shift along the pixel axes, from astropy alone."""
    start, end = _ends(muse, dx, dy)
    dra, ddec = start.spherical_offsets_to(end)
    return dra.arcsec, ddec.arcsec


def expected_coordinate_offsets(muse, dx, dy):
    """The differences of RA and Dec coordinates (arcsec) of the same shift."""
    start, end = _ends(muse, dx, dy)
    return ((end.ra - start.ra).wrap_at(180 * u.deg).arcsec,
            (end.dec - start.dec).to_value(u.arcsec))


def _ends(muse, dx, dy):
    ny, nx = muse.data.shape
    cx, cy = (nx - 1) / 2, (ny - 1) / 2
    return (SkyCoord.from_pixel(cx, cy, muse.wcs),
            SkyCoord.from_pixel(cx + dx / 0.2, cy + dy / 0.2, muse.wcs))


@pytest.fixture(scope="module", params=[0.0, 37.0], ids=["north-up", "rotated-37deg"])
def pair(request):
    return make_synthetic_pair(shape=SHAPE, fwhm=0.62, beta=2.8, scale=1.3, bg=0.08,
                               dx=0.07, dy=-0.05, rotation=request.param, seed=11)


def test_free_beta(pair):
    hst, muse, truth = pair
    fit = fit_image_photometry(hst, muse)
    assert_recovered(fit, truth)
    assert not fit.beta.fixed and fit.beta.stdev > 0


def test_fixed_beta(pair):
    hst, muse, truth = pair
    fit = fit_image_photometry(hst, muse, fix_beta=truth["beta"])
    assert fit.beta.fixed and fit.beta.value == truth["beta"] and fit.beta.stdev == 0
    assert_recovered(fit, truth)


def test_radec_offsets_follow_the_grid_rotation(pair):
    hst, muse, truth = pair
    fit = fit_image_photometry(hst, muse, fix_beta=truth["beta"])
    dra, ddec = expected_radec_offsets(muse, truth["dx"], truth["dy"])
    assert fit.dra_sky.value == pytest.approx(dra, abs=0.01)
    assert fit.ddec_sky.value == pytest.approx(ddec, abs=0.01)
    # The on-sky offsets carry the same total shift as dx and dy.
    assert np.hypot(fit.dra_sky.value, fit.ddec_sky.value) == pytest.approx(
        np.hypot(fit.dx.value, fit.dy.value), rel=1e-3)
    # dra and ddec are differences of coordinates (the reference's meaning):
    # those of the fitted shift, to 1e-6" (1 micro-arcsec).
    dra, ddec = expected_coordinate_offsets(muse, fit.dx.value, fit.dy.value)
    assert fit.dra.value == pytest.approx(dra, abs=1e-6)
    assert fit.ddec.value == pytest.approx(ddec, abs=1e-6)
    assert fit.ddec_sky.value == fit.ddec.value


def test_exclusion_region_around_a_star(pair):
    hst, muse, truth = pair
    ra, dec = truth["star_radec"][0]
    lines = ["# Region file format: DS9 version 4.1", "fk5",
             f'-circle({ra:.8f}, {dec:.8f}, 2.5")']
    fit = fit_image_photometry(hst, muse, regions=lines, fix_beta=truth["beta"])
    assert_recovered(fit, truth)


@pytest.fixture(scope="module")
def isolated_star_pair():
    sources = random_sky(SHAPE, n_galaxies=25, n_stars=0, seed=4)
    sources = [s for s in sources if np.hypot(s.x - 60, s.y - 60) > 25]
    sources.append(SyntheticSource(60.3, 59.6, 3000.0))
    return make_synthetic_pair(shape=SHAPE, fwhm=0.7, beta=2.5, scale=0.9, bg=0.03,
                               dx=-0.06, dy=0.08, sources=sources, seed=7)


@pytest.mark.parametrize("fix_beta", [None, 2.5])
def test_star_only_region(isolated_star_pair, fix_beta):
    hst, muse, truth = isolated_star_pair
    ra, dec = muse.wcs.pixel_to_world_values(60.3, 59.6)
    fit = fit_image_photometry(hst, muse, star=(float(ra), float(dec), 3.0),
                               regions="star", fix_beta=fix_beta)
    assert_recovered(fit, truth, beta_tolerance=0.1)


def test_refit_after_a_shift_of_several_pixels():
    hst, muse, truth = make_synthetic_pair(shape=SHAPE, dx=0.55, dy=-0.43, seed=3)
    # Given offsets are the start, without the cross-correlation's.
    fit = fit_image_photometry(hst, muse, fix_beta=truth["beta"], init_dx=0.0, init_dy=0.0)
    assert "refits             = 1" in fit.fit_report
    assert_recovered(fit, truth)


@pytest.mark.parametrize("dx, dy", [(0.55, -0.43), (-1.3, 0.9)])
def test_cross_correlation_start_spares_the_refit(dx, dy):
    hst, muse, truth = make_synthetic_pair(shape=SHAPE, dx=dx, dy=dy, seed=3)
    fit = fit_image_photometry(hst, muse, fix_beta=truth["beta"])
    assert "refits             = 0" in fit.fit_report
    assert_recovered(fit, truth)


def test_init_offsets_and_fixed_parameters():
    hst, muse, truth = make_synthetic_pair(shape=SHAPE, dx=0.55, dy=-0.43, seed=3)
    fit = fit_image_photometry(hst, muse, init_dx=0.6, init_dy=-0.4, fix_scale=truth["scale"],
                               fix_bg=truth["bg"], fix_fwhm=truth["fwhm"])
    assert "refits             = 0" in fit.fit_report
    assert fit.scale.fixed and fit.bg.fixed and fit.fwhm.fixed
    assert fit.scale.value == truth["scale"]
    assert_recovered(fit, truth)
    fixed = fit_image_photometry(hst, muse, fix_dx=0.5, fix_dy=-0.4, fix_beta=2.5)
    assert fixed.dx.value == 0.5 and fixed.dy.value == -0.4
    assert fixed.dra.fixed and fixed.ddec.fixed


def test_min_scale_bounds_the_scale():
    hst, muse, truth = make_synthetic_pair(shape=(80, 80), scale=1.2, seed=5)
    fit = fit_image_photometry(hst, muse, min_scale=1.5, fix_beta=2.5)
    assert fit.scale.value >= 1.5 - 1e-9
    assert fit.rms_error > fit_image_photometry(hst, muse, fix_beta=2.5).rms_error


def test_segment_and_extramask_still_recover_truth(pair):
    hst, muse, truth = pair
    extramask = np.zeros(SHAPE, dtype=bool)
    extramask[:, :30] = True
    fit = fit_image_photometry(hst, muse, segment=True, extramask=extramask,
                               fix_beta=truth["beta"])
    assert_recovered(fit, truth)


def test_without_pixel_response_the_fwhm_would_be_too_large(pair):
    """The 0.2" box, left out by the reference tool, widens the PSF by 1-3.5%.

    A Moffat fitted to the box-convolved PSF (what the model without pixel
    response measures) is wider than the true PSF; ours is not.
    """
    hst, muse, truth = pair
    fit = fit_image_photometry(hst, muse, fix_beta=truth["beta"])
    box_broadened = np.hypot(truth["fwhm"], 0.2 * 0.5)
    assert abs(fit.fwhm.value - truth["fwhm"]) < abs(box_broadened - truth["fwhm"]) / 3


def test_reduced_chi_square_is_the_filtered_noise_fraction():
    """For a fit limited by noise, rchi is the fraction of white-noise
    variance that the HST PSF and the regridding filter let through."""
    from imphot_astropy.core.transfer import blackman_window
    from imphot_astropy.core.moffat import moffat_fourier_transform

    freq = np.fft.fftfreq(512, 0.2)
    radius = np.hypot(*np.meshgrid(freq, freq))
    response = blackman_window(radius / 2.5) * moffat_fourier_transform(radius, 0.085, 1.6)
    expected = np.mean(response**2)
    for noise in (0.02, 0.3):
        hst, muse, truth = make_synthetic_pair(shape=(120, 120), noise=noise, seed=8)
        fit = fit_image_photometry(hst, muse, fix_beta=2.5)
        assert fit.rchi == pytest.approx(expected, rel=0.05)
