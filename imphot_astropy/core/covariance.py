"""Parameter covariances of least-squares fits whose residuals are correlated.

A least-squares fit that minimises ``sum_j (d_j - m_j(theta))**2`` over the
pixels ``j`` has, to first order, the parameter error
``(J^T J)^-1 J^T n`` where ``J`` is the Jacobian of the model at the fitted
pixels and ``n`` the noise of the data there. Its covariance is the
"sandwich"

    ``cov = B^-1 M B^-1``,  ``B = J^T J``,  ``M = J^T C J``,

where ``C`` is the covariance of ``n``. The usual least-squares covariance
``s^2 B^-1`` assumes ``C = s^2 I`` (independent pixels). The image fitter
compares images that were both filtered (the MUSE image by the HST PSF and
the regridding window, which the model applies to the HST image), so its
residuals are correlated over several pixels and ``s^2 B^-1`` is 3-4 times
too small; a MUSE image made from a resampled cube has correlated noise
even before any filtering.

Here ``C`` is modelled as ``C_jk = a_j a_k rho(j - k)``: a known amplitude
``a_j`` per pixel (the fitting window times the expected noise, from the
variance image if there is one) times a stationary correlation
``rho(tau)`` estimated from the residuals themselves, as the average of
``(r_j / a_j) (r_k / a_k)`` over all pairs of fitted pixels ``tau`` apart.
The estimate is kept to lags within ``max_lag`` pixels and tapered to zero
by ``1.5 max_lag`` (beyond, the residual's correlations are dominated by
the estimation noise). ``M`` is then ``sum_tau rho(tau) X(tau)``, with
``X(tau)`` the cross-correlations of the columns ``a J``, computed with FFTs.
This is a heteroscedasticity-and-autocorrelation-consistent (HAC)
estimator on a 2D grid.

It does not cover systematic errors (a wrong HST PSF model, a wrong
regridding filter, colour differences between the bands), except in so far
as they add correlated residuals; nor noise in the HST image that is not in
the residuals' correlation (it is, when the HST image is noisy, because the
residual holds it too).
"""

import numpy as np
from scipy import fft as sp_fft
from scipy.signal import fftconvolve

__all__ = ["residual_correlation", "sandwich_covariance",
           "residual_sandwich_covariance", "filtered_noise_variance",
           "correlation_length"]


def _padded(array, pad):
    """Zero-pad the last two axes so that lags up to ``pad`` do not wrap."""
    ny, nx = array.shape[-2:]
    shape = (sp_fft.next_fast_len(ny + pad), sp_fft.next_fast_len(nx + pad))
    out = np.zeros(array.shape[:-2] + shape)
    out[..., :ny, :nx] = array
    return out


def _lag_taper(shape, max_lag):
    """Weights of each (periodic) lag: 1 within ``max_lag``, 0 beyond 1.5x.

    A flat top keeps the sum of the correlation (what the sandwich needs
    for smooth Jacobians) unbiased; the linear fall avoids a sharp cut.
    """
    ny, nx = shape
    ly = np.fft.fftfreq(ny, 1.0 / ny)
    lx = np.fft.fftfreq(nx, 1.0 / nx)
    radius = np.hypot(ly[:, None], lx[None, :])
    outer = 1.5 * max_lag
    ramp = np.clip((outer - radius) / max(outer - max_lag, 1e-9), 0.0, 1.0)
    return np.where(radius <= max_lag, 1.0, ramp)


def residual_correlation(residual, amplitude, max_lag, n_free=0):
    """The correlation function of the standardised residuals, tapered.

    Parameters
    ----------
    residual : `numpy.ndarray`
        The residuals on the pixel grid (2D), zero where nothing was fitted.
    amplitude : `numpy.ndarray`
        The noise amplitude ``a_j`` of each fitted pixel (> 0), zero
        elsewhere; the residual there is ``a_j e_j`` with ``e`` stationary.
    max_lag : float
        The largest lag (pixels) kept at full weight.
    n_free : int
        The number of fitted parameters, for the degrees-of-freedom
        correction ``n / (n - n_free)``.

    Returns
    -------
    rho : `numpy.ndarray`
        ``rho(tau)`` on a zero-padded periodic grid (lag 0 at index
        ``[0, 0]``), already multiplied by the lag taper.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> e = rng.normal(size=(80, 80))
    >>> rho = residual_correlation(e, np.ones_like(e), 2)
    >>> round(float(rho[0, 0]), 1), abs(float(rho[0, 1])) < 0.05
    (1.0, True)
    """
    fitted = amplitude > 0
    n_pixels = int(np.count_nonzero(fitted))
    standard = np.where(fitted, residual / np.where(fitted, amplitude, 1.0), 0.0)
    pad = int(np.ceil(1.5 * max_lag)) + 1
    standard = _padded(standard, pad)
    indicator = _padded(fitted.astype(float), pad)
    power = np.abs(sp_fft.rfft2(standard)) ** 2
    pairs = sp_fft.irfft2(np.abs(sp_fft.rfft2(indicator)) ** 2, s=standard.shape)
    products = sp_fft.irfft2(power, s=standard.shape)
    taper = _lag_taper(standard.shape, max_lag)
    # Lags with too few pairs are unreliable and are beyond the taper anyway.
    rho = np.where(pairs > 0.5, products / np.maximum(pairs, 1.0), 0.0) * taper
    return rho * n_pixels / max(n_pixels - n_free, 1)


def sandwich_covariance(jacobian, amplitude, rho):
    """The sandwich covariance ``B^-1 M B^-1`` for a given noise correlation.

    Parameters
    ----------
    jacobian : `numpy.ndarray`
        Shape ``(p, ny, nx)``: the derivative of the fitted model values
        (as the least-squares fit saw them) with respect to each free
        parameter, zero where nothing was fitted.
    amplitude : `numpy.ndarray`
        Shape ``(ny, nx)``: the noise amplitude of each fitted pixel.
    rho : `numpy.ndarray`
        The noise correlation of lags on a periodic grid at least
        ``(ny, nx)`` plus the largest lag, as `residual_correlation` gives.

    Returns
    -------
    covariance : `numpy.ndarray`
        ``(p, p)``; NaN if ``J^T J`` cannot be inverted.
    meat : `numpy.ndarray`
        ``M = J^T C J``.

    Examples
    --------
    >>> J = np.zeros((1, 8, 8)); J[0, 2:6, 2:6] = 1.0  # a mean of 16 pixels
    >>> rho = np.zeros((16, 16)); rho[0, 0] = 4.0       # white, variance 4
    >>> cov, _ = sandwich_covariance(J, (J[0] > 0).astype(float), rho)
    >>> round(float(cov[0, 0]), 12)  # 4 / 16
    0.25
    """
    jacobian = np.asarray(jacobian, dtype=float)
    p = jacobian.shape[0]
    flat = jacobian.reshape(p, -1)
    bread = flat @ flat.T
    weighted = np.zeros(jacobian.shape[:1] + rho.shape)
    ny, nx = jacobian.shape[1:]
    weighted[:, :ny, :nx] = jacobian * amplitude
    spectra = sp_fft.rfft2(weighted)
    rho_spectrum = sp_fft.rfft2(rho).real  # rho is even: its transform is real
    # Parseval over the half plane of the real FFT: columns other than 0
    # (and the Nyquist column of even sizes) stand for two frequencies.
    counts = np.full(spectra.shape[-1], 2.0)
    counts[0] = 1.0
    if rho.shape[1] % 2 == 0:
        counts[-1] = 1.0
    weights = (rho_spectrum * counts) / rho.size
    meat = np.einsum("aij,ij,bij->ab", spectra.conj(), weights, spectra).real
    meat = 0.5 * (meat + meat.T)
    meat = _positive(meat)
    try:
        # A pseudo-inverse, as scipy's least-squares covariance uses, so that
        # a parameter the data do not constrain does not spoil the others.
        inverse = np.linalg.pinv(bread, rcond=1e-15, hermitian=True)
    except np.linalg.LinAlgError:
        return np.full((p, p), np.nan), meat
    covariance = inverse @ meat @ inverse
    return 0.5 * (covariance + covariance.T), meat


def _positive(matrix):
    """Clip negative eigenvalues (a tapered correlation estimate can make
    some) to a small fraction of the largest."""
    values, vectors = np.linalg.eigh(matrix)
    floor = 1e-6 * max(values.max(), 0.0)
    if values.min() >= floor:
        return matrix
    return (vectors * np.maximum(values, floor)) @ vectors.T


def residual_sandwich_covariance(jacobian, residual, amplitude, max_lag, n_free=None):
    """The sandwich covariance with the noise correlation from the residuals.

    `residual_correlation` followed by `sandwich_covariance`.

    Parameters
    ----------
    jacobian : `numpy.ndarray`
        ``(p, ny, nx)``, see `sandwich_covariance`.
    residual, amplitude : `numpy.ndarray`
        ``(ny, nx)``, see `residual_correlation`.
    max_lag : float
        The correlation length kept, in pixels.
    n_free : int, optional
        Defaults to ``p``.

    Returns
    -------
    covariance : `numpy.ndarray`
        ``(p, p)``.
    rho0 : float
        The variance of the standardised residual, ``rho(0)``.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> J = np.ones((1, 40, 40))                       # fit a constant
    >>> r = rng.normal(size=(40, 40)); r -= r.mean()
    >>> cov, rho0 = residual_sandwich_covariance(J, r, np.ones((40, 40)), 0)
    >>> round(float(np.sqrt(cov[0, 0]) * 40), 1)       # ~ 1/sqrt(1600)
    1.0
    """
    p = np.shape(jacobian)[0]
    rho = residual_correlation(residual, amplitude, max_lag, p if n_free is None else n_free)
    covariance, _ = sandwich_covariance(jacobian, amplitude, rho)
    return covariance, float(rho[0, 0])


def filtered_noise_variance(variance, kernel):
    """The variance of independent pixel noise after a linear filter.

    A pixel of ``F n``, where ``n`` has independent pixels of variance
    ``variance`` and ``F`` convolves by ``kernel``, has variance
    ``sum_i kernel(j - i)**2 variance_i``: the variance image convolved by
    the squared kernel.

    Parameters
    ----------
    variance : `numpy.ndarray`
        Per-pixel variance (0 where there is no noise: masked, padding).
    kernel : `numpy.ndarray`
        The filter's real-space kernel on a periodic grid of the same shape
        (centre at ``[0, 0]``).

    Returns
    -------
    filtered : `numpy.ndarray`

    Examples
    --------
    >>> k = np.zeros((8, 8)); k[0, 0] = k[0, 1] = 0.5   # a 2-pixel mean
    >>> v = filtered_noise_variance(np.ones((8, 8)), k)
    >>> float(v[3, 3])
    0.5
    """
    squared = np.fft.fftshift(np.asarray(kernel, dtype=float) ** 2)
    # Periodic convolution about the kernel's centre, [0, 0] of the grid.
    out = sp_fft.irfft2(sp_fft.rfft2(variance) * sp_fft.rfft2(np.fft.ifftshift(squared)),
                        s=np.shape(variance))
    return np.maximum(out, 0.0)


def correlation_length(kernel, fraction=1e-3):
    """The radius (pixels) beyond which a filter's noise correlation is small.

    The noise of a filtered white-noise image is correlated as the kernel's
    autocorrelation; this is the largest distance at which that exceeds
    ``fraction`` of its peak.

    Parameters
    ----------
    kernel : `numpy.ndarray`
        The real-space kernel on a periodic grid (centre at ``[0, 0]``).
    fraction : float
        The threshold relative to the peak.

    Returns
    -------
    radius : float

    Examples
    --------
    >>> k = np.zeros((16, 16)); k[0, 0] = k[0, 1] = k[0, 2] = 1 / 3
    >>> correlation_length(k)
    2.0
    """
    auto = sp_fft.irfft2(np.abs(sp_fft.rfft2(kernel)) ** 2, s=np.shape(kernel))
    ny, nx = auto.shape
    ly = np.fft.fftfreq(ny, 1.0 / ny)
    lx = np.fft.fftfreq(nx, 1.0 / nx)
    radius = np.hypot(ly[:, None], lx[None, :])
    strong = np.abs(auto) > fraction * auto[0, 0]
    return float(radius[strong].max())
