"""The layout checker finds text that is cut off or drawn over other things.

Each broken figure is broken in one known way, and the checker must name
that text; the clean figures (with the things that look like overlaps to a
naive check: colour bars, insets, twin axes, legends inside their axes,
celestial axes) must give no problem at all.
"""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter

from astropy.visualization.wcsaxes import WCSAxes

from imphot_astropy.datasets import muse_wcs
from imphot_astropy.plotting.layout import figure_layout_problems, drawn_texts


def _clean_figure():
    fig = Figure(figsize=(8.0, 4.0), layout="constrained")
    left = fig.add_subplot(1, 2, 1)
    left.plot([1, 2, 3], [3, 1, 2], label="data")
    left.set_xlabel("wavelength (Angstrom)")
    left.set_ylabel("FWHM (arcsec)")
    left.set_title("FWHM")
    left.legend()
    twin = left.twinx()
    twin.set_ylabel("beta")
    right = fig.add_subplot(1, 2, 2, projection=muse_wcs((30, 30)))
    shown = right.imshow(np.arange(900.0).reshape(30, 30), origin="lower")
    right.set_title("image")
    right.coords[0].set_axislabel("RA")
    right.coords[1].set_axislabel("Dec")
    right.coords[0].set_ticks(number=3)
    fig.colorbar(shown, ax=right, label="flux")
    inset = right.inset_axes([0.55, 0.55, 0.4, 0.05])
    fig.colorbar(shown, cax=inset, orientation="horizontal", ticks=[0, 800])
    fig.suptitle("A readable figure")
    return fig


def test_a_clean_figure_has_no_problem():
    fig = _clean_figure()
    assert figure_layout_problems(fig) == []


def test_every_drawn_text_is_measured_with_its_axes():
    fig = _clean_figure()
    lines = drawn_texts(fig)
    texts = {line.text: line for line in lines}
    (wcs_axes,) = [ax for ax in fig.axes if isinstance(ax, WCSAxes)]
    # The celestial tick labels, drawn by WCSAxes through one artist.
    ra_labels = [line for line in lines if line.owner is wcs_axes and "^s" in line.text]
    assert len(ra_labels) >= 2
    assert texts["RA"].owner is wcs_axes and texts["A readable figure"].owner is None
    assert texts["FWHM (arcsec)"].owner is fig.axes[0]
    # Matches matplotlib's own extent of a single-line text (ours is the
    # line's own height, without the room kept for descenders).
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    extent = fig.axes[0].xaxis.label.get_window_extent(renderer).extents
    box = texts["wavelength (Angstrom)"].box
    assert box[0] == pytest.approx(extent[0], abs=0.5)
    assert box[2] == pytest.approx(extent[2], abs=0.5)
    assert extent[1] - 0.5 <= box[1] < box[3] <= extent[3] + 0.5
    # Nothing of the checker is left on the figure.
    assert all("draw" not in vars(ax) for ax in fig.axes)


def test_text_cut_at_the_right_edge_is_found():
    fig = _clean_figure()
    fig.text(0.7, 0.02, "goodness 0.0388 (1: noise), flags masked, goodness")
    problems = figure_layout_problems(fig)
    assert len(problems) == 1
    assert problems[0].startswith("'goodness 0.0388 (1: noise), flags mas...' (the figure) "
                                  "extends ")
    assert "beyond the right edge of the figure" in problems[0]


def test_a_long_text_panel_without_a_layout_engine_is_cut():
    fig = Figure(figsize=(6.0, 3.0))
    panel = fig.add_axes([0.6, 0.1, 0.35, 0.8])
    panel.set_axis_off()
    panel.text(0.0, 1.0, "scale 1.00\nflags        masked, goodness above 3", va="top",
               family="monospace", transform=panel.transAxes)
    problems = figure_layout_problems(fig)
    assert problems == [problems[0]] and "'flags        masked, goodness above 3'" in \
        problems[0] and "right edge" in problems[0]


def test_tick_labels_running_into_each_other_are_found():
    fig = Figure(figsize=(4.0, 3.0), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0.0598, 0.0600], [0, 1])
    ax.set_xticks(np.linspace(0.0598, 0.0600, 9))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%.6f"))
    problems = figure_layout_problems(fig)
    assert problems
    assert all(" runs into " in problem for problem in problems)
    assert "'0.059800' (axes 1 of 1) runs into '0.059825' (axes 1 of 1)" in problems


def test_a_title_over_another_axes_is_found():
    fig = Figure(figsize=(5.0, 5.0))
    top = fig.add_axes([0.15, 0.52, 0.8, 0.4], label="top")
    bottom = fig.add_axes([0.15, 0.1, 0.8, 0.4], label="bottom")
    top.set_xticks([])
    bottom.set_title("a title in the gap")      # drawn over the top axes
    problems = figure_layout_problems(fig)
    assert problems == ["'a title in the gap' (axes 'bottom') lies over the area of "
                        "axes 'top'"]


def test_labels_of_neighbouring_axes_that_collide_are_found():
    fig = Figure(figsize=(6.0, 3.0))
    left = fig.add_axes([0.1, 0.15, 0.38, 0.8], label="left")
    right = fig.add_axes([0.52, 0.15, 0.38, 0.8], label="right")
    left.yaxis.set_label_position("right")
    left.set_ylabel("Moffat beta")
    right.set_ylabel("dy (arcsec)")
    problems = figure_layout_problems(fig)
    # The left axes' label and the right axes' tick labels share one gap,
    # which the right axes' label does not fit in.
    assert any(p.startswith("'Moffat beta' (axes 'left') runs into '0.") and
               p.endswith("(axes 'right')") for p in problems)
    assert "'dy (arcsec)' (axes 'right') lies over the area of axes 'left'" in problems
    assert "'0.4' (axes 'right') lies over the area of axes 'left'" in problems


def test_text_cut_by_its_clip_box_is_found():
    fig = Figure(figsize=(4.0, 3.0))
    ax = fig.add_axes([0.1, 0.1, 0.5, 0.5])
    ax.text(0.8, 0.5, "clipped label", transform=ax.transAxes, clip_on=True)
    problems = figure_layout_problems(fig)
    assert problems and "'clipped label' (axes 1 of 1) is cut" in problems[0]
    assert "at the right of its clip box" in problems[0]


def test_celestial_tick_labels_off_the_figure_are_found():
    fig = Figure(figsize=(3.0, 3.0))
    ax = fig.add_axes([0.0, 0.0, 1.0, 1.0], projection=muse_wcs((20, 20)))
    ax.imshow(np.zeros((20, 20)), origin="lower")
    problems = figure_layout_problems(fig)
    assert any("beyond the bottom edge" in p for p in problems)
    assert any("beyond the left edge" in p for p in problems)


def test_the_check_is_made_at_the_hardcopy_resolution():
    # Monospace text is hinted to whole pixels: 30 characters of 10 pt
    # are 172.8 pt wide at 100 dpi (8 px each) but 187.2 pt at 150 dpi
    # (13 px each). Ending 180 pt after its start, this line fits on the
    # screen and is cut in a 150 dpi hardcopy.
    fig = Figure(figsize=(4.0, 1.0), dpi=100)
    fig.text((288.0 - 180.0) / 288.0, 0.5, "x" * 30, family="monospace", fontsize=10)
    assert figure_layout_problems(fig) == []
    (problem,) = figure_layout_problems(fig, dpi=150)
    assert "extends 7.2 pt beyond the right edge" in problem
    assert fig.dpi == 100
