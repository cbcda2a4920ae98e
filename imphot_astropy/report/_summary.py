"""The numbers of a survey report: one row per exposure, and the outliers.

The survey table has a row per exposure and band for the single-band fits
(method "image") and for the joint fit ("joint"). `summarise_survey` turns
it into one row per exposure (the joint offset, and the FWHM, beta, flux
scale and background of each band), adds the observing conditions of the
cubes' primary headers, and finds the exposures that stand out, with the
batch flags' rule (`~imphot_astropy.fitting.quality.flag_outliers`: more than
``limit`` robust sigmas, 1.4826 MAD, from the survey's median).
"""

import os
import re
from dataclasses import dataclass, field

import numpy as np
from astropy.io import fits
from astropy.table import Table, vstack

from ..exceptions import UserError
# The batch flags' median and robust sigma (1.4826 MAD), and their outlier rule.
from ..fitting.quality import OUTLIER_LIMIT, OUTLIER_QUANTITIES, robust_sigma, flag_outliers

__all__ = ["SurveySummary", "summarise_survey", "read_survey_table", "observing_conditions",
           "seeing_fwhm", "SEEING_EXPONENTS", "REFERENCE_WAVELENGTH"]

#: How the PSF's FWHM scales with airmass and wavelength for Kolmogorov
#: turbulence (FWHM ~ airmass**0.6 * wavelength**-0.2); the seeing monitor
#: (``ESO TEL AMBI FWHM``) reports its FWHM at 5000 Angstrom at zenith.
SEEING_EXPONENTS = {"airmass": 0.6, "wavelength": -0.2, "reference": 5000.0}
#: Without ``reference_bands``, the FWHM is shown at the band nearest this
#: wavelength (Angstrom), the middle of the MUSE range.
REFERENCE_WAVELENGTH = 7000.0

_REQUIRED = ("name", "method", "filter", "wavelength", "date_obs", "mjd_obs", "dx", "dy",
             "dra", "dra_err", "ddec", "ddec_err", "dra_sky", "dra_sky_err", "ddec_sky",
             "ddec_sky_err", "fwhm", "fwhm_err", "beta", "beta_err",
             "scale", "scale_err", "bg", "bg_err", "goodness", "flags")
# What a person compares between exposures is the offset on the sky (ΔRA cos δ,
# ΔDec), not the difference of RA coordinates (which grows as 1 / cos δ), so
# the outliers are found on those, with the batch flags' floors of dx, dy.
_SKY_OUTLIER_QUANTITIES = {{"dx": "dra_sky", "dy": "ddec_sky"}.get(q, q): floor
                           for q, floor in OUTLIER_QUANTITIES.items()}
# The pipeline's correction already applied (differences of coordinates,
# arcsec; absent from tables written before these columns existed).
_APPLIED = {"applied_dra": 0.0, "applied_ddec": 0.0, "applied_flux_scale": np.nan}
_BAND_QUANTITIES = ("fwhm", "beta", "scale", "bg", "wavelength")
# A robust sigma of the FWHM over the seeing monitor's below this is taken
# as this: the monitor measures another light path than the telescope's,
# so agreement to better than 2% is not expected.
_SEEING_RATIO_FLOOR = 0.02


def seeing_fwhm(seeing, airmass, wavelength):
    """The seeing monitor's FWHM scaled to an airmass and wavelength.

    Parameters
    ----------
    seeing : float or array
        ``ESO TEL AMBI FWHM`` (arcsec, at 5000 Angstrom, zenith).
    airmass : float or array
        NaN is taken as 1 (zenith).
    wavelength : float or array
        Angstrom.

    Examples
    --------
    >>> round(float(seeing_fwhm(0.8, 1.2, 7000.0)), 3)
    0.834
    """
    e = SEEING_EXPONENTS
    airmass = np.where(np.isfinite(airmass), airmass, 1.0)
    return (np.asarray(seeing, dtype=float) * airmass ** e["airmass"]
            * (np.asarray(wavelength, dtype=float) / e["reference"]) ** e["wavelength"])


def read_survey_table(table, argname="table"):
    """The survey table: a `~astropy.table.Table`, a file, or a list of fits.

    Parameters
    ----------
    table : `~astropy.table.Table`, str, `os.PathLike` or list
        The table ``fit_cube_photometry --table`` wrote, its file (ECSV or
        FITS), or `~imphot_astropy.survey.CubePhotometry` results.

    Raises
    ------
    UserError
        If the file cannot be read or lacks a column of the survey table.

    Examples
    --------
    >>> read_survey_table(Table({"name": ["a"]}))
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: table: not a survey table of fit_cube_photometry (no column method, filter, wavelength, date_obs, mjd_obs, dx, dy, dra, dra_err, ddec, ddec_err, dra_sky, dra_sky_err, ddec_sky, ddec_sky_err, fwhm, fwhm_err, beta, beta_err, scale, scale_err, bg, bg_err, goodness, flags)
    """
    if isinstance(table, (list, tuple)):
        if not table:
            raise UserError(f"{argname}: no fit results")
        table = vstack([r.to_table() for r in table], metadata_conflicts="silent")
    elif not isinstance(table, Table):
        path = os.fspath(table)
        if not os.path.isfile(path):
            raise UserError(f"{argname}: {path}: no such file")
        try:
            table = Table.read(path)
        except Exception as exc:  # astropy raises many kinds for a bad file
            raise UserError(f"{argname}: cannot read {path} as a table ({exc})") from None
    missing = [c for c in _REQUIRED if c not in table.colnames]
    if missing:
        raise UserError(f"{argname}: not a survey table of fit_cube_photometry (no column "
                        f"{', '.join(missing)})")
    if not np.any(table["method"] == "joint"):
        raise UserError(f"{argname}: no joint-fit rows (method 'joint'): not a survey table")
    return table


def _header_float(header, key):
    try:
        return float(header[key])
    except (KeyError, TypeError, ValueError):
        return np.nan


def _mean_of(header, key):
    values = [_header_float(header, f"{key} {edge}") for edge in ("START", "END")]
    return float(np.nanmean(values)) if np.any(np.isfinite(values)) else np.nan


def _applied_offsets(header):
    """The pipeline offsets already applied (``ESO DRS MUSE OFFSETi``), arcsec."""
    applied = []
    for i in range(1, 1000):
        dra = _header_float(header, f"ESO DRS MUSE OFFSET{i} DRA")
        ddec = _header_float(header, f"ESO DRS MUSE OFFSET{i} DDEC")
        if not (np.isfinite(dra) or np.isfinite(ddec)):
            break
        applied.append({"date": str(header.get(f"ESO DRS MUSE OFFSET{i} DATE", "")),
                        "dra": dra * 3600.0, "ddec": ddec * 3600.0})
    return applied


def _cube_name(path):
    return os.path.basename(os.fspath(path)).rsplit(".fits", 1)[0]


def observing_conditions(cubes, argname="cubes"):
    """The observing conditions of exposures, from their primary headers.

    Parameters
    ----------
    cubes : iterable of str, or dict
        Cube files (their names, without ``.fits``, are the exposures'
        names in the survey table), or exposure name -> primary header.

    Returns
    -------
    conditions : dict
        Exposure name -> dict of ``seeing``, ``seeing_start``,
        ``seeing_end`` (``ESO TEL AMBI FWHM``, arcsec), ``airmass`` (mean of
        ``ESO TEL AIRM START/END``), ``exptime`` (s) and ``applied`` (a
        list of the offsets already applied, arcsec); NaN where absent.

    Examples
    --------
    >>> header = fits.Header({"HIERARCH ESO TEL AMBI FWHM START": 0.7,
    ...                       "HIERARCH ESO TEL AMBI FWHM END": 0.9, "EXPTIME": 900})
    >>> c = observing_conditions({"exp1": header})["exp1"]
    >>> round(c["seeing"], 2), c["exptime"], bool(np.isnan(c["airmass"]))
    (0.8, 900.0, True)
    """
    if cubes is None:
        return {}
    if isinstance(cubes, dict):
        headers = dict(cubes)
    else:
        headers = {}
        for path in cubes:
            try:
                headers[_cube_name(path)] = fits.getheader(path, 0)
            except (OSError, ValueError) as exc:
                raise UserError(f"{argname}: cannot read the primary header of {path} "
                                f"({exc})") from None
    return {name: {"seeing": _mean_of(h, "ESO TEL AMBI FWHM"),
                   "seeing_start": _header_float(h, "ESO TEL AMBI FWHM START"),
                   "seeing_end": _header_float(h, "ESO TEL AMBI FWHM END"),
                   "airmass": _mean_of(h, "ESO TEL AIRM"),
                   "exptime": _header_float(h, "EXPTIME"),
                   "applied": _applied_offsets(h)}
            for name, h in headers.items()}


def _slug(name, taken):
    """A file name for an exposure's page: safe in a URL and unique."""
    slug = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "exposure"
    base, n = slug, 1
    while slug.lower() in taken:
        n += 1
        slug = f"{base}_{n}"
    taken.add(slug.lower())
    return slug


@dataclass(repr=False, eq=False)
class SurveySummary:
    """A survey, one row per exposure, with its outliers and flags.

    Made complete by `summarise_survey`; its parameters are its attributes.

    Parameters
    ----------
    exposures : `~astropy.table.Table`
        One row per exposure in time order: ``name``, ``slug`` (its page's
        file name), ``date_obs``, ``mjd_obs``, the joint ``dx``, ``dy``,
        ``dra``, ``ddec`` and their ``_err``; per band B, ``fwhm_B``,
        ``beta_B``, ``scale_B``, ``bg_B`` and their ``_err`` (joint fit)
        and ``wavelength_B``; ``goodness`` (the largest of the single-band
        fits'); ``seeing``, ``seeing_start``, ``seeing_end``, ``airmass``,
        ``exptime``; ``seeing_fwhm`` (the monitor's FWHM scaled to the
        first reference band, `seeing_fwhm`) and ``fwhm_over_seeing``;
        ``n_flags``.
    bands : list of str
        The filters, by wavelength.
    reference_bands : list of str
    outliers : dict
        Exposure name -> the reasons it stands out (robust median/MAD).
    flags : dict
        Exposure name -> the flags of its fits in the table.
    applied : dict
        Exposure name -> offsets already applied (see `observing_conditions`).
    rows : dict
        Exposure name -> its rows of the survey table.
    limit : float
        The outlier threshold, robust sigmas.
    ambiguous : set of str, optional
        Names the table gives to several exposures (fits of cubes in
        memory are all "cube"): those exposures are named "<name>
        <DATE-OBS>". Empty by default.
    notes : list of str, optional
        The notes of the fits (the table's ``NOTES``), shown on the survey
        page. Empty by default.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_survey_table
    >>> table, headers, _ = make_survey_table(4, filters=("F606W", "F814W"))
    >>> summary = summarise_survey(table, observing_conditions(headers))
    >>> len(summary.exposures), summary.bands
    (4, ['F606W', 'F814W'])
    """

    exposures: Table
    bands: list
    reference_bands: list
    outliers: dict
    flags: dict
    applied: dict
    rows: dict
    limit: float
    ambiguous: set = field(default_factory=set)
    notes: list = field(default_factory=list)

    def flagged(self):
        """The names of the exposures with an outlier or a fit flag, in time order."""
        return [str(n) for n in self.exposures["name"] if self.outliers[n] or self.flags[n]]

    def statistics(self):
        """The survey's numbers: counts, median and robust scatter of the offsets, FWHM.

        Returns
        -------
        stats : dict
            ``n_exposures``, ``n_bands``, ``n_flagged`` (exposures),
            ``n_flagged_fits`` (table rows with a flag), ``n_outliers``;
            per quantity (``dra``, ``ddec``, ``fwhm_B`` of each reference
            band): its median and robust scatter (1.4826 MAD), in
            ``median_<q>`` and ``scatter_<q>``.
        """
        t = self.exposures
        stats = {"n_exposures": len(t), "n_bands": len(self.bands),
                 "n_flagged": len(self.flagged()),
                 "n_flagged_fits": sum(len(v) for v in self.flags.values()),
                 "n_outliers": sum(1 for v in self.outliers.values() if v)}
        for q in ["dra_sky", "ddec_sky"] + [f"fwhm_{b}" for b in self.reference_bands]:
            values = np.asarray(t[q], dtype=float)
            values = values[np.isfinite(values)]
            median, scatter = robust_sigma(values) if values.size else (np.nan, np.nan)
            stats[f"median_{q}"], stats[f"scatter_{q}"] = float(median), float(scatter)
        return stats


def _choose_reference_bands(bands, wavelengths, reference_bands):
    if reference_bands is None:
        return [min(bands, key=lambda b: abs(wavelengths[b] - REFERENCE_WAVELENGTH))]
    chosen = [str(b).upper() for b in ([reference_bands] if isinstance(reference_bands, str)
                                       else reference_bands)]
    unknown = [b for b in chosen if b not in bands]
    if unknown or not chosen:
        raise UserError(f"reference_bands: {', '.join(unknown) or 'none given'} not among "
                        f"the survey's bands ({', '.join(bands)})")
    return chosen


def _per_exposure(joint, image, names, bands):
    """One row per exposure from the joint rows (and single-band goodness)."""
    columns = {"name": names}
    first = {str(n): i for i, n in reversed(list(enumerate(joint["name"])))}
    for key in ("date_obs", "mjd_obs", "dx", "dy", "dra", "dra_err", "ddec", "ddec_err",
                "dx_err", "dy_err", "dra_sky", "dra_sky_err", "ddec_sky", "ddec_sky_err"):
        columns[key] = [joint[key][first[n]] for n in names]
    for key, default in _APPLIED.items():
        columns[key] = [float(joint[key][first[n]]) if key in joint.colnames else default
                        for n in names]
    index = {(str(n), str(f)): i for i, (n, f) in enumerate(zip(joint["name"],
                                                               joint["filter"]))}
    for band in bands:
        for q in _BAND_QUANTITIES + tuple(q + "_err" for q in _BAND_QUANTITIES[:-1]):
            columns[f"{q}_{band}"] = [float(joint[q][index[(n, band)]])
                                      if (n, band) in index else np.nan for n in names]
    goodness = {}
    for n, g in zip(image["name"], image["goodness"]):
        if np.isfinite(g):
            goodness[str(n)] = max(goodness.get(str(n), -np.inf), float(g))
    columns["goodness"] = [goodness.get(n, np.nan) for n in names]
    return Table(columns)


def _joint_outliers(joint, limit):
    """Outlier reasons per exposure from the joint rows, per band (dx, dy, scale, FWHM)."""
    copy = Table(joint, copy=True)
    copy["hst_name"] = copy["band"] = [str(f) for f in copy["filter"]]
    copy["flag_outlier"] = False
    copy["flags"] = ""
    flag_outliers(copy, limit=limit, quantities=_SKY_OUTLIER_QUANTITIES)
    found = {}
    for name, band, flagged, text in zip(copy["name"], copy["filter"],
                                         copy["flag_outlier"], copy["flags"]):
        if not flagged:
            continue
        for reason in str(text).split("; "):
            reason = reason.removeprefix("outlier: ")
            found.setdefault(str(name), {}).setdefault(reason, []).append(str(band))
    return {name: [f"{reason} (joint fit, {', '.join(bands)})"
                   for reason, bands in reasons.items()]
            for name, reasons in found.items()}


def _seeing_outliers(exposures, limit):
    """Exposures whose FWHM disagrees with the seeing monitor's, as the batch flags do."""
    good = np.isfinite(np.asarray(exposures["fwhm_over_seeing"], dtype=float))
    if good.sum() < 3:
        return {}
    t = Table({"fwhm_over_seeing": exposures["fwhm_over_seeing"][good],
               "hst_name": ["seeing"] * int(good.sum()), "band": [""] * int(good.sum()),
               "method": ["joint"] * int(good.sum()),
               "flag_outlier": [False] * int(good.sum()), "flags": [""] * int(good.sum())})
    flag_outliers(t, limit=limit, quantities={"fwhm_over_seeing": _SEEING_RATIO_FLOOR})
    names = np.asarray(exposures["name"])[good]
    return {str(n): [str(text).removeprefix("outlier: ")
                     + " (the FWHM over the seeing monitor's)"]
            for n, flagged, text in zip(names, t["flag_outlier"], t["flags"]) if flagged}


def _unique_names(table):
    """Exposure names that tell the exposures apart, and the names that did not.

    The command names an exposure after its cube file; fits of cubes in
    memory are all "cube", and are told apart by their DATE-OBS.
    """
    dates = {}
    for name, date in zip(table["name"], table["date_obs"]):
        dates.setdefault(str(name), set()).add(str(date))
    ambiguous = {n for n, d in dates.items() if len(d) > 1}
    return [f"{n} {d}" if str(n) in ambiguous else str(n)
            for n, d in zip(table["name"], table["date_obs"])], ambiguous


def _table_flags(table):
    flags = {}
    for name, method, band, text in zip(table["name"], table["method"], table["filter"],
                                        table["flags"]):
        if str(text).strip():
            flags.setdefault(str(name), []).append(f"{band} {method} fit: {text}")
    return flags


def _add_conditions(exposures, conditions, reference_band):
    for key in ("seeing", "seeing_start", "seeing_end", "airmass", "exptime"):
        exposures[key] = [conditions.get(n, {}).get(key, np.nan) for n in exposures["name"]]
    lam = np.asarray(exposures[f"wavelength_{reference_band}"], dtype=float)
    exposures["seeing_fwhm"] = seeing_fwhm(exposures["seeing"], exposures["airmass"], lam)
    exposures["fwhm_over_seeing"] = (np.asarray(exposures[f"fwhm_{reference_band}"])
                                     / exposures["seeing_fwhm"])


def summarise_survey(table, conditions=None, reference_bands=None, limit=OUTLIER_LIMIT):
    """One row per exposure, its observing conditions, and the outliers.

    Parameters
    ----------
    table : `~astropy.table.Table`
        The survey table (`read_survey_table`).
    conditions : dict, optional
        `observing_conditions` of the exposures.
    reference_bands : list of str, optional
        The bands at whose wavelength the FWHM is shown; by default the one
        nearest `REFERENCE_WAVELENGTH`.
    limit : float
        Outlier threshold in robust sigmas.

    Returns
    -------
    summary : `SurveySummary`

    Examples
    --------
    >>> from imphot_astropy.datasets import make_survey_table
    >>> table, headers, truth = make_survey_table(20, offset_jumps={7: (0.5, 0.0)})
    >>> summary = summarise_survey(table, observing_conditions(headers))
    >>> [n for n, reasons in summary.outliers.items() if reasons]
    ['exp0007']
    """
    table = table.copy(copy_data=False)
    table["name"], ambiguous = _unique_names(table)
    joint = table[table["method"] == "joint"]
    image = table[table["method"] == "image"]
    names = list(dict.fromkeys(str(n) for n in joint["name"]))
    order = {n: (str(d), float(m) if np.isfinite(m) else np.inf, n)
             for n, d, m in zip(joint["name"], joint["date_obs"], joint["mjd_obs"])}
    names.sort(key=lambda n: (order[n][1], order[n][0], n))
    lam = {}
    for band, w in zip(joint["filter"], joint["wavelength"]):
        lam.setdefault(str(band), []).append(float(w))
    wavelengths = {b: float(np.median(v)) for b, v in lam.items()}
    bands = sorted(wavelengths, key=wavelengths.get)
    references = _choose_reference_bands(bands, wavelengths, reference_bands)
    exposures = _per_exposure(joint, image, names, bands)
    taken = set()
    exposures["slug"] = [_slug(n, taken) for n in names]
    conditions = conditions or {}
    _add_conditions(exposures, conditions, references[0])
    outliers = {n: [] for n in names}
    for source in (_joint_outliers(joint, limit), _seeing_outliers(exposures, limit)):
        for name, reasons in source.items():
            outliers[name] += reasons
    table_flags = _table_flags(table)
    flags = {n: table_flags.get(n, []) for n in names}
    exposures["n_flags"] = [len(outliers[n]) + len(flags[n]) for n in names]
    rows = {n: table[table["name"] == n] for n in names}
    applied = {n: conditions.get(n, {}).get("applied", []) for n in names}
    return SurveySummary(exposures, bands, references, outliers, flags, applied, rows,
                         limit, ambiguous=ambiguous,
                         notes=[str(n) for n in table.meta.get("NOTES", [])])
