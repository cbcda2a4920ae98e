"""A `SolverResult` crosses process boundaries (pickling), whichever solver made it.

A result may hold its Jacobian as a promise to compute it from the problem
(the Levenberg-Marquardt and the astropy fitters' ``solve``): that closure
over the problem (its residual and Jacobian callables, often lambdas)
cannot be pickled, so the Jacobian is computed when the result is pickled,
and the copy has the same values, Jacobian and covariance.
"""

import pickle

import lmfit
import numpy as np
import pytest

from imphot_astropy.fitting.solvers import (AstropyFitter, LeastSquaresProblem,
                                            LevenbergMarquardt, ScipyLeastSquares)

X = np.array([0.0, 1.0, 2.0, 3.0])
Y = np.array([1.1, 2.9, 5.2, 6.8])


def _line_problem():
    params = lmfit.Parameters()
    params.add("a", value=0.0, max=0.5)
    params.add("b", value=0.0)
    return LeastSquaresProblem(params, lambda p: p["a"].value + p["b"].value * X - Y,
                               jacobian=lambda p: np.stack([np.ones(X.size), X]))


@pytest.mark.parametrize("solver", [ScipyLeastSquares("trf"),
                                    LevenbergMarquardt(decrement=1e-12),
                                    AstropyFitter()], ids=lambda s: type(s).__name__)
def test_a_result_pickles_with_its_jacobian(solver):
    result = solver.solve(_line_problem())
    copy = pickle.loads(pickle.dumps(result))
    assert copy.solver == result.solver and copy.free_names == ["a", "b"]
    np.testing.assert_array_equal(copy.x, result.x)
    np.testing.assert_array_equal(copy.fun, result.fun)
    # The line's Jacobian, at the minimum (the intercept at its bound 0.5).
    np.testing.assert_allclose(copy.jac, np.stack([np.ones(X.size), X], axis=1))
    np.testing.assert_array_equal(copy.covariance(), result.covariance())
    assert copy.params["a"].value == pytest.approx(0.5)


def test_a_solvers_own_covariance_survives_pickling():
    """The star fit's solver gives astropy's ``param_cov``; a copy returns it
    too, and a result without one (scipy's) computes it after the copy (the
    copy once returned the marker object that stood for "not given")."""
    from astropy.modeling.models import Gaussian1D
    from imphot_astropy.fitting.solvers import STAR_FIT_SOLVER

    x = np.linspace(-3.0, 3.0, 31)
    data = 2.0 * np.exp(-(x - 0.1)**2 / 2) + np.random.default_rng(1).normal(0, 0.05, x.size)
    for solver in (STAR_FIT_SOLVER, ScipyLeastSquares("trf")):
        _, result = solver.fit_model(Gaussian1D(1.0, 0.0, 1.5), (x,), data)
        copy = pickle.loads(pickle.dumps(result))
        assert copy.covariance().shape == (3, 3)
        np.testing.assert_array_equal(copy.covariance(), result.covariance())


def test_a_result_without_a_jacobian_says_why_it_has_no_covariance():
    """A solver written by a user (the seam's purpose) may leave out the
    Jacobian; the fits then ask for the covariance, which must name the
    solver rather than fail with an IndexError deep in numpy."""
    from imphot_astropy.exceptions import UserError
    from imphot_astropy.fitting.solvers import SolverResult

    problem = _line_problem()
    result = SolverResult("my solver", problem.params, problem.varying, np.zeros(X.size), 1,
                          True, "done")
    with pytest.raises(UserError, match="solver: my solver gave no Jacobian at its minimum"):
        result.covariance()
