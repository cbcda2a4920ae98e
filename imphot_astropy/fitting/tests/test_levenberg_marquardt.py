"""The joint fit's Levenberg-Marquardt against scipy.optimize.least_squares.

The test problem is a small version of the joint fit: two "bands", each a
noisy 1-D Gaussian profile with its own amplitude, sharing one centre
(the pointing offset) and a width linear in the band's wavelength (the FWHM
polynomial). Residuals are weighted to unit noise, so a parameter's error
is the square root of the diagonal of ``(J^T J)^-1``, and the minimiser
must land within a small fraction of it of scipy's minimum.
"""

import lmfit
import numpy as np
import pytest
from scipy.optimize import least_squares

from imphot_astropy.fitting._levenberg_marquardt import (
    damped_step, levenberg_marquardt, varying_transform)
from imphot_astropy.survey.joint import _fit_with_refits as fit_with_refits

NAMES = ["dx", "w0", "w1", "amp_a", "amp_b"]
WAVELENGTHS = {"a": -0.5, "b": 0.5}
TRUTH = dict(dx=3.3, w0=3.0, w1=0.6, amp_a=40.0, amp_b=25.0)
# Agreement with scipy's minimum, in units of each parameter's error: the
# convergence test stops after a step of < 0.1 error (decrement 0.01), and
# Gauss-Newton converges quadratically from there.
TOLERANCE = 0.01


class Profiles:
    """Two noisy Gaussian profiles; the fit sees a window that follows a whole-pixel shift."""

    def __init__(self, seed=1, length=60, window=(5, 35)):
        rng = np.random.default_rng(seed)
        self.x = np.arange(length, dtype=float)
        self.window = window
        self.shift = 0
        self.data = {band: self.model(band, TRUTH) + rng.normal(size=length)
                     for band in WAVELENGTHS}

    def _pixels(self):
        return slice(self.window[0] + self.shift, self.window[1] + self.shift)

    def model(self, band, v):
        width = v["w0"] + v["w1"] * WAVELENGTHS[band]
        return v[f"amp_{band}"] * np.exp(-0.5 * ((self.x - 20.0 - v["dx"]) / width) ** 2)

    def residual_parts(self, params):
        v = {n: params[n].value for n in NAMES}
        s = self._pixels()
        return [(self.model(band, v) - self.data[band])[s] for band in WAVELENGTHS]

    def jacobian_parts(self, params, transform=None):
        v = {n: params[n].value for n in NAMES}
        s = self._pixels()
        parts = []
        for band, lam in WAVELENGTHS.items():
            width = v["w0"] + v["w1"] * lam
            u = (self.x[s] - 20.0 - v["dx"]) / width
            g = np.exp(-0.5 * u ** 2)
            amp = v[f"amp_{band}"]
            d_width = amp * g * u ** 2 / width
            parts.append((["dx", "w0", "w1", f"amp_{band}"],
                          np.stack([amp * g * u / width, d_width, d_width * lam, g])))
        return parts

    def vector_residual(self, values, names, extra=lambda v: None):
        """The residual as scipy sees it: a function of a plain vector."""
        v = dict(zip(names, values))
        extra(v)
        s = self._pixels()
        return np.concatenate([(self.model(b, v) - self.data[b])[s] for b in WAVELENGTHS])


def start_parameters():
    params = lmfit.Parameters()
    for name, value in dict(dx=2.5, w0=2.5, w1=0.0, amp_a=30.0, amp_b=30.0).items():
        params.add(name, value=value)
    return params


def errors_at(problem, params, names):
    """Each varying parameter's error from J^T J at the minimum (unit noise)."""
    transform = varying_transform(params, NAMES)
    index = {n: i for i, n in enumerate(NAMES)}
    jac = np.concatenate([transform[[index[n] for n in part_names]].T @ j for part_names, j
                          in problem.jacobian_parts(params)], axis=1)
    return np.sqrt(np.diag(np.linalg.inv(jac @ jac.T)))


def scipy_minimum(problem, names, x0, extra=lambda v: None, bounds=(-np.inf, np.inf)):
    return least_squares(problem.vector_residual, x0, args=(names, extra), bounds=bounds,
                         method="trf", x_scale="jac", xtol=1e-15, ftol=1e-15,
                         gtol=1e-15).x


def fit(problem, params):
    return levenberg_marquardt(params, NAMES, problem.residual_parts,
                               problem.jacobian_parts)


def assert_same_minimum(result, expected, names, problem):
    errors = errors_at(problem, result.params, names)
    found = np.array([result.params[n].value for n in names])
    assert np.all(np.abs(found - expected) < TOLERANCE * errors), \
        f"{dict(zip(names, (found - expected) / errors))} errors from scipy's minimum"


def test_damped_step_is_gauss_newton_without_damping():
    rng = np.random.default_rng(3)
    jac = rng.normal(size=(3, 20))
    res = rng.normal(size=20)
    step, predicted = damped_step(jac @ jac.T, jac @ res, 0.0)
    expected = np.linalg.lstsq(jac.T, -res, rcond=None)[0]
    np.testing.assert_allclose(step, expected, rtol=1e-10)
    np.testing.assert_allclose(predicted, res @ res - np.sum((res + jac.T @ step) ** 2),
                               rtol=1e-10)


def test_same_minimum_as_scipy():
    problem = Profiles()
    result = fit(problem, start_parameters())
    assert result.success and result.var_names == NAMES
    x0 = [start_parameters()[n].value for n in NAMES]
    expected = scipy_minimum(problem, NAMES, x0)
    assert_same_minimum(result, expected, NAMES, problem)
    np.testing.assert_allclose(result.chisqr,
                               np.sum(problem.vector_residual(expected, NAMES) ** 2),
                               rtol=1e-6)
    # And near the truth: within 4 errors (the noise is unit).
    errors = errors_at(problem, result.params, NAMES)
    for name, error in zip(NAMES, errors):
        assert abs(result.params[name].value - TRUTH[name]) < 4 * error


def test_parameter_at_a_bound():
    problem = Profiles()
    params = start_parameters()
    params["w0"].set(max=2.8)  # the unconstrained minimum is near 3.0
    result = fit(problem, params)
    assert result.params["w0"].value == 2.8
    lower = [params[n].min for n in NAMES]
    upper = [params[n].max for n in NAMES]
    expected = scipy_minimum(problem, NAMES, [params[n].value for n in NAMES],
                             bounds=(lower, upper))
    assert expected[1] == pytest.approx(2.8, abs=1e-8)
    assert_same_minimum(result, expected, NAMES, problem)


def test_parameter_tied_by_an_expression():
    problem = Profiles()
    params = start_parameters()
    params["amp_b"].set(expr="0.6 * amp_a")
    result = fit(problem, params)
    names = ["dx", "w0", "w1", "amp_a"]
    assert result.var_names == names
    assert result.params["amp_b"].value == pytest.approx(0.6 * result.params["amp_a"].value)

    def tie(v):
        v["amp_b"] = 0.6 * v["amp_a"]

    expected = scipy_minimum(problem, names, [params[n].value for n in names], tie)
    assert_same_minimum(result, expected, names, problem)


def test_refit_after_a_whole_pixel_offset_starts_from_the_last_result():
    """The window follows the fitted offset by whole pixels; the refit starts
    from the first fit's result and lands on scipy's minimum of the shifted
    problem."""
    problem = Profiles()
    params = start_parameters()
    params["dx"].value = 0.0
    fits = []

    def recorded_fit(p):
        fits.append(fit(problem, p))
        return fits[-1]

    def shift_if_moved(result):
        dx = result.params["dx"].value
        if abs(dx - problem.shift) < 1.0:
            return False
        problem.shift = int(np.floor(dx + 0.5))
        return True

    result, refits = fit_with_refits(recorded_fit, params, shift_if_moved, max_refits=2)
    assert refits == 1 and problem.shift == 3 and len(fits) == 2
    first, second = fits
    assert second.init_values == {n: first.params[n].value for n in NAMES}
    # From the last result, the refit is short: the start is within a few
    # errors of the new minimum (the window moved by 3 of its 30 pixels).
    assert second.njev <= 3 < first.njev
    expected = scipy_minimum(problem, NAMES, [params[n].value for n in NAMES])
    assert_same_minimum(result, expected, NAMES, problem)


def test_no_refit_after_the_last_allowed_one():
    calls = []

    def always_moved(result):
        calls.append(result)
        return True

    problem = Profiles()
    result, refits = fit_with_refits(lambda p: fit(problem, p), start_parameters(),
                                     always_moved, max_refits=2)
    assert refits == 2 and len(calls) == 2
