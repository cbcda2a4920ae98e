"""The regrid_hst_to_muse command: HST references on the grid of a MUSE image.

Usage::

    regrid_hst_to_muse MUSE_IMAGE_OR_CUBE HST_IMAGE [HST_IMAGE ...]
                       [--field NAME] [--filter NAME] [--output-dir DIR] [--quiet]
                       [--timeout SECONDS]

Before any work, the whole run is checked: the MUSE file must have coarser
pixels than each HST file (finer MUSE pixels mean the two were given in the
wrong order), and no output file may replace an input or another output of
the same run (two HST images of one filter would both be written to
``hst_<FILTER>_for_<FIELD>.fits``).

Every file is read in a worker process that is killed if it is still at it
after ``--timeout`` seconds (default `DEFAULT_TIMEOUT`): the headers read
while checking the run (a stalled file there ends the run with an error,
as any failed check does), then each HST image while it is regridded (a
stalled one costs an error, and the next goes on). ``--timeout 0`` reads
them in the command's own process, without a limit.
"""

import argparse
import contextlib
import logging
import os
import sys
import warnings

# Only light modules at import time, so that --help starts fast: preparation
# (reproject, scipy...) is imported by the functions that use it.
from ..exceptions import UserError
from .arguments import report_interrupted, add_timeout_option, command_timeout

__all__ = ["main", "regrid_hst_to_muse_main", "DEFAULT_TIMEOUT"]

PROG = "regrid_hst_to_muse"

#: Seconds allowed per file when ``--timeout`` is not given. Generous: the
#: HDFS example (a 1.3" cut-out of a 0.05" HST image onto a 331 x 326 MUSE
#: grid) takes 2-3 s with the imports (measured 2026-12-07: 2.1 s with
#: ``--timeout 0``, 2.9-3.3 s through the time-limited worker, which imports
#: the batch machinery), and a 10 000 x 10 000 mosaic is read
#: only where it covers the MUSE field; a file still being read after 600 s
#: (a hung network file system) is stalled, and an unattended run must not
#: wait for it for ever.
DEFAULT_TIMEOUT = 600.0

# The tasks run in the worker process, by name (see batch.FitPhotometryMP).
_READ_SPEC = "imphot_astropy.scripts.regrid_hst_to_muse:read_muse_in_worker"
_PLAN_SPEC = "imphot_astropy.scripts.regrid_hst_to_muse:plan_in_worker"
_REGRID_SPEC = "imphot_astropy.scripts.regrid_hst_to_muse:regrid_in_worker"


def _parser(prog=PROG):
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Resample HST images onto the pixel grid of a MUSE image or "
                    "cube (with the radial Blackman anti-aliasing filter that the "
                    "image fitter assumes, flux conserving), convert their pixels "
                    "from electrons/s (DN/s for WFPC2) to the MUSE flux unit, and "
                    "write each as hst_<FILTER>_for_<FIELD>.fits.")
    parser.add_argument("muse", metavar="MUSE_IMAGE_OR_CUBE",
                        help="the MUSE image or cube whose pixel grid and flux unit "
                             "are the target (only its header is read)")
    parser.add_argument("hst", metavar="HST_IMAGE", nargs="+",
                        help="HST images (for example 30 mas drizzled mosaics); only "
                             "the part covering the MUSE field is read")
    parser.add_argument("--field", metavar="NAME",
                        help="the field name in the output file names (default: "
                             "the MUSE file's name without .fits)")
    parser.add_argument("--filter", metavar="NAME",
                        help="the HST filter (for example F606W, ACS_WFC_F775W or "
                             "WFPC2_F606W), for images whose header does not name it")
    parser.add_argument("--output-dir", metavar="DIR", default=".",
                        help="where to write the output files (default: the "
                             "current directory)")
    parser.add_argument("--quiet", action="store_true",
                        help="report nothing but warnings and errors")
    add_timeout_option(parser, DEFAULT_TIMEOUT, "a file", scheduler=False,
                       consequence="its worker is killed; a file stalled while the run "
                                   "is checked ends the run with an error, one stalled "
                                   "while it is regridded costs an error for that HST "
                                   "image and the next goes on")
    return parser


def _field_name(options):
    if options.field:
        return options.field
    name = os.path.basename(options.muse)
    for suffix in (".fits.gz", ".fits", ".fit", ".fts"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


class _PrintHandler(logging.Handler):
    """Log records as indented lines, given to ``show``."""

    def __init__(self, show):
        super().__init__()
        self.show = show

    def emit(self, record):
        self.show(f"  {record.getMessage()}")


@contextlib.contextmanager
def _reporting(quiet, show, show_error):
    """Progress messages and the preparation's log records go to ``show``
    (nowhere if ``quiet``), warnings to ``show_error``; yields ``say``, the
    function that shows a progress message."""
    logger = logging.getLogger("imphot_astropy.preparation")
    handler = _PrintHandler(show)
    old_level = logger.level
    if not quiet:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = lambda message, *args, **kwargs: \
                show_error(f"WARNING: {message}")
            yield (lambda text: None) if quiet else show
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _hst_pixel_scale(hst_path):
    """The pixel size (arcsec) of the first image in an HST file."""
    from astropy.wcs.utils import proj_plane_pixel_scales
    from ..io import celestial_wcs, open_fits
    with open_fits(hst_path, "HST_IMAGE", "image") as hdulist:
        for hdu in hdulist:
            if hdu.header.get("NAXIS") == 2:
                wcs = celestial_wcs(hdu.header, hst_path)
                return float(min(proj_plane_pixel_scales(wcs)) * 3600.0)
    raise UserError(f"HST_IMAGE: {hst_path} holds no 2D image")


def _check_not_swapped(muse, muse_path, hst_path):
    """MUSE pixels (0.2") are coarser than HST pixels (0.03-0.1"): if not,
    the two files were given in the wrong order."""
    muse_scale = float(min(muse.pixel_scales))
    hst_scale = _hst_pixel_scale(hst_path)
    if muse_scale < hst_scale:
        raise UserError(
            f"MUSE_IMAGE_OR_CUBE: {muse_path} has {muse_scale:.3g}\" pixels, finer than "
            f"the {hst_scale:.3g}\" pixels of the HST image {hst_path}: were the MUSE "
            "and HST files given in the wrong order? (usage: regrid_hst_to_muse "
            "MUSE_IMAGE_OR_CUBE HST_IMAGE ...)")


def _output_name(hst_path, options, field):
    from ..preparation import HstFilterInfo
    info = HstFilterInfo(hst_path, filter_name=options.filter)
    return os.path.join(options.output_dir, f"hst_{info.filter_name}_for_{field}.fits")


def _plan(muse, options, field):
    """Check the whole run before any work; return the output of each HST file."""
    outputs = []
    for hst_path in options.hst:
        _check_not_swapped(muse, options.muse, hst_path)
        outputs.append(_output_name(hst_path, options, field))
    _check_outputs(options, outputs)
    return outputs


def _check_outputs(options, outputs):
    """No output may replace an input or another output of the run."""
    from ..io import check_run_outputs
    check_run_outputs([(f"output of {hst}", out) for hst, out in zip(options.hst, outputs)],
                      inputs=[options.muse, *options.hst])


def _read_muse(options):
    from ..preparation import read_muse_reference
    return read_muse_reference(options.muse, "MUSE_IMAGE_OR_CUBE")


def _process(hst_path, muse, options, output, say):
    from ..preparation import (HstFilterInfo, regrid_hst_like_muse, rescale_hst_like_muse,
                               write_regridded_hst)
    say(f"Reading HST image: {hst_path}")
    info = HstFilterInfo(hst_path, filter_name=options.filter)
    say(f"Resampling it onto the MUSE pixel grid ({info.instrument} "
        f"{info.filter_name}; Blackman anti-aliasing window cut off at the MUSE "
        "Nyquist frequency)")
    image = regrid_hst_like_muse(hst_path, muse, filter_name=options.filter)
    valid = int((~image.mask).sum())
    say(f"  {valid} of {image.mask.size} MUSE pixels have HST data")
    old_unit = image.unit
    image = rescale_hst_like_muse(image, muse, inplace=True, filter_name=options.filter)
    say(f"Changing its flux unit from '{old_unit}' to '{image.unit}' "
        f"(PHOTFLAM = {info.photflam:.6g} erg/cm2/s/Angstrom per {info.rate_unit})")
    say(f"Writing the output file: {output}")
    write_regridded_hst(image, output, inputs=[options.muse, *options.hst])


def read_muse_in_worker(hst, path, options):
    """Read the MUSE file's header, in a worker process: the first task of
    the time-limited run (``hst`` is None, ``path`` the MUSE file).

    Returns
    -------
    None
        A MUSE file that cannot be read raises a `UserError`.
    """
    _read_muse(options)


def plan_in_worker(hst, path, options, field):
    """Check one HST file of the run, in a worker process: a task of the
    time-limited run.

    ``hst`` is None (the batch machinery's first argument). The MUSE and HST
    (``path``) headers are read, and the order of the two checked.

    Returns
    -------
    output : str
        The output file of the HST file.
    """
    _check_not_swapped(_read_muse(options), options.muse, path)
    return _output_name(path, options, field)


def regrid_in_worker(hst, path, options, output):
    """Regrid one HST file, in a worker process: a task of the time-limited run.

    ``hst`` is None (the batch machinery's first argument); ``output`` maps
    each HST file to its output. The messages, log records and warnings are
    returned in order for the parent to print: a worker's prints would not
    pass through the parent's ``sys.stdout``.

    Returns
    -------
    messages : list of (str, str)
        ``("out" or "err", text)``.
    """
    messages = []
    with _reporting(options.quiet, lambda text: messages.append(("out", text)),
                    lambda text: messages.append(("err", text))) as say:
        _process(path, _read_muse(options), options, output[path], say)
    return messages


def _in_workers(spec, files, kwargs, timeout):
    """``spec`` on each file in turn in a worker process killed after
    ``timeout`` seconds: (file, result or `~imphot_astropy.exceptions.WorkerError`).

    One worker, so that the files are read one after the other as in this
    process, and the outcomes come in their order.
    """
    from ..batch import FitPhotometryMP
    # Imported here once: forked workers inherit it instead of importing it
    # each (reproject, scipy: 0.4 s a worker, and the run starts three).
    from .. import preparation  # noqa: F401
    with FitPhotometryMP(spec, None, files, kwargs, nworker=1, timeout=timeout) as runs:
        yield from zip(files, runs)


def _results_in_workers(spec, files, kwargs, timeout):
    """``spec``'s result for each file, read in a worker; a UserError for the
    first file that fails or overruns."""
    from ..exceptions import WorkerError
    results = []
    for _, item in _in_workers(spec, files, kwargs, timeout):
        if isinstance(item, WorkerError):
            raise UserError(" ".join(item.message.split()))
        results.append(item)
    return results


def _plan_in_workers(options, field, timeout):
    """`_plan`, with each file's headers read in a worker (the MUSE file's first)."""
    _results_in_workers(_READ_SPEC, [options.muse], dict(options=options), timeout)
    outputs = _results_in_workers(_PLAN_SPEC, list(options.hst),
                                  dict(options=options, field=field), timeout)
    _check_outputs(options, outputs)
    return outputs


def _process_in_workers(options, outputs, say, prog, timeout):
    """`_process` for each HST file in a worker; return the exit status."""
    from ..exceptions import WorkerError
    status = 0
    kwargs = dict(options=options, output=dict(zip(options.hst, outputs)))
    for path, item in _in_workers(_REGRID_SPEC, list(options.hst), kwargs, timeout):
        if isinstance(item, WorkerError):
            print(f"{prog}: {' '.join(item.message.split())}", file=sys.stderr)
            status = 1
            continue
        for stream, text in item:
            if stream == "out":
                say(text)
            else:
                print(text, file=sys.stderr)
    return status


def _refuse_pipes(options):
    """Refuse a named pipe or a device given as a FITS file.

    Opening a pipe that nobody writes would wait for ever: without a time
    limit (``--timeout 0``) for ever, else until the limit. Either way the
    file is not a FITS file, which is said at once.
    """
    for argname, path in [("MUSE_IMAGE_OR_CUBE", options.muse)] + \
            [("HST_IMAGE", hst) for hst in options.hst]:
        if os.path.exists(path) and not (os.path.isfile(path) or os.path.isdir(path)):
            raise UserError(f"{argname}: {path} is a named pipe or a device, not a FITS "
                            "file")


def main(argv=None, prog=None):
    """Run regrid_hst_to_muse; return the exit status (0, or 1 on any error).

    Parameters
    ----------
    argv : list of str, optional
        The arguments, without the program name (default: ``sys.argv[1:]``).
    prog : str, optional
        The program name shown in messages.

    Returns
    -------
    status : int
        0 if every HST image was regridded, 1 after any error, 130 on
        Ctrl-C.

    Examples
    --------
    >>> main(["no_such_muse.fits", "no_such_hst.fits", "--quiet"])
    1
    """
    prog = prog or PROG
    options = _parser(prog).parse_args(argv)
    status = 0
    try:
        with _reporting(options.quiet, print,
                        lambda text: print(text, file=sys.stderr)) as say:
            try:
                if not os.path.isdir(options.output_dir):
                    raise UserError(f"--output-dir: {options.output_dir} is not a "
                                    "directory")
                timeout = command_timeout(options.timeout, None, DEFAULT_TIMEOUT)
                _refuse_pipes(options)
                say(f"Reading MUSE image or cube: {options.muse}")
                field = _field_name(options)
                if timeout is not None:
                    outputs = _plan_in_workers(options, field, timeout)
                else:
                    muse = _read_muse(options)
                    outputs = _plan(muse, options, field)
            except UserError as exc:
                print(f"{prog}: {exc}", file=sys.stderr)
                return 1
            if timeout is not None:
                return _process_in_workers(options, outputs, say, prog, timeout)
            for hst_path, output in zip(options.hst, outputs):
                try:
                    _process(hst_path, muse, options, output, say)
                except UserError as exc:
                    print(f"{prog}: {exc}", file=sys.stderr)
                    status = 1
    except KeyboardInterrupt:
        return report_interrupted(prog)
    return status


def regrid_hst_to_muse_main(argv=None):
    """The reference tool's entry point: ``regrid_hst_to_muse_main()``.

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
    >>> regrid_hst_to_muse_main(["regrid_hst_to_muse", "missing_muse.fits",
    ...                          "missing_hst.fits", "--quiet"])
    1
    """
    argv = sys.argv if argv is None else list(argv)
    prog = os.path.basename(argv[0]) if argv and argv[0] else None
    return main(argv[1:], prog=prog)


if __name__ == "__main__":
    sys.exit(main())
