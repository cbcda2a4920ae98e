"""Array-level core of the PSF fit on unresampled samples of a star.

A Moffat (astropy `~astropy.modeling.functional_models.Moffat2D`) plus a
constant background, fitted by weighted least squares to samples at
arbitrary positions, in one or several wavelength slices, with each slice's
own FWHM and beta or with a FWHM linear in wavelength and one beta. It
knows nothing of pixel tables; `imphot_astropy.fitting.fit_pixtable_star`
feeds it the rows of a star. The core width of the Moffat comes from
`imphot_astropy.core.moffat.moffat_alpha`, as in every other Moffat of the
package.
"""


import numpy as np
from astropy.modeling.functional_models import Const2D, Moffat2D
from scipy.optimize import least_squares
from threadpoolctl import threadpool_limits

from ..core.moffat import MIN_BETA, moffat_alpha, moffat_alpha_beta_derivative
from ..exceptions import UserError

__all__ = ["fit_moffat_samples", "moffat_samples_model", "StarSamples"]

# Bounds of the fitted shape parameters (FWHM in arcsec, Moffat beta).
_FWHM_BOUNDS = (0.02, 10.0)
_BETA_BOUNDS = (MIN_BETA, 50.0)
# Names of the parameters of one slice, in the order of the fit vector.
_SLICE_PARAMS = ("x0", "y0", "flux", "background")


class StarSamples:
    """The samples of one wavelength slice around a star.

    Attributes
    ----------
    x, y : `numpy.ndarray`
        Tangent-plane offsets of the samples from the star's nominal
        position, east and north, in arcsec.
    data, stat : `numpy.ndarray`
        Values and variances.
    lbda : `numpy.ndarray`
        Wavelengths (Angstrom).
    used : `numpy.ndarray` of bool
        False for samples rejected by the outlier clipping.

    Examples
    --------
    >>> s = StarSamples([0.0], [0.0], [1.0], [1.0], [5000.0])
    >>> s.size, s.used.tolist()
    (1, [True])
    """

    def __init__(self, x, y, data, stat, lbda):
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.data = np.asarray(data, dtype=float)
        self.stat = np.asarray(stat, dtype=float)
        self.lbda = np.asarray(lbda, dtype=float)
        self.used = np.ones(self.x.size, dtype=bool)

    @property
    def size(self):
        """Number of samples."""
        return self.x.size


def moffat_samples_model(fwhm, beta, x0, y0, flux, background,
                         spaxel_area=0.04):
    """The astropy model of a star: a Moffat of total flux ``flux`` plus a
    constant background, in data units per spaxel.

    Parameters
    ----------
    fwhm : float
        FWHM in arcsec.
    beta : float
        Moffat exponent (astropy's ``alpha``).
    x0, y0 : float
        Centre (arcsec).
    flux : float
        Total flux: the sum of the star over spaxels of area
        ``spaxel_area``.
    background : float
        Constant background per sample.
    spaxel_area : float
        The area (arcsec^2) that one sample's value refers to.

    Returns
    -------
    `~astropy.modeling.CompoundModel`
        ``Moffat2D + Const2D``, evaluated at (x, y) in arcsec.

    Examples
    --------
    >>> model = moffat_samples_model(0.8, 2.5, 0.0, 0.0, 100.0, 1.0)
    >>> round(float(model.left.fwhm), 6)
    0.8
    """
    gamma = moffat_alpha(fwhm, beta)
    amplitude = flux * spaxel_area * (beta - 1.0) / (np.pi * gamma ** 2)
    return (Moffat2D(amplitude=amplitude, x_0=x0, y_0=y0, gamma=gamma,
                     alpha=beta)
            + Const2D(amplitude=background))


def _moffat(x, y, fwhm, beta, x0, y0, flux, background, spaxel_area):
    """The values of `moffat_samples_model`, through Moffat2D.evaluate
    (no model object per call: the fit calls it thousands of times)."""
    gamma = moffat_alpha(fwhm, beta)
    amplitude = flux * spaxel_area * (beta - 1.0) / (np.pi * gamma ** 2)
    return Moffat2D.evaluate(x, y, amplitude, x0, y0, gamma, beta) \
        + background


class _Layout:
    """Where each parameter lies in the fit vector.

    In 'free' mode each slice has its own FWHM and beta; in 'linear' mode
    the FWHM is ``fwhm_ref + slope * (lambda - lambda_ref)`` and beta is
    shared.
    """

    def __init__(self, nslices, mode, lambdas, lambda_ref):
        self.nslices = nslices
        self.mode = mode
        self.lambdas = np.asarray(lambdas, dtype=float)
        self.lambda_ref = lambda_ref
        self.nshared = 3 if mode == "linear" else 0
        self.nper = 4 if mode == "linear" else 6

    @property
    def size(self):
        return self.nshared + self.nper * self.nslices

    def slice_index(self, i):
        """Indices of (fwhm-or-None, beta, x0, y0, flux, background)."""
        base = self.nshared + self.nper * i
        if self.mode == "linear":
            return [None, 2] + list(range(base, base + 4))
        return [base + 4, base + 5] + list(range(base, base + 4))

    def shape(self, p, i):
        """FWHM and beta of slice ``i``."""
        if self.mode == "linear":
            fwhm = p[0] + p[1] * (self.lambdas[i] - self.lambda_ref)
            return fwhm, p[2]
        index = self.slice_index(i)
        return p[index[0]], p[index[1]]


def _residuals(p, layout, samples, spaxel_area):
    out = []
    for i, s in enumerate(samples):
        fwhm, beta = layout.shape(p, i)
        x0, y0, flux, bg = p[layout.slice_index(i)[2:]]
        model = _moffat(s.x[s.used], s.y[s.used], fwhm, beta, x0, y0, flux,
                        bg, spaxel_area)
        out.append((s.data[s.used] - model) / np.sqrt(s.stat[s.used]))
    return np.concatenate(out)


def _moffat_derivatives(x, y, fwhm, beta, x0, y0, flux, spaxel_area):
    """Derivatives of `_moffat` with respect to (fwhm, beta, x0, y0, flux,
    background), from Moffat2D.fit_deriv and the chain rule through
    ``gamma(fwhm, beta)`` and ``amplitude(flux, gamma, beta)``."""
    gamma = moffat_alpha(fwhm, beta)
    # d gamma / d beta comes from core, which writes the FWHM-to-core-width
    # relation once; it evaluates the expression this module used to (in the
    # same order), so the fits are unchanged bit for bit.
    gamma_per_beta = moffat_alpha_beta_derivative(fwhm, beta)
    per_flux = spaxel_area * (beta - 1.0) / (np.pi * gamma ** 2)
    amplitude = flux * per_flux
    d_amp, d_x0, d_y0, d_gamma, d_alpha = Moffat2D.fit_deriv(
        x, y, amplitude, x0, y0, gamma, beta)
    # Through gamma, at fixed flux: amplitude scales as gamma**-2.
    d_gamma_total = d_gamma - 2.0 * amplitude / gamma * d_amp
    gamma_per_fwhm = gamma / fwhm
    d_fwhm = d_gamma_total * gamma_per_fwhm
    d_beta = (d_alpha + d_amp * amplitude / (beta - 1.0)
              + d_gamma_total * gamma_per_beta)
    return [d_fwhm, d_beta, d_x0, d_y0, d_amp * per_flux,
            np.ones_like(d_x0)]


def _jacobian(p, layout, samples, spaxel_area):
    blocks = []
    for i, s in enumerate(samples):
        fwhm, beta = layout.shape(p, i)
        x0, y0, flux, _ = p[layout.slice_index(i)[2:]]
        sigma = np.sqrt(s.stat[s.used])
        derivs = _moffat_derivatives(s.x[s.used], s.y[s.used], fwhm, beta,
                                     x0, y0, flux, spaxel_area)
        block = np.zeros((sigma.size, layout.size))
        index = layout.slice_index(i)
        if layout.mode == "linear":
            block[:, 0] = -derivs[0] / sigma
            block[:, 1] = -derivs[0] * (layout.lambdas[i]
                                        - layout.lambda_ref) / sigma
        else:
            block[:, index[0]] = -derivs[0] / sigma
        for at, deriv in zip(index[1:], derivs[1:]):
            block[:, at] = -deriv / sigma
        blocks.append(block)
    return np.concatenate(blocks)


def _initial_slice(s, fwhm, beta, spaxel_area):
    """Starting values (x0, y0, flux, background) of one slice."""
    r = np.hypot(s.x, s.y)
    outer = r > 0.7 * r.max()
    background = float(np.median(s.data[outer] if outer.sum() > 5
                                 else s.data))
    signal = np.clip(s.data - background, 0.0, None)
    core = r < max(fwhm, 0.5)
    weights = signal * core
    if weights.sum() > 0:
        x0 = float(np.sum(weights * s.x) / weights.sum())
        y0 = float(np.sum(weights * s.y) / weights.sum())
    else:
        x0 = y0 = 0.0
    peak = float(np.mean(np.sort(s.data)[-5:])) - background
    gamma = moffat_alpha(fwhm, beta)
    flux = max(peak, 1e-30) * np.pi * gamma ** 2 / (beta - 1.0) / spaxel_area
    return [x0, y0, flux, background]


def _bounds(layout):
    low = np.full(layout.size, -np.inf)
    high = np.full(layout.size, np.inf)
    if layout.mode == "linear":
        low[0], high[0] = _FWHM_BOUNDS
        low[2], high[2] = _BETA_BOUNDS
    else:
        for i in range(layout.nslices):
            fwhm_at, beta_at = layout.slice_index(i)[:2]
            low[fwhm_at], high[fwhm_at] = _FWHM_BOUNDS
            low[beta_at], high[beta_at] = _BETA_BOUNDS
    return low, high


def _solve(p0, layout, samples, spaxel_area, clip):
    """Least squares, then reject outliers beyond ``clip`` sigma and fit
    again (at most three times)."""
    low, high = _bounds(layout)
    p0 = np.clip(p0, low, high)
    for _ in range(4):
        # One BLAS thread: the SVDs of these tall, thin Jacobians are
        # 20-30 times slower when BLAS spreads them over threads.
        with threadpool_limits(1):
            result = least_squares(_residuals, p0, jac=_jacobian,
                                   bounds=(low, high), x_scale="jac",
                                   args=(layout, samples, spaxel_area))
        if clip is None:
            break
        rejected = False
        for i, s in enumerate(samples):
            fwhm, beta = layout.shape(result.x, i)
            x0, y0, flux, bg = result.x[layout.slice_index(i)[2:]]
            model = _moffat(s.x, s.y, fwhm, beta, x0, y0, flux, bg,
                            spaxel_area)
            keep = np.abs(s.data - model) < clip * np.sqrt(s.stat)
            if (keep != s.used).any():
                rejected = True
                s.used = keep
        if not rejected:
            break
        p0 = result.x
    return result


def _covariance(result, nparams):
    """The covariance of the parameters, scaled by the reduced chi-square
    so that it also holds when the variances are off by a factor."""
    jac = np.ascontiguousarray(result.jac)
    dof = max(1, jac.shape[0] - nparams)
    rchi2 = float(np.sum(result.fun ** 2) / dof)
    with threadpool_limits(1):      # see _solve
        cov = np.linalg.pinv(jac.T @ jac) * rchi2
    return cov, rchi2


def fit_moffat_samples(samples, lambdas, fwhm_model="free", fwhm=0.8,
                       beta=2.5, spaxel_area=0.04, clip=5.0):
    """Fit a Moffat plus background to the samples of wavelength slices.

    The array-level core of `fit_pixtable_star`.

    Parameters
    ----------
    samples : list of `StarSamples`
        One per wavelength slice, positions in arcsec.
    lambdas : array-like
        The wavelength (Angstrom) of each slice.
    fwhm_model : {'free', 'linear'}
        'free': each slice has its own FWHM and beta; 'linear': the FWHM
        is linear in wavelength and beta is the same in all slices.
    fwhm, beta : float
        Starting values.
    spaxel_area : float
        The area (arcsec^2) that one sample's value refers to.
    clip : float or None
        Samples more than ``clip`` standard deviations from the model are
        left out (None: keep all).

    Returns
    -------
    values, errors : list of dict
        Per slice: ``fwhm``, ``beta``, ``x0``, ``y0``, ``flux``,
        ``background`` and their standard deviations.
    info : dict
        ``rchi2`` per slice, and in 'linear' mode ``fwhm_ref``,
        ``fwhm_slope`` (per Angstrom), ``lambda_ref`` and ``beta`` with
        their errors.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x, y = rng.uniform(-2, 2, (2, 3000))
    >>> truth = moffat_samples_model(0.7, 3.0, 0.05, -0.02, 1e4, 10.0)
    >>> data = rng.normal(truth(x, y), 1.0)
    >>> values, errors, info = fit_moffat_samples(
    ...     [StarSamples(x, y, data, np.ones_like(x), np.full_like(x, 7e3))],
    ...     [7000.0])
    >>> abs(values[0]["fwhm"] - 0.7) < 5 * errors[0]["fwhm"]
    True
    """
    if fwhm_model not in ("free", "linear"):
        raise UserError(f"fwhm_model: expected 'free' or 'linear', got "
                        f"{fwhm_model!r}")
    lambdas = np.asarray(lambdas, dtype=float)
    if fwhm_model == "linear" and lambdas.size < 2:
        raise UserError("fwhm_model: 'linear' needs at least two wavelength "
                        "slices")
    if fwhm_model == "linear":
        values, errors, info = fit_moffat_samples(
            samples, lambdas, "free", fwhm, beta, spaxel_area, clip)
        return _fit_linear(samples, lambdas, values, spaxel_area, clip)
    values, errors, rchi2 = [], [], []
    for s, lbda in zip(samples, lambdas):
        layout = _Layout(1, "free", [lbda], lbda)
        p0 = np.array(_initial_slice(s, fwhm, beta, spaxel_area)
                      + [fwhm, beta])
        result = _solve(p0, layout, [s], spaxel_area, clip)
        cov, chi2 = _covariance(result, layout.size)
        v, e = _slice_values(result.x, cov, layout, 0)
        values.append(v)
        errors.append(e)
        rchi2.append(chi2)
    return values, errors, {"rchi2": rchi2}


def _fit_linear(samples, lambdas, free, spaxel_area, clip):
    """The joint fit with a FWHM linear in wavelength, started from the
    slices' independent fits."""
    lambda_ref = float(np.mean(lambdas))
    layout = _Layout(len(samples), "linear", lambdas, lambda_ref)
    fwhms = np.array([v["fwhm"] for v in free])
    slope, ref = np.polyfit(lambdas - lambda_ref, fwhms, 1)
    p0 = [ref, slope, float(np.median([v["beta"] for v in free]))]
    for v in free:
        p0 += [v[name] for name in _SLICE_PARAMS]
    result = _solve(np.array(p0), layout, samples, spaxel_area, clip)
    cov, rchi2 = _covariance(result, layout.size)
    values, errors = zip(*[_slice_values(result.x, cov, layout, i)
                           for i in range(len(samples))])
    p, sd = result.x, np.sqrt(np.diag(cov))
    info = {"rchi2": [rchi2] * len(samples), "lambda_ref": lambda_ref,
            "fwhm_ref": p[0], "fwhm_ref_err": sd[0], "fwhm_slope": p[1],
            "fwhm_slope_err": sd[1], "beta": p[2], "beta_err": sd[2]}
    return list(values), list(errors), info


def _slice_values(p, cov, layout, i):
    """Values and standard deviations of one slice's parameters (the FWHM
    of a linear model with the covariance of its two coefficients)."""
    index = layout.slice_index(i)
    fwhm, beta = layout.shape(p, i)
    values = {"fwhm": float(fwhm), "beta": float(beta)}
    errors = {"beta": float(np.sqrt(cov[index[1], index[1]]))}
    if layout.mode == "linear":
        grad = np.zeros(layout.size)
        grad[0], grad[1] = 1.0, layout.lambdas[i] - layout.lambda_ref
        errors["fwhm"] = float(np.sqrt(grad @ cov @ grad))
    else:
        errors["fwhm"] = float(np.sqrt(cov[index[0], index[0]]))
    for name, at in zip(_SLICE_PARAMS, index[2:]):
        values[name] = float(p[at])
        errors[name] = float(np.sqrt(cov[at, at]))
    return values, errors
