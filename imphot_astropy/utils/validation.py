"""Validating optional numeric arguments."""

import numbers

import numpy as np
import astropy.units as u

from ..exceptions import UserError

__all__ = ["optional_number", "quantity_value"]


def quantity_value(value, unit, argname):
    """The number a keyword means in ``unit``, whether given as a Quantity or not.

    A `~astropy.units.Quantity` is converted to ``unit`` (so ``30 * u.arcmin``,
    ``0.5 * u.deg`` and ``1800`` all mean 1800 arcsec when ``unit`` is
    arcsec); anything else is returned unchanged, for the caller to check as
    a plain number in ``unit``.

    Parameters
    ----------
    value : object
        The keyword's value.
    unit : `~astropy.units.UnitBase` or str
        The unit the caller works in.
    argname : str
        The keyword's name, quoted in the error message.

    Returns
    -------
    value : float or object

    Raises
    ------
    UserError
        If ``value`` is a Quantity that cannot be converted to ``unit``, or
        is not a scalar.

    Examples
    --------
    >>> quantity_value(0.5 * u.arcmin, u.arcsec, "fix_fwhm")
    30.0
    >>> quantity_value(0.7, u.arcsec, "fix_fwhm")
    0.7
    >>> quantity_value(2 * u.s, u.arcsec, "margin")
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: margin: 2.0 s cannot be converted to arcsec
    """
    if not isinstance(value, u.Quantity):
        return value
    if not value.isscalar:
        raise UserError(f"{argname}: expected a scalar, not {value}")
    unit = u.Unit(unit)
    try:
        return float(value.to_value(unit))
    except u.UnitConversionError:
        raise UserError(f"{argname}: {value} cannot be converted to "
                        f"{unit.to_string()}") from None


def optional_number(value, argname, minimum=None, unit=None):
    """None, or a finite float above ``minimum``; anything else is a `UserError`.

    Parameters
    ----------
    value : object
        The argument as given.
    argname : str
        Its name, quoted in the error message.
    minimum : float, optional
        An exclusive lower bound.
    unit : `~astropy.units.UnitBase`, optional
        The unit of the number: a `~astropy.units.Quantity` is converted to
        it (`quantity_value`). Without it, only dimensionless Quantities
        are accepted.

    Returns
    -------
    value : float or None

    Examples
    --------
    >>> optional_number(None, "fix_fwhm") is None, optional_number(2, "fix_beta", 1.0)
    (True, 2.0)
    >>> optional_number("0.7", "fix_fwhm")
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: fix_fwhm: expected a number or None, not '0.7'
    """
    if value is None:
        return None
    value = quantity_value(value, u.one if unit is None else unit, argname)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise UserError(f"{argname}: expected a number or None, not {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise UserError(f"{argname}: expected a finite number, not {value}")
    if minimum is not None and value <= minimum:
        raise UserError(f"{argname}: must be > {minimum}, not {value}")
    return value
