"""The options of an image fit, checked once: `ImageFitOptions`, and its start point.

The public functions (`~imphot_astropy.photometry.fit_image_photometry`,
`~imphot_astropy.fitting.measure_image_photometry`) keep the reference
tool's keywords; they are turned into one frozen `ImageFitOptions` as soon
as they are given, which checks every value and converts Quantities to
their units. The survey builds one per band (common keywords updated by the
band's own, `~imphot_astropy.survey.fit_cube_photometry`). What changes
during a fit (where it starts, whether it starts from a cross-correlation)
is a separate `StartPoint`, not options set and removed along the way.
"""

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import astropy.units as u

from ..exceptions import UserError
from ..utils import optional_number, quantity_value
from ..core.masks import is_integer_width
from .solvers import IMAGE_FIT_SOLVER, resolve_solver

__all__ = ["ImageFitOptions", "StartPoint", "DEFAULT_HST_FWHM", "DEFAULT_HST_BETA",
           "DEFAULT_MARGIN", "DEFAULT_TAPER", "FIXABLE", "PSF_MODELS"]

#: The FWHM (arcsec) and beta of a Moffat model of the dithered HST PSF, from
#: Moffat fits to stars in HST UDF images with 30 mas pixels (reference tool).
DEFAULT_HST_FWHM = 0.085
DEFAULT_HST_BETA = 1.6
#: The margin (arcsec) and taper width (pixels) of the reference tool.
DEFAULT_MARGIN = 2.0
DEFAULT_TAPER = 9.0
#: The PSF models of the image fit (``psf`` keyword): the circular Moffat
#: (the default, the reference tool's) and the elliptical Moffat
#: (`~imphot_astropy.core.psf.EllipticalMoffat`: also ``e`` and ``theta``).
PSF_MODELS = ("moffat", "elliptical")
#: The parameters that a ``fix_<name>`` option can hold.
FIXABLE = ("scale", "bg", "dx", "dy", "fwhm", "beta")

# Where a fit starts when nothing is given (the reference tool's values).
_START_FWHM = 0.7
_START_BETA = 2.5


def _number(value, name, unit=None, minimum=None, required=False):
    checked = optional_number(value, name, minimum=minimum, unit=unit)
    if required and checked is None:
        raise UserError(f"{name}: a number is required, not None")
    return checked


def _beta(value, name):
    if value is not None and value <= 1.0:
        raise UserError(f"{name}: a Moffat beta must be > 1, not {value}")
    return value


@dataclass(frozen=True)
class ImageFitOptions:
    """The checked options of one image fit (see `from_keywords`).

    Numbers are floats in their units (arcsec for dx, dy, fwhm, hst_fwhm,
    margin, init_dx, init_dy; pixels for taper; MUSE flux units for
    fix_bg once `for_muse_unit` has converted a flux Quantity), None where
    not given. ``taper`` stays an integer if given as one: its type chooses
    the bevel (`~imphot_astropy.core.masks.taper_weights`). ``solver`` is
    the `~imphot_astropy.fitting.solvers.Solver` the fit uses (the
    ``solver`` keyword resolved by
    `~imphot_astropy.fitting.solvers.resolve_solver`; `record` gives its
    name).

    Examples
    --------
    >>> options = ImageFitOptions.from_keywords(fix_dx=0.1, taper=9)
    >>> options.fix_dx, options.taper, options.psf
    (0.1, 9, 'moffat')
    """

    fix_scale: Optional[float] = None
    fix_bg: Any = None
    fix_dx: Optional[float] = None
    fix_dy: Optional[float] = None
    fix_fwhm: Optional[float] = None
    fix_beta: Optional[float] = None
    min_scale: float = 0.0
    hst_fwhm: float = DEFAULT_HST_FWHM
    hst_beta: float = DEFAULT_HST_BETA
    margin: float = DEFAULT_MARGIN
    taper: Any = DEFAULT_TAPER
    init_dx: Optional[float] = None
    init_dy: Optional[float] = None
    regions: Any = None
    segment: bool = False
    star: Any = None
    extramask: Any = None
    robust: bool = False
    psf: str = "moffat"
    solver: Any = IMAGE_FIT_SOLVER

    @classmethod
    def from_keywords(cls, fix_scale=None, fix_bg=None, fix_dx=None, fix_dy=None,
                      fix_fwhm=None, fix_beta=None, min_scale=0, hst_fwhm=DEFAULT_HST_FWHM,
                      hst_beta=DEFAULT_HST_BETA, margin=DEFAULT_MARGIN,
                      taper=DEFAULT_TAPER, init_dx=None, init_dy=None, regions=None,
                      segment=False, star=None, extramask=None, robust=False,
                      psf="moffat", solver=None):
        """Check the keywords of `~imphot_astropy.fit_image_photometry`.

        Raises
        ------
        UserError
            Naming the first bad option.

        Examples
        --------
        >>> ImageFitOptions.from_keywords(fix_beta=2.5).fix_beta
        2.5
        >>> ImageFitOptions.from_keywords(fix_beta=0.5)
        Traceback (most recent call last):
        ...
        imphot_astropy.exceptions.UserError: fix_beta: a Moffat beta must be > 1, not 0.5
        """
        if isinstance(fix_bg, u.Quantity):
            optional_number(fix_bg.value, "fix_bg")     # finite; its unit is checked later
        else:
            fix_bg = _number(fix_bg, "fix_bg")
        arcsec = u.arcsec
        options = dict(
            fix_scale=_number(fix_scale, "fix_scale"), fix_bg=fix_bg,
            fix_dx=_number(fix_dx, "fix_dx", arcsec), fix_dy=_number(fix_dy, "fix_dy", arcsec),
            fix_fwhm=_number(fix_fwhm, "fix_fwhm", arcsec, minimum=0.0),
            fix_beta=_beta(_number(fix_beta, "fix_beta"), "fix_beta"),
            init_dx=_number(init_dx, "init_dx", arcsec),
            init_dy=_number(init_dy, "init_dy", arcsec),
            hst_fwhm=_number(hst_fwhm, "hst_fwhm", arcsec, minimum=0.0, required=True),
            hst_beta=_number(hst_beta, "hst_beta", minimum=0.0, required=True),
            margin=_number(margin, "margin", arcsec, required=True),
            min_scale=_number(min_scale, "min_scale", required=True),
            taper=_number(taper, "taper", required=True))
        # The type of taper chooses the bevel (core.masks.taper_weights): an
        # integer the reference's Blackman bevel, a float the raised cosine.
        if is_integer_width(taper):
            options["taper"] = int(taper)
        _beta(options["hst_beta"], "hst_beta")
        if options["margin"] < 0:
            raise UserError(f"margin: must be >= 0 arcsec, not {options['margin']}")
        if psf not in PSF_MODELS:
            raise UserError(f"psf: expected one of {', '.join(PSF_MODELS)}, not {psf!r}")
        return cls(regions=regions, segment=segment, star=star, extramask=extramask,
                   robust=robust, psf=psf,
                   solver=resolve_solver(solver, IMAGE_FIT_SOLVER, "dogbox"), **options)

    @classmethod
    def coerce(cls, options):
        """``options`` as `ImageFitOptions`: as it is, or checked from a dict of keywords."""
        if isinstance(options, cls):
            return options
        return cls.from_keywords(**dict(options or {}))

    def for_muse_unit(self, unit):
        """These options with a flux Quantity ``fix_bg`` converted to ``unit``."""
        return dataclasses.replace(self, fix_bg=quantity_value(self.fix_bg, unit, "fix_bg"))

    def margin_pixels(self, pixel_scales):
        """The margin in whole pixels (rows, columns), for pixels (x, y) in arcsec."""
        pixel_x, pixel_y = pixel_scales
        return (int(np.ceil(self.margin / pixel_y)), int(np.ceil(self.margin / pixel_x)))

    def fixed(self, name):
        """The value at which parameter ``name`` is held, or None."""
        return getattr(self, "fix_" + name)

    def start(self):
        """Where the fit starts (`StartPoint`), before anything is measured.

        At the fixed or initial offsets; without any given, from the peak
        of the images' cross-correlation (``coarse``).
        """
        dx0 = self.fix_dx if self.fix_dx is not None else (self.init_dx or 0.0)
        dy0 = self.fix_dy if self.fix_dy is not None else (self.init_dy or 0.0)
        coarse = all(v is None for v in (self.fix_dx, self.fix_dy, self.init_dx,
                                         self.init_dy))
        return StartPoint(dx=dx0, dy=dy0, fwhm=_START_FWHM, beta=_START_BETA, coarse=coarse)

    def record(self):
        """The options by keyword, as a result's ``options`` records them.

        The solver by its name (a table's meta cannot hold the object).

        Examples
        --------
        >>> ImageFitOptions.from_keywords(solver="trf").record()["solver"]
        'trust region reflective (scipy least_squares, trf)'
        """
        record = dataclasses.asdict(dataclasses.replace(self, solver=None))
        record["solver"] = self.solver.name
        return record


@dataclass(frozen=True)
class StartPoint:
    """Where one fit starts: offsets (arcsec) and PSF, and how it got there.

    Parameters
    ----------
    dx, dy, fwhm, beta : float
        The starting offsets and PSF (a fixed value overrides the PSF's,
        see `ImageFitOptions.fixed`).
    coarse : bool
        Look for a better start at the cross-correlation peak first.
    linear : (float, float) or None
        The scale and bg of a linear fit at this start, if made.

    Examples
    --------
    >>> start = StartPoint(dx=0.0, dy=0.1)
    >>> start.moved(coarse=True).coarse, start.coarse
    (True, False)
    """

    dx: float
    dy: float
    fwhm: float = _START_FWHM
    beta: float = _START_BETA
    coarse: bool = False
    linear: Optional[tuple] = None

    def moved(self, **changes):
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)
