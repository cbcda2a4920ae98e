"""What the named solvers add to the solver classes: scipy's 'lm' without
bounds, and the Levenberg-Marquardt's decrement relative to the noise.

On the analytic problem of ``test_solvers.py`` (two exponentials and a
background, noise 0.1) with a reference minimum from scipy called directly.
"""

import numpy as np
import pytest

from imphot_astropy.fitting.solvers import (LevenbergMarquardt, ScipyLeastSquares,
                                            LeastSquaresProblem, named_solver, SOLVERS)
from imphot_astropy.fitting.tests.test_solvers import (
    analytic_problem, reference, assert_same_minimum, LOW_RATE, DATA, SIGMA, _curve,
    _derivatives, _values, START)

FREE = ["amp", "rate", "amp2", "bg"]


def test_unbounded_lm_reaches_a_minimum_inside_the_bounds():
    """Loose bounds (the minimum well inside) do not stop 'lm' with ``unbounded``."""
    problem = analytic_problem(rate=dict(min=0.01, max=5.0), bg=dict(min=-10.0))
    result = ScipyLeastSquares("lm", unbounded=True, xtol=1e-12).solve(problem)
    expected, errors = reference(FREE, lambda v: None, list(START.values()))
    assert result.success
    assert_same_minimum(result, expected, errors, FREE)


def test_unbounded_lm_reports_a_minimum_outside_the_bounds_as_a_failure():
    """The bounded minimum lies on LOW_RATE, 4 errors above the free one: 'lm'
    goes beyond it (where the residual sees it clipped) and says so; with the
    analytic Jacobian, which ignores the clipping, the others are then whole
    errors from the bounded minimum, which is why it must not pass as one."""
    result = ScipyLeastSquares("lm", unbounded=True).solve(
        analytic_problem(rate=dict(min=LOW_RATE)))
    assert not result.success
    assert "outside the bounds of rate" in result.message
    assert result.info.x[1] < LOW_RATE and result.params["rate"].value == LOW_RATE


def test_the_named_lm_is_unbounded_and_the_others_keep_bounds():
    problem = analytic_problem(rate=dict(min=LOW_RATE))
    for name in SOLVERS:
        result = named_solver(name).solve(problem)
        if name == "lm":
            assert not result.success
        else:
            assert result.params["rate"].value >= LOW_RATE - 1e-9, name


def _scaled_problem(factor):
    """The analytic problem with the residual not weighted by the noise:
    multiplied by ``factor`` (a flux unit), so its noise is ``factor * SIGMA``."""
    import lmfit
    params = lmfit.Parameters()
    for name, start in START.items():
        params.add(name, value=start)
    return LeastSquaresProblem(
        params, lambda p: factor * (_curve(**_values(p)) - DATA) / SIGMA,
        lambda p: factor * _derivatives(**_values(p)))


@pytest.mark.parametrize("factor", [1e-3, 1.0, 1e3])
def test_a_relative_decrement_serves_residuals_of_any_units(factor):
    """The same relative decrement stops at the same minimum, within 0.01 error,
    whatever the residual's units; an absolute decrement of 0.01 would stop
    after the first step at factor 1e-3 (its sum of squares is then 2e-4)."""
    expected, errors = reference(FREE, lambda v: None, list(START.values()))
    relative = LevenbergMarquardt(max_iterations=100, decrement=1e-4, relative=True)
    result = relative.solve(_scaled_problem(factor))
    assert result.success
    assert_same_minimum(result, expected, errors, FREE)
    absolute = LevenbergMarquardt(max_iterations=100, decrement=1e-2).solve(
        _scaled_problem(1e-3))
    deviation = np.abs(absolute.x - expected) / errors
    assert deviation.max() > 0.05
