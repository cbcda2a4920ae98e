"""Truth tests of the sandwich covariance on linear fits with known noise."""

import numpy as np
from scipy import fft as sp_fft

from imphot_astropy.core.covariance import (filtered_noise_variance, kernel_correlation,
                                            lag_grid_shape, residual_sandwich_covariance,
                                            Sandwich, expected_residual_square,
                                            correlation_length)

SHAPE = (48, 48)


def _kernel(shape, width=1.0):
    """A Gaussian smoothing kernel on a periodic grid, centred at [0, 0]."""
    ny, nx = shape
    y = np.fft.fftfreq(ny, 1.0 / ny)[:, None]
    x = np.fft.fftfreq(nx, 1.0 / nx)[None, :]
    kernel = np.exp(-(x**2 + y**2) / (2 * width**2))
    return kernel / kernel.sum()


def _filtered(noise, kernel):
    return sp_fft.irfft2(sp_fft.rfft2(noise) * sp_fft.rfft2(kernel), s=noise.shape)


def _columns():
    """A linear model: a constant, a slope and a blob (smooth, like PSF terms)."""
    yy, xx = np.mgrid[0:SHAPE[0], 0:SHAPE[1]] / SHAPE[0]
    blob = np.exp(-((xx - 0.4)**2 + (yy - 0.6)**2) / 0.02)
    return np.stack([np.ones(SHAPE), xx - 0.5, blob])


def test_filtered_noise_variance_matches_simulation():
    rng = np.random.default_rng(0)
    variance = np.ones(SHAPE)
    variance[:, 24:] = 4.0
    kernel = _kernel(SHAPE)
    predicted = filtered_noise_variance(variance, kernel)
    sims = np.array([_filtered(rng.normal(size=SHAPE) * np.sqrt(variance), kernel)
                     for _ in range(400)])
    measured = sims.var(axis=0)
    assert np.allclose(measured[20:28].mean(axis=0), predicted[20:28].mean(axis=0),
                       rtol=0.12)


def test_sandwich_with_known_correlation_matches_the_scatter_of_fits():
    rng = np.random.default_rng(1)
    kernel = _kernel(SHAPE)
    jacobian = _columns()
    flat = jacobian.reshape(3, -1)
    max_lag = correlation_length(kernel)
    rho = kernel_correlation(kernel, lag_grid_shape(SHAPE, max_lag), max_lag)
    sigma = np.sqrt(filtered_noise_variance(np.ones(SHAPE), kernel))
    predicted = Sandwich(jacobian, sigma, rho).covariance
    fits = []
    for _ in range(600):
        noise = _filtered(rng.normal(size=SHAPE), kernel)
        fits.append(np.linalg.lstsq(flat.T, noise.ravel(), rcond=None)[0])
    measured = np.cov(np.array(fits).T)
    assert np.allclose(np.sqrt(np.diag(measured)), np.sqrt(np.diag(predicted)), rtol=0.1)
    # The least-squares covariance that ignores the correlation is far too small.
    naive = np.linalg.inv(flat @ flat.T) * sigma.mean()**2
    assert np.all(np.diag(predicted) > 5 * np.diag(naive))


def test_residual_sandwich_gives_unit_normalised_errors():
    rng = np.random.default_rng(2)
    kernel = _kernel(SHAPE)
    jacobian = _columns()
    flat = jacobian.reshape(3, -1)
    max_lag = correlation_length(kernel) + 2
    z = []
    for _ in range(150):
        data = _filtered(rng.normal(size=SHAPE), kernel).ravel()
        theta, *_ = np.linalg.lstsq(flat.T, data, rcond=None)
        residual = (data - flat.T @ theta).reshape(SHAPE)
        cov, _ = residual_sandwich_covariance(jacobian, residual, np.ones(SHAPE), max_lag)
        z.append(theta / np.sqrt(np.diag(cov)))
    z = np.array(z)
    assert np.all((z.std(axis=0) > 0.8) & (z.std(axis=0) < 1.25)), z.std(axis=0)
    assert np.all(np.abs(z.mean(axis=0)) < 0.3)


def test_expected_residual_square_matches_simulation():
    rng = np.random.default_rng(3)
    kernel = _kernel(SHAPE)
    jacobian = _columns()
    flat = jacobian.reshape(3, -1)
    max_lag = correlation_length(kernel)
    rho = kernel_correlation(kernel, lag_grid_shape(SHAPE, max_lag), max_lag)
    sigma = np.sqrt(filtered_noise_variance(np.ones(SHAPE), kernel))
    weights = 1.0 / sigma**2
    expected = expected_residual_square(jacobian, sigma, rho, weights)
    sums = []
    for _ in range(300):
        data = _filtered(rng.normal(size=SHAPE), kernel).ravel()
        theta, *_ = np.linalg.lstsq(flat.T, data, rcond=None)
        sums.append(np.sum((data - flat.T @ theta)**2 * weights.ravel()))
    assert abs(np.mean(sums) / expected - 1) < 0.02
    # The fit absorbs far more than 3 pixels' worth of correlated noise.
    assert SHAPE[0] * SHAPE[1] - expected > 10 * 3
