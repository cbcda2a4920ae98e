"""Figure plumbing shared by the fit figures: matplotlib, titles, hardcopies.

matplotlib is an optional dependency (the ``all`` extra): it is imported
only when a figure is asked for, and its absence is then a `UserError`
that says how to install it.

Figures that are only written to files are plain
`matplotlib.figure.Figure` objects, made without pyplot: they need no
display, hold no global state, and can be drawn in worker processes and
threads. pyplot is used only when a figure is to be shown on a screen.
"""

import os
import sys
from pathlib import Path

from ..exceptions import UserError
from ..io import atomic_output

__all__ = ["require_matplotlib", "display_unavailable_reason", "resolve_title",
           "hardcopy_format", "plot_filename", "new_figure", "text_panel",
           "show_figure", "save_figure"]

# Spellings of "no hardcopy" (the reference accepts "" and "none").
_NO_VALUE = ("", "none")


def require_matplotlib(argname="display/hardcopy"):
    """Import matplotlib, or say clearly that it is needed.

    Parameters
    ----------
    argname : str
        The argument(s) that asked for a figure, quoted in the error.

    Returns
    -------
    matplotlib : module

    Raises
    ------
    UserError
        If matplotlib cannot be imported.

    Examples
    --------
    >>> require_matplotlib().__name__
    'matplotlib'
    """
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401  (the Figure class used below)
    except ImportError as exc:
        raise UserError(f"{argname}: plotting needs matplotlib, which could not be "
                        f"imported ({exc}); install it with "
                        "'pip install matplotlib' or 'pip install imphot_astropy[all]'"
                        ) from None
    return matplotlib


def display_unavailable_reason():
    """Why figures cannot be shown on a screen here, or None if they can.

    A figure cannot be shown when matplotlib's backend is a file-only one
    (Agg, PDF, SVG...: set by ``MPLBACKEND``, ``matplotlib.use()`` or
    chosen by matplotlib itself when it finds no screen), or when a GUI
    backend is selected on Linux/BSD without an X11 or Wayland display.
    Backends given as ``module://...`` (such as Jupyter's inline backend)
    are trusted to know how to show figures.

    Returns
    -------
    reason : str or None

    Examples
    --------
    >>> import matplotlib
    >>> if matplotlib.get_backend().lower() == "agg":  # as in the test suite
    ...     print(display_unavailable_reason())
    ... else:
    ...     print("matplotlib's backend 'agg' only writes files")
    matplotlib's backend 'agg' only writes files
    """
    matplotlib = require_matplotlib("display")
    # This resolves matplotlib's automatic choice of backend, which falls
    # back to Agg where no screen is found.
    backend = matplotlib.get_backend().lower()
    if backend.startswith("module://"):
        return None
    if backend in _file_only_backends():
        return f"matplotlib's backend {backend!r} only writes files"
    needs_x11_or_wayland = (sys.platform.startswith(("linux", "freebsd", "openbsd"))
                            and backend not in ("webagg", "nbagg", "notebook"))
    if needs_x11_or_wayland and not (os.environ.get("DISPLAY")
                                     or os.environ.get("WAYLAND_DISPLAY")):
        return (f"matplotlib's backend is {backend!r} but neither DISPLAY nor "
                "WAYLAND_DISPLAY is set")
    return None


def _file_only_backends():
    try:        # matplotlib >= 3.9
        from matplotlib.backends import backend_registry, BackendFilter
        return backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE)
    except ImportError:
        from matplotlib.rcsetup import non_interactive_bk
        return [name.lower() for name in non_interactive_bk]


def resolve_title(title, default):
    """The title to draw: None or "none" mean the default, "" means none.

    Parameters
    ----------
    title : str or None
        What the user asked for.
    default : str
        The default title.

    Returns
    -------
    title : str or None
        None when no title is wanted.

    Examples
    --------
    >>> resolve_title(None, "MUSE image: x"), resolve_title("none", "MUSE image: x")
    ('MUSE image: x', 'MUSE image: x')
    >>> resolve_title("", "MUSE image: x") is None
    True
    >>> resolve_title("My fit", "MUSE image: x")
    'My fit'
    """
    if title is None:
        return default
    if not isinstance(title, str):
        raise UserError(f"title: expected a string or None, not {title!r}")
    if title.strip().lower() == "none":
        return default
    if title == "":
        return None
    return title


def hardcopy_format(hardcopy):
    """Check a ``hardcopy`` argument: a graphics format, or None for none.

    Parameters
    ----------
    hardcopy : str or None
        A file suffix matplotlib can write ("png", "pdf", "jpg", "eps",
        "svg"...; a leading dot and capitals are accepted), or None, "" or
        "none" for no hardcopy.

    Returns
    -------
    suffix : str or None
        The lower-case suffix without a dot.

    Raises
    ------
    UserError
        For a format matplotlib cannot write, or a non-string.

    Examples
    --------
    >>> hardcopy_format(".PNG"), hardcopy_format("none")
    ('png', None)
    """
    if hardcopy is None:
        return None
    if not isinstance(hardcopy, str):
        raise UserError(f"hardcopy: expected a graphics file suffix such as 'png' "
                        f"or None, not {hardcopy!r}")
    suffix = hardcopy.strip().lower().lstrip(".")
    if suffix in _NO_VALUE:
        return None
    require_matplotlib("hardcopy")
    from matplotlib.backend_bases import FigureCanvasBase
    supported = FigureCanvasBase.get_supported_filetypes()
    if suffix not in supported:
        raise UserError(f"hardcopy: matplotlib cannot write {hardcopy!r} files; "
                        f"choose one of {', '.join(sorted(supported))}")
    return suffix


def plot_filename(muse_filename, name, kind, suffix):
    """Where a figure of a fit is written.

    Beside the MUSE input file, named after it without its ``.fits``
    suffix: ``<name>_<kind>.<suffix>``; in the current directory when the
    MUSE image came from no file (``name`` is then "muse").

    Parameters
    ----------
    muse_filename : str or None
        The MUSE input file.
    name : str
        The MUSE image's name (the file's base name without ``.fits``).
    kind : str
        "image_fit" or "star_fit".
    suffix : str
        The graphics file suffix.

    Returns
    -------
    path : `pathlib.Path`

    Examples
    --------
    >>> str(plot_filename("/data/IMAGE-1.fits", "IMAGE-1", "image_fit", "png"))
    '/data/IMAGE-1_image_fit.png'
    >>> str(plot_filename(None, "muse", "star_fit", "pdf"))
    'muse_star_fit.pdf'
    """
    directory = Path(muse_filename).parent if muse_filename else Path(".")
    return directory / f"{name}_{kind}.{suffix}"


def new_figure(fig=None, display=False, figsize=(8.0, 6.0), layout="constrained"):
    """The figure to draw into, cleared, with a layout engine.

    Parameters
    ----------
    fig : `matplotlib.figure.Figure` or None
        A figure given by the caller, drawn into after clearing it (its
        layout engine is replaced by ``layout``).
    display : bool
        With ``fig`` None, make a pyplot figure (which can be shown) if
        True, else a plain Figure that lives only as long as it is used.
    figsize : (float, float)
        The size (inches) of a new figure.
    layout : str
        matplotlib's layout engine: "constrained" (the default) places the
        axes so that their labels, titles, colour bars and legends neither
        overlap nor leave the figure, at any size and dpi; "compressed"
        does the same for grids of images of fixed aspect, closing the gaps
        that their aspect leaves.

    Returns
    -------
    fig : `matplotlib.figure.Figure`

    Examples
    --------
    >>> fig = new_figure()
    >>> type(fig).__name__, type(fig.get_layout_engine()).__name__
    ('Figure', 'ConstrainedLayoutEngine')
    """
    require_matplotlib("fig" if fig is not None else "display/hardcopy")
    from matplotlib.figure import Figure
    if fig is not None:
        if not isinstance(fig, Figure):
            raise UserError(f"fig: expected a matplotlib Figure, not "
                            f"{type(fig).__name__}")
        fig.clear()
        fig.set_layout_engine(layout)
        return fig
    if display:
        import matplotlib.pyplot as plt
        return plt.figure(figsize=figsize, layout=layout)
    return Figure(figsize=figsize, layout=layout)


def text_panel(fig, spec, text, label="values"):
    """An axes without frame that shows lines of text (fitted values...).

    The text is monospace (so that columns of numbers line up), from the
    panel's top left corner. Give the panel a grid column wide enough for
    the text: the layout engine then has nothing to move. A wider text
    still fits (the layout engine makes room for it), but only after two
    layouts, as the room it needs depends on the panel's width: a
    hardcopy, drawn once, would cut it.

    Parameters
    ----------
    fig : `matplotlib.figure.Figure`
    spec : `matplotlib.gridspec.SubplotSpec`
        Where the panel goes.
    text : str
        The lines.
    label : str
        The axes' label (``ax.get_label()``).

    Returns
    -------
    ax : `matplotlib.axes.Axes`
        Its one text is ``ax.texts[0]``.

    Examples
    --------
    >>> fig = new_figure()
    >>> ax = text_panel(fig, fig.add_gridspec(1, 1)[0], "scale  1.20 ± 0.01")
    >>> ax.get_label(), ax.texts[0].get_text()
    ('values', 'scale  1.20 ± 0.01')
    """
    ax = fig.add_subplot(spec, label=label)
    ax.set_axis_off()
    ax.text(0.0, 1.0, text, transform=ax.transAxes, va="top", ha="left",
            family="monospace", fontsize=10)
    return ax


def show_figure(fig, nowait=False):
    """Show a figure on the screen.

    Parameters
    ----------
    fig : `matplotlib.figure.Figure`
        A figure that pyplot manages (made by `new_figure` with
        ``display=True``, or by ``pyplot.figure``).
    nowait : bool
        If False, wait until the user closes the figure (and any other
        open pyplot figure), so that it can be explored interactively;
        if True, draw it and return at once: the window stays until the
        program ends or it is closed or reused.

    Examples
    --------
    >>> from imphot_astropy.plotting.figures import new_figure
    >>> fig = new_figure(display=False)
    >>> try:
    ...     show_figure(fig)  # a figure that pyplot does not manage
    ... except Exception as err:
    ...     print(type(err).__name__)
    UserError
    """
    import matplotlib.pyplot as plt
    if fig.canvas.manager is None:
        raise UserError("fig: display=True needs a figure made by "
                        "matplotlib.pyplot.figure(), which can be shown on the "
                        "screen; this Figure has no window")
    if nowait:
        plt.show(block=False)
        plt.pause(0.1)
    else:
        plt.show(block=True)


def save_figure(fig, path, inputs=(), dpi=150):
    """Write a figure to a temporary file, then rename it to ``path``.

    Parameters
    ----------
    fig : `matplotlib.figure.Figure`
    path : str or `os.PathLike`
        The final file name; its suffix gives the format.
    inputs : iterable of str
        Input files that must not be replaced.
    dpi : float
        The resolution of bitmap formats.

    Raises
    ------
    UserError
        If ``path`` is an input file, or cannot be written.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> save_figure(new_figure(), os.path.join(d, "a.png"))
    >>> os.listdir(d)
    ['a.png']
    """
    path = Path(path)
    suffix = path.suffix.lstrip(".").lower()
    with atomic_output(path, inputs, "hardcopy") as tmpname:
        fig.savefig(tmpname, format=suffix, dpi=dpi)
