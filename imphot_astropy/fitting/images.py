"""The images that show how well an image fit went: model, residual, Fourier amplitudes.

Every number the image-fit figure shows and the FITS products hold is
computed here, from the ``products`` of a
`~imphot_astropy.fitting.FittedImagePhotometry`; `imphot_astropy.plotting`
only draws these arrays and `imphot_astropy.photometry.products` only
writes them.
"""

from dataclasses import dataclass

import numpy as np
from astropy.wcs.utils import proj_plane_pixel_scales

from ..exceptions import UserError

__all__ = ["ImageFitImages", "image_fit_images", "fourier_amplitude"]


def fourier_amplitude(image, weights, offset=0.0):
    """The amplitude of the discrete Fourier transform of a weighted image.

    Parameters
    ----------
    image : `numpy.ndarray`
        The image (NaN where there is no data).
    weights : `numpy.ndarray`
        The comparison weights of the fit: 0 where pixels were not compared,
        tapered towards mask edges. Multiplying by them keeps the sharp
        edges of the masks from streaking the transform.
    offset : float
        A value subtracted from the image first (its median), so that the
        zero-frequency term measures structure rather than the sky level.

    Returns
    -------
    amplitude : `numpy.ndarray`
        ``|DFT((image - offset) * weights)|``, with zero frequency moved to
        pixel ``[ny // 2, nx // 2]`` (`numpy.fft.fftshift`), in the units of
        the image.

    Examples
    --------
    >>> im = np.ones((4, 4))
    >>> fourier_amplitude(im, np.ones((4, 4)))[2, 2]
    np.float64(16.0)
    """
    weights = np.asarray(weights, dtype=float)
    values = np.where(weights > 0, np.asarray(image, dtype=float) - offset, 0.0)
    return np.abs(np.fft.fftshift(np.fft.fft2(values * weights)))


def _frequency_axis(n, step):
    """The shifted DFT frequencies (cycles/arcsec) of n pixels of ``step`` arcsec."""
    return np.fft.fftshift(np.fft.fftfreq(n, d=step))


@dataclass
class ImageFitImages:
    """The images that show how well an image fit went.

    All images are on the cropped MUSE grid of the fit (``wcs``); pixels
    that were not compared are NaN in ``muse`` and ``residual``.

    Attributes
    ----------
    muse : `numpy.ndarray`
        The MUSE image as compared: convolved with the HST PSF and the
        regridding filter, as the model is.
    model : `numpy.ndarray`
        The fitted model made from the HST image (defined everywhere).
    residual : `numpy.ndarray`
        ``muse - model``.
    compared : `numpy.ndarray` of bool
        The pixels the fit compared.
    weights : `numpy.ndarray`
        The (tapered) comparison weights.
    offset : float
        The median of the compared MUSE pixels, subtracted before the
        Fourier transforms.
    muse_fft, model_fft, residual_fft : `numpy.ndarray`
        The Fourier amplitudes (`fourier_amplitude`) of the three images.
    freq_x, freq_y : `numpy.ndarray`
        The spatial frequencies (cycles/arcsec) of the columns and rows of
        the Fourier amplitudes.
    wcs : `~astropy.wcs.WCS`
        The celestial WCS of the cropped grid.
    unit : `~astropy.units.UnitBase`
        The flux unit of the images.

    Examples
    --------
    >>> from imphot_astropy.fitting import measure_image_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> fit = measure_image_photometry(*make_synthetic_pair(shape=(60, 60), seed=3)[:2])
    >>> images = image_fit_images(fit)
    >>> bool(np.allclose(images.residual[images.compared],
    ...                  (images.muse - images.model)[images.compared]))
    True
    """

    muse: np.ndarray
    model: np.ndarray
    residual: np.ndarray
    compared: np.ndarray
    weights: np.ndarray
    offset: float
    muse_fft: np.ndarray
    model_fft: np.ndarray
    residual_fft: np.ndarray
    freq_x: np.ndarray
    freq_y: np.ndarray
    wcs: object
    unit: object


def _products_of(result):
    products = getattr(result, "products", None)
    if products is None:
        raise UserError("result: this fit result holds no images to plot or save "
                        "(results sent back from worker processes drop them); ask "
                        "the fitter itself for display, hardcopy or save")
    return products


def image_fit_images(result):
    """The images of an image fit, ready to plot or save.

    Parameters
    ----------
    result : `~imphot_astropy.fitting.FittedImagePhotometry`
        The result of `~imphot_astropy.fitting.measure_image_photometry` in this
        process (its ``products`` are not pickled).

    Returns
    -------
    images : `ImageFitImages`

    Examples
    --------
    >>> from imphot_astropy.fitting import measure_image_photometry
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> hst, muse, truth = make_synthetic_pair(shape=(48, 48), seed=3)
    >>> images = image_fit_images(measure_image_photometry(hst, muse, fix_beta=2.5))
    >>> images.muse.shape == images.muse_fft.shape == images.compared.shape
    True
    """
    products = _products_of(result)
    compared = np.asarray(products.good, dtype=bool)
    weights = getattr(products, "window", None)
    if weights is None:
        weights = compared.astype(float)
    weights = np.where(compared, weights, 0.0)
    muse = np.where(compared, products.muse, np.nan)
    model = np.array(products.model, dtype=float)
    residual = muse - model
    offset = float(np.median(products.muse[compared])) if compared.any() else 0.0
    wcs = products.wcs[products.crop]
    step_x, step_y = proj_plane_pixel_scales(wcs) * 3600.0
    ny, nx = compared.shape
    return ImageFitImages(
        muse=muse, model=model, residual=residual, compared=compared,
        weights=weights, offset=offset,
        muse_fft=fourier_amplitude(muse, weights, offset),
        model_fft=fourier_amplitude(model, weights, offset),
        residual_fft=fourier_amplitude(residual, weights),
        freq_x=_frequency_axis(nx, step_x), freq_y=_frequency_axis(ny, step_y),
        wcs=wcs, unit=products.unit)
