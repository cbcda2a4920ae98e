"""The joint fit of all the bands of an exposure, on lmfit parameters.

One pointing offset (dx, dy) for the exposure, the Moffat FWHM and beta as
polynomials in MPDAF's normalised wavelength (``fwhm_c0``, ``fwhm_c1``,
..., ``beta_c0``, ...), and a flux scale and background per band
(``scale_<band>``, ``bg_<band>``); with an elliptical Moffat, its
ellipticity and position angle, shared by the bands (``e``, ``theta``) or
per band (``e_<band>``, ``theta_<band>``). The parameters are an
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
from ..fitting.solvers import LeastSquaresProblem, LevenbergMarquardt

__all__ = ["JointProblem", "band_parameter_name", "ELLIPTICITY_MODES"]

#: How the joint fit of an elliptical Moffat treats its ellipticity and
#: position angle: one of each for all the bands, or one of each per band.
ELLIPTICITY_MODES = ("constant", "per-band")
# The ellipticity's bounds (those of the image fit's elliptical model).
_E_BOUNDS = (0.0, 0.9)

# Refit after moving the HST images by whole pixels at most this often.
_MAX_REFITS = 2
# Levenberg-Marquardt: at most this many Jacobians.
_MAX_ITERATIONS = 30
# Converged when a step reduces the sum of squares by less than this, both
# achieved and predicted. The residuals are weighted to unit noise, so the
# reduction is the squared length of the step in units of the parameters'
# least-squares errors: 0.01 is a step of 0.1 of them (and about 0.02 of
# the larger sandwich errors), after which the distance left to the
# minimum is far smaller still (Gauss-Newton converges quadratically).
_DECREMENT = 0.01


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
    ellipticity : {None, "constant", "per-band"}
        For bands of elliptical Moffat mixtures
        (`~imphot_astropy.survey.bands.EllipticalMoffatMixture`): one
        ellipticity and position angle (``e``, ``theta``) for every band,
        or one per band (``e_<band>``, ``theta_<band>``). None for
        circular ones.

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

    def __init__(self, bands, fwhm_degree=1, beta_degree=0, ellipticity=None):
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
        self.ellipticity = ellipticity
        self.shape_names = self._shape_names(ellipticity)
        for band in self.bands:
            self.names += [n for n in self.shape_names[band.name] if n not in self.names]
        for band in self.bands:
            self.names += [band_parameter_name("scale", band.name),
                           band_parameter_name("bg", band.name)]

    def _shape_names(self, ellipticity):
        """Band -> the lmfit names of its (e, theta), or () if circular."""
        if ellipticity is not None and ellipticity not in ELLIPTICITY_MODES:
            raise UserError(f"ellipticity: expected one of {', '.join(ELLIPTICITY_MODES)},"
                            f" not {ellipticity!r}")
        if ellipticity == "per-band":
            return {b.name: (band_parameter_name("e", b.name),
                             band_parameter_name("theta", b.name)) for b in self.bands}
        return {b.name: ("e", "theta") if ellipticity else () for b in self.bands}

    def initial_parameters(self, single):
        """lmfit Parameters started from the single-band fits.

        Parameters
        ----------
        single : dict
            Band name -> dict of its fitted ``scale``, ``bg``, ``dx``,
            ``dy``, ``fwhm``, ``beta`` (and optionally ``*_err``), and
            ``e``, ``theta`` for an elliptical Moffat.

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
        self._add_shape_parameters(params, values)
        for band, v in zip(self.bands, values):
            params.add(band_parameter_name("scale", band.name), value=v["scale"])
            params.add(band_parameter_name("bg", band.name), value=v["bg"])
        return params

    def _add_shape_parameters(self, params, values):
        """The (e, theta) parameters, started from the single-band fits.

        Shared ones start at the mean ellipticity and the mean position
        angle taken as an axis (the mean direction of 2 theta, halved: 179
        and 1 degree average to 0, not 90).
        """
        if not self.ellipticity:
            return
        groups = {}
        for band, v in zip(self.bands, values):
            groups.setdefault(self.shape_names[band.name], []).append(v)
        for (e_name, theta_name), group in groups.items():
            doubled = np.deg2rad(2.0 * np.array([v["theta"] for v in group]))
            theta = 0.5 * np.rad2deg(np.arctan2(np.sin(doubled).mean(), np.cos(doubled).mean()))
            e = float(np.clip(np.mean([v["e"] for v in group]), *_E_BOUNDS))
            params.add(e_name, value=e, min=_E_BOUNDS[0], max=_E_BOUNDS[1])
            params.add(theta_name, value=float(theta % 180.0))

    def _unpack(self, params):
        value = {name: float(params[name].value) for name in self.names}
        fwhm = [value[n] for n in self.fwhm_names]
        beta = [value[n] for n in self.beta_names]
        return value, fwhm, beta

    def _band_arguments(self, value, band):
        return (value[band_parameter_name("scale", band.name)],
                value[band_parameter_name("bg", band.name)], value["dx"], value["dy"])

    def band_shape(self, value, band):
        """The band's (e, theta) from the parameter values (() if circular)."""
        return tuple(value[n] for n in self.shape_names[band.name])

    def band_residuals(self, params):
        """Each band's noise-weighted residual (model - data) / sigma."""
        value, fwhm, beta = self._unpack(params)
        parts = []
        for band in self.bands:
            model, _ = band.evaluate(*self._band_arguments(value, band), fwhm, beta,
                                     shape=self.band_shape(value, band))
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
                                       beta_coeffs, jacobian="all" if beta else True,
                                       shape=self.band_shape(value, band))
            columns[band_parameter_name("scale", band.name)] = columns.pop("scale")
            columns[band_parameter_name("bg", band.name)] = columns.pop("bg")
            for own, name in zip(("e", "theta"), self.shape_names[band.name]):
                columns[name] = columns.pop(own)
            names = list(columns)
            out.append((names, np.stack([columns[n] for n in names]) / band.sigma))
        return out

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
        trial, and the chain rule through them is applied to the band
        Jacobians. The solver is
        `~imphot_astropy.fitting.solvers.LevenbergMarquardt`, on this
        problem's band residuals and Jacobians as the parts of a
        `~imphot_astropy.fitting.solvers.LeastSquaresProblem`.

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
        if not any(params[n].vary for n in params):
            raise UserError("joint parameters: every parameter is fixed; nothing to fit")
        unknown = [n for n in self.names if n not in params]
        if unknown:
            raise UserError(f"joint parameters: missing {unknown}")
        problem = LeastSquaresProblem.from_parts(
            params, self.band_residuals,
            lambda p, transform: self.band_jacobians(p, self._beta_varies(transform)),
            model_names=self.names)
        solver = LevenbergMarquardt(max_iterations=max_iterations, decrement=decrement)
        result = solver.solve(problem).info
        result.band_residuals = result.residual_parts
        return result

    def fit_with_refits(self, params):
        """Fit; if the offsets moved the images by a pixel or more, shift and refit.

        Each refit starts from the last joint result (the offsets keep
        their meaning in arcsec when the HST images move by whole pixels),
        at most ``_MAX_REFITS`` times.

        Returns
        -------
        result : `lmfit.minimizer.MinimizerResult`
            The last fit's (see `fit`).
        refits : int
            How many refits were made.
        """
        return _fit_with_refits(self.fit, params, self._shift_if_moved, _MAX_REFITS)

    def _shift_if_moved(self, result):
        """Move each band's HST image by the whole pixels the offsets moved it."""
        dx, dy = result.params["dx"].value, result.params["dy"].value
        moved = False
        for band in self.bands:
            x, y = dx / band.pixel_scales[0], dy / band.pixel_scales[1]
            if abs(x - band.shift[0]) >= 1.0 or abs(y - band.shift[1]) >= 1.0:
                band.set_shift((int(np.floor(x + 0.5)), int(np.floor(y + 0.5))))
                moved = True
        return moved


def _fit_with_refits(fit, params, shift_if_moved, max_refits):
    """Fit; while the result moved the data by a whole pixel or more, shift and refit.

    Each refit starts from the last result (after a whole-pixel shift of
    the data the fitted offsets keep their meaning, so the last result is
    the closest start there is).

    Parameters
    ----------
    fit : callable
        ``fit(params)`` returns a result with ``params``.
    params : `lmfit.Parameters`
        The first fit's start.
    shift_if_moved : callable
        ``shift_if_moved(result)``: shift the data by the whole pixels the
        result moved them, and say whether it did (then a refit follows).
        Not called after the last allowed refit.
    max_refits : int
        The most refits.

    Returns
    -------
    result : object
        The last fit's result.
    refits : int
        How many refits were made.

    Examples
    --------
    A "fit" that moves the data once:

    >>> import types
    >>> moves = [True, False]
    >>> fit = lambda params: types.SimpleNamespace(params=params + 1)
    >>> result, refits = _fit_with_refits(fit, 0, lambda r: moves.pop(0), max_refits=2)
    >>> result.params, refits  # the refit started from the first result
    (2, 1)
    """
    for refit in range(max_refits + 1):
        result = fit(params)
        if refit == max_refits or not shift_if_moved(result):
            return result, refit
        params = result.params
    raise AssertionError("unreachable")  # pragma: no cover
