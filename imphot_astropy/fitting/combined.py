"""Both methods on one star: `measure_image_and_star_photometry`."""

import numpy as np

from .image_fit import (measure_image_photometry, read_aligned_pair, DEFAULT_HST_FWHM,
                        DEFAULT_HST_BETA)
from .star_fit import fit_star_pixels, check_star_fit_options, check_star_psf
from .solvers import check_solver
from .star_geometry import StarGeometry, select_star_pixels, require_enough_pixels

__all__ = ["measure_image_and_star_photometry"]


def _regions_choice(regions):
    """"star", "notstar", None (no regions) or the region file/lines as given."""
    if regions is None:
        return None
    if isinstance(regions, str):
        word = regions.strip().lower()
        if word in ("", "none"):
            return None
        if word in ("star", "notstar"):
            return word
    return regions


def _image_fit_star(choice, star):
    """The ``star`` argument of the image fit for a ``regions`` choice.

    As in the reference tool, the image fit is given the star only to
    restrict it ("star") or to exclude it ("notstar"). With no regions it
    is the global fit beside the star fit (the point of the combined
    method: cross-checking the two), and with a region file the file
    applies (a star would override it in ``fit_image_photometry``).
    """
    return star if choice in ("star", "notstar") else None


def _image_fit_pixels(image_fit, shape):
    """The pixels the image fit compared, on the full MUSE grid."""
    products = getattr(image_fit, "products", None)
    if products is None:
        return None
    pixels = np.zeros(shape, dtype=bool)
    pixels[products.crop] = products.good
    return pixels


def measure_image_and_star_photometry(hst, muse, star, regions="star", fix_scale=None,
                                      fix_bg=None, fix_dx=None, fix_dy=None,
                                      fix_fwhm=None, fix_beta=None,
                                      hst_fwhm=DEFAULT_HST_FWHM, hst_beta=DEFAULT_HST_BETA,
                                      margin=2.0, segment=False, psf="moffat",
                                      solver=None):
    """Measure one MUSE image by both methods, the image fit and the star fit.

    The measuring core of
    `~imphot_astropy.photometry.fit_image_and_star_photometry`, which
    documents the arguments; this function neither draws nor corrects
    anything. With ``regions="star"`` the image fit is restricted to the
    star's circle and the star fit is given exactly the pixels that the
    image fit compared; with None, "" or "none" the image fit is the global
    one (no regions), as in the reference tool.

    Parameters
    ----------
    hst, muse : str, HDU, NDData/CCDData or `~imphot_astropy.io.ImageData`
        The HST image regridded onto the MUSE grid, and the MUSE image.
    star : (ra, dec, radius)
        The star (degrees) and the radius (arcsec) of the circle fitted.
    regions, fix_scale, fix_bg, fix_dx, fix_dy, fix_fwhm, fix_beta, hst_fwhm, hst_beta, margin, segment, psf, solver
        See `~imphot_astropy.photometry.fit_image_and_star_photometry`.

    Returns
    -------
    image_fit, star_fit : `~imphot_astropy.fitting.FittedImagePhotometry`, `~imphot_astropy.fitting.FittedStarPhotometry`

    Raises
    ------
    UserError
        For anything either fit refuses.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
    >>> ra, dec = truth["star_radec"][0]
    >>> image, star = measure_image_and_star_photometry(hst, muse, (ra, dec, 2.0))
    >>> round(image.fwhm.value, 2), round(star.fwhm.value, 2)
    (0.65, 0.65)
    """
    fix_fwhm, fix_beta = check_star_fit_options(fix_fwhm, fix_beta)
    check_star_psf(psf)
    check_solver(solver)
    choice = _regions_choice(regions)
    hst_image, muse_image = read_aligned_pair(hst, muse)
    geometry = StarGeometry(star, muse_image)
    # Check the star's pixels before the (longer) image fit.
    circle_pixels = select_star_pixels(geometry, muse_image.mask, hst_image.mask)
    require_enough_pixels(geometry, circle_pixels)

    image_fit = measure_image_photometry(
        hst_image, muse_image, regions=choice, fix_scale=fix_scale, fix_bg=fix_bg,
        fix_dx=fix_dx, fix_dy=fix_dy, fix_fwhm=fix_fwhm, fix_beta=fix_beta,
        hst_fwhm=hst_fwhm, hst_beta=hst_beta, margin=margin, segment=segment,
        star=_image_fit_star(choice, star), psf=psf, solver=solver)
    pixels = circle_pixels
    if choice == "star":
        compared = _image_fit_pixels(image_fit, muse_image.shape)
        if compared is not None:
            pixels = compared
    star_fit = fit_star_pixels(hst_image, muse_image, geometry, pixels, fix_fwhm, fix_beta,
                               psf, options=dict(
                                   star=star, fix_fwhm=fix_fwhm, fix_beta=fix_beta, psf=psf,
                                   pixels="those of the image fit"
                                   if pixels is not circle_pixels else "the star circle"),
                               solver=solver)
    return image_fit, star_fit
