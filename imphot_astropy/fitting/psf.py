"""The fitted MUSE PSF as a photutils PSF model.

A MUSE pixel integrates the sky over its area, and both fitters measure
the FWHM and beta of the Moffat PSF *before* that integration (the image
fitter's Fourier model includes the pixel response, the star fitter uses
`PixelIntegratedMoffat2D`). For PSF photometry on the MUSE image, the model
that describes its pixels is therefore the pixel-integrated Moffat:
`MusePixelMoffatPSF`, in pixel coordinates with photutils' parameter names
(``x_0``, ``y_0``, ``flux``) and a fixed shape.

photutils' own `~photutils.psf.MoffatPSF` samples the Moffat at pixel
centres. Given the fitted FWHM, it is narrower and more peaked than the
star on the image: on a 0.65" PSF and 0.2" pixels its PSF photometry
underestimates fluxes by about 1.8% (a test checks this) and a star fit that used it would
report a FWHM a few percent too large. `psf_model` can return either.

For the elliptical Moffat (``psf="elliptical"``), photutils has no
elliptical Moffat model, so `MusePixelEllipticalMoffatPSF` is the PSF
object's own profile (`~imphot_astropy.core.psf.EllipticalMoffat`) in the
same form, pixel-integrated or, with ``integrated=False``, point sampled.
"""

import warnings

import numpy as np  # noqa: F401 (the examples use it)
from astropy.utils.exceptions import AstropyUserWarning

from ..core.moffat import moffat_alpha
from .star_models import (PixelIntegratedMoffat2D, PixelIntegratedEllipticalMoffat2D,
                          GAUSS_LEGENDRE_NODES)

__all__ = ["MusePixelMoffatPSF", "MusePixelEllipticalMoffatPSF", "psf_model"]

# Pixel sizes that differ by more than this make a circular PSF elliptical
# in pixel units, which these circular models cannot follow.
_SQUARE_TOLERANCE = 0.01


class _FwhmBoundingBox:
    """A bounding box ``bbox_factor`` FWHM across, centred on (x_0, y_0)."""

    @property
    def bounding_box(self):
        half = self.bbox_factor * float(self.fwhm.value) / 2.0
        x_0, y_0 = float(self.x_0.value), float(self.y_0.value)
        return ((y_0 - half, y_0 + half), (x_0 - half, x_0 + half))


class MusePixelMoffatPSF(_FwhmBoundingBox, PixelIntegratedMoffat2D):
    """A Moffat PSF integrated over unit pixels, as a photutils PSF model.

    The value at (x, y) (pixel coordinates) is the flux that falls within
    the pixel centred there: ``flux`` times the integral over that pixel of
    a unit-volume astropy Moffat2D of the given FWHM and beta. ``flux`` is
    thus the star's total flux, as photutils expects. ``fwhm`` and ``beta``
    are fixed (photutils fits ``x_0``, ``y_0`` and ``flux``).

    Parameters
    ----------
    fwhm : float
        The FWHM of the Moffat before pixel integration, in pixels.
    beta : float
        The Moffat exponent.
    flux, x_0, y_0 : float
        Initial values.
    bbox_factor : float
        The bounding box is this many FWHM across (the box photutils
        renders model images in).

    Examples
    --------
    >>> psf = MusePixelMoffatPSF(fwhm=3.25, beta=2.5, flux=100.0, x_0=10.0, y_0=12.0)
    >>> y, x = np.mgrid[0:25, 0:25]
    >>> round(float(psf(x, y).sum()), 1)        # the flux within the 25x25 pixels
    99.1
    >>> psf.fixed["fwhm"], psf.fixed["x_0"]
    (True, False)
    """

    def __init__(self, fwhm, beta, flux=1.0, x_0=0.0, y_0=0.0, bbox_factor=10.0):
        super().__init__(1.0, 1.0, flux=flux, x_0=x_0, y_0=y_0, fwhm=fwhm, beta=beta)
        self.fwhm.fixed = True
        self.beta.fixed = True
        self.bbox_factor = float(bbox_factor)


class MusePixelEllipticalMoffatPSF(_FwhmBoundingBox, PixelIntegratedEllipticalMoffat2D):
    """An elliptical Moffat PSF integrated over unit pixels, as a photutils PSF model.

    `MusePixelMoffatPSF` for the elliptical Moffat
    (`~imphot_astropy.core.psf.EllipticalMoffat`): ``flux`` is the star's
    total flux, ``x_0`` and ``y_0`` its centre (pixels), and the shape
    (``fwhm`` along the major axis in pixels, ``beta``, the ellipticity
    ``e`` and the position angle ``theta`` of the major axis, degrees from
    +x toward +y) is fixed, as photutils fits the position and flux.

    Parameters
    ----------
    fwhm, beta, e, theta : float
        The shape.
    flux, x_0, y_0 : float
        Initial values.
    bbox_factor : float
        The bounding box is this many (major-axis) FWHM across.
    nodes : int
        Quadrature nodes per pixel axis; 1 samples the profile at the pixel
        centres instead of integrating it.

    Examples
    --------
    >>> psf = MusePixelEllipticalMoffatPSF(3.25, 2.5, 0.15, 30.0, flux=100.0, x_0=12.0,
    ...                                    y_0=12.0)
    >>> y, x = np.mgrid[0:25, 0:25]
    >>> round(float(psf(x, y).sum()), 1)        # the flux within the 25x25 pixels
    99.3
    >>> psf.fixed["e"], psf.fixed["flux"]
    (True, False)
    """

    def __init__(self, fwhm, beta, e, theta, flux=1.0, x_0=0.0, y_0=0.0, bbox_factor=10.0,
                 nodes=GAUSS_LEGENDRE_NODES):
        super().__init__(1.0, 1.0, nodes=nodes, flux=flux, x_0=x_0, y_0=y_0, fwhm=fwhm,
                         beta=beta, e=e, theta=theta)
        for name in ("fwhm", "beta", "e", "theta"):
            getattr(self, name).fixed = True
        self.bbox_factor = float(bbox_factor)


def psf_model(fwhm, beta, pixel_scales, integrated=True, bbox_factor=10.0, e=None,
              theta=None):
    """A photutils PSF model of a fitted MUSE PSF, in pixel units.

    Parameters
    ----------
    fwhm : float
        The fitted FWHM (arcsec) of the Moffat PSF before pixel integration
        (what both fitters report).
    beta : float
        The fitted Moffat exponent.
    pixel_scales : (float, float)
        The MUSE pixel sizes along x and y (arcsec).
    integrated : bool
        True (the default): the pixel-integrated `MusePixelMoffatPSF`, the
        model of what the MUSE pixels record and what the fit measured.
        False: photutils' point-sampled `~photutils.psf.MoffatPSF` of the
        same Moffat, which is more peaked than the star on the image (see
        the module notes).
    bbox_factor : float
        The models' bounding box, in FWHM.
    e, theta : float or None
        The ellipticity and position angle (degrees from +x toward +y) of
        an elliptical Moffat (``fwhm`` then along the major axis): the
        model is a `MusePixelEllipticalMoffatPSF`, pixel-integrated or
        point sampled as ``integrated`` says. None: the circular Moffat.

    Returns
    -------
    model : `MusePixelMoffatPSF`, `~photutils.psf.MoffatPSF` or `MusePixelEllipticalMoffatPSF`
        With parameters ``flux`` (1), ``x_0``, ``y_0`` (0) free and the
        shape fixed, for `~photutils.psf.PSFPhotometry`.

    Examples
    --------
    >>> model = psf_model(0.65, 2.5, (0.2, 0.2))
    >>> model.param_names, round(float(model.fwhm.value), 3)
    (('flux', 'x_0', 'y_0', 'fwhm', 'beta'), 3.25)
    >>> point = psf_model(0.65, 2.5, (0.2, 0.2), integrated=False)
    >>> type(point).__name__, round(float(point.fwhm), 3)
    ('MoffatPSF', 3.25)
    >>> elongated = psf_model(0.65, 2.5, (0.2, 0.2), e=0.15, theta=30.0)
    >>> type(elongated).__name__, float(elongated.e.value)
    ('MusePixelEllipticalMoffatPSF', 0.15)
    """
    scale_x, scale_y = (float(v) for v in pixel_scales)
    if abs(scale_x - scale_y) > _SQUARE_TOLERANCE * max(scale_x, scale_y):
        warnings.warn(f"the pixels are not square ({scale_x:.4g}\" x {scale_y:.4g}\"); "
                      "the circular PSF model uses their mean size", AstropyUserWarning)
    fwhm_pixels = float(fwhm) / (0.5 * (scale_x + scale_y))
    beta = float(beta)
    if e is not None:
        return MusePixelEllipticalMoffatPSF(fwhm_pixels, beta, float(e), float(theta),
                                            bbox_factor=bbox_factor,
                                            nodes=GAUSS_LEGENDRE_NODES if integrated else 1)
    if integrated:
        return MusePixelMoffatPSF(fwhm_pixels, beta, bbox_factor=bbox_factor)
    from photutils.psf import MoffatPSF

    return MoffatPSF(flux=1.0, x_0=0.0, y_0=0.0, alpha=moffat_alpha(fwhm_pixels, beta),
                     beta=beta, bbox_factor=bbox_factor)
