"""A synthetic survey table, as ``fit_cube_photometry --table`` writes it.

Fitting hundreds of exposure cubes to test or benchmark what reads the
survey table (the survey report) would take minutes per test; the table
itself is only numbers. `make_survey_table` writes those numbers from a
known per-exposure truth plus Gaussian measurement noise, in the columns,
units, types and meta of the table that
`~imphot_astropy.survey.CubePhotometry.to_table` makes (a test in
``report/tests`` compares the two column by column), with the primary
headers the exposures' cubes would carry (the seeing monitor, airmass,
exposure time). The column names come from the package's own table makers
(`~imphot_astropy.fitting.photometry_table`,
`~imphot_astropy.fitting.quality.quality_columns`) and the polynomial
degrees and their notes from the survey fit's own rule, so that the two
cannot drift apart.
"""

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.table import MaskedColumn, Table
from astropy.time import Time

from ..fitting import photometry_table
from ..fitting.quality import quality_columns
from ..fitting.results import ANGULAR_PARAMETERS
from ..fitting.solvers import IMAGE_FIT_SOLVER, LevenbergMarquardt
from ..report import seeing_fwhm
from ..survey.cube_fit import polynomial_degrees
from .exposures import SURVEY_FILTERS, DEFAULT_SCALES
from .synthetic import SYNTHETIC_UNIT

__all__ = ["make_survey_table"]

# The effective wavelength of each band's image in a MUSE cube (4750-9350 A)
# and the filter's pivot (Angstrom), as fit_cube_photometry reports them.
_WAVELENGTHS = {"F606W": (5962.0, 5921.1), "F775W": (7660.0, 7692.4),
                "F814W": (8046.0, 8057.0), "F850LP": (8800.0, 9033.2)}
# The columns of photometry_table common to all methods, those the image
# fits add, the quality columns, then those CubePhotometry.to_table adds.
_COMMON = photometry_table([]).colnames
_PARAMETERS = tuple(c for c in _COMMON if c + "_err" in _COMMON)
_IMAGE_COLUMNS = ("at_bound", "rchi")
_QUALITY = tuple(quality_columns(None))
_CUBE_COLUMNS = ("date_obs", "mjd_obs", "filter", "pivot", "wavelength",
                 "applied_dra", "applied_ddec", "applied_flux_scale")
_COLUMNS = tuple(_COMMON) + _IMAGE_COLUMNS + _QUALITY + _CUBE_COLUMNS
_UNITLESS = ("scale", "beta")


def _conditions(n, rng, start):
    """Per exposure: DATE-OBS (1 h apart, 10 per night), seeing, airmass."""
    hours = np.array([24.0 * (i // 10) + (i % 10) for i in range(n)])
    times = Time(start, format="isot", scale="utc") + hours * u.hour
    seeing = rng.uniform(0.6, 1.1, n)
    # Each night the field rises, transits and sets.
    phase = (np.arange(n) % 10) / 9.0
    airmass = 1.0 + 0.5 * (2.0 * phase - 1.0) ** 2 + rng.uniform(0.0, 0.05, n)
    return times, seeing, airmass


def _row(name, method, band, values, errors, truth, goodness):
    row = {"name": name, "method": method}
    for p in _PARAMETERS:
        row[p] = values[p]
        row[p + "_err"] = errors[p]
        row[p + "_fixed"] = p == "beta" and errors[p] == 0.0
    row["rms_error"] = 0.008 if method == "image" else 0.005
    row["at_bound"] = ""
    row["rchi"] = 0.05 if method == "image" else np.nan   # masked for joint rows
    row["goodness"] = goodness if method == "image" else np.nan
    row["n_pixels"] = 22500 if method == "image" else 0
    row["masked_fraction"] = 0.6 if method == "image" else np.nan
    row["hst_name"] = f"hst_{band}" if method == "image" else ""
    row["band"] = f"acs_wfc_{band.lower()}" if method == "image" else ""
    for column in _QUALITY:
        if column.startswith("flag_"):
            row[column] = False
    row["flags"] = row["excluded"] = ""
    row.update(date_obs=truth["date_obs"], mjd_obs=truth["mjd_obs"], filter=band,
               pivot=_WAVELENGTHS[band][1], wavelength=_WAVELENGTHS[band][0])
    row["applied_dra"], row["applied_ddec"] = truth["applied"]
    row["applied_flux_scale"] = np.nan
    return {column: row[column] for column in _COLUMNS}


def _exposure_rows(name, truth, filters, rng, noise, cos_dec):
    """The single-band rows then the joint rows of one exposure."""
    rows = []
    joint_offset = {p: truth[p] + rng.normal(0.0, noise["offset"]) for p in ("dx", "dy")}
    for method in ("image", "joint"):
        for band in filters:
            lam = _WAVELENGTHS[band][0]
            fwhm = truth["fwhm_at"](lam)
            scatter = 1.0 if method == "image" else 0.5
            values = {"scale": truth["scales"][band] * (1 + rng.normal(0, noise["scale"])),
                      "fwhm": fwhm * (1 + rng.normal(0, noise["fwhm"] * scatter)),
                      "beta": truth["beta"], "bg": rng.normal(0.0, noise["bg"])}
            errors = {"scale": noise["scale"] * truth["scales"][band],
                      "fwhm": noise["fwhm"] * fwhm * scatter, "beta": 0.0,
                      "bg": noise["bg"]}
            for p in ("dx", "dy"):
                values[p] = (joint_offset[p] if method == "joint"
                             else truth[p] + rng.normal(0.0, 2 * noise["offset"]))
                errors[p] = noise["offset"] * (1 if method == "joint" else 2)
            # The synthetic WCS has RA growing to the left, Dec upwards; dra
            # is a difference of RA coordinates, the on-sky angle / cos(Dec).
            for p, sign in (("dra_sky", -1.0), ("ddec_sky", 1.0)):
                axis = "dx" if p == "dra_sky" else "dy"
                values[p], errors[p] = sign * values[axis], errors[axis]
            values["dra"], errors["dra"] = values["dra_sky"] / cos_dec, errors["dx"] / cos_dec
            values["ddec"], errors["ddec"] = values["ddec_sky"], errors["ddec_sky"]
            goodness = float(rng.uniform(0.85, 1.15))
            rows.append(_row(name, method, band, values, errors, truth, goodness))
    return rows


def _header(truth, exptime):
    header = fits.Header()
    header["DATE-OBS"] = truth["date_obs"]
    header["MJD-OBS"] = truth["mjd_obs"]
    header["EXPTIME"] = (exptime, "[s] total integration time")
    for edge, change in (("START", -0.03), ("END", 0.03)):
        header[f"HIERARCH ESO TEL AMBI FWHM {edge}"] = (
            round(truth["seeing"] + change, 3), "[arcsec] observatory seeing")
        header[f"HIERARCH ESO TEL AIRM {edge}"] = (
            round(truth["airmass"] + change / 3, 3), "airmass")
    return header


def _table(rows, filters):
    table = Table(rows=rows, names=list(rows[0]))
    for name in table.colnames:
        base = name.removesuffix("_err")
        if base in ANGULAR_PARAMETERS or name in ("applied_dra", "applied_ddec"):
            table[name].unit = u.arcsec
        elif base == "bg":
            table[name].unit = SYNTHETIC_UNIT
        elif base == "scale":
            table[name].unit = u.dimensionless_unscaled
    table["n_pixels"] = table["n_pixels"].astype(np.int64)
    table["rchi"] = MaskedColumn(table["rchi"], mask=table["method"] != "image")
    table.meta.update({
        "imphot_astropy_version": _version(),
        "muse_files": [None] * len(table),
        "hst_files": [f"hst_{r['filter']}.fits" if r["method"] == "image" else None
                      for r in table],
        "hst_filters": [str(r["filter"]) if r["method"] == "image" else None for r in table],
        "fit_options": {"image": {"fix_beta": 2.5, "margin": 2.0}, "joint": {}},
        "filter_curves": {band: f"acs_wfc_{band.lower()}" for band in filters}})
    degrees, notes = polynomial_degrees(len(filters))
    table.meta.update(FWHM_DEGREE=degrees["fwhm"], BETA_DEGREE=degrees["beta"],
                      NOTES=list(notes),
                      # The solvers of a default run, as fit_cube_photometry records them.
                      BAND_SOLVER=IMAGE_FIT_SOLVER.name,
                      JOINT_SOLVER=LevenbergMarquardt().name)
    return table


def _version():
    from ..fitting.provenance import table_meta
    return table_meta([])["imphot_astropy_version"]


def make_survey_table(n_exposures=20, filters=SURVEY_FILTERS, offset=(0.05, -0.03),
                      offset_scatter=0.04, fwhm_ratio=0.8, beta=2.5, offset_jumps=None,
                      seeing_mismatches=None, scales=None, exptime=900.0,
                      start="2014-10-22T01:00:00.000", dec=-60.56, applied_offsets=None,
                      seed=0):
    """A survey table with known per-exposure truth, and the cubes' primary headers.

    Each exposure gets a seeing monitor value (0.6-1.1" at 5000 A, zenith)
    and an airmass (1.0-1.55 over a night of 10 one-hour exposures); its
    true FWHM at wavelength lam is ``fwhm_ratio * seeing * airmass**0.6 *
    (lam / 5000)**-0.2`` (`~imphot_astropy.report.seeing_fwhm`), its true offset ``offset``
    plus a Gaussian scatter of ``offset_scatter``. The offsets on the sky
    are ``dra_sky = -dx`` and ``ddec_sky = dy`` (RA grows to the left), the
    differences of coordinates ``dra = dra_sky / cos(dec)`` and ``ddec =
    ddec_sky``, as the command writes them. The table's values are
    the truth plus Gaussian errors of the size of those of a 150 x 150
    synthetic exposure (offsets 3 mas, FWHM 0.3%, scales 0.2%), with those
    errors in the ``_err`` columns.

    Parameters
    ----------
    n_exposures : int
    filters : sequence of str
        Among F606W, F775W, F814W and F850LP.
    offset : (float, float)
        The mean true (dx, dy), arcsec.
    offset_scatter : float
        The standard deviation of the true offsets about it, arcsec.
    fwhm_ratio : float
        The true FWHM over the seeing monitor's (airmass and wavelength
        scaled).
    beta : float
        The Moffat beta (held fixed, as with ``--fix-beta``).
    offset_jumps : dict, optional
        Exposure index -> (ddx, ddy) added to its true offset.
    seeing_mismatches : dict, optional
        Exposure index -> factor multiplying its true FWHM (not its seeing
        monitor value).
    scales : dict, optional
        Band -> true flux scale (default as `make_exposure_cube`).
    exptime : float
        EXPTIME of every exposure, s.
    start : str
        DATE-OBS of the first exposure.
    dec : float
        The field's declination, degrees (default the HDFS's, as the
        synthetic exposures' WCS).
    applied_offsets : dict, optional
        Exposure index -> (dra, ddec), the offset the pipeline had already
        applied to its cube (arcsec, differences of coordinates; the
        ``applied_dra``, ``applied_ddec`` columns; 0 for the others).
    seed : int

    Returns
    -------
    table : `~astropy.table.Table`
        Rows per exposure and band: method "image", then "joint"; the meta
        has the degrees of the joint fit's polynomials and their notes
        (capped for fewer than two or three bands).
    headers : dict
        Exposure name -> its primary header (`astropy.io.fits.Header`).
    truth : `~astropy.table.Table`
        Per exposure: name, date_obs, mjd_obs, dx, dy, seeing, airmass and
        fwhm_ref (the true FWHM at 7000 A).

    Examples
    --------
    >>> table, headers, truth = make_survey_table(5, filters=("F606W", "F814W"))
    >>> len(table), sorted(set(str(m) for m in table["method"])), len(headers)
    (20, ['image', 'joint'], 5)
    >>> bool(headers["exp0003"]["ESO TEL AMBI FWHM START"] == round(truth["seeing"][3] - 0.03, 3))
    True
    """
    unknown = [f for f in filters if f not in _WAVELENGTHS]
    if unknown:
        raise ValueError(f"filters: no synthetic survey band {unknown}")
    if not -90.0 < dec < 90.0:
        raise ValueError(f"dec: {dec} is not a declination strictly between -90 and 90 degrees")
    cos_dec = float(np.cos(np.radians(dec)))
    rng = np.random.default_rng(seed)
    times, seeing, airmass = _conditions(n_exposures, rng, start)
    scales = dict(DEFAULT_SCALES if scales is None else scales)
    noise = {"offset": 0.003, "fwhm": 0.003, "scale": 0.002, "bg": 0.004}
    rows, headers, truths = [], {}, []
    for i in range(n_exposures):
        name = f"exp{i:04d}"
        ratio = fwhm_ratio * (seeing_mismatches or {}).get(i, 1.0)
        jump = (offset_jumps or {}).get(i, (0.0, 0.0))
        truth = {"name": name, "date_obs": times[i].isot, "mjd_obs": float(times[i].mjd),
                 "dx": offset[0] + rng.normal(0.0, offset_scatter) + jump[0],
                 "dy": offset[1] + rng.normal(0.0, offset_scatter) + jump[1],
                 "seeing": float(seeing[i]), "airmass": float(airmass[i]),
                 "scales": scales, "beta": beta,
                 "applied": tuple(float(v) for v in (applied_offsets or {}).get(i, (0.0, 0.0)))}
        truth["fwhm_at"] = (lambda lam, s=seeing[i], a=airmass[i], r=ratio:
                            float(r * seeing_fwhm(s, a, lam)))
        rows += _exposure_rows(name, truth, filters, rng, noise, cos_dec)
        headers[name] = _header(truth, exptime)
        truths.append({k: truth[k] for k in ("name", "date_obs", "mjd_obs", "dx", "dy",
                                              "seeing", "airmass")}
                      | {"fwhm_ref": truth["fwhm_at"](7000.0)})
    return _table(rows, filters), headers, Table(rows=truths)
