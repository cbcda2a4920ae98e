"""An optional progress bar: tqdm's when wanted and installed, else a stand-in."""

import sys

__all__ = ["NoProgress", "progress_bar"]


class NoProgress:
    """Stands in for a tqdm bar when none is wanted (tqdm is then not needed).

    Examples
    --------
    >>> with NoProgress() as bar:
    ...     bar.update(3)
    ...     bar.write("done")
    done
    """

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        """Do nothing."""

    def write(self, text, file=None):
        """Print ``text`` (tqdm's bar prints it above the bar)."""
        print(text, file=sys.stdout if file is None else file)


def progress_bar(total, show=True, **options):
    """A tqdm progress bar on stderr, or a `NoProgress` if not shown.

    tqdm is an optional dependency: without it there is no bar.

    Parameters
    ----------
    total : int
        The number of steps.
    show : bool
        False for no bar.
    **options
        Passed to ``tqdm`` (``unit``, ``desc``, ``delay``, ``leave``, ...).

    Returns
    -------
    bar : ``tqdm.tqdm`` or `NoProgress`
        A context manager with ``update(n)`` and ``write(text, file=)``.

    Examples
    --------
    >>> with progress_bar(10, show=False) as bar:
    ...     bar.update(10)
    >>> isinstance(bar, NoProgress)
    True
    """
    if not show:
        return NoProgress()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no progress bar without it
        return NoProgress()
    options.setdefault("file", sys.stderr)
    return tqdm(total=total, **options)
