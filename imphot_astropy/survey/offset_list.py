"""The MUSE pipeline's OFFSET_LIST table, from exposure fits.

``muse_exp_combine`` (and ``muse_scipost``) read an OFFSET_LIST FITS table
with one row per exposure: ``DATE_OBS`` (a string: the exposure's
DATE-OBS, of which the first 23 characters identify it; the first match
wins and an exposure without a match is combined uncorrected, silently),
``RA_OFFSET`` and ``DEC_OFFSET`` in degrees and, optionally, ``MJD_OBS``
and ``FLUX_SCALE``, all float64 (a column of another type makes the
pipeline drop every offset, with only a warning). The pipeline's
``muse_xcombine.c`` SUBTRACTS the offsets from the exposure's ORIGINAL
header RA and DEC, and ``RA_OFFSET`` is a difference of RA coordinates
"without cos(DEC)" (the pipeline's data-format description); it multiplies
the exposure's data by FLUX_SCALE (its variance by the square) when that
is a normal number, and ignores a NaN.

Our ``dra`` and ``ddec`` are those differences of coordinates (arcsec; see
`~imphot_astropy.fitting.sky_offsets`), so ``RA_OFFSET = dra / 3600`` and
``DEC_OFFSET = ddec / 3600``. The flux scale ``scale`` is MUSE/HST, so
``FLUX_SCALE = 1 / scale`` makes the exposure agree with HST.

Because the pipeline applies the table from the original pointing, a row
must hold the TOTAL correction, not the increment a refit measures. A cube
reduced with an OFFSET_LIST records what was applied in its primary
header: ``ESO DRS MUSE OFFSETi DATE-OBS``, ``ESO DRS MUSE OFFSETi DRA``
and ``... OFFSETi DDEC`` (degrees) and ``ESO DRS MUSE FLUX SCALEi``, for
the exposure ``i`` whose DATE-OBS is the cube's (`applied_correction`
reads them; the survey's results carry them as ``applied``). The row is
then the applied offsets plus the measured ones, and the applied flux
scale times the measured one (``RA_APPLIED``, ``DEC_APPLIED``,
``FLUX_SCALE_APPLIED`` and ``RA_MEASURED``, ``DEC_MEASURED``,
``FLUX_SCALE_MEASURED`` say which was which; the pipeline reads only the
columns it knows). Refitting a cube reduced with such a row measures
nothing more (beyond noise), and writing again leaves the row as it was.

The sign: a tool that writes OFFSET_LIST tables for the pipeline from a
comparison with a reference image, pymusepipe
(github.com/emsellem/pymusepipe, ``src/pymusepipe/align_pipe.py``),
writes ``RA_OFFSET = offset_arcsec / 3600 / cos(dec)`` and aligns an
exposure with the same offset by moving the world coordinates of every
pixel by minus the offset, and gives that table to ``muse_exp_combine``.
The round trip is tested in ``survey/tests/test_offset_list.py``: the row
applied from the original pointing lands the exposure on the HST frame
(within 3 mas).
"""

import os
import re

import numpy as np
from astropy.io import fits
from astropy.table import Table

from ..exceptions import UserError
from ..io import write_fits_atomically

__all__ = ["write_offset_list", "offset_list_row", "applied_correction",
           "applied_report", "AppliedCorrection"]

# The columns the pipeline needs, and the optional ones it reads.
_REQUIRED = ("DATE_OBS", "RA_OFFSET", "DEC_OFFSET")
_OPTIONAL = ("MJD_OBS", "FLUX_SCALE")
# Ours, which the pipeline ignores: what the total is made of.
_PARTS = ("RA_APPLIED", "DEC_APPLIED", "FLUX_SCALE_APPLIED",
          "RA_MEASURED", "DEC_MEASURED", "FLUX_SCALE_MEASURED")
_UNITS = {"RA_OFFSET": "deg", "DEC_OFFSET": "deg", "RA_APPLIED": "deg",
          "DEC_APPLIED": "deg", "RA_MEASURED": "deg", "DEC_MEASURED": "deg",
          "MJD_OBS": "d"}

# The pipeline identifies an exposure by this many characters of DATE-OBS
# ("2014-10-22T03:15:40.123": to the millisecond).
DATE_CHARACTERS = 23

_OFFSET_DATE = re.compile(r"ESO DRS MUSE OFFSET(\d+) DATE-OBS$")


class AppliedCorrection:
    """The offsets and flux scale the pipeline already applied to an exposure.

    Parameters
    ----------
    index : int
        The ``i`` of the header's ``ESO DRS MUSE OFFSETi`` keywords.
    ra_offset, dec_offset : float
        ``OFFSETi DRA`` and ``OFFSETi DDEC``: the differences of RA and Dec
        coordinates subtracted from the original pointing (degrees).
    flux_scale : float or None
        ``FLUX SCALEi``, by which the data were multiplied (None: none).

    Attributes
    ----------
    dra, ddec : float
        The same offsets in arcsec (as ``dra`` and ``ddec`` of the fits).

    Examples
    --------
    >>> c = AppliedCorrection(1, 1e-4, -5e-5, 0.98)
    >>> round(c.dra, 6), round(c.ddec, 6), c.flux_scale
    (0.36, -0.18, 0.98)
    """

    def __init__(self, index, ra_offset, dec_offset, flux_scale=None):
        self.index = int(index)
        self.ra_offset = float(ra_offset)
        self.dec_offset = float(dec_offset)
        self.flux_scale = None if flux_scale is None else float(flux_scale)

    @property
    def dra(self):
        return self.ra_offset * 3600.0

    @property
    def ddec(self):
        return self.dec_offset * 3600.0

    def __repr__(self):
        return (f"AppliedCorrection(index={self.index}, ra_offset={self.ra_offset!r}, "
                f"dec_offset={self.dec_offset!r}, flux_scale={self.flux_scale!r})")


def applied_correction(header, date_obs, argname="cube"):
    """The correction a cube's primary header records for the exposure ``date_obs``.

    Parameters
    ----------
    header : `astropy.io.fits.Header` or dict-like
        The cube's primary header.
    date_obs : str
        The exposure's DATE-OBS; the record ``i`` whose ``ESO DRS MUSE
        OFFSETi DATE-OBS`` has the same first 23 characters is taken (the
        pipeline's own match).
    argname : str
        The name to quote in error messages.

    Returns
    -------
    correction : `AppliedCorrection` or None
        None if the header records no correction of this exposure. A
        record of offsets without a ``FLUX SCALEi`` has ``flux_scale`` None.

    Raises
    ------
    UserError
        If the matching record is incomplete or not numbers.

    Examples
    --------
    >>> from astropy.io import fits
    >>> h = fits.Header()
    >>> h["HIERARCH ESO DRS MUSE OFFSET1 DATE-OBS"] = "2014-10-22T03:15:40.123"
    >>> h["HIERARCH ESO DRS MUSE OFFSET1 DRA"] = 1e-4
    >>> h["HIERARCH ESO DRS MUSE OFFSET1 DDEC"] = -5e-5
    >>> h["HIERARCH ESO DRS MUSE FLUX SCALE1"] = 0.98
    >>> applied_correction(h, "2014-10-22T03:15:40.1234")
    AppliedCorrection(index=1, ra_offset=0.0001, dec_offset=-5e-05, flux_scale=0.98)
    >>> applied_correction(h, "2014-10-22T03:15:41.123") is None
    True
    """
    if not date_obs or header is None:
        return None
    key = str(date_obs).strip()[:DATE_CHARACTERS]
    for name in list(header.keys()):
        match = _OFFSET_DATE.match(str(name).replace("HIERARCH ", ""))
        if match is None or str(header[name]).strip()[:DATE_CHARACTERS] != key:
            continue
        i = match.group(1)
        values = {}
        for what in ("DRA", "DDEC"):
            values[what] = _header_number(header, f"ESO DRS MUSE OFFSET{i} {what}", argname,
                                          required=True)
        scale = _header_number(header, f"ESO DRS MUSE FLUX SCALE{i}", argname,
                               required=False)
        return AppliedCorrection(int(i), values["DRA"], values["DDEC"], scale)
    return None


def applied_report(applied, dra, ddec):
    """Report lines: the correction already applied, the measured one, their total.

    Parameters
    ----------
    applied : `AppliedCorrection` or None
    dra, ddec : `~imphot_astropy.fitting.FittedValue`
        The offsets measured on the cube as it is (arcsec of coordinate).

    Returns
    -------
    text : str
        Empty if nothing was applied.

    Examples
    --------
    >>> from imphot_astropy.fitting import FittedValue
    >>> print(applied_report(AppliedCorrection(1, 1e-4, 0.0, 0.9),
    ...                      FittedValue(0.02, 0.001), FittedValue(-0.01, 0.001)))
    <BLANKLINE>
    [[Correction already applied by the pipeline (ESO DRS MUSE OFFSET1)]]
        applied:  dRA 0.36000" dDec 0.00000" (coordinate differences), flux scale 0.9
        measured: dRA 0.02000" dDec -0.01000"
        total from the original pointing (OFFSET_LIST): dRA 0.38000" dDec -0.01000"
    """
    if applied is None:
        return ""
    scale = "none" if applied.flux_scale is None else f"{applied.flux_scale:.6g}"
    return ("\n[[Correction already applied by the pipeline "
            f"(ESO DRS MUSE OFFSET{applied.index})]]\n"
            f"    applied:  dRA {applied.dra:.5f}\" dDec {applied.ddec:.5f}\" "
            f"(coordinate differences), flux scale {scale}\n"
            f"    measured: dRA {dra.value:.5f}\" dDec {ddec.value:.5f}\"\n"
            "    total from the original pointing (OFFSET_LIST): "
            f"dRA {applied.dra + dra.value:.5f}\" dDec {applied.ddec + ddec.value:.5f}\"")


def _header_number(header, key, argname, required):
    value = header.get(key, header.get("HIERARCH " + key))
    if value is None:
        if required:
            raise UserError(f"{argname}: the header records the DATE-OBS of an applied "
                            f"offset but has no {key}")
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{argname}: {key} = {value!r} is not a number") from None
    if not np.isfinite(value):
        raise UserError(f"{argname}: {key} = {value!r} is not a finite number")
    return value


def _measured_flux_scale(result, flux_scale):
    joint = getattr(result, "joint", {})
    if flux_scale == "mean":
        scales = [j.scale.value for j in joint.values()]
    elif flux_scale in joint:
        scales = [joint[flux_scale].scale.value]
    else:
        raise UserError(f"flux_scale: expected None, 'mean' or one of the fitted "
                        f"bands {sorted(joint)}, not {flux_scale!r}")
    return 1.0 / float(np.mean(scales))


def _date_obs(result):
    date = getattr(result, "date_obs", None)
    name = getattr(result, "name", "?")
    if not date:
        raise UserError(f"results: the exposure {name} has no DATE-OBS, which identifies "
                        "its row in the OFFSET_LIST")
    date = str(date).strip()
    if len(date) < DATE_CHARACTERS:
        raise UserError(f"results: the exposure {name} has DATE-OBS {date!r}, shorter than "
                        f"the {DATE_CHARACTERS} characters (to the millisecond) by which "
                        "the MUSE pipeline matches OFFSET_LIST rows to exposures")
    return date


def offset_list_row(result, flux_scale=None):
    """The OFFSET_LIST row of one exposure's fit: what the pipeline must apply.

    Parameters
    ----------
    result : `~imphot_astropy.survey.CubePhotometry`
        Or any object with ``date_obs`` (at least 23 characters),
        ``mjd_obs``, ``dra`` and ``ddec`` (`~imphot_astropy.fitting.FittedValue`,
        arcsec, differences of coordinates) and optionally ``applied`` (an
        `AppliedCorrection` or None) and ``joint``.
    flux_scale : None, "mean" or a band name
        Add FLUX_SCALE = 1 / (the mean joint scale of the bands, or that of
        one band), times the flux scale already applied. Without it, a
        flux scale already applied is kept (the pipeline would otherwise
        undo it).

    Returns
    -------
    row : dict
        ``DATE_OBS``, ``MJD_OBS``, ``RA_OFFSET``, ``DEC_OFFSET`` (the totals
        from the original pointing, degrees), ``FLUX_SCALE`` if any, and the
        parts ``RA_APPLIED``, ``DEC_APPLIED``, ``FLUX_SCALE_APPLIED``
        (0, 0 and NaN where nothing was applied), ``RA_MEASURED``,
        ``DEC_MEASURED``, ``FLUX_SCALE_MEASURED`` (NaN if not asked for).

    Raises
    ------
    UserError
        If DATE-OBS is missing or shorter than 23 characters, or the flux
        scale to write is not a finite positive number.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from imphot_astropy.fitting import FittedValue
    >>> r = SimpleNamespace(date_obs="2014-10-22T03:15:40.123", mjd_obs=56952.1,
    ...                     dra=FittedValue(0.36), ddec=FittedValue(-0.18))
    >>> row = offset_list_row(r)
    >>> round(row["RA_OFFSET"] * 3600, 6), round(row["DEC_OFFSET"] * 3600, 6)
    (0.36, -0.18)
    >>> r.applied = AppliedCorrection(1, 1e-4, 0.0, 0.9)
    >>> row = offset_list_row(r)
    >>> round(row["RA_OFFSET"] * 3600, 6), round(row["RA_MEASURED"] * 3600, 6), row["FLUX_SCALE"]
    (0.72, 0.36, 0.9)
    """
    date = _date_obs(result)
    applied = getattr(result, "applied", None)
    measured_ra = float(result.dra.value) / 3600.0
    measured_dec = float(result.ddec.value) / 3600.0
    applied_ra = applied.ra_offset if applied is not None else 0.0
    applied_dec = applied.dec_offset if applied is not None else 0.0
    applied_scale = applied.flux_scale if applied is not None else None
    mjd = getattr(result, "mjd_obs", None)
    row = {"DATE_OBS": date, "MJD_OBS": np.nan if mjd is None else float(mjd),
           "RA_OFFSET": applied_ra + measured_ra, "DEC_OFFSET": applied_dec + measured_dec,
           "RA_APPLIED": applied_ra, "DEC_APPLIED": applied_dec,
           "FLUX_SCALE_APPLIED": np.nan if applied_scale is None else applied_scale,
           "RA_MEASURED": measured_ra, "DEC_MEASURED": measured_dec,
           "FLUX_SCALE_MEASURED": np.nan}
    if flux_scale is not None:
        row["FLUX_SCALE_MEASURED"] = _measured_flux_scale(result, flux_scale)
    if flux_scale is not None or applied_scale is not None:
        total = (1.0 if applied_scale is None else applied_scale) * (
            1.0 if flux_scale is None else row["FLUX_SCALE_MEASURED"])
        if not (np.isfinite(total) and total > 0):
            raise UserError(
                f"results: the exposure {getattr(result, 'name', date)} would get "
                f"FLUX_SCALE {total!r} (applied {applied_scale!r} times measured "
                f"{row['FLUX_SCALE_MEASURED']!r}), which the pipeline would apply as "
                "it is (negative or zero) or ignore (NaN): check its fit, or write "
                "without flux_scale")
        row["FLUX_SCALE"] = total
    return row


def _read_existing(path):
    try:
        table = Table.read(path, format="fits")
    except (OSError, ValueError, TypeError) as exc:
        raise UserError(f"path: {path} exists but is not a readable FITS table ({exc})") \
            from None
    missing = [c for c in _REQUIRED if c not in table.colnames]
    if missing:
        raise UserError(f"path: {path} is not an OFFSET_LIST (no column {missing})")
    table["DATE_OBS"] = [str(v).strip() for v in table["DATE_OBS"]]
    for name in table.colnames:
        if name == "DATE_OBS":
            continue
        try:
            table[name] = np.asarray(table[name], dtype=np.float64)
        except (TypeError, ValueError):
            if name in _REQUIRED + _OPTIONAL + _PARTS:
                raise UserError(f"path: {path}: the column {name} is not numbers") from None
    return table


def write_offset_list(results, path, flux_scale=None, inputs=()):
    """Write (or update) the MUSE pipeline's OFFSET_LIST from exposure fits.

    Each row holds what the pipeline must apply from the exposure's original
    pointing: where its cube records a correction already applied, the
    total of that and the one measured (see `offset_list_row`). Rows are
    identified by the first 23 characters of DATE_OBS, as the pipeline
    matches them: if ``path`` exists, the rows of refitted exposures are
    updated in place, other rows are kept as they are, and new exposures
    are appended. An existing table may lack MJD_OBS and FLUX_SCALE. Every
    numeric column is written as float64. The file is written to a
    temporary name and renamed.

    Parameters
    ----------
    results : iterable of `~imphot_astropy.survey.CubePhotometry`
        Fits of any number of exposures (DATE-OBS and MJD-OBS from their
        cube headers).
    path : str or `os.PathLike`
        The OFFSET_LIST FITS file.
    flux_scale : None, "mean" or a band name
        Also write FLUX_SCALE (see `offset_list_row`). Rows of a merged
        table that are not refitted keep theirs; new rows of a table that
        had none get 1 where no scale is given.
    inputs : iterable of str
        Files that must not be replaced.

    Returns
    -------
    table : `~astropy.table.Table`
        The table written.

    Examples
    --------
    >>> import os, tempfile
    >>> from types import SimpleNamespace
    >>> from imphot_astropy.fitting import FittedValue
    >>> r = SimpleNamespace(date_obs="2014-10-22T03:15:40.123", mjd_obs=56952.1,
    ...                     dra=FittedValue(0.36), ddec=FittedValue(-0.18))
    >>> path = os.path.join(tempfile.mkdtemp(), "OFFSET_LIST.fits")
    >>> len(write_offset_list([r], path)), len(write_offset_list([r], path))
    (1, 1)
    """
    rows = [offset_list_row(r, flux_scale) for r in results]
    keys = [r["DATE_OBS"][:DATE_CHARACTERS] for r in rows]
    if len(set(keys)) != len(keys):
        raise UserError("results: two results have the same DATE-OBS (to the "
                        f"{DATE_CHARACTERS} characters by which the pipeline matches)")
    table = _read_existing(path) if os.path.exists(path) else Table()
    with_scale = any("FLUX_SCALE" in row for row in rows) or "FLUX_SCALE" in table.colnames
    # A table that its author wrote without MJD_OBS (optional for the
    # pipeline) stays without it.
    with_mjd = not table.colnames or "MJD_OBS" in table.colnames
    names = list(_REQUIRED) + (["MJD_OBS"] if with_mjd else []) \
        + (["FLUX_SCALE"] if with_scale else []) + list(_PARTS)
    names += [n for n in table.colnames if n not in names]
    if not table.colnames:
        table = Table({n: np.zeros(0, dtype="U32" if n == "DATE_OBS" else np.float64)
                       for n in names})
    for name in names:
        if name not in table.colnames:
            # Rows written before this column: 1 = no scale, NaN = unknown.
            table[name] = np.full(len(table), 1.0 if name == "FLUX_SCALE" else np.nan)
    table = table[names]
    width = max([len(r["DATE_OBS"]) for r in rows] + [table["DATE_OBS"].dtype.itemsize // 4,
                                                       DATE_CHARACTERS])
    table["DATE_OBS"] = table["DATE_OBS"].astype(f"U{width}")
    existing = {}
    for i, date in enumerate(table["DATE_OBS"]):
        existing.setdefault(str(date)[:DATE_CHARACTERS], i)   # the first match wins
    for key, row in zip(keys, rows):
        if key in existing:
            i = existing[key]
            for name in names:
                if name in row:
                    table[name][i] = row[name]
        else:
            table.add_row([row.get(n, 1.0 if n == "FLUX_SCALE" else np.nan) for n in names])
    for name, unit in _UNITS.items():
        if name in table.colnames:
            table[name].unit = unit
    hdu = fits.table_to_hdu(table)
    hdu.name = "OFFSET_LIST"
    write_fits_atomically(fits.HDUList([fits.PrimaryHDU(), hdu]), path, inputs=inputs,
                          argname="path")
    return table
