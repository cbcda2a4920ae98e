"""Column access of `PixTable`: reading and setting columns and rows."""

import contextlib

import numpy as np
import astropy.units as u

from ..exceptions import UserError
from .columns import COLUMN_NAMES, native_column
from .origin import decode_ifu, decode_slice

__all__ = []

_LIMIT_KEYS = {"xpos": "X", "ypos": "Y", "lambda": "LAMBDA"}


class ColumnAccess:
    """The column getters and setters of `PixTable` (a mixin)."""

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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        values = native_column(np.atleast_1d(data) if scalar else data, name)
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
