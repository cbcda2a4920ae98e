"""Sky positions of pixel-table rows, and apertures on the sky.

Array-level functions: they take position arrays in degrees and the
reference point of the table, and know nothing of files.

Two kinds of pixel tables carry sky positions (the ``HIERARCH ESO DRS MUSE
PIXTABLE WCS`` keyword says which):

- 'projected (intermediate)': ``xpos`` and ``ypos`` are the native
  spherical coordinates ``phi`` and ``theta - 90 deg`` of a gnomonic (TAN)
  projection whose reference point is the ``RA``, ``DEC`` of the header
  (native longitude of the celestial pole 180 deg, the FITS default for
  zenithal projections);
- 'positioned (final)': ``xpos`` and ``ypos`` are offsets in RA and Dec
  from ``CRVAL1``, ``CRVAL2``.
"""

from dataclasses import dataclass

import numpy as np
import astropy.units as u
from astropy.coordinates import angular_separation
from astropy.modeling.projections import Sky2Pix_Gnomonic
from astropy.modeling.rotations import (RotateCelestial2Native,
                                        RotateNative2Celestial)

from ..exceptions import UserError

__all__ = ["projected_to_sky", "sky_to_projected", "positioned_to_sky",
           "sky_to_positioned", "SkyAperture", "parse_apertures",
           "PixelAperture", "parse_pixel_apertures"]

# Native longitude of the celestial pole of zenithal projections (FITS
# default, used by the MUSE pipeline).
_LONPOLE = 180.0

# Safety margins (degrees) of the quick bounding cuts; the exact test that
# follows decides, so they only need to exceed rounding errors.
_MARGIN = 1e-7


def projected_to_sky(xpos, ypos, ra0, dec0):
    """Convert 'projected' positions to RA and Dec.

    Parameters
    ----------
    xpos, ypos : array-like
        Native longitude ``phi`` and native latitude minus 90 deg, in degrees.
    ra0, dec0 : float
        The reference point of the projection (degrees).

    Returns
    -------
    ra, dec : `numpy.ndarray`
        Sky coordinates in degrees, RA in [0, 360).

    Examples
    --------
    A point 36" (0.01 deg) due north of the reference point has ``phi =
    180`` deg:

    >>> ra, dec = projected_to_sky([180.0], [-0.01], 10.0, -30.0)
    >>> round(float(ra[0]), 9), round(float(dec[0]), 9)
    (10.0, -29.99)
    """
    rotation = RotateNative2Celestial(ra0, dec0, _LONPOLE)
    ra, dec = rotation(np.asarray(xpos, dtype=float),
                       np.asarray(ypos, dtype=float) + 90.0)
    return np.mod(ra, 360.0), dec


def sky_to_projected(ra, dec, ra0, dec0):
    """Convert RA and Dec to 'projected' positions (the inverse of
    `projected_to_sky`).

    Parameters
    ----------
    ra, dec : array-like
        Sky coordinates in degrees.
    ra0, dec0 : float
        The reference point of the projection (degrees).

    Returns
    -------
    xpos, ypos : `numpy.ndarray`
        ``phi`` in [-180, 180) and ``theta - 90``, in degrees.

    Examples
    --------
    >>> x, y = sky_to_projected([10.0], [-29.99], 10.0, -30.0)
    >>> round(abs(float(x[0])), 6), round(float(y[0]), 9)
    (180.0, -0.01)
    """
    rotation = RotateCelestial2Native(ra0, dec0, _LONPOLE)
    phi, theta = rotation(np.asarray(ra, dtype=float),
                          np.asarray(dec, dtype=float))
    return _wrap180(phi), theta - 90.0


def positioned_to_sky(xpos, ypos, ra0, dec0):
    """Convert 'positioned' offsets to RA and Dec.

    Parameters
    ----------
    xpos, ypos : array-like
        Offsets in RA and Dec from the reference point, in degrees.
    ra0, dec0 : float
        The reference point (``CRVAL1``, ``CRVAL2``), in degrees.

    Returns
    -------
    ra, dec : `numpy.ndarray`
        Sky coordinates in degrees, RA in [0, 360).

    Examples
    --------
    >>> ra, dec = positioned_to_sky([0.5], [-0.25], 359.75, 10.0)
    >>> float(ra[0]), float(dec[0])
    (0.25, 9.75)
    """
    ra = np.mod(ra0 + np.asarray(xpos, dtype=float), 360.0)
    return ra, dec0 + np.asarray(ypos, dtype=float)


def sky_to_positioned(ra, dec, ra0, dec0):
    """Convert RA and Dec to 'positioned' offsets (the inverse of
    `positioned_to_sky`).

    Parameters
    ----------
    ra, dec : array-like
        Sky coordinates in degrees.
    ra0, dec0 : float
        The reference point (``CRVAL1``, ``CRVAL2``), in degrees.

    Returns
    -------
    xpos, ypos : `numpy.ndarray`
        Offsets in degrees, ``xpos`` in [-180, 180).

    Examples
    --------
    >>> x, y = sky_to_positioned([0.25], [9.75], 359.75, 10.0)
    >>> float(x[0]), float(y[0])
    (0.5, -0.25)
    """
    return (_wrap180(np.asarray(ra, dtype=float) - ra0),
            np.asarray(dec, dtype=float) - dec0)


def _wrap180(angle):
    """Wrap angles in degrees into [-180, 180)."""
    return np.mod(np.asarray(angle) + 180.0, 360.0) - 180.0


@dataclass(frozen=True)
class SkyAperture:
    """A circle or a square on the sky.

    Parameters
    ----------
    dec, ra : float
        The centre, in degrees.
    size : float
        The radius of a circle, or the half side of a square, in degrees.
    shape : {'C', 'S'}
        'C' for a circle (rows closer than ``size`` to the centre, along a
        great circle); 'S' for a square in the tangent plane at the centre,
        with sides along the local RA and Dec directions (rows whose
        gnomonic standard coordinates about the centre are both smaller than
        ``size`` in absolute value).

    Examples
    --------
    >>> ap = SkyAperture(dec=-30.0, ra=10.0, size=1 / 3600, shape="C")
    >>> ap.contains([10.0, 10.0], [-30.0 + 0.9 / 3600, -30.0 + 1.1 / 3600])
    array([ True, False])
    """

    dec: float
    ra: float
    size: float
    shape: str

    def __post_init__(self):
        if self.shape not in ("C", "S"):
            raise UserError(f"sky: unknown aperture shape {self.shape!r}; "
                            "use 'C' (circle) or 'S' (square)")
        if not np.isfinite(self.size) or self.size <= 0:
            raise UserError(f"sky: the aperture size must be > 0, not "
                            f"{self.size * 3600:g} arcsec")
        if not -90.0 <= self.dec <= 90.0:
            raise UserError(f"sky: the aperture centre's declination must be "
                            f"in [-90, 90] deg, not {self.dec}")

    @property
    def bounding_radius(self):
        """Radius (degrees) of a circle about the centre that holds the
        aperture (a square's corners lie at ``atan(sqrt(2) tan(size))``)."""
        if self.shape == "C":
            return self.size
        return np.degrees(np.arctan(np.sqrt(2.0) * np.tan(
            np.radians(self.size))))

    def contains(self, ra, dec):
        """Return True for positions strictly inside the aperture.

        Parameters
        ----------
        ra, dec : array-like
            Sky coordinates in degrees.

        Returns
        -------
        `numpy.ndarray` of bool

        Examples
        --------
        A square of half side 1" holds a point 0.9" east and 0.9" north of
        its centre, which a circle of radius 1" does not:

        >>> square = SkyAperture(dec=0.0, ra=10.0, size=1 / 3600, shape="S")
        >>> square.contains([10 + 0.9 / 3600], [0.9 / 3600])
        array([ True])
        """
        ra = np.asarray(ra, dtype=float)
        dec = np.asarray(dec, dtype=float)
        if self.shape == "C":
            separation = angular_separation(
                np.radians(ra), np.radians(dec),
                np.radians(self.ra), np.radians(self.dec))
            return separation < np.radians(self.size)
        # Standard (gnomonic) coordinates about the centre, in degrees.
        phi, theta = RotateCelestial2Native(self.ra, self.dec, _LONPOLE)(
            ra, dec)
        xi, eta = Sky2Pix_Gnomonic()(phi, theta)
        # Points on the far hemisphere have no tangent-plane image.
        front = theta > 0
        return front & (np.abs(xi) < self.size) & (np.abs(eta) < self.size)

    def candidates_projected(self, xpos, ypos, ra0, dec0):
        """Return a cheap superset of the 'projected' rows in the aperture.

        Parameters
        ----------
        xpos, ypos : array-like
            ``phi`` and ``theta - 90`` in degrees.
        ra0, dec0 : float
            The reference point of the projection.

        Returns
        -------
        `numpy.ndarray` of bool

        Examples
        --------
        >>> ap = SkyAperture(dec=0.0, ra=10.0, size=1 / 3600, shape="C")
        >>> x, y = sky_to_projected([10.0, 10.1], [0.0, 0.0], 10.0, -0.01)
        >>> ap.candidates_projected(x, y, 10.0, -0.01)
        array([ True, False])
        """
        phi_c, ypos_c = sky_to_projected(self.ra, self.dec, ra0, dec0)
        rho_c = -float(ypos_c)      # distance of the centre from the pole
        radius = self.bounding_radius
        rho = -np.asarray(ypos)
        keep = ((rho >= rho_c - radius - _MARGIN)
                & (rho <= rho_c + radius + _MARGIN))
        if rho_c - radius > _MARGIN:
            # The aperture excludes the reference point: it also spans a
            # limited range of native longitude.
            half = np.degrees(np.arcsin(min(1.0, np.sin(np.radians(radius))
                                            / np.sin(np.radians(rho_c)))))
            keep &= np.abs(_wrap180(np.asarray(xpos) - float(phi_c))) <= (
                half + _MARGIN * 10)
        return keep

    def candidates_positioned(self, xpos, ypos, ra0, dec0):
        """Return a cheap superset of the 'positioned' rows in the aperture.

        Parameters
        ----------
        xpos, ypos : array-like
            Offsets in RA and Dec in degrees.
        ra0, dec0 : float
            The reference point (``CRVAL1``, ``CRVAL2``).

        Returns
        -------
        `numpy.ndarray` of bool

        Examples
        --------
        >>> ap = SkyAperture(dec=0.0, ra=10.0, size=1 / 3600, shape="C")
        >>> ap.candidates_positioned([0.0, 0.1], [0.01, 0.01], 10.0, -0.01)
        array([ True, False])
        """
        radius = self.bounding_radius
        ypos = np.asarray(ypos)
        keep = ((ypos >= self.dec - dec0 - radius - _MARGIN)
                & (ypos <= self.dec - dec0 + radius + _MARGIN))
        if abs(self.dec) + radius < 89.0:
            half = np.degrees(np.arcsin(np.sin(np.radians(radius))
                                        / np.cos(np.radians(self.dec))))
            keep &= np.abs(_wrap180(np.asarray(xpos) + (ra0 - self.ra))) <= (
                half + _MARGIN)
        return keep


def parse_apertures(sky):
    """Turn the ``sky`` argument of the selection methods into apertures.

    Parameters
    ----------
    sky : tuple or list of tuples
        Each ``(y, x, size, shape)``: centre declination ``y`` and right
        ascension ``x`` (degrees, or angle Quantities), ``size`` (arcsec, or
        an angle Quantity) and ``shape`` ('C' or 'S').

    Returns
    -------
    list of `SkyAperture`

    Examples
    --------
    >>> import astropy.units as u
    >>> [ap] = parse_apertures((-30.0, 10.0, 2 * u.arcsec, "C"))
    >>> round(ap.size * 3600, 9)
    2.0
    """
    if isinstance(sky, tuple):
        sky = [sky]
    try:
        apertures = list(sky)
    except TypeError:
        raise UserError(f"sky: expected (y, x, size, shape) or a list of "
                        f"them, got {sky!r}") from None
    if not apertures:
        raise UserError("sky: the list of apertures is empty")
    return [_parse_aperture(item) for item in apertures]


def _parse_aperture(item):
    try:
        y, x, size, shape = item
    except (TypeError, ValueError):
        raise UserError(f"sky: each aperture must be (y, x, size, shape), "
                        f"got {item!r}") from None
    try:
        dec = _to_float(y, u.deg)
        ra = _to_float(x, u.deg)
        radius = _to_float(size, u.arcsec) / 3600.0
    except (TypeError, ValueError, u.UnitsError) as err:
        raise UserError(f"sky: invalid aperture {item!r}: {err}") from None
    if not isinstance(shape, str):
        raise UserError(f"sky: unknown aperture shape {shape!r}; use 'C' "
                        "(circle) or 'S' (square)")
    return SkyAperture(dec=dec, ra=ra, size=radius, shape=shape)


def _to_float(value, default_unit):
    if isinstance(value, u.Quantity):
        return float(value.to_value(default_unit))
    return float(value)


@dataclass(frozen=True)
class PixelAperture:
    """An aperture on a table whose positions are in pixels.

    Tables early in the pipeline's reduction, before astrometry, store
    ``xpos`` and ``ypos`` in pixels; MPDAF selects their rows with the same
    ``(y, x, size, shape)`` apertures, in pixels, with plain Euclidean
    distances.

    Parameters
    ----------
    y, x : float
        The centre (``ypos``, ``xpos``), in pixels.
    size : float
        The radius of a circle, or the half side of a square, in pixels.
    shape : {'C', 'S'}
        'C' for a circle, 'S' for a square with sides along the axes.

    Examples
    --------
    >>> ap = PixelAperture(y=10.0, x=20.0, size=2.0, shape="S")
    >>> ap.contains([21.9, 22.1], [11.9, 10.0])
    array([ True, False])
    """

    y: float
    x: float
    size: float
    shape: str

    def __post_init__(self):
        if self.shape not in ("C", "S"):
            raise UserError(f"sky: unknown aperture shape {self.shape!r}; "
                            "use 'C' (circle) or 'S' (square)")
        if not np.isfinite(self.size) or self.size <= 0:
            raise UserError(f"sky: the aperture size must be > 0 pixels, "
                            f"not {self.size:g}")

    def contains(self, xpos, ypos):
        """Return True for positions strictly inside the aperture.

        Parameters
        ----------
        xpos, ypos : array-like
            Positions in pixels.

        Returns
        -------
        `numpy.ndarray` of bool

        Examples
        --------
        >>> PixelAperture(0.0, 0.0, 1.0, "C").contains([0.8, 0.8], [0.7, 0.0])
        array([False,  True])
        """
        dx = np.asarray(xpos, dtype=float) - self.x
        dy = np.asarray(ypos, dtype=float) - self.y
        if self.shape == "C":
            return dx ** 2 + dy ** 2 < self.size ** 2
        return (np.abs(dx) < self.size) & (np.abs(dy) < self.size)


def parse_pixel_apertures(sky):
    """Turn the ``sky`` argument into apertures on a table in pixels.

    Parameters
    ----------
    sky : tuple or list of tuples
        Each ``(y, x, size, shape)``, all in pixels (plain numbers or
        Quantities in ``pix``), ``shape`` 'C' or 'S'.

    Returns
    -------
    list of `PixelAperture`

    Examples
    --------
    >>> parse_pixel_apertures((5, 6, 2, "C"))
    [PixelAperture(y=5.0, x=6.0, size=2.0, shape='C')]
    """
    if isinstance(sky, tuple):
        sky = [sky]
    try:
        items = list(sky)
    except TypeError:
        raise UserError(f"sky: expected (y, x, size, shape) or a list of "
                        f"them, got {sky!r}") from None
    if not items:
        raise UserError("sky: the list of apertures is empty")
    apertures = []
    for item in items:
        try:
            y, x, size, shape = item
            values = [_to_float(v, u.pix) for v in (y, x, size)]
        except (TypeError, ValueError, u.UnitsError) as err:
            raise UserError(f"sky: each aperture must be (y, x, size, "
                            f"shape) in pixels, got {item!r} ({err})") \
                from None
        if not isinstance(shape, str):
            raise UserError(f"sky: unknown aperture shape {shape!r}; use "
                            "'C' (circle) or 'S' (square)")
        apertures.append(PixelAperture(*values, shape))
    return apertures
