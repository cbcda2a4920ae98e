"""Row-selection criteria of pixel tables, evaluated chunk by chunk.

Each criterion says which columns it needs and returns, for a set of rows,
which of them it keeps. `scan` runs a list of criteria over a table in
chunks of rows, combining them with 'and' (each criterion only sees the
rows the previous ones kept, cheapest first) or 'or', so that no column is
ever held whole in memory.
"""

import numbers

import numpy as np
import astropy.units as u

from ..exceptions import UserError
from .origin import NIFUS, decode_ifu, decode_slice, decode_xpix, decode_ypix
from .sky import positioned_to_sky, projected_to_sky, sky_to_projected
from .slicer import NSLICES, NSTACKS, SLICES_PER_STACK, Slicer

__all__ = ["LambdaCriterion", "IfuCriterion", "SliceCriterion",
           "XpixCriterion", "YpixCriterion", "ExpCriterion", "SkyCriterion",
           "PixelSkyCriterion",
           "scan", "scan_mask", "parse_ranges", "parse_integers",
           "stack_slices", "ifu_numbers", "slice_numbers"]


# -- argument parsing ----------------------------------------------------------

def parse_ranges(value, argname, unit=None, target_unit=None):
    """Turn a ``(min, max)`` pair or a list of pairs into a list of pairs.

    Parameters
    ----------
    value : tuple or list of tuples
        The range(s). Bounds may be Quantities when ``unit`` is given.
    argname : str
        Argument name for error messages.
    unit, target_unit : `~astropy.units.UnitBase`, optional
        Unit of plain-number bounds, and the unit to convert them to.

    Returns
    -------
    list of (float, float)

    Raises
    ------
    UserError
        If a range is malformed or its minimum exceeds its maximum.

    Examples
    --------
    >>> parse_ranges((6000, 6100), "lbda")
    [(6000.0, 6100.0)]
    >>> import astropy.units as u
    >>> [(round(a, 6), round(b, 6))
    ...  for a, b in parse_ranges([(600, 610)], "lbda", u.nm, u.AA)]
    [(6000.0, 6100.0)]
    """
    if _is_pair(value):
        value = [value]
    try:
        pairs = list(value)
    except TypeError:
        raise UserError(f"{argname}: expected (min, max) or a list of "
                        f"(min, max) pairs, got {value!r}") from None
    if not pairs:
        raise UserError(f"{argname}: the list of ranges is empty")
    result = []
    for pair in pairs:
        if not _is_pair(pair):
            raise UserError(f"{argname}: expected (min, max) pairs, got "
                            f"{pair!r}")
        low, high = (_bound(v, argname, unit, target_unit) for v in pair)
        if low > high:
            raise UserError(f"{argname}: the range ({pair[0]}, {pair[1]}) "
                            "has min > max")
        result.append((low, high))
    return result


def _is_pair(value):
    return (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, (numbers.Real, u.Quantity))
                    and np.ndim(v) == 0 for v in value))


def _bound(value, argname, unit, target_unit):
    try:
        if isinstance(value, u.Quantity):
            if target_unit is None:
                raise UserError(f"{argname}: expected plain numbers, got "
                                f"{value!r}")
            return float(value.to_value(target_unit, u.spectral()))
        if unit is not None and target_unit is not None:
            return float((value * unit).to_value(target_unit, u.spectral()))
        return float(value)
    except u.UnitsError as err:
        raise UserError(f"{argname}: {err}") from None


def parse_integers(value, argname, low, high):
    """Turn an integer or a list of integers into a sorted integer array.

    Parameters
    ----------
    value : int or sequence of int
    argname : str
        Argument name for error messages.
    low, high : int
        Allowed range, inclusive.

    Returns
    -------
    `numpy.ndarray`

    Examples
    --------
    >>> parse_integers(3, "ifu", 1, 24).tolist()
    [3]
    """
    array = np.atleast_1d(np.asarray(value))
    if array.ndim != 1 or array.size == 0 or array.dtype.kind not in "iu":
        raise UserError(f"{argname}: expected an integer or a list of "
                        f"integers, got {value!r}")
    if array.min() < low or array.max() > high:
        raise UserError(f"{argname}: values must be in {low}-{high}, got "
                        f"{value!r}")
    return np.unique(array).astype(np.int64)


# -- criteria --------------------------------------------------------------

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


def stack_slices(stacks):
    """Return the CCD slice numbers of the given stacks (1-4), numbered as
    in MPDAF: stack ``k`` is sky slices ``12 (k - 1) + 1`` to ``12 k``
    (optical stack ``5 - k``).

    Examples
    --------
    >>> stack_slices([1]).tolist()
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    >>> stack_slices(4).tolist() == Slicer.stack_ccd_slices(1).tolist()
    True
    """
    stacks = parse_integers(stacks, "stack", 1, NSTACKS)
    sky = np.concatenate([np.arange(SLICES_PER_STACK * (k - 1) + 1,
                                    SLICES_PER_STACK * k + 1)
                          for k in stacks.tolist()])
    return np.sort(Slicer.sky2ccd(sky))


def ifu_numbers(ifus):
    """Validate IFU numbers (1-24) and return them sorted.

    Examples
    --------
    >>> ifu_numbers([3, 1]).tolist()
    [1, 3]
    """
    return parse_integers(ifus, "ifu", 1, NIFUS)


def slice_numbers(slices):
    """Validate slice numbers (1-48, CCD scheme) and return them sorted.

    Examples
    --------
    >>> slice_numbers(48).tolist()
    [48]
    """
    return parse_integers(slices, "sl", 1, NSLICES)


# -- the scan --------------------------------------------------------------

def _scan_chunks(nrows, criteria, method, read_chunk, chunk_rows):
    """Yield ``(start, local, cache)`` for each chunk: the chunk's first
    row, the selected rows' indices within the chunk, and the columns read
    for the whole chunk."""
    if method not in ("and", "or"):
        raise UserError(f"method: expected 'and' or 'or', got {method!r}")
    criteria = sorted(criteria, key=lambda c: c.cost)
    needed = sorted({name for c in criteria for name in c.columns})
    for start in range(0, nrows, chunk_rows):
        stop = min(nrows, start + chunk_rows)
        if method == "and":
            local, cache = _chunk_and(criteria, read_chunk, start, stop)
        else:
            local, cache = _chunk_or(criteria, needed, read_chunk, start,
                                     stop)
        yield start, local, cache


def scan(nrows, criteria, method, read_chunk, chunk_rows):
    """Evaluate criteria over all rows, chunk by chunk.

    Parameters
    ----------
    nrows : int
        Number of rows of the table.
    criteria : list of criteria
        What to evaluate.
    method : {'and', 'or'}
        How to combine the criteria.
    read_chunk : callable
        ``read_chunk(names, start, stop)`` returns a dict of column arrays
        for rows ``start:stop``, in any byte order (they may be swapped in
        place).
    chunk_rows : int
        Rows per chunk.

    Returns
    -------
    rows : `numpy.ndarray`
        Sorted int64 indices of the selected rows.
    columns : dict
        The columns read during the scan, restricted to the selected rows
        (so that an extraction need not read them again).

    Examples
    --------
    >>> import numpy as np
    >>> lbda = np.linspace(5000, 9000, 11)
    >>> rows, cols = scan(11, [LambdaCriterion([(6000, 7000)])], "and",
    ...                   lambda names, a, b: {"lambda": lbda[a:b]}, 4)
    >>> rows.tolist(), cols["lambda"].tolist()
    ([3, 4], [6200.0, 6600.0])
    """
    needed = sorted({name for c in criteria for name in c.columns})
    found_rows, found_cols = [], {name: [] for name in needed}
    for start, local, cache in _scan_chunks(nrows, criteria, method,
                                            read_chunk, chunk_rows):
        if local.size == 0:
            continue
        found_rows.append(local + start)
        for name in needed:
            found_cols[name].append(_native(cache[name][local])
                                    if name in cache else None)
    rows = (np.concatenate(found_rows) if found_rows
            else np.empty(0, dtype=np.int64))
    columns = {}
    for name, parts in found_cols.items():
        # A column is returned only if every chunk with selected rows read
        # it; the caller reads the others.
        if parts and all(p is not None for p in parts):
            columns[name] = np.concatenate(parts)
    return rows, columns


def scan_mask(nrows, criteria, method, read_chunk, chunk_rows):
    """Like `scan`, but return a boolean mask of the selected rows (one
    byte per row, filled chunk by chunk).

    Examples
    --------
    >>> import numpy as np
    >>> lbda = np.linspace(5000, 9000, 11)
    >>> scan_mask(11, [LambdaCriterion([(6000, 7000)])], "and",
    ...           lambda names, a, b: {"lambda": lbda[a:b]}, 4).nonzero()
    (array([3, 4]),)
    """
    mask = np.zeros(nrows, dtype=bool)
    for start, local, _ in _scan_chunks(nrows, criteria, method, read_chunk,
                                        chunk_rows):
        mask[local + start] = True
    return mask


def _native(array, inplace=False):
    """Return ``array`` in native byte order (swapping in place if
    allowed). Chunks are read in the file's byte order and converted only
    for the rows a criterion looks at."""
    if array.dtype.isnative:
        return array
    native = array.dtype.newbyteorder("=")
    if inplace:
        return array.byteswap(inplace=True).view(native)
    return array.astype(native)


# A criterion sees only the rows that the previous ones kept once they are
# fewer than 1 in this many rows of the chunk.
_GATHER_BELOW = 4


def _chunk_and(criteria, read_chunk, start, stop):
    """Apply criteria one after the other to the surviving rows."""
    local = None                   # None: every row of the chunk
    cache = {}
    for criterion in criteria:
        missing = [n for n in criterion.columns if n not in cache]
        if missing:
            cache.update(read_chunk(missing, start, stop))
        # While most rows survive, testing them all costs less than
        # gathering the survivors' values first.
        if local is None or local.size > (stop - start) // _GATHER_BELOW:
            for name in criterion.columns:
                cache[name] = _native(cache[name], inplace=True)
            subset = {n: cache[n] for n in criterion.columns}
            rows = (np.arange(start, stop, dtype=np.int64)
                    if criterion.uses_rows else None)
            kept = criterion.keep(subset, rows)
            local = (np.flatnonzero(kept) if local is None
                     else local[kept[local]])
        else:
            subset = {n: _native(cache[n][local]) for n in criterion.columns}
            rows = local + start if criterion.uses_rows else None
            local = local[criterion.keep(subset, rows)]
        if local.size == 0:
            break
    if local is None:
        local = np.arange(stop - start, dtype=np.int64)
    return local, cache


def _chunk_or(criteria, needed, read_chunk, start, stop):
    """Apply every criterion to all rows and keep rows any of them keeps."""
    cache = read_chunk(needed, start, stop) if needed else {}
    cache = {name: _native(array, inplace=True)
             for name, array in cache.items()}
    rows = np.arange(start, stop, dtype=np.int64)
    mask = np.zeros(stop - start, dtype=bool)
    for criterion in criteria:
        subset = {n: cache[n] for n in criterion.columns}
        mask |= criterion.keep(subset, rows)
    return np.flatnonzero(mask).astype(np.int64), cache
