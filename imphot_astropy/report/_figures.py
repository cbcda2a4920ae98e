"""The figures of the survey report: they draw a `SurveySummary`'s numbers.

Every figure uses matplotlib's constrained layout, labels its axes with
units, and draws the outliers in red with their names. The exposure pages
reuse `~imphot_astropy.plotting.plot_cube_fit` (on the fit itself when the
report is given it, else on the table's rows, `TableExposure`) and
`~imphot_astropy.plotting.plot_image_fit`.
"""

import numpy as np

from ..fitting.results import FittedValue
from ..plotting import plot_cube_fit, plot_image_fit, save_figure
from ..plotting.figures import require_matplotlib

__all__ = ["TableExposure", "survey_figures", "render_exposure_figure", "SURVEY_DPI",
           "EXPOSURE_DPI"]

#: Resolution of the survey page's figures (10 x 4.5 inch: 1000 x 450 px).
SURVEY_DPI = 100
#: Resolution of the exposure pages' figures: 80 dpi keeps the 400 exposure
#: figures of a large survey near 50 kB each (the benchmark's 50 MB budget).
EXPOSURE_DPI = 80
_OUTLIER = "tab:red"
_NORMAL = "tab:blue"
# At most this many outliers are named on a figure (all are in the text).
_MAX_NAMED = 8


def _figure(figsize):
    require_matplotlib("report")
    from matplotlib.figure import Figure
    return Figure(figsize=figsize, layout="constrained")


def _values(summary, column):
    return np.asarray(summary.exposures[column], dtype=float)


def _outlier_mask(summary, quantities):
    """The exposures that stand out in one of ``quantities`` (their reasons name it)."""
    starts = tuple(f"{q} = " for q in quantities)
    return np.array([any(r.startswith(starts) for r in summary.outliers[n])
                     for n in summary.exposures["name"]])


def _exposure_axis(ax):
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("exposure number, in order of DATE-OBS")


def _legend_above(fig, ax, ncol):
    """The legend in the figure's top margin, where it hides no point."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", ncol=ncol, fontsize="small")


def _name_outliers(ax, x, y, summary, mask):
    names = np.asarray(summary.exposures["name"])
    for xi, yi, name in list(zip(x[mask], y[mask], names[mask]))[:_MAX_NAMED]:
        if np.isfinite(xi) and np.isfinite(yi):
            ax.annotate(name, (xi, yi), xytext=(4, 4), textcoords="offset points",
                        color=_OUTLIER, fontsize=8)


def _errorbars(ax, x, y, yerr, mask, xerr=None, **kwargs):
    """Normal points in blue, outliers in red, each with its error bars."""
    for subset, colour, label in ((~mask, _NORMAL, "exposure"), (mask, _OUTLIER, "outlier")):
        if subset.any():
            ax.errorbar(x[subset], y[subset], yerr=yerr[subset],
                        xerr=None if xerr is None else xerr[subset], fmt="o", ms=3,
                        color=colour, ecolor=colour, elinewidth=0.8, capsize=0,
                        label=label, **kwargs)


def offsets_figure(summary):
    """dRA and dDec of each exposure, in time order, with their error bars."""
    fig = _figure((10.0, 4.5))
    axes = fig.subplots(2, 1, sharex=True)
    index = np.arange(len(summary.exposures))
    mask = _outlier_mask(summary, ("dx", "dy"))
    for ax, q, label in zip(axes, ("dra", "ddec"), ("dRA", "dDec")):
        values = _values(summary, q)
        _errorbars(ax, index, values, _values(summary, q + "_err"), mask)
        ax.axhline(np.nanmedian(values), color="0.5", lw=0.8, ls="--", label="median")
        _name_outliers(ax, index, values, summary, mask)
        ax.set_ylabel(f"{label} (arcsec)")
    _legend_above(fig, axes[0], 3)
    fig.suptitle("Pointing offsets of the joint fits (MUSE minus HST)", x=0.02, ha="left")
    _exposure_axis(axes[1])
    return fig


def offset_scatter_figure(summary):
    """dRA against dDec of every exposure."""
    fig = _figure((5.5, 4.5))
    ax = fig.subplots()
    mask = _outlier_mask(summary, ("dx", "dy"))
    dra, ddec = _values(summary, "dra"), _values(summary, "ddec")
    _errorbars(ax, dra, ddec, _values(summary, "ddec_err"), mask,
               xerr=_values(summary, "dra_err"))
    _name_outliers(ax, dra, ddec, summary, mask)
    ax.set_xlabel("dRA (arcsec)")
    ax.set_ylabel("dDec (arcsec)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize="small")
    ax.set_title("Offsets on the sky")
    return fig


def fwhm_figure(summary):
    """FWHM at the reference bands per exposure, the seeing monitor's, and vs airmass."""
    fig = _figure((10.0, 4.5))
    ax_time, ax_airmass = fig.subplots(1, 2, width_ratios=(2.0, 1.0))
    index = np.arange(len(summary.exposures))
    mask = _outlier_mask(summary, ("fwhm", "fwhm_over_seeing"))
    reference = summary.reference_bands[0]
    for band in summary.reference_bands:
        fwhm = _values(summary, f"fwhm_{band}")
        ax_time.errorbar(index, fwhm, yerr=_values(summary, f"fwhm_err_{band}"), fmt="o",
                         ms=3, label=f"fit, {band} ({_median_lam(summary, band):.0f} Å)")
    _draw_monitor(ax_time, summary, index, reference)
    fwhm = _values(summary, f"fwhm_{reference}")
    ax_time.plot(index[mask], fwhm[mask], "o", mfc="none", mec=_OUTLIER, ms=9, label="outlier")
    _name_outliers(ax_time, index, fwhm, summary, mask)
    _exposure_axis(ax_time)
    ax_time.set_ylabel("FWHM (arcsec)")
    _legend_above(fig, ax_time, 3)
    fig.suptitle("PSF FWHM per exposure, and against airmass", x=0.02, ha="left")
    airmass = _values(summary, "airmass")
    if np.isfinite(airmass).any():
        _errorbars(ax_airmass, airmass, fwhm, _values(summary, f"fwhm_err_{reference}"), mask)
        _name_outliers(ax_airmass, airmass, fwhm, summary, mask)
    else:
        ax_airmass.text(0.5, 0.5, "no airmass\n(no cube headers)", ha="center",
                        va="center", transform=ax_airmass.transAxes)
    ax_airmass.set_xlabel("airmass")
    ax_airmass.set_ylabel(f"FWHM at {reference} (arcsec)")
    return fig


def _median_lam(summary, band):
    return float(np.nanmedian(_values(summary, f"wavelength_{band}")))


def _draw_monitor(ax, summary, index, band):
    """The seeing monitor's FWHM (START to END), scaled to the band's wavelength."""
    scaled = _values(summary, "seeing_fwhm")
    if not np.isfinite(scaled).any():
        return
    seeing = _values(summary, "seeing")
    low = scaled * _values(summary, "seeing_start") / seeing
    high = scaled * _values(summary, "seeing_end") / seeing
    span = np.abs(high - low)
    ax.errorbar(index, scaled, yerr=np.where(np.isfinite(span), span / 2, 0.0), fmt="_",
                color="0.3", ms=8,
                label=f"seeing monitor × airmass^0.6, at {band}")


def psf_curves_figure(summary):
    """FWHM and beta against wavelength, one line per exposure."""
    fig = _figure((10.0, 4.5))
    axes = fig.subplots(1, 2)
    names = list(summary.exposures["name"])
    mask = _outlier_mask(summary, ("fwhm", "fwhm_over_seeing"))
    lam = np.array([_values(summary, f"wavelength_{b}") for b in summary.bands])
    for ax, q, label in zip(axes, ("fwhm", "beta"), ("FWHM (arcsec)", "beta")):
        values = np.array([_values(summary, f"{q}_{b}") for b in summary.bands])
        ax.plot(lam[:, ~mask], values[:, ~mask], color="0.6", lw=0.7, alpha=0.6)
        for k in np.flatnonzero(mask)[:_MAX_NAMED]:
            ax.plot(lam[:, k], values[:, k], "o-", color=_OUTLIER, lw=1.5, ms=3)
            ax.annotate(names[k], (lam[-1, k], values[-1, k]), xytext=(3, 0),
                        textcoords="offset points", color=_OUTLIER, fontsize=8)
        ax.set_xlabel("wavelength (Å)")
        ax.set_ylabel(label)
    axes[0].set_title(f"FWHM(λ) of {len(names)} exposures (grey), outliers in red")
    axes[1].set_title("beta(λ) (joint fits, at each band)")
    return fig


def calibration_figure(summary):
    """The flux scale and background of each band, per exposure."""
    fig = _figure((10.0, 5.5))
    axes = fig.subplots(2, 1, sharex=True)
    index = np.arange(len(summary.exposures))
    unit = summary.rows and next(iter(summary.rows.values()))["bg"].unit
    for ax, q, label in zip(axes, ("scale", "bg"),
                            ("flux scale\n(MUSE/HST)", f"background\n({unit or 'MUSE units'})")):
        for band in summary.bands:
            ax.errorbar(index, _values(summary, f"{q}_{band}"),
                        yerr=_values(summary, f"{q}_err_{band}"), fmt="o-", ms=3, lw=0.6,
                        label=band)
        ax.set_ylabel(label, fontsize="small")
    _legend_above(fig, axes[0], len(summary.bands))
    fig.suptitle("Calibration per band (joint fits)", x=0.02, ha="left")
    _exposure_axis(axes[1])
    return fig


#: The survey page's figures: file name -> (drawing function, caption).
SURVEY_FIGURES = {
    "offsets.png": (offsets_figure, "Pointing offsets per exposure, in time order."),
    "offsets_sky.png": (offset_scatter_figure, "The offsets on the sky."),
    "fwhm.png": (fwhm_figure, "FWHM per exposure beside the seeing monitor's, and "
                              "against airmass."),
    "psf_curves.png": (psf_curves_figure, "FWHM and beta against wavelength."),
    "calibration.png": (calibration_figure, "Flux scale and background of each band."),
}


def survey_figures(summary, directory, dpi=SURVEY_DPI):
    """Draw and save the survey page's figures into ``directory``.

    Returns
    -------
    figures : list of (str, str)
        (file name, caption) of each figure, in page order.
    """
    import os
    written = []
    for filename, (draw, caption) in SURVEY_FIGURES.items():
        fig = draw(summary)
        save_figure(fig, os.path.join(directory, filename), dpi=dpi)
        written.append((filename, caption))
    return written


class TableExposure:
    """An exposure's fit rebuilt from the survey table, for `plot_cube_fit`.

    The table holds the joint fit's FWHM and beta at each band, not the
    polynomials' coefficients: the curves here are those values joined by
    straight lines (exact for the default FWHM of degree 1 and constant
    beta), and their error band the bands' errors interpolated likewise.

    Parameters
    ----------
    rows : `~astropy.table.Table`
        The exposure's rows of the survey table.
    """

    def __init__(self, rows):
        image = rows[rows["method"] == "image"]
        joint = rows[rows["method"] == "joint"]
        order = np.argsort(np.asarray(joint["wavelength"], dtype=float))
        joint = joint[order]
        self.name = str(rows["name"][0])
        self.effective_wavelengths = {str(r["filter"]): float(r["wavelength"]) for r in joint}
        self.pivots = {str(r["filter"]): float(r["pivot"]) for r in joint}
        self.bands = {str(r["filter"]): _RowFit(r) for r in image}
        self.dx, self.dy = _RowFit(joint[0]).dx, _RowFit(joint[0]).dy
        self._lam = np.asarray(joint["wavelength"], dtype=float)
        self._joint = {q: (np.asarray(joint[q], dtype=float),
                           np.nan_to_num(np.asarray(joint[q + "_err"], dtype=float)))
                       for q in ("fwhm", "beta")}

    def _at(self, lam, q):
        values, errors = self._joint[q]
        if len(self._lam) == 1:
            return np.full(np.shape(lam), values[0]), np.full(np.shape(lam), errors[0])
        # Linear through the bands, extended by the end segments.
        slope_lo = (values[1] - values[0]) / (self._lam[1] - self._lam[0])
        slope_hi = (values[-1] - values[-2]) / (self._lam[-1] - self._lam[-2])
        inside = np.interp(lam, self._lam, values)
        out = np.where(lam < self._lam[0], values[0] + slope_lo * (lam - self._lam[0]),
                       np.where(lam > self._lam[-1],
                                values[-1] + slope_hi * (lam - self._lam[-1]), inside))
        return out, np.interp(lam, self._lam, errors)

    def fwhm_at(self, lam):
        """The joint FWHM at ``lam`` (straight lines between the bands) and its error."""
        return self._at(np.asarray(lam, dtype=float), "fwhm")

    def beta_at(self, lam):
        """The joint beta at ``lam`` (straight lines between the bands) and its error."""
        return self._at(np.asarray(lam, dtype=float), "beta")


class _RowFit:
    """The fitted values of one table row, as `FittedValue` attributes."""

    def __init__(self, row):
        for q in ("fwhm", "beta", "dx", "dy", "scale", "bg"):
            error = float(row[q + "_err"])
            setattr(self, q, FittedValue(float(row[q]), error if np.isfinite(error) else None,
                                         bool(row[q + "_fixed"])))


def render_exposure_figure(job):
    """Draw an exposure's joint-fit figure and save it (a worker's task).

    Parameters
    ----------
    job : tuple
        (fit or `TableExposure`, output file, dpi).
    """
    from matplotlib import rc_context
    source, path, dpi = job
    # Titles at the top of their axes, where plot_cube_fit's are anyway (no
    # tick labels above): matplotlib's automatic placement measures every
    # tick label of the axes first, 14% of the figure's time (0.34 s ->
    # 0.29 s per exposure), and a survey has hundreds of them.
    with rc_context({"axes.titley": 1.0}):
        fig = plot_cube_fit(source)
        save_figure(fig, path, dpi=dpi)
    return path


def band_figures(result, directory, slug, name, dpi=EXPOSURE_DPI):
    """Save the per-band fit figures of a fit whose products were kept.

    Returns
    -------
    written : list of (str, str)
        (file name relative to ``directory``, band) of each figure.
    """
    import os
    written = []
    for band, fit in getattr(result, "bands", {}).items():
        if getattr(fit, "products", None) is None:
            continue
        filename = f"{slug}_{band}.png"
        save_figure(plot_image_fit(fit, title=f"{name}: {band}"),
                    os.path.join(directory, filename), dpi=dpi)
        written.append((filename, band))
    return written
