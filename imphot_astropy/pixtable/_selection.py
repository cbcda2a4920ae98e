"""Row selection of `PixTable`: masks of rows and extracted subtables."""

import numpy as np
import astropy.units as u

from ..exceptions import UserError
from ..io import check_output_path
from .columns import KEYWORD
from .criteria import (ExpCriterion, IfuCriterion, LambdaCriterion,
                       PixelSkyCriterion, SkyCriterion, SliceCriterion,
                       XpixCriterion, YpixCriterion)
from .ranges import (ifu_numbers, parse_integers, parse_ranges, slice_numbers,
                     stack_slices)
from .scan import scan, scan_mask
from .sky import parse_apertures, parse_pixel_apertures

__all__ = []


class Selection:
    """The exposure, ``select_`` and `extract` methods of `PixTable` (a
    mixin)."""

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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
        >>> from imphot_astropy.pixtable import PixTable
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
