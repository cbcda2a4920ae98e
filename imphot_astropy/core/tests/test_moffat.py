"""The analytic Moffat transform against a numerical FFT of astropy's Moffat2D."""

import numpy as np
import pytest
from astropy.modeling.models import Moffat2D

from imphot_astropy.core.moffat import (moffat_alpha, moffat_fwhm, moffat_fourier_transform,
                                        moffat_fourier_derivatives, RadialTable)


@pytest.mark.parametrize("fwhm, beta", [(0.6, 2.5), (0.8, 1.6), (0.4, 6.0), (0.085, 1.6)])
def test_transform_matches_fft_of_sampled_moffat(fwhm, beta):
    step = fwhm / 40
    n = 4096
    x = (np.arange(n) - n // 2) * step
    xx, yy = np.meshgrid(x, x)
    image = Moffat2D(1.0, 0.0, 0.0, moffat_alpha(fwhm, beta), beta)(xx, yy)
    numeric = np.abs(np.fft.rfft2(np.fft.ifftshift(image)))[0]
    numeric /= numeric[0]
    q = np.fft.rfftfreq(n, step)
    analytic = moffat_fourier_transform(q, fwhm, beta)
    # The sampled image is truncated at +-2048 samples, which removes a
    # little of the broad wings of low-beta profiles (their low frequencies).
    useful = (q > 0.5 / (n * step) * 20) & (analytic > 1e-4)
    tolerance = 6e-3 if beta < 2 else 1e-3
    assert np.max(np.abs(numeric[useful] - analytic[useful])) < tolerance


def test_fwhm_of_alpha_roundtrip():
    for beta in (1.2, 2.5, 10.0):
        assert moffat_fwhm(moffat_alpha(0.7, beta), beta) == pytest.approx(0.7)
        half = Moffat2D(1.0, 0, 0, moffat_alpha(0.7, beta), beta)(0.35, 0.0)
        assert half == pytest.approx(0.5)


@pytest.mark.parametrize("beta", [1.3, 2.5, 40.0])
def test_derivatives_match_differences(beta):
    q = np.linspace(0, 3, 50)
    value, d_fwhm, d_beta = moffat_fourier_derivatives(q, 0.6, beta)
    h = 1e-6
    num_fwhm = (moffat_fourier_transform(q, 0.6 + h, beta)
                - moffat_fourier_transform(q, 0.6 - h, beta)) / (2 * h)
    num_beta = (moffat_fourier_transform(q, 0.6, beta + 1e-5 * beta)
                - moffat_fourier_transform(q, 0.6, beta - 1e-5 * beta)) / (2e-5 * beta)
    np.testing.assert_allclose(d_fwhm, num_fwhm, atol=1e-6)
    np.testing.assert_allclose(d_beta, num_beta, atol=1e-6)
    assert np.all(np.isfinite(value)) and value[0] == 1.0


def test_large_beta_tends_to_a_gaussian():
    fwhm = 0.6
    sigma = fwhm / 2.3548200450309493
    q = np.linspace(0, 3, 30)
    gaussian = np.exp(-2 * (np.pi * sigma * q) ** 2)
    errors = [np.max(np.abs(moffat_fourier_transform(q, fwhm, beta) - gaussian))
              for beta in (5.0, 20.0, 100.0)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 5e-3


def test_radial_table_interpolation_error():
    radii = np.random.default_rng(0).uniform(0, 2.5, 10000)
    table = RadialTable(radii)
    approx = table.evaluate(lambda q: moffat_fourier_transform(q, 0.3, 2.5))
    exact = moffat_fourier_transform(radii, 0.3, 2.5)
    assert np.max(np.abs(approx - exact)) < 1e-5
