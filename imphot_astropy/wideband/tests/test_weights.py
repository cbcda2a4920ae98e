"""Plane weights: exact integrals of the filter curve over each plane."""

import numpy as np
import pytest

from imphot_astropy.exceptions import UserError
from imphot_astropy.wideband.weights import (plane_weights, response_fraction_outside,
                                             touched_planes)
from .synthetic import tent_weights


def test_linear_weights_are_exact_tent_integrals():
    edges = 6000.0 + 1.25 * (np.arange(101) - 0.5)
    lo, peak, hi = 6010.3, 6050.0, 6093.7          # not on plane edges
    weights = plane_weights(edges[:-1], edges[1:], np.array([lo, peak, hi]),
                            np.array([0.0, 1.0, 0.0]))
    expected = tent_weights(edges[:-1], edges[1:], lo, peak, hi)
    np.testing.assert_allclose(weights, expected, rtol=1e-12, atol=1e-12)
    assert weights.sum() == pytest.approx((hi - lo) / 2, rel=1e-12)


def test_weights_do_not_depend_on_axis_direction():
    edges = np.linspace(5000, 5100, 41)
    curve = (np.array([5010.0, 5030.0, 5090.0]), np.array([0.0, 2.0, 0.5]))
    forward = plane_weights(edges[:-1], edges[1:], *curve)
    backward = plane_weights(edges[::-1][:-1], edges[::-1][1:], *curve)
    np.testing.assert_allclose(forward, backward[::-1], rtol=1e-13)


def test_cubic_interpolation_integrates_a_cubic_curve_exactly():
    # A not-a-knot cubic spline through samples of a cubic reproduces it, so
    # each weight is the integral of the polynomial over the plane.
    x = np.linspace(7000, 7100, 9)

    def curve(t):
        return 1 + 1e-2 * (t - 7000) + 3e-4 * (t - 7000)**2 - 3e-6 * (t - 7000)**3

    def integral(t):
        s = t - 7000
        return s + 5e-3 * s**2 + 1e-4 * s**3 - 7.5e-7 * s**4

    edges = np.linspace(7000, 7100, 81)
    weights = plane_weights(edges[:-1], edges[1:], x, curve(x), "cubic")
    np.testing.assert_allclose(weights, integral(edges[1:]) - integral(edges[:-1]),
                               rtol=1e-10)
    # Linear interpolation of so coarse a curve is measurably different.
    linear = plane_weights(edges[:-1], edges[1:], x, curve(x), "linear")
    assert np.max(np.abs(linear / weights - 1)) > 1e-3


def test_cubic_overshoot_gives_no_negative_weight():
    from scipy.interpolate import make_interp_spline

    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])   # a step: the spline rings
    edges = np.linspace(0, 5, 51)
    integral = make_interp_spline(x, y, k=3).antiderivative()
    signed = integral(edges[1:]) - integral(edges[:-1])
    assert signed.min() < -1e-4                      # it does dip below zero
    weights = plane_weights(edges[:-1], edges[1:], x, y, "cubic")
    np.testing.assert_allclose(weights, np.maximum(signed, 0.0), atol=1e-15)


def test_fraction_outside_is_the_lost_area():
    # Half a tent (by area) lies below its peak.
    wave, thru = np.array([100.0, 200.0, 300.0]), np.array([0.0, 1.0, 0.0])
    assert response_fraction_outside(200.0, 1000.0, wave, thru) == pytest.approx(0.5)
    assert response_fraction_outside(0.0, 1000.0, wave, thru) == 0.0
    assert response_fraction_outside(400.0, 500.0, wave, thru) == 1.0
    # 150 to 250 holds 3/4 of the area.
    assert response_fraction_outside(250.0, 150.0, wave, thru) == pytest.approx(0.25)


def test_touched_planes_drop_only_negligible_wings():
    weights = np.array([0.0, 1e-12, 1e-12, 0.2, 1.0, 0.2, 1e-9, 0.0])
    assert touched_planes(weights) == (3, 6)
    assert touched_planes(weights, negligible=0.0) == (1, 7)
    assert touched_planes(np.zeros(5)) == (0, 0)


@pytest.mark.parametrize("interpolation", ["nearest", "quadratic", None])
def test_unknown_interpolation_is_a_user_error(interpolation):
    with pytest.raises(UserError, match="interpolation"):
        plane_weights([0.0], [1.0], np.array([0.0, 1.0]), np.array([1.0, 1.0]),
                      interpolation)


def test_cubic_needs_four_samples():
    with pytest.raises(UserError, match="at least 4 samples"):
        plane_weights([0.0], [1.0], np.array([0.0, 1.0, 2.0]),
                      np.array([1.0, 1.0, 1.0]), "cubic")
