"""The `PixTable` class: MUSE pixel tables, memory-light, on astropy."""

import os
import sys
import warnings

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning

from ..exceptions import UserError
from ._access import ColumnAccess
from ._detector import DetectorAndSky
from ._selection import Selection
from .columns import KEYWORD, REQUIRED_COLUMNS, native_column, parse_unit
from .storage import PixTableFile
from .writer import write_pixtable

__all__ = ["PixTable", "KEYWORD"]

_NOT_SET = object()


# The methods of PixTable are grouped by concept: this module holds the
# construction, header keywords, info, copy, write and subtables; the private
# modules _access.py the column getters and setters, _selection.py the
# exposures, ``select_`` methods and `extract`, _detector.py the origin
# decoding, sky positions, masks and detector images.
class PixTable(ColumnAccess, Selection, DetectorAndSky):
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
    >>> from imphot_astropy.datasets import make_synthetic_pixtable
    >>> from imphot_astropy.pixtable import PixTable
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
        arrays = {name: native_column(value, name)
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

    # -- subtables (see _selection.py) ----------------------------------------
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


def _format_hdus(rows):
    """Lines of a table of HDUs, in aligned columns."""
    header = ("No.", "Name", "Type", "Dimensions", "Format")
    cells = [header] + [(f"{r[0]:3d}", str(r[1]), str(r[2]), str(r[3]),
                         str(r[4])) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(5)]
    return ["  ".join(cell.ljust(width) for cell, width in
                      zip(row, widths)).rstrip() for row in cells]
