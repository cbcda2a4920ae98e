"""Weights of spectral planes: the filter curve integrated over each plane.

Array-level: wavelengths in, numbers out; nothing here knows about cubes.
"""

import numpy as np
from scipy.interpolate import make_interp_spline

from ..exceptions import UserError

__all__ = ["plane_weights", "response_fraction_outside", "touched_planes",
           "INTERPOLATIONS"]

#: The interpolations of the filter curve between its samples.
INTERPOLATIONS = ("linear", "cubic")


def _response_antiderivative(wavelengths, throughput, interpolation):
    """Return F(x), the integral of the interpolated curve from its start to x.

    The curve is zero outside its samples, so F is 0 before the first sample
    and the total response after the last one.
    """
    if interpolation not in INTERPOLATIONS:
        raise UserError(f"interpolation: expected one of {', '.join(INTERPOLATIONS)}, "
                        f"not {interpolation!r}")
    order = 1 if interpolation == "linear" else 3
    if wavelengths.size <= order:
        raise UserError(f"interpolation: {interpolation} interpolation needs at least "
                        f"{order + 1} samples of the filter curve, not {wavelengths.size}")
    # scipy's interpolating B-spline of order 1 is the piecewise-linear curve;
    # of order 3 with not-a-knot ends it is the classic cubic spline. Its
    # antiderivative integrates either exactly, with no quadrature error.
    spline = make_interp_spline(wavelengths, throughput, k=order)
    integral = spline.antiderivative()
    lo, hi = wavelengths[0], wavelengths[-1]

    def antiderivative(x):
        return integral(np.clip(x, lo, hi))

    return antiderivative


def plane_weights(lower, upper, wavelengths, throughput, interpolation="linear"):
    """Integrate a filter curve over the wavelength range of each plane.

    Parameters
    ----------
    lower, upper : array-like
        The wavelengths of the two edges of each spectral plane (in any
        order: a decreasing axis is fine), in the unit of ``wavelengths``.
    wavelengths, throughput : `numpy.ndarray`
        The filter curve, wavelengths increasing; zero outside them.
    interpolation : {"linear", "cubic"}
        How the curve is interpolated between samples: piecewise linear, or
        a not-a-knot cubic spline (better for coarsely sampled curves).

    Returns
    -------
    weights : `numpy.ndarray`
        One weight per plane, >= 0 (a cubic spline that overshoots below
        zero between samples contributes no negative weight).

    Examples
    --------
    A triangle filter from 10 to 30, peaking at 20, over planes of width 5:

    >>> edges = np.arange(0.0, 45.0, 5.0)
    >>> plane_weights(edges[:-1], edges[1:], np.array([10., 20., 30.]),
    ...               np.array([0., 1., 0.]))
    array([0.  , 0.  , 1.25, 3.75, 3.75, 1.25, 0.  , 0.  ])
    """
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    antiderivative = _response_antiderivative(wavelengths, throughput, interpolation)
    integral = (antiderivative(np.maximum(lower, upper))
                - antiderivative(np.minimum(lower, upper)))
    # Where a cubic spline dips below zero the integral can be < 0; rounding
    # can make an empty plane's integral -1e-17.
    weights = np.maximum(integral, 0.0)
    return weights


def response_fraction_outside(start, stop, wavelengths, throughput,
                              interpolation="linear"):
    """Return the fraction of a filter's integrated response outside a range.

    Parameters
    ----------
    start, stop : float
        The wavelength range covered (for a cube: the outer edges of its
        first and last planes), in the unit of ``wavelengths``.
    wavelengths, throughput : `numpy.ndarray`
        The filter curve.
    interpolation : {"linear", "cubic"}
        As in `plane_weights`.

    Returns
    -------
    fraction : float
        Between 0 (the range holds the whole filter) and 1 (no overlap).

    Examples
    --------
    >>> response_fraction_outside(0.0, 15.0, np.array([10., 20., 30.]),
    ...                           np.array([0., 1., 0.]))
    0.875
    """
    lo, hi = min(start, stop), max(start, stop)
    antiderivative = _response_antiderivative(wavelengths, throughput, interpolation)
    total = float(antiderivative(wavelengths[-1]))
    inside = float(antiderivative(hi) - antiderivative(lo))
    return min(max(1.0 - inside / total, 0.0), 1.0)


def touched_planes(weights, negligible=1e-7):
    """Return the range of planes that a filter touches, dropping its far wings.

    Leading and trailing planes whose summed weight is below ``negligible``
    times the total are left out: their contribution to a weighted mean is
    below the precision of the float32 numbers of MUSE cubes, and skipping
    them spares reading planes that only tabulated wings reach.

    Parameters
    ----------
    weights : `numpy.ndarray`
        The weight of each plane (>= 0).
    negligible : float
        The fraction of the total weight that may be left out at each end.

    Returns
    -------
    start, stop : int
        The planes ``start`` to ``stop - 1``; ``(0, 0)`` if all weights are 0.

    Examples
    --------
    >>> touched_planes(np.array([0, 1e-9, 0.5, 1.0, 0.5, 0, 0]))
    (2, 5)
    """
    weights = np.asarray(weights, dtype=float)
    total = weights.sum()
    if not total > 0:
        return 0, 0
    leading = np.cumsum(weights) / total
    trailing = np.cumsum(weights[::-1]) / total
    start = int(np.searchsorted(leading, negligible, side="right"))
    stop = weights.size - int(np.searchsorted(trailing, negligible, side="right"))
    return start, stop
