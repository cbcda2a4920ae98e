"""The PSF measured on the unresampled pixels of a star in a pixel table.

A MUSE cube resamples the pixels of the exposures onto a regular grid,
which widens the PSF. A pixel table keeps every CCD pixel at its own sky
position, so a profile fitted to the rows around a star measures the PSF
free of that resampling (the guide to MPDAF's pixel tables ends with such
a fit, of a Gaussian). `fit_pixtable_star` fits an astropy
`~astropy.modeling.functional_models.Moffat2D` plus a constant background
to those samples, in one or several wavelength slices, optionally with a
FWHM linear in wavelength across the slices, and returns the FWHM, beta,
position and flux of each slice with their uncertainties. With
``psf="elliptical"`` the profile is the elliptical Moffat of the image and
star fits (`~imphot_astropy.core.psf.EllipticalMoffat`), and the table
also gives its ellipticity and position angle.

The model is evaluated at each sample's position: the profile fitted is
the PSF as the instrument's 0.2" pixels sample it.

The fit is a fitter, so it lives in `imphot_astropy.fitting`, which may
read pixel tables, and takes its Moffat arithmetic from
`imphot_astropy.core.moffat` (`imphot_astropy.pixtable` imports only ``io``
and ``exceptions`` of this package).
"""

import warnings

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.modeling.projections import Pix2Sky_Gnomonic, Sky2Pix_Gnomonic
from astropy.modeling.rotations import (RotateCelestial2Native,
                                        RotateNative2Celestial)
from astropy.table import QTable, Row
from astropy.utils.exceptions import AstropyUserWarning

from ..exceptions import UserError
from ..pixtable import PixTable
from ..utils.stars import parse_star
from ._moffat_samples import StarSamples, fit_moffat_samples
from .star_fit import check_star_psf
from .solvers import PIXTABLE_STAR_SOLVER, resolve_solver

__all__ = ["fit_pixtable_star", "image_position_angle"]

# Native longitude of the celestial pole of zenithal projections.
_LONPOLE = 180.0
# The radius (arcsec) of the samples around a star given as a bare SkyCoord:
# 15 spaxels, wide enough for the wings of a 0.6-1" seeing Moffat.
_DEFAULT_RADIUS = 3.0


# -- the pixel-table layer ---------------------------------------------------

def _parse_star(star, radius):
    """The star's RA, Dec (degrees) and the radius (arcsec) of its samples.

    ``star`` is read by `~imphot_astropy.utils.stars.parse_star`, as
    `~imphot_astropy.photometry.fit_star_photometry` reads it, so that one
    tuple means one place on the sky in both (near the equator a swapped
    (dec, ra) is a valid position elsewhere, and nothing would refuse it).
    A bare SkyCoord takes its radius from ``radius``.
    """
    if isinstance(star, SkyCoord):
        return parse_star((star, _DEFAULT_RADIUS if radius is None else radius))
    if _is_position_pair(star):
        raise UserError(f"star: expected (ra, dec, radius) in degrees, degrees and "
                        f"arcsec (as fit_star_photometry takes it), or a SkyCoord, not "
                        f"{star!r}: a bare pair is refused because fit_pixtable_star "
                        "once took (dec, ra)")
    ra, dec, star_radius = parse_star(star)
    if radius is not None:
        raise UserError(f"radius: star {star!r} already gives the radius "
                        f"({star_radius:g} arcsec); give it once")
    return ra, dec, star_radius


def _is_position_pair(star):
    """True for a 2-sequence of plain values (not (SkyCoord, radius) or (row, radius))."""
    if isinstance(star, (str, bytes, Row)):
        return False
    try:
        parts = list(star)
    except TypeError:
        return False
    return len(parts) == 2 and not isinstance(parts[0], (SkyCoord, Row))


def _wavelength_slices(lbda, nslices):
    """The (min, max) wavelength ranges of the slices."""
    pairs = [lbda] if (isinstance(lbda, (tuple, list)) and len(lbda) == 2
                       and np.ndim(lbda[0]) == 0) else list(lbda)
    out = []
    for pair in pairs:
        try:
            low, high = (float(v.to_value(u.AA, u.spectral()))
                         if isinstance(v, u.Quantity) else float(v)
                         for v in pair)
        except (TypeError, ValueError, u.UnitsError):
            raise UserError(f"lbda: expected (min, max) pairs in Angstrom, "
                            f"got {pair!r}") from None
        if not low < high:
            raise UserError(f"lbda: the range ({low}, {high}) is empty")
        out.append((low, high))
    if nslices is not None:
        if len(out) != 1 or int(nslices) < 1:
            raise UserError("nslices: give one (min, max) range in lbda and "
                            "a number of slices >= 1")
        edges = np.linspace(out[0][0], out[0][1], int(nslices) + 1)
        out = list(zip(edges[:-1], edges[1:]))
    return out


def _offsets(ra, dec, ra0, dec0):
    """Tangent-plane offsets (east, north) in arcsec about (ra0, dec0)."""
    phi, theta = RotateCelestial2Native(ra0, dec0, _LONPOLE)(ra, dec)
    x, y = Sky2Pix_Gnomonic()(phi, theta)
    return x * 3600.0, y * 3600.0


def _sky(x, y, ra0, dec0):
    """The inverse of `_offsets`."""
    phi, theta = Pix2Sky_Gnomonic()(np.asarray(x) / 3600.0,
                                    np.asarray(y) / 3600.0)
    ra, dec = RotateNative2Celestial(ra0, dec0, _LONPOLE)(phi, theta)
    return float(np.mod(ra, 360.0)), float(dec)


def _samples(sub, ranges, ra0, dec0, min_samples):
    """The good rows of the extracted table, one `StarSamples` per slice."""
    ra, dec = sub.get_pos_sky()
    x, y = _offsets(ra, dec, ra0, dec0)
    lbda = sub.get_lambda().astype(float)
    data = sub.get_data().astype(float)
    stat = sub.get_stat().astype(float)
    good = ((sub.get_dq() == 0) & np.isfinite(data) & np.isfinite(stat)
            & (stat > 0))
    out = []
    for low, high in ranges:
        rows = good & (lbda >= low) & (lbda < high)
        if rows.sum() < min_samples:
            raise UserError(f"lbda: only {int(rows.sum())} good samples "
                            f"between {low:g} and {high:g} Angstrom (at "
                            f"least {min_samples} needed)")
        out.append(StarSamples(x[rows], y[rows], data[rows], stat[rows],
                               lbda[rows]))
    return out


def fit_pixtable_star(pixtable, star, lbda, radius=None, nslices=None,
                      fwhm_model="free", fwhm=0.8, beta=2.5,
                      spaxel_size=0.2, clip=5.0, return_samples=False,
                      psf="moffat", solver=None):
    """Fit a Moffat to the unresampled samples of a star in a pixel table.

    The rows within ``radius`` of the star and in the wavelength slices
    are extracted (the table is scanned in chunks, so only those rows are
    held in memory); rows flagged in ``dq`` are left out. In each slice an
    astropy `~astropy.modeling.functional_models.Moffat2D` plus a constant
    background is fitted to the samples at their own sky positions, each
    weighted by its variance (``stat``); samples beyond ``clip`` standard
    deviations (cosmic rays) are rejected. With ``fwhm_model='linear'``
    the FWHM is a linear function of wavelength and beta is the same in
    all slices, fitted jointly.

    With ``psf="elliptical"`` the profile is the elliptical Moffat of
    `~imphot_astropy.fit_star_photometry` and
    `~imphot_astropy.fit_image_photometry`
    (`~imphot_astropy.core.psf.EllipticalMoffat`), in their conventions:
    ``fwhm`` is the FWHM along the major axis, ``e`` = 1 - minor/major, and
    ``theta`` the position angle of the major axis in degrees from +x toward
    +y of a MUSE image with north up and east to the left, that is from
    west toward north, in [0, 180): the value the image and star fits give
    on such an image of the same star. Each slice has its own e and theta
    with ``fwhm_model='free'``; one e and one theta hold for all slices
    with ``fwhm_model='linear'`` (as one beta does). On a synthetic star of
    e = 0.15 at 30 degrees (``fitting/tests/test_pixtable_elliptical.py``) it
    recovers e within 0.001, theta within 0.1 degree and the major-axis FWHM
    within 0.12%. The circular fit of that star reports a FWHM 9-11% below
    the major axis: its clipping rejects 8-10% of the samples, the core's
    that a round profile misses (reduced chi-square 2.4-3.2); with
    ``clip=None`` 8.8% below, 1% below the geometric mean of the axes
    (``fwhm * sqrt(1 - e)``). A reduced chi-square well above 1 and many
    rejected samples on a bright star are the signs to try the ellipse.

    Parameters
    ----------
    pixtable : `~imphot_astropy.PixTable`
        A table with sky positions ('projected' or 'positioned').
    star : (ra, dec, radius), (SkyCoord, radius), table row, or SkyCoord
        The star's position (degrees) and the radius (arcsec) of the
        samples used, read exactly as by
        `~imphot_astropy.photometry.fit_star_photometry` (see
        `~imphot_astropy.masking.parse_star`): RA first. A bare
        `~astropy.coordinates.SkyCoord` takes its radius from ``radius``. A
        bare pair of numbers is refused: development versions of this
        function took (dec, ra), the order of MPDAF's ``sky`` apertures
        (which `~imphot_astropy.PixTable.extract` keeps).
    lbda : (float, float) or list of (float, float)
        Wavelength slice(s) [min, max) in Angstrom (or Quantities).
    radius : float or `~astropy.units.Quantity`, optional
        With a bare SkyCoord only: the radius of the samples used, arcsec
        (default 3").
    nslices : int, optional
        Cut the single range ``lbda`` into this many equal slices.
    fwhm_model : {'free', 'linear'}
        Independent FWHM and beta per slice, or a FWHM linear in
        wavelength with one beta.
    fwhm, beta : float
        Starting values (arcsec, and the Moffat exponent).
    spaxel_size : float or `~astropy.units.Quantity`
        The side (arcsec) of the square that one sample's value refers to
        (MUSE: 0.2"); the flux is the star's total over such spaxels.
    clip : float or None
        Outlier rejection threshold in standard deviations (None: none).
    return_samples : bool
        Also return the samples of each slice (for
        `imphot_astropy.plotting.plot_pixtable_star`).
    psf : {'moffat', 'elliptical'}
        The circular Moffat (the default) or the elliptical one (see
        above), as ``psf`` of `~imphot_astropy.fit_star_photometry`.
    solver : None, str or `~imphot_astropy.fitting.solvers.Solver`
        How the least squares are minimised: None (the default: scipy's
        trust region reflective with each parameter scaled by its
        Jacobian column), a name of `~imphot_astropy.fitting.solvers.SOLVERS`
        or a solver object (see :ref:`choosing-a-solver`); its name is
        ``meta["solver"]``.

    Returns
    -------
    table : `~astropy.table.QTable`
        One row per slice: ``lambda``, ``lambda_min``, ``lambda_max``,
        ``nsamples``, ``nrejected``, ``fwhm``, ``beta``, ``ra``, ``dec``,
        ``dx``, ``dy`` (east and north offsets of the fitted centre from
        ``star``), ``flux``, ``background``, each fitted value with a
        ``_err`` column (one standard deviation, from the covariance of the
        fit scaled by its reduced chi-square), and ``rchi2``; for the
        elliptical Moffat then ``e``, ``e_err``, ``theta`` and ``theta_err``
        (degrees), columns that a circular fit's table does not have.
        ``meta`` holds the star, the radius, the FWHM model, the PSF model
        (``psf``), the solver's name (``solver``) and, for a linear model, its coefficients (``fwhm_ref``
        at ``lambda_ref``, ``fwhm_slope``), beta (and the shared ``e`` and
        ``theta``) and errors.
    samples : list of `StarSamples`
        Only if ``return_samples``.

    Raises
    ------
    UserError
        If ``pixtable`` is not a `~imphot_astropy.PixTable` or has no sky
        positions, a slice has too few samples, or an argument is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from imphot_astropy.pixtable import PixTable
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.uniform(-3, 3, (2, 4000)) / 3600   # degrees
    >>> from imphot_astropy.fitting import moffat_samples_model
    >>> truth = moffat_samples_model(0.75, 2.8, 0.0, 0.0, 5e4, 20.0)
    >>> data = rng.normal(truth(x * 3600, y * 3600), 3.0)
    >>> pix = PixTable(xpos=x, ypos=y, lbda=rng.uniform(6000, 7000, 4000),
    ...                data=data, dq=np.zeros(4000, int),
    ...                stat=np.full(4000, 9.0), origin=np.zeros(4000, int),
    ...                wcs=u.deg)
    >>> pix.set_keyword("WCS", "positioned (final)")
    >>> pix.primary_header["CRVAL1"], pix.primary_header["CRVAL2"] = 10.0, 0.0
    >>> fit = fit_pixtable_star(pix, (10.0, 0.0, 3.0), lbda=(6000, 7000))
    >>> print(f"{fit['fwhm'][0]:.2f}")
    0.75 arcsec
    """
    if not isinstance(pixtable, PixTable):
        raise UserError(f"pixtable: expected an imphot_astropy.PixTable, got "
                        f"{type(pixtable).__name__}")
    ra0, dec0, radius = _parse_star(star, radius)
    check_star_psf(psf)
    solver = resolve_solver(solver, PIXTABLE_STAR_SOLVER, "trf")
    spaxel = _arcsec(spaxel_size, "spaxel_size")
    ranges = _wavelength_slices(lbda, nslices)
    if pixtable.wcs.physical_type != "angle":
        raise UserError(f"pixtable: positions in {pixtable.wcs}, not an "
                        "angle: the star's samples have no sky positions")
    with warnings.catch_warnings():
        # "No row selected" becomes the error below.
        warnings.simplefilter("ignore", AstropyUserWarning)
        sub = pixtable.extract(sky=(dec0, ra0, radius, "C"), lbda=ranges)
    if sub is None:
        raise UserError(f"star: no row of the table within {radius:g}\" of "
                        f"RA {ra0:.6f} Dec {dec0:.6f} in lbda {ranges}")
    samples = _samples(sub, ranges, ra0, dec0, min_samples=20)
    lambdas = [0.5 * (low + high) for low, high in ranges]
    values, errors, info = fit_moffat_samples(
        samples, lambdas, fwhm_model, fwhm, beta, spaxel ** 2, clip, psf, solver)
    for fitted in values + [info]:
        if "theta" in fitted:
            fitted["theta"] = image_position_angle(fitted["theta"])
    table = _result_table(values, errors, info, ranges, samples, ra0, dec0,
                          pixtable.unit_data)
    table.meta.update({"star_ra": ra0, "star_dec": dec0, "radius": radius,
                       "fwhm_model": fwhm_model, "spaxel_size": spaxel,
                       "psf": psf, "solver": solver.name})
    for key in ("lambda_ref", "fwhm_ref", "fwhm_ref_err", "fwhm_slope",
                "fwhm_slope_err", "beta", "beta_err", "e", "e_err", "theta",
                "theta_err"):
        if key in info:
            table.meta[key] = float(info[key])
    return (table, samples) if return_samples else table


def image_position_angle(theta):
    """A position angle between the two conventions of `fit_pixtable_star`.

    The samples lie at east and north offsets, so the fit measures the
    major axis's angle from east toward north; the table gives it from
    west toward north, as the image and star fits measure it on a MUSE
    image with north up and east to the left (+x west, +y north). Each is
    the other mirrored about north, so this function converts either way.

    Examples
    --------
    >>> image_position_angle(30.0), image_position_angle(150.0)
    (150.0, 30.0)
    """
    return (180.0 - theta) % 180.0


def _arcsec(value, argname):
    try:
        value = (float(value.to_value(u.arcsec)) if isinstance(
            value, u.Quantity) else float(value))
    except (TypeError, ValueError, u.UnitsError):
        raise UserError(f"{argname}: expected arcsec, got {value!r}") \
            from None
    if not value > 0:
        raise UserError(f"{argname}: must be > 0, got {value}")
    return value


def _result_table(values, errors, info, ranges, samples, ra0, dec0,
                  unit_data):
    table = QTable()
    table["lambda"] = [0.5 * (a + b) for a, b in ranges] * u.AA
    table["lambda_min"] = [a for a, _ in ranges] * u.AA
    table["lambda_max"] = [b for _, b in ranges] * u.AA
    table["nsamples"] = [int(s.used.sum()) for s in samples]
    table["nrejected"] = [int((~s.used).sum()) for s in samples]
    columns = (("fwhm", "fwhm", u.arcsec), ("beta", "beta", None),
               ("dx", "x0", u.arcsec), ("dy", "y0", u.arcsec),
               ("flux", "flux", unit_data),
               ("background", "background", unit_data))
    centres = [_sky(v["x0"], v["y0"], ra0, dec0) for v in values]
    for name, key, unit in columns:
        value = np.array([v[key] for v in values])
        error = np.array([e[key] for e in errors])
        table[name] = value if unit is None else value * unit
        table[name + "_err"] = error if unit is None else error * unit
        if name == "beta":
            table["ra"] = [c[0] for c in centres] * u.deg
            table["dec"] = [c[1] for c in centres] * u.deg
    table["rchi2"] = info["rchi2"]
    # The elliptical Moffat's shape after all other columns, as in
    # fitting.photometry_table.
    for name, unit in (("e", u.dimensionless_unscaled), ("theta", u.deg)):
        if name in values[0]:
            table[name] = [v[name] for v in values] * unit
            table[name + "_err"] = [e[name] for e in errors] * unit
    return table
