"""The MUSE PSF versus wavelength, as MPDAF's FSF header keywords.

MPDAF's ``FSFMODE = 2`` model (``mpdaf.MUSE.MoffatModel2``) is a circular
Moffat whose FWHM (arcsec) and beta are polynomials in the normalised
wavelength ``l = (lambda - FSFLB1) / (FSFLB2 - FSFLB1) - 0.5``. The header
holds, for field ``ii``, the number of FWHM coefficients ``FSFiiFNC`` and
the coefficients ``FSFiiF00``, ``FSFiiF01``, ... from the HIGHEST power of
``l`` down (numpy's ``polyval`` order), and the same for beta
(``FSFiiBNC``, ``FSFiiB00``, ...). The older ``FSFMODE = 'MOFFAT1'``
stores ``FWHM = FSFiiFWA + FSFiiFWB * lambda`` and a constant
``beta = FSFiiBET``.

`FSFModel` keeps its coefficients from the lowest power up (the order of
the joint fit's parameters) and converts on reading and writing.

Fields. MPDAF's ``FSFModel.read`` (with its defaults) reads ``NFIELDS``
(1 if absent): when it is above 1, the fields 1 to NFIELDS (field 00,
if any, is skipped); otherwise the first of the fields 0-9 and 99 that
the header holds. A field outside 0-9 and 99 is never found, so we write
only those, and set ``NFIELDS`` to N when the header holds the fields 1 to
N (N > 1, with or without field 00), else to 1; `FSFModel.from_header`
reads ``NFIELDS`` the same way.
"""

import numpy as np
from astropy.io import fits
from astropy.modeling.models import Moffat2D

from ..exceptions import UserError
from ..core.moffat import moffat_alpha

__all__ = ["FSFModel", "normalised_wavelength", "DEFAULT_LBRANGE", "MPDAF_FIELDS"]

#: MPDAF's usual reference wavelengths (Angstrom) of the normalisation.
DEFAULT_LBRANGE = (5000.0, 9000.0)

#: The fields MPDAF's ``FSFModel.read`` finds by default (with NFIELDS <= 1),
#: in the order it tries them.
MPDAF_FIELDS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99)

# MPDAF's MOFFAT1 model was tied to these reference wavelengths when it
# converts it to its polynomial model; we do the same so that both readers
# agree on the coefficients.
_MOFFAT1_LBRANGE = (5000.0, 9000.0)


def normalised_wavelength(lam, lbrange):
    """MPDAF's normalised wavelength ``(lam - lb1) / (lb2 - lb1) - 0.5``.

    Parameters
    ----------
    lam : float or array-like
        Wavelengths (Angstrom).
    lbrange : (float, float)
        The reference wavelengths FSFLB1, FSFLB2.

    Returns
    -------
    l : float or `numpy.ndarray`

    Examples
    --------
    >>> normalised_wavelength([5000.0, 7000.0, 9000.0], (5000.0, 9000.0))
    array([-0.5,  0. ,  0.5])
    """
    lb1, lb2 = lbrange
    return (np.asarray(lam, dtype=float) - lb1) / (lb2 - lb1) - 0.5


class FSFModel:
    """A circular Moffat PSF whose FWHM and beta vary with wavelength.

    Parameters
    ----------
    fwhm_coeffs : sequence of float
        FWHM (arcsec) polynomial coefficients in the normalised wavelength,
        from the constant term up.
    beta_coeffs : sequence of float
        Beta polynomial coefficients, from the constant term up.
    lbrange : (float, float)
        The reference wavelengths (Angstrom) of the normalisation.

    Examples
    --------
    >>> fsf = FSFModel([0.65, -0.2], [2.5], lbrange=(4750.0, 9350.0))
    >>> round(float(fsf.fwhm(4750.0)), 3), float(fsf.beta(7000.0))
    (0.75, 2.5)
    >>> header = fsf.to_header()
    >>> header["FSFMODE"], header["FSF00FNC"], header["FSF00F00"]
    (2, 2, -0.2)
    >>> FSFModel.from_header(header).fwhm_coeffs
    array([ 0.65, -0.2 ])
    """

    def __init__(self, fwhm_coeffs, beta_coeffs, lbrange=DEFAULT_LBRANGE):
        self.fwhm_coeffs = self._coefficients(fwhm_coeffs, "fwhm_coeffs")
        self.beta_coeffs = self._coefficients(beta_coeffs, "beta_coeffs")
        lb1, lb2 = (float(v) for v in lbrange)
        if not (np.isfinite(lb1) and np.isfinite(lb2) and lb2 > lb1):
            raise UserError(f"lbrange: expected two increasing wavelengths, not {lbrange!r}")
        self.lbrange = (lb1, lb2)

    @staticmethod
    def _coefficients(values, argname):
        coeffs = np.atleast_1d(np.asarray(values, dtype=float))
        if coeffs.ndim != 1 or coeffs.size == 0 or not np.all(np.isfinite(coeffs)):
            raise UserError(f"{argname}: expected a non-empty list of finite numbers, "
                            f"not {values!r}")
        return coeffs

    def fwhm(self, lam):
        """The FWHM (arcsec) at wavelengths ``lam`` (Angstrom).

        Examples
        --------
        >>> float(FSFModel([0.6], [2.5]).fwhm(7000.0))
        0.6
        """
        return np.polynomial.polynomial.polyval(
            normalised_wavelength(lam, self.lbrange), self.fwhm_coeffs)

    def beta(self, lam):
        """The Moffat beta at wavelengths ``lam`` (Angstrom).

        Examples
        --------
        >>> float(FSFModel([0.6], [2.8, 0.4]).beta(9000.0))
        3.0
        """
        return np.polynomial.polynomial.polyval(
            normalised_wavelength(lam, self.lbrange), self.beta_coeffs)

    def moffat(self, lam, x_0=0.0, y_0=0.0):
        """The PSF at one wavelength as a unit-volume astropy Moffat2D.

        Coordinates are in arcsec.

        Parameters
        ----------
        lam : float
            Wavelength (Angstrom).
        x_0, y_0 : float
            Centre (arcsec).

        Returns
        -------
        model : `astropy.modeling.models.Moffat2D`

        Examples
        --------
        >>> m = FSFModel([0.6], [2.5]).moffat(7000.0)
        >>> round(float(m.fwhm), 6)
        0.6
        """
        fwhm, beta = float(self.fwhm(lam)), float(self.beta(lam))
        if fwhm <= 0 or beta <= 1:
            raise UserError(f"lam: the model gives FWHM {fwhm:.4g}\" and beta "
                            f"{beta:.4g} at {lam} Angstrom, not a valid Moffat")
        gamma = moffat_alpha(fwhm, beta)
        amplitude = (beta - 1.0) / (np.pi * gamma**2)
        return Moffat2D(amplitude, x_0, y_0, gamma, beta)

    def to_header(self, header=None, field=0):
        """Write MPDAF's ``FSFMODE = 2`` keywords into a header.

        Parameters
        ----------
        header : `astropy.io.fits.Header`, optional
            Updated in place; a new header if None. Its ``NFIELDS`` is set
            to match the fields it then holds (see the module's notes).
        field : int
            The field number ``ii`` of the keywords: 0-9 or 99, the fields
            MPDAF's reader finds.

        Returns
        -------
        header : `astropy.io.fits.Header`

        Raises
        ------
        UserError
            If ``field`` is another number, or the header holds other
            fields that this model's FSFMODE or FSFLB1/FSFLB2 would change.

        Examples
        --------
        >>> h = FSFModel([0.6, -0.1, 0.02], [2.5]).to_header()
        >>> [h["FSF00F00"], h["FSF00F01"], h["FSF00F02"]], h["NFIELDS"]
        ([0.02, -0.1, 0.6], 1)
        >>> for field in (1, 2):
        ...     h = FSFModel([0.6 + 0.1 * field], [2.5]).to_header(h, field=field)
        >>> h["NFIELDS"]
        2
        """
        if header is None:
            header = fits.Header()
        if isinstance(field, bool) or not isinstance(field, (int, np.integer)) \
                or int(field) not in MPDAF_FIELDS:
            raise UserError(f"field: expected one of 0-9 or 99, not {field!r}: MPDAF's "
                            "FSFModel.read looks for no other field number, so the model "
                            "would not be found")
        prefix = self._prefix(field)
        self._check_other_fields(header, int(field))
        self._remove_field(header, prefix)
        header["FSFMODE"] = (2, "Circular MOFFAT beta=poly(lbda) fwhm=poly(lbda)")
        header["FSFLB1"] = (self.lbrange[0], "FSF Blue Ref Wave (A)")
        header["FSFLB2"] = (self.lbrange[1], "FSF Red Ref Wave (A)")
        for letter, coeffs, what in (("F", self.fwhm_coeffs, "FWHM"),
                                     ("B", self.beta_coeffs, "BETA")):
            header[f"{prefix}{letter}NC"] = (len(coeffs), f"{prefix} {what} Poly Ncoef")
            # MPDAF's order: the highest power first.
            for k, value in enumerate(coeffs[::-1]):
                header[f"{prefix}{letter}{k:02d}"] = (float(value),
                                                      f"{prefix} {what} Poly C{k:02d}")
        header["NFIELDS"] = (_nfields(_fields_in(header)), "number of FSF fields")
        return header

    def _check_other_fields(self, header, field):
        others = [f for f in _fields_in(header) if f != field]
        if not others:
            return
        mode = header.get("FSFMODE")
        if mode != 2:
            raise UserError(f"header: holds the FSF fields {others} with FSFMODE = "
                            f"{mode!r}; writing an FSFMODE = 2 field would make them "
                            "unreadable")
        lbrange = (float(header.get("FSFLB1", np.nan)), float(header.get("FSFLB2", np.nan)))
        if lbrange != self.lbrange:
            raise UserError(f"header: holds the FSF fields {others} normalised over "
                            f"FSFLB1, FSFLB2 = {lbrange}; a model over {self.lbrange} "
                            "would change them (the range is shared by all fields)")

    @staticmethod
    def _prefix(field):
        if isinstance(field, bool) or not isinstance(field, (int, np.integer)) \
                or not 0 <= field <= 99:
            raise UserError(f"field: expected an integer 0-99, not {field!r}")
        return f"FSF{int(field):02d}"

    @staticmethod
    def _remove_field(header, prefix):
        """Drop an older model of this field, so no stale coefficient stays."""
        for key in [k for k in header.keys() if k.startswith(prefix)]:
            del header[key]

    @classmethod
    def from_header(cls, header, field=None):
        """Read an FSF model from MPDAF keywords (``FSFMODE`` 2 or 'MOFFAT1').

        Parameters
        ----------
        header : `astropy.io.fits.Header`
        field : int, optional
            The field to read (0-99). By default, as MPDAF's reader: field 1
            if ``NFIELDS`` > 1 (the header must then hold fields 1 to
            NFIELDS), else the first of the fields 0-9 and 99 found.

        Returns
        -------
        fsf : `FSFModel`

        Examples
        --------
        >>> from astropy.io import fits
        >>> h = fits.Header({"FSFMODE": "MOFFAT1", "FSF00FWA": 0.9,
        ...                  "FSF00FWB": -3e-5, "FSF00BET": 2.6})
        >>> fsf = FSFModel.from_header(h)
        >>> round(float(fsf.fwhm(7000.0)), 6), float(fsf.beta(5000.0))
        (0.69, 2.6)
        """
        if "FSFMODE" not in header:
            raise UserError("header: no FSFMODE keyword (no MPDAF FSF model)")
        mode = header["FSFMODE"]
        fields = [field] if field is not None else _fields_to_read(header)
        for number in fields:
            prefix = cls._prefix(number)
            if str(mode).strip().upper() == "MOFFAT1":
                if f"{prefix}BET" in header:
                    return cls._from_moffat1(header, prefix)
            elif mode == 2:
                if f"{prefix}FNC" in header:
                    return cls._from_mode2(header, prefix)
            else:
                raise UserError(f"header: FSFMODE = {mode!r} is not a known FSF model "
                                "(2 or 'MOFFAT1')")
        raise UserError(f"header: FSFMODE = {mode!r} but no FSF keywords of "
                        f"{'field ' + str(field) if field is not None else 'any field'}")

    @classmethod
    def _from_moffat1(cls, header, prefix):
        try:
            a, b = float(header[f"{prefix}FWA"]), float(header[f"{prefix}FWB"])
        except KeyError as missing:
            raise UserError(f"header: {missing} missing from a MOFFAT1 FSF model") from None
        lb1, lb2 = _MOFFAT1_LBRANGE
        # FWHM = a + b lambda, with lambda = lb1 + (l + 0.5)(lb2 - lb1).
        slope = b * (lb2 - lb1)
        constant = a + b * lb1 + 0.5 * slope
        return cls([constant, slope], [float(header[f"{prefix}BET"])], _MOFFAT1_LBRANGE)

    @classmethod
    def _from_mode2(cls, header, prefix):
        try:
            lbrange = (float(header["FSFLB1"]), float(header["FSFLB2"]))
            fwhm = [header[f"{prefix}F{k:02d}"] for k in range(int(header[f"{prefix}FNC"]))]
            beta = [header[f"{prefix}B{k:02d}"] for k in range(int(header[f"{prefix}BNC"]))]
        except KeyError as missing:
            raise UserError(f"header: {missing} missing from an FSFMODE = 2 model") from None
        return cls(fwhm[::-1], beta[::-1], lbrange)

    @classmethod
    def read(cls, source, field=None):
        """Read an FSF model from a FITS file (primary or DATA header) or header.

        Parameters
        ----------
        source : str, `os.PathLike` or `astropy.io.fits.Header`
        field : int, optional

        Returns
        -------
        fsf : `FSFModel`

        Examples
        --------
        >>> header = FSFModel([0.6], [2.5]).to_header()
        >>> float(FSFModel.read(header).fwhm(6000.0))
        0.6
        """
        if isinstance(source, fits.Header):
            return cls.from_header(source, field)
        try:
            with fits.open(source) as hdulist:
                headers = [hdu.header for hdu in hdulist]
        except (OSError, ValueError) as exc:
            raise UserError(f"{source}: cannot be read as FITS ({exc})") from None
        for header in headers:
            if "FSFMODE" in header:
                return cls.from_header(header, field)
        raise UserError(f"{source}: no header holds an FSF model (FSFMODE)")

    def __repr__(self):
        return (f"FSFModel(fwhm_coeffs={list(np.round(self.fwhm_coeffs, 6))}, "
                f"beta_coeffs={list(np.round(self.beta_coeffs, 6))}, "
                f"lbrange={self.lbrange})")


def _fields_in(header):
    """The field numbers whose keywords a header holds (among MPDAF's)."""
    return [f for f in MPDAF_FIELDS
            if f"FSF{f:02d}FNC" in header or f"FSF{f:02d}BET" in header]


def _nfields(fields):
    """NFIELDS for these fields: N if they are 1..N (N > 1, field 0 aside), else 1."""
    numbered = sorted(set(fields) - {0})
    if len(numbered) > 1 and numbered == list(range(1, len(numbered) + 1)):
        return len(numbered)
    return 1


def _fields_to_read(header):
    """The fields to try, in order, as MPDAF's FSFModel.read does by default."""
    try:
        nfields = int(header.get("NFIELDS", 1))
    except (TypeError, ValueError):
        raise UserError(f"header: NFIELDS = {header.get('NFIELDS')!r} is not an "
                        "integer") from None
    if nfields <= 1:
        return MPDAF_FIELDS
    missing = [f for f in range(1, nfields + 1)
               if f"FSF{f:02d}FNC" not in header and f"FSF{f:02d}BET" not in header]
    if missing:
        raise UserError(f"header: NFIELDS = {nfields} but the FSF keywords of field(s) "
                        f"{missing} are missing (MPDAF's reader would fail)")
    # Field 00 is skipped when NFIELDS > 1, as MPDAF does; the first field.
    return [1]
