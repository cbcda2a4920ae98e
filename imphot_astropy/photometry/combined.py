"""The public fit of one star by both methods: `fit_image_and_star_photometry`.

It checks every argument before the fits, has `imphot_astropy.fitting`
measure, then acts on the results: both figures and the corrected MUSE
image.
"""

import numpy as np

from ..exceptions import UserError
from ..corrections import aligned_output, write_aligned_image
from ..fitting.image_fit import read_aligned_pair, DEFAULT_HST_FWHM, DEFAULT_HST_BETA
from ..fitting.star_fit import check_star_fit_options, check_star_psf
from ..fitting.solvers import check_solver
from ..fitting.star_geometry import StarGeometry
from ..fitting.point_sources import resolve_star
from ..fitting.combined import measure_image_and_star_photometry
from .products import FitOutputs

__all__ = ["fit_image_and_star_photometry"]


def _apply_choice(apply):
    """False, "image" or "star" from the ``apply`` argument."""
    if apply is False or apply is None or (isinstance(apply, np.bool_) and not apply):
        return False
    if apply is True or isinstance(apply, np.bool_):
        return "image"
    if isinstance(apply, str) and apply.strip().lower() in ("image", "star"):
        return apply.strip().lower()
    raise UserError(f"apply: expected False, True, 'image' or 'star', not {apply!r}")


def fit_image_and_star_photometry(hst, muse, star, regions="star", fix_scale=None,
                                  fix_bg=None, fix_dx=None, fix_dy=None, fix_fwhm=None,
                                  fix_beta=None, hst_fwhm=DEFAULT_HST_FWHM,
                                  hst_beta=DEFAULT_HST_BETA, margin=2.0, segment=False,
                                  display=False, nowait=False, hardcopy=None, title=None,
                                  save=False, fig=None, apply=False, resample=False,
                                  psf="moffat", solver=None):
    """Fit one MUSE image by both methods: the image fit and the star fit.

    First `~imphot_astropy.photometry.fit_image_photometry` (with ``regions``
    and ``star``), then `~imphot_astropy.photometry.fit_star_photometry` on
    the star. With ``regions="star"`` both fit exactly the same pixels: the
    star fit is given the pixels that the image fit compared (the circle of
    ``radius`` around the star, unmasked in both images), so their results
    can be compared directly. With ``regions`` None, "" or "none" (no
    regions), the image fit is the global fit of the whole image, beside
    the star fit, as in the reference tool: the two methods then
    cross-check each other.

    Parameters
    ----------
    hst, muse : str, HDU, NDData/CCDData
        The HST image regridded onto the MUSE grid, and the MUSE image.
    star : (ra, dec, radius), (SkyCoord, radius), table row, or "auto"
        The star (degrees) and the radius (arcsec) of the circle fitted; the
        forms of `~imphot_astropy.photometry.fit_star_photometry`'s ``star``.
    regions : None, "none", "", "star", "notstar", str or iterable of str
        The regions of the image fit (see ``fit_image_photometry``): None,
        "none" or "" for none (a global image fit), "star" (the default) to
        restrict it to the star's circle, "notstar" to exclude the circle,
        or a ds9 region file (or its lines), which the image fit uses as
        given (the star fit keeps its circle).
    fix_scale, fix_bg, fix_dx, fix_dy : float or None
        Hold that parameter of the image fit (the star fit has no such
        parameters: its scale, offset and shifts compare two fits).
    fix_fwhm, fix_beta : float or None
        Hold the MUSE PSF's FWHM (arcsec) or beta, in both fits.
    hst_fwhm, hst_beta : float
        The HST PSF model of the image fit (the star fit fits its own).
    margin : float
        The image fit's zero-padding margin (arcsec).
    segment : bool
        Restrict the image fit to significant objects in the HST image.
    psf : {"moffat", "elliptical"}
        The MUSE PSF model of both fits: the circular Moffat (the
        default) or the elliptical Moffat (results get ``e`` and
        ``theta``; see `~imphot_astropy.photometry.fit_image_photometry`).
    solver : None, str or `~imphot_astropy.fitting.solvers.Solver`
        The solver of both fits: None for each fit's own, or a name of
        `~imphot_astropy.fitting.solvers.SOLVERS` or a solver object for
        both (see :ref:`choosing-a-solver`).
    display, nowait, hardcopy, title : see ``fit_image_photometry``
        Both figures (``<muse name>_image_fit.<format>`` and
        ``<muse name>_star_fit.<format>`` for ``hardcopy``).
    save : bool
        Write the image fit's FITS products (see ``fit_image_photometry``).
    fig : `matplotlib.figure.Figure`, optional
        The figure to draw the image fit into; the star fit gets its own.
    apply : bool or {"image", "star"}
        Write the MUSE image corrected by the image fit (True or "image")
        or by the star fit ("star") to ``<muse file>_aligned.fits`` (see
        ``fit_image_photometry``); False writes nothing.
    resample : bool
        With ``apply``: correct the pointing by moving the pixels (True) or
        by changing CRPIX1/2 (False).

    Returns
    -------
    image_fit, star_fit : `~imphot_astropy.fitting.FittedImagePhotometry`, `~imphot_astropy.fitting.FittedStarPhotometry`

    Raises
    ------
    UserError
        For anything either fit refuses (see those functions).

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    >>> hst, muse, truth = make_synthetic_pair(
    ...     shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], seed=1)
    >>> ra, dec = truth["star_radec"][0]
    >>> image, star = fit_image_and_star_photometry(hst, muse, (ra, dec, 2.0))
    >>> round(image.fwhm.value, 2), round(star.fwhm.value, 2)
    (0.65, 0.65)
    """
    choice = _apply_choice(apply)
    image_outputs = FitOutputs(display=display, nowait=nowait, hardcopy=hardcopy,
                               title=title, fig=fig, save=save)
    # (display was turned off, with one warning, if there is no screen.)
    star_outputs = FitOutputs(display=image_outputs.display, nowait=nowait,
                              hardcopy=hardcopy, title=title)
    fix_fwhm, fix_beta = check_star_fit_options(fix_fwhm, fix_beta)
    check_star_psf(psf)
    check_solver(solver)
    hst_image, muse_image = read_aligned_pair(hst, muse)
    star = resolve_star(star, hst_image, muse_image)    # "auto": find_point_sources
    StarGeometry(star, muse_image)      # the star is on the image, the radius a pixel
    output = aligned_output(bool(choice), resample, muse_image.filename,
                            [hst_image.filename])
    image_fit, star_fit = measure_image_and_star_photometry(
        hst_image, muse_image, star, regions=regions, fix_scale=fix_scale, fix_bg=fix_bg,
        fix_dx=fix_dx, fix_dy=fix_dy, fix_fwhm=fix_fwhm, fix_beta=fix_beta,
        hst_fwhm=hst_fwhm, hst_beta=hst_beta, margin=margin, segment=segment, psf=psf,
        solver=solver)
    if output is not None:
        chosen = image_fit if choice == "image" else star_fit
        write_aligned_image(muse_image, chosen, resample=resample,
                            inputs=[hst_image.filename], output=output)
    image_outputs.image_fit(image_fit)
    star_outputs.star_fit(star_fit)
    return image_fit, star_fit
