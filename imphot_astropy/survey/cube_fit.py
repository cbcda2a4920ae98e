"""`fit_cube_photometry`: an exposure cube against HST images in several bands."""

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import astropy.units as u
from astropy.time import Time
from scipy import fft as sp_fft
from threadpoolctl import threadpool_limits

from ..exceptions import UserError
from ..utils import release_free_memory, worker_count
from ..io import ImageData, cache_directory, read_image, image_grids_aligned
from ..fitting import FittedValue, sky_offsets
from ..fitting.image_fit import measure_with_options
from ..fitting.options import ImageFitOptions, PSF_MODELS
from ..fitting.quality import FitQuality, QualityFlag
from ..masking import means_none
from ..preparation import (regrid_hst_bands_like_muse, rescale_hst_like_muse,
                           write_regridded_hst, hst_band_filter, read_muse_reference)
from ..wideband.multiband import bandpass_images
from .bands import BandProblem
from .fsf import FSFModel, DEFAULT_LBRANGE
from .joint import JointProblem, band_parameter_name, ELLIPTICITY_MODES
from .joint_covariance import joint_sandwich, set_uncertainties
from .results import CubePhotometry, JointBandPhotometry, psf_polynomial_at
from .offset_list import applied_correction, applied_report

__all__ = ["fit_cube_photometry", "fit_cube_file", "BAND_FIT_KEYWORDS"]

#: The keywords of `fit_image_photometry` accepted, in common or per band.
BAND_FIT_KEYWORDS = ("regions", "fix_scale", "fix_bg", "fix_dx", "fix_dy", "fix_fwhm",
                     "fix_beta", "min_scale", "hst_fwhm", "hst_beta", "margin",
                     "segment", "star", "taper", "extramask", "init_dx", "init_dy")


def _check_keywords(options, where):
    unknown = sorted(set(options) - set(BAND_FIT_KEYWORDS))
    if unknown:
        raise UserError(f"{where}: {', '.join(unknown)} not accepted; the fit keywords "
                        f"are {', '.join(BAND_FIT_KEYWORDS)}")


def _band_options(names, common, band_options):
    band_options = dict(band_options or {})
    _check_keywords({k: v for k, v in common.items() if k not in ("psf", "solver")},
                    "fit keywords")
    unknown = sorted(set(band_options) - set(names))
    if unknown:
        raise UserError(f"band_options: no HST image is given for {unknown}")
    options = {}
    for name in names:
        own = dict(band_options.get(name) or {})
        _check_keywords(own, f"band_options[{name!r}]")
        # Checked once per band, before the long extraction of the images.
        options[name] = ImageFitOptions.from_keywords(**{**common, **own})
    return options


def _cache_path(cache_dir, hst, band, image):
    """A file name unique to this HST file (and its version), band and grid."""
    stat = os.stat(hst)
    key = "|".join([os.path.abspath(hst), str(stat.st_mtime_ns), str(stat.st_size), band,
                    str(image.shape), image.wcs.to_header_string()])
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    base = os.path.splitext(os.path.basename(hst))[0]
    return os.path.join(cache_dir, f"{base}_{band}_{digest}.fits")


def _hst_on_grid(hst_images, names, band_images, cache_dir, filter_curves=None):
    """Each band's HST image on its band image's grid in its unit, regridded if needed.

    An image already on the grid is taken as it is (in MUSE units, as for
    `fit_image_photometry`). The others are regridded together (the bands
    whose HST images share a grid are sampled in one call,
    `~imphot_astropy.preparation.regrid_hst_bands_like_muse`) and
    rescaled; from a file and with a ``cache_dir``, a result is kept there
    and reused by every exposure on the same grid.
    """
    ready, cached, cache = {}, {}, None
    for name in names:
        hst, image = hst_images[name], band_images[name]
        if _on_grid(hst, name, image):
            ready[name] = hst
        elif cache_dir is not None and isinstance(hst, (str, os.PathLike)):
            # Made and probed once, when the first band needs it.
            cache = cache or cache_directory(cache_dir)
            cached[name] = _cache_path(cache, os.fspath(hst), name, image)
            if os.path.exists(cached[name]):
                ready[name] = cached[name]
    todo = [n for n in names if n not in ready]
    if todo:
        # The band images of one cube share its spatial grid.
        regridded = regrid_hst_bands_like_muse({n: hst_images[n] for n in todo},
                                               band_images[todo[0]])
        for name in todo:
            image = rescale_hst_like_muse(regridded.pop(name), band_images[name],
                                          inplace=True, filter_name=name,
                                          filter_curve=(filter_curves or {}).get(name))
            if name in cached:
                hst = hst_images[name]
                write_regridded_hst(image, cached[name], inputs=[os.fspath(hst)])
                image = cached[name]
            ready[name] = image
    return {n: ready[n] for n in names}


def _grid_only(grid):
    # An ImageData with no pixels in memory (a broadcast scalar), for
    # image_grids_aligned, which only looks at the shape and the WCS.
    return ImageData(np.broadcast_to(np.float32(0), tuple(grid.shape)), None, None,
                     grid.unit, grid.wcs)


def _on_grid(hst, band, image):
    """True if the HST image samples the band image's grid, from headers only.

    Reading the images to compare their grids would read all of an HST
    mosaic (and cost more than regridding its cut-out).
    """
    try:
        hst_grid = read_muse_reference(hst, f"hst_images[{band!r}]")
        image_grid = read_muse_reference(image, "band image")
    except UserError:
        return False
    if tuple(hst_grid.shape) != tuple(image_grid.shape):
        return False
    return image_grids_aligned(_grid_only(hst_grid), _grid_only(image_grid))


def _band_filters(names, hst_images, filter_curves):
    """Each band's filter curve and pivot, from its HST image's header.

    The curve of the image's own camera and filter (WFC3/UVIS F606W is not
    ACS/WFC F606W), or the caller's (``filter_curves``), or the same filter
    of another HST camera when the camera's is not installed (WFPC2), with
    a warning, and recorded in the results. The pivot is the header's
    PHOTPLAM, else the curve's.
    """
    filter_curves = dict(filter_curves or {})
    unknown = sorted(set(filter_curves) - set(names))
    if unknown:
        raise UserError(f"filter_curves: no HST image is given for {unknown}")
    return {n: hst_band_filter(hst_images[n], filter_name=n,
                               filter_curve=filter_curves.get(n)) for n in names}


def _curve_records(filters):
    """Band -> curve name, and band -> the filter a stand-in curve replaces."""
    names = {n: str(bandpass.meta.get("name", "filter")) for n, (bandpass, _) in
             filters.items()}
    stand_ins = {n: f"{names[n]} stands in for {bandpass.meta['stand_in_for']}"
                 for n, (bandpass, _) in filters.items()
                 if bandpass.meta.get("stand_in_for")}
    return names, stand_ins


def _object_filename(cube):
    """The file an object was read from, if it says (an MPDAF Cube's filename)."""
    filename = getattr(cube, "filename", None)
    return filename if isinstance(filename, str) and filename else None


def _observation(cube, image):
    """DATE-OBS and MJD-OBS from the cube's headers (or an NDData's meta)."""
    headers = [image.meta, getattr(cube, "meta", None) or {}]
    date = mjd = None
    for header in headers:
        date = date or header.get("DATE-OBS")
        mjd = mjd if mjd is not None else header.get("MJD-OBS")
    if mjd is None and date:
        try:
            mjd = float(Time(date, format="isot", scale="utc").mjd)
        except ValueError:
            mjd = None
    return (None if date is None else str(date)), (None if mjd is None else float(mjd))


def _applied(cube, image, date_obs, argname):
    """The offsets and flux scale the pipeline already applied to this exposure.

    From the ``ESO DRS MUSE OFFSETi`` and ``FLUX SCALEi`` keywords of the
    cube's primary header (which its band images carry), or an NDData's meta.
    """
    for header in (image.meta, getattr(cube, "meta", None) or {}):
        applied = applied_correction(header, date_obs, argname)
        if applied is not None:
            return applied
    return None


def _apply_joint_options(params, common, options, bands, joint_parameters):
    """Fixed values from the fit keywords, then the caller's own settings."""
    if common.get("fix_dx") is not None:
        params["dx"].set(value=float(common["fix_dx"]), vary=False)
    if common.get("fix_dy") is not None:
        params["dy"].set(value=float(common["fix_dy"]), vary=False)
    for prefix in ("fwhm", "beta"):
        if common.get(f"fix_{prefix}") is not None:
            for name in [n for n in params if n.startswith(f"{prefix}_c")]:
                params[name].set(value=0.0, vary=False)
            params[f"{prefix}_c0"].set(value=float(common[f"fix_{prefix}"]), vary=False)
    for band in bands:
        for prefix in ("scale", "bg"):
            value = options[band].fixed(prefix)
            if value is not None:
                params[band_parameter_name(prefix, band)].set(value=float(value), vary=False)
    if joint_parameters is None:
        return params
    if callable(joint_parameters):
        joint_parameters(params)
        return params
    for name, settings in dict(joint_parameters).items():
        if name not in params:
            raise UserError(f"joint_parameters: no parameter {name!r}; the parameters "
                            f"are {', '.join(params)}")
        try:
            params[name].set(**dict(settings))
        except (TypeError, NameError, SyntaxError) as exc:
            raise UserError(f"joint_parameters[{name!r}]: {exc}") from None
    return params


def _fitted(params, name):
    p = params[name]
    fixed = not p.vary and not p.expr
    stdev = 0.0 if fixed else (None if p.stderr is None else float(p.stderr))
    return FittedValue(p.value, stdev, fixed)


def fit_cube_photometry(cube, hst_images, fwhm_degree=None, beta_degree=None, psf_nodes=4,
                        source_light=True, lbrange=DEFAULT_LBRANGE, band_options=None,
                        joint_parameters=None, cache_dir=None, nprocess=0,
                        progress_bar=False, filter_curves=None, psf="moffat",
                        ellipticity="constant", solver=None, **fit_keywords):
    """Fit an exposure cube against HST images in several bands, jointly.

    The image of each band is made from one pass over the cube
    (`~imphot_astropy.wideband.bandpass_images`), through the throughput
    curve of the camera and filter named by the HST image's header (or
    ``filter_curves``); each HST image is
    regridded and rescaled to that grid (kept in ``cache_dir`` and reused
    by the other exposures of the same field) unless it is on it already;
    each band is fitted alone (`~imphot_astropy.fit_image_photometry`);
    then all the bands are fitted at once on lmfit parameters, starting from
    the single-band results: one pointing offset, the FWHM and beta as
    polynomials in wavelength, and a flux scale and background per band.
    Its uncertainties (``covariance``, the parameters' ``stderr``) are a
    sandwich covariance that allows for the residuals' correlation within
    and between bands (`~imphot_astropy.survey.joint_covariance`).

    A band image's PSF is the mixture of the cube's PSFs over the band's
    planes, weighted by the filter and the sources' light; with
    ``psf_nodes`` > 1 the joint model is that mixture (the band's planes
    grouped into that many nodes of equal weight). With 1, each band is a
    single Moffat at its effective wavelength. Either way a band does not
    sit at the filter's pivot when MUSE cuts the filter (F850LP's image is
    centred near 8800 A, not at its 9033 A pivot).

    Parameters
    ----------
    cube : str, `os.PathLike`, NDData, ...
        The exposure cube (see `~imphot_astropy.wideband.bandpass_image`).
    hst_images : dict
        Filter name (``"F606W"``, ...) -> HST image or file. An image on
        the cube's spatial grid is used as is (in MUSE flux units);
        others are regridded and rescaled with the calibration of their own
        header (`~imphot_astropy.rescale_hst_like_muse`). The header's
        camera chooses the filter curve (WFC3/UVIS F606W, NIRCam F090W...;
        a bare name without camera in the header means ACS/WFC); where the
        camera's curve is not installed (WFPC2), the same filter of another
        HST camera stands in, with a
        `~imphot_astropy.bandpasses.FilterStandInWarning`, and the result
        records it (``filter_curves``, ``filter_stand_ins``, and the table's
        meta).
    fwhm_degree, beta_degree : int, optional
        Degrees of the FWHM and beta polynomials in wavelength. By default
        1 and 0, each capped at the number of bands - 1 (a one-band survey
        fits a constant FWHM: one band's PSF does not constrain a slope),
        with a note in the report (``fit_report``), the table's metadata
        and ``notes``. A degree given explicitly is used as given, and
        refused if the bands cannot constrain it.
    psf_nodes : int
        PSF-mixture nodes per band (1: effective wavelength only).
    source_light : bool
        Weight each plane's PSF by the sources' light in it (the summed
        plane) as well as by the filter.
    lbrange : (float, float)
        The reference wavelengths of MPDAF's normalised wavelength.
    band_options : dict, optional
        Band -> dict of `fit_image_photometry` keywords for that band only
        (its regions, masks, margin, ``fix_*``...). ``fix_scale`` and
        ``fix_bg`` also fix the band's joint scale and background;
        ``fix_fwhm`` and ``fix_beta`` apply to its single-band fit.
    joint_parameters : dict or callable, optional
        Parameter name -> dict of `lmfit.Parameter.set` arguments
        (``value``, ``vary``, ``min``, ``max``, ``expr``), or a function
        that modifies the `lmfit.Parameters` in place. Names: ``dx``,
        ``dy``, ``fwhm_c0``..., ``beta_c0``..., ``scale_<band>``,
        ``bg_<band>``, and with ``psf="elliptical"`` ``e`` and ``theta``
        (or ``e_<band>``, ``theta_<band>``).
    cache_dir : str, optional
        Where to keep regridded HST images.
    nprocess, progress_bar
        For the band images (see `bandpass_images`); ``nprocess`` also
        sets the number of threads that fit the bands alone.
    filter_curves : dict, optional
        Band -> its throughput curve (`synphot.SpectralElement`, astropy
        Table, two-column file or filter name), instead of the installed
        curve of the HST image's camera and filter.
    psf : {"moffat", "elliptical"}
        The PSF model: the circular Moffat (the default), or the elliptical
        Moffat (`~imphot_astropy.core.psf.EllipticalMoffat`: the FWHM
        polynomial is then that of the major axis, with an ellipticity
        ``e`` = 1 - minor/major and a position angle ``theta``, degrees from
        +x toward +y). The single-band fits use the same model
        (`fit_image_photometry` with ``psf``), and each band of the joint
        fit is a mixture of elliptical Moffats of one shape
        (`~imphot_astropy.survey.bands.EllipticalMoffatMixture`). The
        result's ``fsf`` (written as MPDAF's FSF keywords, which have no
        elliptical form) is then the circular equivalent: the FWHM
        polynomial times ``sqrt(1 - e)``, the geometric mean of the axes.
    ellipticity : {"constant", "per-band"}
        With ``psf="elliptical"``: one ellipticity and angle shared by all
        the bands (joint parameters ``e``, ``theta``), or one of each per
        band (``e_<band>``, ``theta_<band>``).
    solver : None, str or `~imphot_astropy.fitting.solvers.Solver`
        The solver of the single-band fits (``solver`` of
        `fit_image_photometry`; see :ref:`choosing-a-solver`). The joint
        fit keeps its Levenberg-Marquardt
        (`~imphot_astropy.fitting.solvers.LevenbergMarquardt`): it builds
        the normal equations band by band and never holds the tall
        Jacobian of all the bands, which the other solvers would need.
        The table's meta records both (``BAND_SOLVER``, ``JOINT_SOLVER``).
    **fit_keywords
        `fit_image_photometry` keywords for every band (`BAND_FIT_KEYWORDS`).
        ``fix_dx``, ``fix_dy``, ``fix_fwhm`` and ``fix_beta`` given here
        also fix the joint offset or make the FWHM or beta constant.

    Returns
    -------
    result : `~imphot_astropy.survey.CubePhotometry`

    Raises
    ------
    UserError
        For bad inputs, unknown keywords or filters, or no overlap.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_exposure_cube
    >>> cube, hst, truth = make_exposure_cube(shape=(60, 60), nplanes=60,
    ...                                       filters=("F606W", "F814W"), seed=5)
    >>> fit = fit_cube_photometry(cube, hst, fix_beta=2.5)
    >>> round(fit.dx.value, 2), round(fit.dy.value, 2)
    (0.06, -0.04)
    >>> round(float(fit.fsf.fwhm(7000.0)), 2)
    0.65
    """
    if not isinstance(hst_images, dict) or not hst_images:
        raise UserError("hst_images: expected a dict of filter name -> HST image or file")
    if isinstance(psf_nodes, bool) or not isinstance(psf_nodes, (int, np.integer)) \
            or psf_nodes < 1:
        raise UserError(f"psf_nodes: expected an integer >= 1, not {psf_nodes!r}")
    _check_psf(psf, ellipticity)
    names = [str(n) for n in hst_images]
    degrees, notes = polynomial_degrees(len(names), fwhm_degree, beta_degree)
    options = _band_options(names, {**fit_keywords, "psf": psf, "solver": solver},
                            band_options)
    hst_images = {str(n): image for n, image in hst_images.items()}
    filters = _band_filters(names, hst_images, filter_curves)
    images, spectra = bandpass_images(cube, {n: filters[n][0] for n in names},
                                      nprocess=nprocess, progress_bar=progress_bar,
                                      spectra=True)
    # Read once: the single-band fits and the joint problems share the images.
    band_images = {n: read_image(images[n], "band image") for n in names}
    # One BLAS thread: the fits' BLAS work is many small products
    # (parameters x 1e5 pixels), which two OpenBLAS threads make several
    # times slower, and up to 1000x on a loaded machine (they spin); the
    # FFTs (pocketfft's own threads, in the fits, the regridding and the core
    # sandwich functions) use two workers.
    with threadpool_limits(limits=1, user_api="blas"), sp_fft.set_workers(2):
        on_grid = _hst_on_grid(hst_images, names, band_images, cache_dir, filter_curves)
        hst = {n: read_image(on_grid[n], f"hst_images[{n!r}]") for n in names}
        single = _single_band_fits(names, hst, band_images, options,
                                   worker_count(nprocess))
        # What the band threads freed is not reused by this thread's joint
        # fit (see utils.memory): 512 -> 446 MB peak in the cube benchmark.
        release_free_memory()
        joint, result, refits, max_lags = _joint_fit(
            names, hst, band_images, spectra, single, options, fit_keywords,
            dict(fwhm_degree=degrees["fwhm"], beta_degree=degrees["beta"],
                 psf_nodes=psf_nodes,
                 source_light=source_light, lbrange=lbrange,
                 joint_parameters=joint_parameters,
                 ellipticity=ellipticity if psf == "elliptical" else None))
    curves, stand_ins = _curve_records(filters)
    return _cube_result(cube, images, single, joint, result, refits, lbrange, psf_nodes,
                        spectra, source_light, max_lags, notes,
                        pivots={n: float(filters[n][1]) for n in names},
                        filter_curves=curves, filter_stand_ins=stand_ins)


def _check_psf(psf, ellipticity):
    """The PSF model and how its shape varies across bands, checked."""
    if psf not in PSF_MODELS:
        raise UserError(f"psf: expected one of {', '.join(PSF_MODELS)}, not {psf!r}")
    if ellipticity not in ELLIPTICITY_MODES:
        raise UserError(f"ellipticity: expected one of {', '.join(ELLIPTICITY_MODES)}, "
                        f"not {ellipticity!r}")
    if ellipticity != "constant" and psf != "elliptical":
        raise UserError(f"ellipticity={ellipticity!r} needs psf='elliptical' (a circular "
                        f"Moffat has no ellipticity)")


#: The polynomial degrees used when the caller gives none (before capping).
DEFAULT_DEGREES = {"fwhm": 1, "beta": 0}


def polynomial_degrees(nbands, fwhm_degree=None, beta_degree=None):
    """The FWHM and beta polynomial degrees to fit, and notes on any capping.

    N bands measure the PSF at N wavelengths, which constrain a polynomial
    of degree N - 1 at most: a higher degree leaves combinations of the
    coefficients free (the joint fit is then degenerate, with uncertainties
    of thousands of arcsec and correlations of 1). A default degree
    (`DEFAULT_DEGREES`, for a degree of None) is capped at N - 1 with a
    note; a degree asked for explicitly above it is refused.

    Parameters
    ----------
    nbands : int
        The number of bands fitted jointly.
    fwhm_degree, beta_degree : int or None
        The degrees asked for (None: the default).

    Returns
    -------
    degrees : dict
        ``{"fwhm": int, "beta": int}``.
    notes : list of str
        One per capped default degree.

    Raises
    ------
    UserError
        For a degree that is not an integer >= 0, or above N - 1.

    Examples
    --------
    >>> polynomial_degrees(1)
    ({'fwhm': 0, 'beta': 0}, ['fwhm_degree: 0 instead of the default 1, as 1 band constrains a polynomial of degree 0 at most'])
    >>> polynomial_degrees(4, fwhm_degree=2)
    ({'fwhm': 2, 'beta': 0}, [])
    """
    degrees, notes = {}, []
    for prefix, asked in (("fwhm", fwhm_degree), ("beta", beta_degree)):
        argname = f"{prefix}_degree"
        most = nbands - 1
        if asked is None:
            degrees[prefix] = min(DEFAULT_DEGREES[prefix], most)
            if degrees[prefix] < DEFAULT_DEGREES[prefix]:
                notes.append(f"{argname}: {degrees[prefix]} instead of the default "
                             f"{DEFAULT_DEGREES[prefix]}, as {nbands} band"
                             f"{'s' if nbands > 1 else ''} constrain"
                             f"{'' if nbands > 1 else 's'} a polynomial of degree "
                             f"{most} at most")
            continue
        if isinstance(asked, bool) or not isinstance(asked, (int, np.integer)) or asked < 0:
            raise UserError(f"{argname}: expected an integer >= 0, not {asked!r}")
        if asked > most:
            raise UserError(f"{argname}: {asked} is more than {nbands} band"
                            f"{'s' if nbands > 1 else ''} can constrain (degree "
                            f"{most} at most); give fewer, or leave it out for the "
                            "largest the bands allow")
        degrees[prefix] = int(asked)
    return degrees, notes


def _range_of(params, name, lbrange_half=0.5):
    """The range a parameter's uncertainty is compared with, or None.

    A coefficient c_j of the polynomial in the normalised wavelength l
    (|l| <= 0.5 over the reference range) moves the value at the range's
    ends by |c_j| 0.5**j: its standard deviation, so scaled, is compared
    with the FWHM itself (fwhm_c0) and with the span of beta's bounds.
    An elliptical Moffat's position angle (``theta``, ``theta_<band>``),
    an axis, is compared with 180 degrees (it is undefined for a round
    PSF). Other parameters are compared with the span of their own bounds.
    """
    p = params[name]
    if name == "theta" or name.startswith("theta_"):
        return 180.0
    for prefix in ("fwhm", "beta"):
        if name.startswith(f"{prefix}_c"):
            power = lbrange_half ** int(name[len(prefix) + 2:])
            if prefix == "fwhm":
                span = abs(float(params["fwhm_c0"].value))
            else:
                c0 = params["beta_c0"]
                span = float(c0.max - c0.min)
            return span / power if np.isfinite(span) else None
    if np.isfinite(p.min) and np.isfinite(p.max):
        return float(p.max - p.min)
    return None


def uncertain_flags(params):
    """`QualityFlag` ``uncertain`` for each varying parameter the fit leaves free.

    See `_range_of` for the range each one's uncertainty is compared with;
    a varying parameter without a finite uncertainty is flagged too.

    Examples
    --------
    >>> import lmfit
    >>> params = lmfit.Parameters()
    >>> params.add("fwhm_c0", value=0.65); params.add("fwhm_c1", value=0.1)
    >>> params.add("beta_c0", value=2.5, min=1.01, max=100.0)
    >>> params["fwhm_c0"].stderr, params["fwhm_c1"].stderr = 0.01, 3.0
    >>> params["beta_c0"].stderr = 325.0
    >>> [str(f) for f in uncertain_flags(params)]  # doctest: +NORMALIZE_WHITESPACE
    ['uncertain: fwhm_c1 = 0.1 +/- 3 (range 1.3)',
     'uncertain: beta_c0 = 2.5 +/- 325 (range 99)']
    """
    flags = []
    for name, p in params.items():
        if not p.vary or p.expr:
            continue
        stderr = p.stderr
        if stderr is None or not np.isfinite(stderr):
            flags.append(QualityFlag("uncertain", f"{name} = {p.value:.4g} has no finite "
                                                  "uncertainty"))
            continue
        span = _range_of(params, name)
        if span is not None and stderr > span:
            flags.append(QualityFlag("uncertain", f"{name} = {p.value:.4g} +/- "
                                                  f"{stderr:.3g} (range {span:.3g})"))
    return flags


def _reads_files(options):
    """Whether a band's fit reads region or mask files."""
    return not (means_none(options.regions) and means_none(options.extramask))


def _single_band_fits(names, hst, band_images, options, nworkers):
    """Each band's image fit, keeping its prepared problem for the joint fit.

    The bands are independent, and most of a fit's time is spent in FFTs
    and array operations that release the GIL, so with several workers
    they run in threads. A band whose fit reads region or mask files is
    fitted in this thread: reading them goes through
    `warnings.catch_warnings`, which is not thread-safe.
    """
    def fit(name):
        return measure_with_options(hst[name], band_images[name], options[name],
                                    keep_state=True)

    threaded = [n for n in names if not _reads_files(options[n])] if nworkers > 1 else []
    single = {}
    if len(threaded) > 1:
        with ThreadPoolExecutor(max_workers=min(nworkers, len(threaded))) as pool:
            futures = {n: pool.submit(fit, n) for n in threaded}
            single.update({n: future.result() for n, future in futures.items()})
    for name in names:
        if name not in single:
            single[name] = fit(name)
    return {n: single[n] for n in names}


def _joint_fit(names, hst, band_images, spectra, single, options, fit_keywords, how):
    """The joint fit from the single-band fits, with its sandwich covariance."""
    start = {n: dict(scale=r.scale.value, bg=r.bg.value, dx=r.dx.value, dy=r.dy.value,
                     fwhm=r.fwhm.value, beta=r.beta.value, dx_err=r.dx.stdev)
             for n, r in single.items()}
    if how["ellipticity"]:
        for n, r in single.items():
            start[n].update(e=r.e.value, theta=r.theta.value)
    shift = _whole_pixels(single, band_images[names[0]])
    bands = []
    for n in names:
        band = BandProblem(n, hst[n], band_images[n], spectra[n].wavelengths,
                           spectra[n].mixture_weights(how["source_light"]),
                           options[n], how["lbrange"], nodes=how["psf_nodes"],
                           shift=shift, state=single[n].release_fit_state())
        band.sigma = _band_noise(band, single[n], start[n])
        bands.append(band)
    joint = JointProblem(bands, how["fwhm_degree"], how["beta_degree"], how["ellipticity"])
    params = _apply_joint_options(joint.initial_parameters(start), fit_keywords, options,
                                  names, how["joint_parameters"])
    result, refits = joint.fit_with_refits(params)
    # The Jacobians (parameters x pixels x bands) are not kept with the
    # result, and each band's is let go once the sandwich has taken it.
    jacobians, result.jacobians = result.jacobians, None
    covariance, max_lags = joint_sandwich(joint.bands, _handed_over(jacobians),
                                          result.band_residuals, result.transform,
                                          joint.names)
    set_uncertainties(result, covariance, result.transform, joint.names)
    return joint, result, refits, max_lags


def _handed_over(items):
    """Yield the items of a list, removing each from it (so it can be freed)."""
    items.reverse()
    while items:
        yield items.pop()


def _band_noise(band, single, start):
    """The noise of a band's residual: that of its single-band fit.

    It weighs the band in the joint fit (noisier bands weigh less); only
    the ratios between bands matter.
    """
    rms = getattr(single, "rms_error", None)
    if rms is not None and np.isfinite(rms) and rms > 0:
        return float(rms)
    shape = (start["e"], start["theta"]) if "e" in start else ()
    model, _ = band.evaluate(start["scale"], start["bg"], start["dx"], start["dy"],
                             [start["fwhm"]], [start["beta"]], shape=shape)
    return max(float(np.sqrt(np.mean((model - band.problem.data) ** 2))), 1e-30)

def fit_cube_file(hst, cube, hst_images, **kwargs):
    """`fit_cube_photometry` with the batch iterators' call signature.

    The batch machinery (`~imphot_astropy.batch`) calls its fitter as
    ``function(hst, muse, **kwargs)``; here ``hst`` is None (the cube's
    HST images are named per band in ``hst_images``, so that each worker
    reads, or finds in the cache, only the regridded images it needs).

    Examples
    --------
    >>> from imphot_astropy.datasets import make_exposure_cube
    >>> cube, hst, truth = make_exposure_cube(shape=(50, 50), nplanes=30,
    ...                                       filters=("F775W",), seed=2)
    >>> round(fit_cube_file(None, cube, hst, fix_beta=2.5).dx.value, 2)
    0.06
    """
    return fit_cube_photometry(cube, hst_images, **kwargs)


def _whole_pixels(single, im):
    """The whole-pixel HST shift nearest the mean single-band offset."""
    dx = np.mean([r.dx.value for r in single.values()])
    dy = np.mean([r.dy.value for r in single.values()])
    return (int(np.floor(dx / im.pixel_scales[0] + 0.5)),
            int(np.floor(dy / im.pixel_scales[1] + 0.5)))


def _cube_result(cube, images, single, joint, result, refits, lbrange, psf_nodes,
                 spectra, source_light, max_lags, notes=(), **filters):
    """The `CubePhotometry` of a joint fit, its values gathered first.

    ``filters`` are its ``pivots``, ``filter_curves`` and ``filter_stand_ins``.
    """
    params = result.params
    shapes = _fitted_shapes(params, joint)
    first = joint.bands[0]
    fit = dict(fsf=_fsf(params, joint, shapes, lbrange), parameters=params,
               covariance=result.covar if result.covar is not None else None,
               covariance_names=list(result.var_names),
               psf="elliptical" if joint.ellipticity else "moffat")
    dxdy = _offset_covariance(fit["covariance"], fit["covariance_names"])
    dx, dy = _fitted(params, "dx"), _fitted(params, "dy")
    offsets = sky_offsets(first.muse_image, dx.value, dy.value, dxdy,
                          bool(dx.fixed and dy.fixed))
    filename = (os.fspath(cube) if isinstance(cube, (str, os.PathLike))
                else _object_filename(cube))
    date_obs, mjd_obs = _observation(cube, images[first.name])
    applied = _applied(cube, images[first.name], date_obs, filename or "cube")
    degrees = {"fwhm": len(joint.fwhm_names) - 1, "beta": len(joint.beta_names) - 1}
    report = lmfit_report(result, refits, psf_nodes, max_lags, notes,
                          joint.ellipticity)
    return CubePhotometry(
        **fit, **offsets, **filters, **_shared_shape(shapes, joint),
        name=os.path.basename(filename).rsplit(".fits", 1)[0] if filename else "cube",
        filename=filename, date_obs=date_obs, mjd_obs=mjd_obs, applied=applied,
        wcs=first.muse_image.wcs, shape=first.muse_image.shape,
        bands=single, joint=_joint_bands(joint, result, fit, shapes, dx, dy, dxdy, report),
        dx=dx, dy=dy, scale=_mean_scale(params, joint, result),
        ellipticity=joint.ellipticity, psf_nodes=psf_nodes, refits=refits,
        effective_wavelengths={n: spectra[n].effective_wavelength(source_light)
                               for n in images},
        degrees=degrees, notes=list(notes),
        meta={"FWHM_DEGREE": degrees["fwhm"], "BETA_DEGREE": degrees["beta"],
              "NOTES": list(notes), "BAND_SOLVER": single[first.name].options["solver"],
              "JOINT_SOLVER": result.method},
        fit_report=report + applied_report(applied, offsets["dra"], offsets["ddec"]),
        minimizer_result=result)


def _offset_covariance(covariance, cov_names):
    """The 2x2 covariance of (dx, dy) within the joint fit's (0 if fixed)."""
    dxdy = np.zeros((2, 2))
    for a, na in enumerate(("dx", "dy")):
        for b, nb in enumerate(("dx", "dy")):
            if covariance is not None and na in cov_names and nb in cov_names:
                dxdy[a, b] = covariance[cov_names.index(na), cov_names.index(nb)]
    return dxdy


def _joint_bands(joint, result, fit, shapes, dx, dy, dxdy, report):
    """Band -> `JointBandPhotometry`, the joint fit's values at the band.

    ``fit`` holds the fit's ``fsf``, ``parameters``, ``covariance``,
    ``covariance_names`` and ``psf`` (see `psf_polynomial_at`).
    """
    params = result.params
    flags = uncertain_flags(params)
    residual = result.residual
    rows = np.cumsum([0] + [b.problem.data.size for b in joint.bands])
    bands = {}
    for b, band in enumerate(joint.bands):
        lam = band.effective_wavelength
        fwhm, fwhm_err = psf_polynomial_at(lam, "fwhm", **fit)
        beta, beta_err = psf_polynomial_at(lam, "beta", **fit)
        values = dict(scale=_fitted(params, band_parameter_name("scale", band.name)),
                      bg=_fitted(params, band_parameter_name("bg", band.name)),
                      dx=dx, dy=dy,
                      fwhm=FittedValue(fwhm, fwhm_err, params["fwhm_c0"].vary is False
                                       and fwhm_err == 0),
                      beta=FittedValue(beta, beta_err, not any(
                          params[n].vary for n in joint.beta_names)))
        values.update(shapes.get(band.name, {}))
        rms = float(np.sqrt(np.mean((residual[rows[b]:rows[b + 1]] * band.sigma) ** 2)))
        quality = (FitQuality(np.nan, band.problem.data.size, np.nan, flags, band=band.name)
                   if flags else None)
        bands[band.name] = JointBandPhotometry(band.muse_image, report, values, rms, dxdy,
                                               quality=quality)
    return bands


def _fitted_shapes(params, joint):
    """Band -> the joint fit's ``e`` and ``theta`` (degrees, modulo 180) of
    its elliptical Moffat; empty for a circular one."""
    shapes = {}
    for band in joint.bands:
        names = joint.shape_names[band.name]
        if not names:
            continue
        e, theta = (_fitted(params, n) for n in names)
        # A position angle is an axis: defined modulo 180 degrees.
        shapes[band.name] = dict(
            e=FittedValue(e.value, e.stdev, e.fixed, unit=u.dimensionless_unscaled),
            theta=FittedValue(theta.value % 180.0, theta.stdev, theta.fixed, unit=u.deg))
    return shapes


def _shared_shape(shapes, joint):
    """The result's ``e`` and ``theta``: the shared ones (None if per band)."""
    if joint.ellipticity != "constant":
        return dict(e=None, theta=None)
    first = shapes[joint.bands[0].name]
    return dict(e=first["e"], theta=first["theta"])


def _fsf(params, joint, shapes, lbrange):
    """The FSF description of the fit (MPDAF's circular polynomial Moffat).

    For an elliptical Moffat, MPDAF's FSF has no ellipticity; its circular
    equivalent is written (see
    `~imphot_astropy.survey.bands.EllipticalMoffatMixture.fsf_model`), with
    the bands' mean ``sqrt(1 - e)`` when each band has its own.
    """
    fwhm = [params[n].value for n in joint.fwhm_names]
    beta = [params[n].value for n in joint.beta_names]
    if not shapes:
        return FSFModel(fwhm, beta, lbrange)
    # The geometric-mean factor of each band, averaged (one value when shared).
    factor = np.mean([np.sqrt(1.0 - s["e"].value) for s in shapes.values()])
    equivalent_e = 1.0 - factor**2
    return joint.bands[0].psf.fsf_model(fwhm, beta, equivalent_e, lbrange)


def _mean_scale(params, joint, result):
    """The mean of the bands' joint scales, with its propagated uncertainty."""
    names = [band_parameter_name("scale", b.name) for b in joint.bands]
    value = float(np.mean([params[n].value for n in names]))
    cov_names = list(result.var_names)
    if result.covar is None or not all(n in cov_names for n in names):
        return FittedValue(value, None, not any(params[n].vary for n in names))
    index = [cov_names.index(n) for n in names]
    cov = result.covar[np.ix_(index, index)]
    return FittedValue(value, float(np.sqrt(cov.sum())) / len(names), False)


def lmfit_report(result, refits, psf_nodes, max_lags=(), notes=(), ellipticity=None):
    """The lmfit report of the joint fit, with how the bands' PSFs were modelled.

    The uncertainties and correlations are those of the sandwich
    covariance (`~imphot_astropy.survey.joint_covariance`).

    Examples
    --------
    >>> callable(lmfit_report)
    True
    """
    import lmfit

    how = (f"{psf_nodes} PSF-mixture nodes per band" if psf_nodes > 1
           else "each band at its effective wavelength")
    model = ""
    if ellipticity:
        shared = ("one e and theta for every band" if ellipticity == "constant"
                  else "e and theta per band")
        model = (f"    PSF model = elliptical Moffat ({shared}; fwhm_c* of the major "
                 f"axis; theta in degrees from +x toward +y, modulo 180)\n"
                 f"    FSF keywords = circular equivalent, FWHM x sqrt(1 - e) "
                 f"(MPDAF's FSF has no elliptical form)\n")
    lags = ", ".join(f"{lag:.1f}" for lag in max_lags)
    noted = "".join(f"    note = {note}\n" for note in notes)
    return (f"[[Joint fit]]\n{model}    band PSFs = {how}\n{noted}    refits = {refits}\n"
            f"    uncertainties = sandwich covariance, each band's residual correlation"
            f" within {lags} pixels\n    status = {result.message}\n"
            + lmfit.fit_report(result))
