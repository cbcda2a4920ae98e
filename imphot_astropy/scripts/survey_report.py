"""The ``survey_report`` command: a survey at a glance, as a static HTML report.

Usage::

    survey_report TABLE OUTPUT_DIR [--cubes CUBE ...] [--reference-band F775W ...]
        [--limit SIGMAS] [--title TEXT] [--nprocess N] [--overwrite]

TABLE is the table ``fit_cube_photometry --table`` wrote; the cubes'
primary headers add the seeing monitor, airmass, exposure time and the
offsets already applied. The report is made by
`~imphot_astropy.report.survey_report`: ``OUTPUT_DIR/index.html`` and its
figures, which open from disk in any browser.

This module imports only argparse until it runs, so ``--help`` is fast.
"""

import argparse
import sys

from .arguments import run_command

__all__ = ["main"]

_DESCRIPTION = ("Make a static HTML report (index.html and PNG figures) of a survey "
                "fitted by fit_cube_photometry: the survey's numbers, its outliers, "
                "offsets, FWHM beside the seeing monitor's, PSF curves, flux scales, "
                "and a page per exposure.")


def _parser(prog):
    parser = argparse.ArgumentParser(prog=prog, description=_DESCRIPTION)
    parser.add_argument("table", metavar="TABLE",
                        help="the survey table of fit_cube_photometry --table (.ecsv/.fits)")
    parser.add_argument("output_dir", metavar="OUTPUT_DIR", help="the report's directory")
    parser.add_argument("--cubes", metavar="CUBE", nargs="+", default=None,
                        help="the exposure cubes, for their primary headers (seeing "
                             "monitor, airmass, EXPTIME, offsets already applied)")
    parser.add_argument("--reference-band", metavar="FILTER", action="append", default=None,
                        help="show the FWHM at this band (repeat; default: the band "
                             "nearest 7000 Angstrom)")
    parser.add_argument("--limit", type=float, default=None, metavar="SIGMAS",
                        help="outlier threshold, robust sigmas from the median "
                             "(default: the batch flags' OUTLIER_LIMIT)")
    parser.add_argument("--title", default=None, help="the survey page's title")
    parser.add_argument("--nprocess", type=int, default=0, metavar="N",
                        help="processes drawing the figures: 0 one per core, -n all "
                             "but n")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace OUTPUT_DIR if it holds a report")
    return parser


def main(argv=None, prog=None):
    """Run the ``survey_report`` command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments, without the program name (default: ``sys.argv[1:]``).
    prog : str, optional
        The program name shown in messages.

    Returns
    -------
    status : int
        0 when the report is written, 1 after an error, 2 for bad options.

    Examples
    --------
    >>> main(["--help"])  # doctest: +ELLIPSIS
    usage: survey_report [-h] ...
    0
    """
    prog = prog or "survey_report"
    return run_command(_parser(prog), argv, prog, lambda options: _run(options, prog))


def _run(options, prog):
    from ..report import survey_report
    index = survey_report(options.table, options.output_dir, cubes=options.cubes,
                          reference_bands=options.reference_band,
                          overwrite=options.overwrite, limit=options.limit,
                          title=options.title, nprocess=options.nprocess)
    print(f"{prog}: report written to {index}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
