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

__all__ = ["SKY_OFFSET_LABELS", "TableExposure", "survey_figures", "render_exposure_figure",
           "SURVEY_DPI", "EXPOSURE_DPI"]

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


# The offsets on the sky, as a person compares them between exposures
# (not the differences of RA coordinates, which grow as 1 / cos δ).
_SKY_OFFSETS = ("dra_sky", "ddec_sky")
#: How the figures and pages name the offsets on the sky.
SKY_OFFSET_LABELS = {"dra_sky": "ΔRA cos δ", "ddec_sky": "ΔDec"}


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
    mask = _outlier_mask(summary, _SKY_OFFSETS)
    for ax, q in zip(axes, _SKY_OFFSETS):
        values = _values(summary, q) * 1e3
        _errorbars(ax, index, values, _values(summary, q + "_err") * 1e3, mask)
        ax.axhline(np.nanmedian(values), color="0.5", lw=0.8, ls="--", label="median")
        _name_outliers(ax, index, values, summary, mask)
        ax.set_ylabel(f"{SKY_OFFSET_LABELS[q]} (mas)")
    _legend_above(fig, axes[0], 3)
    fig.suptitle("Pointing offsets of the joint fits (MUSE minus HST)", x=0.02, ha="left")
    _exposure_axis(axes[1])
    return fig


def offset_scatter_figure(summary):
    """dRA against dDec of every exposure."""
    fig = _figure((5.5, 4.5))
    ax = fig.subplots()
    mask = _outlier_mask(summary, _SKY_OFFSETS)
    dra, ddec = (_values(summary, q) * 1e3 for q in _SKY_OFFSETS)
    _errorbars(ax, dra, ddec, _values(summary, "ddec_sky_err") * 1e3, mask,
               xerr=_values(summary, "dra_sky_err") * 1e3)
    _name_outliers(ax, dra, ddec, summary, mask)
    ax.set_xlabel(f"{SKY_OFFSET_LABELS['dra_sky']} (mas)")
    ax.set_ylabel(f"{SKY_OFFSET_LABELS['ddec_sky']} (mas)")
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

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_survey_table
    >>> from imphot_astropy.report import summarise_survey, observing_conditions
    >>> table, headers, _ = make_survey_table(3, filters=("F606W", "F814W"))
    >>> summary = summarise_survey(table, observing_conditions(headers))
    >>> directory = tempfile.mkdtemp()
    >>> names = [name for name, _ in survey_figures(summary, directory)]
    >>> sorted(names) == sorted(os.listdir(directory))
    True
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

    Examples
    --------
    >>> from imphot_astropy.datasets import make_survey_table
    >>> table, _, _ = make_survey_table(3, filters=("F606W", "F814W"))
    >>> exposure = TableExposure(table[table["name"] == table["name"][0]])
    >>> sorted(exposure.bands)
    ['F606W', 'F814W']
    >>> fwhm, error = exposure.fwhm_at(exposure.effective_wavelengths["F606W"])
    >>> bool(fwhm > 0 and error > 0)
    True
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
        joint_fit = _RowFit(joint[0])
        self.dx, self.dy = joint_fit.dx, joint_fit.dy
        self.dra_sky, self.ddec_sky = joint_fit.dra_sky, joint_fit.ddec_sky
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
        for q in ("fwhm", "beta", "dx", "dy", "dra_sky", "ddec_sky", "scale", "bg"):
            error = float(row[q + "_err"])
            setattr(self, q, FittedValue(float(row[q]), error if np.isfinite(error) else None,
                                         bool(row[q + "_fixed"])))


def render_exposure_figure(job):
    """Draw an exposure's joint-fit figure and save it (a worker's task).

    Parameters
    ----------
    job : tuple
        (fit or `TableExposure`, output file, dpi).

    Returns
    -------
    path : str
        The file written.

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_survey_table
    >>> table, _, _ = make_survey_table(3, filters=("F606W", "F814W"))
    >>> exposure = TableExposure(table[table["name"] == table["name"][0]])
    >>> path = os.path.join(tempfile.mkdtemp(), "exposure.png")
    >>> render_exposure_figure((exposure, path, 60)) == path and os.path.getsize(path) > 0
    True
    """
    from matplotlib import rc_context
    source, path, dpi = job
    # Titles at the top of their axes, where plot_cube_fit's are anyway (no
    # tick labels above): matplotlib's automatic placement measures every
    # tick label of the axes first, 14% of the figure's time (0.34 s ->
    # 0.29 s per exposure), and a survey has hundreds of them.
    with rc_context({"axes.titley": 1.0}):
        fig = _laid_out(lambda: plot_cube_fit(source), dpi)
        save_figure(fig, path, dpi=dpi)
    return path


# This process's constrained layouts of the exposure figures: the extents of
# their text -> the positions of the axes and suptitle. See _reuse_layout.
_LAYOUTS = []


def _widest(strings, font, renderer):
    """The width (pixels) of the widest of ``strings`` (or lines of them) in ``font``."""
    lines = [line for text in strings for line in str(text).split("\n") if line]
    return max((renderer.get_text_width_height_descent(line, font, ismath="$" in line)[0]
                for line in lines), default=0.0)


def _layout_key(fig, dpi):
    """What the constrained layout of an exposure figure depends on: (fixed, extents, crowded).

    The layout engine places the axes from the extents of their
    decorations: tick labels, axis labels, titles, legends and texts
    outside them. This lists their strings where they are the same in
    every exposure of a survey (``fixed``), and the width of the widest
    where the numbers change them (``extents``): the tick labels as the locators and formatters
    will make them at draw time (after the equal-aspect panel has set its
    limits for its current position), and whether the end ticks lie near
    the ends of their axis (where their labels overhang it); and whether
    the ticks of an x axis are closer than its widest label (``crowded``).
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib import rcParams
    fig.set_dpi(dpi)
    renderer = fig._get_renderer()     # the one the layout engine measures with
    fixed = [tuple(fig.get_size_inches()), dpi, len(fig.axes), len(fig.texts)]
    crowded = False
    extents = [_widest([t.get_text()], t.get_fontproperties(), renderer) for t in fig.texts]
    for ax in fig.axes:
        ax.apply_aspect()
        for axis, name in ((ax.xaxis, "xtick"), (ax.yaxis, "ytick")):
            low, high = sorted(axis.get_view_interval())
            locs = [v for v in axis.get_major_locator()() if low <= v <= high]
            formatter = axis.get_major_formatter()
            labels = formatter.format_ticks(locs)
            near = tuple(abs(v - end) < 0.08 * (high - low)
                         for v, end in zip(locs[:1] + locs[-1:], (low, high)))
            font = FontProperties(size=rcParams[f"{name}.labelsize"])
            fixed.append((formatter.get_offset(), axis.get_label_text()))
            widest = _widest(labels, font, renderer)
            extents += [widest, *near]
            if axis is ax.xaxis and len(locs) > 1:
                # Labels side by side: the gap between ticks must hold one.
                step = ax.get_position().width * fig.bbox.width * (locs[1] - locs[0]) \
                    / (high - low)
                crowded |= step < widest + 4.0
        legend = ax.get_legend()
        fixed.append((ax.get_title(),
                      legend and tuple(t.get_text() for t in legend.get_texts())))
        extents += [_widest([t.get_text()], t.get_fontproperties(), renderer)
                    for t in ax.texts]
    return tuple(fixed), np.array(extents, dtype=float), crowded


def _positions(fig):
    # The axes, and the figure's texts (its suptitle, which the engine moves).
    return ([ax.get_position(original=True).frozen() for ax in fig.axes],
            [t.get_position() for t in fig.texts])


def _place(fig, positions):
    axes, texts = positions
    for ax, box in zip(fig.axes, axes):
        ax.set_position(box)
    for text, xy in zip(fig.texts, texts):
        text.set_position(xy)


def _laid_out(build, dpi):
    """Give the figure the constrained layout computed for one whose text has the same shape.

    The layout engine measures every text of the figure twice, then the
    save draws the figure a first time without rendering to run it: 45%
    of the time of an exposure figure (0.37 -> 0.25 CPU s at 80 dpi). A
    survey's exposure figures differ mostly in their numbers, and so fall
    into few sets of text extents (`_layout_key`): this process computes the
    layout once per shape, checks that placing it gives the same shape
    (the equal-aspect panel's ticks follow its position), and otherwise
    lays out a new figure with the engine as before. The figure leaves with
    no layout engine, so that saving it draws it once.

    Parameters
    ----------
    build : callable
        Draws the figure (a new one per call), with a layout engine.
    dpi : float
        The resolution it will be saved at.

    Returns
    -------
    fig : `matplotlib.figure.Figure`
    """
    fig = build()
    if _LAYOUTS:
        fig.set_layout_engine(None)
        _place(fig, _LAYOUTS[-1][1])
        fixed, extents, _ = _layout_key(fig, dpi)
        for (room_fixed, room, _), positions in reversed(_LAYOUTS):
            # A layout made for texts at least as wide leaves room for these.
            if room_fixed == fixed and len(room) == len(extents) and (extents <= room).all():
                _place(fig, positions)
                again_fixed, again, crowded = _layout_key(fig, dpi)
                if again_fixed == fixed and (again <= room).all() and not crowded:
                    return fig
                break
        # A new figure: the engine's result depends on where the axes start,
        # and the equal-aspect panel's limits on where it was placed.
        fig = build()
    fig.set_dpi(dpi)
    fig.get_layout_engine().execute(fig)
    fig.set_layout_engine(None)
    _LAYOUTS.append((_layout_key(fig, dpi), _positions(fig)))
    return fig


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
