"""How many workers a ``nprocess`` / ``nworker`` argument asks for."""

import numbers
import os

from ..exceptions import UserError

__all__ = ["available_cores", "worker_count"]


def available_cores():
    """The number of cores this process may run on.

    Examples
    --------
    >>> available_cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


def worker_count(nprocess, argname="nprocess"):
    """Return the number of workers that ``nprocess`` asks for.

    Parameters
    ----------
    nprocess : int
        0 for one per available core, a positive number for that many, or
        -n for all cores but n (at least 1).
    argname : str
        The argument name, quoted in the error message.

    Returns
    -------
    n : int

    Raises
    ------
    UserError
        If ``nprocess`` is not an integer.

    Examples
    --------
    >>> worker_count(3)
    3
    >>> worker_count(-1000)
    1
    """
    if isinstance(nprocess, bool) or not isinstance(nprocess, numbers.Integral):
        raise UserError(f"{argname}: expected an integer, not {nprocess!r}")
    nprocess = int(nprocess)
    if nprocess > 0:
        return nprocess
    return max(available_cores() + nprocess, 1)
