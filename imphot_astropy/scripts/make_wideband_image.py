"""The make_wideband_image command: MUSE images with a filter's response.

Usage (the reference tool's interface; ``--output`` and ``--wave-unit`` are
kept from earlier versions of this package)::

    make_wideband_image FILTER CUBE [CUBE ...] [--prefix PREFIX]
                        [--wave_units UNIT] [--nprocess N] [--quiet]
                        [--output NAME] [--timeout SECONDS]

The cubes are processed one after the other, each in a worker process that
is killed if it is still reading after ``--timeout`` seconds (default
`DEFAULT_TIMEOUT`; a stalled file costs an error, and the next cube goes
on); ``--timeout 0`` processes them in this process, without a limit.
"""

import argparse
import os
import sys
import warnings

# Only light modules at import time, so that --help starts fast: astropy
# units and wideband (scipy...) are imported by the functions that use them.
from ..exceptions import UserError
from .arguments import report_interrupted, add_timeout_option, command_timeout

__all__ = ["main", "make_wideband_image_main", "DEFAULT_TIMEOUT"]

PROG = "make_wideband_image"

#: Seconds allowed per cube when ``--timeout`` is not given: as for
#: ``fit_cube_photometry``, whose one pass over a cube is the same reading (a
#: 3 GB cube takes a few seconds from memory, 150 s from a disk or network
#: file system at 20 MB/s); a cube still being read after 1800 s is stalled.
DEFAULT_TIMEOUT = 1800.0

# The task run in the worker process, by name (see batch.FitPhotometryMP).
_EXTRACT_SPEC = "imphot_astropy.scripts.make_wideband_image:extract_in_worker"


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
    add_timeout_option(parser, DEFAULT_TIMEOUT, "a cube", scheduler=False)
    return parser


def _report_warning(message, category, filename, lineno, file=None, line=None):
    print(_warning_text(message, category), file=sys.stderr)


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
    from ..wideband import FilterTruncationWarning
    say(f"Extracting the image from cube: {cube}")
    with warnings.catch_warnings():
        warnings.simplefilter("always", FilterTruncationWarning)
        warnings.showwarning = _report_warning
        _extract(cube, output, curve, options.nprocess, not options.quiet,
                 [*options.muse_cubes, options.filter_curve],
                 "--output" if options.output else "--prefix", say)


def _extract(cube, output, curve, nprocess, progress, inputs, argname, say):
    from ..io import write_muse_image
    from ..wideband import bandpass_image
    image = bandpass_image(cube, curve, nprocess=nprocess, progress_bar=progress)
    say(f"Writing image to: {output}")
    write_muse_image(image, output, inputs=inputs, argname=argname)


def extract_in_worker(hst, cube, outputs, curve, nprocess, progress, inputs, argname):
    """One cube's image, in a worker process: the task of the time-limited run.

    ``hst`` is None (the batch machinery's first argument); ``outputs``
    maps each cube to its output file. The warnings
    and messages are returned, in order, for the parent to print: a worker's
    prints would not pass through the parent's ``sys.stdout``.

    Returns
    -------
    messages : list of (str, str)
        ``("out" or "err", text)``.
    """
    from ..wideband import FilterTruncationWarning
    messages = []
    with warnings.catch_warnings():
        warnings.simplefilter("always", FilterTruncationWarning)
        warnings.showwarning = lambda message, category, *args, **kwargs: \
            messages.append(("err", _warning_text(message, category)))
        _extract(cube, outputs[cube], curve, nprocess, progress, inputs, argname,
                 lambda text: messages.append(("out", text)))
    return messages


def _warning_text(message, category):
    from ..wideband import FilterTruncationWarning
    label = "WARNING" if issubclass(category, FilterTruncationWarning) else category.__name__
    return f"{label}: {message}"


def _process_in_workers(outputs, curve, options, say, prog, timeout):
    """Each cube in turn in a worker process, killed after ``timeout`` seconds.

    One worker, so that the cubes are read one after the other as in this
    process (``--nprocess`` threads share each one), and the messages come
    in the same order.
    """
    from ..batch import FitPhotometryMP
    from ..exceptions import WorkerError
    cubes = list(outputs)
    kwargs = dict(outputs=outputs, curve=curve, nprocess=options.nprocess,
                  progress=not options.quiet,
                  inputs=[*options.muse_cubes, options.filter_curve],
                  argname="--output" if options.output else "--prefix")
    status = 0
    say(f"Extracting the image from cube: {cubes[0]}")
    with FitPhotometryMP(_EXTRACT_SPEC, None, cubes, kwargs, nworker=1,
                         timeout=timeout) as runs:
        # One worker: the outcomes come in the order of the cubes.
        for index, item in enumerate(runs):
            if isinstance(item, WorkerError):
                print(f"{prog}: {' '.join(item.message.split())}", file=sys.stderr)
                status = 1
            else:
                for stream, text in item:
                    if stream == "out":
                        say(text)
                    else:
                        print(text, file=sys.stderr)
            if index + 1 < len(cubes):
                say(f"Extracting the image from cube: {cubes[index + 1]}")
    return status


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
            timeout = command_timeout(options.timeout, None, DEFAULT_TIMEOUT)
            curve = read_filter_curve(options.filter_curve, unit_wave=wave_unit,
                                      argname="FILTER")
            say(f"Reading filter: {options.filter_curve} ({curve.name})")
        except UserError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return 1
        if timeout is not None:
            return _process_in_workers(outputs, curve, options, say, prog, timeout)
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
