"""Is a figure readable? Text cut at its edges or drawn over other text.

`figure_layout_problems` draws a figure with matplotlib's own renderer and
measures every line of text it draws: tick labels, axis labels, titles,
the suptitle, legends, tables and text panels, of plain and of celestial
(WCSAxes) axes alike. It reports, in words, the text that would be cut at
the edge of the saved figure or by its clip box, and the text drawn over
other text or over another axes' area.

Why the texts are caught as the renderer draws them rather than listed
from the figure's artists: WCSAxes draws all the tick labels of a
coordinate through one artist that is not among the axes' children (its
per-label boxes are private), and a plain axes keeps tick label artists
for ticks that are not drawn (outside the view limits). Only the draw
itself knows what is on the page, and where.
"""

import contextlib
import functools
from dataclasses import dataclass

import numpy as np

from .figures import require_matplotlib

__all__ = ["figure_layout_problems", "drawn_texts", "DrawnText"]

# Overlaps and overhangs smaller than this (points) are not visible at a
# glance and are not reported: text boxes include the glyphs' side
# bearings, and two tick labels that touch at that level still read.
_TOLERANCE_POINTS = 0.5

# Side by side, two texts need at least this gap (points) to read as two:
# tick labels 0.15 pt apart ("0.059800.05985", plot_cube_fit's offsets in
# arcsec) read as one number. A space of 10 pt text is 3.2 pt wide.
_MIN_GAP_POINTS = 1.5


@dataclass(frozen=True)
class DrawnText:
    """One line of text as the renderer drew it.

    Parameters
    ----------
    text : str
        The line.
    box : (float, float, float, float)
        x0, y0, x1, y1 of its box, in display pixels from the lower left
        of the figure (rotated text: the box around the rotated line).
    owner : `matplotlib.axes.Axes` or None
        The axes that drew it (None: the figure itself, e.g. the suptitle).
    group : int
        Lines drawn by one text artist share a group.
    clip : (float, float, float, float) or None
        The clip rectangle it was drawn with, if any.
    """

    text: str
    box: tuple
    owner: object
    group: int
    clip: object = None


def _line_box(renderer, x, y, text, prop, angle, ismath):
    """The box of one line drawn at baseline start (x, y) (renderer's y)."""
    width, height, descent = renderer.get_text_width_height_descent(text, prop, ismath)
    if renderer.flipy():
        y = renderer.get_canvas_width_height()[1] - y
    corners = np.array([(0.0, -descent), (width, -descent), (width, height - descent),
                        (0.0, height - descent)])
    theta = np.deg2rad(angle)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    corners = corners @ rotation.T + (x, y)
    return (*corners.min(axis=0), *corners.max(axis=0))


class _Recorder:
    """Records the lines of text a renderer draws, and which axes drew them."""

    def __init__(self, renderer):
        self.renderer = renderer
        self.lines = []
        self.owners = [None]
        self._last_gc = None
        self._group = 0

    def _note(self, gc, x, y, s, prop, angle, ismath):
        if not (s and s.strip()):
            return
        # One text artist draws all its lines with one graphics context.
        if gc is not self._last_gc:
            self._group += 1
            self._last_gc = gc
        clip = gc.get_clip_rectangle()
        self.lines.append(DrawnText(
            s, _line_box(self.renderer, x, y, s, prop, angle, ismath), self.owners[-1],
            self._group, None if clip is None else tuple(clip.extents)))

    def record(self, original, gc, x, y, s, prop, angle, ismath=False, **kwargs):
        self._note(gc, x, y, s, prop, angle, ismath)
        return original(gc, x, y, s, prop, angle, ismath=ismath, **kwargs)

    def record_tex(self, original, gc, x, y, s, prop, angle, **kwargs):
        self._note(gc, x, y, s, prop, angle, "TeX")
        return original(gc, x, y, s, prop, angle, **kwargs)

    def drawing(self, ax, original, renderer, *args, **kwargs):
        self.owners.append(ax)
        try:
            return original(renderer, *args, **kwargs)
        finally:
            self.owners.pop()


def _all_axes(fig):
    """Every axes of a figure: its own, its subfigures' and inset axes."""
    found = []

    def add(ax):
        found.append(ax)
        for child in getattr(ax, "child_axes", ()):
            add(child)

    for ax in fig.axes:
        add(ax)
    for subfigure in getattr(fig, "subfigs", ()):
        found += [ax for ax in _all_axes(subfigure) if ax not in found]
    return found


@contextlib.contextmanager
def _drawing(fig, dpi):
    """Draw ``fig`` at ``dpi``, recording its text; yield the recorder.

    Inside the context the figure keeps that dpi and the layout of that
    draw, so that axes positions can be measured on the same grid.
    """
    require_matplotlib("fig")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    original_canvas, original_dpi = fig.canvas, fig.dpi
    canvas = original_canvas if hasattr(original_canvas, "get_renderer") \
        else FigureCanvasAgg(fig)
    try:
        if dpi is not None:
            fig.set_dpi(dpi)
        canvas.draw()                     # lays the figure out, as savefig does
        renderer = canvas.get_renderer()
        recorder = _Recorder(renderer)
        # Instance attributes: only this figure and this renderer are
        # touched, and they are removed below.
        hooked = [(renderer, "draw_text", recorder.record),
                  (renderer, "draw_tex", recorder.record_tex)]
        hooked += [(ax, "draw", functools.partial(recorder.drawing, ax))
                   for ax in _all_axes(fig)]
        # The layout was made by the draw above; laying it out again would
        # draw WCSAxes' tick labels once more, to measure them, outside the
        # axes' own draw.
        engine = fig.get_layout_engine()
        if engine is not None:
            hooked.append((engine, "execute", lambda execute, figure: None))
        saved = []
        for target, name, hook in hooked:
            saved.append((target, name, vars(target).get(name)))
            setattr(target, name, functools.partial(hook, getattr(target, name)))
        try:
            fig.draw(renderer)
        finally:
            for target, name, previous in reversed(saved):
                if previous is None:
                    delattr(target, name)
                else:
                    setattr(target, name, previous)
        yield recorder
    finally:
        if fig.dpi != original_dpi:
            fig.set_dpi(original_dpi)
        if canvas is not original_canvas:
            fig.set_canvas(original_canvas)


def drawn_texts(fig, dpi=None):
    """Draw ``fig`` and return every line of text drawn, as `DrawnText`.

    Parameters
    ----------
    fig : `matplotlib.figure.Figure`
        Drawn at its own size, with its layout engine. A figure whose
        canvas cannot render (a plain `~matplotlib.figure.Figure` has a
        base canvas) is drawn on an Agg canvas, then given its canvas back.
    dpi : float, optional
        Draw at this resolution (that of a hardcopy), the figure's own by
        default. It matters: text is hinted to whole pixels, so a line of
        monospace text is up to 8% wider, relative to the figure, at one
        dpi than at another (10 pt DejaVu Sans Mono: 8 px a character at
        100 dpi, 13 px at 150 dpi).

    Returns
    -------
    lines : list of `DrawnText`
        Their boxes in pixels at ``dpi``. (Text drawn with path effects is
        drawn as paths, not text, and is not among them.)
    """
    with _drawing(fig, dpi) as recorder:
        return recorder.lines


def _describe_axes(ax, axes):
    if ax is None:
        return "the figure"
    label = ax.get_label()
    if label and not label.startswith("<"):
        return f"axes {label!r}"
    title = ax.get_title() or ax.get_title("left")
    if title:
        return f"axes {title!r}"
    return f"axes {axes.index(ax) + 1} of {len(axes)}"


def _describe(line, axes):
    text = line.text if len(line.text) <= 40 else line.text[:37] + "..."
    return f"{text!r} ({_describe_axes(line.owner, axes)})"


def _overlap(box, other):
    """Width and height of the intersection of two boxes (<= 0: none)."""
    return (min(box[2], other[2]) - max(box[0], other[0]),
            min(box[3], other[3]) - max(box[1], other[1]))


def _area_shown(ax):
    """True if the axes' area is drawn (not a bare text panel)."""
    return ax.get_visible() and (ax.axison or bool(ax.get_images()))


def _outside(box, bounds, tolerance):
    """How far (pixels) a box sticks out of bounds, per side, and the worst side."""
    excess = {"left": bounds[0] - box[0], "bottom": bounds[1] - box[1],
              "right": box[2] - bounds[2], "top": box[3] - bounds[3]}
    side = max(excess, key=excess.get)
    return (side, excess[side]) if excess[side] > tolerance else None


def figure_layout_problems(fig, dpi=None):
    """What makes a figure hard to read: text cut off or drawn over things.

    The figure is drawn (see `drawn_texts`) and every line of text checked:

    - it lies within the figure (else it is cut in the saved file), and
      within its clip box if it has one;
    - it does not overlap a line of another text artist (tick labels
      running into each other, a title over tick labels, a legend over an
      axis label), whichever axes drew them; side by side, two lines need
      a gap of 1.5 pt to read as two;
    - it does not lie over the area of another axes, unless the two axes'
      areas overlap by design (twin axes, insets, an inset colour bar).
      Text inside its own axes (legends, annotations) is that axes'
      business; an axes with no frame and no image (a text panel) has no
      area to cover, only its text.

    A colour bar is an axes of its own: its labels may not cover its
    parent image, and are not confused with it because the checks compare
    drawn lines, not the axes' bounding boxes (which nest). Overlaps and
    overhangs smaller than half a point are ignored. The box of rotated
    text is the box around the rotated line.

    Parameters
    ----------
    fig : `matplotlib.figure.Figure`
    dpi : float, optional
        Check the figure as drawn at this resolution: that of its hardcopy
        (`~imphot_astropy.plotting.save_figure` writes 150 dpi), as text
        widths depend on it (see `drawn_texts`). The figure's own dpi (its
        size on a screen) by default.

    Returns
    -------
    problems : list of str
        One sentence per problem; empty for a readable figure.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(3, 2), layout="constrained")
    >>> ax = fig.add_subplot()
    >>> _ = ax.set_xlabel("wavelength (Angstrom)")
    >>> figure_layout_problems(fig)
    []
    >>> _ = fig.text(0.9, 0.5, "a note that runs off the page")
    >>> figure_layout_problems(fig)  # doctest: +ELLIPSIS
    ["'a note that runs off the page' (the figure) extends ... beyond the right edge..."]
    """
    with _drawing(fig, dpi) as recorder:
        lines = recorder.lines
        axes = _all_axes(fig)
        tolerance = _TOLERANCE_POINTS * fig.dpi / 72.0
        bounds = (0.0, 0.0, fig.bbox.width, fig.bbox.height)
        extents = {ax: tuple(ax.get_window_extent().extents) for ax in axes}
        points = 72.0 / fig.dpi
        min_gap = _MIN_GAP_POINTS * fig.dpi / 72.0
    problems = _text_cut(lines, axes, bounds, tolerance, points)
    problems += _text_overlaps(lines, axes, tolerance, min_gap)
    problems += _text_over_axes(lines, axes, extents, tolerance)
    return problems


def _text_cut(lines, axes, bounds, tolerance, points):
    problems = []
    for line in lines:
        cut = _outside(line.box, bounds, tolerance)
        if cut:
            problems.append(f"{_describe(line, axes)} extends {cut[1] * points:.1f} pt "
                            f"beyond the {cut[0]} edge of the figure")
        elif line.clip is not None:
            cut = _outside(line.box, line.clip, tolerance)
            if cut:
                problems.append(f"{_describe(line, axes)} is cut {cut[1] * points:.1f} pt "
                                f"at the {cut[0]} of its clip box")
    return problems


def _text_overlaps(lines, axes, tolerance, min_gap):
    problems, seen = [], set()
    boxes = np.array([line.box for line in lines]).reshape(-1, 4)
    groups = np.array([line.group for line in lines])
    for i, line in enumerate(lines):
        later = np.arange(i + 1, len(lines))
        later = later[groups[later] != line.group]
        dx = np.minimum(boxes[later, 2], line.box[2]) - np.maximum(boxes[later, 0], line.box[0])
        dy = np.minimum(boxes[later, 3], line.box[3]) - np.maximum(boxes[later, 1], line.box[1])
        for j in later[(dx > -min_gap) & (dy > tolerance)]:
            pair = (line.group, lines[j].group)
            if pair not in seen:
                seen.add(pair)
                problems.append(f"{_describe(line, axes)} runs into "
                                f"{_describe(lines[j], axes)}")
    return problems


def _text_over_axes(lines, axes, extents, tolerance):
    areas = {ax: extent for ax, extent in extents.items() if _area_shown(ax)}
    problems, seen = [], set()
    for line in lines:
        own = extents.get(line.owner)
        for ax, area in areas.items():
            if ax is line.owner or (line.group, ax) in seen:
                continue
            if own is not None and min(_overlap(own, area)) > 0:
                continue            # axes drawn over each other by design
            if min(_overlap(line.box, area)) > tolerance:
                seen.add((line.group, ax))
                problems.append(f"{_describe(line, axes)} lies over the area of "
                                f"{_describe_axes(ax, axes)}")
    return problems
