"""Flux units from FITS headers that do not always follow the standard."""

import warnings

import astropy.units as u

__all__ = ["flux_unit_from_header", "unparseable_bunit", "format_bunit",
           "MUSE_FLUX_UNIT", "parse_bunit"]

#: The flux-density unit in which MUSE pipeline products are calibrated,
#: apart from the 1e-20 scale factor that is usually kept in FSCALE or BUNIT.
MUSE_FLUX_UNIT = u.erg / (u.s * u.cm**2 * u.AA)

# HST and JWST pipelines (and the files users derive from them) write these
# BUNIT spellings, which astropy's unit parsers refuse or misread as they
# stand ("DN/S" would be DN per siemens). Compared in upper case.
_HST_UNIT_SPELLINGS = {
    "ELECTRONS/S": u.electron / u.s,
    "ELECTRONS/SEC": u.electron / u.s,
    "ELECTRON/S": u.electron / u.s,
    "E/S": u.electron / u.s,
    "E-/S": u.electron / u.s,
    "ELECTRONS": u.electron,
    "COUNTS/S": u.count / u.s,
    "COUNTS/SEC": u.count / u.s,
    "COUNTS": u.count,
    "DN/S": u.DN / u.s,
    "DN/SEC": u.DN / u.s,
    "DN": u.DN,
    "MJY/SR": u.MJy / u.sr,
}


def flux_unit_from_header(header, filename="image"):
    """Return the flux unit of an image header, and what was assumed.

    BUNIT is used when it parses; the archive spellings ``ELECTRONS/S``,
    ``e/s``, ``COUNTS/S``, ``DN/s`` and ``MJy/sr`` (in any case) are
    recognised. Without BUNIT, a MUSE-style ``FSCALE``
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
        unit = parse_bunit(text)
        if unit is not None:
            return unit, None
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


def parse_bunit(text):
    """The unit a BUNIT text means, or None if it cannot be parsed.

    HST spellings that astropy does not read (such as ``ELECTRONS/S``) are
    looked up first; then the FITS and the generic unit formats are tried.

    Parameters
    ----------
    text : str
        The stripped value of a BUNIT keyword.

    Returns
    -------
    unit : `~astropy.units.UnitBase` or None

    Examples
    --------
    >>> parse_bunit("10**(-20)*erg/s/cm**2/Angstrom")
    Unit("1e-20 erg / (Angstrom s cm2)")
    >>> parse_bunit("not a unit") is None
    True
    """
    if text.upper() in _HST_UNIT_SPELLINGS:
        return _HST_UNIT_SPELLINGS[text.upper()]
    for fmt in ("fits", "generic"):
        try:
            return u.Unit(text, format=fmt)
        except ValueError:
            continue
    return None


def unparseable_bunit(header):
    """The text of a header's BUNIT if it is there but is no unit, else None.

    Lets callers tell a BUNIT that cannot be parsed from a missing one.

    Parameters
    ----------
    header : `~astropy.io.fits.Header` or None

    Returns
    -------
    text : str or None

    Examples
    --------
    >>> from astropy.io import fits
    >>> unparseable_bunit(fits.Header({"BUNIT": "furlongs per fortnight"}))
    'furlongs per fortnight'
    >>> unparseable_bunit(fits.Header({"BUNIT": "electrons/s"})) is None
    True
    """
    if header is None:
        return None
    bunit = header.get("BUNIT")
    if isinstance(bunit, str) and bunit.strip() and parse_bunit(bunit.strip()) is None:
        return bunit.strip()
    return None


def format_bunit(unit):
    """The BUNIT (or TUNITn) text of a unit, or None for no unit.

    Every file the package writes spells its units here. The FITS standard
    spelling is used when the unit has one that reads back as the same unit
    (``1e-20 erg / (Angstrom s cm2)`` is ``10**-20 erg Angstrom-1 s-1
    cm-2``); units it cannot express (``electron / s``, scales that are not
    powers of ten) get astropy's generic spelling, which
    `flux_unit_from_header` and MPDAF read back.

    Parameters
    ----------
    unit : `~astropy.units.UnitBase`, str or None
        The unit; None and the unscaled dimensionless unit mean no unit.

    Returns
    -------
    text : str or None
        None when there is no unit to write (no BUNIT keyword is wanted).

    Examples
    --------
    >>> format_bunit(1e-20 * MUSE_FLUX_UNIT)
    '10**-20 erg Angstrom-1 s-1 cm-2'
    >>> format_bunit("electron/s")
    'electron / s'
    >>> format_bunit(u.dimensionless_unscaled) is None
    True
    """
    if unit is None:
        return None
    unit = u.Unit(unit)
    if unit == u.dimensionless_unscaled:
        return None
    try:
        text = unit.to_string("fits")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", u.UnitsWarning)
            if u.Unit(text, format="fits") == unit:
                return text
    except (ValueError, u.UnitsError):
        pass
    return unit.to_string()
