"""Parsing the selection arguments of pixel tables.

Wavelength and pixel ranges, IFU, slice and stack numbers, as MPDAF accepts
them (a scalar, a pair, a list of pairs...), validated with messages naming
the argument.
"""

import numbers

import numpy as np
import astropy.units as u

from ..exceptions import UserError
from .origin import NIFUS
from .slicer import NSLICES, NSTACKS, SLICES_PER_STACK, Slicer

__all__ = ["parse_ranges", "parse_integers", "stack_slices", "ifu_numbers",
           "slice_numbers"]


def parse_ranges(value, argname, unit=None, target_unit=None):
    """Turn a ``(min, max)`` pair or a list of pairs into a list of pairs.

    Parameters
    ----------
    value : tuple or list of tuples
        The range(s). Bounds may be Quantities when ``unit`` is given.
    argname : str
        Argument name for error messages.
    unit, target_unit : `~astropy.units.UnitBase`, optional
        Unit of plain-number bounds, and the unit to convert them to.

    Returns
    -------
    list of (float, float)

    Raises
    ------
    UserError
        If a range is malformed or its minimum exceeds its maximum.

    Examples
    --------
    >>> parse_ranges((6000, 6100), "lbda")
    [(6000.0, 6100.0)]
    >>> import astropy.units as u
    >>> [(round(a, 6), round(b, 6))
    ...  for a, b in parse_ranges([(600, 610)], "lbda", u.nm, u.AA)]
    [(6000.0, 6100.0)]
    """
    if _is_pair(value):
        value = [value]
    try:
        pairs = list(value)
    except TypeError:
        raise UserError(f"{argname}: expected (min, max) or a list of "
                        f"(min, max) pairs, got {value!r}") from None
    if not pairs:
        raise UserError(f"{argname}: the list of ranges is empty")
    result = []
    for pair in pairs:
        if not _is_pair(pair):
            raise UserError(f"{argname}: expected (min, max) pairs, got "
                            f"{pair!r}")
        low, high = (_bound(v, argname, unit, target_unit) for v in pair)
        if low > high:
            raise UserError(f"{argname}: the range ({pair[0]}, {pair[1]}) "
                            "has min > max")
        result.append((low, high))
    return result


def _is_pair(value):
    return (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, (numbers.Real, u.Quantity))
                    and np.ndim(v) == 0 for v in value))


def _bound(value, argname, unit, target_unit):
    try:
        if isinstance(value, u.Quantity):
            if target_unit is None:
                raise UserError(f"{argname}: expected plain numbers, got "
                                f"{value!r}")
            return float(value.to_value(target_unit, u.spectral()))
        if unit is not None and target_unit is not None:
            return float((value * unit).to_value(target_unit, u.spectral()))
        return float(value)
    except u.UnitsError as err:
        raise UserError(f"{argname}: {err}") from None


def parse_integers(value, argname, low, high):
    """Turn an integer or a list of integers into a sorted integer array.

    Parameters
    ----------
    value : int or sequence of int
    argname : str
        Argument name for error messages.
    low, high : int
        Allowed range, inclusive.

    Returns
    -------
    `numpy.ndarray`

    Examples
    --------
    >>> parse_integers(3, "ifu", 1, 24).tolist()
    [3]
    """
    array = np.atleast_1d(np.asarray(value))
    if array.ndim != 1 or array.size == 0 or array.dtype.kind not in "iu":
        raise UserError(f"{argname}: expected an integer or a list of "
                        f"integers, got {value!r}")
    if array.min() < low or array.max() > high:
        raise UserError(f"{argname}: values must be in {low}-{high}, got "
                        f"{value!r}")
    return np.unique(array).astype(np.int64)


def stack_slices(stacks):
    """Return the CCD slice numbers of the given stacks (1-4), numbered as
    in MPDAF: stack ``k`` is sky slices ``12 (k - 1) + 1`` to ``12 k``
    (optical stack ``5 - k``).

    Examples
    --------
    >>> stack_slices([1]).tolist()
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    >>> stack_slices(4).tolist() == Slicer.stack_ccd_slices(1).tolist()
    True
    """
    stacks = parse_integers(stacks, "stack", 1, NSTACKS)
    sky = np.concatenate([np.arange(SLICES_PER_STACK * (k - 1) + 1,
                                    SLICES_PER_STACK * k + 1)
                          for k in stacks.tolist()])
    return np.sort(Slicer.sky2ccd(sky))


def ifu_numbers(ifus):
    """Validate IFU numbers (1-24) and return them sorted.

    Examples
    --------
    >>> ifu_numbers([3, 1]).tolist()
    [1, 3]
    """
    return parse_integers(ifus, "ifu", 1, NIFUS)


def slice_numbers(slices):
    """Validate slice numbers (1-48, CCD scheme) and return them sorted.

    Examples
    --------
    >>> slice_numbers(48).tolist()
    [48]
    """
    return parse_integers(slices, "sl", 1, NSLICES)
