"""Positional reads of row ranges of a pixel-table file.

`os.preadv` at the offsets astropy reports reads a chunk of rows without
keeping the pages of earlier chunks resident (see
`~imphot_astropy.pixtable.storage`).
"""

import os

import numpy as np

from ..exceptions import UserError

__all__ = ["GATHER_BLOCK", "ChunkReader"]

# Rows per positional read when gathering scattered rows: a span of this
# many rows is read at once (at most 256 kB per 4-byte column).
GATHER_BLOCK = 65536


class ChunkReader:
    """Positional reads of row ranges of a pixel-table file.

    Made by ``PixTableFile.reader()``;
    as a context manager it holds one file descriptor for all the reads of
    a selection, instead of a memory map whose touched pages would stay
    resident.

    Parameters
    ----------
    ptfile : `~imphot_astropy.pixtable.storage.PixTableFile`

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_synthetic_pixtable
    >>> from imphot_astropy.pixtable.storage import PixTableFile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> name = os.path.join(tmp.name, "pt.fits")
    >>> make_synthetic_pixtable(name, nrows=1000)
    >>> ptfile = PixTableFile(name)
    >>> with ChunkReader(ptfile) as reader:
    ...     rows = reader.read(["dq", "data"], 10, 14)
    ...     picked = reader.take(["dq"], [3, 500, 999])
    >>> rows["data"].shape, picked["dq"].shape
    ((4,), (3,))
    >>> bool((rows["data"] == ptfile.read("data", 10, 14)).all())
    True
    >>> tmp.cleanup()
    """

    def __init__(self, ptfile):
        self.ptfile = ptfile
        self.fd = None

    def __enter__(self):
        if not self.ptfile.in_memory:
            self.fd = os.open(self.ptfile.filename, os.O_RDONLY)
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)
        self.fd = None

    def _pread(self, nbytes, offset):
        buf = np.empty(nbytes, dtype=np.uint8)
        view = memoryview(buf)
        done = 0
        while done < nbytes:
            count = os.preadv(self.fd, [view[done:]], offset + done)
            if count <= 0:
                raise UserError(f"{self.ptfile.filename}: the file is "
                                "truncated (shorter than its headers say)")
            done += count
        return buf

    def read(self, names, start, stop, native=True):
        """Read rows ``start:stop`` of several columns.

        Parameters
        ----------
        names : list of str
            Columns.
        start, stop : int
            Row range.
        native : bool
            If False, return the values in the file's byte order (to be
            converted by the caller, perhaps only for some rows).

        Returns
        -------
        dict
            Column name to array.
        """
        convert = _to_native if native else (lambda array: array)
        columns = self.ptfile.columns
        count = max(0, stop - start)
        out = {name: self.ptfile.loaded[name][start:stop] for name in names
               if name in self.ptfile.loaded}
        names = [name for name in names if name not in out]
        if not names:
            return out
        if self.ptfile.ima:
            for name in names:
                layout = columns[name]
                raw = self._pread(count * layout.stride,
                                  layout.offset + start * layout.stride)
                out[name] = convert(raw.view(layout.dtype))
            return out
        # Binary table: one read of the row block serves every column.
        first = self.ptfile.table_offset
        stride = next(iter(columns.values())).stride
        raw = self._pread(count * stride, first + start * stride)
        rows = raw.reshape(count, stride) if count else raw.reshape(0, stride)
        for name in names:
            layout = columns[name]
            at = layout.offset - first
            field = rows[:, at:at + layout.dtype.itemsize]
            out[name] = convert(np.ascontiguousarray(field).view(
                layout.dtype).reshape(count))
        return out

    def take(self, names, rows):
        """Read the given sorted row indices of several columns.

        Rows are read in spans of at most `GATHER_BLOCK` rows, so clustered
        selections read little and memory stays bounded.

        Returns
        -------
        dict
            Column name to native-byte-order array.
        """
        rows = np.asarray(rows, dtype=np.int64)
        parts = {name: [] for name in names}
        if rows.size:
            block = rows // GATHER_BLOCK
            bounds = np.flatnonzero(np.diff(block)) + 1
            for group in np.split(rows, bounds):
                start, stop = int(group[0]), int(group[-1]) + 1
                chunk = self.read(names, start, stop)
                for name in names:
                    parts[name].append(chunk[name][group - start])
        result = {}
        for name in names:
            dtype = self.ptfile.columns[name].dtype.newbyteorder("=")
            result[name] = (np.concatenate(parts[name]) if parts[name]
                            else np.empty(0, dtype=dtype))
        return result


def _to_native(array):
    """Return ``array`` in native byte order, swapping in place."""
    if array.dtype.isnative or array.dtype.itemsize == 1:
        return array
    array = array.byteswap(inplace=True)
    return array.view(array.dtype.newbyteorder("="))


