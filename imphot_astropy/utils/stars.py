"""The ``star`` argument of every star fit, whatever astropy form it takes.

Users of astropy and photutils hold star positions as `SkyCoord` objects
or table rows; the fitters work on plain (ra, dec, radius) numbers.
`parse_star` does the translation in one place, so that the image and
star fits (`imphot_astropy.masking`) and the pixel-table star fit
(`imphot_astropy.pixtable`, which may import only this low layer and
``io``) read the same tuple the same way: (ra, dec, radius), RA first, as
in the reference tool.
"""

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import Row

from ..exceptions import UserError

__all__ = ["parse_star"]

# Sky frames whose (ra, dec) mean what the reference tool's plain degrees
# mean (the MUSE and HST WCS are FK5 J2000 or ICRS, 20 mas apart at most).
_RADEC_FRAMES = ("icrs", "fk5")
# Column names of a table row that may hold the fit radius.
_RADIUS_COLUMNS = ("radius", "fit_radius")


def _plain_float(value, argname, what, unit_name):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise UserError(f"{argname}: expected (ra, dec, radius) in degrees, degrees and "
                        f"arcsec; the {what} must be a number of {unit_name} or an angle "
                        f"Quantity, not {value!r}") from None


def _degrees(value, argname, what):
    if isinstance(value, u.Quantity):
        try:
            return float(value.to_value(u.deg))
        except (u.UnitConversionError, TypeError):
            raise UserError(f"{argname}: the {what} {value} is not an angle") from None
    return _plain_float(value, argname, what, "degrees")


def _radius_arcsec(value, argname):
    if isinstance(value, u.Quantity):
        try:
            return float(value.to_value(u.arcsec))
        except (u.UnitConversionError, TypeError):
            raise UserError(f"{argname}: the radius {value} is not an angle") from None
    return _plain_float(value, argname, "radius", "arcsec")


def _skycoord_radec(coord, argname):
    if not coord.isscalar:
        raise UserError(f"{argname}: expected one sky position, not {len(coord)}")
    if coord.frame.name not in _RADEC_FRAMES:
        coord = coord.icrs
    return float(coord.spherical.lon.deg), float(coord.spherical.lat.deg)


def _row_position(row, argname):
    """The (ra, dec) of an astropy/photutils table row, from ``sky_centroid`` or ra/dec."""
    names = row.colnames
    for name in ("sky_centroid", "skycoord", "coord"):
        if name in names and isinstance(row[name], SkyCoord):
            return _skycoord_radec(row[name], argname)
    lower = {name.lower(): name for name in names}
    if "ra" in lower and "dec" in lower:
        return (_degrees(row[lower["ra"]], argname, "ra"),
                _degrees(row[lower["dec"]], argname, "dec"))
    raise UserError(f"{argname}: the table row has no sky position (a "
                    f"'sky_centroid' SkyCoord column, or 'ra' and 'dec' columns); "
                    f"its columns are {names}")


def _row_radius(row, argname):
    for name in _RADIUS_COLUMNS:
        if name in row.colnames:
            return row[name]
    raise UserError(f"{argname}: the table row has no 'radius' column; give the "
                    "radius too: (row, radius)")


def _star_parts(star, argname):
    """(ra, dec, radius) in whatever form they came, from any accepted star form."""
    if isinstance(star, (str, bytes)):
        # A string is iterable: '123' would be read as (1, 2, 3).
        raise UserError(f"{argname}: expected (ra, dec, radius) as three numbers, not "
                        f"the string {star!r}")
    if isinstance(star, Row):
        return (*_row_position(star, argname), _row_radius(star, argname))
    try:
        parts = list(star)
    except TypeError:
        parts = None
    if parts is not None and len(parts) == 2:
        position, radius = parts
        if isinstance(position, SkyCoord):
            return (*_skycoord_radec(position, argname), radius)
        if isinstance(position, Row):
            return (*_row_position(position, argname), radius)
    if parts is None or len(parts) != 3:
        raise UserError(f"{argname}: expected (ra, dec, radius) in degrees, degrees "
                        f"and arcsec, (SkyCoord, radius), or a table row with a sky "
                        f"position, not {star!r}")
    return (_degrees(parts[0], argname, "ra"), _degrees(parts[1], argname, "dec"),
            parts[2])


def parse_star(star, argname="star"):
    """Check a ``star`` argument and return (ra, dec, radius) as plain numbers.

    Parameters
    ----------
    star : tuple or `~astropy.table.Row`
        One of: ``(ra, dec, radius)`` in degrees, degrees and arcsec (each
        may instead be an angle `~astropy.units.Quantity`);
        ``(SkyCoord, radius)``; ``(row, radius)`` or ``row``, where ``row``
        is a row of an astropy or photutils table with a ``sky_centroid``
        SkyCoord column or ``ra``/``dec`` columns (and, without a separate
        radius, a ``radius`` column in arcsec, as the tables of
        `~imphot_astropy.find_point_sources` have). A SkyCoord in a frame
        other than ICRS or FK5 is converted to ICRS.
    argname : str
        The argument name, quoted in error messages.

    Returns
    -------
    ra, dec, radius : float
        Degrees, degrees and arcsec.

    Raises
    ------
    UserError
        For any other form, non-finite values, a radius <= 0 or a
        declination outside [-90, 90].

    Examples
    --------
    >>> parse_star((338.2, -60.5, 2))
    (338.2, -60.5, 2.0)
    >>> import astropy.units as u
    >>> from astropy.coordinates import SkyCoord
    >>> parse_star((SkyCoord(338.2, -60.5, unit="deg"), 2 * u.arcsec))
    (338.2, -60.5, 2.0)
    """
    ra, dec, radius = _star_parts(star, argname)
    radius = _radius_arcsec(radius, argname)
    if not np.isfinite([ra, dec, radius]).all():
        raise UserError(f"{argname}: the values must be finite, not {star!r}")
    if radius <= 0:
        raise UserError(f"{argname}: the radius must be > 0 arcsec, not {radius}")
    if not -90 <= dec <= 90:
        raise UserError(f"{argname}: the declination {dec} is not in [-90, 90]")
    return ra, dec, radius
