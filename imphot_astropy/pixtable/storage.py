"""The two on-disk formats of MUSE pixel tables: reading.

A pixel table is a FITS file whose primary header carries the pipeline's
keywords and whose columns are stored either as one binary table (first
extension) or as one image extension per column, each of shape (nrows, 1),
named after the column. This module finds where each column lies in the
file, memory-maps it, reads chunks of rows with positional reads (so that a
scan over a 10 GB table keeps a few tens of MB resident; see
`~imphot_astropy.pixtable.chunks`). Writing, in either format, is in
`~imphot_astropy.pixtable.writer`.

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
from astropy.io import fits

from ..exceptions import UserError
from ..io.hdus import check_hdus_readable, check_not_cut_after_primary
from ..io.images import fits_open
from .chunks import ChunkReader
from .columns import (COLUMN_NAMES, REQUIRED_COLUMNS, BITPIX_DTYPES,
                      INTEGER_COLUMNS, SPECIFIC_COLUMNS)

__all__ = ["ColumnLayout", "PixTableFile"]


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
    >>> from imphot_astropy.datasets import make_synthetic_pixtable
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
            with warnings.catch_warnings():
                # A truncated file is reported by _check_readable, as an error.
                warnings.filterwarnings("ignore", "File may have been truncated")
                hdul = fits_open(self.filename, memmap=True, lazy_load_hdus=False)
            with hdul:
                self._check_readable(hdul)
                self.primary_header = hdul[0].header.copy()
                self.hdu_info = hdul.info(output=False)
                self._read_layout(hdul)
        except UserError:
            raise
        except KeyError as err:  # astropy, on a header without BITPIX or NAXIS
            raise UserError(f"{self.filename}: not a readable FITS file: a header "
                            f"is corrupted ({err})") from None
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
            with fits.open(source, memmap=False, lazy_load_hdus=False) as hdul:
                self._check_readable(hdul)
                self.primary_header = hdul[0].header.copy()
                self.hdu_info = hdul.info(output=False)
                self._read_layout(hdul, in_memory=True)
        except UserError:
            raise
        except KeyError as err:  # astropy, on a header without BITPIX or NAXIS
            raise UserError(f"{label}: not a readable FITS file: a header is "
                            f"corrupted ({err})") from None
        except (OSError, ValueError, TypeError) as err:
            raise UserError(f"{label}: not a readable FITS file ({err})") \
                from None

    def _check_readable(self, hdul):
        """Corrupted headers and truncated files, said as such (not as a
        missing column, which is what they would look like next)."""
        check_hdus_readable(hdul, self.filename)
        check_not_cut_after_primary(hdul, self.filename)
        for index, hdu in enumerate(hdul):
            missing = [key for key in ("BITPIX", "NAXIS") if key not in hdu.header]
            if missing:
                raise UserError(f"{self.filename}: the header of HDU {index} is "
                                f"corrupted: it has no {' or '.join(missing)} keyword")

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
        if not names & set(SPECIFIC_COLUMNS):
            raise self._not_a_pixtable(
                f"{where} " + (", ".join(sorted(names)) or "none")
                + ", without any of " + ", ".join(SPECIFIC_COLUMNS))

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
            dtype = np.dtype(BITPIX_DTYPES[header["BITPIX"]])
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
            wanted = "iu" if name in INTEGER_COLUMNS else "f"
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
        >>> from imphot_astropy.datasets import make_synthetic_pixtable
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
        return ChunkReader(self)

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

