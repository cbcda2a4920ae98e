"""Validating optional numeric arguments."""

import numbers

import numpy as np

from ..exceptions import UserError

__all__ = ["optional_number"]


def optional_number(value, argname, minimum=None):
    """None, or a finite float above ``minimum``; anything else is a `UserError`.

    Parameters
    ----------
    value : object
        The argument as given.
    argname : str
        Its name, quoted in the error message.
    minimum : float, optional
        An exclusive lower bound.

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
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise UserError(f"{argname}: expected a number or None, not {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise UserError(f"{argname}: expected a finite number, not {value}")
    if minimum is not None and value <= minimum:
        raise UserError(f"{argname}: must be > {minimum}, not {value}")
    return value
