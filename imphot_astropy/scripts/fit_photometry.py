"""The ``fit_photometry`` command: fit MUSE images against an HST image.

Usage::

    fit_photometry HST_IMAGE MUSE_IMAGE [MUSE_IMAGE ...] [options]

One MUSE image is fitted directly; several are fitted in worker processes
(``--nprocess``), with a progress bar on stderr. The summary table of the
reference tool goes to stdout: one heading, then a row per file and method
(``--star`` adds the star method). ``--table FILE`` also writes every
result to one ECSV or FITS table. The exit status is 0 if every file was
fitted, 1 otherwise (with a one-line message per failure).
"""

import os
import sys

# Only light modules at import time, so that --help starts fast: the
# fitters, readers and batch iterators (scipy, regions, reproject...) are
# imported by the functions that run a fit.
from ..exceptions import UserError, WorkerError
from .arguments import ImphotArgumentParser, FIT_BOTH, extract_function_args

__all__ = ["main", "fit_photometry_main"]

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
        self.results = []
        self.errors = []

    def add(self, item):
        if isinstance(item, WorkerError):
            self.errors.append(item)
            print(f"{self.prog}: error: {_one_line(item.message)}", file=sys.stderr)
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
    client = _dask_client(options.scheduler)
    try:
        _iterate(iterator_class, options, kwargs, report, client)
    finally:
        if client is not None:
            client.close()
    report.write = print


def _dask_client(address):
    if address is None:
        return None
    try:
        from distributed import Client
    except ImportError:
        raise UserError("--scheduler: the optional 'distributed' package is not "
                        "installed") from None
    try:
        return Client(address, timeout=30)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UserError(f"--scheduler: cannot reach {address} ({exc})") from None


def _iterate(iterator_class, options, kwargs, report, client):
    from ..utils import progress_bar
    with iterator_class(options.hst_image, options.muse_images, kwargs,
                        nworker=options.nprocess, client=client) as fits:
        with progress_bar(len(fits), unit="image", desc=report.prog, leave=True) as bar:
            report.write = lambda text: bar.write(text, file=sys.stdout)
            for item in fits:
                report.add(item)
                bar.update(1)


def _run(options, prog):
    from ..io import check_output_path
    from ..batch import write_photometry_table, table_format
    inputs = [options.hst_image] + list(options.muse_images)
    if options.table is not None:
        # Refuse a bad table name before any fitting, not after.
        table_format(options.table, "--table")
        check_output_path(options.table, inputs, "--table")
    if options.display and len(options.muse_images) > 1:
        # Workers are other processes: they cannot show figures in this one's
        # windows, and a window per worker waiting to be closed is no use.
        raise UserError("--display: figures are shown for one MUSE image at a time; "
                        "use --hardcopy FORMAT to write the figures of several")
    function, iterator_class = _fitter(options)
    kwargs = extract_function_args(options, function)
    report = _Report(prog, print)
    if len(options.muse_images) == 1 and options.scheduler is None:
        _fit_one(function, options, kwargs, report)
    else:
        _fit_many(iterator_class, options, kwargs, report)
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
    parser = _parser(prog)
    try:
        options = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or bad options (argparse printed why)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        return _run(options, prog)
    except UserError as err:
        print(f"{prog}: error: {_one_line(str(err))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


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
