"""Array-level core of the PSF fit on unresampled samples of a star.

A Moffat (astropy `~astropy.modeling.functional_models.Moffat2D`) plus a
constant background, fitted by weighted least squares to samples at
arbitrary positions, in one or several wavelength slices, with each slice's
own FWHM and beta or with a FWHM linear in wavelength and one beta. It
knows nothing of pixel tables; `imphot_astropy.fitting.fit_pixtable_star`
feeds it the rows of a star. The core width of the Moffat comes from
`imphot_astropy.core.moffat.moffat_alpha`, as in every other Moffat of the
package.

With ``psf="elliptical"`` the profile is the elliptical Moffat of
`imphot_astropy.core.psf.EllipticalMoffat` (FWHM along the major axis,
ellipticity ``e`` = 1 - minor/major, major axis at ``theta`` degrees from +x
toward +y of the samples' coordinates, modulo 180), whose values and
analytic derivatives come from `~imphot_astropy.core.psf.EllipticalMoffat.image_terms`.
Each slice has its own e and theta when each has its own FWHM ('free'); with a
FWHM linear in wavelength ('linear') one e and one theta hold for all
slices, as one beta does: the shape of the PSF changes little over the
wavelengths, its width does.
"""


import numpy as np
from astropy.modeling.functional_models import Const2D, Moffat2D
from threadpoolctl import threadpool_limits

from ..core.moffat import MIN_BETA, moffat_alpha, moffat_alpha_beta_derivative
from ..core.psf import EllipticalMoffat
from ..exceptions import UserError
from .solvers import LeastSquaresProblem, PIXTABLE_STAR_SOLVER, resolve_solver
from .star_fit import check_star_psf
from .star_models import MAX_ELLIPTICITY

__all__ = ["fit_moffat_samples", "moffat_samples_model", "StarSamples"]

# Bounds of the fitted shape parameters (FWHM in arcsec, Moffat beta).
_FWHM_BOUNDS = (0.02, 10.0)
_BETA_BOUNDS = (MIN_BETA, 50.0)
# Names of the parameters of one slice, in the order of the fit vector.
_SLICE_PARAMS = ("x0", "y0", "flux", "background")
# The shape parameters of the elliptical Moffat, after fwhm and beta.
_ELLIPSE_PARAMS = ("e", "theta")
_E_BOUNDS = (0.0, MAX_ELLIPTICITY)
_ELLIPTICAL = EllipticalMoffat()


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


def _slice_model(p, layout, i, x, y, spaxel_area):
    """The model of slice ``i`` at (x, y), for the parameter vector ``p``."""
    fwhm, beta = layout.shape(p, i)
    x0, y0, flux, bg = p[layout.slice_index(i)[2:]]
    if not layout.elliptical:
        return _moffat(x, y, fwhm, beta, x0, y0, flux, bg, spaxel_area)
    e, theta = p[layout.ellipse_index(i)]
    image, = _ELLIPTICAL.image_terms(x, y, fwhm, beta, e, theta, x0, y0)
    return flux * spaxel_area * image + bg


def _slice_derivatives(p, layout, i, x, y, spaxel_area):
    """Derivatives of `_slice_model` by (fwhm, beta, x0, y0, flux,
    background), then (e, theta) for the elliptical Moffat."""
    fwhm, beta = layout.shape(p, i)
    x0, y0, flux, _ = p[layout.slice_index(i)[2:]]
    if not layout.elliptical:
        return _moffat_derivatives(x, y, fwhm, beta, x0, y0, flux, spaxel_area)
    e, theta = p[layout.ellipse_index(i)]
    image, d_fwhm, d_beta, d_e, d_theta, d_x0, d_y0 = _ELLIPTICAL.image_terms(
        x, y, fwhm, beta, e, theta, x0, y0, derivatives=True)
    scale = flux * spaxel_area
    return [scale * d_fwhm, scale * d_beta, scale * d_x0, scale * d_y0,
            spaxel_area * image, np.ones_like(image), scale * d_e, scale * d_theta]


class _Layout:
    """Where each parameter lies in the fit vector.

    In 'free' mode each slice has its own FWHM and beta (and e and theta);
    in 'linear' mode the FWHM is ``fwhm_ref + slope * (lambda - lambda_ref)``
    and beta (and e and theta) are shared.
    """

    def __init__(self, nslices, mode, lambdas, lambda_ref, elliptical=False):
        self.nslices = nslices
        self.mode = mode
        self.lambdas = np.asarray(lambdas, dtype=float)
        self.lambda_ref = lambda_ref
        self.elliptical = bool(elliptical)
        extra = len(_ELLIPSE_PARAMS) if self.elliptical else 0
        self.nshared = 3 + extra if mode == "linear" else 0
        self.nper = 4 if mode == "linear" else 6 + extra

    @property
    def size(self):
        return self.nshared + self.nper * self.nslices

    def slice_index(self, i):
        """Indices of (fwhm-or-None, beta, x0, y0, flux, background)."""
        base = self.nshared + self.nper * i
        if self.mode == "linear":
            return [None, 2] + list(range(base, base + 4))
        return [base + 4, base + 5] + list(range(base, base + 4))

    def ellipse_index(self, i):
        """Indices of (e, theta) of slice ``i`` (none for a circular Moffat)."""
        if not self.elliptical:
            return []
        if self.mode == "linear":
            return [3, 4]
        base = self.nper * i
        return [base + 6, base + 7]

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
        model = _slice_model(p, layout, i, s.x[s.used], s.y[s.used],
                             spaxel_area)
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
        sigma = np.sqrt(s.stat[s.used])
        derivs = _slice_derivatives(p, layout, i, s.x[s.used], s.y[s.used],
                                    spaxel_area)
        block = np.zeros((sigma.size, layout.size))
        index = layout.slice_index(i) + layout.ellipse_index(i)
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


def _initial_ellipse(s, start, fwhm):
    """Starting (e, theta) of one slice, from the second moments of the
    background-subtracted samples within ``2 fwhm`` of the start's centre.

    Only a start: truncated at a circle, the moments understate the
    elongation, so e starts at least at 0.05 (at e = 0 the Jacobian has no
    theta column) and at most at 0.5.
    """
    x0, y0, _, background = start
    dx, dy = s.x - x0, s.y - y0
    weights = np.clip(s.data - background, 0.0, None) * (np.hypot(dx, dy) < 2.0 * fwhm)
    if not weights.sum() > 0:
        return [0.05, 0.0]
    xx, yy, xy = (float(np.sum(weights * a * b) / weights.sum())
                  for a, b in ((dx, dx), (dy, dy), (dx, dy)))
    theta = 0.5 * np.degrees(np.arctan2(2.0 * xy, xx - yy))
    spread = np.hypot(0.5 * (xx - yy), xy)
    major, minor = 0.5 * (xx + yy) + spread, 0.5 * (xx + yy) - spread
    e = 1.0 - np.sqrt(max(minor, 0.0) / major) if major > 0 else 0.0
    return [float(np.clip(e, 0.05, 0.5)), float(theta % 180.0)]


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
    if layout.elliptical:
        # theta is free: an axis, reported modulo 180.
        for i in range(layout.nslices):
            e_at = layout.ellipse_index(i)[0]
            low[e_at], high[e_at] = _E_BOUNDS
    return low, high


def _solve(p0, layout, samples, spaxel_area, clip, solver=PIXTABLE_STAR_SOLVER):
    """Least squares, then reject outliers beyond ``clip`` sigma and fit
    again (at most three times)."""
    low, high = _bounds(layout)
    p0 = np.clip(p0, low, high)
    for _ in range(4):
        # One BLAS thread: the SVDs of these tall, thin Jacobians are
        # 20-30 times slower when BLAS spreads them over threads.
        with threadpool_limits(1):
            result = solver.solve(LeastSquaresProblem.from_vector(
                _residuals, p0, (low, high), _jacobian, (layout, samples, spaxel_area)))
        if clip is None:
            break
        rejected = False
        for i, s in enumerate(samples):
            model = _slice_model(result.x, layout, i, s.x, s.y, spaxel_area)
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
    so that it also holds when the variances are off by a factor.

    `~imphot_astropy.fitting.solvers.SolverResult.covariance` inverts on
    unit-scaled columns: their norms span ~10 decades here (a flux of 1e5
    against a FWHM slope per Angstrom), and unscaled, pinv's relative
    cut-off dropped the flux direction of the joint 'linear' fit, leaving
    flux errors near zero and beta errors 1.6 times too small (Monte Carlo
    pulls). Scaled, the free fits' errors move by rounding only.
    """
    dof = max(1, np.size(result.fun) - nparams)
    with threadpool_limits(1):      # see _solve
        return result.covariance(), float(result.cost / dof)


def fit_moffat_samples(samples, lambdas, fwhm_model="free", fwhm=0.8,
                       beta=2.5, spaxel_area=0.04, clip=5.0, psf="moffat", solver=None):
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
    psf : {'moffat', 'elliptical'}
        The circular Moffat, or the elliptical one (see the module): then
        also ``e`` and ``theta``, per slice ('free') or shared ('linear').
    solver : None, str or `~imphot_astropy.fitting.solvers.Solver`
        None (and ``"trf"``) for `~imphot_astropy.fitting.solvers.PIXTABLE_STAR_SOLVER`;
        see `~imphot_astropy.fitting.solvers.resolve_solver`.

    Returns
    -------
    values, errors : list of dict
        Per slice: ``fwhm``, ``beta``, ``x0``, ``y0``, ``flux``,
        ``background`` (and ``e``, ``theta`` in degrees from +x toward +y,
        in [0, 180), for the elliptical Moffat) and their standard
        deviations.
    info : dict
        ``rchi2`` per slice, and in 'linear' mode ``fwhm_ref``,
        ``fwhm_slope`` (per Angstrom), ``lambda_ref`` and ``beta`` (and
        ``e``, ``theta``) with their errors.

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
    check_star_psf(psf)
    solver = resolve_solver(solver, PIXTABLE_STAR_SOLVER, "trf")
    if fwhm_model not in ("free", "linear"):
        raise UserError(f"fwhm_model: expected 'free' or 'linear', got "
                        f"{fwhm_model!r}")
    lambdas = np.asarray(lambdas, dtype=float)
    if fwhm_model == "linear" and lambdas.size < 2:
        raise UserError("fwhm_model: 'linear' needs at least two wavelength "
                        "slices")
    elliptical = psf == "elliptical"
    if fwhm_model == "linear":
        values, errors, info = fit_moffat_samples(
            samples, lambdas, "free", fwhm, beta, spaxel_area, clip, psf, solver)
        return _fit_linear(samples, lambdas, values, spaxel_area, clip,
                           elliptical, solver)
    values, errors, rchi2 = [], [], []
    for s, lbda in zip(samples, lambdas):
        layout = _Layout(1, "free", [lbda], lbda, elliptical)
        start = _initial_slice(s, fwhm, beta, spaxel_area)
        shape = [fwhm, beta] + (_initial_ellipse(s, start, fwhm)
                                if elliptical else [])
        p0 = np.array(start + shape)
        result = _solve(p0, layout, [s], spaxel_area, clip, solver)
        cov, chi2 = _covariance(result, layout.size)
        v, e = _slice_values(result.x, cov, layout, 0)
        values.append(v)
        errors.append(e)
        rchi2.append(chi2)
    return values, errors, {"rchi2": rchi2}


def _fit_linear(samples, lambdas, free, spaxel_area, clip, elliptical=False,
                solver=PIXTABLE_STAR_SOLVER):
    """The joint fit with a FWHM linear in wavelength, started from the
    slices' independent fits."""
    lambda_ref = float(np.mean(lambdas))
    layout = _Layout(len(samples), "linear", lambdas, lambda_ref, elliptical)
    fwhms = np.array([v["fwhm"] for v in free])
    slope, ref = np.polyfit(lambdas - lambda_ref, fwhms, 1)
    p0 = [ref, slope, float(np.median([v["beta"] for v in free]))]
    if elliptical:
        p0 += _mean_ellipse(free)
    for v in free:
        p0 += [v[name] for name in _SLICE_PARAMS]
    result = _solve(np.array(p0), layout, samples, spaxel_area, clip, solver)
    cov, rchi2 = _covariance(result, layout.size)
    values, errors = zip(*[_slice_values(result.x, cov, layout, i)
                           for i in range(len(samples))])
    p, sd = result.x, np.sqrt(np.diag(cov))
    info = {"rchi2": [rchi2] * len(samples), "lambda_ref": lambda_ref,
            "fwhm_ref": p[0], "fwhm_ref_err": sd[0], "fwhm_slope": p[1],
            "fwhm_slope_err": sd[1], "beta": p[2], "beta_err": sd[2]}
    if elliptical:
        for name in _ELLIPSE_PARAMS:
            info[name], info[name + "_err"] = values[0][name], errors[0][name]
    return list(values), list(errors), info


def _mean_ellipse(fits):
    """The median e and the mean axis (theta modulo 180) of the slices' fits."""
    doubled = np.radians(2.0 * np.array([v["theta"] for v in fits]))
    theta = 0.5 * np.degrees(np.arctan2(np.sin(doubled).mean(), np.cos(doubled).mean()))
    return [float(np.median([v["e"] for v in fits])), float(theta % 180.0)]


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
    for name, at in zip(_SLICE_PARAMS + _ELLIPSE_PARAMS,
                        index[2:] + layout.ellipse_index(i)):
        values[name] = float(p[at])
        errors[name] = float(np.sqrt(cov[at, at]))
    if "theta" in values:
        values["theta"] %= 180.0        # an axis: theta and theta + 180 are one
    return values, errors
