"""The elliptical Moffat's sampled profile and its analytic derivatives (core.psf)."""

import numpy as np
import pytest
from astropy.modeling.models import Moffat2D

from imphot_astropy.core.moffat import moffat_alpha, moffat_alpha_beta_derivative
from imphot_astropy.core.psf import CircularMoffat, EllipticalMoffat

PARAMS = dict(fwhm=0.7, beta=2.5, e=0.15, theta=30.0, x_0=0.05, y_0=-0.03)
NAMES = ("fwhm", "beta", "e", "theta", "x_0", "y_0")


@pytest.fixture(scope="module")
def positions():
    return np.random.default_rng(0).uniform(-2.0, 2.0, (2, 500))


def test_values_are_the_astropy_models(positions):
    x, y = positions
    psf = EllipticalMoffat()
    image, = psf.image_terms(x, y, **PARAMS)
    np.testing.assert_array_equal(image, psf.image(x, y, **PARAMS))
    # Round, it is astropy's Moffat2D of the circular PSF.
    round_ = psf.image_terms(x, y, 0.7, 2.5, 0.0, 40.0, 0.05, -0.03)[0]
    np.testing.assert_allclose(round_, CircularMoffat().image(x, y, 0.7, 2.5, 0.05, -0.03),
                               rtol=1e-12)


@pytest.mark.parametrize("index, name", list(enumerate(NAMES, start=1)))
def test_derivatives_are_the_numerical_ones(positions, index, name):
    x, y = positions
    psf = EllipticalMoffat()
    analytic = psf.image_terms(x, y, **PARAMS, derivatives=True)[index]
    step = 1e-6 * max(1.0, abs(PARAMS[name]))
    up, down = dict(PARAMS), dict(PARAMS)
    up[name] += step
    down[name] -= step
    numeric = (psf.image_terms(x, y, **up)[0] - psf.image_terms(x, y, **down)[0]) / (2 * step)
    # Central differences: errors ~1e-9 of the largest value (measured <3e-9).
    assert np.max(np.abs(analytic - numeric)) < 1e-7 * np.max(np.abs(numeric))


def test_alpha_beta_derivative_is_astropys():
    """d alpha / d beta at fixed FWHM, with astropy's Moffat2D.fwhm (not the
    package's formula) for the core width."""
    def alpha(beta):
        return 0.7 / Moffat2D(gamma=1.0, alpha=beta).fwhm
    for beta in (1.5, 2.5, 4.0, 10.0):
        numeric = (alpha(beta + 1e-6) - alpha(beta - 1e-6)) / 2e-6
        assert moffat_alpha(0.7, beta) == pytest.approx(alpha(beta), rel=1e-13)
        assert moffat_alpha_beta_derivative(0.7, beta) == pytest.approx(numeric, rel=1e-7)
