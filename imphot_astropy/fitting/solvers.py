"""Least-squares solvers behind one interface: a problem, a solver, a result.

Every fit of the package minimises a sum of squared residuals. This module
separates *what* is minimised from *how*, as photutils separates a PSF
model from its fitter:

- `LeastSquaresProblem` says what: the parameters as an
  `lmfit.Parameters` (start value, ``min``/``max`` bounds, ``vary=False``
  for a fixed parameter, ``expr`` for one tied to others), a residual and,
  optionally, its Jacobian. A residual may come in parts (one per band of
  the survey's joint fit), each depending on a few parameters; a
  single-part problem is the common case. The callables receive the
  `lmfit.Parameters` with the trial values and the expressions evaluated,
  as lmfit's own ``minimize`` does.
- A `Solver` says how: ``solver.solve(problem)`` returns a
  `SolverResult`, and ``solver.name`` is what the fit reports print as
  their method.
- `SolverResult` holds the fitted value of every parameter (free, fixed and
  tied), the free names, the sum of squares, the number of residual
  evaluations, success, message, the residual and (if known) the Jacobian
  at the solution, in scipy's names (``fun``, ``jac``, ``x``), so that the
  package's covariance code reads it as it reads scipy's result.

The solvers are those the package's fits use:

- `ScipyLeastSquares`: `scipy.optimize.least_squares` (``trf``, ``dogbox``
  or ``lm``), with any of its options (tolerances, ``x_scale``); the image
  fit (dogbox) and the pixel-table star fit (trf, ``x_scale="jac"``).
- `LevenbergMarquardt`: the package's Levenberg-Marquardt on normal
  equations accumulated part by part (see
  ``imphot_astropy.fitting._levenberg_marquardt``); the survey's joint fit.
- `AstropyFitter`: any astropy non-linear least-squares fitter
  (`~astropy.modeling.fitting.TRFLSQFitter`,
  `~astropy.modeling.fitting.LMLSQFitter`,
  `~astropy.modeling.fitting.DogBoxLSQFitter`); the star fit (TRF).

The star fit keeps its astropy compound model (pixel integration, the
HST's band-limited Moffat, the elliptical Moffat: astropy models the
package exports), so every solver also has `Solver.fit_model`, which fits
an astropy model to data and returns the fitted copy with a
`SolverResult`. Generic solvers make a problem of the model
(`LeastSquaresProblem.from_model`: fixed parameters and bounds carried
over); `AstropyFitter` calls its fitter on the model itself, so the star
fit's default is exactly the ``TRFLSQFitter`` call it always made. The
other way round, `AstropyFitter.solve` wraps any problem as an astropy
model (bounds, fixed, and lmfit expressions as astropy ``tied``
callables, with the chain rule through them in the Jacobian, which
astropy's own fitters leave out), so the same problem can be handed to
each solver and their minima compared (``fitting/tests/test_solvers.py``).

Adding a solver is one small class: a `name` and a ``solve(problem)``
that minimises ``problem.residual_vector`` over ``problem.varying``
(start `LeastSquaresProblem.start`, bounds `LeastSquaresProblem.bounds`,
``problem.jacobian_matrix`` if it wants derivatives) and returns a
`SolverResult`.

Examples
--------
A straight line through three points, with its intercept bounded:

>>> import lmfit
>>> x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0])
>>> params = lmfit.Parameters()
>>> params.add("a", value=0.0, max=0.5)
>>> params.add("b", value=0.0)
>>> problem = LeastSquaresProblem(
...     params, lambda p: p["a"].value + p["b"].value * x - y,
...     jacobian=lambda p: np.stack([np.ones(3), x]))
>>> for solver in (ScipyLeastSquares("trf"), LevenbergMarquardt(decrement=1e-12),
...                AstropyFitter()):
...     result = solver.solve(problem)
...     print(f"{solver.name}: a={result.params['a'].value:.4f} "
...           f"b={result.params['b'].value:.4f}")
trust region reflective (scipy least_squares, trf): a=0.5000 b=2.3000
Levenberg-Marquardt, normal equations (imphot_astropy): a=0.5000 b=2.3000
trust region reflective (astropy TRFLSQFitter): a=0.5000 b=2.3000
"""

import numpy as np

from ..exceptions import UserError
from ._levenberg_marquardt import levenberg_marquardt, varying_transform

__all__ = ["LeastSquaresProblem", "SolverResult", "Solver", "ScipyLeastSquares",
           "LevenbergMarquardt", "AstropyFitter", "IMAGE_FIT_SOLVER", "STAR_FIT_SOLVER",
           "PIXTABLE_STAR_SOLVER", "SOLVERS", "named_solver", "check_solver",
           "resolve_solver"]

# The relative step of the forward differences that stand in for a missing
# Jacobian (the square root of the float64 resolution, as scipy's
# '2-point').
_DIFFERENCE_STEP = float(np.sqrt(np.finfo(float).eps))
# A solver that gives no covariance of its own (None is one: astropy's when
# the fit has too few degrees of freedom).
_NOT_GIVEN = object()


def _set_values(params, names, values):
    """Put the values of the named parameters into ``params``, then its expressions."""
    for name, value in zip(names, values):
        params[name].value = value
    params.update_constraints()


class LeastSquaresProblem:
    """What a least-squares fit minimises: parameters, residual, Jacobian.

    Parameters
    ----------
    params : `lmfit.Parameters`
        Start values, bounds (``min``, ``max``), fixed parameters
        (``vary=False``) and tied ones (``expr``). Copied.
    residual : callable
        ``residual(params)``: the residual vector (weighted as wanted)
        for the `lmfit.Parameters` given.
    jacobian : callable, optional
        ``jacobian(params)``: the ``(len(model_names), len(residual))``
        derivatives of the residual by the model parameters (astropy's
        ``fit_deriv`` layout); solvers that need one use forward
        differences without it.
    model_names : list of str, optional
        The parameters the Jacobian is written in (default: all of
        ``params``, in their order). The chain rule through tied
        parameters is the solvers' business.

    Attributes
    ----------
    params : `lmfit.Parameters`
    model_names : list of str
    residual_parts : callable
        ``residual_parts(params)``: the list of residual parts.
    jacobian_parts : callable or None
        ``jacobian_parts(params, transform)``: per part, ``(names, jac)``
        (see `from_parts`).

    Examples
    --------
    >>> import lmfit
    >>> params = lmfit.Parameters()
    >>> params.add("a", value=1.0)
    >>> params.add("b", expr="2 * a")
    >>> problem = LeastSquaresProblem(params, lambda p: np.array([p["a"].value,
    ...                                                         p["b"].value - 1.0]))
    >>> problem.varying, problem.residual_vector(problem.params).tolist()
    (['a'], [1.0, 1.0])
    """

    def __init__(self, params, residual, jacobian=None, model_names=None):
        self._residual = residual
        self._jacobian = jacobian
        self._setup(params, lambda p: [residual(p)],
                    None if jacobian is None else
                    (lambda p, transform: [(self.model_names, jacobian(p))]),
                    model_names)

    def _setup(self, params, residual_parts, jacobian_parts, model_names):
        self.params = params.copy()
        self.model_names = list(params) if model_names is None else list(model_names)
        self.residual_parts = residual_parts
        self.jacobian_parts = jacobian_parts
        unknown = [n for n in self.model_names if n not in self.params]
        if unknown:
            raise UserError(f"model_names: {unknown} are not among the parameters")

    @classmethod
    def from_parts(cls, params, residual_parts, jacobian_parts=None, model_names=None):
        """A problem whose residual is a list of parts.

        Parameters
        ----------
        params : `lmfit.Parameters`
            As for `LeastSquaresProblem`.
        residual_parts : callable
            ``residual_parts(params)``: a list of residual vectors.
        jacobian_parts : callable, optional
            ``jacobian_parts(params, transform)``: per part, ``(names,
            jac)``, the model parameters it depends on and the
            ``(len(names), len(part))`` derivatives by them. ``transform``
            (model parameters by varying parameters, see
            ``_levenberg_marquardt.varying_transform``) lets a caller skip
            derivatives nobody needs.
        model_names : list of str, optional
            The parameters the parts' Jacobians are written in.

        Returns
        -------
        problem : `LeastSquaresProblem`
        """
        problem = cls.__new__(cls)
        problem._residual = problem._jacobian = None
        problem._setup(params, residual_parts, jacobian_parts, model_names)
        return problem

    @classmethod
    def from_vector(cls, residual, x0, bounds=(-np.inf, np.inf), jacobian=None, args=(),
                    names=None):
        """A problem written as scipy's ``least_squares`` takes it.

        Parameters
        ----------
        residual : callable
            ``residual(x, *args)`` with ``x`` the vector of parameters.
        x0 : array-like
            The start.
        bounds : 2-tuple of float or array-like
            Lower and upper bounds.
        jacobian : callable, optional
            ``jacobian(x, *args)``: the ``(len(residual), len(x))``
            derivatives (scipy's layout).
        args : tuple
            More arguments of both callables.
        names : list of str, optional
            The parameters' names (default ``p0``, ``p1``...).

        Returns
        -------
        problem : `LeastSquaresProblem`

        Examples
        --------
        >>> problem = LeastSquaresProblem.from_vector(lambda x: x - 3.0, [0.0], (-1.0, 2.0))
        >>> result = ScipyLeastSquares().solve(problem)  # the minimum at the upper bound
        >>> result.x.round(6).tolist(), float(result.params["p0"].max)
        ([2.0], 2.0)
        """
        import lmfit

        x0 = np.asarray(x0, dtype=float)
        names = [f"p{i}" for i in range(x0.size)] if names is None else list(names)
        lower, upper = (np.broadcast_to(np.asarray(b, dtype=float), x0.shape)
                        for b in bounds)
        params = lmfit.Parameters()
        for name, value, low, high in zip(names, x0, lower, upper):
            params.add(name, value=value, min=low, max=high)

        def vector(p):
            return np.array([p[n].value for n in names])

        def vector_jacobian(p):
            # Back to scipy's layout (a view) in jacobian_matrix.
            return jacobian(vector(p), *args).T

        return cls(params, lambda p: residual(vector(p), *args),
                   None if jacobian is None else vector_jacobian)

    @classmethod
    def from_model(cls, model, inputs, data, hold_tied=False):
        """The problem of fitting an astropy model to data: ``model(*inputs) - data``.

        Fixed parameters stay fixed; bounds are carried over; the model's
        ``fit_deriv``, if it has one, is the Jacobian. A parameter tied by
        a callable cannot become an lmfit expression: tie it in the
        `lmfit.Parameters` of a problem instead.

        Parameters
        ----------
        model : `astropy.modeling.FittableModel`
            Not modified.
        inputs : tuple of `numpy.ndarray`
            The model's inputs (coordinates).
        data : `numpy.ndarray`
            The values to fit.
        hold_tied : bool
            Hold a parameter tied by a callable at its value (to describe a
            fitted model) instead of raising a `UserError`.

        Returns
        -------
        problem : `LeastSquaresProblem`

        Examples
        --------
        >>> from astropy.modeling.models import Gaussian1D
        >>> x = np.linspace(-3, 3, 31)
        >>> model = Gaussian1D(1.0, 0.2, 1.0, fixed={"stddev": True})
        >>> problem = LeastSquaresProblem.from_model(model, (x,), 2.0 * np.exp(-x**2 / 2))
        >>> problem.varying
        ['amplitude', 'mean']
        """
        import lmfit

        names = list(model.param_names)
        params = lmfit.Parameters()
        for name in names:
            parameter = getattr(model, name)
            if parameter.tied and not hold_tied:
                raise UserError(f"model: parameter {name!r} is tied by a callable; tie it "
                                "with an lmfit expression in a LeastSquaresProblem")
            fixed = bool(parameter.fixed) or bool(parameter.tied)
            # A fixed parameter keeps its value: lmfit would clip it to bounds.
            low = -np.inf if fixed or parameter.min is None else parameter.min
            high = np.inf if fixed or parameter.max is None else parameter.max
            params.add(name, value=float(parameter.value), vary=not fixed, min=low, max=high)
        inputs = tuple(inputs)

        def values(p):
            # numpy scalars, as astropy's fitters pass them to evaluate().
            return np.array([p[n].value for n in names])

        def residual(p):
            return model.evaluate(*inputs, *values(p)) - data

        def jacobian(p):
            derivatives = np.asarray(model.fit_deriv(*inputs, *values(p)))
            return derivatives if model.col_fit_deriv else derivatives.T

        return cls(params, residual, None if model.fit_deriv is None else jacobian)

    @property
    def varying(self):
        """The names of the free parameters (neither fixed nor tied)."""
        return [n for n in self.params if self.params[n].vary]

    def start(self):
        """The free parameters' start values, within their bounds."""
        lower, upper = self.bounds()
        return np.clip([self.params[n].value for n in self.varying], lower, upper)

    def bounds(self):
        """The free parameters' lower and upper bounds (infinite if none)."""
        varying = self.varying
        return (np.array([self.params[n].min for n in varying], dtype=float),
                np.array([self.params[n].max for n in varying], dtype=float))

    def check_free(self):
        """Raise a `UserError` if no parameter is free."""
        if not self.varying:
            raise UserError("params: every parameter is fixed or tied; nothing to fit")

    def residual_vector(self, params):
        """The residual (all parts, concatenated) at ``params``."""
        if self._residual is not None:
            return self._residual(params)
        return np.concatenate(self.residual_parts(params))

    def jacobian_matrix(self, params):
        """The derivatives of `residual_vector` by the free parameters at ``params``.

        Returns
        -------
        jac : (len(residual), len(varying)) `numpy.ndarray`
            scipy's layout; through expressions by the chain rule; by
            forward differences if the problem has no Jacobian.
        """
        if self.jacobian_parts is None:
            return self._differences(params)
        varying = [n for n in params if params[n].vary]
        if self._jacobian is not None and not any(params[n].expr for n in self.model_names) \
                and all(n in self.model_names for n in varying):
            # The common case: select the free rows (exactly the arrays a
            # direct scipy call would be given).
            jac = np.asarray(self._jacobian(params))
            rows = [self.model_names.index(n) for n in varying]
            return jac.T if rows == list(range(len(self.model_names))) else jac[rows].T
        transform = varying_transform(params, self.model_names)
        index = {name: i for i, name in enumerate(self.model_names)}
        blocks = [np.asarray(jac).T @ transform[[index[n] for n in names]]
                  for names, jac in self.jacobian_parts(params, transform)]
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)

    def _differences(self, params):
        """Forward differences of the residual by the free parameters."""
        work = params.copy()
        base = np.array(self.residual_vector(work), dtype=float)
        columns = []
        for name in [n for n in work if work[n].vary]:
            value = work[name].value
            step = _DIFFERENCE_STEP * max(abs(value), 1.0)
            step = -step if value + step > work[name].max else step
            _set_values(work, [name], [value + step])
            columns.append((self.residual_vector(work) - base) / step)
            _set_values(work, [name], [value])
        return np.stack(columns, axis=1)

    def difference_jacobian_parts(self, params, transform=None):
        """`jacobian_parts` by forward differences, in the free parameters."""
        jac = self._differences(params)
        sizes = [len(r) for r in self.residual_parts(params)]
        varying = [n for n in params if params[n].vary]
        return [(varying, part.T) for part in np.split(jac, np.cumsum(sizes)[:-1])]


class SolverResult:
    """The minimum a solver found.

    Attributes
    ----------
    solver : str
        The solver's `Solver.name`.
    params : `lmfit.Parameters`
        Every parameter at the minimum (fixed ones as given, tied ones
        evaluated).
    free_names : list of str
        The free parameters, in the order of ``x`` and ``jac``'s columns.
    x : `numpy.ndarray`
        The free parameters' values.
    fun : `numpy.ndarray`
        The residual at the minimum.
    cost : float
        The sum of squared residuals (lmfit's ``chisqr``; twice scipy's
        ``cost``).
    nfev : int
        The number of residual evaluations.
    success : bool
    message : str
    jac : `numpy.ndarray` or None
        The ``(len(fun), len(free_names))`` Jacobian at the minimum, where
        the solver knows it (computed on first use if the solver said how).
    info : object
        The solver's own record (scipy's ``OptimizeResult``, lmfit's
        ``MinimizerResult``, astropy's ``fit_info``).

    Examples
    --------
    A line through four points, the intercept held at 1:

    >>> import lmfit
    >>> x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.1, 2.9, 5.2, 6.8])
    >>> params = lmfit.Parameters()
    >>> params.add("a", value=1.0, vary=False)
    >>> params.add("b", value=0.0)
    >>> problem = LeastSquaresProblem(params, lambda p: p["a"].value + p["b"].value * x - y)
    >>> result = ScipyLeastSquares("trf").solve(problem)
    >>> result.free_names, round(float(result.params["b"].value), 4), result.params["a"].value
    (['b'], 1.9786, 1.0)
    >>> round(float(np.sqrt(result.covariance()[0, 0])), 4)
    0.0472
    """

    def __init__(self, solver, params, free_names, fun, nfev, success, message, jac=None,
                 info=None, covariance=_NOT_GIVEN):
        self.solver = solver
        self.params = params
        self.free_names = list(free_names)
        self.x = np.array([params[n].value for n in self.free_names])
        self.fun = fun
        self.cost = float(np.dot(fun, fun))
        self.nfev = nfev
        self.success = bool(success)
        self.message = message
        self._jac = jac
        self.info = info
        # Whether the solver gave its own covariance (a flag rather than the
        # sentinel itself, which a pickled copy would not recognise).
        self._own_covariance = covariance is not _NOT_GIVEN
        self._covariance = covariance if self._own_covariance else None

    @property
    def jac(self):
        if callable(self._jac):
            self._jac = self._jac()
        return self._jac

    def covariance(self):
        """The free parameters' least-squares covariance.

        ``(J^T J)^-1`` scaled by the reduced chi-square (astropy's
        ``param_cov``; the solver's own where it gives one).
        """
        if self._own_covariance:
            return self._covariance
        if self.jac is None:
            raise UserError(f"solver: {self.solver} gave no Jacobian at its minimum, so "
                            "no covariance (give SolverResult its jac)")
        jac = np.asarray(self.jac)
        dof = max(jac.shape[0] - jac.shape[1], 1)
        # On unit-scaled columns: parameters of very different sizes (a flux
        # of 1e4 and a FWHM slope of 1e-5 per Angstrom) make J^T J too
        # ill-conditioned to invert as it is.
        norms = np.sqrt(np.sum(jac**2, axis=0))
        norms = np.where(norms > 0, norms, 1.0)
        scaled = jac / norms
        return np.linalg.pinv(scaled.T @ scaled) / np.outer(norms, norms) * self.cost / dof

    def __getstate__(self):
        # A Jacobian still to be computed is a closure over the problem,
        # whose callables (often lambdas) cannot be pickled: compute it
        # before the result leaves the process.
        state = dict(self.__dict__)
        state["_jac"] = self.jac
        return state

    def __repr__(self):
        values = ", ".join(f"{n}={self.params[n].value:.6g}" for n in self.params)
        return f"<SolverResult {self.solver}: {values}; cost {self.cost:.6g}>"


class Solver:
    """A least-squares solver: a `name` for the reports and ``solve(problem)``.

    Subclasses implement `solve`; `fit_model` then works for them too.

    Examples
    --------
    A new solver is one small class. Here, plain Gauss-Newton steps (no
    bounds, no damping), for a problem that is linear in its parameters:

    >>> import lmfit
    >>> class GaussNewton(Solver):
    ...     name = "Gauss-Newton"
    ...     def solve(self, problem):
    ...         params, names = problem.params.copy(), problem.varying
    ...         x = problem.start()
    ...         for _ in range(3):
    ...             for name, value in zip(names, x):
    ...                 params[name].value = value
    ...             jac = problem.jacobian_matrix(params)
    ...             step = np.linalg.lstsq(jac, -problem.residual_vector(params), rcond=None)[0]
    ...             x = x + step
    ...         for name, value in zip(names, x):
    ...             params[name].value = value
    ...         return SolverResult(self.name, params, names, problem.residual_vector(params),
    ...                             3, True, "3 steps", jac=jac)
    >>> x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0])
    >>> params = lmfit.Parameters()
    >>> params.add("a", value=0.0)
    >>> params.add("b", value=0.0)
    >>> problem = LeastSquaresProblem(params, lambda p: p["a"].value + p["b"].value * x - y,
    ...                               jacobian=lambda p: np.stack([np.ones(3), x]))
    >>> result = GaussNewton().solve(problem)
    >>> round(float(result.params["a"].value), 6), round(float(result.params["b"].value), 6)
    (1.0, 2.0)
    """

    #: The method as the fit reports print it.
    name = "least squares"

    def solve(self, problem):
        """Minimise ``problem``'s sum of squares.

        Parameters
        ----------
        problem : `LeastSquaresProblem`

        Returns
        -------
        result : `SolverResult`
        """
        raise NotImplementedError

    def fit_model(self, model, inputs, data):
        """Fit an astropy model to data (``model(*inputs) - data``).

        Parameters
        ----------
        model : `astropy.modeling.FittableModel`
            The start; not modified.
        inputs : tuple of `numpy.ndarray`
        data : `numpy.ndarray`

        Returns
        -------
        fitted : `astropy.modeling.FittableModel`
            A copy with the fitted values.
        result : `SolverResult`
        """
        result = self.solve(LeastSquaresProblem.from_model(model, inputs, data))
        fitted = model.copy()
        for name in result.free_names:
            getattr(fitted, name).value = result.params[name].value
        return fitted, result

    def __repr__(self):
        return f"<{type(self).__name__}: {self.name}>"


_SCIPY_METHODS = {"trf": "trust region reflective", "dogbox": "dogleg trust region",
                  "lm": "Levenberg-Marquardt, MINPACK"}


# least_squares' arguments that the solver sets from the problem itself.
_SET_BY_SOLVE = ("fun", "x0", "jac", "bounds", "method", "args", "kwargs")
# Its options that must be positive numbers (or None: scipy's default),
# and those that must be positive integers.
_POSITIVE_OPTIONS = ("xtol", "ftol", "gtol", "diff_step", "f_scale")
_COUNT_OPTIONS = ("max_nfev",)


def _positive(value, integer=False):
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    return (isinstance(value, kinds) and not isinstance(value, (bool, np.bool_))
            and value > 0)


def _check_scipy_options(options):
    """Refuse, when the solver is made, options least_squares would reject mid-fit.

    Examples
    --------
    >>> _check_scipy_options({"xtol": 1e-10, "max_nfev": 200})
    >>> _check_scipy_options({"jac": "3-point"})
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: jac: ScipyLeastSquares sets it from the problem; ...
    """
    for name, value in options.items():
        if name in _SET_BY_SOLVE:
            raise UserError(f"{name}: ScipyLeastSquares sets it from the problem; give "
                            "only least_squares' tolerances and options")
        if name in _POSITIVE_OPTIONS and value is not None and not _positive(value):
            raise UserError(f"{name}: expected a positive number or None, not {value!r}")
        if name in _COUNT_OPTIONS and value is not None and not _positive(value, True):
            raise UserError(f"{name}: expected a positive integer or None, not {value!r}")


class ScipyLeastSquares(Solver):
    """`scipy.optimize.least_squares` on the free parameters.

    Parameters
    ----------
    method : {'trf', 'dogbox', 'lm'}
        scipy's method ('lm' takes no bounds).
    unbounded : bool
        With 'lm' on a problem with bounds: solve without them (the
        residual sees the parameters clipped to them, as
        `lmfit.Parameters` hold values) and report a minimum found beyond
        them as a failure (``success`` False, the message naming the
        parameters), instead of refusing the problem. For problems whose
        bounds only keep a fit from wandering into nonsense (a FWHM below
        0), with the minimum well inside. (With an analytic Jacobian, which
        ignores the clipping, a minimum on a bound is missed by errors.)
    **options
        Passed to ``least_squares``: ``xtol``, ``ftol``, ``gtol``,
        ``x_scale``, ``max_nfev``...

    Examples
    --------
    >>> ScipyLeastSquares("dogbox", xtol=1e-10, max_nfev=200).name
    'dogleg trust region (scipy least_squares, dogbox)'
    """

    def __init__(self, method="trf", unbounded=False, **options):
        if method not in _SCIPY_METHODS:
            raise UserError(f"method: expected one of {sorted(_SCIPY_METHODS)}, "
                            f"got {method!r}")
        _check_scipy_options(options)
        self.method, self.options, self.unbounded = method, options, bool(unbounded)
        self.name = f"{_SCIPY_METHODS[method]} (scipy least_squares, {method})"

    def solve(self, problem):
        from scipy.optimize import least_squares

        problem.check_free()
        params, names = problem.params.copy(), problem.varying
        bounds = problem.bounds()
        bounded = self.method == "lm" and np.isfinite(bounds).any()
        if bounded and not self.unbounded:
            raise UserError("params: scipy's 'lm' method takes no bounds; use 'trf' or "
                            "'dogbox'")

        def residual(x):
            _set_values(params, names, x)
            return problem.residual_vector(params)

        def jacobian(x):
            _set_values(params, names, x)
            return problem.jacobian_matrix(params)

        info = least_squares(residual, problem.start(),
                             bounds=(-np.inf, np.inf) if bounded else bounds,
                             jac="2-point" if problem.jacobian_parts is None else jacobian,
                             method=self.method, **self.options)
        _set_values(params, names, info.x)
        success, message = info.success, info.message
        outside = [n for n, v, low, high in zip(names, info.x, *bounds)
                   if not low <= v <= high]
        if bounded and outside:
            success = False
            message = (f"the minimum lies outside the bounds of {', '.join(outside)}, "
                       f"where the values are clipped (scipy's 'lm' takes no bounds: "
                       f"use a solver that does); {message}")
        return SolverResult(self.name, params, names, info.fun, info.nfev, success,
                            message, jac=info.jac, info=info)


class LevenbergMarquardt(Solver):
    """The package's Levenberg-Marquardt on normal equations built part by part.

    See ``imphot_astropy.fitting._levenberg_marquardt`` (why hand-written:
    `imphot_astropy.survey.joint.JointProblem.fit`). Bounds hold a
    parameter at the bound it would cross, expressions are honoured by the
    chain rule. Without a Jacobian, forward differences stand in.

    Parameters
    ----------
    max_iterations : int
        The most Jacobians.
    decrement : float
        Converged when a step lowers the sum of squares by less than this
        (achieved and predicted): for residuals weighted to unit noise,
        the squared length of the step in units of the errors. It is in
        the residual's units squared: for residuals not weighted by their
        noise, multiply it by the noise variance.
    name : str
        The method as reports print it.
    relative : bool
        ``decrement`` in units of the reduced chi-square (the sum of
        squares per degree of freedom, an estimate of the noise variance
        of residuals not weighted by it), so that one setting serves
        residuals of any units: the image fit's fluxes, the star fit's
        pixels divided by the star's peak.

    Examples
    --------
    >>> LevenbergMarquardt().name
    'Levenberg-Marquardt, normal equations (imphot_astropy)'
    """

    def __init__(self, max_iterations=30, decrement=0.01,
                 name="Levenberg-Marquardt, normal equations (imphot_astropy)",
                 relative=False):
        if not _positive(max_iterations, integer=True):
            raise UserError(f"max_iterations: expected a positive integer, not "
                            f"{max_iterations!r}")
        if not _positive(decrement):
            raise UserError(f"decrement: expected a positive number, not {decrement!r}")
        self.max_iterations, self.decrement, self.name = max_iterations, decrement, name
        self.relative = bool(relative)

    def solve(self, problem):
        problem.check_free()
        model_names, jacobian_parts = problem.model_names, problem.jacobian_parts
        if jacobian_parts is None:
            model_names = problem.varying
            jacobian_parts = problem.difference_jacobian_parts
        info = levenberg_marquardt(problem.params, model_names, problem.residual_parts,
                                   jacobian_parts, max_iterations=self.max_iterations,
                                   decrement=self.decrement, method=self.name,
                                   relative=self.relative)
        # Its last Jacobian may be one step before the minimum: the one at
        # the minimum is made only if asked for.
        return SolverResult(self.name, info.params, info.var_names, info.residual,
                            info.nfev, info.success, info.message,
                            jac=lambda: problem.jacobian_matrix(info.params.copy()),
                            info=info)


_ASTROPY_METHODS = {"TRFLSQFitter": "trust region reflective",
                    "DogBoxLSQFitter": "dogleg trust region",
                    "LMLSQFitter": "Levenberg-Marquardt",
                    "LevMarLSQFitter": "Levenberg-Marquardt, MINPACK"}


class AstropyFitter(Solver):
    """Any astropy non-linear least-squares fitter.

    Parameters
    ----------
    fitter_class : class, optional
        An `astropy.modeling.fitting` fitter
        (default `~astropy.modeling.fitting.TRFLSQFitter`); a new one is
        made for each fit (a fitter keeps its last ``fit_info``).
    fitter_options : dict, optional
        Arguments of the fitter's constructor (``calc_uncertainties``).
    **call_options
        Arguments of the fitter's call (``maxiter``, ``acc``...).

    Examples
    --------
    >>> from astropy.modeling.fitting import DogBoxLSQFitter
    >>> AstropyFitter(DogBoxLSQFitter, maxiter=500).name
    'dogleg trust region (astropy DogBoxLSQFitter)'
    """

    def __init__(self, fitter_class=None, fitter_options=None, **call_options):
        if fitter_class is None:
            from astropy.modeling.fitting import TRFLSQFitter as fitter_class
        self.fitter_class = fitter_class
        self.fitter_options = dict(fitter_options or {})
        self.call_options = call_options
        method = _ASTROPY_METHODS.get(fitter_class.__name__, "least squares")
        self.name = f"{method} (astropy {fitter_class.__name__})"

    def _fit(self, model, inputs, data):
        fitter = self.fitter_class(**self.fitter_options)
        fitted = fitter(model, *inputs, data, inplace=False, **self.call_options)
        return fitted, fitter.fit_info

    def fit_model(self, model, inputs, data):
        """The fitter called on the model itself (see `Solver.fit_model`)."""
        fitted, info = self._fit(model, inputs, data)
        problem = LeastSquaresProblem.from_model(fitted, inputs, data, hold_tied=True)
        fun = info.get("fun")
        jac = info.get("jac")
        return fitted, SolverResult(
            self.name, problem.params, problem.varying,
            problem.residual_vector(problem.params) if fun is None else fun,
            info.get("nfev"), _astropy_success(info), info.get("message"),
            jac=(lambda: problem.jacobian_matrix(problem.params)) if jac is None else jac,
            info=info, covariance=info.get("param_cov"))

    def solve(self, problem):
        problem.check_free()
        params = problem.params.copy()
        model = _problem_model(problem, params)
        size = np.size(problem.residual_vector(params))
        index = np.arange(size, dtype=float)
        fitted, info = self._fit(model, (index,), np.zeros(size))
        _assign_model_values(params, list(params), fitted.parameters)
        return SolverResult(self.name, params, problem.varying,
                            problem.residual_vector(params), info.get("nfev"),
                            _astropy_success(info), info.get("message"),
                            jac=lambda: problem.jacobian_matrix(params.copy()), info=info)


def _astropy_success(info):
    """Success from a fitter's ``fit_info`` (scipy's flag, or MINPACK's ``ierr``)."""
    if info.get("success") is not None:
        return bool(info.get("success"))
    return info.get("ierr", 1) in (1, 2, 3, 4)


def _assign_model_values(params, names, values):
    """An astropy model's parameter values into ``params`` (tied ones recomputed)."""
    for name, value in zip(names, values):
        if not params[name].expr:
            params[name].value = float(np.ravel(value)[0])
    params.update_constraints()


def _problem_model(problem, params):
    """A problem as an astropy model of one input (the residual's index) fitted to zero.

    Bounds and fixed parameters become astropy's; an lmfit expression
    becomes a ``tied`` callable. Astropy's fitters drop the tied rows of
    ``fit_deriv`` without the chain rule, so the rows of the free
    parameters here are the total derivatives (through the expressions).
    """
    from astropy.modeling import FittableModel, Parameter

    names = list(params)
    free_rows = [names.index(n) for n in problem.varying]

    def evaluate(self, index, *values):
        _assign_model_values(params, names, values)
        return problem.residual_vector(params)

    def fit_deriv(self, index, *values):
        _assign_model_values(params, names, values)
        jac = problem.jacobian_matrix(params)
        derivatives = np.zeros((len(names), jac.shape[0]))
        derivatives[free_rows] = jac.T
        return derivatives

    def tie(name):
        def tied(model):
            _assign_model_values(params, names, model.parameters)
            return params[name].value
        return tied

    members = {"n_inputs": 1, "n_outputs": 1, "evaluate": evaluate,
               "fit_deriv": None if problem.jacobian_parts is None else fit_deriv}
    for name in names:
        p = params[name]
        members[name] = Parameter(
            default=p.value, fixed=not p.vary and not p.expr,
            tied=tie(name) if p.expr else False,
            bounds=(None if not np.isfinite(p.min) else p.min,
                    None if not np.isfinite(p.max) else p.max))
    return type("LeastSquaresProblemModel", (FittableModel,), members)()


#: The image fit's solver: the dogleg trust region handles the bounds on
#: scale, fwhm and beta, and on these tall (~1e5 x 6) problems it needs
#: fewer costly factorisations of the Jacobian than TRF.
IMAGE_FIT_SOLVER = ScipyLeastSquares("dogbox", xtol=1e-10, max_nfev=200)
#: The star fit's solver: astropy's trust region reflective on the compound
#: Moffat + background model, with its covariance (``param_cov``) for a fit
#: without the pixels that the sandwich covariance needs.
STAR_FIT_SOLVER = AstropyFitter(fitter_options=dict(calc_uncertainties=True), maxiter=1000)
#: The pixel-table star fit's solver: scipy's trust region reflective with
#: each parameter scaled by its Jacobian column (FWHM in arcsec and fluxes
#: of 1e4 in one problem).
PIXTABLE_STAR_SOLVER = ScipyLeastSquares("trf", x_scale="jac")


#: The solvers that a fit's ``solver`` keyword (and the commands'
#: ``--solver``) can name, with what each is. A name that is a fit's own
#: method gives that fit's default solver (``"dogbox"`` in the image fit,
#: ``"astropy-trf"`` in the star fit, ``"trf"`` in the pixel-table star
#: fit); the others are made by `named_solver`, with tolerances that serve
#: every fit of the package.
SOLVERS = {
    "dogbox": "scipy least_squares, dogleg trust region (the image fit's default)",
    "trf": "scipy least_squares, trust region reflective (the pixel-table star fit's "
           "default)",
    "lm": "scipy least_squares, MINPACK Levenberg-Marquardt: no bounds (a minimum "
          "outside them is reported as an unsuccessful fit)",
    "levenberg-marquardt": "the package's Levenberg-Marquardt on normal equations (the "
                           "survey's joint fit's)",
    "astropy-trf": "astropy TRFLSQFitter, trust region reflective (the star fit's default)",
    "astropy-dogbox": "astropy DogBoxLSQFitter, dogleg trust region",
}
# astropy's LMLSQFitter is not among them: astropy 7 deprecated it for
# models with bounds, and every fit of the package has some ('lm' and
# 'levenberg-marquardt' are Levenberg-Marquardt solvers that take them).
_ASTROPY_NAMES = {"astropy-trf": "TRFLSQFitter", "astropy-dogbox": "DogBoxLSQFitter"}


def named_solver(name):
    """The solver of a name of `SOLVERS`, as a fit uses it when it is not its own.

    scipy's methods stop at a step below 1e-10 of the parameters
    (``xtol``), each parameter scaled by its Jacobian column
    (``x_scale="jac"``: fluxes of 1e4 beside FWHMs of 0.7" in one
    problem); astropy's fitters get up to 1000 evaluations and their
    covariance (as the star fit's); the package's Levenberg-Marquardt
    stops at a step that lowers the sum of squares by less than 1e-4 of
    its reduced value (a step of 0.01 error), after at most 100 Jacobians.

    Parameters
    ----------
    name : str
        A key of `SOLVERS`.

    Returns
    -------
    solver : `Solver`

    Examples
    --------
    >>> named_solver("astropy-dogbox").name
    'dogleg trust region (astropy DogBoxLSQFitter)'
    """
    check_solver(name)
    if name in _SCIPY_METHODS:
        return ScipyLeastSquares(name, unbounded=name == "lm", xtol=1e-10, x_scale="jac")
    if name == "levenberg-marquardt":
        return LevenbergMarquardt(max_iterations=100, decrement=1e-4, relative=True)
    from astropy.modeling import fitting
    return AstropyFitter(getattr(fitting, _ASTROPY_NAMES[name]),
                         fitter_options=dict(calc_uncertainties=True), maxiter=1000)


def _accepted():
    return ", ".join(f"{name!r}" for name in SOLVERS)


def check_solver(solver):
    """Check a fit's ``solver`` keyword: None, a name of `SOLVERS`, or a `Solver`.

    Returns
    -------
    solver : None, str or `Solver`
        As given.

    Raises
    ------
    UserError
        Naming ``solver`` and the accepted values; or for a
        `ScipyLeastSquares` with a robust ``loss``: the package's
        uncertainties (the sandwich and least-squares covariances, the
        reduced chi-square) are those of a plain sum of squares, and would
        be wrong for the minimum of another loss.

    Examples
    --------
    >>> check_solver("trf")
    'trf'
    >>> check_solver(ScipyLeastSquares("trf", loss="huber"))
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: solver: the loss 'huber' is not a plain sum of squares ...
    """
    if solver is None or isinstance(solver, str) and solver in SOLVERS:
        return solver
    if isinstance(solver, ScipyLeastSquares):
        loss = solver.options.get("loss", "linear")
        if loss != "linear":
            raise UserError(
                f"solver: the loss {loss!r} is not a plain sum of squares (loss='linear'), "
                "which the fits' uncertainties and reduced chi-square assume; leave out "
                "outliers with masks or robust=True instead")
        return solver
    if isinstance(solver, Solver):
        return solver
    raise UserError(f"solver: expected None, a Solver (imphot_astropy.fitting.solvers) or "
                    f"one of {_accepted()}; not {solver!r}")


def resolve_solver(solver, default, default_name):
    """The `Solver` a fit uses for its ``solver`` keyword.

    Parameters
    ----------
    solver : None, str or `Solver`
        The keyword (checked by `check_solver`).
    default : `Solver`
        The fit's own solver, for None and for ``default_name``.
    default_name : str
        The name of `SOLVERS` that is the fit's own method.

    Returns
    -------
    solver : `Solver`

    Examples
    --------
    >>> resolve_solver(None, IMAGE_FIT_SOLVER, "dogbox") is IMAGE_FIT_SOLVER
    True
    >>> resolve_solver("trf", IMAGE_FIT_SOLVER, "dogbox").name
    'trust region reflective (scipy least_squares, trf)'
    """
    solver = check_solver(solver)
    if solver is None or solver == default_name:
        return default
    return named_solver(solver) if isinstance(solver, str) else solver
