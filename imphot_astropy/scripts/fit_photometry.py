"""The ``fit_photometry`` command: fit MUSE images against an HST image.

Usage::

    fit_photometry HST_IMAGE MUSE_IMAGE [MUSE_IMAGE ...] [options]

One MUSE image is fitted directly; several are fitted in worker processes
(``--nprocess``), with a progress bar on stderr. The summary table of the
reference tool goes to stdout: one heading, then a row per file and method
(``--star`` adds the star method). ``--table FILE`` also writes every
result to one ECSV or FITS table. The exit status is 0 if every file was
fitted, 1 otherwise (with a one-line message per failure, and a closing
line "N of M failed"). ``--timeout SECONDS`` limits the time spent on one
file (default `DEFAULT_TIMEOUT`, 600 s; 0 for no limit), in local worker
processes only: on a Dask cluster, ``--scheduler``, there is no per-file
time limit. With the limit, even one image is fitted in a worker process
(one that can be killed), unless ``--display`` shows its figures here.
Every output file of the run (``--apply``, ``--save``,
``--hardcopy``, ``--table``) is checked before any fitting starts: none may
replace an input or another output of the run.
"""

import os
import sys

# Only light modules at import time, so that --help starts fast: the
# fitters, readers and batch iterators (scipy, regions, reproject...) are
# imported by the functions that run a fit.
from ..exceptions import UserError, WorkerError
from .arguments import (ImphotArgumentParser, FIT_BOTH, extract_function_args,
                        run_command, add_timeout_option, command_timeout, dask_client)

__all__ = ["main", "fit_photometry_main", "DEFAULT_TIMEOUT"]

#: Seconds allowed per image when ``--timeout`` is not given. Generous: a
#: full-field (300x300) image fit takes 0.1-0.5 s, the first image of a
#: worker 1.5-2.5 s more (imports), the star fit and figures a few seconds;
#: an image still running after 600 s (over 100 times the slowest of these)
#: is stalled (a hung file system, a named pipe), and an unattended run must
#: not wait for it for ever.
DEFAULT_TIMEOUT = 600.0

_DESCRIPTION = ("Fit the PSF (Moffat FWHM and beta), flux scale and offset, and "
                "pointing offset of MUSE images, by comparing them with an HST image "
                "regridded onto the same pixel grid.")


def _parser(prog):
    parser = ImphotArgumentParser(FIT_BOTH, prog=prog, description=_DESCRIPTION)
    parser.add_argument("hst_image", metavar="HST_IMAGE",
                        help="FITS file of the HST image, regridded onto the MUSE grid")
    parser.add_argument("muse_images", metavar="MUSE_IMAGE", nargs="+",
                        help="FITS files of the MUSE images to fit")
    parser.add_argument("--nprocess", type=int, default=0, metavar="N",
                        help="worker processes when fitting several images: 0 (default) "
                             "one per core, -n all cores but n")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="fit on the Dask cluster of this scheduler (needs the "
                             "optional 'distributed' package) instead of local workers")
    parser.add_argument("--table", metavar="FILE", default=None,
                        help="also write every result to FILE, an .ecsv or .fits table")
    add_timeout_option(parser, DEFAULT_TIMEOUT, "an image")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="after the table, print the full report of each fit, and "
                             "the worker traceback of each failed image")
    return parser


def _fitter(options):
    """The fitting function and the iterator class the options ask for."""
    from ..photometry import fit_image_photometry, fit_image_and_star_photometry
    from ..batch import FitImagePhotometryMP, FitImageAndStarPhotometryMP
    if options.star is None:
        return fit_image_photometry, FitImagePhotometryMP
    return fit_image_and_star_photometry, FitImageAndStarPhotometryMP


def _one_line(message):
    """A message on one line, however many lines the error had."""
    return " ".join(message.split())


def _flat(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


class _Report:
    """Prints the summary table as results arrive, and collects them."""

    def __init__(self, prog, write):
        self.prog = prog
        self.write = write
        self.error_write = lambda text: print(text, file=sys.stderr)
        self.results = []
        self.errors = []

    def add(self, item):
        if isinstance(item, WorkerError):
            self.errors.append(item)
            self.error_write(f"{self.prog}: error: {_one_line(item.message)}")
            return
        for result in _flat(item):
            self.write(result.summary(header=not self.results))
            self.results.append(result)

    def details(self, muse_images):
        """The full reports in input order, then the tracebacks of failures."""
        order = {name: i for i, name in enumerate(muse_images)}
        for result in sorted(self.results, key=lambda r: order.get(r.filename, 0)):
            print("\n" + str(result))
        for error in self.errors:
            print(f"\n{self.prog}: traceback for {error.filename}:\n{error.traceback}",
                  file=sys.stderr)


def _fit_one(function, options, kwargs, report):
    report.add(function(options.hst_image, options.muse_images[0], **kwargs))


def _fit_many(iterator_class, options, kwargs, report):
    client = dask_client(options.scheduler)
    try:
        _iterate(iterator_class, options, kwargs, report, client)
    finally:
        if client is not None:
            client.close()


def _iterate(iterator_class, options, kwargs, report, client):
    from ..utils import progress_bar
    with iterator_class(options.hst_image, options.muse_images, kwargs,
                        nworker=options.nprocess, client=client,
                        timeout=options.timeout) as fits:
        # One image in a worker (for its time limit) prints what one image
        # fitted here does: its row or its error, without a bar.
        with progress_bar(len(fits), show=len(fits) > 1, unit="image", desc=report.prog,
                          leave=True) as bar:
            # bar.write (tqdm.write) clears the bar, prints, and redraws the
            # bar below, so that messages never end up glued to the bar's line.
            report.write = lambda text: bar.write(text, file=sys.stdout)
            report.error_write = lambda text: bar.write(text, file=sys.stderr)
            try:
                for item in fits:
                    report.add(item)
                    bar.update(1)
            finally:
                report.write = print
                report.error_write = lambda text: print(text, file=sys.stderr)


def _planned_outputs(options):
    """(option, file) for every file the run will write, known before fitting."""
    from ..corrections import aligned_filename
    from ..plotting.figures import plot_filename
    from ..photometry.products import image_fit_product_paths
    from ..io import file_base_name
    outputs = []
    for muse in options.muse_images:
        name = file_base_name(muse)
        if options.apply:
            outputs.append(("--apply", aligned_filename(muse)))
        if options.hardcopy:
            kinds = ["image_fit"] + (["star_fit"] if options.star is not None else [])
            outputs += [("--hardcopy", plot_filename(muse, name, kind, options.hardcopy))
                        for kind in kinds]
        if getattr(options, "save", False):
            outputs += [("--save", path)
                        for path in image_fit_product_paths(muse, name).values()]
    if options.table is not None:
        outputs.append(("--table", options.table))
    return outputs


def _summary_line(report, total):
    """The closing line: how many images were fitted and how many failed."""
    failed = len({error.filename for error in report.errors})
    return f"{report.prog}: {total - failed} of {total} fitted, {failed} of {total} failed"


def _run(options, prog):
    from ..io import check_run_outputs
    from ..batch import write_photometry_table, table_format
    inputs = [options.hst_image] + list(options.muse_images)
    if options.table is not None:
        # Refuse a bad table name before any fitting, not after.
        table_format(options.table, "--table")
    # None (no limit), the default, or the limit given; refused with --scheduler.
    options.timeout = command_timeout(options.timeout, options.scheduler, DEFAULT_TIMEOUT)
    # Every output of the whole run, checked before any work starts.
    check_run_outputs(_planned_outputs(options), inputs)
    if options.display and len(options.muse_images) > 1:
        # Workers are other processes: they cannot show figures in this one's
        # windows, and a window per worker waiting to be closed is no use.
        raise UserError("--display: figures are shown for one MUSE image at a time; "
                        "use --hardcopy FORMAT to write the figures of several")
    function, iterator_class = _fitter(options)
    kwargs = extract_function_args(options, function)
    if kwargs.get("star") is None and isinstance(kwargs.get("regions"), str) \
            and kwargs["regions"].strip().lower() == "star":
        # The command's default (as in the reference tool's command): no
        # regions without --star. The functions refuse regions="star"
        # without a star, which would silently fit the whole image.
        kwargs["regions"] = None
    report = _Report(prog, print)
    if (len(options.muse_images) == 1 and options.scheduler is None
            and (options.timeout is None or options.display)):
        # In this process (a time limit needs a worker process that can be
        # killed; --display needs this one).
        _fit_one(function, options, kwargs, report)
    else:
        _fit_many(iterator_class, options, kwargs, report)
        if len(options.muse_images) > 1:
            print(_summary_line(report, len(options.muse_images)), file=sys.stderr)
    sys.stdout.flush()
    from ..fitting.results import print_quality_flags
    print_quality_flags(report.results, file=sys.stderr)  # issue 16
    if options.table is not None:
        write_photometry_table(report.results, options.table, inputs, "--table")
    if options.verbose:
        report.details(options.muse_images)
    return 1 if report.errors else 0


def main(argv=None, prog=None):
    """Run the ``fit_photometry`` command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments, without the program name (default: ``sys.argv[1:]``).
    prog : str, optional
        The program name shown in messages (default: ``fit_photometry``).

    Returns
    -------
    status : int
        0 if every image was fitted; 1 after an error (a one-line message on
        stderr, no traceback); 2 for bad options; 130 on Ctrl-C.

    Examples
    --------
    >>> main(["--help"])  # doctest: +ELLIPSIS
    usage: fit_photometry [-h] ...
    0
    """
    prog = prog or "fit_photometry"
    return run_command(_parser(prog), argv, prog, lambda options: _run(options, prog))


def fit_photometry_main(argv=None):
    """The reference tool's entry point: ``fit_photometry_main(sys.argv)``.

    Parameters
    ----------
    argv : list of str, optional
        The whole command line, program name first (default: ``sys.argv``).

    Returns
    -------
    status : int
        As for `main`.

    Examples
    --------
    >>> fit_photometry_main(["fit_photometry", "missing-hst.fits", "missing-muse.fits"])
    1
    """
    argv = sys.argv if argv is None else list(argv)
    prog = os.path.basename(argv[0]) if argv and argv[0] else None
    return main(argv[1:], prog=prog)


if __name__ == "__main__":
    sys.exit(main())
