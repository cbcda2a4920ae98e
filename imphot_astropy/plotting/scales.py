"""Colour scales shared by the fit figures."""

import numpy as np

__all__ = ["residual_norm", "symmetric_ticks", "stretched_ticks", "residual_colorbar",
           "colormap", "NOT_COMPARED_COLOR"]

#: The colour of pixels that a fit did not use: a mid grey, which is in
#: neither the image colour map (inferno) nor the residual one (RdBu,
#: whose middle is white).
NOT_COMPARED_COLOR = "#8f8f8f"


def residual_norm(values):
    """A symmetric colour scale that shows all the structure of a residual.

    Linear within 3 times the robust (MAD) scatter of the residual and
    logarithmic beyond (an asinh scale, symmetric about zero), up to the
    largest residual: a moving star or a bad mask edge, and the faint
    residuals of galaxies at the noise level, are visible at once.

    Parameters
    ----------
    values : array-like
        The residual values that were fitted (no NaN).

    Returns
    -------
    norm : `matplotlib.colors.AsinhNorm`

    Examples
    --------
    >>> norm = residual_norm([-2.0, 0.1, -0.1, 0.05, 0.0])
    >>> float(norm.vmin), float(norm.vmax), round(float(norm.linear_width), 3)
    (-2.0, 2.0, 0.445)
    """
    from matplotlib.colors import AsinhNorm
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return AsinhNorm(linear_width=1.0, vmin=-1.0, vmax=1.0)
    robust = 1.4826 * float(np.median(np.abs(values - np.median(values))))
    limit = float(np.max(np.abs(values)))
    if not limit > 0:
        limit = 1.0
    width = min(3.0 * robust, limit) if robust > 0 else limit
    return AsinhNorm(linear_width=width, vmin=-limit, vmax=limit)


def symmetric_ticks(width, limit):
    """Colour-bar ticks for an asinh residual scale: 0 and +-1, 3 x 10^k.

    Only values between the linear width and the limit are used, at most
    three each side, so that the labels do not crowd around zero.

    Examples
    --------
    >>> symmetric_ticks(0.09, 3.2)
    [-3.0, -1.0, -0.3, 0.0, 0.3, 1.0, 3.0]
    """
    if not (limit > 0 and width > 0):
        return [0.0]
    low = int(np.floor(np.log10(width)))
    high = int(np.ceil(np.log10(limit)))
    candidates = [round(m * 10.0**k, 12) for k in range(low, high + 1) for m in (1, 3)]
    chosen = [v for v in candidates if width <= v <= limit][-3:]
    if not chosen:
        chosen = [float(f"{limit:.1g}")]
    return sorted(-v for v in chosen) + [0.0] + chosen


def _round_inwards(value, direction):
    """``value`` to two significant digits, rounded with np.ceil or np.floor."""
    if value == 0 or not np.isfinite(value):
        return float(value)
    step = 10.0 ** (np.floor(np.log10(abs(value))) - 1)
    return float(f"{direction(value / step) * step:.2g}")


def stretched_ticks(norm, number=6):
    """Colour-bar ticks evenly spread along a stretched (asinh) scale.

    matplotlib's tick locator spaces ticks evenly in data values, which an
    asinh stretch squeezes together at the bright end until their labels
    run into each other ("15.017.5"). These ticks are the values at even
    steps of the colour scale, rounded to two significant digits.

    Parameters
    ----------
    norm : `astropy.visualization.ImageNormalize`
        A normalisation with ``vmin``, ``vmax`` and an ``inverse``.
    number : int
        How many steps of the colour scale (the ticks at both ends included).

    Returns
    -------
    ticks : list of float
        Increasing, within [vmin, vmax], zero included if in range; none
        closer than half a step to another.

    Examples
    --------
    >>> from astropy.visualization import ImageNormalize, AsinhStretch
    >>> norm = ImageNormalize(vmin=-0.4, vmax=18.0, stretch=AsinhStretch(0.05))
    >>> stretched_ticks(norm)
    [-0.4, 0.0, 1.5, 3.8, 8.4, 18.0]
    >>> stretched_ticks(ImageNormalize(vmin=-0.00213, vmax=2.91, stretch=AsinhStretch(0.05)))
    [0.0, 0.12, 0.3, 0.66, 1.4, 2.9]
    """
    low, high = float(norm.vmin), float(norm.vmax)
    values = np.asarray(norm.inverse(np.linspace(0.0, 1.0, number)), dtype=float).ravel()
    ticks = {float(f"{value:.2g}") for value in values if np.isfinite(value)}
    # The ends, rounded inwards, so that both ends of the bar are labelled.
    ticks |= {_round_inwards(low, np.ceil), _round_inwards(high, np.floor)}
    if low < 0 < high:
        ticks.add(0.0)
    ticks = sorted(t for t in ticks if low <= t <= high)
    # Drop ticks closer than half a colour-scale step to a kept one (their
    # labels would touch), zero first kept.
    positions = dict(zip(ticks, np.asarray(norm(ticks), dtype=float).ravel()))
    kept = []
    for tick in sorted(ticks, key=lambda t: t != 0):
        if all(abs(positions[tick] - positions[other]) >= 0.5 / (number - 1)
               for other in kept):
            kept.append(tick)
    return sorted(kept)


def residual_colorbar(fig, shown, ax, label, **kwargs):
    """A colour bar for a residual image, with uncrowded symmetric ticks.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> ax = fig.add_subplot()
    >>> residual = np.array([[-1.0, 0.5], [0.2, 1.0]])
    >>> shown = ax.imshow(residual, cmap="RdBu_r", norm=residual_norm(residual))
    >>> bar = residual_colorbar(fig, shown, ax, "MUSE - model")
    >>> bar.ax.get_label()  # names the colour bar's axes for later look-up
    'MUSE - model'
    """
    from matplotlib.ticker import NullLocator
    bar = fig.colorbar(shown, ax=ax, **kwargs)
    norm = shown.norm
    bar.set_ticks(symmetric_ticks(norm.linear_width, norm.vmax))
    axis = bar.ax.xaxis if bar.orientation == "horizontal" else bar.ax.yaxis
    axis.set_major_formatter("{x:.2g}")
    axis.set_minor_locator(NullLocator())
    bar.ax.tick_params(labelsize=8)
    bar.ax.set_label(label)
    return bar


def colormap(name, bad=NOT_COMPARED_COLOR):
    """A matplotlib colour map that shows NaN (unused) pixels in ``bad``.

    Examples
    --------
    >>> colormap("RdBu_r").get_bad().round(2).tolist()
    [0.56, 0.56, 0.56, 1.0]
    """
    import matplotlib
    return matplotlib.colormaps[name].with_extremes(bad=bad)
