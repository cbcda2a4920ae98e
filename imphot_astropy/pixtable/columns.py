"""The columns of MUSE pixel tables: names, on-disk types and units.

Shared by the reader (`~imphot_astropy.pixtable.storage`), the writer
(`~imphot_astropy.pixtable.writer`) and the `PixTable` class.
"""

import warnings

import astropy.units as u

__all__ = ["COLUMN_NAMES", "REQUIRED_COLUMNS", "DISK_DTYPES", "KEYWORD",
           "parse_unit"]

#: Prefix of the pipeline's pixel-table keywords in the primary header.
KEYWORD = "HIERARCH ESO DRS MUSE PIXTABLE"

#: The columns of a pixel table, in the pipeline's order.
COLUMN_NAMES = ("xpos", "ypos", "lambda", "data", "dq", "stat", "origin",
                "weight")
#: The columns every pixel table has (``weight`` is optional).
REQUIRED_COLUMNS = COLUMN_NAMES[:-1]
# Columns that only pixel tables have.
_SPECIFIC_COLUMNS = ("xpos", "ypos", "lambda", "origin")
#: On-disk type of each column when written.
DISK_DTYPES = {"xpos": ">f4", "ypos": ">f4", "lambda": ">f4", "data": ">f4",
               "dq": ">i4", "stat": ">f4", "origin": ">i4", "weight": ">f4"}
_INTEGER_COLUMNS = ("dq", "origin")
_BITPIX_DTYPES = {8: "u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4",
                  -64: ">f8"}


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
