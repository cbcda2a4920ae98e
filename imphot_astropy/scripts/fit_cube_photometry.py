"""The ``fit_cube_photometry`` command: a survey's exposure cubes against HST bands.

Usage::

    fit_cube_photometry CUBE [CUBE ...] --hst F606W=hst_f606w.fits
        --hst F775W=hst_f775w.fits ... [--table fits.ecsv]
        [--offset-list OFFSET_LIST.fits] [--fsf-keywords [COMBINED_CUBE]]
        [--nprocess N [--timeout SECONDS] | --scheduler ADDRESS] [--force] [--report DIR]

Each cube is fitted by `~imphot_astropy.survey.fit_cube_photometry` (one
pass over the cube for all the bands, each band fitted, then the joint fit
of all of them), in local worker processes or on a Dask cluster
(`~imphot_astropy.batch.FitCubePhotometryMP`), with a progress bar. A cube
still running after ``--timeout`` seconds (default `DEFAULT_TIMEOUT`, 1800
s; 0 for no limit; local workers only) costs its worker and an error, and
the others go on. ``--table`` collects one row per exposure and band plus the
joint rows (with DATE-OBS, MJD-OBS, filter and pivot wavelength); cubes
already in it are skipped unless ``--force``, so an interrupted run
resumes. ``--offset-list`` writes (or updates) the MUSE pipeline's
OFFSET_LIST; ``--fsf-keywords`` writes MPDAF's FSF keywords into copies of
the cubes (``<cube>_fsf.fits``), or, given a combined cube, the mean model
of the exposures into a copy of it. ``--report DIR`` makes the survey's
HTML report (`~imphot_astropy.report.survey_report`).

This module imports only argparse until it runs, so ``--help`` is fast.
"""

import argparse
import os
import sys

from .arguments import run_command, add_timeout_option, command_timeout

__all__ = ["main", "DEFAULT_TIMEOUT"]

#: Seconds allowed per cube when ``--timeout`` is not given. Generous: a
#: full 3 GB exposure cube in four bands takes 4.1 s from the page cache
#: (benchmarks/bench_cube_photometry.py), and reading it from a slow disk or
#: network file system at 20 MB/s 150 s more; a cube still running after
#: 1800 s (12 times that) is stalled, and an unattended survey run must not
#: wait for it for ever.
DEFAULT_TIMEOUT = 1800.0

_DESCRIPTION = ("Fit MUSE exposure cubes against HST images in several bands: one "
                "pass over each cube, a fit per band, then a joint fit with one "
                "pointing offset and the PSF's FWHM and beta versus wavelength; "
                "write a table, the pipeline's OFFSET_LIST and MPDAF FSF keywords.")


def _band_file(text):
    band, sep, path = text.partition("=")
    if not sep or not band.strip() or not path.strip():
        raise argparse.ArgumentTypeError(f"expected FILTER=FILE, not {text!r}")
    return band.strip().upper(), path.strip()


def _parser(prog):
    parser = argparse.ArgumentParser(prog=prog, description=_DESCRIPTION)
    parser.add_argument("cubes", metavar="CUBE", nargs="+", help="MUSE exposure cubes")
    parser.add_argument("--hst", metavar="FILTER=FILE", type=_band_file, action="append",
                        required=True, help="the HST image of a band (repeat per band)")
    parser.add_argument("--filter-curve", metavar="FILTER=CURVE", type=_band_file,
                        action="append", default=[],
                        help="the throughput curve of a band (a two-column file or a "
                             "filter name), instead of the installed curve of its HST "
                             "image's camera and filter (repeat per band)")
    parser.add_argument("--table", metavar="FILE",
                        help="write the per-band and joint results to FILE (.ecsv or "
                             ".fits); cubes already in it are skipped unless --force")
    parser.add_argument("--offset-list", metavar="FILE",
                        help="write or update the pipeline's OFFSET_LIST table")
    parser.add_argument("--flux-scale", action="store_true",
                        help="with --offset-list, add FLUX_SCALE (1 / mean joint scale)")
    parser.add_argument("--fsf-keywords", metavar="COMBINED_CUBE", nargs="?",
                        const="", default=None,
                        help="write MPDAF FSF keywords into copies of the cubes, or of "
                             "COMBINED_CUBE (the mean model of the exposures)")
    parser.add_argument("--fwhm-degree", type=int, default=None, metavar="N",
                        help="degree of the FWHM polynomial in wavelength (default: 1, "
                             "or less when fewer than 2 bands are given)")
    parser.add_argument("--beta-degree", type=int, default=None, metavar="N",
                        help="degree of the beta polynomial (default: 0)")
    parser.add_argument("--fix-beta", type=float, default=None, metavar="BETA",
                        help="hold beta at this value")
    parser.add_argument("--psf-nodes", type=int, default=4, metavar="N",
                        help="PSF-mixture nodes per band (1: effective wavelength)")
    # fitting.options.PSF_MODELS, written out: --help imports no scientific
    # package (a test checks that the two agree).
    parser.add_argument("--psf", choices=("moffat", "elliptical"), default="moffat",
                        help="the MUSE PSF model: circular Moffat (default) or elliptical "
                             "Moffat (FSF keywords: its circular equivalent)")
    parser.add_argument("--ellipticity", choices=("constant", "per-band"),
                        default="constant",
                        help="with --psf elliptical: one ellipticity and angle for all "
                             "the bands (default) or one per band")
    # fitting.solvers.SOLVERS, written out (see --psf).
    parser.add_argument("--solver", choices=("dogbox", "trf", "lm", "levenberg-marquardt",
                                             "astropy-trf", "astropy-dogbox"),
                        default=None, metavar="NAME",
                        help="the solver of the single-band fits: dogbox (default), trf, "
                             "lm, levenberg-marquardt, astropy-trf, astropy-dogbox; the "
                             "joint fit keeps its Levenberg-Marquardt")
    parser.add_argument("--margin", type=float, default=2.0, metavar="ARCSEC")
    parser.add_argument("--regions", default=None, metavar="FILE",
                        help="ds9 regions applied in every band")
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                        help="keep regridded HST images here, reused across exposures")
    workers = parser.add_mutually_exclusive_group()
    workers.add_argument("--nprocess", type=int, default=0, metavar="N",
                         help="local worker processes: 0 one per core, -n all but n")
    workers.add_argument("--scheduler", metavar="ADDRESS",
                         help="run on the Dask cluster of this scheduler")
    add_timeout_option(parser, DEFAULT_TIMEOUT, "a cube")
    parser.add_argument("--force", action="store_true",
                        help="refit cubes that are already in the table")
    parser.add_argument("--report", metavar="DIR", default=None,
                        help="make the survey's HTML report in DIR (replacing a report "
                             "there), from --table if given, else from this run's fits")
    return parser


def _fit_keywords(options, hst_images):
    kwargs = dict(hst_images=hst_images, fwhm_degree=options.fwhm_degree,
                  beta_degree=options.beta_degree, psf_nodes=options.psf_nodes,
                  margin=options.margin, cache_dir=options.cache_dir, nprocess=1)
    if options.fix_beta is not None:
        kwargs["fix_beta"] = options.fix_beta
    if options.psf != "moffat":
        kwargs.update(psf=options.psf, ellipticity=options.ellipticity)
    elif options.ellipticity != "constant":
        kwargs["ellipticity"] = options.ellipticity    # refused by the API, by name
    if options.regions is not None:
        kwargs["regions"] = options.regions
    if options.solver is not None:
        kwargs["solver"] = options.solver
    if options.filter_curve:
        kwargs["filter_curves"] = dict(options.filter_curve)
    return kwargs


def _done_names(table_path):
    """Cubes (by name) already in an existing results table."""
    from astropy.table import Table

    if table_path is None or not os.path.exists(table_path):
        return None, set()
    table = Table.read(table_path)
    return table, {str(n) for n in table["name"]}


def _cube_name(path):
    return os.path.basename(path).rsplit(".fits", 1)[0]


def _run_fits(options, cubes, kwargs, prog):
    """Fit the cubes (in local workers or on the cluster); results and errors."""
    from ..batch import FitCubePhotometryMP
    from ..exceptions import WorkerError
    from ..utils import progress_bar
    from .arguments import dask_client

    results, errors = [], []
    hst_images = kwargs.pop("hst_images")
    client = dask_client(options.scheduler)
    try:
        with FitCubePhotometryMP(cubes, hst_images, kwargs, nworker=options.nprocess,
                                 client=client, timeout=options.timeout) as fits, \
                progress_bar(len(fits), unit="cube", desc=prog, leave=True) as bar:
            for item in fits:
                if isinstance(item, WorkerError):
                    errors.append(item)
                    bar.write(f"{prog}: error: {' '.join(item.message.split())}",
                              file=sys.stderr)
                else:
                    results.append(item)
                    bar.write(f"{item.name}: dx {item.dx} dy {item.dy} arcsec",
                              file=sys.stdout)
                    for note in getattr(item, "notes", ()):
                        bar.write(f"{item.name}: note: {note}", file=sys.stdout)
                bar.update(1)
    finally:
        if client is not None:
            client.close()
    return results, errors


def _write_table(path, previous, results, inputs):
    from astropy.table import vstack
    from ..batch import table_format
    from ..io import atomic_output

    names = {r.name for r in results}
    tables = [r.to_table() for r in results]
    if previous is not None:
        keep = [str(n) not in names for n in previous["name"]]
        tables.insert(0, previous[keep])
    table = vstack(tables, metadata_conflicts="silent")
    fmt = table_format(path, "--table")
    with atomic_output(path, inputs, "--table") as tmpname:
        table.write(tmpname, format="fits" if fmt == "fits" else "ascii.ecsv",
                    overwrite=True)


def _write_fsf(target, fsf, inputs):
    """Copy ``target`` beside itself with the FSF keywords in its primary header."""
    import shutil
    from astropy.io import fits
    from ..io import atomic_output

    output = _fsf_copy_name(target)
    with atomic_output(output, inputs, "--fsf-keywords") as tmpname:
        shutil.copyfile(target, tmpname)
        with fits.open(tmpname, mode="update") as hdulist:
            fsf.to_header(hdulist[0].header)
    return output


def _fsf_copy_name(target):
    base = target[:-5] if target.endswith(".fits") else target
    return f"{base}_fsf.fits"


def _mean_fsf(results):
    import numpy as np
    from ..survey import FSFModel

    degree_f = max(len(r.fsf.fwhm_coeffs) for r in results)
    degree_b = max(len(r.fsf.beta_coeffs) for r in results)
    pad = lambda c, n: np.pad(c, (0, n - len(c)))  # noqa: E731
    return FSFModel(np.mean([pad(r.fsf.fwhm_coeffs, degree_f) for r in results], axis=0),
                    np.mean([pad(r.fsf.beta_coeffs, degree_b) for r in results], axis=0),
                    results[0].fsf.lbrange)


def _planned_outputs(options):
    """(option, file) for every file the run may write, checked before fitting."""
    outputs = [(name, path) for name, path in (("--table", options.table),
                                               ("--offset-list", options.offset_list))
               if path is not None]
    if options.fsf_keywords is not None:
        targets = [options.fsf_keywords] if options.fsf_keywords else options.cubes
        outputs += [("--fsf-keywords", _fsf_copy_name(t)) for t in targets]
    return outputs


def _run(options, prog):
    from ..exceptions import UserError
    from ..io import check_run_outputs

    hst_images = dict(options.hst)
    if len(hst_images) != len(options.hst):
        raise UserError("--hst: a filter is given twice")
    inputs = list(options.cubes) + list(hst_images.values())
    for path in inputs:
        if not os.path.exists(path):
            raise UserError(f"{path}: no such file")
        if not os.path.isfile(path):
            raise UserError(f"{path}: not a regular file (a directory, a pipe or a "
                            "device), not a FITS file")
    # None (no limit), the default, or the limit given; refused with --scheduler.
    options.timeout = command_timeout(options.timeout, options.scheduler, DEFAULT_TIMEOUT)
    check_run_outputs(_planned_outputs(options), inputs)
    previous, done = _done_names(options.table)
    cubes = [c for c in options.cubes if options.force or _cube_name(c) not in done]
    skipped = len(options.cubes) - len(cubes)
    if skipped:
        print(f"{prog}: {skipped} cube(s) already in {options.table} skipped "
              "(--force refits them)", file=sys.stderr)
    results, errors = _run_fits(options, cubes, _fit_keywords(options, hst_images), prog) \
        if cubes else ([], [])
    if options.table is not None and results:
        _write_table(options.table, previous, results, inputs)
    if options.offset_list is not None and results:
        from ..survey import write_offset_list
        write_offset_list(results, options.offset_list,
                          flux_scale="mean" if options.flux_scale else None, inputs=inputs)
    if options.fsf_keywords is not None and results:
        if options.fsf_keywords:
            written = [_write_fsf(options.fsf_keywords, _mean_fsf(results), inputs)]
        else:
            written = [_write_fsf(r.filename, r.fsf, inputs) for r in results]
        for path in written:
            print(f"{prog}: FSF keywords written to {path}", file=sys.stderr)
    if options.report is not None and (results or os.path.isfile(options.table or "")):
        from ..report import survey_report
        index = survey_report(options.table or results, options.report, cubes=options.cubes,
                              results=results, overwrite=True, nprocess=options.nprocess)
        print(f"{prog}: report written to {index}", file=sys.stderr)
    return 1 if errors else 0


def main(argv=None, prog=None):
    """Run the ``fit_cube_photometry`` command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments, without the program name (default: ``sys.argv[1:]``).
    prog : str, optional
        The program name shown in messages.

    Returns
    -------
    status : int
        0 if every cube was fitted, 1 after an error, 2 for bad options.

    Examples
    --------
    >>> main(["--help"])  # doctest: +ELLIPSIS
    usage: fit_cube_photometry [-h] ...
    0
    """
    prog = prog or "fit_cube_photometry"
    return run_command(_parser(prog), argv, prog, lambda options: _run(options, prog))


if __name__ == "__main__":
    sys.exit(main())
