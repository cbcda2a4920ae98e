"""Writing MUSE pixel tables in either on-disk format, chunk by chunk.

The file is written under a temporary name in the same directory and
renamed when complete (see `write_pixtable`).
"""

import os

import numpy as np
from astropy.io import fits

from ..io import atomic_output, format_bunit
from .columns import DISK_DTYPES, INTEGER_COLUMNS

__all__ = ["write_pixtable"]


def write_pixtable(filename, primary_header, nrows, units, chunks, names,
                   save_as_ima=True, inputs=()):
    """Write a pixel table chunk by chunk, atomically.

    The headers are written first, at offsets computed from the FITS block
    structure, and each chunk of rows is then written into every column at
    its place. astropy's `~astropy.io.fits.StreamingHDU` streams only one
    extension at a time, which would mean producing every chunk once per
    column; hence this small writer. The file is written under a temporary
    name in the same directory and renamed when complete, so a reader never
    sees half a table and an error leaves nothing behind (as
    `imphot_astropy.io.write_fits_atomically` does for an HDUList held in
    memory, which a full pixel table is too big to be).

    Parameters
    ----------
    filename : str or `os.PathLike`
        Output file name.
    primary_header : `~astropy.io.fits.Header`
        Primary header to write (copied).
    nrows : int
        Number of rows.
    units : dict
        Column name to unit (`~astropy.units.UnitBase`, or None).
    chunks : iterable
        Yields ``(start, stop, columns)`` for consecutive row ranges that
        cover ``0:nrows``, ``columns`` mapping each name to its values.
    names : sequence of str
        The columns to write, in order.
    save_as_ima : bool
        True for one image extension per column (the default, faster to
        read), False for one binary table.
    inputs : sequence of str
        Files that must not be overwritten.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from imphot_astropy.pixtable.columns import (DISK_DTYPES,
    ...                                              REQUIRED_COLUMNS)
    >>> from imphot_astropy.pixtable.storage import PixTableFile
    >>> cols = {n: np.arange(3, dtype=DISK_DTYPES[n][1:]) for n in
    ...         REQUIRED_COLUMNS}
    >>> tmp = tempfile.TemporaryDirectory()
    >>> name = os.path.join(tmp.name, "t.fits")
    >>> write_pixtable(name, fits.Header(), 3, {}, [(0, 3, cols)],
    ...                REQUIRED_COLUMNS, save_as_ima=False)
    >>> PixTableFile(name).read("origin", 0, 3).tolist()
    [0, 1, 2]
    >>> tmp.cleanup()
    """
    # io.atomic_output: temporary name, umask permissions, nothing left
    # behind and a UserError naming the file if the write fails.
    with atomic_output(filename, inputs, "filename") as tmpname:
        fd = os.open(tmpname, os.O_RDWR)
        try:
            layout = _FileWriter(fd, primary_header, nrows, units, names,
                                 save_as_ima)
            covered = 0
            for start, stop, columns in chunks:
                if start != covered or stop > nrows:
                    raise ValueError(f"chunk {start}:{stop} does not follow "
                                     f"row {covered}")
                layout.write_rows(start, stop, columns)
                covered = stop
            if covered != nrows:
                raise ValueError(f"the chunks stop at row {covered} of {nrows}")
            os.fsync(fd)
        finally:
            os.close(fd)



def _padded(nbytes):
    return -(-nbytes // 2880) * 2880


class _FileWriter:
    """Lay out the headers of a pixel-table file and write rows into it."""

    def __init__(self, fd, primary_header, nrows, units, names, save_as_ima):
        self.fd = fd
        self.names = list(names)
        primary = fits.PrimaryHDU(header=fits.Header(primary_header)).header
        primary["EXTEND"] = True
        blocks = [primary.tostring().encode("ascii")]
        offset = len(blocks[0])
        self.offsets = {}
        if save_as_ima:
            self.stride = None
            for name in self.names:
                header = self._image_header(name, nrows, units.get(name))
                blocks.append(header.tostring().encode("ascii"))
                offset += len(blocks[-1])
                self.offsets[name] = offset
                nbytes = nrows * np.dtype(DISK_DTYPES[name]).itemsize
                offset += _padded(nbytes)
                blocks.append(offset)
        else:
            header = self._table_header(nrows, units)
            blocks.append(header.tostring().encode("ascii"))
            offset += len(blocks[-1])
            self.record = np.dtype([(name, DISK_DTYPES[name])
                                    for name in self.names])
            self.table_offset = offset
            offset += _padded(nrows * self.record.itemsize)
            blocks.append(offset)
        # Headers go at their offsets; the data areas are zero-filled (the
        # FITS padding) by extending the file, then overwritten by rows.
        position = 0
        for block in blocks:
            if isinstance(block, bytes):
                os.pwrite(fd, block, position)
                position += len(block)
            else:
                position = block
        os.ftruncate(fd, position)

    @staticmethod
    def _image_header(name, nrows, unit):
        dtype = np.dtype(DISK_DTYPES[name])
        header = fits.Header()
        header["XTENSION"] = ("IMAGE", "Image extension")
        header["BITPIX"] = {"f": -8, "i": 8}[dtype.kind] * dtype.itemsize
        header["NAXIS"] = 2
        header["NAXIS1"] = 1
        header["NAXIS2"] = nrows
        header["PCOUNT"] = 0
        header["GCOUNT"] = 1
        # The pipeline names its extensions in lower case.
        header["EXTNAME"] = name
        text = format_bunit(unit)
        if text is not None:
            header["BUNIT"] = text
        return header

    def _table_header(self, nrows, units):
        columns = [fits.Column(name=name,
                               format="1J" if name in INTEGER_COLUMNS
                               else "1E",
                               unit=format_bunit(units.get(name)))
                   for name in self.names]
        header = fits.BinTableHDU.from_columns(columns, nrows=0).header
        header["NAXIS2"] = nrows
        return header

    def _pwrite(self, array, offset):
        view = memoryview(np.ascontiguousarray(array)).cast("B")
        done = 0
        while done < len(view):
            done += os.pwrite(self.fd, view[done:], offset + done)

    def write_rows(self, start, stop, columns):
        """Write rows ``start:stop`` of every column."""
        count = stop - start
        if self.offsets:
            for name in self.names:
                dtype = np.dtype(DISK_DTYPES[name])
                values = np.asarray(columns[name])
                if values.shape != (count,):
                    raise ValueError(f"{name}: {values.shape} values for "
                                     f"{count} rows")
                self._pwrite(values.astype(dtype, copy=False),
                             self.offsets[name] + start * dtype.itemsize)
            return
        rows = np.empty(count, dtype=self.record)
        for name in self.names:
            rows[name] = columns[name]
        self._pwrite(rows, self.table_offset + start * self.record.itemsize)
