"""Array-level mask operations: tapering mask edges, segmenting objects."""

import numbers

import numpy as np
from scipy import ndimage

__all__ = ["taper_weights", "is_integer_width", "segmentation_mask", "bounding_slices",
           "values_on_mask"]


def taper_weights(mask, width):
    """Weights that fall smoothly from 1 inside good areas to 0 at masks.

    The fitter multiplies both images by these weights. A bright source cut
    by a mask edge would otherwise leave a sharp step that looks like a real
    feature and pulls the fitted offsets. Two bevels are offered, told apart
    by the type of ``width``:

    - a float (``9.0``, the fitters' default): each good pixel's weight
      depends on its (Euclidean) distance ``d`` in pixels to the nearest
      masked pixel, as a raised cosine ``(1 - cos(pi d / (width + 1))) / 2``
      for ``d < width + 1``, else 1. This bevel is isotropic and any width
      may be given.
    - an integer (``int`` or a NumPy integer, as the MPDAF-based imphot took):
      that tool's Blackman bevel. An even width is rounded up to the next odd
      number ``n`` (as there); the good area is eroded by a square of
      ``n x n`` pixels and smoothed by a separable ``n x n`` Blackman kernel,
      so the weights rise from 0 at the mask to 1 at ``n`` pixels from it
      (along rows and columns; square contours).

    In both, masked pixels get weight 0 and a width below 2 disables the
    taper (weights are 0/1).

    Parameters
    ----------
    mask : `numpy.ndarray` of bool
        True for masked pixels. Pixels beyond the array edge count as good.
    width : float or int
        The width of the ramp in pixels (see above for float vs integer).

    Returns
    -------
    weights : `numpy.ndarray` of float

    Examples
    --------
    >>> m = np.zeros((1, 9), bool); m[0, 0] = True
    >>> taper_weights(m, 3.0).round(3)
    array([[0.   , 0.146, 0.5  , 0.854, 1.   , 1.   , 1.   , 1.   , 1.   ]])
    >>> taper_weights(m, 3).round(3)
    array([[0.   , 0.202, 0.798, 1.   , 1.   , 1.   , 1.   , 1.   , 1.   ]])
    """
    good = ~np.asarray(mask, dtype=bool)
    if width < 2 or good.all():
        return good.astype(float)
    if is_integer_width(width):
        return _blackman_bevel(good, 2 * (int(width) // 2) + 1)
    distance = ndimage.distance_transform_edt(good)
    ramp = 0.5 * (1.0 - np.cos(np.pi * np.minimum(distance / (width + 1.0), 1.0)))
    return np.where(good, ramp, 0.0)


def is_integer_width(width):
    """True if a taper width selects the reference's Blackman bevel.

    Python and NumPy integers do (not bools); floats, even integral ones
    such as ``9.0``, select the raised-cosine bevel.

    Examples
    --------
    >>> is_integer_width(9), is_integer_width(np.int32(9)), is_integer_width(9.0)
    (True, True, False)
    """
    return isinstance(width, numbers.Integral) and not isinstance(width, (bool, np.bool_))


def _blackman_bevel(good, n):
    """The reference tool's bevel of odd width ``n``, written afresh.

    Eroding the good area by a square of ``n`` pixels and then smoothing it
    with an ``n``-pixel kernel keeps the weights exactly 0 on masked pixels.
    The 1-D kernel is the inner ``n`` samples of an ``n + 2``-point
    Blackman window (its end points are 0), normalised to unit sum; scipy's
    separable 1-D convolutions apply it along both axes.
    """
    eroded = ndimage.binary_erosion(good, structure=np.ones((n, n), bool),
                                    border_value=1).astype(float)
    kernel = np.blackman(n + 2)[1:n + 1]
    kernel /= kernel.sum()
    smoothed = ndimage.convolve1d(eroded, kernel, axis=0, mode="nearest")
    smoothed = ndimage.convolve1d(smoothed, kernel, axis=1, mode="nearest")
    return np.where(good, np.clip(smoothed, 0.0, 1.0), 0.0)


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


def values_on_mask(values, where):
    """Scatter values at the True pixels of ``where`` (row-major) onto a grid.

    Parameters
    ----------
    values : array-like
        Shape ``(..., n)``, with ``n`` the number of True pixels.
    where : `numpy.ndarray` of bool
        The grid's mask.

    Returns
    -------
    grid : `numpy.ndarray`
        Shape ``values.shape[:-1] + where.shape``, zero elsewhere.

    Examples
    --------
    >>> values_on_mask([1.0, 2.0], np.array([[True, False], [False, True]]))
    array([[1., 0.],
           [0., 2.]])
    """
    values = np.asarray(values, dtype=float)
    grid = np.zeros(values.shape[:-1] + (where.size,))
    # Flat indices scatter much faster than a boolean mask on each row.
    grid[..., np.flatnonzero(where)] = values
    return grid.reshape(values.shape[:-1] + where.shape)
