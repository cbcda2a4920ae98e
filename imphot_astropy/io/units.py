"""Flux units from FITS headers that do not always follow the standard."""

import astropy.units as u

from ..exceptions import UserError

__all__ = ["flux_unit_from_header", "MUSE_FLUX_UNIT", "quantity_value"]

#: The flux-density unit in which MUSE pipeline products are calibrated,
#: apart from the 1e-20 scale factor that is usually kept in FSCALE or BUNIT.
MUSE_FLUX_UNIT = u.erg / (u.s * u.cm**2 * u.AA)

# HST pipelines write these BUNIT spellings, which astropy's FITS unit
# parser does not accept as they stand.
_HST_UNIT_SPELLINGS = {
    "ELECTRONS/S": u.electron / u.s,
    "ELECTRONS/SEC": u.electron / u.s,
    "ELECTRONS": u.electron,
    "COUNTS/S": u.count / u.s,
    "COUNTS": u.count,
}


def flux_unit_from_header(header, filename="image"):
    """Return the flux unit of an image header, and what was assumed.

    BUNIT is used when it parses; the HST spellings ``ELECTRONS/S`` and
    ``COUNTS/S`` are recognised. Without BUNIT, a MUSE-style ``FSCALE``
    keyword means ``FSCALE * erg / (s cm2 Angstrom)``. Without either, the
    data are taken to be dimensionless.

    Parameters
    ----------
    header : `~astropy.io.fits.Header`
        The header of the HDU that holds the data.
    filename : str
        The name to quote in the returned note.

    Returns
    -------
    unit : `~astropy.units.UnitBase`
        The flux unit.
    note : str or None
        A sentence that says what was assumed, or None if the header said
        it unambiguously.

    Examples
    --------
    >>> from astropy.io import fits
    >>> unit, note = flux_unit_from_header(fits.Header({"FSCALE": 1e-20}))
    >>> unit
    Unit("1e-20 erg / (Angstrom s cm2)")
    >>> print(note)
    image: no BUNIT keyword; FSCALE = 1e-20 taken to mean 1e-20 erg/s/cm2/Angstrom
    """
    bunit = header.get("BUNIT")
    if isinstance(bunit, str) and bunit.strip():
        text = bunit.strip()
        if text.upper() in _HST_UNIT_SPELLINGS:
            return _HST_UNIT_SPELLINGS[text.upper()], None
        for fmt in ("fits", "generic"):
            try:
                return u.Unit(text, format=fmt), None
            except ValueError:
                continue
        return (u.dimensionless_unscaled,
                f"{filename}: BUNIT = '{text}' is not a unit astropy knows; "
                "the data are treated as dimensionless")
    fscale = header.get("FSCALE")
    if fscale is not None:
        try:
            fscale = float(fscale)
        except (TypeError, ValueError):
            fscale = None
    if fscale is not None and fscale > 0:
        # Headers written through single precision carry values such as
        # 9.99999999999999E-21 for 1e-20; 12 significant digits restore them.
        fscale = float(f"{fscale:.12g}")
        unit = u.Unit(fscale * MUSE_FLUX_UNIT)
        return unit, (f"{filename}: no BUNIT keyword; FSCALE = {fscale:.6g} "
                      f"taken to mean {fscale:.6g} erg/s/cm2/Angstrom")
    return (u.dimensionless_unscaled,
            f"{filename}: no BUNIT or FSCALE keyword; the data are treated as "
            "dimensionless")


def quantity_value(value, unit, argname):
    """The number a keyword means in ``unit``, whether given as a Quantity or not.

    A `~astropy.units.Quantity` is converted to ``unit`` (so ``0.7 * u.arcsec``,
    ``700 * u.mas`` and ``0.7`` all mean (about) 0.7 arcsec when ``unit`` is arcsec);
    anything else is returned unchanged, for the caller to check as a plain
    number in ``unit``. None is returned as None.

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
