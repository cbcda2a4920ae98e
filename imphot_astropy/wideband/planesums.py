"""Weighted sums of spectral planes: the array-level core of bandpass images.

The output image is ``sum(w d) / sum(w)`` over the planes, with the weight of
each masked or NaN voxel set to zero, and its variance
``sum(w**2 v) / sum(w)**2``. Planes arrive in blocks (from a memory map, or
slices of an in-memory cube); each block adds to running float64 sums.
"""

import numpy as np

__all__ = ["WeightedPlaneSums"]

# Planes are processed a few at a time, so that the dozen passes over them
# (conversion, NaN tests, products, sums) run in the CPU cache rather than
# in main memory: two 320 x 320 MUSE planes (0.8 MB of float32) per step
# measured fastest.
_VALUES_PER_STEP = 2**18

# Sums over at most this many planes are formed in the working precision
# (float32 for float32 cubes: a rounding of 6e-8 at most per sum), then
# added to float64 totals; longer sums (small images, many planes per step)
# are formed in float64 throughout.
_SHORT_SUM = 4


def _work_dtype(*dtypes):
    """float32 for float32 (or smaller) cubes, float64 for anything wider."""
    wide = any(np.dtype(d).itemsize > 4 or np.dtype(d).kind in "iu" and np.dtype(d).itemsize > 2
               for d in dtypes if d is not None)
    return np.dtype(np.float64 if wide else np.float32)


def _plane_sum(values):
    """Sum over the planes (axis 0), in float64 unless there are few."""
    if values.shape[0] <= _SHORT_SUM:
        return values.sum(axis=0)
    return values.sum(axis=0, dtype=np.float64)


class WeightedPlaneSums:
    """Running sums of weighted spectral planes, and their weighted mean.

    Parameters
    ----------
    image_shape : tuple of int
        The (ny, nx) shape of one plane.
    with_variance : bool
        Whether variances will be accumulated.

    Attributes
    ----------
    weight_sum : `numpy.ndarray`
        Per pixel, the sum of the weights of its unmasked voxels.
    data_sum : `numpy.ndarray`
        Per pixel, the sum of weight times value.
    variance_sum : `numpy.ndarray` or None
        Per pixel, the sum of weight squared times variance.

    Examples
    --------
    >>> sums = WeightedPlaneSums((1, 2), with_variance=True)
    >>> data = np.array([[[1.0, 5.0]], [[3.0, np.nan]]])
    >>> sums.add_planes(data, np.array([1.0, 3.0]), variance=np.ones_like(data))
    >>> image, variance, mask = sums.weighted_mean()
    >>> image, variance, mask
    (array([[2.5, 5. ]]), array([[0.625, 1.   ]]), array([[False, False]]))
    """

    def __init__(self, image_shape, with_variance):
        self.image_shape = tuple(image_shape)
        self.weight_sum = np.zeros(self.image_shape)
        self.data_sum = np.zeros(self.image_shape)
        self.variance_sum = np.zeros(self.image_shape) if with_variance else None

    def add_planes(self, data, weights, variance=None, mask=None):
        """Add planes to the sums.

        Parameters
        ----------
        data : array-like, shape (nplanes, ny, nx)
            The planes; any numeric dtype and byte order (a FITS memory map
            is read a few planes at a time, and so is a dask array).
        weights : `numpy.ndarray`, shape (nplanes,)
            The weight of each plane.
        variance : array-like, optional
            The variance of each voxel, same shape as ``data``. A voxel whose
            variance is NaN or infinite is masked too.
        mask : array-like, optional
            Non-zero or True where a voxel is bad.
        """
        nplanes = len(weights)
        npix = int(np.prod(self.image_shape))
        if variance is not None and self.variance_sum is None:
            raise ValueError("these sums were created without variances")
        dtype = _work_dtype(getattr(data, "dtype", np.float64),
                            getattr(variance, "dtype", None))
        step = max(1, _VALUES_PER_STEP // max(npix, 1))
        step = min(step, max(nplanes, 1))
        values = np.empty((step, npix), dtype)
        variances = np.empty((step, npix), dtype) if variance is not None else None
        weighted = np.empty((step, npix), dtype)
        good = np.empty((step, npix), bool)
        scratch = np.empty((step, npix), bool)
        plane_weights = np.asarray(weights, dtype=dtype)
        squared_weights = plane_weights * plane_weights
        flat_shape = (self.weight_sum.size,)
        weight_sum = self.weight_sum.reshape(flat_shape)
        data_sum = self.data_sum.reshape(flat_shape)
        variance_sum = (None if self.variance_sum is None
                        else self.variance_sum.reshape(flat_shape))
        for first in range(0, nplanes, step):
            last = min(first + step, nplanes)
            n = last - first
            d, g, t, w = values[:n], good[:n], scratch[:n], weighted[:n]
            np.copyto(d, np.asarray(data[first:last]).reshape(n, npix), casting="unsafe")
            np.isfinite(d, out=g)
            if variance is not None:
                v = variances[:n]
                np.copyto(v, np.asarray(variance[first:last]).reshape(n, npix),
                          casting="unsafe")
                np.isfinite(v, out=t)
                g &= t
            if mask is not None:
                np.equal(np.asarray(mask[first:last]).reshape(n, npix), 0, out=t)
                g &= t
            column = plane_weights[first:last, None]
            np.multiply(column, g, out=w)
            weight_sum += _plane_sum(w)
            np.logical_not(g, out=t)
            any_bad = t.any()
            if any_bad:
                np.copyto(d, 0, where=t)
            d *= column
            data_sum += _plane_sum(d)
            if variance is not None:
                if any_bad:
                    np.copyto(v, 0, where=t)
                v *= squared_weights[first:last, None]
                variance_sum += _plane_sum(v)

    def __iadd__(self, other):
        self.weight_sum += other.weight_sum
        self.data_sum += other.data_sum
        if self.variance_sum is not None:
            self.variance_sum += other.variance_sum
        return self

    def weighted_mean(self):
        """Return the weighted-mean image, its variance and its mask.

        Returns
        -------
        image : `numpy.ndarray`
            NaN where no voxel had a positive weight.
        variance : `numpy.ndarray` or None
            The propagated variance, NaN where the image is.
        mask : `numpy.ndarray`
            True where the image is undefined.
        """
        mask = ~(self.weight_sum > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            image = np.where(mask, np.nan, self.data_sum / self.weight_sum)
            variance = None
            if self.variance_sum is not None:
                variance = np.where(mask, np.nan, self.variance_sum / self.weight_sum**2)
        return image, variance, mask
