"""The columns of MUSE pixel tables: names, on-disk types and units.

Shared by the reader (`~imphot_astropy.pixtable.storage`), the writer
(`~imphot_astropy.pixtable.writer`) and the `PixTable` class.
"""

import warnings

import numpy as np
import astropy.units as u

from ..exceptions import UserError

__all__ = ["COLUMN_NAMES", "REQUIRED_COLUMNS", "DISK_DTYPES", "KEYWORD",
           "parse_unit", "SPECIFIC_COLUMNS", "INTEGER_COLUMNS", "BITPIX_DTYPES", "native_column"]

#: Prefix of the pipeline's pixel-table keywords in the primary header.
KEYWORD = "HIERARCH ESO DRS MUSE PIXTABLE"

#: The columns of a pixel table, in the pipeline's order.
COLUMN_NAMES = ("xpos", "ypos", "lambda", "data", "dq", "stat", "origin",
                "weight")
#: The columns every pixel table has (``weight`` is optional).
REQUIRED_COLUMNS = COLUMN_NAMES[:-1]
#: Columns that only pixel tables have (a file without any is some other table).
SPECIFIC_COLUMNS = ("xpos", "ypos", "lambda", "origin")
#: On-disk type of each column when written.
DISK_DTYPES = {"xpos": ">f4", "ypos": ">f4", "lambda": ">f4", "data": ">f4",
               "dq": ">i4", "stat": ">f4", "origin": ">i4", "weight": ">f4"}
#: Columns stored as integers (``1J``); the others are floats.
INTEGER_COLUMNS = ("dq", "origin")
#: Big-endian numpy dtype of each FITS BITPIX, to read an image HDU's bytes directly.
BITPIX_DTYPES = {8: "u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4",
                  -64: ">f8"}
_FLOAT_COLUMNS = ("xpos", "ypos", "lambda", "data", "stat", "weight")


def parse_unit(text):
    """Parse a unit string as the MUSE pipeline writes it.

    Parameters
    ----------
    text : str or None
        A FITS ``BUNIT`` or ``TUNITn`` value.

    Returns
    -------
    `~astropy.units.UnitBase` or None
        None if ``text`` is empty or not a unit astropy can parse.

    Examples
    --------
    >>> parse_unit("10**(-20)*erg/s/cm**2/Angstrom")
    Unit("1e-20 erg / (Angstrom s cm2)")
    >>> parse_unit("(10**(-20)*erg/s/cm**2/Angstrom)**2") is None
    True
    """
    if not isinstance(text, str) or not text.strip():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", u.UnitsWarning)
        for fmt in ("fits", "generic"):
            try:
                return u.Unit(text.strip(), format=fmt)
            except ValueError:
                continue
    return None


def native_column(values, name):
    """Copy column values into a 1-D array of native byte order.

    The float columns stay float (integers become float64); ``dq`` and
    ``origin`` become int32. A FITS column read as shape (n, 1) is flattened.

    Parameters
    ----------
    values : array-like
        The column's values, of any byte order.
    name : str
        The column's name (one of `COLUMN_NAMES`); names it in messages.

    Returns
    -------
    array : `numpy.ndarray`
        A new 1-D array in native byte order.

    Raises
    ------
    UserError
        If the values are not 1-D, or not numbers (integers for ``dq`` and
        ``origin``).

    Examples
    --------
    >>> import numpy as np
    >>> native_column(np.array([1.5, 2.5], dtype=">f4"), "data").dtype
    dtype('float32')
    >>> native_column([[3], [7]], "origin")
    array([3, 7], dtype=int32)
    """
    array = np.array(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise UserError(f"{name}: expected a 1-D column, got shape "
                        f"{array.shape}")
    if name in _FLOAT_COLUMNS:
        if array.dtype.kind not in "fiu":
            raise UserError(f"{name}: expected numbers, got {array.dtype}")
        if array.dtype.kind != "f":
            array = array.astype(np.float64)
    elif array.size and array.dtype.kind not in "iu":
        raise UserError(f"{name}: expected integers, got {array.dtype}")
    else:
        array = array.astype(np.int32)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array
