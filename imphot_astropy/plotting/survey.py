"""The figure of an exposure fitted in several bands (`plot_cube_fit`).

Left: the FWHM and beta of each single-band fit with their error bars at
the band's effective wavelength, and the joint fit's polynomials with
their 1-sigma band. Right: each band's pointing offset on the sky
(ΔRA cos δ, ΔDec: the angles a person compares, not the differences of
RA coordinates, which grow as 1 / cos δ) with its error bars, in
milliarcseconds from the joint offset (the offsets differ by
tens of mas while they are tens to hundreds of mas from zero: in arcsec
the tick labels needed five decimals and ran into each other). The
figure only draws: every number comes from the result.
"""

import numpy as np

from .figures import new_figure, resolve_title
from .text import format_fitted_value

__all__ = ["plot_cube_fit", "CUBE_FIT_PANELS", "CUBE_FIT_FIGSIZE"]

#: The labels of the axes of the figure (``ax.get_label()``), in order.
CUBE_FIT_PANELS = ("fwhm", "beta", "offsets")

#: The size (inches) of a new figure.
CUBE_FIT_FIGSIZE = (11.0, 5.0)

_MAS = 1000.0       # mas per arcsec


def _band_colors(result):
    """One colour per band, the same in every panel."""
    return {band: f"C{i % 10}" for i, band in enumerate(result.effective_wavelengths)}


def _wavelength_grid(result):
    lams = np.array(list(result.effective_wavelengths.values()), dtype=float)
    pivots = np.array([p for p in result.pivots.values() if np.isfinite(p)], dtype=float)
    lo = min(lams.min(), pivots.min() if pivots.size else lams.min()) - 300
    hi = max(lams.max(), pivots.max() if pivots.size else lams.max()) + 300
    return np.linspace(lo, hi, 200)


def _draw_curve(ax, result, lam, which, label, colors):
    values, errors = (result.fwhm_at(lam) if which == "fwhm" else result.beta_at(lam))
    ax.plot(lam, values, color="k", lw=1.2, label=label)
    ax.fill_between(lam, values - errors, values + errors, color="0.8",
                    label="joint fit ± 1σ")
    for band, wavelength in result.effective_wavelengths.items():
        single = getattr(result.bands[band], which)
        ax.errorbar([wavelength], [single.value], yerr=[single.stdev or 0.0], fmt="o",
                    color=colors[band], capsize=3, label=band)


def _in_mas(fitted):
    """A fitted offset (arcsec) in mas, for `format_fitted_value`."""
    from types import SimpleNamespace
    return SimpleNamespace(value=fitted.value * _MAS, fixed=fitted.fixed,
                           stdev=None if fitted.stdev is None else fitted.stdev * _MAS)


def _draw_offsets(ax, result, colors):
    joint_ra, joint_dec = result.dra_sky, result.ddec_sky
    for band, fit in result.bands.items():
        ax.errorbar([(fit.dra_sky.value - joint_ra.value) * _MAS],
                    [(fit.ddec_sky.value - joint_dec.value) * _MAS],
                    xerr=[(fit.dra_sky.stdev or 0.0) * _MAS],
                    yerr=[(fit.ddec_sky.stdev or 0.0) * _MAS],
                    fmt="o", color=colors.get(band), capsize=3, label=band)
    ax.errorbar([0.0], [0.0], xerr=[(joint_ra.stdev or 0.0) * _MAS],
                yerr=[(joint_dec.stdev or 0.0) * _MAS], fmt="*", color="k", ms=12,
                capsize=3, label="joint")
    ax.set_xlabel("ΔRA cos δ − joint (mas)")
    ax.set_ylabel("ΔDec − joint (mas)")
    ax.set_title("pointing offsets on the sky")
    # Beside the legend, outside the data, where the layout engine keeps
    # room for it.
    ax.text(1.02, 0.0, f"joint ΔRA cos δ\n{format_fitted_value(_in_mas(joint_ra), ' mas')}\n"
            f"joint ΔDec\n{format_fitted_value(_in_mas(joint_dec), ' mas')}",
            transform=ax.transAxes, fontsize="small", va="bottom", ha="left")
    ax.ticklabel_format(useOffset=False)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0)
    ax.set_aspect("equal", adjustable="datalim")


def plot_cube_fit(result, fig=None, title=None):
    """Draw the per-band and joint PSF versus wavelength, and the offsets.

    Parameters
    ----------
    result : `~imphot_astropy.survey.CubePhotometry`
        The fit of an exposure (its ``bands``, ``effective_wavelengths``,
        ``pivots``, ``fwhm_at``, ``beta_at``, ``dra_sky`` and ``ddec_sky``).
    fig : `matplotlib.figure.Figure`, optional
        Draw into this figure (cleared); a new one by default.
    title : str or None
        None for "MUSE exposure: <name>", "" for none.

    Returns
    -------
    fig : `matplotlib.figure.Figure`

    Examples
    --------
    >>> from imphot_astropy.datasets import make_exposure_cube
    >>> from imphot_astropy.survey import fit_cube_photometry
    >>> cube, hst, truth = make_exposure_cube(shape=(50, 50), nplanes=40,
    ...                                       filters=("F606W", "F814W"), seed=4)
    >>> fig = plot_cube_fit(fit_cube_photometry(cube, hst, fix_beta=2.5))
    >>> [ax.get_title() for ax in fig.axes]
    ['FWHM', 'beta', 'pointing offsets on the sky']
    """
    fig = new_figure(fig, figsize=CUBE_FIT_FIGSIZE)
    grid = fig.add_gridspec(2, 2, width_ratios=(1.3, 1.0))
    lam = _wavelength_grid(result)
    colors = _band_colors(result)
    ax_fwhm = fig.add_subplot(grid[0, 0], label=CUBE_FIT_PANELS[0])
    _draw_curve(ax_fwhm, result, lam, "fwhm", "joint FWHM(λ)", colors)
    ax_fwhm.set_ylabel("FWHM (arcsec)")
    ax_fwhm.set_title("FWHM")
    ax_fwhm.legend(fontsize="small", ncol=2, loc="best")
    ax_fwhm.tick_params(labelbottom=False)      # the wavelengths are below
    ax_beta = fig.add_subplot(grid[1, 0], sharex=ax_fwhm, label=CUBE_FIT_PANELS[1])
    _draw_curve(ax_beta, result, lam, "beta", "joint beta(λ)", colors)
    ax_beta.set_ylabel("Moffat β")
    ax_beta.set_xlabel("wavelength (Å)")
    ax_beta.set_title("beta")
    _draw_offsets(fig.add_subplot(grid[:, 1], label=CUBE_FIT_PANELS[2]), result, colors)
    text = resolve_title(title, f"MUSE exposure: {getattr(result, 'name', '')}")
    if text:
        fig.suptitle(text)
    return fig
