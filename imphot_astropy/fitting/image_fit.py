"""The global image fit in the Fourier plane: `measure_image_photometry`.

This module only measures: it reads the images, fits them and returns the
result with the arrays a figure or a product needs. Figures, FITS products
and corrected images are made by the public layer above it,
`imphot_astropy.photometry`.
"""

import numpy as np

from .checks import (check_not_swapped, check_informative, check_star_size,
                     warn_at_bound)
from ..exceptions import UserError
from ..io import read_image, image_grids_aligned
from ..core.fourier_model import FourierImageModel, EllipticalFourierImageModel
from ..core.psf import CircularMoffat
from ..core.transfer import (regrid_filter_from_header, REGRID_FILTER_KEYWORD,
                              REGRID_CUTOFF_KEYWORD)
from ..masking import parse_star
from .results import FittedValue, FittedImagePhotometry
from .solvers import LeastSquaresProblem, IMAGE_FIT_SOLVER
from .provenance import FitProvenance
from .reports import lmfit_layout_report
from .uncertainties import image_fit_covariance
from .quality import image_quality, muse_band, parameters_at_bounds
from .robust import refit_without_inconsistent_sources
from .prepared import FitInputs
from .options import (ImageFitOptions, StartPoint, FIXABLE, DEFAULT_HST_FWHM,
                      DEFAULT_HST_BETA, DEFAULT_MARGIN, DEFAULT_TAPER)

__all__ = ["measure_image_photometry", "measure_with_options", "check_image_fit_options",
           "check_image_fit_inputs", "read_aligned_pair",
           "DEFAULT_HST_FWHM", "DEFAULT_HST_BETA"]

# At most this many refits after moving the HST image by whole pixels.
_MAX_REFITS = 2


def read_aligned_pair(hst, muse):
    """Read the HST and MUSE images and check that they share a pixel grid.

    Parameters
    ----------
    hst, muse : str, HDU, NDData/CCDData or `~imphot_astropy.io.ImageData`
        The HST image regridded onto the MUSE grid, and the MUSE image.

    Returns
    -------
    hst_image, muse_image : `~imphot_astropy.io.ImageData`

    Raises
    ------
    UserError
        If an image cannot be read or the grids differ.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(40, 40), seed=3)
    >>> hst_image, muse_image = read_aligned_pair(hst, muse)
    >>> hst_image.shape == muse_image.shape
    True
    """
    hst_image = read_image(hst, "hst")
    muse_image = read_image(muse, "muse")
    check_not_swapped(hst_image, muse_image)
    check_informative(muse_image, "muse")
    check_informative(hst_image, "hst")
    if not image_grids_aligned(hst_image, muse_image):
        raise UserError(f"hst: the pixels of the HST image ({hst_image.name}) are not "
                        f"aligned with those of the MUSE image ({muse_image.name}); "
                        "regrid it onto the MUSE grid first")
    return hst_image, muse_image


def _check_star_on_image(star, image):
    ra, dec, radius = parse_star(star)
    check_star_size(star, image)
    x, y = image.wcs.world_to_pixel_values(ra, dec)
    ny, nx = image.shape
    if not (np.isfinite(x) and np.isfinite(y)
            and -0.5 <= x <= nx - 0.5 and -0.5 <= y <= ny - 0.5):
        raise UserError(f"star: ({ra}, {dec}) lies outside the MUSE image")
    if radius < min(image.pixel_scales):
        raise UserError(f"star: the radius {radius}\" is smaller than a pixel "
                        f"({min(image.pixel_scales):.3g}\")")


def _start_psf(options, start):
    """The FWHM and beta that a fit starts from (held ones where fixed)."""
    fwhm0 = options.fix_fwhm if options.fix_fwhm is not None else start.fwhm
    beta0 = options.fix_beta if options.fix_beta is not None else start.beta
    return fwhm0, beta0


def _coarse_start(problem, options, start, max_pixels):
    """Start from the peak of the images' cross-correlation if it fits better.

    The offsets at the peak, within ``max_pixels`` whole pixels, replace the
    default start (0, 0) when the linear scale and bg fitted there leave
    smaller residuals, so a misleading peak (a small window, a periodic
    scene) changes nothing. A start within a fraction of a pixel spares the
    fitter the iterations of a long way and, for offsets of a pixel or more,
    the refit after moving the masks. Returns the new `StartPoint`, with
    the linear fit there (for `_initial_model`, if the masks stay).
    """
    psf = problem.psf_transform(CircularMoffat(), *_start_psf(options, start))
    dx, dy = problem.correlation_offset(psf, max_pixels)
    scale, bg, cost = problem.linear_fit(psf, start.dx, start.dy)
    coarse_scale, coarse_bg, coarse_cost = problem.linear_fit(psf, dx, dy)
    if coarse_cost < cost:
        start = start.moved(dx=float(dx), dy=float(dy))
        scale, bg = coarse_scale, coarse_bg
    return start.moved(coarse=False, linear=(scale, bg))


def _initial_model(problem, options, start):
    """The model with initial values, fixed flags and bounds."""
    fwhm0, beta0 = _start_psf(options, start)
    dx0, dy0 = start.dx, start.dy
    scale0, bg0 = start.linear or problem.initial_scale_and_background(
        problem.psf_transform(CircularMoffat(), fwhm0, beta0), dx0, dy0)
    if options.fix_scale is not None:
        scale0 = options.fix_scale
    if options.fix_bg is not None:
        bg0 = options.fix_bg
    scale0 = max(scale0, options.min_scale)
    if options.psf == "elliptical":
        model = EllipticalFourierImageModel(problem, scale=scale0, bg=bg0, dx=dx0, dy=dy0,
                                            fwhm=fwhm0, beta=beta0)
    else:
        model = FourierImageModel(problem, scale=scale0, bg=bg0, dx=dx0, dy=dy0,
                                  fwhm=fwhm0, beta=beta0)
    model.scale.min = options.min_scale
    for name in FIXABLE:
        if options.fixed(name) is not None:
            getattr(model, name).fixed = True
    if not any(not getattr(model, n).fixed for n in model.param_names):
        raise UserError("fix_*: every parameter is fixed; nothing is left to fit")
    return model


def _run_fit(model, problem, solver=IMAGE_FIT_SOLVER):
    """Fit the free parameters in place; return the model, the solver's result, warnings.

    The model is handed to the solver as a
    `~imphot_astropy.fitting.solvers.LeastSquaresProblem` (its
    ``evaluate`` and ``fit_deriv`` on the compared pixels) rather than to
    astropy's `~astropy.modeling.fitting.DogBoxLSQFitter` (the same method,
    starting values, bounds and tolerances): the wrapper would add, per
    fit, an SVD of the tall Jacobian for a covariance that the sandwich of
    `~imphot_astropy.fitting.uncertainties` replaces, and its model
    evaluation machinery on every trial.
    """
    result = solver.solve(LeastSquaresProblem.from_model(model, (problem.index,),
                                                         problem.data))
    for name in result.free_names:
        getattr(model, name).value = result.params[name].value
    messages = [] if result.success else [
        f"The fit may be unsuccessful; check: \n    {result.message}"]
    return model, result, messages


def _fitted_values(fitted, covariance):
    """The fitted values with the sandwich uncertainties of `FitCovariance`."""
    values = {}
    for name in fitted.param_names:
        param = getattr(fitted, name)
        # A position angle is defined modulo 180 degrees.
        value = param.value % 180.0 if name == "theta" else param.value
        values[name] = FittedValue(value, 0.0 if param.fixed else covariance.stdev(name),
                                   bool(param.fixed))
    return values, covariance.submatrix(("dx", "dy"))


def _reduced_chi_square(residual, problem, variance, n_free):
    """Chi-squared of the windowed residuals per degree of freedom.

    Each compared pixel's residual is divided by its own MUSE variance (a
    per-pixel sum is robust to the huge STAT values of poorly exposed
    edges); without a variance, unit variance is assumed. The degrees of
    freedom are the summed squared window weights less the free parameters.
    """
    if variance is None:
        variance = np.ones(problem.shape)
    pixel_variance = problem.at_compared(variance)
    usable = pixel_variance > 0
    chi_square = np.sum(residual[usable] ** 2 / pixel_variance[usable])
    dof = np.sum(problem.window[usable] ** 2) - n_free
    return float(chi_square / max(dof, 1.0))


def _report(fitted, values, info, rchi, refits, messages, regrid, covariance,
            initial=None):
    """The fit's report in lmfit's layout (see `~imphot_astropy.fitting.reports`).

    ``info`` is the solver's `~imphot_astropy.fitting.solvers.SolverResult`.
    """
    notes = [("goodness of fit", f"{covariance.goodness:.4g} (1 if noise-limited)"),
             ("uncertainties", f"sandwich covariance, residual correlation within "
                               f"{covariance.max_lag:.1f} pixels"),
             ("refits", refits),
             ("regrid filter", f"{regrid.name} (cut-off {regrid.cutoff} cycles/pixel"
                               f"{', assumed' if regrid.assumed else ''})"),
             ("status", info.message)]
    return lmfit_layout_report(
        None, info.solver, info.nfev, info.fun.size,
        rchi, {name: values[name] for name in fitted.param_names}, initial,
        covariance.covariance, covariance.names, notes=notes, warnings=messages)


class _Products:
    """What the plotting and saving code needs from a fit.

    ``muse`` is the MUSE image as compared (convolved by the HST PSF and the
    regridding filter), ``model`` the fitted model made from the HST image,
    both on the cropped area ``crop`` of the MUSE grid; ``good`` marks the
    compared pixels, ``window`` their tapered comparison weights.
    """

    def __init__(self, prepared, problem, fitted, muse_image, hst_image):
        self.crop = prepared.crop
        self.good = prepared.good
        sky = prepared.sky_slice
        self.window = prepared.window[sky]
        compared = np.zeros(prepared.muse.shape)
        compared[problem.inside] = problem.data / problem.window
        self.muse = compared[sky] + prepared.median
        self.model = fitted.model_image(*[float(v) for v in fitted.parameters])[sky]
        self.model = self.model + prepared.median
        self.wcs = muse_image.wcs
        self.unit = muse_image.unit
        self.muse_header = muse_image.header
        self.muse_filename = muse_image.filename
        self.hst_filename = hst_image.filename

    def residual_rms(self):
        """The RMS of the residual at the compared pixels."""
        residual = (self.muse - self.model)[self.good]
        return float(np.sqrt(np.mean(residual**2)))


class _KeptState:
    """What ``keep_state`` keeps of a fit: its prepared arrays and problem."""

    def __init__(self, prepared, problem):
        self.prepared, self.problem = prepared, problem


class _FitState:
    """One fit's model, fitter information and the arrays it was made from."""

    def __init__(self, fitted, info, messages, prepared, problem, refits, initial,
                 next_start):
        self.fitted, self.info, self.messages = fitted, info, messages
        self.prepared, self.problem, self.refits = prepared, problem, refits
        # The last fit's starting values, for the report.
        self.initial = initial
        # Where another fit of the same pair starts (the robust refits).
        self.next_start = next_start

    def products(self, muse_image):
        """The compared images and model (see `_Products`)."""
        return _Products(self.prepared, self.problem, self.fitted, muse_image, muse_image)


def _next_start(fitted, start):
    """Where a refit starts: the fitted offsets, and the fitted PSF unless it
    ended near a bound (the refit then needs a few iterations, not a whole fit)."""
    following = StartPoint(dx=float(fitted.dx.value), dy=float(fitted.dy.value),
                           fwhm=start.fwhm, beta=start.beta)
    if 0.05 < fitted.fwhm.value < 5.0 and 1.2 < fitted.beta.value < 20.0:
        following = following.moved(fwhm=float(fitted.fwhm.value),
                                     beta=float(fitted.beta.value))
    return following


def _moved_pixels(start, px, py, pixel_scales):
    """Whether a start lies a whole pixel or more from the shift (px, py)."""
    pixel_x, pixel_y = pixel_scales
    return abs(start.dx / pixel_x - px) >= 1.0 or abs(start.dy / pixel_y - py) >= 1.0


def _fit_with_refits(inputs, excluded, start):
    """Fit, then refit after moving the HST image by the whole pixels found.

    Parameters
    ----------
    inputs : `~imphot_astropy.fitting.prepared.FitInputs`
        The masks and options; its builder makes each problem.
    excluded : `numpy.ndarray` of bool
        The HST pixels excluded from the fit.
    start : `~imphot_astropy.fitting.options.StartPoint`
        Where the first fit starts.
    """
    options = inputs.options
    pixel_scales = inputs.muse_image.pixel_scales
    pixel_x, pixel_y = pixel_scales
    refits = 0
    while True:
        px = int(np.floor(start.dx / pixel_x + 0.5))
        py = int(np.floor(start.dy / pixel_y + 0.5))
        prepared, problem = inputs.problem(px, py, excluded)
        if start.coarse:
            start = _coarse_start(problem, options, start, max(inputs.margin_pixels))
            # As after a fit (below): move the HST image and its masks first
            # if the start is a pixel or more away (this is not a refit).
            if _moved_pixels(start, px, py, pixel_scales):
                start = start.moved(linear=None)
                continue
        model = _initial_model(problem, options, start)
        initial = {n: float(getattr(model, n).value) for n in model.param_names}
        fitted, info, messages = _run_fit(model, problem, options.solver)
        start = _next_start(fitted, start)
        if not _moved_pixels(start, px, py, pixel_scales) or refits >= _MAX_REFITS:
            return _FitState(fitted, info, messages, prepared, problem, refits, initial,
                             start)
        # The shift moved the masks by a pixel or more: shift the HST image
        # and its masks by the whole pixels found, so that both images mask
        # the same sky, and fit again.
        refits += 1


#: Check the options of an image fit before anything is read: the keywords
#: of `measure_image_photometry` in, a frozen
#: `~imphot_astropy.fitting.options.ImageFitOptions` out (a `UserError`
#: names the first bad one).
check_image_fit_options = ImageFitOptions.from_keywords


def check_image_fit_inputs(hst_image, muse_image, star=None):
    """Check what an image fit needs of its read images, before fitting.

    Parameters
    ----------
    hst_image, muse_image : `~imphot_astropy.io.ImageData`
        The images, from `read_aligned_pair`.
    star : (ra, dec, radius), optional
        Must lie on the MUSE image, with a radius of at least a pixel.

    Returns
    -------
    regrid : object
        The regridding filter named by the HST header (see
        `~imphot_astropy.core.transfer.regrid_filter_from_header`).

    Raises
    ------
    UserError
        For a bad regridding-filter keyword or a star off the image.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(40, 40), seed=3)
    >>> hst_image, muse_image = read_aligned_pair(hst, muse)
    >>> check_image_fit_inputs(hst_image, muse_image).name
    'BLACKMAN'
    """
    regrid = regrid_filter_from_header(
        hst_image.keywords(REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD), hst_image.name)
    if star is not None:
        _check_star_on_image(star, muse_image)
    return regrid


def measure_image_photometry(hst, muse, regions=None, fix_scale=None, fix_bg=None,
                             fix_dx=None, fix_dy=None, fix_fwhm=None, fix_beta=None,
                             min_scale=0, hst_fwhm=DEFAULT_HST_FWHM,
                             hst_beta=DEFAULT_HST_BETA, margin=DEFAULT_MARGIN,
                             segment=False, star=None, taper=DEFAULT_TAPER,
                             extramask=None, init_dx=None,
                             init_dy=None, robust=False, keep_state=False, psf="moffat",
                             solver=None):
    """Measure the image fit of a MUSE image against an HST image (no side effects).

    The measuring core of `~imphot_astropy.photometry.fit_image_photometry`,
    which documents the method and the arguments; this function takes the
    fit options only, and neither draws, saves nor corrects anything.

    Parameters
    ----------
    hst, muse : str, HDU, NDData/CCDData or `~imphot_astropy.io.ImageData`
        The HST image regridded onto the MUSE grid, and the MUSE image.
    regions, fix_scale, fix_bg, fix_dx, fix_dy, fix_fwhm, fix_beta, min_scale, hst_fwhm, hst_beta, margin, segment, star, taper, extramask, init_dx, init_dy, robust, psf, solver
        See `~imphot_astropy.photometry.fit_image_photometry`.
    keep_state : bool
        Also keep the fit's prepared arrays and Fourier-plane problem as
        ``result.fit_state`` (``prepared``, ``problem``), for a caller that
        fits the same pair again in another way (the survey's joint fit);
        they are large, so not kept by default.

    Returns
    -------
    result : `~imphot_astropy.fitting.FittedImagePhotometry`
        With ``products``: the arrays of the compared area that figures and
        FITS products show (see `~imphot_astropy.fitting.image_fit_images`).

    Raises
    ------
    UserError
        For unreadable or misaligned images, bad region files or arguments,
        or no unmasked pixel in common.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(60, 60), seed=3)
    >>> fit = measure_image_photometry(hst, muse, fix_beta=2.5)
    >>> round(fit.fwhm.value, 2), round(fit.scale.value, 2)
    (0.65, 1.2)
    """
    options = ImageFitOptions.from_keywords(
        fix_scale=fix_scale, fix_bg=fix_bg, fix_dx=fix_dx, fix_dy=fix_dy,
        fix_fwhm=fix_fwhm, fix_beta=fix_beta, min_scale=min_scale, hst_fwhm=hst_fwhm,
        hst_beta=hst_beta, margin=margin, taper=taper, init_dx=init_dx, init_dy=init_dy,
        regions=regions, segment=segment, star=star, extramask=extramask, robust=robust,
        psf=psf, solver=solver)
    return measure_with_options(hst, muse, options, keep_state=keep_state)


def measure_with_options(hst, muse, options, keep_state=False):
    """`measure_image_photometry` with options already checked.

    Parameters
    ----------
    hst, muse : str, HDU, NDData/CCDData or `~imphot_astropy.io.ImageData`
        The HST image regridded onto the MUSE grid, and the MUSE image.
    options : `~imphot_astropy.fitting.options.ImageFitOptions`
        From `check_image_fit_options` (the public functions) or built per
        band by the survey.
    keep_state : bool
        As for `measure_image_photometry`.

    Returns
    -------
    result : `~imphot_astropy.fitting.FittedImagePhotometry`

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(60, 60), seed=3)
    >>> fit = measure_with_options(hst, muse, ImageFitOptions.from_keywords(fix_beta=2.5))
    >>> round(fit.fwhm.value, 2)
    0.65
    """
    hst_image, muse_image = read_aligned_pair(hst, muse)
    regrid = check_image_fit_inputs(hst_image, muse_image, options.star)
    options = options.for_muse_unit(muse_image.unit)
    inputs = FitInputs(hst_image, muse_image, options, regrid)
    state = _fit_with_refits(inputs, inputs.excluded, options.start())
    excluded, excluded_sources = inputs.excluded, []
    if options.robust:
        # Issue 16: leave out point sources that disagree, then fit again,
        # each refit starting where the fit before it ended.
        latest = state

        def refit(mask):
            nonlocal latest
            latest = _fit_with_refits(inputs, mask, latest.next_start)
            return latest

        state, excluded, excluded_sources = refit_without_inconsistent_sources(
            state, excluded, refit, muse_image, max(inputs.margin_pixels))
    fitted, info, messages, prepared, problem, refits = (
        state.fitted, state.info, state.messages, state.prepared, state.problem,
        state.refits)
    covariance = image_fit_covariance(fitted, info, problem, prepared.noise_variance)
    values, dxdy_cov = _fitted_values(fitted, covariance)
    at_bound = warn_at_bound([name for name, _, _ in parameters_at_bounds(fitted)],
                             muse_image.name, "image")
    n_free = sum(not getattr(fitted, n).fixed for n in fitted.param_names)
    rchi = _reduced_chi_square(info.fun, problem, prepared.variance, n_free)
    products = _Products(prepared, problem, fitted, muse_image, hst_image)
    rms = products.residual_rms()
    report = _report(fitted, values, info, rchi, refits, messages, regrid, covariance,
                     initial=state.initial)
    quality = image_quality(
        fitted, covariance.goodness, int(prepared.good.sum()), int((~excluded).sum()),
        prepared.hst[prepared.sky_slice][prepared.good], hst_image.name,
        muse_band(muse_image), excluded_sources, min(muse_image.pixel_scales))
    # Only what the docstring promises is kept: the fitter's information
    # (its Jacobian, 1e5 x 6 values) would be dead weight.
    kept = _KeptState(prepared, problem) if keep_state else None
    return FittedImagePhotometry(
        muse_image, values, report, rchi, rms, covariance=dxdy_cov, products=products,
        regrid_filter=regrid.name, fit_state=kept, quality=quality, at_bound=at_bound,
        provenance=FitProvenance.from_images(hst_image, muse_image, options.record()))
