"""The regrid_hst_to_muse command: HST references on the grid of a MUSE image.

Usage::

    regrid_hst_to_muse MUSE_IMAGE_OR_CUBE HST_IMAGE [HST_IMAGE ...]
                       [--field NAME] [--filter NAME] [--output-dir DIR] [--quiet]

Before any work, the whole run is checked: the MUSE file must have coarser
pixels than each HST file (finer MUSE pixels mean the two were given in the
wrong order), and no output file may replace an input or another output of
the same run (two HST images of one filter would both be written to
``hst_<FILTER>_for_<FIELD>.fits``).
"""

import argparse
import logging
import os
import sys
import warnings

# Only light modules at import time, so that --help starts fast: preparation
# (reproject, scipy...) is imported by the functions that use it.
from ..exceptions import UserError
from .arguments import report_interrupted

__all__ = ["main", "regrid_hst_to_muse_main"]

PROG = "regrid_hst_to_muse"


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
    return parser


def _field_name(options):
    if options.field:
        return options.field
    name = os.path.basename(options.muse)
    for suffix in (".fits.gz", ".fits", ".fit", ".fts"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _report_warning(message, category, filename, lineno, file=None, line=None):
    print(f"WARNING: {message}", file=sys.stderr)


class _PrintHandler(logging.Handler):
    def emit(self, record):
        print(f"  {record.getMessage()}")


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
    from ..io import check_run_outputs
    outputs = []
    for hst_path in options.hst:
        _check_not_swapped(muse, options.muse, hst_path)
        outputs.append(_output_name(hst_path, options, field))
    check_run_outputs([(f"output of {hst}", out) for hst, out in zip(options.hst, outputs)],
                      inputs=[options.muse, *options.hst])
    return outputs


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


def _refuse_pipes(options):
    """Refuse a named pipe or a device given as a FITS file.

    This command reads every file in its own process, without a time limit:
    opening a pipe that nobody writes would wait for ever.
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
    say = (lambda text: None) if options.quiet else (lambda text: print(text))
    status = 0
    logger = logging.getLogger("imphot_astropy.preparation")
    handler = _PrintHandler()
    old_level = logger.level
    if not options.quiet:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _report_warning
            try:
                if not os.path.isdir(options.output_dir):
                    raise UserError(f"--output-dir: {options.output_dir} is not a "
                                    "directory")
                _refuse_pipes(options)
                say(f"Reading MUSE image or cube: {options.muse}")
                from ..preparation import read_muse_reference
                muse = read_muse_reference(options.muse, "MUSE_IMAGE_OR_CUBE")
                field = _field_name(options)
                outputs = _plan(muse, options, field)
            except UserError as exc:
                print(f"{prog}: {exc}", file=sys.stderr)
                return 1
            for hst_path, output in zip(options.hst, outputs):
                try:
                    _process(hst_path, muse, options, output, say)
                except UserError as exc:
                    print(f"{prog}: {exc}", file=sys.stderr)
                    status = 1
    except KeyboardInterrupt:
        return report_interrupted(prog)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
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
