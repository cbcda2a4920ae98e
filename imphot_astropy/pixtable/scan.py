"""Scanning a pixel table chunk by chunk with row-selection criteria.

`scan` runs a list of criteria (`~imphot_astropy.pixtable.criteria`) over a
table in chunks of rows, combining them with 'and' (each criterion only
sees the rows the previous ones kept, cheapest first) or 'or', so that no
column is ever held whole in memory.
"""

import numpy as np

from ..exceptions import UserError

__all__ = ["scan", "scan_mask"]


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
    >>> from imphot_astropy.pixtable.criteria import LambdaCriterion
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
    >>> from imphot_astropy.pixtable.criteria import LambdaCriterion
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
