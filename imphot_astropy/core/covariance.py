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

__all__ = ["lag_grid_shape", "residual_correlation", "kernel_correlation", "Sandwich",
           "JacobianSpectra",
           "sandwich_covariance", "residual_sandwich_covariance",
           "expected_residual_square", "small_fit_covariance", "filtered_noise_variance",
           "correlation_length", "kernel_autocorrelation", "lag_taper",
           "clip_to_positive"]


def lag_grid_shape(shape, max_lag):
    """The periodic grid on which lags up to ``1.5 max_lag`` of an image of
    ``shape`` do not wrap around.

    Examples
    --------
    >>> lag_grid_shape((40, 50), 4)
    (48, 60)
    """
    pad = int(np.ceil(1.5 * max_lag)) + 1
    return tuple(sp_fft.next_fast_len(int(n) + pad) for n in shape)


def _padded(array, shape):
    """Zero-pad the last two axes to ``shape``."""
    ny, nx = array.shape[-2:]
    out = np.zeros(array.shape[:-2] + tuple(shape))
    out[..., :ny, :nx] = array
    return out


def _lag_radius(shape):
    ny, nx = shape
    ly = np.fft.fftfreq(ny, 1.0 / ny)
    lx = np.fft.fftfreq(nx, 1.0 / nx)
    return np.hypot(ly[:, None], lx[None, :])


def lag_taper(shape, max_lag):
    """Weights of each (periodic) lag: 1 within ``max_lag``, 0 beyond 1.5x.

    A flat top keeps the sum of the correlation (what the sandwich needs
    for smooth Jacobians) unbiased; the linear fall avoids a sharp cut.

    Examples
    --------
    >>> lag_taper((1, 8), 2.0)
    array([[1., 1., 1., 0., 0., 0., 1., 1.]])
    """
    radius = _lag_radius(shape)
    outer = 1.5 * max_lag
    ramp = np.clip((outer - radius) / max(outer - max_lag, 1e-9), 0.0, 1.0)
    return np.where(radius <= max_lag, 1.0, ramp)


def residual_correlation(residual, amplitude, max_lag):
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

    Returns
    -------
    rho : `numpy.ndarray`
        ``rho(tau)`` on the periodic grid of `lag_grid_shape` (lag 0 at
        index ``[0, 0]``), already multiplied by the lag taper. It is not
        corrected for the fitted parameters (see
        `residual_sandwich_covariance`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> e = rng.normal(size=(80, 80))
    >>> rho = residual_correlation(e, np.ones_like(e), 2)
    >>> round(float(rho[0, 0]), 1), abs(float(rho[0, 1])) < 0.05
    (1.0, True)
    """
    fitted = amplitude > 0
    standard = np.where(fitted, residual / np.where(fitted, amplitude, 1.0), 0.0)
    shape = lag_grid_shape(residual.shape, max_lag)
    standard = _padded(standard, shape)
    indicator = _padded(fitted.astype(float), shape)
    power = np.abs(sp_fft.rfft2(standard)) ** 2
    pairs = sp_fft.irfft2(np.abs(sp_fft.rfft2(indicator)) ** 2, s=shape)
    products = sp_fft.irfft2(power, s=shape)
    # Lags with too few pairs are unreliable and are beyond the taper anyway.
    return np.where(pairs > 0.5, products / np.maximum(pairs, 1.0), 0.0) * lag_taper(
        shape, max_lag)


def kernel_autocorrelation(kernel):
    """The autocorrelation ``k * k`` of a kernel on its periodic grid.

    Parameters
    ----------
    kernel : `numpy.ndarray`
        The kernel on a periodic grid (centre at ``[0, 0]``).

    Returns
    -------
    auto : `numpy.ndarray`
        Same shape, lag 0 at ``[0, 0]``.

    Examples
    --------
    >>> k = np.zeros((8, 8)); k[0, 0] = k[0, 1] = 0.5
    >>> auto = kernel_autocorrelation(k)
    >>> round(float(auto[0, 0]), 12), round(float(auto[0, 1]), 12)
    (0.5, 0.25)
    """
    return sp_fft.irfft2(np.abs(sp_fft.rfft2(kernel)) ** 2, s=np.shape(kernel))


def kernel_correlation(kernel, shape, max_lag, autocorrelation=None):
    """The correlation of white noise filtered by a kernel, on a lag grid.

    ``(k * k)(tau) / sum(k**2)``, for lags within ``1.5 max_lag``, placed on
    a periodic grid of ``shape`` (from `lag_grid_shape`).

    Parameters
    ----------
    kernel : `numpy.ndarray`
        The kernel on a periodic grid (centre at ``[0, 0]``).
    shape : tuple of int
        The lag grid.
    max_lag : float
        The correlation length (pixels).
    autocorrelation : `numpy.ndarray`, optional
        `kernel_autocorrelation` of ``kernel``, if already computed.

    Returns
    -------
    rho : `numpy.ndarray`

    Examples
    --------
    >>> k = np.zeros((16, 16)); k[0, 0] = k[0, 1] = 0.5
    >>> rho = kernel_correlation(k, (8, 8), 2)
    >>> float(rho[0, 0]), float(rho[0, 1]), float(rho[0, -1])
    (1.0, 0.5, 0.5)
    """
    auto = kernel_autocorrelation(kernel) if autocorrelation is None else autocorrelation
    auto = auto / auto[0, 0]
    reach = int(np.ceil(1.5 * max_lag))
    out = np.zeros(shape)
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if dx * dx + dy * dy <= (1.5 * max_lag) ** 2:
                out[dy % shape[0], dx % shape[1]] = auto[dy % auto.shape[0],
                                                         dx % auto.shape[1]]
    return out


class JacobianSpectra:
    """The Fourier transforms of a fit's weighted Jacobian columns, made once.

    Every product ``u^T R v`` of two images with a stationary correlation
    ``R`` (``rho`` on a periodic lag grid, even, so its transform ``S`` is
    real) is, by Parseval, ``sum_f conj(U_f) S_f V_f / N`` over the
    frequencies: a ``(p, p)`` matrix from the columns' transforms without
    transforming back. Several sandwiches of one fit (the residuals'
    correlation, the filter's) share these transforms.

    Parameters
    ----------
    jacobian : `numpy.ndarray`
        ``(p, ny, nx)``, zero where nothing was fitted.
    amplitude : `numpy.ndarray`
        ``(ny, nx)``: the noise amplitude of each fitted pixel.
    shape : tuple of int
        The periodic lag grid (`lag_grid_shape`).

    Examples
    --------
    >>> J = np.zeros((1, 8, 8)); J[0, 2:6, 2:6] = 1.0
    >>> spectra = JacobianSpectra(J, np.ones((8, 8)), (16, 16))
    >>> rho = np.zeros((16, 16)); rho[0, 0] = 4.0       # white, variance 4
    >>> round(float(spectra.cross(spectra.spectrum(rho))[0, 0]), 9)  # 4 x 16 pixels
    64.0
    """

    def __init__(self, jacobian, amplitude, shape):
        self.jacobian = np.asarray(jacobian, dtype=float)
        self.amplitude = amplitude
        self.shape = tuple(shape)
        p = self.jacobian.shape[0]
        self.flat = self.jacobian.reshape(p, -1)
        self.bread = self.flat @ self.flat.T
        # A pseudo-inverse, as scipy's least-squares covariance uses, so that
        # a parameter the data do not constrain does not spoil the others.
        self.inverse = np.linalg.pinv(self.bread, rcond=1e-15, hermitian=True)
        self.columns = self.transform(self.jacobian * amplitude)
        # The half-plane of rfft2 stands for the whole plane: every column
        # but the first (and the last, for an even width) counts twice.
        count = np.full(self.columns.shape[-1], 2.0)
        count[0] = 1.0
        if self.shape[1] % 2 == 0:
            count[-1] = 1.0
        self._count = count / (self.shape[0] * self.shape[1])

    def transform(self, images):
        """The rfft2 of ``(p, ny, nx)`` images zero-padded to the lag grid."""
        return sp_fft.rfft2(_padded(images, self.shape))

    def spectrum(self, rho):
        """The (real) transform of an even correlation on the lag grid."""
        return sp_fft.rfft2(rho).real

    def cross(self, spectrum, other=None):
        """``(a J)^T R v`` for the columns ``v`` whose transforms are
        ``other`` (default: the columns ``a J`` themselves, the meat)."""
        p = self.columns.shape[0]
        other = self.columns if other is None else other
        left = self.columns * (spectrum * self._count)
        # Re(sum u conj(v)) = sum (u.re v.re + u.im v.im): one real product
        # of the interleaved (re, im) views.
        return left.view(float).reshape(p, -1) @ other.view(float).reshape(p, -1).T


class Sandwich:
    """The sandwich ``B^-1 M B^-1`` of a fit for a given noise correlation.

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
        ``(ny, nx)`` plus the largest lag (`lag_grid_shape`).
    spectra : `JacobianSpectra`, optional
        The transformed columns of the same Jacobian and amplitude on the
        grid of ``rho``, if already made (another sandwich of the same fit).

    Attributes
    ----------
    bread, meat, covariance : `numpy.ndarray`
        ``B = J^T J``, ``M = J^T C J`` and ``B^-1 M B^-1`` (``(p, p)``).

    Examples
    --------
    >>> J = np.zeros((1, 8, 8)); J[0, 2:6, 2:6] = 1.0  # a mean of 16 pixels
    >>> rho = np.zeros((16, 16)); rho[0, 0] = 4.0       # white, variance 4
    >>> round(float(Sandwich(J, (J[0] > 0) * 1.0, rho).covariance[0, 0]), 12)
    0.25
    """

    def __init__(self, jacobian, amplitude, rho, spectra=None):
        if spectra is None:
            spectra = JacobianSpectra(jacobian, amplitude, np.shape(rho))
        self.spectra = spectra
        self.jacobian = spectra.jacobian
        self.bread = spectra.bread
        self.inverse = spectra.inverse
        # rho is even, so C J = a (rho * (a J)) and J^T C J is a cross-power
        # of the columns a J weighted by rho's (real) transform.
        self._spectrum = spectra.spectrum(rho)
        meat = spectra.cross(self._spectrum)
        self.meat = clip_to_positive(0.5 * (meat + meat.T))
        covariance = self.inverse @ self.meat @ self.inverse
        self.covariance = 0.5 * (covariance + covariance.T)

    def projection_loss(self, weights, inverse=None, covariance=None):
        """``sum_j weights_j (2 (P C)_jj - (P C P)_jj)``, P the fit's projection.

        The fit absorbs part of the noise: the expected weighted sum of
        squared residuals is ``sum_j weights_j C_jj`` less this. With
        ``P = J B^-1 J^T`` the two sums are the traces
        ``tr(B^-1 J^T C W J)`` and ``tr(cov J^T W J)``.

        ``inverse`` and ``covariance`` replace this fit's ``B^-1`` and
        covariance when the projection is that of a larger fit seen from
        these columns (a band of the survey's joint fit).
        """
        spectra = self.spectra
        weighted = spectra.jacobian * (spectra.amplitude * weights)
        cross = spectra.cross(self._spectrum, spectra.transform(weighted))
        gram = (spectra.flat * np.ravel(weights)) @ spectra.flat.T
        inverse = self.inverse if inverse is None else inverse
        covariance = self.covariance if covariance is None else covariance
        return float(2.0 * np.trace(inverse @ cross) - np.trace(covariance @ gram))


def sandwich_covariance(jacobian, amplitude, rho):
    """The sandwich covariance ``B^-1 M B^-1`` for a given noise correlation.

    See `Sandwich` for the parameters.

    Returns
    -------
    covariance, meat : `numpy.ndarray`

    Examples
    --------
    >>> J = np.zeros((1, 8, 8)); J[0, 2:6, 2:6] = 1.0  # a mean of 16 pixels
    >>> rho = np.zeros((16, 16)); rho[0, 0] = 4.0       # white, variance 4
    >>> cov, _ = sandwich_covariance(J, (J[0] > 0).astype(float), rho)
    >>> round(float(cov[0, 0]), 12)  # 4 / 16
    0.25
    """
    sandwich = Sandwich(jacobian, amplitude, rho)
    return sandwich.covariance, sandwich.meat


def clip_to_positive(matrix):
    """Clip negative eigenvalues (a tapered correlation estimate can make
    some) to a small fraction of the largest.

    Whether to clip is judged on the matrix scaled to a unit diagonal, so
    that a positive matrix is left alone whatever the parameters' units: a
    parameter whose Jacobian column is small only because of its unit (an
    elliptical PSF's angle in degrees: its column is ~350 times smaller
    than the ellipticity's on a star) fell below the floor and had its
    variance raised to it, doubling its uncertainty. Matrices that need
    clipping are clipped as before.

    Examples
    --------
    >>> clip_to_positive(np.array([[1.0, 2.0], [2.0, 1.0]])).round(3)
    array([[1.5, 1.5],
           [1.5, 1.5]])
    >>> small = np.diag([1e4, 1e-4])                 # positive: left alone
    >>> bool(np.all(clip_to_positive(small) == small))
    True
    """
    diagonal = np.sqrt(np.clip(np.diag(matrix), 0.0, None))
    unit = np.where(diagonal > 0, diagonal, 1.0)
    scaled = np.linalg.eigvalsh(matrix / np.outer(unit, unit))
    if scaled.min() >= 1e-6 * max(scaled.max(), 0.0):
        return matrix
    values, vectors = np.linalg.eigh(matrix)
    floor = 1e-6 * max(values.max(), 0.0)
    if values.min() >= floor:
        return matrix
    return (vectors * np.maximum(values, floor)) @ vectors.T


def residual_sandwich_covariance(jacobian, residual, amplitude, max_lag, spectra=None):
    """The sandwich covariance with the noise correlation from the residuals.

    `residual_correlation`, then `Sandwich`, then a correction for the
    noise the fit absorbed: the residuals are smaller than the noise by
    ``(I - P)``, so the estimated correlation is scaled by ``kappa`` such
    that the expected sum of squared standardised residuals,
    ``kappa (n rho(0) - loss)``, equals the observed ``n rho(0)``
    (``n / (n - p)`` for independent pixels, more when the residuals are
    correlated, because each parameter then absorbs more noise).

    Parameters
    ----------
    jacobian : `numpy.ndarray`
        ``(p, ny, nx)``, see `Sandwich`.
    residual, amplitude : `numpy.ndarray`
        ``(ny, nx)``, see `residual_correlation`.
    max_lag : float
        The correlation length kept, in pixels.
    spectra : `JacobianSpectra`, optional
        Of ``jacobian`` and ``amplitude`` on the `lag_grid_shape` of
        ``residual``, if already made.

    Returns
    -------
    covariance : `numpy.ndarray`
        ``(p, p)``.
    rho0 : float
        The corrected variance of the standardised noise, ``rho(0)``.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> J = np.ones((1, 40, 40))                       # fit a constant
    >>> r = rng.normal(size=(40, 40)); r -= r.mean()
    >>> cov, rho0 = residual_sandwich_covariance(J, r, np.ones((40, 40)), 0)
    >>> round(float(np.sqrt(cov[0, 0]) * 40), 1)       # ~ 1/sqrt(1600)
    1.0
    """
    rho = residual_correlation(residual, amplitude, max_lag)
    sandwich = Sandwich(jacobian, amplitude, rho, spectra)
    fitted = amplitude > 0
    observed = np.count_nonzero(fitted) * rho[0, 0]
    weights = np.where(fitted, 1.0 / np.where(fitted, amplitude, 1.0) ** 2, 0.0)
    loss = sandwich.projection_loss(weights)
    # A fit only absorbs noise (kappa >= 1; uneven amplitudes can make the
    # weighted loss negative), and never more than 3/4 of it.
    kappa = observed / min(max(observed - loss, 0.25 * observed), observed)
    return kappa * sandwich.covariance, float(kappa * rho[0, 0])


def expected_residual_square(jacobian, amplitude, rho, weights, spectra=None):
    """The expected weighted sum of squared residuals for a noise model.

    ``sum_j weights_j E[r_j**2]`` for noise of covariance
    ``C_jk = a_j a_k rho(j - k)``, after a linear least-squares fit of the
    Jacobian's columns: ``sum_j weights_j C_jj`` less `Sandwich.projection_loss`.

    Parameters
    ----------
    jacobian, amplitude, rho : `numpy.ndarray`
        See `Sandwich`.
    weights : `numpy.ndarray`
        The weight of each pixel's squared residual.
    spectra : `JacobianSpectra`, optional
        Of ``jacobian`` and ``amplitude`` on the grid of ``rho``, if
        already made.

    Returns
    -------
    expected : float

    Examples
    --------
    >>> J = np.ones((1, 10, 10)); rho = np.zeros((12, 12)); rho[0, 0] = 1.0
    >>> round(expected_residual_square(J, np.ones((10, 10)), rho, np.ones((10, 10))), 6)
    99.0
    """
    sandwich = Sandwich(jacobian, amplitude, rho, spectra)
    total = float(np.sum(weights * amplitude ** 2) * rho[0, 0])
    return total - sandwich.projection_loss(weights)


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
    squared = np.asarray(kernel, dtype=float) ** 2
    # Periodic convolution about the kernel's centre, [0, 0] of the grid.
    out = sp_fft.irfft2(sp_fft.rfft2(variance) * sp_fft.rfft2(squared),
                        s=np.shape(variance))
    return np.maximum(out, 0.0)


def correlation_length(kernel, fraction=1e-3, autocorrelation=None):
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
    autocorrelation : `numpy.ndarray`, optional
        `kernel_autocorrelation` of ``kernel``, if already computed.

    Returns
    -------
    radius : float

    Examples
    --------
    >>> k = np.zeros((16, 16)); k[0, 0] = k[0, 1] = k[0, 2] = 1 / 3
    >>> correlation_length(k)
    2.0
    """
    auto = kernel_autocorrelation(kernel) if autocorrelation is None else autocorrelation
    ny, nx = auto.shape
    ly = np.fft.fftfreq(ny, 1.0 / ny)
    lx = np.fft.fftfreq(nx, 1.0 / nx)
    radius = np.hypot(ly[:, None], lx[None, :])
    strong = np.abs(auto) > fraction * auto[0, 0]
    return float(radius[strong].max())


def small_fit_covariance(jacobian, residual, amplitude, max_lag):
    """The sandwich covariance of a small fit, its noise correlation unbiased.

    For fits of a few hundred pixels (a star), the residuals' correlation
    at small lags is biased by the fit itself (the residual is orthogonal
    to the Jacobian's columns, which are concentrated on the star). Here
    the correlation ``rho`` at the lags within ``max_lag`` is the one whose
    expected residual correlation, ``(I - P) C(rho) (I - P)`` averaged over
    the pairs of pixels at each lag, equals the observed one: a linear
    system of one equation per lag, solved exactly with dense matrices.

    Parameters
    ----------
    jacobian : `numpy.ndarray`
        ``(p, ny, nx)``, zero where nothing was fitted.
    residual, amplitude : `numpy.ndarray`
        ``(ny, nx)``; the noise of fitted pixel ``j`` is ``amplitude_j e_j``.
    max_lag : float
        The largest lag (pixels) of the correlation.

    Returns
    -------
    covariance : `numpy.ndarray`
        ``(p, p)``.
    rho : dict
        The correlation at each lag ``(dy, dx)`` (and its opposite).

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> J = np.ones((1, 20, 20))                        # fit a constant
    >>> r = rng.normal(size=(20, 20)); r -= r.mean()
    >>> cov, rho = small_fit_covariance(J, r, np.ones((20, 20)), 1)
    >>> 0.8 < float(np.sqrt(cov[0, 0]) * 20) < 1.2      # ~ 1/sqrt(400)
    True
    """
    fitted = amplitude > 0
    rows, cols = np.nonzero(fitted)
    jac = np.asarray(jacobian, dtype=float)[:, rows, cols].T  # (n, p)
    a = amplitude[rows, cols]
    e = residual[rows, cols] / a
    dy = rows[:, None] - rows[None, :]
    dx = cols[:, None] - cols[None, :]
    # Lag classes: (dy, dx) with its opposite, within max_lag; -1 elsewhere.
    flip = (dy < 0) | ((dy == 0) & (dx < 0))
    ky, kx = np.where(flip, -dy, dy), np.where(flip, -dx, dx)
    reach = int(np.floor(max_lag))
    lags = [(ly, lx) for ly in range(reach + 1) for lx in range(-reach, reach + 1)
            if (ly > 0 or lx >= 0) and ly * ly + lx * lx <= max_lag ** 2]
    label = np.full(dy.shape, -1)
    for k, (ly, lx) in enumerate(lags):
        label[(ky == ly) & (kx == lx)] = k
    inside = label >= 0
    counts = np.bincount(label[inside], minlength=len(lags)).astype(float)
    observed = np.bincount(label[inside], weights=np.outer(e, e)[inside],
                           minlength=len(lags)) / counts
    bread = jac.T @ jac
    binv = np.linalg.pinv(bread, rcond=1e-15, hermitian=True)
    aa = np.outer(a, a)
    design = np.empty((len(lags), len(lags)))
    for m in range(len(lags)):
        c_m = np.where(label == m, aa, 0.0)
        t = jac.T @ c_m                                   # J^T C_m, (p, n)
        pc = jac @ (binv @ t)
        pcp = jac @ (binv @ (t @ jac) @ binv) @ jac.T
        expected = (c_m - pc - pc.T + pcp) / aa
        design[:, m] = np.bincount(label[inside], weights=expected[inside],
                                   minlength=len(lags)) / counts
    rho = np.linalg.lstsq(design, observed, rcond=None)[0]
    correlation = np.zeros(aa.shape)
    correlation[inside] = rho[label[inside]]
    meat = clip_to_positive(jac.T @ (correlation * aa) @ jac)
    covariance = binv @ meat @ binv
    return 0.5 * (covariance + covariance.T), dict(zip(lags, rho))
