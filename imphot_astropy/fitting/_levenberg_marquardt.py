"""A Levenberg-Marquardt on lmfit Parameters, from normal equations built part by part.

Behind `imphot_astropy.fitting.solvers.LevenbergMarquardt`. The survey's
joint fit (`~imphot_astropy.survey.joint.JointProblem`) has a residual made
of parts (one per band), each depending on a few of the model's
parameters. This minimiser never assembles the tall Jacobian of all
the parts: it accumulates ``J^T J`` and ``J^T r`` part by part, and solves
the damped normal equations on unit-scaled columns. It knows nothing of
bands: a part is a residual vector and the derivatives of it by the model
parameters it depends on. See
`imphot_astropy.survey.joint.JointProblem.fit` for why it is hand-written
rather than lmfit's MINPACK ``leastsq``.

The lmfit machinery is kept: bounds (a parameter held at a bound is left
out of the step, see `bounded_step`, and each step is clipped), fixed
parameters and expressions (re-evaluated at every trial, with the chain
rule through them from `varying_transform`), and the result is an
`lmfit.minimizer.MinimizerResult`.
"""

import numpy as np

__all__ = ["levenberg_marquardt", "varying_transform", "damped_step", "bounded_step"]

# The damping of the column-scaled normal equations starts near
# Gauss-Newton (the joint fit starts close, from the single-band fits) and
# stays within these limits.
_INITIAL_DAMPING = 1e-4
_MIN_DAMPING = 1e-9
_MAX_DAMPING = 1e10


def _sum_of_squares(parts):
    return float(sum(np.dot(r, r) for r in parts))


def damped_step(normal, gradient, damping):
    """The Levenberg-Marquardt step and its predicted reduction of the cost.

    ``(N + damping diag(N)) step = -g`` with ``N = J^T J``, ``g = J^T r``,
    solved on unit-scaled columns; a pseudo-inverse keeps parameters that
    the data do not constrain at rest.

    Parameters
    ----------
    normal : (m, m) `numpy.ndarray`
        ``J^T J``.
    gradient : (m,) `numpy.ndarray`
        ``J^T r``.
    damping : float
        The Levenberg-Marquardt damping (0: a Gauss-Newton step).

    Returns
    -------
    step : (m,) `numpy.ndarray`
    predicted : float
        The reduction of ``r^T r`` that the linear model predicts.

    Examples
    --------
    >>> step, predicted = damped_step(np.array([[4.0]]), np.array([-2.0]), 0.0)
    >>> float(step[0]), predicted
    (0.5, 1.0)
    """
    scale = np.sqrt(np.diag(normal))
    scale = np.where(scale > 0, scale, 1.0)
    scaled = normal / np.outer(scale, scale)
    system = scaled + damping * np.eye(len(scale))
    step = -(np.linalg.pinv(system, rcond=1e-12, hermitian=True) @ (gradient / scale))
    step = step / scale
    predicted = -(2.0 * gradient @ step + step @ normal @ step)
    return step, float(predicted)


def bounded_step(normal, gradient, damping, x, lower, upper):
    """`damped_step` with the parameters held at a bound they would cross left out.

    A parameter at a bound whose step points out of the box is held there
    and the step of the others solved again without it (they then
    compensate for it, as they must at a minimum on the bound); clipping
    the full step instead would leave them where they went assuming it
    moved, and the fit would stop short of the constrained minimum (by 2
    errors of a correlated parameter in the unit tests). A step that only
    reaches a bound is clipped by the caller; that parameter is then at
    the bound for the next step.

    Returns
    -------
    step : `numpy.ndarray`
    predicted : float
        See `damped_step`.

    Examples
    --------
    Two independent parameters, the first at its upper bound and pushed
    beyond it: it stays, the second takes its Gauss-Newton step.

    >>> normal, gradient = np.eye(2), np.array([-1.0, 2.0])
    >>> step, predicted = bounded_step(normal, gradient, 0.0, np.array([1.0, 0.0]),
    ...                                np.array([-5.0, -5.0]), np.array([1.0, 5.0]))
    >>> step.tolist(), predicted
    ([0.0, -2.0], 4.0)
    """
    free = np.ones(len(x), dtype=bool)
    step = np.zeros(len(x))
    while free.any():
        step[:] = 0.0
        step[free] = damped_step(normal[np.ix_(free, free)], gradient[free], damping)[0]
        blocked = free & (((x <= lower) & (step < 0)) | ((x >= upper) & (step > 0)))
        if not blocked.any():
            break
        free &= ~blocked
    return step, float(-(2.0 * gradient @ step + step @ normal @ step))


def varying_transform(params, model_names):
    """d(model parameters) / d(varying parameters), through expressions.

    Without expressions this selects columns; with them, each varying
    parameter is nudged and the constraints re-evaluated (they are cheap
    and usually linear), so ties made by the user are honoured.

    Parameters
    ----------
    params : `lmfit.Parameters`
        Left as they were.
    model_names : list of str
        The parameters the model is written in (varying, fixed or tied).

    Returns
    -------
    transform : (len(model_names), number varying) `numpy.ndarray`

    Examples
    --------
    >>> import lmfit
    >>> p = lmfit.Parameters()
    >>> p.add("a", value=1.0)
    >>> p.add("b", expr="2 * a")
    >>> varying_transform(p, ["a", "b"]).round(6).tolist()
    [[1.0], [2.0]]
    """
    varying = [n for n in params if params[n].vary]
    transform = np.zeros((len(model_names), len(varying)))
    if not any(params[n].expr for n in model_names):
        for j, name in enumerate(varying):
            if name in model_names:
                transform[model_names.index(name), j] = 1.0
        return transform
    base = np.array([params[n].value for n in model_names])
    for j, name in enumerate(varying):
        step = 1e-6 * max(abs(params[name].value), 1e-3)
        original = params[name].value
        params[name].value = original + step
        params.update_constraints()
        transform[:, j] = (np.array([params[n].value for n in model_names]) - base) / step
        params[name].value = original
        params.update_constraints()
    return transform


def _normal_equations(model_names, jacobians, residuals, transform):
    """``J^T J`` and ``J^T r`` in the varying parameters, part by part.

    Each part's block is small (its own parameters only), so the tall
    Jacobian of all the parts is never assembled.
    """
    index = {name: i for i, name in enumerate(model_names)}
    m = transform.shape[1]
    normal, gradient = np.zeros((m, m)), np.zeros(m)
    for (names, jac), res in zip(jacobians, residuals):
        t = transform[[index[n] for n in names]]
        normal += t.T @ (jac @ jac.T) @ t
        gradient += t.T @ (jac @ res)
    return normal, gradient


def _set(params, names, values):
    for name, value in zip(names, values):
        params[name].value = float(value)
    params.update_constraints()


def _damped_trial(x, lower, upper, normal, gradient, damping, cost, evaluate):
    """The first damped step (damping raised tenfold each time) that lowers the cost.

    Returns the trial point, its residual parts and cost, the predicted
    reduction, the damping used and the number of trials; the trial cost
    exceeds ``cost`` only if no damping up to the largest lowers it.
    """
    trials = 0
    while True:
        step, predicted = bounded_step(normal, gradient, damping, x, lower, upper)
        trial = np.clip(x + step, lower, upper)
        trial_residuals = evaluate(trial)
        trials += 1
        trial_cost = _sum_of_squares(trial_residuals)
        if trial_cost <= cost or damping * 10.0 > _MAX_DAMPING:
            return trial, trial_residuals, trial_cost, predicted, damping, trials
        damping *= 10.0


def levenberg_marquardt(params, model_names, residual_parts, jacobian_parts,
                        max_iterations=30, decrement=0.01, method="Levenberg-Marquardt",
                        relative=False):
    """Minimise the sum of squares of a residual made of parts.

    Parameters
    ----------
    params : `lmfit.Parameters`
        The start, bounds, fixed values and expressions (not modified).
    model_names : list of str
        The parameters the parts' Jacobians are written in.
    residual_parts : callable
        ``residual_parts(params)``: a list of residual vectors.
    jacobian_parts : callable
        ``jacobian_parts(params, transform)``: per residual part, ``(names,
        jac)``, the model parameters it depends on and the ``(len(names),
        len(part))`` derivatives of the part by them. ``transform`` (see
        `varying_transform`) says which model parameters vary, so that a
        caller can skip derivatives nobody needs.
    max_iterations : int
        The largest number of Jacobians.
    decrement : float
        Convergence: a step reduces the sum of squares by less than this,
        achieved and predicted. For residuals weighted to unit noise, the
        reduction is the squared length of the step in units of the
        parameters' errors.
    method : str
        The method name recorded in the result.
    relative : bool
        ``decrement`` in units of the reduced chi-square (the sum of
        squares per degree of freedom after the step), for residuals not
        weighted to unit noise.

    Returns
    -------
    result : `lmfit.minimizer.MinimizerResult`
        With, besides lmfit's attributes, ``residual_parts``, and
        ``jacobians`` (as returned by ``jacobian_parts``) and
        ``transform`` at the last point where a Jacobian was computed:
        before the last step when it converged by a small decrement (the
        step was then below the tolerance).

    Examples
    --------
    A straight line through three points:

    >>> import lmfit
    >>> x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0])
    >>> p = lmfit.Parameters()
    >>> p.add("a", value=0.0)
    >>> p.add("b", value=0.0)
    >>> res = lambda p: [p["a"].value + p["b"].value * x - y]
    >>> jac = lambda p, t: [(["a", "b"], np.stack([np.ones(3), x]))]
    >>> r = levenberg_marquardt(p, ["a", "b"], res, jac, decrement=1e-12)
    >>> round(r.params["a"].value, 6), round(r.params["b"].value, 6)
    (1.0, 2.0)
    """
    from lmfit.minimizer import MinimizerResult

    params = params.copy()
    varying = [n for n in params if params[n].vary]
    init_values = {n: float(params[n].value) for n in varying}
    lower = np.array([params[n].min for n in varying], dtype=float)
    upper = np.array([params[n].max for n in varying], dtype=float)
    x = np.clip([params[n].value for n in varying], lower, upper)

    def evaluate(values):
        _set(params, varying, values)
        return residual_parts(params)

    residuals = evaluate(x)
    cost = _sum_of_squares(residuals)
    nfev, njev, damping, converged = 1, 0, _INITIAL_DAMPING, False
    message = f"stopped after {max_iterations} Jacobians"
    while njev < max_iterations:
        transform = varying_transform(params, model_names)
        jacobians = jacobian_parts(params, transform)
        njev += 1
        normal, gradient = _normal_equations(model_names, jacobians, residuals, transform)
        trial, trial_residuals, trial_cost, predicted, damping, trials = _damped_trial(
            x, lower, upper, normal, gradient, damping, cost, evaluate)
        nfev += trials
        if trial_cost > cost:
            # No step reduces the residuals: this point is the minimum
            # within the bounds, to rounding.
            _set(params, varying, x)
            converged, message = True, "no step reduces the sum of squares"
            break
        reduction = cost - trial_cost
        x, residuals, cost = trial, trial_residuals, trial_cost
        damping = max(damping / 10.0, _MIN_DAMPING)
        threshold = decrement
        if relative:
            threshold *= cost / max(sum(r.size for r in residuals) - len(varying), 1)
        if max(reduction, predicted) <= threshold:
            converged, message = True, "converged: the last step reduced the " \
                f"sum of squares by {reduction:.2g}"
            break
    if not converged:
        transform = varying_transform(params, model_names)
        jacobians = jacobian_parts(params, transform)
        njev += 1
    params.update_constraints()
    ndata = int(sum(r.size for r in residuals))
    nvarys = len(varying)
    with np.errstate(divide="ignore"):
        neg2_log_likel = ndata * np.log(cost / ndata)
    return MinimizerResult(
        method=method, params=params, var_names=varying,
        init_vals=[init_values[n] for n in varying], init_values=init_values,
        nfev=nfev, njev=njev, ndata=ndata, nvarys=nvarys, nfree=ndata - nvarys,
        chisqr=float(cost), redchi=float(cost) / max(ndata - nvarys, 1),
        aic=neg2_log_likel + 2 * nvarys, bic=neg2_log_likel + np.log(ndata) * nvarys,
        residual=np.concatenate(residuals), residual_parts=residuals,
        jacobians=jacobians, transform=transform, success=converged,
        message=message, covar=None, errorbars=False, aborted=False)
