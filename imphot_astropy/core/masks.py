"""Array-level mask operations: tapering mask edges, segmenting objects."""

import numpy as np
from scipy import ndimage

__all__ = ["taper_weights", "segmentation_mask", "bounding_slices"]


def taper_weights(mask, width):
    """Weights that fall smoothly from 1 inside good areas to 0 at masks.

    The fitter multiplies both images by these weights. A bright source cut
    by a mask edge would otherwise leave a sharp step that looks like a real
    feature and pulls the fitted offsets. Each good pixel's weight depends
    on its distance ``d`` (pixels) to the nearest masked pixel: a raised
    cosine ``(1 - cos(pi d / (width + 1))) / 2`` for ``d < width + 1``, else 1.
    (The reference implementation eroded the mask and smoothed it with a
    Blackman kernel of odd width; a distance ramp gives the same kind of
    bevel, isotropic, for any width.)

    Parameters
    ----------
    mask : `numpy.ndarray` of bool
        True for masked pixels. Pixels beyond the array edge count as good.
    width : float
        The width of the ramp in pixels; below 2, no taper (weights are 0/1).

    Returns
    -------
    weights : `numpy.ndarray` of float

    Examples
    --------
    >>> m = np.zeros((1, 9), bool); m[0, 0] = True
    >>> taper_weights(m, 3).round(3)
    array([[0.   , 0.146, 0.5  , 0.854, 1.   , 1.   , 1.   , 1.   , 1.   ]])
    """
    good = ~np.asarray(mask, dtype=bool)
    if width < 2 or good.all():
        return good.astype(float)
    distance = ndimage.distance_transform_edt(good)
    ramp = 0.5 * (1.0 - np.cos(np.pi * np.minimum(distance / (width + 1.0), 1.0)))
    return np.where(good, ramp, 0.0)


def segmentation_mask(image, mask):
    """Mask the pixels of an image that hold no significant object.

    Following the reference method: the masked image is morphologically
    opened (which removes noise spikes narrower than the structuring
    element), and pixels whose opened value is below the median of the good
    opened pixels are marked; the marked area is then eroded by one pixel so
    that the faint outskirts of objects are kept.

    Parameters
    ----------
    image : `numpy.ndarray`
        The (HST) image.
    mask : `numpy.ndarray` of bool
        Pixels that are already masked (ignored when taking the median).

    Returns
    -------
    background : `numpy.ndarray` of bool
        True for pixels without significant objects.

    Examples
    --------
    >>> im = np.zeros((9, 9)); im[3:6, 3:6] = 10.0
    >>> int(segmentation_mask(im, np.zeros_like(im, bool))[4, 4])
    0
    """
    cross = ndimage.generate_binary_structure(2, 1)
    filled = np.where(mask, 0.0, image)
    opened = ndimage.grey_opening(filled, footprint=cross)
    opened = ndimage.grey_dilation(opened, footprint=cross)
    good = ~mask
    threshold = np.median(opened[good]) if good.any() else 0.0
    background = opened < threshold
    return ndimage.binary_erosion(background, structure=cross)


def bounding_slices(good):
    """The smallest slices that hold every True pixel of a 2D array.

    Examples
    --------
    >>> g = np.zeros((5, 6), bool); g[1:3, 2:5] = True
    >>> bounding_slices(g)
    (slice(1, 3, None), slice(2, 5, None))
    """
    rows = np.flatnonzero(good.any(axis=1))
    cols = np.flatnonzero(good.any(axis=0))
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)
