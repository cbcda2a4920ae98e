"""The star fit: `measure_star_photometry` and its result, `FittedStarPhotometry`.

A Moffat profile plus a constant background is fitted to one star in the
MUSE image and, separately, in the HST image regridded onto the MUSE grid,
using the pixels within a radius of the star that are unmasked in both
images (masked pixels are left out, not filled). Comparing the two fits
gives the flux scale (ratio of the total fluxes), the flux offset
(difference of the backgrounds) and the pointing offset (difference of the
centres), and the MUSE fit gives the PSF's FWHM and beta. Each image gets
the model of how it was made (see `~imphot_astropy.fitting.star_models`):
the MUSE Moffat is integrated over the pixels, so that its FWHM is the PSF's
own and comparable with the image fitter's, and the HST Moffat is filtered
by the regridding's anti-aliasing window.
"""

import warnings

import numpy as np
import astropy.units as u
from astropy.modeling.models import Const2D
from astropy.utils.exceptions import AstropyUserWarning

from ..exceptions import UserError
from ..utils import optional_number
from ..core.transfer import (regrid_filter_from_header, REGRID_FILTER_KEYWORD,
                             REGRID_CUTOFF_KEYWORD)
from .results import FittedValue, FittedPhotometry
from .provenance import FitProvenance
from .reports import lmfit_layout_report
from .solvers import STAR_FIT_SOLVER, resolve_solver
from .uncertainties import star_fit_covariance
from .quality import star_quality, muse_band, parameters_at_bounds
from .star_models import (PixelIntegratedMoffat2D, PixelIntegratedEllipticalMoffat2D,
                          BandLimitedMoffat2D, MIN_FWHM, flux_moffat2d)
from .options import PSF_MODELS
from .checks import warn_at_bound
from .star_geometry import StarGeometry, select_star_pixels, require_enough_pixels
from .image_fit import DEFAULT_HST_FWHM, DEFAULT_HST_BETA, read_aligned_pair

__all__ = ["measure_star_photometry", "check_star_fit_options", "check_star_psf",
           "star_fit_solver", "FittedStarPhotometry"]

# The parameters of each star fit, in the order of the models.
_STAR_PARAMETERS = ("flux", "dx", "dy", "fwhm", "beta", "bg")
# Their names in the compound model Moffat + Const2D.
_MODEL_NAMES = dict(flux="flux_0", dx="x_0_0", dy="y_0_0", fwhm="fwhm_0",
                    beta="beta_0", bg="amplitude_1")
_REPORTED = ("fwhm", "beta", "dx", "dy", "bg", "flux")
# The shape parameters of the elliptical Moffat (psf="elliptical"), fitted
# to the MUSE star only: the HST star is the HST PSF, filtered.
_SHAPE_PARAMETERS = ("e", "theta")
_SHAPE_MODEL_NAMES = dict(e="e_0", theta="theta_0")
# Where the ellipticity starts: off 0, where the angle has no gradient (as
# the image fit's elliptical model).
_START_ELLIPTICITY = 0.1


class _Guess:
    """Initial values for a Moffat + background fit, from the pixels alone.

    Values are normalised by the star's peak above the background, so that
    the fitter sees numbers of order one whatever the image's units.
    """

    def __init__(self, u_, v_, values, geometry):
        radius = np.hypot(u_ - geometry.star_u, v_ - geometry.star_v)
        outer = radius >= 0.6 * geometry.radius
        self.bg = float(np.median(values[outer]) if outer.sum() >= 5
                        else np.percentile(values, 10))
        excess = values - self.bg
        peak = int(np.argmax(excess))
        self.norm = float(excess[peak]) if excess[peak] > 0 else float(np.std(values) or 1.0)
        near = np.hypot(u_ - u_[peak], v_ - v_[peak]) <= 1.5 * max(geometry.pixel_x,
                                                                    geometry.pixel_y)
        weights = np.clip(excess[near], 0.0, None)
        if weights.sum() > 0:
            self.x = float(np.sum(u_[near] * weights) / weights.sum())
            self.y = float(np.sum(v_[near] * weights) / weights.sum())
        else:
            self.x, self.y = float(u_[peak]), float(v_[peak])
        self.flux = max(float(np.clip(excess, 0.0, None).sum()), self.norm)
        half = np.count_nonzero(excess >= 0.5 * excess[peak]) if excess[peak] > 0 else 1
        self.fwhm = 2.0 * np.sqrt(half * geometry.pixel_x * geometry.pixel_y / np.pi)


def _inside(value, low, high):
    """Move an initial value strictly inside its bounds.

    Starting on or outside a bound is what made the MPDAF-based tool fail
    with "Initial guess is outside of provided bounds".
    """
    magnitude = max(abs(low) if low is not None else 0.0,
                    abs(high) if high is not None else 0.0, 1e-3)
    step = 1e-3 * magnitude
    if low is not None and high is not None:
        step = min(step, (high - low) / 4.0)
    if low is not None:
        value = max(value, low + step)
    if high is not None:
        value = min(value, high - step)
    return float(value)


def _star_model(moffat, guess, geometry, fwhm0, beta0, fix_fwhm, fix_beta):
    """The Moffat + Const2D model with normalised initial values and bounds."""
    reach = geometry.radius
    moffat.x_0.bounds = (geometry.star_u - reach, geometry.star_u + reach)
    moffat.y_0.bounds = (geometry.star_v - reach, geometry.star_v + reach)
    moffat.flux = guess.flux / guess.norm
    moffat.x_0 = _inside(guess.x, *moffat.x_0.bounds)
    moffat.y_0 = _inside(guess.y, *moffat.y_0.bounds)
    moffat.fwhm = fix_fwhm if fix_fwhm is not None else _inside(fwhm0, MIN_FWHM, None)
    moffat.beta = fix_beta if fix_beta is not None else _inside(beta0, *moffat.beta.bounds)
    moffat.fwhm.fixed = fix_fwhm is not None
    moffat.beta.fixed = fix_beta is not None
    if fix_fwhm is not None:
        moffat.fwhm.bounds = (None, None)
    if fix_beta is not None:
        moffat.beta.bounds = (None, None)
    if "e" in moffat.param_names:
        moffat.e = _START_ELLIPTICITY
        moffat.theta = 0.0
    return moffat + Const2D(amplitude=guess.bg / guess.norm)


class StarFit:
    """The fit of one Moffat + background model to the star in one image.

    Attributes
    ----------
    values : dict
        `FittedValue` of flux, dx, dy (offsets from the star's (ra, dec),
        arcsec), fwhm, beta and bg, in the image's units.
    covariance_xy : `numpy.ndarray`
        The 2x2 covariance of (dx, dy).
    rchi : float
        The reduced chi-squared (with the variance image if known, else with
        unit variance).
    residual : `numpy.ndarray`
        Data minus model at the fitted pixels.
    model : `astropy.modeling.Model`
        The fitted model in normalised units (multiply by ``norm``).
    """

    def __init__(self, label, model, u_, v_, values, variance, guess, geometry,
                 pixels=None, solver=STAR_FIT_SOLVER):
        self.label = label
        # The elliptical Moffat adds e and theta to the fitted parameters.
        shape = [name for name in _SHAPE_PARAMETERS
                 if _SHAPE_MODEL_NAMES[name] in model.param_names]
        self.parameters = _STAR_PARAMETERS + tuple(shape)
        self.model_names = dict(_MODEL_NAMES, **{n: _SHAPE_MODEL_NAMES[n] for n in shape})
        self.norm = guess.norm
        self.solver = solver
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", AstropyUserWarning)
            fitted, self.info = solver.fit_model(model, (u_, v_), values / guess.norm)
        self.messages = [str(w.message) for w in caught]
        self.initial = self._initial_values(model, geometry)
        self.model = fitted
        self.residual = values - guess.norm * fitted(u_, v_)
        self.n_pixels = values.size
        self.n_free = sum(not fitted.fixed[n] for n in fitted.param_names)
        dof = max(self.n_pixels - self.n_free, 1)
        known = (variance is not None and np.all(np.isfinite(variance))
                 and np.all(variance > 0))
        if known:
            self.rchi = float(np.sum(self.residual**2 / variance) / dof)
        else:
            self.rchi = float(np.sum(self.residual**2) / dof)
        # The goodness of fit: the reduced chi-squared when the noise is known.
        self.goodness = self.rchi if known else float("nan")
        # Uncertainties that allow for correlated pixel noise (issue 16).
        self.sandwich = None
        if pixels is not None:
            self.sandwich = star_fit_covariance(fitted, self.info, pixels, variance,
                                                self.goodness)
        self._collect(fitted, geometry)

    def _initial_values(self, model, geometry):
        """The starting values, in the units of `values`."""
        initial = {}
        for name in self.parameters:
            value = float(getattr(model, self.model_names[name]).value)
            value *= self.norm if name in ("flux", "bg") else 1.0
            value -= geometry.star_u if name == "dx" else 0.0
            value -= geometry.star_v if name == "dy" else 0.0
            initial[name] = value
        return initial

    def _collect(self, fitted, geometry):
        free = [n for n in fitted.param_names if not fitted.fixed[n]]
        cov = self._covariance()
        usable = cov is not None and np.all(np.isfinite(cov))
        self.values = {}
        for name in self.parameters:
            key = self.model_names[name]
            value = float(getattr(fitted, key).value)
            stdev = None
            if fitted.fixed[key]:
                stdev = 0.0
            elif usable:
                index = free.index(key)
                stdev = float(np.sqrt(max(cov[index, index], 0.0)))
            if name in ("flux", "bg"):
                value *= self.norm
                stdev = None if stdev is None else stdev * self.norm
            if name == "dx":
                value -= geometry.star_u
            if name == "dy":
                value -= geometry.star_v
            if name == "theta":
                value %= 180.0      # an axis: theta and theta + 180 are one
            self.values[name] = FittedValue(value, stdev, bool(fitted.fixed[key]))
        self.covariance_xy = np.zeros((2, 2))
        if usable:
            keys = [_MODEL_NAMES["dx"], _MODEL_NAMES["dy"]]
            for a, ka in enumerate(keys):
                for b, kb in enumerate(keys):
                    if ka in free and kb in free:
                        self.covariance_xy[a, b] = cov[free.index(ka), free.index(kb)]
        else:
            self.covariance_xy = np.diag([(self.values[k].stdev or 0.0)**2
                                          for k in ("dx", "dy")])

    def report(self):
        """The fit's report in lmfit's layout, titled ``[[<label> star fit]]``."""
        names = {key: name for name, key in self.model_names.items()}
        free = [n for n in self.model.param_names if not self.model.fixed[n]]
        return lmfit_layout_report(
            f"{self.label} star fit", self.solver.name, self.info.nfev, self.n_pixels,
            self.rchi,
            {name: self.values[name] for name in self.parameters}, self.initial,
            self._covariance(), [names[n] for n in free],
            notes=[("goodness of fit", f"{self.goodness:.4g} (1 if noise-limited)"),
                   ("status", self.info.message)], warnings=self.messages)

    def _covariance(self):
        """The free parameters' covariance: the sandwich one where it was made."""
        if self.sandwich is None:
            return self.info.covariance()
        return self.sandwich.covariance


class _StarProducts:
    """What plotting and saving need from a star fit.

    ``muse``/``hst`` are the images and ``muse_model``/``hst_model`` the
    fitted models on the cropped area ``crop`` of the MUSE grid, in the
    images' units; ``pixels`` marks the fitted pixels there (full-grid:
    ``selected``); ``star_xy`` is the star's (ra, dec) in 0-based pixel
    coordinates of the full grid.
    """

    def __init__(self, geometry, pixels, muse_image, hst_image, muse_fit, hst_fit):
        self.crop = geometry.crop(pixels)
        self.selected = pixels
        self.pixels = pixels[self.crop]
        rows, cols = np.mgrid[self.crop]
        u_ = (cols - geometry.origin[0]) * geometry.pixel_x
        v_ = (rows - geometry.origin[1]) * geometry.pixel_y
        self.muse = muse_image.data[self.crop]
        self.hst = hst_image.data[self.crop]
        self.muse_model = muse_fit.norm * muse_fit.model(u_, v_)
        self.hst_model = hst_fit.norm * hst_fit.model(u_, v_)
        self.star_xy = (geometry.x, geometry.y)
        self.radius = geometry.radius
        self.wcs = muse_image.wcs
        self.unit = muse_image.unit
        self.hst_unit = hst_image.unit
        self.muse_filename = muse_image.filename
        self.hst_filename = hst_image.filename
        self._fits = {"muse": muse_fit, "hst": hst_fit}

    def profile(self, prefix, radii):
        """The fitted model of the "muse" or "hst" star along a ray from its centre.

        The values a pixel centred at each distance (arcsec, along +x) from
        the fitted centre would hold, background included.
        """
        fit = self._fits[prefix]
        radii = np.asarray(radii, dtype=float)
        x_0 = float(getattr(fit.model, fit.model_names["dx"]).value)
        y_0 = float(getattr(fit.model, fit.model_names["dy"]).value)
        return fit.norm * fit.model(x_0 + radii, np.full_like(radii, y_0))


def _fitted_moffat2d(fit):
    """The astropy model of a star fit's Moffat, in arcsec from the star's (ra, dec).

    A `~astropy.modeling.functional_models.Moffat2D` for the circular
    Moffat; the elliptical PSF's own astropy model for the elliptical one.
    """
    values = {name: fit.values[name].value for name in fit.parameters}
    if "e" in values:
        return PixelIntegratedEllipticalMoffat2D.psf.astropy_model(
            values["fwhm"], values["beta"], values["e"], values["theta"], values["dx"],
            values["dy"], values["flux"])
    return flux_moffat2d(values["flux"], values["dx"], values["dy"], values["fwhm"],
                         values["beta"])


def _ratio(numerator, denominator):
    """A ratio of fitted values, with first-order error propagation."""
    value = numerator.value / denominator.value
    if numerator.stdev is None or denominator.stdev is None:
        return FittedValue(value, None, False)
    stdev = abs(value) * np.hypot(numerator.stdev / numerator.value,
                                  denominator.stdev / denominator.value)
    return FittedValue(value, stdev, False)


def _difference(first, second, fixed=False):
    value = first.value - second.value
    if first.stdev is None or second.stdev is None:
        return FittedValue(value, None, fixed)
    return FittedValue(value, float(np.hypot(first.stdev, second.stdev)), fixed)


# The reference tool's figures (the ``plain_*`` attributes of the result):
# that tool fitted each star with a plain Moffat sampled at pixel centres.
_PLAIN_FIGURES = ("scale", "bg", "dx", "dy", "fwhm", "beta", "hst_fwhm", "hst_beta")


def _plain_fits(hst_image, muse_image, geometry, pixels, fix_fwhm, fix_beta, solver):
    """Fit both stars with a plain point-sampled Moffat, as the reference did.

    One quadrature node per pixel makes `PixelIntegratedMoffat2D` a Moffat
    sampled at the pixel centres. Only the MUSE fit takes ``fix_fwhm`` and
    ``fix_beta``, as in the reference tool.
    """
    u_, v_ = geometry.offsets(pixels)
    fits = []
    for label, image, fixed in (("MUSE plain", muse_image, (fix_fwhm, fix_beta)),
                                ("HST plain", hst_image, (None, None))):
        values = image.data[pixels]
        guess = _Guess(u_, v_, values, geometry)
        moffat = PixelIntegratedMoffat2D(geometry.pixel_x, geometry.pixel_y, nodes=1)
        model = _star_model(moffat, guess, geometry, guess.fwhm, 2.5, *fixed)
        variance = None if image.variance is None else image.variance[pixels]
        fits.append(StarFit(label, model, u_, v_, values, variance, guess, geometry,
                            solver=solver))
    return tuple(fits)


def _plain_figures(plain):
    """The ``plain_*`` figures from the plain MUSE and HST fits (NaN if absent)."""
    if plain is None:
        return {name: FittedValue(np.nan, None, False) for name in _PLAIN_FIGURES}
    muse, hst = (fit.values for fit in plain)
    scale = (_ratio(muse["flux"], hst["flux"]) if hst["flux"].value > 0
             else FittedValue(np.nan, None, False))
    return dict(scale=scale, bg=_difference(muse["bg"], hst["bg"]),
                dx=_difference(muse["dx"], hst["dx"]), dy=_difference(muse["dy"], hst["dy"]),
                fwhm=muse["fwhm"], beta=muse["beta"], hst_fwhm=hst["fwhm"],
                hst_beta=hst["beta"])


class FittedStarPhotometry(FittedPhotometry):
    """The results of `measure_star_photometry` (and so of
    `~imphot_astropy.photometry.fit_star_photometry`).

    The common attributes of `~imphot_astropy.fitting.FittedPhotometry`
    (``scale``, ``bg``, ``dx``, ``dy``, ``dra``, ``ddec``, ``fwhm``,
    ``beta``, ``rms_error``) are derived from the two star fits:
    ``scale = muse_flux / hst_flux``, ``bg = muse_bg - hst_bg``,
    ``dx = muse_dx - hst_dx``, ``dy = muse_dy - hst_dy``,
    ``fwhm = muse_fwhm``, ``beta = muse_beta``.

    Parameters
    ----------
    muse : `~imphot_astropy.io.ImageData`
        The MUSE image that was fitted.
    muse_fit, hst_fit : `StarFit`
        The fits of the star in the MUSE and HST images.
    ra, dec : float
        The star position the offsets are measured from (degrees).
    products : object, optional
        Images and models for plotting (dropped when pickled).
    plain : (`StarFit`, `StarFit`), optional
        Plain point-sampled Moffat fits of the MUSE and HST stars, for the
        ``plain_*`` figures (NaN without them).
    **common
        ``quality``, ``at_bound`` and ``provenance``: see
        `~imphot_astropy.fitting.FittedPhotometry`.

    Attributes
    ----------
    muse_fwhm, muse_beta : `~imphot_astropy.fitting.FittedValue`
        The PSF of the MUSE star: FWHM (arcsec) of the Moffat before pixel
        integration, and beta.
    muse_dx, muse_dy : `~imphot_astropy.fitting.FittedValue`
        The MUSE star's centre relative to (ra, dec), along the pixel axes
        (arcsec).
    muse_bg, muse_flux : `~imphot_astropy.fitting.FittedValue`
        The background under the star and the star's total flux, in MUSE
        units.
    muse_rchi : float
        The reduced chi-squared of the MUSE star fit (with the MUSE
        variance when the image has one).
    hst_fwhm, hst_beta, hst_dx, hst_dy, hst_bg, hst_flux, hst_rchi
        The same for the HST star. ``hst_fwhm`` and ``hst_beta`` describe
        the HST PSF before the regridding filter, like the image fitter's
        ``hst_fwhm``/``hst_beta`` arguments; they are poorly constrained
        when the PSF is much narrower than a MUSE pixel. The HST image
        rarely has a variance, so ``hst_rchi`` is usually the mean squared
        residual per degree of freedom.
    ra, dec : float
        The position (degrees) the offsets are measured from.
    rchi : float
        The same as ``muse_rchi``.
    muse_moffat, hst_moffat : `~astropy.modeling.functional_models.Moffat2D`
        The fitted Moffat profiles before pixel integration (MUSE) or the
        regridding filter (HST), in arcsec along the pixel axes from
        (ra, dec), with amplitudes in flux per square arcsec (their
        integrals are ``muse_flux`` and ``hst_flux``).
    plain_scale, plain_bg, plain_dx, plain_dy, plain_fwhm, plain_beta : `~imphot_astropy.fitting.FittedValue`
        The figures of the reference (MPDAF-based) tool, for comparison with
        its tables: ``scale``, ``bg``, ``dx``, ``dy``, ``fwhm`` and ``beta``
        when both stars are fitted with a plain Moffat sampled at the pixel
        centres, as that tool did. The plain HST Moffat cannot follow the
        regridding-filtered star and misses part of its flux, so
        ``plain_scale`` is biased high (20% on the HDFS star), and
        ``plain_fwhm`` includes the pixel's broadening. Prefer ``scale``,
        ``fwhm`` and the others.
    plain_hst_fwhm, plain_hst_beta : `~imphot_astropy.fitting.FittedValue`
        The HST star as seen in the regridded HST image (a plain Moffat's
        FWHM in arcsec, and beta): the reference tool's ``hst_fwhm`` and
        ``hst_beta``. They describe the regridding window as much as the
        HST PSF, which ``hst_fwhm``/``hst_beta`` describe.

    Examples
    --------
    >>> from imphot_astropy.fitting import measure_star_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(60, 60), sources=[SyntheticSource(30.2, 29.7, 2000.0)], seed=4)
    >>> ra, dec = truth["star_radec"][0]
    >>> fit = measure_star_photometry(hst, muse, (ra, dec, 2.0))
    >>> round(fit.muse_fwhm.value, 2), round(fit.scale.value, 2)
    (0.65, 1.2)
    """

    def __init__(self, muse, muse_fit, hst_fit, ra, dec, products=None, plain=None,
                 **common):
        for name in _REPORTED:
            setattr(self, "muse_" + name, muse_fit.values[name])
            setattr(self, "hst_" + name, hst_fit.values[name])
        for name, value in _plain_figures(plain).items():
            setattr(self, "plain_" + name, value)
        # The elliptical Moffat's shape of the MUSE star.
        shape = {name: muse_fit.values[name] for name in ("e", "theta")
                 if name in muse_fit.values}
        self.muse_rchi = muse_fit.rchi
        self.hst_rchi = hst_fit.rchi
        self.muse_moffat = _fitted_moffat2d(muse_fit)
        self.hst_moffat = _fitted_moffat2d(hst_fit)
        self.rchi = muse_fit.rchi
        self.ra = float(ra)
        self.dec = float(dec)
        rms = float(np.sqrt(np.mean(muse_fit.residual**2)))
        report = "\n".join(fit.report() for fit in (muse_fit, hst_fit, *(plain or ())))
        covariance = muse_fit.covariance_xy + hst_fit.covariance_xy
        super().__init__("star", muse, report,
                         _ratio(self.muse_flux, self.hst_flux),
                         _difference(self.muse_bg, self.hst_bg),
                         _difference(self.muse_dx, self.hst_dx),
                         _difference(self.muse_dy, self.hst_dy),
                         self.muse_fwhm, self.muse_beta, rms, covariance,
                         shape=shape or None, **common)
        self.products = products

    def _extra_row_values(self):
        row = {}
        for prefix in ("muse", "hst"):
            flux_unit = self.unit if prefix == "muse" else getattr(self, "hst_unit", None)
            units = dict(fwhm=u.arcsec, dx=u.arcsec, dy=u.arcsec, beta=None,
                         bg=flux_unit, flux=flux_unit)
            for name in _REPORTED:
                fitted = getattr(self, f"{prefix}_{name}")
                row[f"{prefix}_{name}"] = (fitted.value, units[name])
                row[f"{prefix}_{name}_err"] = (
                    np.nan if fitted.stdev is None else fitted.stdev, units[name])
            row[f"{prefix}_rchi"] = (getattr(self, f"{prefix}_rchi"), None)
        row["ra"] = (self.ra, u.deg)
        row["dec"] = (self.dec, u.deg)
        plain_units = dict(units, scale=None, hst_fwhm=u.arcsec, hst_beta=None)
        for name in _PLAIN_FIGURES:
            fitted = getattr(self, "plain_" + name)
            row[f"plain_{name}"] = (fitted.value, plain_units[name])
            row[f"plain_{name}_err"] = (np.nan if fitted.stdev is None else fitted.stdev,
                                        plain_units[name])
        return row

    def __reduce__(self):
        # Plotting products are not sent between processes.
        state = dict(self.__dict__)
        state["products"] = None
        return (_rebuild, (self.__class__, state))


def _rebuild(cls, state):
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


def fit_star_pixels(hst_image, muse_image, geometry, pixels, fix_fwhm=None, fix_beta=None,
                    psf="moffat", options=None, solver=None):
    """Fit the star at the given pixels of both images (array-level core).

    Parameters
    ----------
    hst_image, muse_image : `~imphot_astropy.io.ImageData`
        The images, on the same grid.
    geometry : `StarGeometry`
        The star's position and circle.
    pixels : `numpy.ndarray` of bool
        The pixels to fit (unmasked in both images).
    fix_fwhm, fix_beta : float or None
        Hold the MUSE star's FWHM (arcsec) or beta.
    psf : {"moffat", "elliptical"}
        The MUSE star's PSF model (see `measure_star_photometry`).
    options : dict, optional
        The fit options by keyword, recorded in the result (its
        `~imphot_astropy.fitting.provenance.FitProvenance`); by default
        ``star``, ``fix_fwhm``, ``fix_beta`` and ``psf``. The solver's
        name is added as ``solver``.
    solver : None, str or `~imphot_astropy.fitting.solvers.Solver`
        The solver of every star fit (see `star_fit_solver`).

    Returns
    -------
    result : `FittedStarPhotometry`
    """
    solver = star_fit_solver(solver)
    if options is None:
        options = dict(star=(geometry.ra, geometry.dec, geometry.radius),
                       fix_fwhm=fix_fwhm, fix_beta=fix_beta, psf=psf)
    options = dict(options, solver=solver.name)
    require_enough_pixels(geometry, pixels)
    regrid = regrid_filter_from_header(
        hst_image.keywords(REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD), hst_image.name)
    u_, v_ = geometry.offsets(pixels)
    px, py = geometry.pixel_x, geometry.pixel_y

    muse_values = muse_image.data[pixels]
    muse_guess = _Guess(u_, v_, muse_values, geometry)
    muse_moffat = (PixelIntegratedEllipticalMoffat2D(px, py) if psf == "elliptical"
                   else PixelIntegratedMoffat2D(px, py))
    muse_model = _star_model(muse_moffat, muse_guess, geometry,
                             muse_guess.fwhm, 2.5, fix_fwhm, fix_beta)
    variance = None if muse_image.variance is None else muse_image.variance[pixels]
    muse_fit = StarFit("MUSE", muse_model, u_, v_, muse_values, variance, muse_guess,
                       geometry, pixels=pixels, solver=solver)

    hst_values = hst_image.data[pixels]
    hst_guess = _Guess(u_, v_, hst_values, geometry)
    # The regridded HST star's width is set by the regridding window, not
    # by the HST PSF, so its half-maximum area says nothing of the PSF:
    # start from the image fitter's default HST PSF instead.
    hst_model = _star_model(
        BandLimitedMoffat2D(px, py, regrid.transfer, grid_size=geometry.grid_size(pixels)),
        hst_guess, geometry, DEFAULT_HST_FWHM, DEFAULT_HST_BETA, None, None)
    hst_variance = None if hst_image.variance is None else hst_image.variance[pixels]
    hst_fit = StarFit("HST", hst_model, u_, v_, hst_values, hst_variance, hst_guess,
                      geometry, pixels=pixels, solver=solver)
    if not hst_fit.values["flux"].value > 0:
        raise UserError(f"star: the HST star fit found no positive flux at "
                        f"({geometry.ra}, {geometry.dec}); is there a star?")
    products = _StarProducts(geometry, pixels, muse_image, hst_image, muse_fit, hst_fit)
    plain = _plain_fits(hst_image, muse_image, geometry, pixels, fix_fwhm, fix_beta,
                        solver)
    reported_names = {v: k for k, v in muse_fit.model_names.items()}
    quality = star_quality(
        muse_fit.model, hst_fit.model, reported_names,
        muse_fit.goodness, int(pixels.sum()), int(geometry.circle.sum()), hst_values,
        hst_image.name, muse_band(muse_image))
    at_bound = warn_at_bound(
        [f"{fit.label} {name}" for fit in (muse_fit, hst_fit)
         for name, _, _ in parameters_at_bounds(fit.model, reported_names)],
        muse_image.name, "star")
    return FittedStarPhotometry(
        muse_image, muse_fit, hst_fit, geometry.ra, geometry.dec, products=products,
        plain=plain, quality=quality, at_bound=at_bound,
        provenance=FitProvenance.from_images(hst_image, muse_image, options))


def check_star_fit_options(fix_fwhm=None, fix_beta=None):
    """Check the options of a star fit, before anything is read.

    Parameters
    ----------
    fix_fwhm, fix_beta : float or None
        As for `measure_star_photometry`.

    Returns
    -------
    fix_fwhm, fix_beta : float or None

    Raises
    ------
    UserError
        For a value that is not a finite number above 0 (fwhm) or 1 (beta).

    Examples
    --------
    >>> check_star_fit_options(0.7, None)
    (0.7, None)
    """
    return (optional_number(fix_fwhm, "fix_fwhm", minimum=0.0, unit=u.arcsec),
            optional_number(fix_beta, "fix_beta", minimum=1.0))


def check_star_psf(psf):
    """Check the ``psf`` option of a star fit (one of `~imphot_astropy.fitting.options.PSF_MODELS`).

    Examples
    --------
    >>> check_star_psf("elliptical")
    'elliptical'
    """
    if psf not in PSF_MODELS:
        raise UserError(f"psf: expected one of {', '.join(PSF_MODELS)}, not {psf!r}")
    return psf


def star_fit_solver(solver=None):
    """The solver of the star fits for a ``solver`` keyword (checked).

    None, and ``"astropy-trf"``, give the star fit's own
    (`~imphot_astropy.fitting.solvers.STAR_FIT_SOLVER`); see
    `~imphot_astropy.fitting.solvers.resolve_solver`.

    Examples
    --------
    >>> star_fit_solver("lm").name
    'Levenberg-Marquardt, MINPACK (scipy least_squares, lm)'
    """
    return resolve_solver(solver, STAR_FIT_SOLVER, "astropy-trf")


def measure_star_photometry(hst, muse, star, fix_fwhm=None, fix_beta=None, psf="moffat",
                            solver=None):
    """Measure the star fit of one star in both images (no side effects).

    The measuring core of `~imphot_astropy.photometry.fit_star_photometry`,
    which documents the method and the arguments; this function neither
    draws nor corrects anything.

    Parameters
    ----------
    hst, muse : str, HDU, NDData/CCDData or `~imphot_astropy.io.ImageData`
        The HST image regridded onto the MUSE grid, and the MUSE image.
    star : (ra, dec, radius)
        The star's position (degrees) and the radius (arcsec) of the circle
        of pixels to fit.
    fix_fwhm, fix_beta : float or None
        Hold the FWHM (arcsec) or beta of the MUSE star's Moffat profile.
    psf : {"moffat", "elliptical"}
        The MUSE star's PSF: the circular Moffat (the default, the
        reference tool's) or the elliptical Moffat
        (`~imphot_astropy.core.psf.EllipticalMoffat`: ``fwhm`` along the
        major axis, and the result gets ``e`` and ``theta``). The HST
        star keeps the circular Moffat of the HST PSF.
    solver : None, str or `~imphot_astropy.fitting.solvers.Solver`
        See `~imphot_astropy.photometry.fit_star_photometry`.

    Returns
    -------
    result : `FittedStarPhotometry`
        With ``products``: the cut-outs, models and profiles a figure shows.

    Raises
    ------
    UserError
        See `~imphot_astropy.photometry.fit_star_photometry`.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
    >>> ra, dec = truth["star_radec"][0]
    >>> fit = measure_star_photometry(hst, muse, (ra, dec, 2.0))
    >>> round(fit.fwhm.value, 2), round(fit.scale.value, 2)
    (0.65, 1.2)
    """
    fix_fwhm, fix_beta = check_star_fit_options(fix_fwhm, fix_beta)
    check_star_psf(psf)
    solver = star_fit_solver(solver)
    hst_image, muse_image = read_aligned_pair(hst, muse)
    geometry = StarGeometry(star, muse_image)
    pixels = select_star_pixels(geometry, muse_image.mask, hst_image.mask)
    return fit_star_pixels(hst_image, muse_image, geometry, pixels, fix_fwhm, fix_beta, psf,
                           options=dict(star=star, fix_fwhm=fix_fwhm, fix_beta=fix_beta,
                                        psf=psf), solver=solver)
