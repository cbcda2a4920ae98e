"""The figure of an exposure fitted in several bands (`plot_cube_fit`).

Left: the FWHM and beta of each single-band fit with their error bars at
the band's effective wavelength, and the joint fit's polynomials with
their 1-sigma band. Right: each band's pointing offset with its error
ellipse axes, around the joint offset. The figure only draws: every number
comes from the result.
"""

import numpy as np

from .figures import new_figure, resolve_title

__all__ = ["plot_cube_fit"]


def _wavelength_grid(result):
    lams = np.array(list(result.effective_wavelengths.values()), dtype=float)
    pivots = np.array([p for p in result.pivots.values() if np.isfinite(p)], dtype=float)
    lo = min(lams.min(), pivots.min() if pivots.size else lams.min()) - 300
    hi = max(lams.max(), pivots.max() if pivots.size else lams.max()) + 300
    return np.linspace(lo, hi, 200)


def _draw_curve(ax, result, lam, which, label):
    values, errors = (result.fwhm_at(lam) if which == "fwhm" else result.beta_at(lam))
    ax.plot(lam, values, color="k", lw=1.2, label=label)
    ax.fill_between(lam, values - errors, values + errors, color="0.8")
    for band, wavelength in result.effective_wavelengths.items():
        single = getattr(result.bands[band], which)
        ax.errorbar([wavelength], [single.value], yerr=[single.stdev or 0.0], fmt="o",
                    capsize=3, label=band)


def _draw_offsets(ax, result):
    for band, fit in result.bands.items():
        ax.errorbar([fit.dx.value], [fit.dy.value], xerr=[fit.dx.stdev or 0.0],
                    yerr=[fit.dy.stdev or 0.0], fmt="o", capsize=3, label=band)
    ax.errorbar([result.dx.value], [result.dy.value], xerr=[result.dx.stdev or 0.0],
                yerr=[result.dy.stdev or 0.0], fmt="*", color="k", ms=12, capsize=3,
                label="joint")
    ax.set_xlabel("dx (arcsec)")
    ax.set_ylabel("dy (arcsec)")
    ax.set_title("pointing offsets")
    ax.legend(fontsize="small")
    ax.set_aspect("equal", adjustable="datalim")


def plot_cube_fit(result, fig=None, title=None):
    """Draw the per-band and joint PSF versus wavelength, and the offsets.

    Parameters
    ----------
    result : `~imphot_astropy.survey.CubePhotometry`
        The fit of an exposure (its ``bands``, ``effective_wavelengths``,
        ``pivots``, ``fwhm_at``, ``beta_at``, ``dx`` and ``dy``).
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
    ['FWHM', 'beta', 'pointing offsets']
    """
    fig = new_figure(fig, figsize=(11.0, 5.0))
    grid = fig.add_gridspec(2, 2, width_ratios=(1.4, 1.0))
    lam = _wavelength_grid(result)
    ax_fwhm = fig.add_subplot(grid[0, 0])
    _draw_curve(ax_fwhm, result, lam, "fwhm", "joint FWHM(lambda)")
    ax_fwhm.set_ylabel("FWHM (arcsec)")
    ax_fwhm.set_title("FWHM")
    ax_fwhm.legend(fontsize="small", ncol=2)
    ax_beta = fig.add_subplot(grid[1, 0], sharex=ax_fwhm)
    _draw_curve(ax_beta, result, lam, "beta", "joint beta(lambda)")
    ax_beta.set_ylabel("beta")
    ax_beta.set_xlabel("wavelength (Angstrom)")
    ax_beta.set_title("beta")
    _draw_offsets(fig.add_subplot(grid[:, 1]), result)
    text = resolve_title(title, f"MUSE exposure: {getattr(result, 'name', '')}")
    if text:
        fig.suptitle(text)
    return fig
