"""Honest uncertainties and a goodness of fit for the image and star fits.

Both fitters are unweighted least-squares fits whose residuals are
correlated between pixels (see `~imphot_astropy.core.covariance`): the
image fit compares filtered images, and MUSE images resampled from cubes
have correlated noise. These helpers replace the least-squares covariance
by the sandwich covariance with the residuals' own correlation, on the
residual and Jacobian at the minimum that the fit's solver gives in its
`~imphot_astropy.fitting.solvers.SolverResult` (``fun``, ``jac``).
"""

import weakref

import numpy as np

from ..core.masks import values_on_mask, bounding_slices
from ..core.covariance import (residual_sandwich_covariance, filtered_noise_variance,
                               correlation_length, kernel_correlation, lag_grid_shape,
                               expected_residual_square, small_fit_covariance,
                               kernel_autocorrelation, JacobianSpectra)

__all__ = ["FitCovariance", "NoiseAmplitude", "image_noise_amplitude",
           "image_fit_covariance", "star_fit_covariance", "STAR_CORRELATION_LAG",
           "EXTRA_CORRELATION_LAG", "STAT_RANGE"]

#: Lags (pixels) of intrinsic MUSE noise correlation allowed for in the star
#: fit, whose pixels are not filtered: resampling a cube onto an image grid
#: correlates neighbours 1-2 pixels apart.
STAR_CORRELATION_LAG = 2.0
#: The same allowance, added to the filter's own correlation length in the
#: image fit.
EXTRA_CORRELATION_LAG = 2.0
#: The expected noise of a pixel is kept within this factor of the median.
STAT_RANGE = 3.0

# image_noise_amplitude's results, by problem (while the problem lives):
# the survey's joint fit asks again for the same problem and variance after
# the image fit (six FFTs per band). Kept here rather than as an attribute
# added to another module's object.
_NOISE_BY_PROBLEM = weakref.WeakKeyDictionary()


class FitCovariance:
    """The sandwich covariance of a fit and what it was computed from.

    Attributes
    ----------
    names : list of str
        The free parameters, in the order of ``covariance``.
    covariance : `numpy.ndarray`
        ``(p, p)``, in the fitter's parameter units.
    goodness : float
        The goodness of fit: about 1 for a fit limited by noise, given
        the filtering (NaN if the noise is not known).
    max_lag : float
        The correlation length (pixels) allowed for.
    n_pixels : int
        The number of pixels fitted.

    Examples
    --------
    >>> c = FitCovariance(["dx"], np.array([[4e-6]]), 1.02, 7.0, 900)
    >>> c.stdev("dx"), c.stdev("dy")
    (0.002, None)
    """

    def __init__(self, names, covariance, goodness, max_lag, n_pixels):
        self.names = list(names)
        self.covariance = np.asarray(covariance, dtype=float)
        self.goodness = float(goodness)
        self.max_lag = float(max_lag)
        self.n_pixels = int(n_pixels)

    def stdev(self, name):
        """The 1-sigma uncertainty of a free parameter (None if not free or
        not finite)."""
        if name not in self.names:
            return None
        value = self.covariance[self.names.index(name), self.names.index(name)]
        return float(np.sqrt(value)) if np.isfinite(value) and value >= 0 else None

    def submatrix(self, names):
        """The covariance of some parameters (zero rows for fixed ones)."""
        out = np.zeros((len(names), len(names)))
        for a, na in enumerate(names):
            for b, nb in enumerate(names):
                if na in self.names and nb in self.names:
                    out[a, b] = self.covariance[self.names.index(na), self.names.index(nb)]
        return out


class NoiseAmplitude:
    """The noise model of the compared pixels of a Fourier-plane image fit.

    Attributes
    ----------
    amplitude : `numpy.ndarray`
        ``a_j`` of `~imphot_astropy.core.covariance.Sandwich` on the padded
        grid: the window times the expected noise of each compared pixel
        (0 elsewhere).
    sigma : `numpy.ndarray`
        The expected noise of each compared pixel after the filter (1 if
        the variance is not known), clipped to `STAT_RANGE` of the median.
    usable : `numpy.ndarray` of bool
        The compared pixels with a known noise.
    kernel : `numpy.ndarray`
        The real-space kernel of the filter applied to the MUSE image.
    max_lag : float
        The correlation length allowed for (pixels).
    autocorrelation : `numpy.ndarray` or None
        The kernel's autocorrelation
        (`~imphot_astropy.core.covariance.kernel_autocorrelation`), if known.

    Examples
    --------
    >>> one = np.ones((4, 4))
    >>> NoiseAmplitude(one, one, one > 0, one, 3.0).max_lag
    3.0
    """

    def __init__(self, amplitude, sigma, usable, kernel, max_lag, autocorrelation=None):
        self.amplitude, self.sigma, self.usable = amplitude, sigma, usable
        self.kernel, self.max_lag = kernel, max_lag
        self.autocorrelation = autocorrelation


def image_noise_amplitude(problem, noise_variance=None):
    """The noise amplitude and correlation length of an image fit's pixels.

    Parameters
    ----------
    problem : `~imphot_astropy.core.fourier_model.FourierPlaneProblem`
        The fitted problem (window, compared pixels, MUSE filter).
    noise_variance : `numpy.ndarray`, optional
        The variance of the MUSE pixels on the padded grid of ``problem``
        (0 where masked); without it the pixels are equally noisy.

    Returns
    -------
    noise : `NoiseAmplitude`

    Examples
    --------
    >>> from imphot_astropy.core.fourier_model import FourierPlaneProblem
    >>> from imphot_astropy.core.transfer import RegridFilter
    >>> im = np.random.default_rng(1).normal(size=(32, 32))
    >>> p = FourierPlaneProblem(im, im, np.ones_like(im), 0.2, 0.2,
    ...                         RegridFilter().transfer, 0.085, 1.6)
    >>> noise = image_noise_amplitude(p)
    >>> noise.amplitude.shape, noise.max_lag > EXTRA_CORRELATION_LAG
    ((32, 32), True)
    """
    cached = _NOISE_BY_PROBLEM.get(problem)
    if cached is not None and cached[0] is noise_variance:
        return cached[1]
    inside = problem.inside
    window = values_on_mask(problem.window, inside)
    kernel = problem.to_image(problem.muse_filter)
    auto = kernel_autocorrelation(kernel)
    max_lag = correlation_length(kernel, autocorrelation=auto) + EXTRA_CORRELATION_LAG
    if noise_variance is not None:
        expected = filtered_noise_variance(noise_variance, kernel)
        sigma = np.where(inside, np.sqrt(expected), 0.0)
        usable = inside & (sigma > 0)
        # STAT values far from the typical one (poorly exposed edges, a few
        # bad values) are not trusted to describe the noise pixel by pixel.
        typical = np.median(sigma[usable]) if usable.any() else 1.0
        sigma = np.where(usable, np.clip(sigma, typical / STAT_RANGE,
                                         typical * STAT_RANGE), 0.0)
    else:
        sigma = inside.astype(float)
        usable = inside
    amplitude = np.where(usable, window * sigma, 0.0)
    noise = NoiseAmplitude(amplitude, sigma, usable, kernel, max_lag, auto)
    _NOISE_BY_PROBLEM[problem] = (noise_variance, noise)
    return noise


def image_fit_covariance(fitted, info, problem, noise_variance=None):
    """The sandwich covariance and goodness of fit of an image fit.

    Parameters
    ----------
    fitted : `~imphot_astropy.core.fourier_model.FourierImageModel`
        The fitted model.
    info : `~imphot_astropy.fitting.solvers.SolverResult`
        The solver's result (its ``fun`` and ``jac`` at the minimum).
    problem : `~imphot_astropy.core.fourier_model.FourierPlaneProblem`
        The fitted problem (window, compared pixels, MUSE filter).
    noise_variance : `numpy.ndarray`, optional
        The variance of the MUSE pixels on the padded grid of ``problem``
        (0 where masked). Without it the pixels are taken as equally noisy
        and the goodness of fit is NaN.

    Returns
    -------
    result : `FitCovariance`

    Examples
    --------
    >>> from imphot_astropy import fit_image_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(60, 60), seed=3)
    >>> fit = fit_image_photometry(hst, muse, fix_beta=2.5)
    >>> 0.7 < fit.goodness < 1.4
    True
    """
    free = [n for n in fitted.param_names if not getattr(fitted, n).fixed]
    noise = image_noise_amplitude(problem, noise_variance)
    kernel, auto, max_lag = noise.kernel, noise.autocorrelation, noise.max_lag
    # Everything below is zero outside the compared pixels: work on their
    # bounding box (the lag grid adds its own padding; the noise of pixels
    # outside the box reached it through the filter in image_noise_amplitude).
    box = bounding_slices(problem.inside)
    inside = problem.inside[box]
    sigma, usable, amplitude = noise.sigma[box], noise.usable[box], noise.amplitude[box]
    # scipy's residual is model - data; the sign does not matter below.
    residual = values_on_mask(info.fun, inside)
    jacobian = values_on_mask(np.ascontiguousarray(np.transpose(info.jac)), inside)
    lag_shape = lag_grid_shape(inside.shape, max_lag)
    # The Jacobian's transforms serve both sandwiches below.
    spectra = JacobianSpectra(jacobian, amplitude, lag_shape)
    covariance, _ = residual_sandwich_covariance(jacobian, residual, amplitude, max_lag,
                                                 spectra)
    goodness = np.nan
    if noise_variance is not None and usable.any():
        # Against what white MUSE noise of the STAT variance, filtered as the
        # fit filters the MUSE image and partly absorbed by the fit, gives.
        weights = np.where(usable, 1.0 / np.where(usable, sigma, 1.0) ** 2, 0.0)
        chi_square = np.sum(residual ** 2 * weights)
        rho = kernel_correlation(kernel, lag_shape, max_lag, autocorrelation=auto)
        expected = expected_residual_square(jacobian, amplitude, rho, weights, spectra)
        goodness = chi_square / max(expected, 1.0)
    return FitCovariance(free, covariance, goodness, max_lag, np.count_nonzero(inside))


def star_fit_covariance(fitted, info, pixels, variance=None, goodness=np.nan,
                        max_lag=STAR_CORRELATION_LAG):
    """The sandwich covariance of a star fit, in the fitter's units.

    Parameters
    ----------
    fitted : `astropy.modeling.Model`
        The fitted Moffat + background model.
    info : `~imphot_astropy.fitting.solvers.SolverResult`
        The solver's result (its ``fun`` and ``jac`` at the minimum).
    pixels : `numpy.ndarray` of bool
        The fitted pixels on the image grid (their row-major order is the
        order of the fitted values).
    variance : `numpy.ndarray`, optional
        The variance of the fitted pixels (their relative noise amplitudes).
    goodness : float
        The goodness of fit to record (the fitter's reduced chi-squared).
    max_lag : float
        The noise correlation length allowed for (pixels).

    Returns
    -------
    result : `FitCovariance`

    Examples
    --------
    >>> from imphot_astropy import fit_star_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
    >>> fit = fit_star_photometry(hst, muse, truth["star_radec"][0] + (2.0,))
    >>> 0.7 < fit.goodness < 1.4
    True
    """
    free = [n for n in fitted.param_names if not fitted.fixed[n]]
    n_pixels = int(np.count_nonzero(pixels))
    amplitude_values = np.ones(n_pixels)
    known = variance is not None and np.all(np.isfinite(variance)) and np.all(variance > 0)
    if known:
        amplitude_values = np.clip(np.sqrt(variance / np.median(variance)),
                                   1.0 / STAT_RANGE, STAT_RANGE)
    crop = bounding_slices(pixels)
    where = pixels[crop]
    residual = values_on_mask(info.fun, where)
    amplitude = values_on_mask(amplitude_values, where)
    jacobian = values_on_mask(np.asarray(info.jac).T, where)
    covariance, _ = small_fit_covariance(jacobian, residual, amplitude, max_lag)
    return FitCovariance(free, covariance, goodness, max_lag, n_pixels)
