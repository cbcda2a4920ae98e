"""Command-line options for the keyword arguments of the fitters.

`ImphotArgumentParser` offers, as options, the keyword arguments of the
fitters chosen by a sum of `FIT_IMAGE` and `FIT_STAR` (all but ``fig``, a
matplotlib figure, which no command line can give);
`extract_function_args` then picks from the parsed options those that one
function takes. To offer a new fitter keyword, add one line to
``_FITTER_OPTIONS``.
"""

import argparse
import sys

from ..exceptions import UserError

__all__ = ["ImphotArgumentParser", "extract_function_args", "report_interrupted", "run_command",
           "INTERRUPTED_STATUS", "FIT_IMAGE", "FIT_STAR",
           "FIT_BOTH", "add_timeout_option", "command_timeout", "dask_client"]

#: Options of `~imphot_astropy.fit_image_photometry`.
FIT_IMAGE = 1
#: Options of `~imphot_astropy.fit_star_photometry`.
FIT_STAR = 2
#: Options of both (``FIT_IMAGE + FIT_STAR``).
FIT_BOTH = FIT_IMAGE + FIT_STAR

# The defaults of the HST PSF model, as in the fitters' signatures
# (fitting.image_fit.DEFAULT_HST_FWHM and DEFAULT_HST_BETA). Written here,
# not imported, so that building a parser (``--help``) does not import the
# fitters and scipy; scripts/tests checks that every option's default is the
# fitter's.
_HST_FWHM = 0.085
_HST_BETA = 1.6

#: The value of ``--fix_beta`` when it is not given, as in the reference
#: tool: on the command line the Moffat beta is fixed unless freed by
#: ``--fix_beta none``.
COMMAND_LINE_FIX_BETA = 2.5


def _float_or_none(text):
    """A float, or None for "none" (which frees a parameter)."""
    if text.strip().lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', not {text!r}")


def _taper_width(text):
    """An int for integer text ("9": the reference's Blackman bevel), else a float.

    As for the fitters' ``taper`` keyword, the type chooses the bevel (see
    `~imphot_astropy.core.masks.taper_weights`).
    """
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of pixels, not {text!r}")


def _str_or_none(text):
    """A string, or None for "none" or ""."""
    return None if text.strip().lower() in ("", "none") else text


class _StoreStar(argparse.Action):
    """--star RA DEC RADIUS, --star auto or --star auto RADIUS."""

    def __call__(self, parser, namespace, values, option_string=None):
        if values and values[0].strip().lower() == "auto":
            if len(values) > 2:
                parser.error(f"{option_string}: expected 'auto' or 'auto RADIUS'")
            star = "auto" if len(values) == 1 else ("auto", _number(parser, values[1],
                                                                     option_string))
        elif len(values) == 3:
            star = tuple(_number(parser, v, option_string) for v in values)
        else:
            parser.error(f"{option_string}: expected RA DEC RADIUS, 'auto' or "
                         "'auto RADIUS'")
        setattr(namespace, self.dest, star)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _star_value_count(values):
    """How many of the words after ``--star`` are its values.

    The reference tool's ``--star`` takes exactly three (nargs=3), so that
    ``--star RA DEC RADIUS HST MUSE`` leaves the file names to the
    positional arguments; ``auto`` takes one more word only if it is a number.
    """
    if values and values[0].strip().lower() == "auto":
        return 2 if len(values) > 1 and _is_number(values[1]) else 1
    return 3


def _star_values_last(args):
    """``args`` with the ``--star`` option and its values moved to the end.

    argparse cannot give an option a variable number of values (1, 2 or 3)
    and stop before the positional arguments: ``nargs="+"`` takes every word
    up to the next option, file names included. Moving the option and its
    own values after everything else (but before a ``--``, after which
    every word is positional) lets the greedy ``nargs="+"`` see only them.
    """
    args = list(args)
    end = args.index("--") if "--" in args else len(args)
    moved = []
    i = 0
    while i < end:
        if args[i] != "--star":
            i += 1
            continue
        count = _star_value_count(args[i + 1:end])
        block = args[i:i + 1 + count]
        if any(word.startswith("-") and not _is_number(word) for word in block[1:]):
            # Fewer values than needed before the next option: leave it for
            # _StoreStar to report.
            i += 1
            continue
        del args[i:i + len(block)]
        end -= len(block)
        moved.extend(block)
    return args[:end] + moved + args[end:]


def _number(parser, text, option_string):
    try:
        return float(text)
    except ValueError:
        parser.error(f"{option_string}: {text!r} is not a number")


def _fix(what, unit=""):
    return dict(type=_float_or_none, default=None, metavar="VALUE",
                help=f"hold the {what} at VALUE{unit} ('none': fit it; default: fit it)")


# (option, the fitters that take it, argparse.add_argument keywords).
_FITTER_OPTIONS = [
    ("--regions", FIT_IMAGE, dict(
        type=_str_or_none, default="star", metavar="FILE",
        help="ds9 region file of areas to include/exclude in the image fit, 'star' "
             "(the default, as in the reference tool: only the --star circle, or no "
             "regions without --star), 'notstar' (all but the circle), or 'none' (no "
             "regions: with --star, a global image fit beside the star fit)")),
    ("--fix_scale", FIT_IMAGE, _fix("flux scale factor (MUSE/HST)")),
    ("--fix_bg", FIT_IMAGE, _fix("flux offset (MUSE-HST)", " (MUSE flux units)")),
    ("--fix_dx", FIT_IMAGE, _fix("x-axis pointing offset", " arcsec")),
    ("--fix_dy", FIT_IMAGE, _fix("y-axis pointing offset", " arcsec")),
    ("--fix_fwhm", FIT_BOTH, _fix("FWHM of the MUSE Moffat PSF", " arcsec")),
    ("--fix_beta", FIT_BOTH, dict(
        type=_float_or_none, default=COMMAND_LINE_FIX_BETA, metavar="VALUE",
        help="hold the beta exponent of the MUSE Moffat PSF at VALUE; 'none' to fit it "
             f"(default: {COMMAND_LINE_FIX_BETA})")),
    ("--min_scale", FIT_IMAGE, dict(
        type=float, default=0.0, metavar="VALUE",
        help="the lowest flux scale factor allowed (default: 0)")),
    ("--hst_fwhm", FIT_IMAGE, dict(
        type=float, default=_HST_FWHM, metavar="ARCSEC",
        help=f"FWHM of the Moffat model of the HST PSF (default: {_HST_FWHM})")),
    ("--hst_beta", FIT_IMAGE, dict(
        type=float, default=_HST_BETA, metavar="VALUE",
        help=f"beta of the Moffat model of the HST PSF (default: {_HST_BETA})")),
    ("--margin", FIT_IMAGE, dict(
        type=float, default=2.0, metavar="ARCSEC",
        help="width of the zero margin that keeps the FFTs from wrapping (default: 2.0)")),
    ("--segment", FIT_IMAGE, dict(
        action="store_true", default=False,
        help="fit only pixels of significant objects, found in the HST image")),
    ("--star", FIT_BOTH, dict(
        nargs="+", default=None, action=_StoreStar, metavar="STAR",
        help="RA DEC RADIUS: a star at RA, DEC (degrees), fitted within RADIUS arcsec "
             "beside the image fit; with --regions star (the default) the image fit is "
             "restricted to the same circle. 'auto' (or 'auto RADIUS') fits the "
             "brightest isolated, unsaturated, fully covered point source that "
             "find_point_sources finds in the HST image, within 2 (or RADIUS) arcsec")),
    ("--taper", FIT_IMAGE, dict(
        type=_taper_width, default=9.0, metavar="PIXELS",
        help="width over which weights fall to zero at mask edges: an integer (9) "
             "selects the reference tool's Blackman bevel (odd width, even values "
             "rounded up), a number with a point (9.0, the default) the isotropic "
             "raised-cosine ramp; < 2 disables tapering")),
    ("--extramask", FIT_IMAGE, dict(
        type=_str_or_none, default=None, metavar="FILE",
        help="FITS image of 0/1 values on the MUSE grid: the pixels to ignore (1)")),
    ("--init_dx", FIT_IMAGE, dict(
        type=_float_or_none, default=None, metavar="ARCSEC",
        help="initial x-axis pointing offset (default: 0)")),
    ("--init_dy", FIT_IMAGE, dict(
        type=_float_or_none, default=None, metavar="ARCSEC",
        help="initial y-axis pointing offset (default: 0)")),
    ("--robust", FIT_IMAGE, dict(
        action="store_true", default=False,
        help="exclude bright point sources whose residual is inconsistent (moved or "
             "varied) and fit again; their positions are printed with the flags")),
    # The names of fitting.options.PSF_MODELS, written out because this parser
    # imports no scientific package (a test checks that the two agree).
    ("--psf", FIT_BOTH, dict(
        choices=("moffat", "elliptical"), default="moffat",
        help="the PSF model: a circular Moffat (default) or an elliptical one, which "
             "also fits the ellipticity e and the position angle theta")),
    # The names of fitting.solvers.SOLVERS, written out for the same reason.
    ("--solver", FIT_BOTH, dict(
        choices=("dogbox", "trf", "lm", "levenberg-marquardt", "astropy-trf",
                 "astropy-dogbox"), default=None, metavar="NAME",
        help="how the least squares are minimised: dogbox, trf, lm (scipy), "
             "levenberg-marquardt (this package's), astropy-trf, astropy-dogbox "
             "(astropy's fitters); default: each fit's own (image fit dogbox, star "
             "fit astropy-trf), which all reach the same minimum")),
    ("--display", FIT_BOTH, dict(
        action="store_true", default=False,
        help="show the figure of each fit (one MUSE image at a time)")),
    ("--nowait", FIT_BOTH, dict(
        action="store_true", default=False,
        help="with --display: go on without waiting for the figure to be closed")),
    ("--hardcopy", FIT_BOTH, dict(
        type=_str_or_none, default=None, metavar="FORMAT",
        help="write the figure of each fit to <muse name>_image_fit.FORMAT (and "
             "_star_fit.FORMAT), FORMAT being png, pdf, jpg, eps...")),
    ("--title", FIT_BOTH, dict(
        default=None, metavar="TEXT",
        help="the figure title ('none': the default; '': no title)")),
    ("--save", FIT_IMAGE, dict(
        action="store_true", default=False,
        help="write the compared MUSE image, the model, the residual and their "
             "Fourier amplitudes to FITS files beside each MUSE file")),
    ("--apply", FIT_BOTH, dict(
        action="store_true", default=False,
        help="write each MUSE image corrected by its fit (by the image fit, with --star) "
             "to <muse file>_aligned.fits")),
    ("--resample", FIT_BOTH, dict(
        action="store_true", default=False,
        help="with --apply: correct the pointing by moving the pixels, not by changing "
             "CRPIX1/2")),
]


class ImphotArgumentParser(argparse.ArgumentParser):
    """A parser of command-line options for the fitters' keyword arguments.

    Every keyword argument of the chosen fitters becomes an option of the
    same name (``--fix_beta``, ``--star RA DEC RADIUS``...). Parameters that
    can be held fixed take "none" to leave them free. As in the reference
    tool, ``--fix_beta`` is 2.5 unless given.

    Parameters
    ----------
    functions : int
        Which fitters: `FIT_IMAGE`, `FIT_STAR`, or their sum `FIT_BOTH`.
    *args, **kwargs
        Passed to `argparse.ArgumentParser` (``prog``, ``description``...).

    Examples
    --------
    >>> from imphot_astropy import fit_image_photometry
    >>> parser = ImphotArgumentParser(FIT_IMAGE, prog="myfit")
    >>> options = parser.parse_args(["--fix_fwhm", "0.7", "--star", "1", "2", "3"])
    >>> kwargs = extract_function_args(options, fit_image_photometry)
    >>> kwargs["fix_fwhm"], kwargs["fix_beta"], kwargs["star"]
    (0.7, 2.5, (1.0, 2.0, 3.0))
    >>> extract_function_args(parser.parse_args(["--fix_beta", "none"]),
    ...                       fit_image_photometry)["fix_beta"] is None
    True
    """

    def __init__(self, functions, *args, **kwargs):
        if isinstance(functions, bool) or functions not in (FIT_IMAGE, FIT_STAR, FIT_BOTH):
            raise UserError(f"functions: expected FIT_IMAGE, FIT_STAR or FIT_IMAGE + "
                            f"FIT_STAR, not {functions!r}")
        super().__init__(*args, **kwargs)
        self.functions = functions
        group = self.add_argument_group("fitting options")
        for option, used_by, settings in _FITTER_OPTIONS:
            if used_by & functions:
                group.add_argument(option, **settings)

    def parse_known_args(self, args=None, namespace=None):
        """Parse as argparse does, but with ``--star`` taking only its own values.

        ``--star RA DEC RADIUS`` (or ``auto [RADIUS]``) may come before the
        positional arguments, as with the reference tool:
        ``fit_photometry --star 338.2 -60.5 2 HST.fits MUSE.fits``.
        """
        if args is None:
            args = sys.argv[1:]
        return super().parse_known_args(_star_values_last(args), namespace)


def extract_function_args(options, function):
    """The options that a function takes as keyword arguments.

    Parameters
    ----------
    options : `argparse.Namespace` or dict
        Parsed options, for example from `ImphotArgumentParser`.
    function : callable
        The function whose keyword arguments are wanted.

    Returns
    -------
    kwargs : dict
        The options whose names are parameters of ``function`` (other than
        its first two, the HST and MUSE images).

    Examples
    --------
    >>> def fit(hst, muse, star=None, fix_beta=None):
    ...     pass
    >>> extract_function_args({"star": None, "fix_beta": 2.5, "verbose": True}, fit)
    {'star': None, 'fix_beta': 2.5}
    """
    import inspect  # here, not at the top: --help does not need it (start-up time)
    values = vars(options) if isinstance(options, argparse.Namespace) else dict(options)
    parameters = inspect.signature(function).parameters
    images = set(list(parameters)[:2])
    keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                     inspect.Parameter.KEYWORD_ONLY)
    return {name: values[name] for name, parameter in parameters.items()
            if name in values and name not in images and parameter.kind in keyword_kinds}


#: The exit status of every command interrupted by Ctrl-C: the shell's
#: convention for a process ended by SIGINT, 128 + 2.
INTERRUPTED_STATUS = 130


def report_interrupted(prog):
    """Say on stderr, in one line, that a command was interrupted.

    Parameters
    ----------
    prog : str
        The command's name.

    Returns
    -------
    status : int
        `INTERRUPTED_STATUS`, for the command to return.

    Examples
    --------
    >>> report_interrupted("fit_photometry")
    130
    """
    print(f"{prog}: interrupted", file=sys.stderr)
    return INTERRUPTED_STATUS


def add_timeout_option(parser, default, what, scheduler=True,
                       consequence="its worker process is killed and replaced, the "
                                   "others go on"):
    """Add ``--timeout SECONDS``, the per-file time limit of a command's local workers.

    Parameters
    ----------
    parser : `argparse.ArgumentParser`
    default : float
        The limit when the option is not given (said in ``--help``).
    what : str
        What one file is, for the help: "an image", "a cube".
    scheduler : bool
        Whether the command has ``--scheduler`` (the help then says that
        there is no limit on a cluster).
    consequence : str
        What happens to a file past the limit, for the help.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> add_timeout_option(parser, 600.0, "an image")
    >>> parser.parse_args(["--timeout", "30"]).timeout, parser.parse_args([]).timeout
    (30.0, None)
    """
    cluster = (" Local workers only: with --scheduler there is no per-file limit, and "
               "--timeout is refused.") if scheduler else ""
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS",
        help=f"give up on {what} after this many seconds: {consequence} (default "
             f"{default:g} s, so that an unattended run never hangs on one file; 0: no "
             f"limit).{cluster}")


def command_timeout(timeout, scheduler, default):
    """The per-file time limit a command gives its local workers.

    Parameters
    ----------
    timeout : float or None
        ``--timeout``: None if not given, 0 for no limit.
    scheduler : str or None
        ``--scheduler``: on a Dask cluster there is no per-file limit (its
        workers are not the command's to kill), so the default does not
        apply and a limit given is refused.
    default : float
        The command's limit when ``--timeout`` is not given.

    Returns
    -------
    seconds : float or None
        None for no limit.

    Raises
    ------
    UserError
        For a negative or non-finite ``--timeout``, or a limit given with
        ``--scheduler``.

    Examples
    --------
    >>> command_timeout(None, None, 600.0), command_timeout(0.0, None, 600.0)
    (600.0, None)
    >>> command_timeout(None, "tcp://scheduler:8786", 600.0) is None
    True
    """
    if timeout is not None and not 0 <= timeout < float("inf"):
        raise UserError(f"--timeout: expected a positive number of seconds (or 0 for "
                        f"no limit), not {timeout:g}")
    if scheduler is not None:
        if timeout:
            # Checked before connecting: a cluster's workers are not ours to kill.
            raise UserError("--timeout: a per-file time limit needs local worker "
                            "processes (it kills the one that overruns); a Dask "
                            "cluster's workers (--scheduler) cannot be given one")
        return None
    if timeout is None:
        return float(default)
    return float(timeout) if timeout > 0 else None


def dask_client(address):
    """A Dask client on the scheduler given by ``--scheduler``, or None.

    ``distributed`` is imported only here, so that the commands start
    without it and work where it is not installed.

    Parameters
    ----------
    address : str or None
        The scheduler's address (e.g. ``tcp://host:8786``); None for no
        cluster (the fits then run in local processes).

    Returns
    -------
    client : ``distributed.Client`` or None

    Raises
    ------
    UserError
        Naming ``--scheduler`` if ``distributed`` is not installed or the
        scheduler cannot be reached within 30 s.

    Examples
    --------
    >>> dask_client(None) is None
    True
    """
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


def run_command(parser, argv, prog, run):
    """Parse a command's arguments and run it, as every command does.

    Bad options end with argparse's message and status 2 (``--help`` with
    0); a `~imphot_astropy.UserError` from ``run`` is one line on stderr and
    status 1; Ctrl-C is `report_interrupted`.

    Parameters
    ----------
    parser : `argparse.ArgumentParser`
    argv : list of str or None
        The arguments, without the program name (None: ``sys.argv[1:]``).
    prog : str
        The command's name, for its messages.
    run : callable
        ``run(options)``, returning the command's status.

    Returns
    -------
    status : int

    Examples
    --------
    >>> from contextlib import redirect_stderr
    >>> def fail(options):
    ...     raise UserError("cube.fits: truncated")
    >>> with redirect_stderr(sys.stdout):
    ...     run_command(argparse.ArgumentParser(), [], "demo", fail)
    demo: error: cube.fits: truncated
    1
    """
    try:
        options = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or bad options (argparse printed why)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        return run(options)
    except UserError as err:
        print(f"{prog}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return report_interrupted(prog)
