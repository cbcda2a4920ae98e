"""The joint fit of all the bands of an exposure, on lmfit parameters.

One pointing offset (dx, dy) for the exposure, the Moffat FWHM and beta as
polynomials in MPDAF's normalised wavelength (``fwhm_c0``, ``fwhm_c1``,
..., ``beta_c0``, ...), and a flux scale and background per band
(``scale_<band>``, ``bg_<band>``). The parameters are an
`lmfit.Parameters`, so a caller can fix, bound or tie any of them with an
expression. Each band's residual is divided by its noise (the RMS of its
single-band fit's residual), so that noisier bands weigh less. The
Jacobian is analytic: each band contributes its Fourier-model derivatives,
and the chain rule through the polynomials is applied on the radial table.
The minimiser is a Levenberg-Marquardt on the normal equations accumulated
band by band (see `JointProblem.fit` for why not lmfit's MINPACK), and the
result is an `lmfit.minimizer.MinimizerResult`, so lmfit's report and
parameter machinery apply; the uncertainties are the sandwich of
`~imphot_astropy.survey.joint_covariance`.
"""

import re

import numpy as np
import lmfit

from ..exceptions import UserError
from ..core.fourier_model import MAX_BETA

__all__ = ["JointProblem", "band_parameter_name"]

# Refit after moving the HST images by whole pixels at most this often.
_MAX_REFITS = 2
# Levenberg-Marquardt: at most this many Jacobians; the damping of the
# column-scaled normal equations starts near Gauss-Newton (the start, from
# the single-band fits, is close) and stays within these limits.
_MAX_ITERATIONS = 30
_INITIAL_DAMPING = 1e-4
_MIN_DAMPING = 1e-9
_MAX_DAMPING = 1e10
# Converged when a step reduces the sum of squares by less than this, both
# achieved and predicted. The residuals are weighted to unit noise, so the
# reduction is the squared length of the step in units of the parameters'
# least-squares errors: 0.01 is a step of 0.1 of them (and about 0.02 of
# the larger sandwich errors), after which the distance left to the
# minimum is far smaller still (Gauss-Newton converges quadratically).
_DECREMENT = 0.01


def _sum_of_squares(parts):
    return float(sum(np.dot(r, r) for r in parts))


def _damped_step(normal, gradient, damping):
    """The Levenberg-Marquardt step and its predicted reduction of the cost.

    ``(N + damping diag(N)) step = -g`` with ``N = J^T J``, ``g = J^T r``,
    solved on unit-scaled columns; a pseudo-inverse keeps parameters that
    the data do not constrain at rest.
    """
    scale = np.sqrt(np.diag(normal))
    scale = np.where(scale > 0, scale, 1.0)
    scaled = normal / np.outer(scale, scale)
    system = scaled + damping * np.eye(len(scale))
    step = -(np.linalg.pinv(system, rcond=1e-12, hermitian=True) @ (gradient / scale))
    step = step / scale
    predicted = -(2.0 * gradient @ step + step @ normal @ step)
    return step, float(predicted)


def band_parameter_name(prefix, band):
    """The lmfit name of a band's parameter: ``scale_F606W``, ``bg_F606W``.

    Examples
    --------
    >>> band_parameter_name("scale", "ACS-WFC F606W")
    'scale_ACS_WFC_F606W'
    """
    return f"{prefix}_{re.sub(r'[^0-9A-Za-z_]', '_', str(band))}"


class JointProblem:
    """The residual and Jacobian of the joint fit of several bands.

    Parameters
    ----------
    bands : list of `~imphot_astropy.survey.bands.BandProblem`
        One per band, with ``sigma`` set.
    fwhm_degree, beta_degree : int
        The degrees of the FWHM and beta polynomials.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> from imphot_astropy.survey.bands import BandProblem
    >>> hst, muse, truth = make_synthetic_pair(shape=(50, 50), seed=2)
    >>> band = BandProblem("V", hst, muse, [6000.0], [1.0], {}, (5000, 9000))
    >>> joint = JointProblem([band], fwhm_degree=0, beta_degree=0)
    >>> params = joint.initial_parameters({"V": dict(scale=1.2, bg=0.05, dx=0.06,
    ...     dy=-0.04, fwhm=0.65, beta=2.5)})
    >>> result = joint.fit(params)
    >>> round(result.params["fwhm_c0"].value, 2), round(result.params["dx"].value, 2)
    (0.65, 0.06)
    """

    def __init__(self, bands, fwhm_degree=1, beta_degree=0):
        if not bands:
            raise UserError("hst_images: no band to fit")
        for argname, degree in (("fwhm_degree", fwhm_degree), ("beta_degree", beta_degree)):
            if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) \
                    or degree < 0:
                raise UserError(f"{argname}: expected an integer >= 0, not {degree!r}")
        self.bands = list(bands)
        self.fwhm_names = [f"fwhm_c{j}" for j in range(fwhm_degree + 1)]
        self.beta_names = [f"beta_c{j}" for j in range(beta_degree + 1)]
        self.names = ["dx", "dy"] + self.fwhm_names + self.beta_names
        for band in self.bands:
            self.names += [band_parameter_name("scale", band.name),
                           band_parameter_name("bg", band.name)]

    def initial_parameters(self, single):
        """lmfit Parameters started from the single-band fits.

        Parameters
        ----------
        single : dict
            Band name -> dict of its fitted ``scale``, ``bg``, ``dx``,
            ``dy``, ``fwhm``, ``beta`` (and optionally ``*_err``).

        Returns
        -------
        params : `lmfit.Parameters`
        """
        params = lmfit.Parameters()
        values = [single[b.name] for b in self.bands]
        weights = np.array([1.0 / max(v.get("dx_err") or 1.0, 1e-6) ** 2 for v in values])
        for name in ("dx", "dy"):
            start = float(np.sum(weights * [v[name] for v in values]) / weights.sum())
            params.add(name, value=start)
        ls = np.array([float(np.sum(b.node_l * b.node_weights)) for b in self.bands])
        for prefix, names in (("fwhm", self.fwhm_names), ("beta", self.beta_names)):
            degree = min(len(names) - 1, len(self.bands) - 1)
            y = np.array([v[prefix] for v in values])
            coeffs = np.zeros(len(names))
            coeffs[:degree + 1] = np.polynomial.polynomial.polyfit(ls, y, degree)
            for name, value in zip(names, coeffs):
                params.add(name, value=float(value))
        params["fwhm_c0"].min = 0.05
        params["beta_c0"].set(min=1.01, max=MAX_BETA)
        for band, v in zip(self.bands, values):
            params.add(band_parameter_name("scale", band.name), value=v["scale"])
            params.add(band_parameter_name("bg", band.name), value=v["bg"])
        return params

    def _unpack(self, params):
        value = {name: float(params[name].value) for name in self.names}
        fwhm = [value[n] for n in self.fwhm_names]
        beta = [value[n] for n in self.beta_names]
        return value, fwhm, beta

    def _band_arguments(self, value, band):
        return (value[band_parameter_name("scale", band.name)],
                value[band_parameter_name("bg", band.name)], value["dx"], value["dy"])

    def band_residuals(self, params):
        """Each band's noise-weighted residual (model - data) / sigma."""
        value, fwhm, beta = self._unpack(params)
        parts = []
        for band in self.bands:
            model, _ = band.evaluate(*self._band_arguments(value, band), fwhm, beta)
            parts.append((model - band.problem.data) / band.sigma)
        return parts

    def residual(self, params):
        """The concatenated noise-weighted residuals of all the bands."""
        return np.concatenate(self.band_residuals(params))

    def band_jacobians(self, params, beta=True):
        """Each band's derivatives of its weighted residual.

        Returns
        -------
        jacobians : list of (names, `numpy.ndarray`)
            Per band, the model parameters it depends on and the
            ``(len(names), npixels)`` derivatives by them (without the
            beta coefficients if ``beta`` is False).
        """
        value, fwhm, beta_coeffs = self._unpack(params)
        out = []
        for band in self.bands:
            _, columns = band.evaluate(*self._band_arguments(value, band), fwhm,
                                       beta_coeffs, jacobian="all" if beta else True)
            columns[band_parameter_name("scale", band.name)] = columns.pop("scale")
            columns[band_parameter_name("bg", band.name)] = columns.pop("bg")
            names = list(columns)
            out.append((names, np.stack([columns[n] for n in names]) / band.sigma))
        return out

    def _normal_equations(self, jacobians, residuals, transform):
        """``J^T J`` and ``J^T r`` in the varying parameters, band by band.

        Each band's block is small (its own parameters only), so the tall
        Jacobian of all the bands is never assembled.
        """
        index = {name: i for i, name in enumerate(self.names)}
        m = transform.shape[1]
        normal, gradient = np.zeros((m, m)), np.zeros(m)
        for (names, jac), res in zip(jacobians, residuals):
            t = transform[[index[n] for n in names]]
            normal += t.T @ (jac @ jac.T) @ t
            gradient += t.T @ (jac @ res)
        return normal, gradient

    def _varying_transform(self, params):
        """d(model parameters) / d(varying parameters), through expressions.

        Without expressions this selects columns; with them, each varying
        parameter is nudged and the constraints re-evaluated (they are cheap
        and usually linear), so ties made by the user are honoured.
        """
        varying = [n for n in params if params[n].vary]
        transform = np.zeros((len(self.names), len(varying)))
        if not any(params[n].expr for n in self.names):
            for j, name in enumerate(varying):
                if name in self.names:
                    transform[self.names.index(name), j] = 1.0
            return transform
        base = np.array([params[n].value for n in self.names])
        for j, name in enumerate(varying):
            step = 1e-6 * max(abs(params[name].value), 1e-3)
            original = params[name].value
            params[name].value = original + step
            params.update_constraints()
            transform[:, j] = (np.array([params[n].value for n in self.names]) - base) / step
            params[name].value = original
            params.update_constraints()
        return transform

    def _beta_varies(self, transform):
        index = [self.names.index(n) for n in self.beta_names]
        return bool(np.any(transform[index] != 0))

    def fit(self, params, max_iterations=_MAX_ITERATIONS, decrement=_DECREMENT):
        """Minimise the sum of squared weighted residuals (Levenberg-Marquardt).

        The fit starts from the single-band results (`initial_parameters`)
        and usually converges in two Jacobians. The Jacobians returned are
        those at the point before the last step, which is below the
        convergence tolerance. Bounds are kept by
        clipping each step; expressions are re-evaluated by lmfit at every
        trial, and the chain rule through them uses `_varying_transform`.

        Hand-written rather than lmfit's ``leastsq`` (MINPACK): MINPACK
        factorises the tall Jacobian of all the bands (several 1e5 rows)
        with an unblocked QR at every iteration, which cost as much as the
        model; here the normal equations are accumulated band by band with
        BLAS, with each column scaled to unit norm (the conditioning is
        then that of the correlations between parameters, harmless at the
        few tens of parameters of a joint fit).

        Parameters
        ----------
        params : `lmfit.Parameters`
            The starting values, bounds, fixed values and expressions (not
            modified).
        max_iterations : int
            The largest number of Jacobians.
        decrement : float
            Convergence: a step reduces the sum of squares of the weighted
            residuals by less than this, achieved and predicted.

        Returns
        -------
        result : `lmfit.minimizer.MinimizerResult`
            ``params`` (with sandwich uncertainties once
            `~imphot_astropy.survey.joint_covariance.joint_sandwich` is
            applied), ``var_names``, ``residual``, ``nfev``, ``chisqr``...
            and ``jacobians`` (see `band_jacobians`) at the last point where
            a Jacobian was computed, ``transform`` (model parameters by
            varying parameters) and ``band_residuals``.
        """
        from lmfit.minimizer import MinimizerResult

        if not any(params[n].vary for n in params):
            raise UserError("joint parameters: every parameter is fixed; nothing to fit")
        unknown = [n for n in self.names if n not in params]
        if unknown:
            raise UserError(f"joint parameters: missing {unknown}")
        params = params.copy()
        varying = [n for n in params if params[n].vary]
        init_values = {n: float(params[n].value) for n in varying}
        lower = np.array([params[n].min for n in varying], dtype=float)
        upper = np.array([params[n].max for n in varying], dtype=float)
        x = np.clip([params[n].value for n in varying], lower, upper)
        self._set(params, varying, x)
        residuals = self.band_residuals(params)
        cost = _sum_of_squares(residuals)
        nfev, njev, damping, converged = 1, 0, _INITIAL_DAMPING, False
        message = f"stopped after {max_iterations} Jacobians"
        while njev < max_iterations:
            transform = self._varying_transform(params)
            jacobians = self.band_jacobians(params, self._beta_varies(transform))
            njev += 1
            normal, gradient = self._normal_equations(jacobians, residuals, transform)
            while True:
                step, predicted = _damped_step(normal, gradient, damping)
                trial = np.clip(x + step, lower, upper)
                self._set(params, varying, trial)
                trial_residuals = self.band_residuals(params)
                nfev += 1
                trial_cost = _sum_of_squares(trial_residuals)
                if trial_cost <= cost:
                    break
                damping *= 10.0
                if damping > _MAX_DAMPING:
                    break
            if trial_cost > cost:
                # No step reduces the residuals: this point is the minimum
                # within the bounds, to rounding.
                self._set(params, varying, x)
                converged, message = True, "no step reduces the sum of squares"
                break
            reduction = cost - trial_cost
            x, residuals, cost = trial, trial_residuals, trial_cost
            damping = max(damping / 10.0, _MIN_DAMPING)
            if max(reduction, predicted) <= decrement:
                converged, message = True, "converged: the last step reduced the " \
                    f"sum of squares by {reduction:.2g}"
                break
        if not converged:
            transform = self._varying_transform(params)
            jacobians = self.band_jacobians(params, self._beta_varies(transform))
            njev += 1
        params.update_constraints()
        ndata = int(sum(r.size for r in residuals))
        nvarys = len(varying)
        with np.errstate(divide="ignore"):
            neg2_log_likel = ndata * np.log(cost / ndata)
        return MinimizerResult(
            method="Levenberg-Marquardt, normal equations (imphot_astropy)",
            params=params, var_names=varying, init_vals=[init_values[n] for n in varying],
            init_values=init_values, nfev=nfev, njev=njev, ndata=ndata, nvarys=nvarys,
            nfree=ndata - nvarys, chisqr=float(cost),
            redchi=float(cost) / max(ndata - nvarys, 1),
            aic=neg2_log_likel + 2 * nvarys, bic=neg2_log_likel + np.log(ndata) * nvarys,
            residual=np.concatenate(residuals), band_residuals=residuals,
            jacobians=jacobians, transform=transform, success=converged,
            message=message, covar=None, errorbars=False, aborted=False)

    @staticmethod
    def _set(params, names, values):
        for name, value in zip(names, values):
            params[name].value = float(value)
        params.update_constraints()

    def fit_with_refits(self, params):
        """Fit; if the offsets moved the images by a pixel or more, shift and refit."""
        for refit in range(_MAX_REFITS + 1):
            result = self.fit(params)
            dx, dy = result.params["dx"].value, result.params["dy"].value
            moved = False
            for band in self.bands:
                x, y = dx / band.pixel_scales[0], dy / band.pixel_scales[1]
                if abs(x - band.shift[0]) >= 1.0 or abs(y - band.shift[1]) >= 1.0:
                    band.set_shift((int(np.floor(x + 0.5)), int(np.floor(y + 0.5))))
                    moved = True
            if not moved or refit == _MAX_REFITS:
                return result, refit
                params = result.params
        return result, _MAX_REFITS
