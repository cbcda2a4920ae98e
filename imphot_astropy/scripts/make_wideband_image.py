"""The make_wideband_image command: MUSE images with a filter's response.

Usage (the reference tool's interface; ``--output`` and ``--wave-unit`` are
kept from earlier versions of this package)::

    make_wideband_image FILTER CUBE [CUBE ...] [--prefix PREFIX]
                        [--wave_units UNIT] [--nprocess N] [--quiet]
                        [--output NAME]
"""

import argparse
import os
import sys
import warnings

# Only light modules at import time, so that --help starts fast: astropy
# units and wideband (scipy...) are imported by the functions that use them.
from ..exceptions import UserError
from .arguments import report_interrupted

__all__ = ["main", "make_wideband_image_main"]

PROG = "make_wideband_image"


def _parser(prog=PROG):
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Extract from each MUSE cube the image seen through a filter "
                    "(for example an HST filter), as the weighted mean of the "
                    "cube's planes, and write it as a MUSE-style FITS image "
                    "(DATA, STAT, DQ) named <prefix>_<cube>, with the first "
                    "'datacube' or 'cube' of the cube's name replaced by 'image'.")
    parser.add_argument("filter_curve", metavar="FILTER",
                        help="the filter: an ASCII file of two columns, wavelength "
                             "and throughput ('#' comments allowed; only relative "
                             "throughputs matter), or an HST filter name such as "
                             "F775W or ACS_WFC_F775W")
    parser.add_argument("muse_cubes", metavar="CUBE", nargs="+",
                        help="the MUSE cubes (FITS files with DATA and STAT "
                             "extensions), processed one after the other")
    parser.add_argument("--prefix", metavar="PREFIX", default=None,
                        help="the start of the output names, which may include a "
                             "directory (default: the filter file's base name up to "
                             "its first dot, or the HST filter name)")
    parser.add_argument("--output", metavar="NAME",
                        help="with a single cube: the output file, instead of "
                             "<prefix>_<cube>")
    parser.add_argument("--nprocess", type=int, default=0, metavar="N",
                        help="the number of workers: 0 (default) for one per CPU, "
                             "-n for all CPUs but n, 1 for none")
    parser.add_argument("--wave_units", "--wave-unit", dest="wave_units",
                        default="Angstrom", metavar="UNIT",
                        help="the unit of the wavelengths in a filter file "
                             "(default: Angstrom)")
    parser.add_argument("--quiet", action="store_true",
                        help="report nothing but warnings and errors")
    return parser


def _report_warning(message, category, filename, lineno, file=None, line=None):
    from ..wideband import FilterTruncationWarning
    label = "WARNING" if issubclass(category, FilterTruncationWarning) else category.__name__
    print(f"{label}: {message}", file=sys.stderr)


def _output_names(options):
    """The output file of each cube; refuses two cubes sharing one name, and
    (before any extraction) outputs that cannot be written or are inputs."""
    outputs = _planned_names(options)
    from ..io import check_run_outputs
    check_run_outputs([("--output", out) for out in outputs.values()],
                      inputs=[*options.muse_cubes, options.filter_curve])
    return outputs


def _planned_names(options):
    from ..wideband import wideband_image_name
    if options.output is not None:
        if len(options.muse_cubes) > 1:
            raise UserError("--output: give it with a single cube only; with several "
                            "cubes use --prefix")
        return {options.muse_cubes[0]: options.output}
    outputs = {}
    for cube in options.muse_cubes:
        name = wideband_image_name(options.filter_curve, cube, prefix=options.prefix)
        same = [c for c, o in outputs.items() if os.path.abspath(o) == os.path.abspath(name)]
        if same:
            raise UserError(f"CUBE: {same[0]} and {cube} would both be written to {name}; "
                            "process them separately with different --prefix values")
        outputs[cube] = name
    return outputs


def _process(cube, output, curve, options, say):
    from ..io import write_muse_image
    from ..wideband import bandpass_image, FilterTruncationWarning
    say(f"Extracting the image from cube: {cube}")
    with warnings.catch_warnings():
        warnings.simplefilter("always", FilterTruncationWarning)
        warnings.showwarning = _report_warning
        image = bandpass_image(cube, curve, nprocess=options.nprocess,
                               progress_bar=not options.quiet)
    say(f"Writing image to: {output}")
    write_muse_image(image, output,
                     inputs=[*options.muse_cubes, options.filter_curve],
                     argname="--output" if options.output else "--prefix")


def main(argv=None, prog=None):
    """Run make_wideband_image; return the exit status.

    Each cube is processed in turn; an error in one (reported on stderr in
    one line) does not stop the others.

    Parameters
    ----------
    argv : list of str, optional
        The arguments, without the program name (default: ``sys.argv[1:]``).
    prog : str, optional
        The program name shown in messages.

    Returns
    -------
    status : int
        0 if every cube gave its image, 1 after any error, 130 on Ctrl-C.

    Examples
    --------
    >>> main(["F775W", "no_such_cube.fits", "--quiet"])
    1
    """
    prog = prog or PROG
    options = _parser(prog).parse_args(argv)
    import astropy.units as u
    from ..wideband import read_filter_curve
    say = (lambda text: None) if options.quiet else (lambda text: print(text))
    status = 0
    try:
        try:
            try:
                wave_unit = u.Unit(options.wave_units)
            except ValueError:
                raise UserError(f"--wave_units: '{options.wave_units}' is not a "
                                "unit") from None
            outputs = _output_names(options)
            curve = read_filter_curve(options.filter_curve, unit_wave=wave_unit,
                                      argname="FILTER")
            say(f"Reading filter: {options.filter_curve} ({curve.name})")
        except UserError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return 1
        for cube, output in outputs.items():
            try:
                _process(cube, output, curve, options, say)
            except UserError as exc:
                print(f"{prog}: {exc}", file=sys.stderr)
                status = 1
    except KeyboardInterrupt:
        return report_interrupted(prog)
    return status


def make_wideband_image_main(argv=None):
    """The reference tool's entry point: ``make_wideband_image_main()``.

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
    >>> make_wideband_image_main(["make_wideband_image", "F775W", "missing_cube.fits",
    ...                           "--quiet"])
    1
    """
    argv = sys.argv if argv is None else list(argv)
    prog = os.path.basename(argv[0]) if argv and argv[0] else None
    return main(argv[1:], prog=prog)


if __name__ == "__main__":
    sys.exit(main())
