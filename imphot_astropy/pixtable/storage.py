"""The two on-disk formats of MUSE pixel tables: reading and writing.

A pixel table is a FITS file whose primary header carries the pipeline's
keywords and whose columns are stored either as one binary table (first
extension) or as one image extension per column, each of shape (nrows, 1),
named after the column. This module finds where each column lies in the
file, memory-maps it, reads chunks of rows with positional reads (so that a
scan over a 10 GB table keeps a few tens of MB resident), and writes tables
in either format in chunks, to a temporary file renamed when complete.

astropy.io.fits parses the headers; the data are then reached with
`numpy.memmap` and `os.preadv` at the offsets astropy reports, because
astropy reads a table's data either whole or through one memory map whose
touched pages all stay resident.
"""

import io
import os
import warnings
from dataclasses import dataclass

import numpy as np
import astropy.units as u
from astropy.io import fits

from ..exceptions import UserError
from ..io import atomic_output

__all__ = ["COLUMN_NAMES", "REQUIRED_COLUMNS", "ColumnLayout",
           "PixTableFile", "parse_unit", "write_pixtable"]

#: The columns of a pixel table, in the pipeline's order.
COLUMN_NAMES = ("xpos", "ypos", "lambda", "data", "dq", "stat", "origin",
                "weight")
#: The columns every pixel table has (``weight`` is optional).
REQUIRED_COLUMNS = COLUMN_NAMES[:-1]
# Columns that only pixel tables have.
_SPECIFIC_COLUMNS = ("xpos", "ypos", "lambda", "origin")
#: On-disk type of each column when written.
DISK_DTYPES = {"xpos": ">f4", "ypos": ">f4", "lambda": ">f4", "data": ">f4",
               "dq": ">i4", "stat": ">f4", "origin": ">i4", "weight": ">f4"}
_INTEGER_COLUMNS = ("dq", "origin")
_BITPIX_DTYPES = {8: "u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4",
                  -64: ">f8"}

# Rows per positional read when gathering scattered rows: a span of this
# many rows is read at once (at most 256 kB per 4-byte column).
GATHER_BLOCK = 65536


def parse_unit(text):
    """Parse a unit string as the MUSE pipeline writes it.

    Parameters
    ----------
    text : str or None
        A FITS ``BUNIT`` or ``TUNITn`` value.

    Returns
    -------
    `~astropy.units.UnitBase` or None
        None if ``text`` is empty or not a unit astropy can parse.

    Examples
    --------
    >>> parse_unit("10**(-20)*erg/s/cm**2/Angstrom")
    Unit("1e-20 erg / (Angstrom s cm2)")
    >>> parse_unit("(10**(-20)*erg/s/cm**2/Angstrom)**2") is None
    True
    """
    if not isinstance(text, str) or not text.strip():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", u.UnitsWarning)
        for fmt in ("fits", "generic"):
            try:
                return u.Unit(text.strip(), format=fmt)
            except ValueError:
                continue
    return None


@dataclass(frozen=True)
class ColumnLayout:
    """Where one column lies in a pixel-table file.

    Attributes
    ----------
    name : str
        Column name.
    offset : int
        Byte offset in the file of the column's first value.
    stride : int
        Bytes from one row's value to the next (the item size for the image
        format, the row width for the binary-table format).
    dtype : `numpy.dtype`
        On-disk (big-endian) type of one value.
    unit : str or None
        The ``BUNIT`` or ``TUNITn`` text.

    Examples
    --------
    >>> import numpy as np
    >>> layout = ColumnLayout("xpos", 5760, 4, np.dtype(">f4"), "deg")
    >>> layout.contiguous
    True
    """

    name: str
    offset: int
    stride: int
    dtype: np.dtype
    unit: object

    @property
    def contiguous(self):
        """True if the values are stored one after the other."""
        return self.stride == self.dtype.itemsize


class PixTableFile:
    """The layout of a pixel-table file, with memory maps and chunk reads.

    Opening reads the headers only; no column data are read until asked.

    Parameters
    ----------
    filename : str, `os.PathLike` or file object
        The FITS file: anything `astropy.io.fits.open` accepts. Uncompressed
        files on disk (by name, or as a file object open from their start)
        are memory-mapped; compressed files and other file objects (such as
        `io.BytesIO`) are read whole into memory, like astropy does.

    Attributes
    ----------
    filename : str or None
        The path of the file (None for a file object without a name).
    in_memory : bool
        True if the columns were read whole into memory.
    hdu_info : list of tuple
        The HDU summary of `astropy.io.fits.HDUList.info`.

    Raises
    ------
    UserError
        If the file does not exist, is not FITS, is not a pixel table, lacks
        a column, or has columns of different lengths.

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.pixtable.datasets import make_synthetic_pixtable
    >>> tmp = tempfile.TemporaryDirectory()
    >>> name = os.path.join(tmp.name, "pt.fits")
    >>> make_synthetic_pixtable(name, nrows=1000)
    >>> f = PixTableFile(name)
    >>> f.nrows, f.ima, f.columns["xpos"].unit
    (1000, True, 'rad')
    >>> f.read("origin", 10, 13).dtype
    dtype('int32')
    >>> tmp.cleanup()
    """

    def __init__(self, filename):
        self.hdu_info = []
        self.in_memory = False
        path = _plain_fits_path(filename)
        if path is None:
            # Compressed files, and file objects that are not an ordinary
            # file on disk (io.BytesIO, sockets...), cannot be memory-mapped:
            # their columns are read whole, as astropy.io.fits.open would.
            self.filename = _display_name(filename)
            self._open_in_memory(filename)
            return
        self.filename = path
        try:
            with fits.open(self.filename, memmap=True,
                           lazy_load_hdus=False) as hdul:
                self.primary_header = hdul[0].header.copy()
                self.hdu_info = hdul.info(output=False)
                self._read_layout(hdul)
        except UserError:
            raise
        except (OSError, ValueError, TypeError) as err:
            raise UserError(f"{self.filename}: not a readable FITS file "
                            f"({err})") from None

    def _open_in_memory(self, source):
        """Read a file object or compressed file whole into memory."""
        self.in_memory = True
        label = self.filename or "file object"
        try:
            if hasattr(source, "read"):
                # Copy the bytes so that closing the HDUList leaves the
                # caller's file object open (astropy closes it otherwise).
                source = io.BytesIO(source.read())
            with fits.open(source, memmap=False) as hdul:
                self.primary_header = hdul[0].header.copy()
                self.hdu_info = hdul.info(output=False)
                self._read_layout(hdul, in_memory=True)
        except UserError:
            raise
        except (OSError, ValueError, TypeError) as err:
            raise UserError(f"{label}: not a readable FITS file ({err})") \
                from None

    # -- layout -----------------------------------------------------------
    def _read_layout(self, hdul, in_memory=False):
        self.loaded = {}
        if len(hdul) > 1 and isinstance(hdul[1], fits.BinTableHDU):
            self.ima = False
            self._require_specific(hdul[1].columns.names, "its first "
                                   "extension is a table")
            columns = (self._load_table(hdul[1]) if in_memory
                       else self._table_layout(hdul))
        elif len(hdul) > 1 and isinstance(hdul[1], fits.TableHDU):
            self.ima = False
            self._require_specific(hdul[1].columns.names, "its first "
                                   "extension is a table")
            columns = self._load_table(hdul[1])
        else:
            self.ima = True
            self._require_specific([hdu.name for hdu in hdul[1:]],
                                   "its extensions are")
            columns = self._image_layout(hdul, in_memory)
        self._check_columns(columns)
        self.columns = columns
        self.nrows = self._nrows

    def _require_specific(self, names, where):
        """Refuse files without any column specific to pixel tables (data,
        stat and dq are also the extensions of MUSE cubes and images)."""
        names = {str(name).lower() for name in names}
        if not names & set(_SPECIFIC_COLUMNS):
            raise self._not_a_pixtable(
                f"{where} " + (", ".join(sorted(names)) or "none")
                + ", without any of " + ", ".join(_SPECIFIC_COLUMNS))

    def _not_a_pixtable(self, what):
        return UserError(
            f"{self.filename}: not a MUSE pixel table ({what}; a pixel table "
            "has the columns " + ", ".join(REQUIRED_COLUMNS)
            + " as binary-table columns or image extensions)")

    def _load_table(self, hdu):
        """Read a table whole: an ASCII table (which MPDAF writes when
        asked for a table), whose text cannot be memory-mapped as numbers,
        or a binary table of a file that cannot be memory-mapped."""
        self._nrows = hdu.header["NAXIS2"]
        columns = {}
        for column in hdu.columns:
            name = column.name.lower()
            if name in COLUMN_NAMES:
                values = np.asarray(hdu.data[column.name])
                values = values.astype(values.dtype.newbyteorder("="))
                self.loaded[name] = values
                columns[name] = ColumnLayout(name, -1, 0, values.dtype,
                                             column.unit)
        return columns

    def _table_layout(self, hdul):
        hdu = hdul[1]
        info = hdul.fileinfo(1)
        row_width = hdu.header["NAXIS1"]
        self.table_offset = info["datLoc"]
        self._nrows = hdu.header["NAXIS2"]
        columns = {}
        offset_in_row = 0
        for column in hdu.columns:
            dtype = np.dtype(column.format.recformat).newbyteorder(">")
            width = dtype.itemsize * _repeat(column.format)
            name = column.name.lower()
            if name in COLUMN_NAMES:
                if _repeat(column.format) != 1:
                    raise UserError(f"{self.filename}: column '{name}' holds "
                                    f"{_repeat(column.format)} values per "
                                    "row, not 1")
                if column.bscale not in (None, 1) or column.bzero not in (
                        None, 0):
                    raise UserError(f"{self.filename}: column '{name}' is "
                                    "scaled (TSCAL/TZERO), which pixel "
                                    "tables never are")
                columns[name] = ColumnLayout(
                    name, info["datLoc"] + offset_in_row, row_width, dtype,
                    column.unit)
            offset_in_row += width
        return columns

    def _image_layout(self, hdul, in_memory=False):
        columns = {}
        lengths = {}
        for index, hdu in enumerate(hdul[1:], start=1):
            name = (hdu.name or "").lower()
            if name not in COLUMN_NAMES or not isinstance(hdu, fits.ImageHDU):
                continue
            header = hdu.header
            shape = tuple(header.get(f"NAXIS{i}", 0)
                          for i in range(1, header.get("NAXIS", 0) + 1))
            if len(shape) not in (1, 2) or (len(shape) == 2 and shape[0] != 1):
                raise UserError(f"{self.filename}: extension '{name}' has "
                                f"shape {shape[::-1]}, not (nrows, 1)")
            if header.get("BSCALE", 1) != 1 or header.get("BZERO", 0) != 0:
                raise UserError(f"{self.filename}: extension '{name}' is "
                                "scaled (BSCALE/BZERO), which pixel tables "
                                "never are")
            dtype = np.dtype(_BITPIX_DTYPES[header["BITPIX"]])
            lengths[name] = shape[-1]
            if in_memory:
                values = np.asarray(hdu.data).reshape(-1)
                values = values.astype(values.dtype.newbyteorder("="))
                self.loaded[name] = values
                columns[name] = ColumnLayout(name, -1, 0, values.dtype,
                                             header.get("BUNIT"))
                continue
            columns[name] = ColumnLayout(
                name, hdul.fileinfo(index)["datLoc"], dtype.itemsize, dtype,
                header.get("BUNIT"))
        if not columns:
            raise self._not_a_pixtable("no extension is named after any of "
                                       "these columns")
        self._lengths = lengths
        self._nrows = lengths.get("xpos", max(lengths.values()))
        return columns

    def _check_columns(self, columns):
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            where = "image extension" if self.ima else "binary-table column"
            raise UserError(f"{self.filename}: missing column "
                            + ", ".join(repr(m) for m in missing)
                            + f" (no {where} of that name)")
        if self.ima:
            for name, length in self._lengths.items():
                if length != self._nrows:
                    raise UserError(f"{self.filename}: column '{name}' has "
                                    f"{length} rows, but 'xpos' has "
                                    f"{self._nrows}")
        for name, layout in columns.items():
            kind = layout.dtype.kind
            wanted = "iu" if name in _INTEGER_COLUMNS else "f"
            if kind not in wanted:
                raise UserError(f"{self.filename}: column '{name}' has type "
                                f"{layout.dtype}, expected "
                                + ("integers" if wanted == "iu" else
                                   "floating-point values"))

    # -- access -----------------------------------------------------------
    def memmap(self, name):
        """Return a read-only memory map of a column (on-disk byte order).

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        `numpy.ndarray`
            A 1-D view of ``nrows`` values; nothing is read until indexed.

        Examples
        --------
        >>> import os, tempfile
        >>> from imphot_astropy.pixtable.datasets import make_synthetic_pixtable
        >>> tmp = tempfile.TemporaryDirectory()
        >>> name = os.path.join(tmp.name, "pt.fits")
        >>> make_synthetic_pixtable(name, nrows=1000, save_as_ima=False)
        >>> column = PixTableFile(name).memmap("lambda")
        >>> column.shape, column.dtype.byteorder
        ((1000,), '>')
        >>> tmp.cleanup()
        """
        if name in self.loaded:
            return self.loaded[name]
        layout = self.columns[name]
        if self.nrows == 0:
            return np.empty(0, dtype=layout.dtype)
        if layout.contiguous:
            return np.memmap(self.filename, dtype=layout.dtype, mode="r",
                             offset=layout.offset, shape=(self.nrows,))
        # Binary table: view the rows as records of `stride` bytes and pick
        # the field at its offset within the row.
        first = self.table_offset
        record = np.dtype({"names": ["value"], "formats": [layout.dtype],
                           "offsets": [layout.offset - first],
                           "itemsize": layout.stride})
        rows = np.memmap(self.filename, dtype=record, mode="r", offset=first,
                         shape=(self.nrows,))
        return rows["value"]

    def reader(self):
        """Return a context manager that reads chunks of rows.

        Examples
        --------
        See `PixTableFile`.
        """
        return _ChunkReader(self)

    def read(self, name, start, stop):
        """Read rows ``start:stop`` of one column, in native byte order.

        Parameters
        ----------
        name : str
            Column name.
        start, stop : int
            Row range.

        Returns
        -------
        `numpy.ndarray`

        Examples
        --------
        See `PixTableFile`.
        """
        with self.reader() as reader:
            return reader.read([name], start, stop)[name]


# The first bytes of the files astropy.io.fits.open decompresses itself.
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"PK\x03\x04")


def _plain_fits_path(source):
    """Return the path of an uncompressed file on disk that ``source``
    names or is open on (from its start), or None if it must be read
    through astropy in memory.

    Raises
    ------
    UserError
        If ``source`` names a file that does not exist, or is neither a
        path nor a file object.
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise UserError(f"{path}: no such file")
    elif hasattr(source, "read"):
        path = getattr(source, "name", None)
        try:
            at_start = source.tell() == 0
        except (OSError, AttributeError, ValueError):
            at_start = False
        if not (isinstance(path, (str, bytes, os.PathLike)) and at_start
                and os.path.isfile(path) and not _is_compressed_object(source)):
            return None
        path = os.fsdecode(path)
    else:
        raise UserError(f"filename: expected a file name, a path or a file "
                        f"object, got {type(source).__name__}")
    with open(path, "rb") as f:
        start = f.read(4)
    if any(start.startswith(magic) for magic in _COMPRESSED_MAGIC):
        return None
    return path


def _is_compressed_object(source):
    """True for gzip/bz2/zip file objects (whose ``name`` is the
    compressed file)."""
    module = type(source).__module__.split(".")[0]
    return module in ("gzip", "bz2", "zipfile", "lzma")


def _display_name(source):
    """A name for messages: the path, or a file object's name, or None."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return os.fsdecode(name) if isinstance(name, (str, bytes)) else None


def _repeat(fmt):
    return int(getattr(fmt, "repeat", 1) or 1)


class _ChunkReader:
    """Positional reads of row ranges of a pixel-table file."""

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


# -- writing -----------------------------------------------------------------

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


def _unit_text(unit):
    if unit is None or unit == u.dimensionless_unscaled:
        return None
    return unit.to_string("fits")


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
        text = _unit_text(unit)
        if text is not None:
            header["BUNIT"] = text
        return header

    def _table_header(self, nrows, units):
        columns = [fits.Column(name=name,
                               format="1J" if name in _INTEGER_COLUMNS
                               else "1E",
                               unit=_unit_text(units.get(name)))
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
