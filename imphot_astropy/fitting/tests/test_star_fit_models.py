"""Truth tests of the two star models against independent renderings."""

import numpy as np
import pytest
from scipy import integrate

from imphot_astropy.core.moffat import moffat_alpha
from imphot_astropy.core.transfer import RegridFilter
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.fitting.star_models import (PixelIntegratedMoffat2D,
                                                BandLimitedMoffat2D)


def _moffat(u, v, fwhm, beta):
    alpha = moffat_alpha(fwhm, beta)
    return (beta - 1) / (np.pi * alpha**2) * (1 + (u * u + v * v) / alpha**2) ** (-beta)


@pytest.mark.parametrize("fwhm, beta", [(0.3, 1.5), (0.65, 2.5), (0.9, 4.0)])
def test_pixel_integration_matches_adaptive_quadrature(fwhm, beta):
    model = PixelIntegratedMoffat2D(0.2, 0.2, flux=7.0, x_0=0.037, y_0=-0.052,
                                    fwhm=fwhm, beta=beta)
    for cx, cy in [(0.0, 0.0), (0.2, -0.2), (0.6, 0.4)]:
        exact, _ = integrate.dblquad(
            lambda v, u: _moffat(u - 0.037, v + 0.052, fwhm, beta),
            cx - 0.1, cx + 0.1, cy - 0.1, cy + 0.1, epsabs=1e-12, epsrel=1e-10)
        assert model(cx, cy) == pytest.approx(7.0 * exact, rel=1e-5, abs=1e-9)


def test_pixel_integration_is_not_point_sampling():
    # At the peak of a 0.5" Moffat the pixel mean is clearly below the
    # peak value: the model must not be a point-sampled Moffat.
    model = PixelIntegratedMoffat2D(0.2, 0.2, flux=1.0, fwhm=0.5, beta=2.5)
    point = _moffat(0.0, 0.0, 0.5, 2.5) * 0.04
    assert model(0.0, 0.0) < 0.95 * point


def test_band_limited_model_reproduces_a_regridded_synthetic_star():
    # The synthetic HST image is rendered on sub-pixels, convolved with the
    # HST Moffat, Blackman filtered and point sampled: independent of the
    # model's FFT, which must reproduce it.
    hst, _, truth = make_synthetic_pair(shape=(41, 41), oversample=5, noise=0.0,
                                        sources=[SyntheticSource(20.3, 19.6, 300.0)])
    model = BandLimitedMoffat2D(0.2, 0.2, RegridFilter().transfer, flux=300.0,
                                x_0=0.3 * 0.2, y_0=-0.4 * 0.2, fwhm=0.085, beta=1.6)
    rows, cols = np.mgrid[10:31, 10:31]
    expected = hst.data[10:31, 10:31]
    values = model((cols - 20) * 0.2, (rows - 20) * 0.2)
    # The generator samples the 0.085" HST Moffat on 0.04" sub-pixels of a
    # 14.6" grid and normalises the sum: the beta=1.6 wings beyond 7.3"
    # (0.3% of the flux) end up in the core, hence differences of 0.3%.
    assert np.max(np.abs(values - expected)) < 5e-3 * expected.max()
    assert values.sum() == pytest.approx(expected.sum(), rel=5e-3)


def test_band_limited_lattice_and_direct_evaluations_agree():
    model = BandLimitedMoffat2D(0.2, 0.2, RegridFilter().transfer, grid_size=64,
                                flux=2.0, x_0=0.05, y_0=0.02, fwhm=0.1, beta=1.8)
    lattice = model(np.array([0.0, 0.2, -0.4]), np.array([0.0, 0.2, 0.6]))
    # Just off the lattice the direct sum is used; it must be continuous.
    nearby = model(np.array([1e-4, 0.2 + 1e-4, -0.4 + 1e-4]), np.array([0.0, 0.2, 0.6]))
    assert np.allclose(lattice, nearby, rtol=2e-3)
    # And moving the source by a pixel moves the lattice image by a pixel.
    moved = model.copy()
    moved.x_0 = 0.25
    assert moved(0.2, 0.0) == pytest.approx(model(0.0, 0.0), rel=1e-10)


def test_band_limited_model_conserves_flux():
    model = BandLimitedMoffat2D(0.2, 0.2, RegridFilter().transfer, grid_size=128,
                                flux=3.0, x_0=0.07, y_0=-0.03, fwhm=0.085, beta=1.6)
    rows, cols = np.mgrid[-64:64, -64:64]
    assert model(cols * 0.2, rows * 0.2).sum() == pytest.approx(3.0, rel=1e-9)
