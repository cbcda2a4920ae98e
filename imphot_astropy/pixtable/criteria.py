"""Row-selection criteria of pixel tables, evaluated chunk by chunk.

Each criterion says which columns it needs and returns, for a set of rows,
which of them it keeps. `~imphot_astropy.pixtable.scan.scan` runs a list of
criteria over a table in chunks of rows, combining them with 'and' (each
criterion only sees the rows the previous ones kept, cheapest first) or
'or', so that no column is ever held whole in memory.
"""

import numpy as np

from .origin import decode_ifu, decode_slice, decode_xpix, decode_ypix
from .sky import positioned_to_sky, projected_to_sky, sky_to_projected

__all__ = ["LambdaCriterion", "IfuCriterion", "SliceCriterion",
           "XpixCriterion", "YpixCriterion", "ExpCriterion", "SkyCriterion",
           "PixelSkyCriterion"]


class _Criterion:
    """Base class: ``keep(columns, rows)`` returns a boolean array."""

    #: Columns the criterion reads.
    columns = ()
    #: Rough cost per row, to order 'and' evaluation (cheapest first).
    cost = 1
    #: Whether `keep` needs the row indices (otherwise it gets None).
    uses_rows = False

    def keep(self, columns, rows):
        """Return True for the rows the criterion keeps.

        Parameters
        ----------
        columns : dict
            The columns named in `columns`, for the rows to test.
        rows : `numpy.ndarray`
            The indices of these rows in the table.

        Returns
        -------
        `numpy.ndarray` of bool

        Examples
        --------
        See the criteria classes.
        """
        raise NotImplementedError


class LambdaCriterion(_Criterion):
    """Rows whose wavelength lies in one of half-open ranges [min, max).

    Examples
    --------
    >>> import numpy as np
    >>> c = LambdaCriterion([(5000, 6000)])
    >>> c.keep({"lambda": np.array([4999., 5000., 5999., 6000.])}, None)
    array([False,  True,  True, False])
    """

    columns = ("lambda",)
    cost = 1

    def __init__(self, ranges):
        self.ranges = ranges

    def keep(self, columns, rows):
        return _in_ranges(columns["lambda"], self.ranges)


class IfuCriterion(_Criterion):
    """Rows from one of the given IFUs.

    Examples
    --------
    >>> import numpy as np
    >>> IfuCriterion([2]).keep({"origin": np.array([2 << 6, 3 << 6])}, None)
    array([ True, False])
    """

    columns = ("origin",)
    cost = 2

    def __init__(self, ifus):
        self.ifus = ifus

    def keep(self, columns, rows):
        return np.isin(decode_ifu(columns["origin"]), self.ifus)


class SliceCriterion(_Criterion):
    """Rows from one of the given slices (CCD numbering).

    Examples
    --------
    >>> import numpy as np
    >>> SliceCriterion([5]).keep({"origin": np.array([5, 6])}, None)
    array([ True, False])
    """

    columns = ("origin",)
    cost = 2

    def __init__(self, slices):
        self.slices = slices

    def keep(self, columns, rows):
        return np.isin(decode_slice(columns["origin"]), self.slices)


class XpixCriterion(_Criterion):
    """Rows whose zero-based CCD column lies in one of ranges [min, max).

    Examples
    --------
    >>> import numpy as np
    >>> offsets = np.zeros((25, 49), dtype=int)
    >>> origin = np.array([(5 << 24) | (1 << 6) | 1, (9 << 24) | (1 << 6) | 1])
    >>> XpixCriterion([(0, 6)], offsets).keep({"origin": origin}, None)
    array([ True, False])
    """

    columns = ("origin",)
    cost = 3

    def __init__(self, ranges, xoffsets):
        self.ranges = ranges
        self.xoffsets = xoffsets

    def keep(self, columns, rows):
        xpix = decode_xpix(columns["origin"], self.xoffsets)
        return _in_ranges(xpix, self.ranges)


class YpixCriterion(_Criterion):
    """Rows whose zero-based CCD row lies in one of ranges [min, max).

    Examples
    --------
    >>> import numpy as np
    >>> origin = np.array([1 << 11, 30 << 11])
    >>> YpixCriterion([(0, 10)]).keep({"origin": origin}, None)
    array([ True, False])
    """

    columns = ("origin",)
    cost = 2

    def __init__(self, ranges):
        self.ranges = ranges

    def keep(self, columns, rows):
        return _in_ranges(decode_ypix(columns["origin"]), self.ranges)


def _in_ranges(values, ranges):
    """True where ``low <= values < high`` for one of the ranges, with the
    comparisons exact whatever the type of ``values``."""
    values = np.asarray(values)
    mask = np.zeros(values.shape, dtype=bool)
    for low, high in ranges:
        low, high = (_threshold(b, values.dtype) for b in (low, high))
        mask |= (values >= low) & (values < high)
    return mask


def _threshold(bound, dtype):
    """Return a bound ``t`` of type ``dtype`` such that, for any value ``v``
    of that type, ``v >= t`` exactly when ``v >= bound`` (and likewise for
    ``<``): the smallest such value not below ``bound``.

    Comparing a float32 column with a float32 bound is twice as fast as
    converting the column to float64, and this keeps it exact.

    >>> t = _threshold(0.7, np.dtype(np.float32))   # float32(0.7) < 0.7
    >>> bool(np.float32(0.7) >= t), float(t) >= 0.7
    (False, True)
    """
    if dtype.kind != "f":
        return np.float64(bound)
    value = dtype.type(bound)
    # Compare as Python floats: a numpy float32 compared with a Python
    # float is compared in float32.
    if float(value) < float(bound):
        value = np.nextafter(value, dtype.type(np.inf))
    return value


class ExpCriterion(_Criterion):
    """Rows of the given exposures, from their row ranges.

    Parameters
    ----------
    row_ranges : list of (int, int)
        Inclusive (first, last) row ranges of the selected exposures.

    Examples
    --------
    >>> import numpy as np
    >>> ExpCriterion([(2, 3)]).keep({}, np.arange(5))
    array([False, False,  True,  True, False])
    """

    columns = ()
    cost = 0
    uses_rows = True

    def __init__(self, row_ranges):
        self.row_ranges = row_ranges

    def keep(self, columns, rows):
        mask = np.zeros(rows.shape, dtype=bool)
        for first, last in self.row_ranges:
            mask |= (rows >= first) & (rows <= last)
        return mask


class SkyCriterion(_Criterion):
    """Rows whose sky position lies in one of the apertures.

    A quick bounding cut on the stored coordinates comes first; the exact
    test (great-circle distance, or tangent-plane square) runs only on the
    rows that pass it.

    Parameters
    ----------
    apertures : list of `~imphot_astropy.pixtable.sky.SkyAperture`
    projection : {'projected', 'positioned'}
    to_deg : float
        Factor from the unit of xpos/ypos to degrees.
    ra0, dec0 : float
        Reference point of the table (degrees).

    Examples
    --------
    >>> import numpy as np
    >>> from imphot_astropy.pixtable.sky import SkyAperture
    >>> ap = SkyAperture(dec=10.0, ra=20.0, size=1 / 3600, shape="C")
    >>> c = SkyCriterion([ap], "positioned", 1.0, 20.0, 10.0)
    >>> c.keep({"xpos": np.array([0.0, 0.0]),
    ...         "ypos": np.array([0.5 / 3600, 2 / 3600])}, None)
    array([ True, False])
    """

    columns = ("xpos", "ypos")
    cost = 10

    def __init__(self, apertures, projection, to_deg, ra0, dec0):
        self.apertures = apertures
        self.projection = projection
        self.to_deg = to_deg
        self.ra0, self.dec0 = ra0, dec0

    def keep(self, columns, rows):
        # A first cut on the stored ypos column, in its own unit and type,
        # keeps the band of rows whose ypos could lie in an aperture (a few
        # percent of a field): converting every row to float64 degrees
        # would cost more than the rest of the selection.
        stored = columns["ypos"]
        band = np.zeros(np.shape(stored), dtype=bool)
        for aperture in self.apertures:
            low, high = self._ypos_band(aperture)
            band |= (stored >= low) & (stored <= high)
        mask = np.zeros(band.shape, dtype=bool)
        rows_in_band = np.flatnonzero(band)
        if rows_in_band.size:
            mask[rows_in_band] = self._keep_exact(
                columns["xpos"][rows_in_band], stored[rows_in_band])
        return mask

    def _ypos_band(self, aperture):
        """Bounds of the stored ypos values of rows that may lie in the
        aperture, widened by 1e-6 deg (the exact test follows, so the band
        only needs to hold them all despite float32 rounding)."""
        radius = aperture.bounding_radius + 1e-6
        if self.projection == "projected":
            _, ypos_c = sky_to_projected(aperture.ra, aperture.dec,
                                         self.ra0, self.dec0)
            centre = float(ypos_c)
        else:
            centre = aperture.dec - self.dec0
        return (centre - radius) / self.to_deg, (centre + radius) / self.to_deg

    def _keep_exact(self, xpos, ypos):
        # float64 before scaling: a float32 column times a Python float
        # stays float32 in numpy 2.
        xpos = np.multiply(xpos, self.to_deg, dtype=np.float64)
        ypos = np.multiply(ypos, self.to_deg, dtype=np.float64)
        mask = np.zeros(xpos.shape, dtype=bool)
        for aperture in self.apertures:
            if self.projection == "projected":
                near = aperture.candidates_projected(xpos, ypos, self.ra0,
                                                     self.dec0)
                to_sky = projected_to_sky
            else:
                near = aperture.candidates_positioned(xpos, ypos, self.ra0,
                                                      self.dec0)
                to_sky = positioned_to_sky
            near &= ~mask
            index = np.flatnonzero(near)
            if index.size:
                ra, dec = to_sky(xpos[index], ypos[index], self.ra0,
                                 self.dec0)
                mask[index[aperture.contains(ra, dec)]] = True
        return mask


class PixelSkyCriterion(_Criterion):
    """Rows inside one of the apertures of a table in pixel units.

    Parameters
    ----------
    apertures : list of `~imphot_astropy.pixtable.sky.PixelAperture`

    Examples
    --------
    >>> import numpy as np
    >>> from imphot_astropy.pixtable.sky import PixelAperture
    >>> c = PixelSkyCriterion([PixelAperture(0.0, 0.0, 1.0, "C")])
    >>> c.keep({"xpos": np.array([0.5, 2.0]), "ypos": np.zeros(2)}, None)
    array([ True, False])
    """

    columns = ("xpos", "ypos")
    cost = 4

    def __init__(self, apertures):
        self.apertures = apertures

    def keep(self, columns, rows):
        xpos, ypos = columns["xpos"], columns["ypos"]
        mask = np.zeros(np.shape(xpos), dtype=bool)
        for aperture in self.apertures:
            mask |= aperture.contains(xpos, ypos)
        return mask
