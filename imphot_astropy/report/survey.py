"""`survey_report`: a survey at a glance, as a static HTML report.

The report is a directory: ``index.html`` (the survey page), ``style.css``,
the survey figures beside them, and ``exposures/`` with a page and a
figure per exposure. Links are relative, nothing is fetched from a
network: the directory opens from disk in any browser, and can be copied
or archived as it is.

It is built in a new hidden directory beside ``output_dir``
(`~imphot_astropy.io.atomic_directory`; each file
written through `~imphot_astropy.io.atomic_output`) and renamed into place
when complete, so a failed or interrupted report leaves the previous one,
if any, untouched.
"""

import contextlib
import os

from ..exceptions import UserError
from ..io import atomic_directory
from ..utils import worker_count
from ..fitting.quality import OUTLIER_LIMIT
from ._summary import observing_conditions, read_survey_table, summarise_survey
from ._figures import (EXPOSURE_DPI, TableExposure, band_figures, render_exposure_figure,
                       survey_figures)
from ._html import (GENERATOR, write_exposure_page, write_style, write_survey_page)

__all__ = ["survey_report"]

# Below this many exposures, starting worker processes (about 1.5 s each to
# import matplotlib and the package) costs more than it saves: one exposure
# figure takes about 0.15 s.
_MIN_PARALLEL = 24


def _is_report(directory):
    index = os.path.join(directory, "index.html")
    if not os.path.isfile(index):
        return False
    with open(index, encoding="utf-8", errors="replace") as stream:
        return f'content="{GENERATOR}"' in stream.read(2000)


def _check_output_dir(output_dir, overwrite, inputs):
    """Refuse an existing directory unless told to replace a report (nothing else)."""
    output_dir = os.path.abspath(os.fspath(output_dir))
    parent = os.path.dirname(output_dir)
    if not os.path.isdir(parent):
        raise UserError(f"output_dir: {parent} does not exist")
    if os.path.lexists(output_dir):
        if not os.path.isdir(output_dir):
            raise UserError(f"output_dir: {output_dir} exists and is not a directory")
        if not overwrite:
            raise UserError(f"output_dir: {output_dir} exists; give overwrite=True "
                            "(--overwrite) to replace it")
        if os.listdir(output_dir) and not _is_report(output_dir):
            raise UserError(f"output_dir: {output_dir} is not a survey report (no index.html "
                            "made by survey_report): it is not replaced")
        for path in inputs:
            if os.path.abspath(path).startswith(output_dir + os.sep):
                raise UserError(f"output_dir: replacing {output_dir} would delete the input "
                                f"{path}")
    return output_dir


def _workers(nprocess, count):
    if count < _MIN_PARALLEL:
        return 1
    return max(1, min(worker_count(nprocess), count))


@contextlib.contextmanager
def _exposure_figures(jobs, nprocess):
    """Draw the exposure figures: in worker processes while the body runs, if many.

    The workers start on the figures at once, and the main process draws
    the survey figures and writes the pages meanwhile (a third of the
    work); the figures are all written when the block ends.
    """
    nworkers = _workers(nprocess, len(jobs))
    if nworkers == 1:
        yield
        for job in jobs:
            render_exposure_figure(job)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    # "spawn": a fresh interpreter per worker, safe whatever threads the
    # caller runs (fork would copy their locks).
    with ProcessPoolExecutor(nworkers, mp_context=multiprocessing.get_context("spawn")) as pool:
        drawn = pool.map(render_exposure_figure, jobs,
                         chunksize=max(1, len(jobs) // (8 * nworkers)))
        try:
            yield
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        for _ in drawn:
            pass


def _exposure_sources(summary, results):
    """The fit each exposure figure draws: the result itself, else the table's rows."""
    by_name = {}
    for r in results or []:
        name = getattr(r, "name", None)
        by_name[f"{name} {r.date_obs}" if name in summary.ambiguous else name] = r
    return [by_name.get(str(n)) or TableExposure(summary.rows[str(n)])
            for n in summary.exposures["name"]]


_JOINT_CAPTION = {
    True: ("FWHM and beta of each single-band fit at its band's wavelength, with the joint "
           "fit's polynomials and their 1-sigma band; right, each band's offset around the "
           "joint one."),
    False: ("FWHM and beta of each single-band fit at its band's wavelength; the joint fit's "
            "values at the bands, joined by straight lines (the table holds them, not the "
            "polynomials); right, each band's offset around the joint one."),
}


def _build(summary, directory, results, title, source, nprocess):
    """Fill ``directory`` (new and empty; its ``exposures`` subdirectory made)."""
    write_style(directory)
    sources = _exposure_sources(summary, results)
    pages = os.path.join(directory, "exposures")
    jobs = [(src, os.path.join(pages, f"{slug}.png"), EXPOSURE_DPI)
            for src, slug in zip(sources, summary.exposures["slug"])]
    with _exposure_figures(jobs, nprocess):
        figures = survey_figures(summary, directory)
        for index, (src, slug, name) in enumerate(zip(sources, summary.exposures["slug"],
                                                      summary.exposures["name"])):
            fitted = not isinstance(src, TableExposure)
            write_exposure_page(summary, index, directory, title, f"{slug}.png",
                                _JOINT_CAPTION[fitted], band_figures(src, pages, slug, name),
                                getattr(src, "fit_report", None) if fitted else None)
        write_survey_page(summary, directory, figures, title, source)


def survey_report(table, output_dir, cubes=None, results=None, reference_bands=None,
                  overwrite=False, limit=None, title=None, nprocess=0):
    """Make a static HTML report of a survey fitted by ``fit_cube_photometry``.

    The survey page (``output_dir/index.html``) gives the numbers first
    (exposures, bands, flagged exposures, the median and robust scatter of
    the offsets and of the FWHM at the reference bands), names every
    exposure that stands out and every flagged fit, then shows the offsets
    per exposure in time order and on the sky, the FWHM per exposure beside
    the seeing monitor's and against airmass, the FWHM(lambda) and
    beta(lambda) of all exposures, the flux scale and background of each
    band, and a table of the exposures, each linking to its page (the
    joint fit's figure, the per-band fit figures where the fits' products
    were kept, the table's rows of its fits, the fit report when the fits
    are given, the flags with their reasons).

    Outliers are found with the batch flags' rule
    (`~imphot_astropy.fitting.quality.flag_outliers`): more than ``limit`` robust
    sigmas (1.4826 MAD) from the survey's median, for the joint offsets on the sky
    (``dra_sky``, ``ddec_sky``),
    flux scales and FWHM of each band, and for the FWHM over the seeing
    monitor's (`~imphot_astropy.report.seeing_fwhm`, airmass and
    wavelength scaled).

    Parameters
    ----------
    table : `~astropy.table.Table`, str, `os.PathLike` or list
        The survey table (``fit_cube_photometry --table``), its file, or a
        list of `~imphot_astropy.survey.CubePhotometry` fits.
    output_dir : str or `os.PathLike`
        The report's directory; its parent must exist.
    cubes : list of str, or dict, optional
        The exposure cube files (their names without ``.fits`` are the
        table's exposure names), or name -> primary header: the seeing
        monitor (``ESO TEL AMBI FWHM START/END``), airmass (``ESO TEL AIRM
        START/END``), EXPTIME and offsets already applied (``ESO DRS MUSE
        OFFSETi``).
    results : list of `~imphot_astropy.survey.CubePhotometry`, optional
        The fits themselves: their exposure pages draw the joint
        polynomials and show the fit report (and the per-band figures when
        the fits were made in this process).
    reference_bands : list of str, optional
        The bands at which the FWHM is shown; default: the band nearest
        7000 Angstrom.
    overwrite : bool
        Replace ``output_dir`` if it is a report made by this function.
    limit : float, optional
        The outlier threshold (robust sigmas); default
        `~imphot_astropy.fitting.quality.OUTLIER_LIMIT`, the batch flags'.
    title : str, optional
        The page title (default: "Survey report: <N> exposures").
    nprocess : int
        Processes drawing the exposure figures: 0 one per core, -n all but
        n (one for fewer than 24 exposures).

    Returns
    -------
    index : str
        The path of the survey page.

    Raises
    ------
    UserError
        For a table that is not a survey table, unknown reference bands,
        unreadable cubes, or an ``output_dir`` that exists (unless
        ``overwrite`` and it is a report).

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_survey_table
    >>> table, headers, truth = make_survey_table(6, filters=("F606W", "F814W"))
    >>> path = survey_report(table, os.path.join(tempfile.mkdtemp(), "report"),
    ...                      cubes=headers)
    >>> sorted(os.listdir(os.path.dirname(path)))[:4]
    ['calibration.png', 'exposures', 'fwhm.png', 'index.html']
    """
    inputs = [] if isinstance(table, (list, tuple)) or hasattr(table, "colnames") \
        else [os.fspath(table)]
    if cubes is not None and not isinstance(cubes, dict):
        cubes = [os.fspath(c) for c in cubes]
        inputs += cubes
    output_dir = _check_output_dir(output_dir, overwrite, inputs)
    source = (os.path.basename(inputs[0]) if inputs and not hasattr(table, "colnames")
              else f"{len(table)} fits" if isinstance(table, (list, tuple))
              else "a table in memory")
    survey = read_survey_table(table)
    summary = summarise_survey(survey, observing_conditions(cubes), reference_bands,
                               OUTLIER_LIMIT if limit is None else limit)
    title = title or f"Survey report: {len(summary.exposures)} exposures"
    with atomic_directory(output_dir) as building:
        os.mkdir(os.path.join(building, "exposures"))
        _build(summary, building, results, title, source, nprocess)
    return os.path.join(output_dir, "index.html")
