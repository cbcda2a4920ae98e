"""MPDAF ``Image`` and ``Cube`` objects, read as the FITS files they stand for.

Scripts written for the MPDAF-based reference tool build
``mpdaf.obj.Image`` and ``Cube`` objects and pass them on. Every reader of
the package (images, HST sources, MUSE reference grids, cubes) accepts
them through `mpdaf_hdulist`, which turns one into the in-memory HDUList
that MPDAF's own ``write`` would produce: the primary header, a DATA HDU
whose header is the object's data header with its WCS replaced by the
object's current celestial WCS (``obj.wcs.to_header()``) and, for a cube,
wavelength axis (``obj.wave.to_header()``), and BUNIT by ``obj.unit``; a
STAT HDU (``obj.var``) and a DQ HDU (the mask). The readers then read it
exactly as they read a file, with the same HDU priority and unit rules, so
an object gives the same numbers as the file it was read from.

Objects are recognised by what they hold (duck typing), so mpdaf is never
imported here: a package that only reads files does not need it.
"""

import re

import numpy as np
import astropy.units as u
from astropy.io import fits

from ..exceptions import UserError
from .units import parse_bunit

__all__ = ["is_mpdaf_object", "mpdaf_headers", "mpdaf_hdulist"]

# The attributes that make an object an MPDAF Image or Cube here.
_ATTRIBUTES = ("data", "var", "wcs", "primary_header", "data_header", "unit")

# Keywords that describe a data header's WCS: replaced by the object's own,
# which follows any cropping or resampling done since the file was read
# (the data header keeps the file's). Alternate-WCS letters included.
_WCS_KEY = re.compile(r"^(WCSAXES|CTYPE|CUNIT|CRVAL|CDELT|CRPIX|CROTA|PC\d+_|CD\d+_|PV\d+_|"
                      r"PS\d+_|CNAME|CRDER|CSYER|LONPOLE|LATPOLE|RADESYS|RADECSYS|EQUINOX|"
                      r"A_|B_|AP_|BP_|NAXIS)")
# Structural keywords astropy writes itself for an HDU.
_STRUCTURAL = ("SIMPLE", "XTENSION", "BITPIX", "EXTEND", "PCOUNT", "GCOUNT", "BSCALE",
               "BZERO", "BLANK", "CHECKSUM", "DATASUM", "EXTNAME")


def is_mpdaf_object(obj):
    """Whether ``obj`` looks like an MPDAF ``Image`` or ``Cube`` (without importing mpdaf).

    Parameters
    ----------
    obj : object

    Returns
    -------
    bool
        True if it has ``data``, ``var``, ``unit``, FITS ``primary_header``
        and ``data_header``, and a ``wcs`` with a ``to_header`` method.

    Examples
    --------
    >>> from astropy.nddata import NDData
    >>> is_mpdaf_object(NDData([1.0])), is_mpdaf_object("image.fits")
    (False, False)
    """
    if not all(_has(obj, name) for name in _ATTRIBUTES):
        return False
    return (isinstance(obj.primary_header, fits.Header)
            and isinstance(obj.data_header, fits.Header)
            and callable(getattr(obj.wcs, "to_header", None)))


def _has(obj, name):
    """hasattr() that does not run a property: MPDAF's data and var load the file."""
    return name in getattr(obj, "__dict__", {}) or hasattr(type(obj), name)


def _header(header, what, argname):
    """A header an object's ``to_header`` returned, checked."""
    if not isinstance(header, fits.Header):
        raise UserError(f"{argname}: the MPDAF object's {what}.to_header() returned "
                        f"{type(header).__name__}, not a FITS header")
    return header


def _spectral_cards(wave, celestial, argname):
    """The wavelength axis as FITS axis 3, in the form of the celestial axes.

    ``wave.to_header()`` describes a 1D axis; here it becomes the third axis
    of the cube, with a CD matrix element if the celestial axes have a CD
    matrix (a header may not mix CD with CDELT: wcslib would take the
    missing CD3_3 for 0).
    """
    spectral = _header(wave.to_header(), "wave", argname)
    use_cd = any(re.match(r"^CD\d+_\d+$", key) for key in celestial.keys())
    cards = fits.Header()
    for card in spectral.cards:
        match = re.match(r"^(CTYPE|CUNIT|CRVAL|CRPIX|CDELT|CNAME|CRDER|CSYER)(\d+)$",
                         card.keyword)
        if card.keyword in ("CD1_1", "PC1_1"):
            cards["CD3_3" if use_cd else "CDELT3"] = (card.value, card.comment)
        elif match and match.group(1) == "CDELT" and use_cd:
            cards["CD3_3"] = (card.value, card.comment)
        elif match:
            cards[f"{match.group(1)}3"] = (card.value, card.comment)
        elif card.keyword and card.keyword != "WCSAXES" and not _WCS_KEY.match(card.keyword):
            cards[card.keyword] = (card.value, card.comment)  # SPECSYS and the like
    if "CRVAL3" not in cards:
        raise UserError(f"{argname}: the MPDAF cube's wave.to_header() has no CRVAL1: "
                        "its wavelength axis cannot be read")
    return cards


def _set_unit_keywords(header, unit, argname):
    """Write an object's unit into its DATA header, as the file reader will read it.

    MPDAF reads a file's unit as BUNIT times FSCALE (a MUSE cube whose BUNIT
    is already ``10**(-20)*erg/s/cm**2/Angstrom`` becomes 1e-40
    erg/s/cm2/Angstrom; an image with only FSCALE, a dimensionless 1e-20)
    and writes that unit into the data header's BUNIT. This package's
    readers take BUNIT alone, else FSCALE as FSCALE erg/s/cm2/Angstrom. So
    while the object's unit is still the one MPDAF read (the header's BUNIT
    says it, beside FSCALE), the header is given back the file's own BUNIT
    (the unit divided by FSCALE; none if that is dimensionless), and the
    object is read as its file. A unit set since then is written as it is.
    """
    if unit is None:
        return
    try:
        unit = u.Unit(unit)
    except (ValueError, TypeError):
        raise UserError(f"{argname}: the MPDAF object's unit {unit!r} is not a unit "
                        "astropy knows") from None
    fscale = header.get("FSCALE")
    bunit = header.get("BUNIT")
    as_read = parse_bunit(bunit.strip()) if isinstance(bunit, str) and bunit.strip() \
        else None
    if (isinstance(fscale, (int, float)) and fscale > 0 and as_read is not None
            and _same_unit(as_read, unit)):
        unit = u.Unit(unit / u.Unit(fscale))
        if _same_unit(unit, u.dimensionless_unscaled):
            header.remove("BUNIT", ignore_missing=True)
            return
    else:
        header.remove("FSCALE", ignore_missing=True)
    header["BUNIT"] = _unit_text(unit)


def _same_unit(a, b):
    """Whether two units are the same, but for the last bits of their scales."""
    try:
        ratio = u.Unit(a / b).decompose()
    except (ValueError, TypeError):
        return False
    return ratio.physical_type == "dimensionless" and abs(ratio.scale - 1) < 1e-12


def _unit_text(unit):
    """A unit's BUNIT text, its scale rounded to 12 significant digits.

    FSCALE values written through single precision read as
    9.99999999999999E-21 for 1e-20; 12 digits restore them, as the file
    reader does (`~imphot_astropy.io.flux_unit_from_header`).
    """
    rounded = float(f"{unit.scale:.12g}")
    if rounded != unit.scale:
        unit = u.CompositeUnit(rounded, unit.bases, unit.powers)
    for fmt in ("fits", "generic"):
        try:
            return unit.to_string(fmt)
        except ValueError:  # a scale FITS cannot write, for example
            continue
    return unit.to_string()


def _data_header(obj, ndim, argname):
    header = fits.Header([card for card in obj.data_header.cards
                          if card.keyword and not _WCS_KEY.match(card.keyword)
                          and card.keyword not in _STRUCTURAL])
    celestial = _header(obj.wcs.to_header(), "wcs", argname)
    for card in celestial.cards:
        if card.keyword and card.keyword != "WCSAXES":
            header[card.keyword] = (card.value, card.comment)
    if ndim == 3:
        wave = getattr(obj, "wave", None)
        if not callable(getattr(wave, "to_header", None)):
            raise UserError(f"{argname}: the MPDAF cube has no wavelength axis "
                            "(wave.to_header())")
        for card in _spectral_cards(wave, celestial, argname).cards:
            header[card.keyword] = (card.value, card.comment)
    _set_unit_keywords(header, obj.unit, argname)
    return header


def _array_parts(obj, argname):
    """(values, mask or None, variance or None) of an object's masked arrays."""
    data = obj.data
    if not isinstance(data, np.ndarray):
        raise UserError(f"{argname}: the MPDAF object's data is a "
                        f"{type(data).__name__}, not a (masked) numpy array")
    if data.ndim not in (2, 3):
        raise UserError(f"{argname}: the MPDAF object's data have {data.ndim} "
                        "dimensions; expected an Image (2) or a Cube (3)")
    mask = np.ma.getmaskarray(data)
    var = obj.var
    if var is not None:
        var = np.ma.getdata(var)
        if var.shape != data.shape:
            raise UserError(f"{argname}: the MPDAF object's var has shape {var.shape}, "
                            f"but its data have shape {data.shape}")
    values = np.ma.getdata(data)
    if values.ndim == 2:
        values = _file_precision(values, obj.data_header)
        var = None if var is None else _file_precision(var, obj.data_header)
    # A view, not a copy: a boolean mask as the bytes of a DQ plane.
    return values, (mask.view(np.uint8) if mask.any() else None), var


def _file_precision(values, data_header):
    """An image's values at the precision of the file MPDAF read them from.

    MPDAF widens a float32 file's values to float64; the regridding works in
    the precision of its input (`~imphot_astropy.core.antialias.working_dtype`),
    so such an image would be regridded differently from its file. Values
    that float32 holds exactly, under a header that says BITPIX = -32, are
    narrowed back (as MPDAF's own ``write`` does). Only images: a cube is
    read plane by plane in float64 anyway, and a copy would cost gigabytes.
    """
    if values.dtype != np.float64 or data_header.get("BITPIX") != -32:
        return values
    narrow = values.astype(np.float32)
    same = (narrow == values) | (np.isnan(narrow) & np.isnan(values))
    return narrow if same.all() else values


def _check_mpdaf(obj, argname):
    if not is_mpdaf_object(obj):
        raise UserError(f"{argname}: {type(obj).__name__} is not an MPDAF Image or Cube")


def _shape(obj, argname):
    shape = getattr(obj, "shape", None)
    if shape is None:
        shape = np.shape(obj.data)
    shape = tuple(int(n) for n in shape)
    if len(shape) not in (2, 3):
        raise UserError(f"{argname}: the MPDAF object's data have {len(shape)} "
                        "dimensions; expected an Image (2) or a Cube (3)")
    return shape


def _filename(obj):
    filename = getattr(obj, "filename", None)
    return filename if isinstance(filename, str) and filename else None


def _primary(obj):
    return fits.Header([card for card in obj.primary_header.cards
                        if card.keyword not in _STRUCTURAL
                        and not card.keyword.startswith("NAXIS")])


def mpdaf_headers(obj, argname="image"):
    """The headers of an MPDAF ``Image`` or ``Cube``, as its file would have them.

    For callers that need the grid and unit only: the data are not touched.

    Parameters
    ----------
    obj : MPDAF ``Image`` or ``Cube`` (see `is_mpdaf_object`)
    argname : str
        The argument name, quoted in error messages.

    Returns
    -------
    header : `~astropy.io.fits.Header`
        The DATA header, with NAXIS, NAXISn, the object's WCS and BUNIT.
    primary : `~astropy.io.fits.Header`
        The primary header.
    filename : str or None
        The file the object was read from (``obj.filename``), if any.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> image = SimpleNamespace(
    ...     data=np.ma.zeros((3, 4)), var=None, unit=None, shape=(3, 4),
    ...     wcs=SimpleNamespace(to_header=w.to_header),
    ...     primary_header=fits.Header(), data_header=fits.Header())
    >>> header, primary, filename = mpdaf_headers(image)
    >>> header["NAXIS"], header["NAXIS1"], header["CTYPE2"], filename
    (2, 4, 'DEC--TAN', None)
    """
    _check_mpdaf(obj, argname)
    shape = _shape(obj, argname)
    header = _data_header(obj, len(shape), argname)
    header.insert(0, ("NAXIS", len(shape)))
    for axis, size in enumerate(reversed(shape), start=1):
        header.insert(axis, (f"NAXIS{axis}", size))
    return header, _primary(obj), _filename(obj)


def mpdaf_hdulist(obj, argname="image"):
    """The in-memory FITS form of an MPDAF ``Image`` or ``Cube``.

    The arrays are not copied: the HDUs hold views of the object's data,
    variance and mask. Only headers are built.

    Parameters
    ----------
    obj, argname
        As for `mpdaf_headers`.

    Returns
    -------
    hdulist : `~astropy.io.fits.HDUList`
        PRIMARY (the object's primary header), DATA, and STAT and DQ when the
        object has a variance or masked values.
    filename : str or None
        As for `mpdaf_headers`.

    Raises
    ------
    UserError
        If the object is not MPDAF-like or its parts are inconsistent.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from astropy.wcs import WCS
    >>> w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    >>> image = SimpleNamespace(
    ...     data=np.ma.masked_invalid([[1.0, np.nan]]), var=None, unit=u.Unit("1e-20 erg"),
    ...     wcs=SimpleNamespace(to_header=w.to_header), filename="im.fits",
    ...     primary_header=fits.Header({"OBJECT": "HDFS"}), data_header=fits.Header())
    >>> hdulist, filename = mpdaf_hdulist(image)
    >>> [hdu.name for hdu in hdulist], hdulist["DATA"].header["BUNIT"], filename
    (['PRIMARY', 'DATA', 'DQ'], '10**-20 erg', 'im.fits')
    """
    _check_mpdaf(obj, argname)
    values, mask, var = _array_parts(obj, argname)
    header = _data_header(obj, values.ndim, argname)
    hdus = [fits.PrimaryHDU(header=_primary(obj)),
            fits.ImageHDU(values, header, name="DATA")]
    if var is not None:
        hdus.append(fits.ImageHDU(var, name="STAT"))
    if mask is not None:
        hdus.append(fits.ImageHDU(mask, name="DQ"))
    return fits.HDUList(hdus), _filename(obj)
