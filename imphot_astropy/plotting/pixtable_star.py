"""The figure of a PSF fit on the unresampled samples of a pixel table.

`imphot_astropy.fitting.fit_pixtable_star` returns a table of the fitted
Moffat per wavelength slice and, on request, the samples of each slice.
This module draws them: the radial profile of the samples about each
slice's fitted centre with the fitted Moffat curves, and the FWHM against
wavelength. It uses only the table's columns and the samples' ``x``,
``y``, ``data`` and ``used`` arrays. For an elliptical Moffat (columns
``e`` and ``theta``) the distance is the stretched one, along the major
axis (`~imphot_astropy.core.psf.stretched_offsets`), at which the
profile is the circular one of the major axis's FWHM.
"""

import numpy as np

from ..core.psf import stretched_offsets
from ..exceptions import UserError
from ..fitting.pixtable_star import image_position_angle
from .figures import new_figure, resolve_title
from .star_fit import moffat_profile

__all__ = ["plot_pixtable_star", "PIXTABLE_STAR_PANELS", "PIXTABLE_STAR_FIGSIZE"]

#: The labels of the axes of the figure (``ax.get_label()``).
PIXTABLE_STAR_PANELS = ("profile", "fwhm")

#: The size (inches) of a new figure.
PIXTABLE_STAR_FIGSIZE = (11.0, 4.8)


def _value(column):
    """Plain float values of a Quantity column (or of plain numbers)."""
    return np.asarray(getattr(column, "value", column), dtype=float)


def plot_pixtable_star(table, samples, fig=None, display=False, title=None):
    """Draw the radial profiles and the FWHM of a pixel-table star fit.

    Parameters
    ----------
    table : `~astropy.table.QTable`
        The result of `~imphot_astropy.fitting.fit_pixtable_star`.
    samples : list
        The samples it returns with ``return_samples=True``, one per row of
        ``table``.
    fig : `matplotlib.figure.Figure`, optional
        A figure to draw into (cleared first).
    display : bool
        With ``fig`` None, make a pyplot figure that can be shown.
    title : str, optional
        The figure's title (default: the star's position and FWHM model).

    Returns
    -------
    fig : `matplotlib.figure.Figure`
        Left, the samples' values less the fitted background, divided by
        the fitted flux, against their distance from the fitted centre
        (for an elliptical Moffat, the distance stretched along the major
        axis), with the fitted Moffat curves; right, FWHM against wavelength with
        one-sigma error bars (and the fitted line of a linear model).

    Raises
    ------
    UserError
        If ``samples`` does not match ``table``.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.table import QTable
    >>> from types import SimpleNamespace
    >>> table = QTable({"lambda": [7000.0], "fwhm": [0.7], "fwhm_err": [0.01],
    ...                 "beta": [2.5], "dx": [0.0], "dy": [0.0],
    ...                 "flux": [100.0], "background": [0.0]},
    ...                meta={"spaxel_size": 0.2, "fwhm_model": "free"})
    >>> r = np.linspace(0, 2, 50)
    >>> s = SimpleNamespace(x=r, y=0 * r, data=np.exp(-r ** 2), used=r < 3)
    >>> fig = plot_pixtable_star(table, [s])
    >>> [ax.get_label() for ax in fig.axes]
    ['profile', 'fwhm']
    """
    if len(samples) != len(table):
        raise UserError(f"samples: {len(samples)} slices of samples for "
                        f"{len(table)} rows of the table")
    fig = new_figure(fig, display=display, figsize=PIXTABLE_STAR_FIGSIZE)
    profile = fig.add_subplot(1, 2, 1, label=PIXTABLE_STAR_PANELS[0])
    fwhm_ax = fig.add_subplot(1, 2, 2, label=PIXTABLE_STAR_PANELS[1])
    _draw_profiles(profile, table, samples)
    _draw_fwhm(fwhm_ax, table)
    meta = table.meta
    default = "Moffat fit on unresampled pixel-table samples"
    if "star_ra" in meta:
        default += (f": RA {meta['star_ra']:.6f} Dec {meta['star_dec']:.6f}"
                    f", {meta.get('fwhm_model', 'free')} FWHM")
    shown_title = resolve_title(title, default)
    if shown_title:
        fig.suptitle(shown_title)
    return fig


def _draw_profiles(ax, table, samples):
    spaxel = float(table.meta.get("spaxel_size", 0.2))
    lambdas = _value(table["lambda"])
    colors = _colors(len(table))
    rmax = 0.0
    elliptical = "e" in table.colnames
    for row, s, color, lbda in zip(table, samples, colors, lambdas):
        flux, bg = _value(row["flux"]), _value(row["background"])
        used = np.asarray(s.used, dtype=bool)
        r, peak_factor = _distances(row, np.asarray(s.x)[used], np.asarray(s.y)[used])
        values = (np.asarray(s.data)[used] - bg) / flux
        ax.plot(r, values, ".", ms=1.5, alpha=0.3, color=color,
                rasterized=True)
        rmax = max(rmax, float(r.max()) if r.size else 0.0)
        radius = np.linspace(0.0, max(rmax, 1e-3), 300)
        curve = moffat_profile(radius, peak_factor, float(_value(row["fwhm"])),
                               float(_value(row["beta"])), 0.0, spaxel ** 2)
        label = f"{lbda:.0f} Å: FWHM {float(_value(row['fwhm'])):.3f}″"
        if elliptical:
            label += f", e {float(_value(row['e'])):.3f}, θ {float(_value(row['theta'])):.1f}°"
        ax.plot(radius, curve, "-", color=color, lw=1.5, label=label)
    ax.axhline(0.0, color="0.5", lw=0.5)
    ax.set_xlim(0.0, rmax)
    ax.set_xlabel("distance from the fitted centre, along the major axis (arcsec)"
                  if elliptical else "distance from the fitted centre (arcsec)")
    ax.set_ylabel(f"(value − background) / flux, per ({spaxel:g}″)² spaxel")
    ax.legend(fontsize="small")


def _distances(row, x, y):
    """The samples' distances from the fitted centre, and the factor of the
    profile's peak over that of the circular Moffat of the same FWHM.

    For an elliptical Moffat the distance is stretched along the major
    axis, whose ``theta`` the table gives from west toward north (+x of a
    north-up MUSE image) while the samples are east and north offsets.
    """
    x, y = x - _value(row["dx"]), y - _value(row["dy"])
    if "e" not in row.colnames:
        return np.hypot(x, y), 1.0
    east_to_north = image_position_angle(float(_value(row["theta"])))
    along, across, minor = stretched_offsets(x, y, 0.0, 0.0, float(_value(row["e"])),
                                             east_to_north)
    return np.hypot(along, across / minor), 1.0 / minor


def _draw_fwhm(ax, table):
    lambdas = _value(table["lambda"])
    fwhm = _value(table["fwhm"])
    errors = _value(table["fwhm_err"]) if "fwhm_err" in table.colnames \
        else None
    ax.errorbar(lambdas, fwhm, yerr=errors, fmt="o", color="k", ms=4,
                label="fitted per slice")
    meta = table.meta
    if meta.get("fwhm_model") == "linear" and "fwhm_slope" in meta:
        grid = np.linspace(lambdas.min(), lambdas.max(), 2)
        line = meta["fwhm_ref"] + meta["fwhm_slope"] * (
            grid - meta["lambda_ref"])
        ax.plot(grid, line, "-", color="C3", label="linear model")
    ax.set_xlabel("wavelength (Å)")
    ax.set_ylabel("Moffat FWHM, major axis (arcsec)" if "e" in table.colnames
                  else "Moffat FWHM (arcsec)")
    ax.legend(fontsize="small")


def _colors(n):
    from matplotlib import colormaps
    cmap = colormaps["viridis"]
    return [cmap(v) for v in np.linspace(0.0, 0.9, max(n, 1))]
