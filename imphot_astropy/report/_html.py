"""The report's HTML: Jinja2 templates (package data) filled with a summary's numbers.

The pages are written from the templates in ``templates/`` with
autoescaping on (an exposure name or a flag's reason cannot inject markup);
this module only prepares the values each template shows, formatted.
"""

import datetime
import functools
import os
import shutil

import numpy as np

from ..io import atomic_output

__all__ = ["GENERATOR", "write_survey_page", "write_exposure_page", "write_style"]

#: The pages' ``<meta name="generator">``: marks a directory as a report
#: that ``overwrite=True`` may replace.
GENERATOR = "imphot_astropy survey_report"
_TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")


@functools.lru_cache(maxsize=None)
def _environment():
    # One environment: it compiles each template once (a survey has
    # hundreds of exposure pages).
    import jinja2
    return jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def _write(path, text):
    with atomic_output(path, (), "output_dir") as tmpname:
        with open(tmpname, "w", encoding="utf-8") as stream:
            stream.write(text)


def _number(value, fmt):
    value = float(value)
    return format(value, fmt) if np.isfinite(value) else "–"


def _error(value, error, fmt):
    if not np.isfinite(float(error)) or float(error) == 0:
        return _number(value, fmt)
    return f"{_number(value, fmt)} ± {_number(error, fmt.lstrip('+'))}"


def _href(slug):
    return f"exposures/{slug}.html"


def _exposure_links(summary):
    return [{"name": str(r["name"]), "href": _href(r["slug"]), "date_obs": str(r["date_obs"]),
             "outliers": summary.outliers[str(r["name"])],
             "flags": summary.flags[str(r["name"])]} for r in summary.exposures]


def _table_rows(summary):
    rows = []
    for i, r in enumerate(summary.exposures):
        name = str(r["name"])
        n_flags = int(r["n_flags"])
        rows.append({"index": i, "name": name, "href": _href(r["slug"]),
                     "date_obs": str(r["date_obs"]), "flagged": n_flags > 0,
                     "dra": _error(r["dra_sky"], r["dra_sky_err"], "+.3f"),
                     "ddec": _error(r["ddec_sky"], r["ddec_sky_err"], "+.3f"),
                     "psf": [(_error(r[f"fwhm_{b}"], r[f"fwhm_err_{b}"], ".3f"),
                              _error(r[f"beta_{b}"], r[f"beta_err_{b}"], ".2f"))
                             for b in summary.reference_bands],
                     "seeing": _number(r["seeing"], ".2f"),
                     "airmass": _number(r["airmass"], ".2f"),
                     "goodness": _number(r["goodness"], ".2f"),
                     "flag_text": _flag_text(summary, name)})
    return rows


def _flag_text(summary, name):
    kinds = []
    if summary.outliers[name]:
        kinds.append("outlier")
    kinds += sorted({flag.split(": ", 1)[1].split(":")[0] for flag in summary.flags[name]
                     if ": " in flag})
    return ", ".join(kinds)


def write_survey_page(summary, directory, figures, title, source):
    """Write ``index.html``: the numbers, outliers, figures and the exposures' table.

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_survey_table
    >>> from imphot_astropy.report import summarise_survey, observing_conditions
    >>> table, headers, _ = make_survey_table(3, filters=("F606W", "F814W"))
    >>> summary = summarise_survey(table, observing_conditions(headers))
    >>> directory = tempfile.mkdtemp()
    >>> write_survey_page(summary, directory, [], "Three exposures", "a table")
    >>> with open(os.path.join(directory, "index.html")) as page:
    ...     "Three exposures" in page.read()
    True
    """
    from .. import __version__
    stats = summary.statistics()
    links = _exposure_links(summary)
    reference_wavelengths = {b: float(np.nanmedian(np.asarray(
        summary.exposures[f"wavelength_{b}"], dtype=float))) for b in summary.reference_bands}
    text = _environment().get_template("survey.html").render(
        generator=GENERATOR, title=title, version=__version__, source=source,
        made=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        stats=stats, bands=summary.bands, reference_bands=summary.reference_bands,
        reference_wavelengths=reference_wavelengths, limit=summary.limit,
        flagged=[link for link in links if link["outliers"] or link["flags"]],
        notes=summary.notes,
        figures=figures, rows=_table_rows(summary))
    _write(os.path.join(directory, "index.html"), text)


_FIT_COLUMNS = ("method", "filter", "wavelength (Å)", "scale", "FWHM (″)", "beta",
                "ΔRA cos δ (″)", "ΔDec (″)", "goodness", "flags")


def _fit_rows(rows):
    out = []
    for r in rows:
        cells = [str(r["method"]), str(r["filter"]), _number(r["wavelength"], ".0f"),
                 _error(r["scale"], r["scale_err"], ".4f"),
                 _error(r["fwhm"], r["fwhm_err"], ".4f"),
                 _error(r["beta"], r["beta_err"], ".3f"),
                 _error(r["dra_sky"], r["dra_sky_err"], "+.4f"),
                 _error(r["ddec_sky"], r["ddec_sky_err"], "+.4f"),
                 _number(r["goodness"], ".3f"), str(r["flags"])]
        out.append({"cells": cells, "flagged": bool(str(r["flags"]).strip())})
    return out


def _conditions(row):
    shown = []
    if np.isfinite(row["seeing"]):
        shown.append(("seeing monitor (ESO TEL AMBI FWHM)",
                      f"{_number(row['seeing_start'], '.2f')}″ to "
                      f"{_number(row['seeing_end'], '.2f')}″ (at 5000 Å, zenith); "
                      f"{_number(row['seeing_fwhm'], '.3f')}″ scaled to the reference band"))
    if np.isfinite(row["airmass"]):
        shown.append(("airmass", _number(row["airmass"], ".3f")))
    if np.isfinite(row["exptime"]):
        shown.append(("EXPTIME", f"{_number(row['exptime'], '.0f')} s"))
    return shown


def _offset_list(row):
    """The OFFSET_LIST's differences of coordinates: fitted, already applied, their sum."""
    fitted = (float(row["dra"]), float(row["ddec"]))
    applied = (float(row["applied_dra"]), float(row["applied_ddec"]))
    shown = {"fitted": fitted, "applied": applied,
             "total": (fitted[0] + applied[0], fitted[1] + applied[1])}
    return {k: f"dRA {v[0]:+.4f}″, dDec {v[1]:+.4f}″" for k, v in shown.items()}


def write_exposure_page(summary, index, directory, title, joint_figure, joint_caption,
                        band_figures=(), fit_report=None):
    """Write ``exposures/<slug>.html`` for the exposure at ``index`` (time order).

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_survey_table
    >>> from imphot_astropy.report import summarise_survey, observing_conditions
    >>> table, headers, _ = make_survey_table(3, filters=("F606W", "F814W"))
    >>> summary = summarise_survey(table, observing_conditions(headers))
    >>> directory = tempfile.mkdtemp()
    >>> os.mkdir(os.path.join(directory, "exposures"))
    >>> write_exposure_page(summary, 0, directory, "Survey", "e.png", "The joint fit.")
    >>> slug = summary.exposures["slug"][0]
    >>> os.listdir(os.path.join(directory, "exposures")) == [f"{slug}.html"]
    True
    """
    exposures = summary.exposures
    row = exposures[index]
    name = str(row["name"])

    def neighbour(k):
        if 0 <= k < len(exposures):
            return {"name": str(exposures["name"][k]), "href": f"{exposures['slug'][k]}.html"}
        return None

    text = _environment().get_template("exposure.html").render(
        generator=GENERATOR, title=title, name=name, date_obs=str(row["date_obs"]),
        previous=neighbour(index - 1), next=neighbour(index + 1),
        dra=_error(row["dra_sky"], row["dra_sky_err"], "+.4f") + "″",
        ddec=_error(row["ddec_sky"], row["ddec_sky_err"], "+.4f") + "″",
        offset_list=_offset_list(row),
        conditions=_conditions(row), applied=summary.applied[name],
        outliers=summary.outliers[name], flags=summary.flags[name],
        joint_figure=joint_figure, joint_caption=joint_caption,
        band_figures=list(band_figures), fit_columns=_FIT_COLUMNS,
        fit_rows=_fit_rows(summary.rows[name]), fit_report=fit_report)
    _write(os.path.join(directory, "exposures", f"{row['slug']}.html"), text)


def write_style(directory):
    """Copy the pages' style sheet.

    Examples
    --------
    >>> import tempfile
    >>> directory = tempfile.mkdtemp()
    >>> write_style(directory)
    >>> os.listdir(directory)
    ['style.css']
    """
    with atomic_output(os.path.join(directory, "style.css"), (), "output_dir") as tmpname:
        shutil.copyfile(os.path.join(_TEMPLATES, "style.css"), tmpname)
