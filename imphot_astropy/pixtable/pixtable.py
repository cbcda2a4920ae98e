"""The `PixTable` class: MUSE pixel tables, memory-light, on astropy."""

import contextlib
import os
import sys
import warnings

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import WCS

from ..exceptions import UserError
from ..io import check_output_path
from .criteria import (ExpCriterion, IfuCriterion, LambdaCriterion,
                       PixelSkyCriterion, SkyCriterion, SliceCriterion, XpixCriterion,
                       YpixCriterion, ifu_numbers, parse_integers,
                       parse_ranges, scan, scan_mask, slice_numbers,
                       stack_slices)
from .mask import mask_column
from .origin import (decode_ifu, decode_slice, decode_xoffset, decode_xpix,
                     decode_ypix, encode_origin, xoffsets_from_header)
from .sky import (parse_apertures, parse_pixel_apertures,
                  positioned_to_sky, projected_to_sky)
from .storage import (COLUMN_NAMES, REQUIRED_COLUMNS, PixTableFile,
                      parse_unit, write_pixtable)

__all__ = ["PixTable", "KEYWORD"]

#: Prefix of the pipeline's pixel-table keywords in the primary header.
KEYWORD = "HIERARCH ESO DRS MUSE PIXTABLE"

_NOT_SET = object()
_FLOAT_COLUMNS = ("xpos", "ypos", "lambda", "data", "stat", "weight")
_LIMIT_KEYS = {"xpos": "X", "ypos": "Y", "lambda": "LAMBDA"}


class PixTable:
    """A MUSE pixel table, read lazily from a FITS file or built in memory.

    Both on-disk formats are read: one FITS binary table, or one image
    extension per column (``xpos``, ``ypos``, ``lambda``, ``data``, ``dq``,
    ``stat``, ``origin`` and optionally ``weight``). Opening a file reads its
    headers only; columns are memory-mapped or read in chunks when used, so
    that a full exposure (3e8 rows, 8 GB) can be cut on an ordinary machine.
    Columns changed with the setters are held in memory.

    Parameters
    ----------
    filename : str, `os.PathLike`, file object or None
        The pixel-table file: anything `astropy.io.fits.open` accepts (file
        objects that are not an uncompressed file on disk, and compressed
        files, are read into memory). Give either a file or the columns;
        with neither, the table is empty (``nrows == 0``; `extract` and the
        ``get_`` methods return None), as in MPDAF.
    xpos, ypos, lbda, data, dq, stat, origin, weight : array-like, optional
        The columns of a table built in memory (``weight`` is optional).
    primary_header : `~astropy.io.fits.Header`, optional
        The primary header of a table built in memory.
    save_as_ima : bool
        The format `write` would have used for this table in MPDAF (kept as
        the attribute ``ima``; `write` takes the format as an argument).
    wcs : `~astropy.units.UnitBase`
        Unit of ``xpos`` and ``ypos`` of a table built in memory.
    wave : `~astropy.units.UnitBase`
        Unit of ``lambda`` of a table built in memory.
    unit_data : `~astropy.units.UnitBase`
        Unit of ``data`` of a table built in memory (``stat`` is in its
        square).
    chunk_rows : int, optional
        Rows read at a time when scanning the table (default 2**21: about
        8 MB per column read).

    Attributes
    ----------
    filename : str or None
        The file read (or last written by `extract`).
    primary_header : `~astropy.io.fits.Header`
        The primary header.
    nrows : int
        Number of rows.
    ima : bool
        True if the file stores one image extension per column.
    wcs, wave, unit_data : `~astropy.units.UnitBase`
        Units of the position, wavelength and data columns.

    Raises
    ------
    UserError
        If the file is not a pixel table or lacks a column, or if the
        columns given have different lengths.

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.pixtable import PixTable, make_synthetic_pixtable
    >>> tmp = tempfile.TemporaryDirectory()
    >>> name = os.path.join(tmp.name, "pixtable.fits")
    >>> make_synthetic_pixtable(name, nrows=20000, seed=1)
    >>> pix = PixTable(name)
    >>> pix
    <PixTable(20000 rows, 24 ifus, projected, flux-calibrated)>
    >>> sub = pix.extract(lbda=(6000, 6100), ifu=[5, 6])
    >>> sub.nrows < pix.nrows, set(sub.origin2ifu(sub.get_origin()).tolist())
    (True, {5, 6})
    >>> tmp.cleanup()
    """

    CHUNK_ROWS = 1 << 21

    def __init__(self, filename=None, xpos=None, ypos=None, lbda=None,
                 data=None, dq=None, stat=None, origin=None, weight=None,
                 primary_header=None, save_as_ima=True, wcs=u.pix,
                 wave=u.angstrom, unit_data=u.count, chunk_rows=None):
        self.chunk_rows = int(chunk_rows or self.CHUNK_ROWS)
        if self.chunk_rows < 1:
            raise UserError("chunk_rows: must be >= 1")
        columns = {"xpos": xpos, "ypos": ypos, "lambda": lbda, "data": data,
                   "dq": dq, "stat": stat, "origin": origin,
                   "weight": weight}
        given = [name for name, value in columns.items() if value is not None]
        self._columns = {}
        if filename is not None:
            if given:
                raise UserError("PixTable: give either a filename or the "
                                "columns, not both")
            self._open(filename)
        elif not given:
            self._empty(primary_header, save_as_ima, wcs, wave, unit_data)
        else:
            self._from_columns(columns, primary_header, save_as_ima, wcs,
                               wave, unit_data)

    def _empty(self, primary_header, save_as_ima, wcs, wave, unit_data):
        """An empty table without columns (MPDAF's ``PixTable(None)``)."""
        self._file = None
        self.filename = None
        self.primary_header = (fits.Header() if primary_header is None
                               else fits.Header(primary_header, copy=True))
        self.ima = bool(save_as_ima)
        self.wcs, self.wave = u.Unit(wcs), u.Unit(wave)
        self.unit_data = u.Unit(unit_data)
        self.nrows = 0

    def _open(self, filename):
        self._file = PixTableFile(filename)
        self.filename = self._file.filename
        self.primary_header = self._file.primary_header
        self.nrows = self._file.nrows
        self.ima = self._file.ima
        # ASCII tables are read whole when opened.
        self._columns = dict(self._file.loaded)
        units = {name: parse_unit(layout.unit)
                 for name, layout in self._file.columns.items()}
        # A missing unit becomes dimensionless: conversions that need a real
        # unit then fail with a clear message.
        self.wcs = units["xpos"] or u.dimensionless_unscaled
        self.wave = units["lambda"] or u.dimensionless_unscaled
        self.unit_data = units["data"] or u.dimensionless_unscaled

    def _from_columns(self, columns, primary_header, save_as_ima, wcs, wave,
                      unit_data):
        missing = [name for name in REQUIRED_COLUMNS
                   if columns[name] is None]
        if missing:
            raise UserError("PixTable: missing column "
                            + ", ".join(repr(m) for m in missing))
        self._file = None
        self.filename = None
        self.primary_header = (fits.Header() if primary_header is None
                               else fits.Header(primary_header, copy=True))
        self.ima = bool(save_as_ima)
        self.wcs = u.Unit(wcs)
        self.wave = u.Unit(wave)
        self.unit_data = u.Unit(unit_data)
        arrays = {name: _native_copy(value, name)
                  for name, value in columns.items() if value is not None}
        lengths = {name: len(array) for name, array in arrays.items()}
        self.nrows = lengths["xpos"]
        bad = {n: n_rows for n, n_rows in lengths.items()
               if n_rows != self.nrows}
        if bad:
            raise UserError("PixTable: columns have different lengths: "
                            + ", ".join(f"{n}={m}" for n, m in
                                        lengths.items()))
        self._columns = arrays

    # -- header-derived properties ------------------------------------------
    def __repr__(self):
        flags = [f"{self.nrows} rows", f"{self.nifu} ifus",
                 str(self.projection)]
        if self.skysub:
            flags.append("sky-subtracted")
        if self.fluxcal:
            flags.append("flux-calibrated")
        return f"<PixTable({', '.join(flags)})>"

    def get_keyword(self, key, default=_NOT_SET):
        """Return a pipeline keyword, adding the ``HIERARCH ESO DRS MUSE
        PIXTABLE`` prefix.

        Parameters
        ----------
        key : str
            Keyword without the prefix, for example ``'LIMITS X LOW'``.
        default : object, optional
            Returned when the keyword is absent (if not given, a missing
            keyword raises `KeyError`).

        Examples
        --------
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> pix.set_keyword("FLUXCAL", True)
        >>> pix.get_keyword("FLUXCAL"), pix.get_keyword("SKYSUB", False)
        (True, False)
        """
        try:
            return self.primary_header[f"{KEYWORD} {key}"]
        except KeyError:
            if default is _NOT_SET:
                raise
            return default

    def set_keyword(self, key, val):
        """Set a pipeline keyword, adding the ``HIERARCH ESO DRS MUSE
        PIXTABLE`` prefix.

        Parameters
        ----------
        key : str
            Keyword without the prefix.
        val : str, int, float or bool
            Value.

        Examples
        --------
        See `get_keyword`.
        """
        if isinstance(val, np.generic):
            val = val.item()
        self.primary_header[f"{KEYWORD} {key}"] = val

    @property
    def nifu(self):
        """Number of merged IFUs that went into this table (``MERGED``; 0
        for an empty table, as in MPDAF)."""
        return self.get_keyword("MERGED", 1 if self.nrows else 0)

    @property
    def fluxcal(self):
        """True if this pixel table was flux-calibrated."""
        return bool(self.get_keyword("FLUXCAL", False))

    @property
    def skysub(self):
        """True if this pixel table was sky-subtracted."""
        return bool(self.get_keyword("SKYSUB", False))

    @property
    def projection(self):
        """'projected' or 'positioned' (first word of the ``WCS`` keyword),
        or None if the header does not say."""
        value = self.get_keyword("WCS", None)
        if isinstance(value, str) and value.strip():
            return value.split()[0]
        return None

    @property
    def unit_stat(self):
        """Unit of the ``stat`` column (the square of `unit_data`)."""
        return self.unit_data ** 2

    def _reference_point(self):
        """Return the table's reference point (RA, Dec) in degrees."""
        projection = self.projection
        if projection == "projected":
            keys = ("RA", "DEC")
        elif projection == "positioned":
            keys = ("CRVAL1", "CRVAL2")
        else:
            raise UserError(f"{self._name}: the pixel table's projection is "
                            f"{projection!r}, not 'projected' or "
                            "'positioned': its rows have no sky positions")
        values = []
        for axis, key in enumerate(keys, start=1):
            if key not in self.primary_header:
                raise UserError(f"{self._name}: the primary header has no "
                                f"{key} keyword (the reference point of a "
                                f"{projection} table)")
            unit = u.deg
            if key.startswith("CRVAL"):
                unit = parse_unit(self.primary_header.get(f"CUNIT{axis}",
                                                          "deg")) or u.deg
            values.append((float(self.primary_header[key]) * unit)
                          .to_value(u.deg))
        return tuple(values)

    @property
    def xc(self):
        """Right ascension of the reference point, in degrees."""
        return self._reference_point()[0]

    @property
    def yc(self):
        """Declination of the reference point, in degrees."""
        return self._reference_point()[1]

    @property
    def _name(self):
        return self.filename or "pixel table"

    @property
    def _is_empty(self):
        """True for a table without any column (``PixTable(None)``)."""
        return self._file is None and not self._columns

    # -- whole-table operations -----------------------------------------------
    def info(self, output=None):
        """Print a summary of the table and the list of its HDUs.

        As MPDAF's ``info``: the merged IFUs, the flux-calibration and
        sky-subtraction flags, the projection, then the HDUs of the file
        (`astropy.io.fits.HDUList.info`), or for a table held in memory
        those it would be written as.

        Parameters
        ----------
        output : file-like, optional
            Where to print (default `sys.stdout`).

        Examples
        --------
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> pix.info()
        pixel table in memory: 1 rows
        1 merged IFUs went into this pixel table
        projection: unknown
        columns: xpos [pix], ypos [pix], lambda [Angstrom], data [ct], dq, stat [ct2], origin
        No.  Name     Type        Dimensions  Format
          0  PRIMARY  PrimaryHDU  ()
          1  xpos     ImageHDU    (1, 1)      float32
          2  ypos     ImageHDU    (1, 1)      float32
          3  lambda   ImageHDU    (1, 1)      float32
          4  data     ImageHDU    (1, 1)      float32
          5  dq       ImageHDU    (1, 1)      int32
          6  stat     ImageHDU    (1, 1)      float32
          7  origin   ImageHDU    (1, 1)      int32
        """
        output = sys.stdout if output is None else output
        if self._file is None:
            where = "pixel table in memory"
        else:
            where = ((self.filename or "file object") + " ("
                     + ("image extensions" if self.ima else "binary table")
                     + ")")
        lines = [f"{where}: {self.nrows} rows",
                 f"{self.nifu} merged IFUs went into this pixel table"]
        if self.skysub:
            lines.append("This pixel table was sky-subtracted")
        if self.fluxcal:
            lines.append("This pixel table was flux-calibrated")
        wcs = self.get_keyword("WCS", None)
        lines.append(f"projection: {wcs if wcs else 'unknown'}")
        units = self._units()
        lines.append("columns: " + (", ".join(
            name + (f" [{units[name]}]" if units.get(name) not in
                    (None, u.dimensionless_unscaled) else "")
            for name in self._column_names()) or "none"))
        lines.extend(_format_hdus(self._hdu_rows()))
        print("\n".join(lines), file=output)

    def _hdu_rows(self):
        """(number, name, type, dimensions, format) of the file's HDUs, or
        of those the table would be written as."""
        if self._file is not None:
            return [(row[0], row[1], row[3], row[5], row[6])
                    for row in self._file.hdu_info]
        rows = [(0, "PRIMARY", "PrimaryHDU", (), "")]
        names = self._column_names()
        if not names:
            return rows
        if not self.ima:
            return rows + [(1, "", "BinTableHDU", f"{self.nrows}R x "
                            f"{len(names)}C", "")]
        for number, name in enumerate(names, start=1):
            kind = "int32" if name in ("dq", "origin") else "float32"
            rows.append((number, name, "ImageHDU", (1, self.nrows), kind))
        return rows

    def copy(self):
        """Return a copy: same file, copied header and in-memory columns.

        Examples
        --------
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> other = pix.copy()
        >>> other.set_data([2.0])
        >>> float(pix.get_data()[0]), float(other.get_data()[0])
        (1.0, 2.0)
        """
        new = object.__new__(PixTable)
        new.__dict__.update(self.__dict__)
        new.primary_header = self.primary_header.copy()
        new._columns = {name: array.copy()
                        for name, array in self._columns.items()}
        return new

    def write(self, filename, save_as_ima=True):
        """Write the table to a FITS file, atomically.

        The file is written in chunks under a temporary name and renamed
        when complete; an input file is never overwritten.

        Parameters
        ----------
        filename : str or `os.PathLike`
            Output file.
        save_as_ima : bool
            True (default) for one image extension per column, which is
            faster to read; False for one binary table.

        Examples
        --------
        >>> import os, tempfile
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> tmp = tempfile.TemporaryDirectory()
        >>> name = os.path.join(tmp.name, "out.fits")
        >>> pix.write(name, save_as_ima=False)
        >>> PixTable(name).get_lambda().tolist()
        [5000.0]
        >>> tmp.cleanup()
        """
        if self._is_empty:
            raise UserError("PixTable.write: the table is empty (no "
                            "columns): nothing to write")
        # Never replace the file this table was read from, nor the file of
        # a table it was extracted from (issue 13).
        inputs = [] if self._file is None else [self._file.filename]
        inputs += getattr(self, "_derived_from", [])
        names = self._column_names()
        with self._chunk_reader() as read:
            chunks = ((start, min(self.nrows, start + self.chunk_rows),
                       read(names, start,
                            min(self.nrows, start + self.chunk_rows)))
                      for start in range(0, self.nrows, self.chunk_rows))
            write_pixtable(filename, self.primary_header, self.nrows,
                           self._units(), chunks, names,
                           save_as_ima=save_as_ima, inputs=inputs)

    # -- column access ----------------------------------------------------------
    def _column_names(self):
        present = set(self._columns)
        if self._file is not None:
            present |= set(self._file.columns)
        return [name for name in COLUMN_NAMES if name in present]

    def _units(self):
        return {"xpos": self.wcs, "ypos": self.wcs, "lambda": self.wave,
                "data": self.unit_data, "stat": self.unit_stat}

    @contextlib.contextmanager
    def _chunk_reader(self, native=True):
        """Yield ``read(names, start, stop)`` returning column chunks (in
        the file's byte order if not ``native``; columns held in memory are
        returned as views, so callers must not modify them)."""
        if self._file is None:
            yield lambda names, start, stop: {
                name: self._columns[name][start:stop] for name in names}
            return
        with self._file.reader() as reader:
            def read(names, start, stop):
                out = {name: self._columns[name][start:stop]
                       for name in names if name in self._columns}
                rest = [name for name in names if name not in out]
                if rest:
                    out.update(reader.read(rest, start, stop, native=native))
                return out
            yield read

    def _take(self, names, rows):
        """Return the given sorted rows of several columns."""
        out = {name: self._columns[name][rows] for name in names
               if name in self._columns}
        rest = [name for name in names if name not in out]
        if rest:
            with self._file.reader() as reader:
                out.update(reader.take(rest, rows))
        return out

    def get_column(self, name, ksel=None):
        """Return a column, or some of its rows, in native byte order.

        Parameters
        ----------
        name : str
            Column name (``'xpos'``, ``'ypos'``, ``'lambda'``, ``'data'``,
            ``'dq'``, ``'stat'``, ``'origin'`` or ``'weight'``).
        ksel : index, optional
            Rows to return: a boolean mask, indices, a slice, or the output
            of `numpy.where`. All rows if None.

        Returns
        -------
        `numpy.ndarray` or None
            None for a ``weight`` column the table does not have. Values are
            in the stored type (float32 in pipeline files).

        Examples
        --------
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> pix.get_column("lambda").tolist(), pix.get_column("weight")
        ([5000.0], None)
        """
        if name == "lbda":
            name = "lambda"
        if name not in COLUMN_NAMES:
            raise UserError(f"name: unknown column {name!r}; expected one of "
                            + ", ".join(COLUMN_NAMES))
        if isinstance(ksel, tuple):
            ksel = ksel[0]
        if name in self._columns:
            column = self._columns[name]
            return column if ksel is None else _index(column, ksel, name)
        if self._file is None or name not in self._file.columns:
            if name == "weight" or self._is_empty:
                return None
            raise UserError(f"{self._name}: missing column {name!r}")
        if ksel is None:
            return self._file.read(name, 0, self.nrows)
        values = _index(self._file.memmap(name), ksel, name)
        return np.asarray(values).astype(values.dtype.newbyteorder("="))

    def set_column(self, name, data, ksel=None):
        """Set a column, or some of its rows; the table keeps it in memory.

        Parameters
        ----------
        name : str
            Column name.
        data : array-like
            The values (``nrows`` of them if ``ksel`` is None); with
            ``ksel``, one value per selected row, or a scalar set in all of
            them.
        ksel : index, optional
            Rows to set (a boolean mask, indices, a slice, or the output of
            `numpy.where`).

        Examples
        --------
        >>> pix = PixTable(xpos=[0., 1.], ypos=[0., 0.], lbda=[5000., 6000.],
        ...                data=[1., 1.], dq=[0, 0], stat=[1., 1.],
        ...                origin=[0, 0])
        >>> pix.set_column("data", [5.0], ksel=[1])
        >>> pix.get_data().tolist()
        [1.0, 5.0]
        """
        if name == "lbda":
            name = "lambda"
        if name not in COLUMN_NAMES:
            raise UserError(f"name: unknown column {name!r}")
        if isinstance(ksel, tuple):
            ksel = ksel[0]
        # A scalar is broadcast over the selected rows, as in MPDAF.
        scalar = ksel is not None and np.ndim(data) == 0
        values = _native_copy(np.atleast_1d(data) if scalar else data, name)
        if scalar:
            values = values[0]
        if ksel is None:
            if values.shape != (self.nrows,):
                raise UserError(f"{name}: expected {self.nrows} values, got "
                                f"{values.shape[0]}")
            self._columns[name] = values
            return
        if name not in self._columns:
            # A fresh array read from the file, which becomes the table's.
            current = self.get_column(name)
            if current is None:
                raise UserError(f"{name}: the table has no such column to "
                                "update; set all its rows first")
            self._columns[name] = current
        try:
            self._columns[name][ksel] = values
        except (IndexError, ValueError) as err:
            raise UserError(f"ksel: cannot set rows of {name}: {err}") \
                from None

    def _get_converted(self, name, ksel, unit, column_unit):
        values = self.get_column(name, ksel=ksel)
        if unit is None or values is None:
            return values
        return _convert(values, column_unit, unit, name)

    def _set_converted(self, name, values, ksel, unit, column_unit):
        if unit is not None:
            values = _convert(np.asarray(values, dtype=float), u.Unit(unit),
                              column_unit, name)
        self.set_column(name, values, ksel=ksel)
        self._update_limits(name)

    def _update_limits(self, name):
        values = self._columns[name]
        if values.size == 0:
            return
        if name in _LIMIT_KEYS:
            key = _LIMIT_KEYS[name]
            self.set_keyword(f"LIMITS {key} LOW", float(values.min()))
            self.set_keyword(f"LIMITS {key} HIGH", float(values.max()))
        elif name == "origin":
            ifu = decode_ifu(values)
            sli = decode_slice(values)
            self.set_keyword("LIMITS IFU LOW", int(ifu.min()))
            self.set_keyword("LIMITS IFU HIGH", int(ifu.max()))
            self.set_keyword("LIMITS SLICE LOW", int(sli.min()))
            self.set_keyword("LIMITS SLICE HIGH", int(sli.max()))
            if self.get_keyword("MERGED", None) is not None:
                self.set_keyword("MERGED", int(np.unique(ifu).size))
        elif name == "weight":
            self.set_keyword("WEIGHTED", True)

    def get_xpos(self, ksel=None, unit=None):
        """Return the xpos column (or rows ``ksel`` of it).

        Parameters
        ----------
        ksel : index, optional
            Rows to return (see `get_column`).
        unit : `~astropy.units.UnitBase`, optional
            Unit of the returned values (float64); the column's unit,
            ``self.wcs``, if None.

        Returns
        -------
        `numpy.ndarray`

        Examples
        --------
        >>> import astropy.units as u
        >>> pix = PixTable(xpos=[1.], ypos=[0.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0], wcs=u.deg)
        >>> pix.get_xpos(unit=u.arcsec).tolist()
        [3600.0]
        """
        return self._get_converted("xpos", ksel, unit, self.wcs)

    def set_xpos(self, xpos, ksel=None, unit=None):
        """Set the xpos column (or rows ``ksel``), updating ``LIMITS X``.

        Parameters
        ----------
        xpos : array-like
            Values.
        ksel : index, optional
            Rows to set.
        unit : `~astropy.units.UnitBase`, optional
            Unit of ``xpos`` (converted to ``self.wcs``).

        Examples
        --------
        >>> import astropy.units as u
        >>> pix = PixTable(xpos=[1.], ypos=[0.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0], wcs=u.deg)
        >>> pix.set_xpos([7200.], unit=u.arcsec)
        >>> pix.get_keyword("LIMITS X HIGH")
        2.0
        """
        self._set_converted("xpos", xpos, ksel, unit, self.wcs)

    def get_ypos(self, ksel=None, unit=None):
        """Return the ypos column; see `get_xpos`.

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> pix.get_ypos().tolist()
        [2.0]
        """
        return self._get_converted("ypos", ksel, unit, self.wcs)

    def set_ypos(self, ypos, ksel=None, unit=None):
        """Set the ypos column, updating ``LIMITS Y``; see `set_xpos`.

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> pix.set_ypos([3.])
        >>> pix.get_keyword("LIMITS Y LOW")
        3.0
        """
        self._set_converted("ypos", ypos, ksel, unit, self.wcs)

    def get_lambda(self, ksel=None, unit=None):
        """Return the lambda column; see `get_xpos` (unit ``self.wave``).

        Examples
        --------
        >>> import astropy.units as u
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> pix.get_lambda(unit=u.nm).tolist()
        [500.0]
        """
        return self._get_converted("lambda", ksel, unit, self.wave)

    def set_lambda(self, lbda, ksel=None, unit=None):
        """Set the lambda column, updating ``LIMITS LAMBDA``.

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[1.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> pix.set_lambda([6000.])
        >>> pix.get_keyword("LIMITS LAMBDA HIGH")
        6000.0
        """
        self._set_converted("lambda", lbda, ksel, unit, self.wave)

    def get_data(self, ksel=None, unit=None):
        """Return the data column; see `get_xpos` (unit ``self.unit_data``).

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> pix.get_data().tolist()
        [3.0]
        """
        return self._get_converted("data", ksel, unit, self.unit_data)

    def set_data(self, data, ksel=None, unit=None):
        """Set the data column (or rows ``ksel``).

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[0], stat=[1.], origin=[0])
        >>> pix.set_data([4.])
        >>> pix.get_data().tolist()
        [4.0]
        """
        self._set_converted("data", data, ksel, unit, self.unit_data)

    def get_stat(self, ksel=None, unit=None):
        """Return the stat (variance) column; unit ``self.unit_data**2``.

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[0], stat=[9.], origin=[0])
        >>> pix.get_stat().tolist()
        [9.0]
        """
        return self._get_converted("stat", ksel, unit, self.unit_stat)

    def set_stat(self, stat, ksel=None, unit=None):
        """Set the stat column (or rows ``ksel``).

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[0], stat=[9.], origin=[0])
        >>> pix.set_stat([4.])
        >>> pix.get_stat().tolist()
        [4.0]
        """
        self._set_converted("stat", stat, ksel, unit, self.unit_stat)

    def get_dq(self, ksel=None):
        """Return the dq (bad-pixel flags) column.

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[8], stat=[9.], origin=[0])
        >>> pix.get_dq().tolist()
        [8]
        """
        return self.get_column("dq", ksel=ksel)

    def set_dq(self, dq, ksel=None):
        """Set the dq column (or rows ``ksel``).

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[8], stat=[9.], origin=[0])
        >>> pix.set_dq([0])
        >>> pix.get_dq().tolist()
        [0]
        """
        self.set_column("dq", dq, ksel=ksel)

    def get_origin(self, ksel=None):
        """Return the origin column (see `origin2coords` to decode it).

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[0], stat=[9.], origin=[(3 << 6) | 7])
        >>> pix.origin2ifu(pix.get_origin()).tolist()
        [3]
        """
        return self.get_column("origin", ksel=ksel)

    def set_origin(self, origin, ksel=None):
        """Set the origin column, updating ``LIMITS IFU/SLICE`` (and
        ``MERGED`` if present).

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[0], stat=[9.], origin=[(3 << 6) | 7])
        >>> pix.set_origin([(4 << 6) | 9])
        >>> pix.get_keyword("LIMITS IFU LOW"), pix.get_keyword("LIMITS SLICE HIGH")
        (4, 9)
        """
        self.set_column("origin", origin, ksel=ksel)
        self._update_limits("origin")

    def get_weight(self, ksel=None):
        """Return the weight column, or None if the table has none.

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[0], stat=[9.], origin=[0], weight=[0.5])
        >>> pix.get_weight().tolist()
        [0.5]
        """
        return self.get_column("weight", ksel=ksel)

    def set_weight(self, weight, ksel=None):
        """Set the weight column (and the ``WEIGHTED`` keyword).

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[0], stat=[9.], origin=[0])
        >>> pix.set_weight([2.0])
        >>> pix.get_keyword("WEIGHTED")
        True
        """
        self.set_column("weight", weight, ksel=ksel)
        self._update_limits("weight")

    def get_row(self, idx):
        """Return one row (or several) as a dict of column values.

        Parameters
        ----------
        idx : int or array-like of int
            Row indices.

        Returns
        -------
        dict
            Keys ``'xpos'``, ``'ypos'``, ``'lbda'``, ``'data'``, ``'stat'``,
            ``'dq'``, ``'origin'``, and ``'weight'`` if the table has one.

        Examples
        --------
        >>> pix = PixTable(xpos=[1.], ypos=[2.], lbda=[5000.], data=[3.],
        ...                dq=[0], stat=[9.], origin=[0])
        >>> float(pix.get_row(0)["lbda"])
        5000.0
        """
        row = {"xpos": self.get_xpos(idx), "ypos": self.get_ypos(idx),
               "lbda": self.get_lambda(idx), "data": self.get_data(idx),
               "stat": self.get_stat(idx), "dq": self.get_dq(idx),
               "origin": self.get_origin(idx)}
        weight = self.get_weight(idx)
        if weight is not None:
            row["weight"] = weight
        return row

    # -- exposures --------------------------------------------------------------
    def _exposure_ranges(self):
        """Return {exposure number: (first row, last row)} from the header,
        or None if the table has no ``COMBINED`` keyword."""
        nexp = self.get_keyword("COMBINED", None)
        if nexp is None:
            return None
        ranges = {}
        for number in range(1, int(nexp) + 1):
            try:
                first = int(self.get_keyword(f"EXP{number} FIRST"))
                last = int(self.get_keyword(f"EXP{number} LAST"))
            except KeyError:
                raise UserError(f"{self._name}: COMBINED = {nexp} but the "
                                f"keywords EXP{number} FIRST/LAST are "
                                "missing") from None
            if not 0 <= first <= last < self.nrows:
                raise UserError(f"{self._name}: EXP{number} FIRST/LAST = "
                                f"{first}/{last} are outside the table's "
                                f"{self.nrows} rows")
            ranges[number] = (first, last)
        return ranges

    def get_exp(self):
        """Return the exposure number of each row, from the ``EXPn
        FIRST/LAST`` keywords, or None if the table has none.

        Rows outside every exposure's range get 0.

        Examples
        --------
        >>> pix = PixTable(xpos=[0.] * 3, ypos=[0.] * 3, lbda=[5e3] * 3,
        ...                data=[0.] * 3, dq=[0] * 3, stat=[0.] * 3,
        ...                origin=[0] * 3)
        >>> for key, value in [("COMBINED", 2), ("EXP1 FIRST", 0),
        ...                    ("EXP1 LAST", 0), ("EXP2 FIRST", 1),
        ...                    ("EXP2 LAST", 2)]:
        ...     pix.set_keyword(key, value)
        >>> pix.get_exp().tolist()
        [1, 2, 2]
        """
        ranges = self._exposure_ranges()
        if ranges is None:
            return None
        exp = np.zeros(self.nrows, dtype=np.int32)
        for number, (first, last) in ranges.items():
            exp[first:last + 1] = number
        return exp

    # -- selections -------------------------------------------------------------
    def _mask(self, criteria, origin=None):
        """Full-length boolean mask of the rows the criteria keep."""
        if origin is not None:
            origin = np.asarray(origin)
            if origin.shape != (self.nrows,):
                raise UserError(f"origin: expected {self.nrows} values, got "
                                f"shape {origin.shape}")
            mask = np.ones(self.nrows, dtype=bool)
            for criterion in criteria:
                mask &= criterion.keep({"origin": origin}, None)
            return mask
        with self._chunk_reader(native=False) as read:
            return scan_mask(self.nrows, criteria, "and", read,
                             self.chunk_rows)

    def _lambda_criterion(self, lbda, unit):
        ranges = parse_ranges(lbda, "lbda", u.Unit(unit), self.wave)
        return LambdaCriterion(ranges)

    @property
    def _in_pixels(self):
        """True if xpos/ypos are in pixels (tables before astrometry)."""
        return self.wcs == u.pix

    def _sky_criterion(self, sky):
        if self._in_pixels:
            return PixelSkyCriterion(parse_pixel_apertures(sky))
        apertures = parse_apertures(sky)
        to_deg = self._position_to_deg("sky")
        ra0, dec0 = self._reference_point()
        return SkyCriterion(apertures, self.projection, to_deg, ra0, dec0)

    def _exp_criterion(self, exp):
        numbers = parse_integers(exp, "exp", 1, np.iinfo(np.int32).max)
        ranges = self._exposure_ranges()
        if ranges is None:
            raise UserError(f"exp: {self._name} has no exposure keywords "
                            f"({KEYWORD} COMBINED, EXPn FIRST/LAST)")
        return ExpCriterion([ranges[n] for n in numbers.tolist()
                             if n in ranges])

    def _position_to_deg(self, argname):
        try:
            return self.wcs.to(u.deg)
        except u.UnitsError:
            raise UserError(f"{argname}: {self._name} has positions in "
                            f"'{self.wcs}', not an angle: its rows have no "
                            "sky coordinates") from None

    def select_lambda(self, lbda, unit=u.angstrom):
        """Return a mask of the rows in wavelength range(s) [min, max).

        Parameters
        ----------
        lbda : (float, float) or list of (float, float)
            Wavelength range(s); a row is kept if it lies in any of them.
        unit : `~astropy.units.UnitBase`
            Unit of plain-number bounds (bounds may also be Quantities).

        Returns
        -------
        `numpy.ndarray` of bool

        Raises
        ------
        UserError
            If a range has min > max.

        Examples
        --------
        >>> pix = PixTable(xpos=[0.] * 3, ypos=[0.] * 3,
        ...                lbda=[5000., 6000., 7000.], data=[0.] * 3,
        ...                dq=[0] * 3, stat=[0.] * 3, origin=[0] * 3)
        >>> pix.select_lambda((5000, 6000)).tolist()
        [True, False, False]
        """
        return self._mask([self._lambda_criterion(lbda, unit)])

    def select_stacks(self, stacks, origin=None):
        """Return a mask of the rows from the given slicer stacks.

        Stacks are numbered 1-4 as in MPDAF: stack ``k`` is the 12 slices
        ``12 (k - 1) + 1`` to ``12 k`` in the sky scheme of `Slicer` (which
        are also the CCD slices of those numbers), that is optical stack
        ``5 - k``.

        Parameters
        ----------
        stacks : int or list of int
            Stack numbers (1-4).
        origin : array-like, optional
            The origin column, if already read.

        Returns
        -------
        `numpy.ndarray` of bool

        Notes
        -----
        MPDAF 3.6 leaves out the last two sky slices of each stack (its
        range stops at ``12 k - 2``); its current source, like this method,
        selects all 12.

        Examples
        --------
        >>> pix = PixTable(xpos=[0.] * 2, ypos=[0.] * 2, lbda=[5e3] * 2,
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[(1 << 6) | 1, (1 << 6) | 48])
        >>> pix.select_stacks(1).tolist()
        [True, False]
        """
        return self.select_slices(stack_slices(stacks), origin=origin)

    def select_slices(self, slices, origin=None):
        """Return a mask of the rows from the given slices (CCD numbers).

        Parameters
        ----------
        slices : int or list of int
            Slice numbers in the CCD scheme (1-48).
        origin : array-like, optional
            The origin column, if already read.

        Returns
        -------
        `numpy.ndarray` of bool

        Examples
        --------
        >>> pix = PixTable(xpos=[0.] * 2, ypos=[0.] * 2, lbda=[5e3] * 2,
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[(1 << 6) | 1, (1 << 6) | 48])
        >>> pix.select_slices([48]).tolist()
        [False, True]
        """
        return self._mask([SliceCriterion(slice_numbers(slices))],
                          origin=origin)

    def select_ifus(self, ifus, origin=None):
        """Return a mask of the rows from the given IFUs.

        Parameters
        ----------
        ifus : int or list of int
            IFU numbers (1-24).
        origin : array-like, optional
            The origin column, if already read.

        Returns
        -------
        `numpy.ndarray` of bool

        Examples
        --------
        >>> pix = PixTable(xpos=[0.] * 2, ypos=[0.] * 2, lbda=[5e3] * 2,
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[(1 << 6) | 1, (2 << 6) | 1])
        >>> pix.select_ifus(2).tolist()
        [False, True]
        """
        return self._mask([IfuCriterion(ifu_numbers(ifus))], origin=origin)

    def select_exp(self, exp, col_exp=None):
        """Return a mask of the rows from the given exposures.

        Parameters
        ----------
        exp : int or list of int
            Exposure numbers (1 for the first, as in the ``EXPn`` keywords).
        col_exp : array-like, optional
            Exposure number of each row (as returned by `get_exp`); by
            default taken from the header keywords.

        Returns
        -------
        `numpy.ndarray` of bool

        Examples
        --------
        >>> pix = PixTable(xpos=[0.] * 3, ypos=[0.] * 3, lbda=[5e3] * 3,
        ...                data=[0.] * 3, dq=[0] * 3, stat=[0.] * 3,
        ...                origin=[0] * 3)
        >>> pix.select_exp([2], col_exp=[1, 2, 2]).tolist()
        [False, True, True]
        """
        if col_exp is not None:
            numbers = parse_integers(exp, "exp", 1, np.iinfo(np.int32).max)
            col_exp = np.asarray(col_exp)
            if col_exp.shape != (self.nrows,):
                raise UserError(f"col_exp: expected {self.nrows} values, got "
                                f"shape {col_exp.shape}")
            return np.isin(col_exp, numbers)
        return self._mask([self._exp_criterion(exp)])

    def select_xpix(self, xpix, origin=None):
        """Return a mask of the rows from CCD columns in range(s) [min, max).

        Parameters
        ----------
        xpix : (int, int) or list of (int, int)
            Zero-based CCD column range(s).
        origin : array-like, optional
            The origin column, if already read.

        Returns
        -------
        `numpy.ndarray` of bool

        Examples
        --------
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix = PixTable(xpos=[0.] * 2, ypos=[0.] * 2, lbda=[5e3] * 2,
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[(2 << 24) | (1 << 6) | 1,
        ...                        (9 << 24) | (1 << 6) | 1])
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(1, 1)] = 100
        >>> pix.origin2xpix(pix.get_origin()).tolist()
        [101, 108]
        >>> pix.select_xpix((100, 105)).tolist()
        [True, False]
        """
        ranges = parse_ranges(xpix, "xpix")
        return self._mask([XpixCriterion(ranges, self._xoffsets())],
                          origin=origin)

    def select_ypix(self, ypix, origin=None):
        """Return a mask of the rows from CCD rows in range(s) [min, max).

        Parameters
        ----------
        ypix : (int, int) or list of (int, int)
            Zero-based CCD row range(s).
        origin : array-like, optional
            The origin column, if already read.

        Returns
        -------
        `numpy.ndarray` of bool

        Examples
        --------
        >>> pix = PixTable(xpos=[0.] * 2, ypos=[0.] * 2, lbda=[5e3] * 2,
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[(1 << 11) | (1 << 6) | 1,
        ...                        (50 << 11) | (1 << 6) | 1])
        >>> pix.select_ypix((0, 10)).tolist()
        [True, False]
        """
        ranges = parse_ranges(ypix, "ypix")
        return self._mask([YpixCriterion(ranges)], origin=origin)

    def select_sky(self, sky):
        """Return a mask of the rows inside aperture(s) on the sky.

        Parameters
        ----------
        sky : (y, x, size, shape) or list of them
            Centre declination ``y`` and right ascension ``x`` in degrees,
            ``size`` in arcsec (radius of a circle, half side of a square;
            angle Quantities are accepted for all three), and ``shape``:
            'C' for a circle (great-circle distance < size) or 'S' for a
            square (in the tangent plane at the centre, sides along RA and
            Dec). A row is kept if it lies in any of the apertures. For a
            table in pixels, ``y``, ``x`` and ``size`` are pixels (ypos,
            xpos and a distance), as in MPDAF.

        Returns
        -------
        `numpy.ndarray` of bool

        Raises
        ------
        UserError
            For an unknown shape, or a table without sky positions.

        Examples
        --------
        >>> import astropy.units as u
        >>> pix = PixTable(xpos=[0., 3 / 3600], ypos=[0., 0.], lbda=[5e3] * 2,
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[0] * 2, wcs=u.deg)
        >>> pix.set_keyword("WCS", "positioned (final)")
        >>> pix.primary_header["CRVAL1"] = 150.0
        >>> pix.primary_header["CRVAL2"] = 0.0
        >>> pix.select_sky((0.0, 150.0, 2.0, "C")).tolist()
        [True, False]
        """
        return self._mask([self._sky_criterion(sky)])

    def extract_from_mask(self, mask):
        """Return a new table of the rows selected by a mask.

        Parameters
        ----------
        mask : array-like of bool
            ``nrows`` booleans, True for rows to keep.

        Returns
        -------
        `PixTable` or None
            None (with a warning) if no row is selected.

        Examples
        --------
        >>> pix = PixTable(xpos=[0.] * 3, ypos=[0.] * 3,
        ...                lbda=[5000., 6000., 7000.], data=[0.] * 3,
        ...                dq=[0] * 3, stat=[0.] * 3, origin=[0] * 3)
        >>> pix.extract_from_mask([False, True, True]).get_lambda().tolist()
        [6000.0, 7000.0]
        """
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (self.nrows,):
            raise UserError(f"mask: expected {self.nrows} booleans, got "
                            f"{mask.dtype} of shape {mask.shape}")
        return self._subtable(np.flatnonzero(mask), {})

    def extract(self, filename=None, sky=None, lbda=None, ifu=None, sl=None,
                xpix=None, ypix=None, exp=None, stack=None, method="and"):
        """Return a new table of the rows that meet the given criteria.

        Each criterion may be one value or a list; a row meets a criterion
        if it meets any of its values. The criteria are then combined with
        ``method``. The table is scanned in chunks, so memory stays low
        whatever its size.

        Parameters
        ----------
        filename : str or `os.PathLike`, optional
            If given, the result is also written there (image format).
        sky : (y, x, size, shape) or list of them
            Aperture(s) on the sky; see `select_sky`.
        lbda : (float, float) or list of them
            Wavelength range(s) [min, max) in Angstrom (or Quantities).
        ifu : int or list of int
            IFU numbers (1-24).
        sl : int or list of int
            Slice numbers in the CCD scheme (1-48).
        xpix, ypix : (int, int) or list of them
            Zero-based CCD column and row ranges [min, max).
        exp : int or list of int
            Exposure numbers (``EXPn`` keywords).
        stack : int or list of int
            Stack numbers (1-4) as in MPDAF; see `select_stacks`.
        method : {'and', 'or'}
            Keep rows that meet all the criteria given ('and') or any
            of them ('or'). With no criterion, 'and' keeps every row and
            'or' none.

        Returns
        -------
        `PixTable` or None
            A table held in memory, or None (with a warning) if no row is
            selected; None (without warning) for an empty table.

        Examples
        --------
        >>> pix = PixTable(xpos=[0.] * 3, ypos=[0.] * 3,
        ...                lbda=[5000., 6000., 7000.], data=[0.] * 3,
        ...                dq=[0] * 3, stat=[0.] * 3,
        ...                origin=[(1 << 6) | 1, (2 << 6) | 1, (3 << 6) | 1])
        >>> pix.extract(lbda=(5500, 8000), ifu=3).nrows
        1
        >>> pix.extract(lbda=(5500, 6500), ifu=3, method="or").nrows
        2
        """
        if method not in ("and", "or"):
            raise UserError(f"method: expected 'and' or 'or', got {method!r}")
        if self.nrows == 0:
            return None             # as MPDAF, for an empty table
        criteria = []
        if sky is not None:
            criteria.append(self._sky_criterion(sky))
        if lbda is not None:
            criteria.append(self._lambda_criterion(lbda, u.angstrom))
        if sl is not None:
            criteria.append(SliceCriterion(slice_numbers(sl)))
        if stack is not None:
            criteria.append(SliceCriterion(stack_slices(stack)))
        if ifu is not None:
            criteria.append(IfuCriterion(ifu_numbers(ifu)))
        if xpix is not None:
            criteria.append(XpixCriterion(parse_ranges(xpix, "xpix"),
                                          self._xoffsets()))
        if ypix is not None:
            criteria.append(YpixCriterion(parse_ranges(ypix, "ypix")))
        if exp is not None:
            criteria.append(self._exp_criterion(exp))
        if filename is not None:
            check_output_path(filename, [self.filename], "filename")
        if not criteria and method == "or":
            rows, known = np.empty(0, dtype=np.int64), {}
        else:
            with self._chunk_reader(native=False) as read:
                rows, known = scan(self.nrows, criteria, method, read,
                                   self.chunk_rows)
        return self._subtable(rows, known, filename)

    def _subtable(self, rows, known, filename=None):
        """Build the table of the given rows; ``known`` holds the columns
        already read for them."""
        if rows.size == 0:
            warnings.warn(f"{self._name}: no row selected", AstropyUserWarning)
            return None
        names = self._column_names()
        columns = dict(known)
        columns.update(self._take([n for n in names if n not in known], rows))
        header = self.primary_header.copy()
        sub = PixTable(
            xpos=columns["xpos"], ypos=columns["ypos"],
            lbda=columns["lambda"], data=columns["data"], dq=columns["dq"],
            stat=columns["stat"], origin=columns["origin"],
            weight=columns.get("weight"), primary_header=header,
            save_as_ima=self.ima, wcs=self.wcs, wave=self.wave,
            unit_data=self.unit_data, chunk_rows=self.chunk_rows)
        for name in ("xpos", "ypos", "lambda", "origin"):
            sub._update_limits(name)
        self._renumber_exposures(sub, rows)
        sub._derived_from = [name for name in [self.filename, *getattr(
            self, "_derived_from", [])] if name is not None]
        if filename is not None:
            sub.write(filename)
            sub.filename = os.fspath(filename)
        return sub

    def _renumber_exposures(self, sub, rows):
        """Rewrite the ``EXPn FIRST/LAST`` keywords of a subtable: the
        exposures left are numbered 1, 2, ... in row order."""
        ranges = self._exposure_ranges()
        if ranges is None:
            return
        for number in ranges:
            for end in ("FIRST", "LAST"):
                sub.primary_header.remove(f"{KEYWORD} EXP{number} {end}",
                                          ignore_missing=True)
        new_number = 0
        for first, last in sorted(ranges.values()):
            start = np.searchsorted(rows, first, side="left")
            stop = np.searchsorted(rows, last, side="right")
            if stop > start:
                new_number += 1
                sub.set_keyword(f"EXP{new_number} FIRST", int(start))
                sub.set_keyword(f"EXP{new_number} LAST", int(stop - 1))
        sub.set_keyword("COMBINED", new_number)

    # -- origin decoding ---------------------------------------------------------
    def _xoffsets(self):
        return xoffsets_from_header(self.primary_header)

    def origin2ifu(self, origin):
        """Return the IFU numbers of origin values.

        Examples
        --------
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.origin2ifu((7 << 6) | 3)
        7
        """
        return decode_ifu(origin)

    def origin2slice(self, origin):
        """Return the slice numbers (CCD scheme) of origin values.

        Examples
        --------
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.origin2slice((7 << 6) | 3)
        3
        """
        return decode_slice(origin)

    def origin2ypix(self, origin):
        """Return the zero-based CCD rows of origin values.

        Examples
        --------
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.origin2ypix(11 << 11)
        10
        """
        return decode_ypix(origin)

    def origin2xoffset(self, origin, ifu=None, sli=None):
        """Return the x offsets of the slices of origin values.

        Examples
        --------
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(7, 3)] = 40
        >>> pix.origin2xoffset((7 << 6) | 3)
        40
        """
        return decode_xoffset(origin, self._xoffsets(), ifu=ifu, sli=sli)

    def origin2xpix(self, origin, ifu=None, sli=None):
        """Return the zero-based CCD columns of origin values.

        Examples
        --------
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(7, 3)] = 40
        >>> pix.origin2xpix((5 << 24) | (7 << 6) | 3)
        44
        """
        return decode_xpix(origin, self._xoffsets(), ifu=ifu, sli=sli)

    def origin2coords(self, origin):
        """Return (ifu, slice, ypix, xpix) of origin values.

        Examples
        --------
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(7, 3)] = 40
        >>> pix.origin2coords((5 << 24) | (21 << 11) | (7 << 6) | 3)
        (7, 3, 20, 44)
        """
        ifu, sli = decode_ifu(origin), decode_slice(origin)
        return (ifu, sli, decode_ypix(origin),
                decode_xpix(origin, self._xoffsets(), ifu=ifu, sli=sli))

    def coords2origin(self, ifu, sli, ypix, xpix):
        """Encode (ifu, slice, ypix, xpix) into origin values, using this
        table's slice x offsets (the inverse of `origin2coords`).

        Examples
        --------
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(7, 3)] = 40
        >>> pix.coords2origin(7, 3, 20, 44) == (5 << 24) | (21 << 11) | (7 << 6) | 3
        True
        """
        return encode_origin(ifu, sli, ypix, xpix, self._xoffsets())

    # -- sky positions -------------------------------------------------------------
    def get_pos_sky(self, xpos=None, ypos=None):
        """Return the absolute sky positions (RA, Dec) in degrees.

        Works for 'projected' tables (native spherical coordinates about
        the ``RA``/``DEC`` keywords) and 'positioned' tables (offsets from
        ``CRVAL1``/``CRVAL2``), in whatever angle unit the columns are. For
        tables in pixels (before astrometry) the positions are returned
        as they are, in pixels, as MPDAF does for tables without a
        reference point.

        Parameters
        ----------
        xpos, ypos : array-like, optional
            Positions in the table's unit (``self.wcs``); the table's own
            columns by default (read in chunks).

        Returns
        -------
        ra, dec : `numpy.ndarray`
            Right ascension in [0, 360) and declination, in degrees (or
            xpos and ypos in pixels, as float64).

        Examples
        --------
        >>> import astropy.units as u
        >>> pix = PixTable(xpos=[0., 1.], ypos=[0., -2.], lbda=[5e3] * 2,
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[0] * 2, wcs=u.arcsec)
        >>> pix.set_keyword("WCS", "positioned (final)")
        >>> pix.primary_header["CRVAL1"] = 150.0
        >>> pix.primary_header["CRVAL2"] = 2.0
        >>> ra, dec = pix.get_pos_sky()
        >>> ((ra - 150.0) * 3600).round(6).tolist(), ((dec - 2.0) * 3600).round(6).tolist()
        ([0.0, 1.0], [0.0, -2.0])
        """
        if self._in_pixels:
            return self._pixel_positions(xpos, ypos)
        to_deg = self._position_to_deg("get_pos_sky")
        ra0, dec0 = self._reference_point()
        to_sky = (projected_to_sky if self.projection == "projected"
                  else positioned_to_sky)
        if xpos is not None or ypos is not None:
            if xpos is None or ypos is None:
                raise UserError("get_pos_sky: give both xpos and ypos, or "
                                "neither")
            return to_sky(np.asarray(xpos, dtype=float) * to_deg,
                          np.asarray(ypos, dtype=float) * to_deg, ra0, dec0)
        ra = np.empty(self.nrows)
        dec = np.empty(self.nrows)
        for start, stop, ra_chunk, dec_chunk in self.iter_pos_sky():
            ra[start:stop], dec[start:stop] = ra_chunk, dec_chunk
        return ra, dec

    def iter_pos_sky(self):
        """Yield the sky positions of the rows, chunk by chunk.

        Yields
        ------
        start, stop : int
            The rows of the chunk.
        ra, dec : `numpy.ndarray`
            Their right ascension and declination in degrees (see
            `get_pos_sky`; pixels for tables in pixels).

        Examples
        --------
        >>> import astropy.units as u
        >>> pix = PixTable(xpos=[0., 1.], ypos=[0., 2.], lbda=[5e3] * 2,
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[0] * 2)
        >>> [(a, b, x.tolist()) for a, b, x, _ in pix.iter_pos_sky()]
        [(0, 2, [0.0, 1.0])]
        """
        if self._in_pixels:
            to_deg, ra0, dec0 = 1.0, 0.0, 0.0
            to_sky = _pixel_identity
        else:
            to_deg = self._position_to_deg("get_pos_sky")
            ra0, dec0 = self._reference_point()
            to_sky = (projected_to_sky if self.projection == "projected"
                      else positioned_to_sky)
        with self._chunk_reader() as read:
            for start in range(0, self.nrows, self.chunk_rows):
                stop = min(self.nrows, start + self.chunk_rows)
                chunk = read(["xpos", "ypos"], start, stop)
                ra, dec = to_sky(
                    np.multiply(chunk["xpos"], to_deg, dtype=np.float64),
                    np.multiply(chunk["ypos"], to_deg, dtype=np.float64),
                    ra0, dec0)
                yield start, stop, ra, dec

    def _pixel_positions(self, xpos, ypos):
        if (xpos is None) != (ypos is None):
            raise UserError("get_pos_sky: give both xpos and ypos, or "
                            "neither")
        if xpos is not None:
            return (np.asarray(xpos, dtype=np.float64),
                    np.asarray(ypos, dtype=np.float64))
        return (self.get_xpos().astype(np.float64),
                self.get_ypos().astype(np.float64))

    def mask_column(self, maskfile=None):
        """Mark the rows that fall on the objects of a mask image.

        See `~imphot_astropy.pixtable.mask_column`.

        Parameters
        ----------
        maskfile : str, `os.PathLike`, HDU or `~astropy.nddata.NDData`, optional
            Mask image with a celestial WCS: 0 for the background, > 0 for
            objects. If None, no row is masked.

        Returns
        -------
        `~imphot_astropy.pixtable.PixTableMask`

        Examples
        --------
        >>> pix = PixTable(xpos=[0.], ypos=[0.], lbda=[5e3], data=[0.],
        ...                dq=[0], stat=[0.], origin=[0])
        >>> pix.mask_column().maskcol.tolist()
        [False]
        """
        return mask_column(self, maskfile)

    # -- detector images -----------------------------------------------------------
    def reconstruct_det_image(self, xstart=None, ystart=None, xstop=None,
                              ystop=None):
        """Rebuild the image of the CCD region the rows came from.

        The table must hold rows of one IFU only, and each CCD pixel at most
        once (one exposure): use `extract` with ``ifu=`` (and ``exp=``)
        first.

        Parameters
        ----------
        xstart, ystart, xstop, ystop : int, optional
            Zero-based CCD bounds (inclusive) of the image; by default those
            of the rows. Rows outside are left out.

        Returns
        -------
        `~astropy.nddata.CCDData`
            Data values in ``self.unit_data``; pixels without a row are NaN
            and masked. The WCS maps array pixel (0, 0) to CCD pixel
            (xstart, ystart); ``meta`` holds IFU, XSTART and YSTART.

        Examples
        --------
        >>> import os, tempfile
        >>> from imphot_astropy.pixtable import make_synthetic_pixtable
        >>> tmp = tempfile.TemporaryDirectory()
        >>> name = os.path.join(tmp.name, "pt.fits")
        >>> make_synthetic_pixtable(name, nrows=50000, seed=2)
        >>> sub = PixTable(name).extract(ifu=3, sl=10)
        >>> image = sub.reconstruct_det_image()
        >>> int((~image.mask).sum()) == sub.nrows
        True
        >>> tmp.cleanup()
        """
        return self._det_image("data", self.unit_data,
                               (xstart, ystart, xstop, ystop))

    def reconstruct_det_waveimage(self):
        """Rebuild the image of wavelengths on the CCD region of the rows.

        Same conditions and layout as `reconstruct_det_image`.

        Returns
        -------
        `~astropy.nddata.CCDData`
            Wavelengths in ``self.wave``; NaN and masked where no row.

        Examples
        --------
        >>> pix = PixTable(xpos=[0.] * 2, ypos=[0.] * 2, lbda=[5e3, 6e3],
        ...                data=[0.] * 2, dq=[0] * 2, stat=[0.] * 2,
        ...                origin=[(1 << 24) | (1 << 11) | (1 << 6) | 1,
        ...                        (1 << 24) | (2 << 11) | (1 << 6) | 1])
        >>> from imphot_astropy.pixtable.origin import XOFFSET_KEYWORD
        >>> pix.primary_header["HIERARCH " + XOFFSET_KEYWORD.format(1, 1)] = 0
        >>> pix.reconstruct_det_waveimage().data.ravel().tolist()
        [5000.0, 6000.0]
        """
        return self._det_image("lambda", self.wave,
                               (None, None, None, None))

    def _det_image(self, name, unit, bounds):
        if self.nrows == 0:
            raise UserError(f"{self._name}: the table has no rows")
        xoffsets = self._xoffsets()
        ifus, low, high = set(), [np.inf, np.inf], [-np.inf, -np.inf]
        with self._chunk_reader() as read:
            for start in range(0, self.nrows, self.chunk_rows):
                stop = min(self.nrows, start + self.chunk_rows)
                origin = read(["origin"], start, stop)["origin"]
                ifus.update(np.unique(decode_ifu(origin)).tolist())
                xpix = decode_xpix(origin, xoffsets)
                ypix = decode_ypix(origin)
                low = [min(low[0], xpix.min()), min(low[1], ypix.min())]
                high = [max(high[0], xpix.max()), max(high[1], ypix.max())]
        if len(ifus) != 1:
            raise UserError(f"{self._name}: the rows come from IFUs "
                            f"{sorted(ifus)}; a detector image needs one IFU "
                            "(use extract(ifu=...) first)")
        xstart, ystart, xstop, ystop = (
            int(default) if value is None else int(value)
            for value, default in zip(bounds, low + high))
        if xstop < xstart or ystop < ystart:
            raise UserError(f"xstart/xstop, ystart/ystop: empty region "
                            f"x {xstart}-{xstop}, y {ystart}-{ystop}")
        shape = (ystop - ystart + 1, xstop - xstart + 1)
        image = np.full(shape, np.nan)
        count = np.zeros(shape, dtype=np.int32)
        with self._chunk_reader() as read:
            for start in range(0, self.nrows, self.chunk_rows):
                stop = min(self.nrows, start + self.chunk_rows)
                chunk = read(["origin", name], start, stop)
                xpix = decode_xpix(chunk["origin"], xoffsets) - xstart
                ypix = decode_ypix(chunk["origin"]) - ystart
                inside = ((xpix >= 0) & (xpix < shape[1]) & (ypix >= 0)
                          & (ypix < shape[0]))
                image[ypix[inside], xpix[inside]] = chunk[name][inside]
                np.add.at(count, (ypix[inside], xpix[inside]), 1)
        if count.max() > 1:
            raise UserError(f"{self._name}: {int((count > 1).sum())} CCD "
                            "pixels appear in several rows (several "
                            "exposures?); select one with extract(exp=...)")
        wcs = WCS(naxis=2)
        wcs.wcs.ctype = ["LINEAR", "LINEAR"]
        wcs.wcs.crpix = [1.0, 1.0]
        wcs.wcs.crval = [float(xstart), float(ystart)]
        wcs.wcs.cdelt = [1.0, 1.0]
        meta = fits.Header()
        meta["IFU"] = (int(next(iter(ifus))), "IFU of the rows")
        meta["XSTART"] = (xstart, "zero-based CCD column of pixel 0")
        meta["YSTART"] = (ystart, "zero-based CCD row of pixel 0")
        return CCDData(image, unit=unit, mask=np.isnan(image), wcs=wcs,
                       meta=meta)


def _pixel_identity(xpos, ypos, ra0, dec0):
    """Positions of a table in pixels: as they are."""
    return xpos, ypos


def _format_hdus(rows):
    """Lines of a table of HDUs, in aligned columns."""
    header = ("No.", "Name", "Type", "Dimensions", "Format")
    cells = [header] + [(f"{r[0]:3d}", str(r[1]), str(r[2]), str(r[3]),
                         str(r[4])) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(5)]
    return ["  ".join(cell.ljust(width) for cell, width in
                      zip(row, widths)).rstrip() for row in cells]


def _native_copy(values, name):
    """Copy column values into a 1-D array of native byte order."""
    array = np.array(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise UserError(f"{name}: expected a 1-D column, got shape "
                        f"{array.shape}")
    if name in _FLOAT_COLUMNS:
        if array.dtype.kind not in "fiu":
            raise UserError(f"{name}: expected numbers, got {array.dtype}")
        if array.dtype.kind != "f":
            array = array.astype(np.float64)
    elif array.size and array.dtype.kind not in "iu":
        raise UserError(f"{name}: expected integers, got {array.dtype}")
    else:
        array = array.astype(np.int32)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def _index(column, ksel, name):
    try:
        return column[ksel]
    except (IndexError, TypeError, ValueError) as err:
        raise UserError(f"ksel: invalid row selection for column {name}: "
                        f"{err}") from None


def _convert(values, from_unit, to_unit, name):
    values = np.asarray(values, dtype=np.float64)
    try:
        return (values * from_unit).to_value(to_unit, u.spectral())
    except u.UnitsError as err:
        raise UserError(f"unit: cannot convert column {name}: {err}") \
            from None
