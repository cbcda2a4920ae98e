"""The make_wideband_image command: a MUSE image with a filter's response.

Usage::

    make_wideband_image FILTER CUBE [--output NAME] [--nprocess N]
                        [--wave-unit UNIT] [--quiet]
"""

import argparse
import sys
import warnings

import astropy.units as u

from ..exceptions import UserError
from ..io import check_output_path
from ..wideband import (bandpass_image, read_filter_curve, write_muse_image,
                        wideband_image_name, FilterTruncationWarning)

__all__ = ["main"]


def _parser():
    parser = argparse.ArgumentParser(
        prog="make_wideband_image",
        description="Extract from a MUSE cube the image seen through a filter "
                    "(for example an HST filter), as the weighted mean of the "
                    "cube's planes, and write it as a MUSE-style FITS image "
                    "(DATA, STAT, DQ).")
    parser.add_argument("filter",
                        help="the filter: an ASCII file of two columns, wavelength "
                             "and throughput ('#' comments allowed; only relative "
                             "throughputs matter), or an HST filter name such as "
                             "F775W or ACS_WFC_F775W")
    parser.add_argument("cube", help="the MUSE cube (FITS file with DATA and STAT "
                                     "extensions)")
    parser.add_argument("--output", metavar="NAME",
                        help="the output file (default: <filter>_<cube>, in the "
                             "current directory, with the first 'datacube' or "
                             "'cube' of the cube's name replaced by 'image', as "
                             "imphot named it)")
    parser.add_argument("--nprocess", type=int, default=0, metavar="N",
                        help="the number of workers: 0 (default) for one per CPU, "
                             "-n for all CPUs but n, 1 for none")
    parser.add_argument("--wave-unit", default="Angstrom", metavar="UNIT",
                        help="the unit of the wavelengths in a filter file "
                             "(default: Angstrom)")
    parser.add_argument("--quiet", action="store_true",
                        help="report nothing but warnings and errors")
    return parser


def _report_warning(message, category, filename, lineno, file=None, line=None):
    label = "WARNING" if issubclass(category, FilterTruncationWarning) else category.__name__
    print(f"{label}: {message}", file=sys.stderr)


def main(argv=None):
    """Run make_wideband_image; return the exit status (0, or 1 on error).

    Examples
    --------
    >>> main(["F775W", "no_such_cube.fits", "--quiet"])
    1
    """
    options = _parser().parse_args(argv)
    say = (lambda text: None) if options.quiet else (lambda text: print(text))
    try:
        try:
            wave_unit = u.Unit(options.wave_unit)
        except ValueError:
            raise UserError(f"--wave-unit: '{options.wave_unit}' is not a unit") from None
        curve = read_filter_curve(options.filter, unit_wave=wave_unit, argname="FILTER")
        output = options.output or wideband_image_name(options.filter, options.cube)
        # Before the (long) extraction: an input, a directory, a read-only or
        # missing directory is refused now, not after.
        check_output_path(output, [options.cube, options.filter], "--output")
        say(f"Reading filter: {options.filter} ({curve.name})")
        say(f"Extracting the image from cube: {options.cube}")
        with warnings.catch_warnings():
            warnings.simplefilter("always", FilterTruncationWarning)
            warnings.showwarning = _report_warning
            image = bandpass_image(options.cube, curve, nprocess=options.nprocess,
                                   progress_bar=not options.quiet)
        say(f"Writing image to: {output}")
        write_muse_image(image, output, inputs=[options.cube, options.filter],
                         argname="--output")
    except UserError as exc:
        print(f"make_wideband_image: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
