"""Weighted sums of spectral planes: the array-level core of bandpass images.

The output image is ``sum(w d) / sum(w)`` over the planes, with the weight of
each masked or NaN voxel set to zero, and its variance
``sum(w**2 v) / sum(w)**2``. Several filters (rows of weights) are summed in
the same pass: each plane is read and cleaned once, whatever the number of
filters.

Hand-written because no library does a one-pass, multi-filter weighted sum
of a FITS cube with masks: numpy's ``nansum``/``average`` need a cleaned
float copy of the whole cube per filter, and dask or spectral-cube make one
task graph or one pass per filter. How one block of planes is processed:

1. each few planes are read (or copied) into a cache-sized buffer,
   converted to the native working type, tested for NaN/infinite values
   (and masked voxels), their bad voxels set to zero, and their sums over
   the image taken (the per-plane light for the PSF mixture), all while
   they are in the CPU cache;
2. the weighted sums of all filters are then one matrix product per block
   (BLAS): weights (nfilters x nplanes) @ planes (nplanes x npix) for the
   data, and with the squared weights for the variances;
3. the sum of the good voxels' weights is the sum of the block's weights
   for every pixel without a bad voxel in the block, zero for a pixel bad
   in all of its planes (MUSE's NaN margins), and a small product only for
   the few pixels bad in some planes.

Precision: the products are float32 for float32 cubes, over at most
`_GEMM_PLANES` planes (relative rounding below about 1e-6 of the sum of the
absolute terms), and are accumulated into float64 totals; weight sums are
float64 throughout.
"""

import numpy as np

__all__ = ["WeightedPlaneSums", "ScratchBuffers"]

# Planes are cleaned a few at a time, so that the passes over them
# (conversion, NaN tests, zeroing, plane sums) run in the CPU cache rather
# than in main memory: two 320 x 320 MUSE planes (0.8 MB of float32) per
# step measured fastest.
_VALUES_PER_STEP = 2**18

# At most this many planes enter one float32 matrix product; longer blocks
# (small images) are split, each product joining float64 totals.
_GEMM_PLANES = 48


def _work_dtype(*dtypes):
    """float32 for float32 (or smaller) cubes, float64 for anything wider."""
    wide = any(np.dtype(d).itemsize > 4 or np.dtype(d).kind in "iu" and np.dtype(d).itemsize > 2
               for d in dtypes if d is not None)
    return np.dtype(np.float64 if wide else np.float32)


class ScratchBuffers:
    """Buffers reused from block to block by one worker.

    Fresh arrays would cost page faults on every block (about as much as
    the sums themselves for a 320 x 320 cube), so each worker allocates its
    buffers once, sized for the largest block it meets.

    Examples
    --------
    >>> scratch = ScratchBuffers()
    >>> big = scratch.get("data", (4, 100), np.float32)
    >>> small = scratch.get("data", (2, 50), np.float32)
    >>> small.shape, np.shares_memory(big, small)
    ((2, 50), True)
    """

    def __init__(self):
        self._arrays = {}

    def get(self, name, shape, dtype):
        """An uninitialised array of this shape and type, reused when possible."""
        dtype = np.dtype(dtype)
        size = int(np.prod(shape))
        key = (name, dtype.str)
        buffer = self._arrays.get(key)
        if buffer is None or buffer.size < size:
            buffer = np.empty(size, dtype)
            self._arrays[key] = buffer
        return buffer[:size].reshape(shape)


def _fill(out, source, first, last, scratch, name):
    """Copy planes first:last of ``source`` into ``out`` (nplanes, npix).

    A file-backed source (`~imphot_astropy.wideband.fileplanes.FilePlanes`) is
    read with one system call into a small buffer of the file's type and
    converted (byte-swapped) from there while it is in the cache; arrays
    and memory maps are converted directly.
    """
    reader = getattr(source, "read_into", None)
    if reader is not None:
        raw = scratch.get("raw-" + name, out.shape, source.dtype)
        reader(first, last, raw)
        np.copyto(out, raw, casting="unsafe")
    else:
        np.copyto(out, np.asarray(source[first:last]).reshape(out.shape), casting="unsafe")


def _flag_mask(bad, source, first, last, scratch):
    """OR into ``bad`` the voxels flagged (non-zero) by a mask."""
    flags = scratch.get("flags", bad.shape, bool)
    reader = getattr(source, "read_into", None)
    if reader is not None:
        raw = scratch.get("raw-mask", bad.shape, source.dtype)
        reader(first, last, raw)
        np.not_equal(raw, 0, out=flags)
    else:
        np.not_equal(np.asarray(source[first:last]).reshape(bad.shape), 0, out=flags)
    bad |= flags


class _ChunkProducts:
    """One chunk's contribution to the sums, ready to be added in order."""

    __slots__ = ("data", "variance", "weight", "full", "partial", "partial_weight")


class WeightedPlaneSums:
    """Running sums of weighted spectral planes, and their weighted means.

    Parameters
    ----------
    image_shape : tuple of int
        The (ny, nx) shape of one plane.
    with_variance : bool
        Whether variances will be accumulated.
    nbands : int or None
        None for one set of weights (one image); else the number of rows of
        weights (filters) summed in the same pass, and the sums and images
        get a leading axis of that length.

    Attributes
    ----------
    weight_sum : `numpy.ndarray`
        Per pixel, the sum of the weights of its unmasked voxels (read-only).
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

    Two filters in one pass, and the light of each plane:

    >>> two = WeightedPlaneSums((1, 2), with_variance=False, nbands=2)
    >>> flux = np.zeros(2)
    >>> two.add_planes(data, np.array([[1.0, 0.0], [0.0, 1.0]]), flux=flux)
    >>> two.weighted_mean()[0], flux
    (array([[[ 1.,  5.]],
    <BLANKLINE>
           [[ 3., nan]]]), array([6., 3.]))
    """

    def __init__(self, image_shape, with_variance, nbands=None):
        self.image_shape = tuple(image_shape)
        self.nbands = nbands
        shape = self.image_shape if nbands is None else (int(nbands),) + self.image_shape
        # The weight sums are kept as the total of all weights added minus,
        # per pixel, the weights of its bad voxels, so that a block costs
        # work only on the pixels with a bad voxel. For a pixel bad
        # everywhere both are the same numbers added in the same order:
        # its difference is exactly zero.
        lead = () if nbands is None else (int(nbands),)
        self._total_weight = np.zeros(lead + (1,))
        self._bad_weight = np.zeros(lead + (int(np.prod(self.image_shape)),))
        self.data_sum = np.zeros(shape)
        self.variance_sum = np.zeros(shape) if with_variance else None

    @property
    def weight_sum(self):
        """Per pixel, the sum of the weights of its unmasked voxels."""
        return (self._total_weight - self._bad_weight).reshape(self.data_sum.shape)

    def _rows(self, array):
        """A (nrows, npix) view of one of the sums."""
        return array.reshape(1 if self.nbands is None else self.nbands, -1)

    def add_planes(self, data, weights, variance=None, mask=None, flux=None):
        """Add planes to the sums.

        Parameters
        ----------
        data : array-like, shape (nplanes, ny, nx)
            The planes; any numeric dtype and byte order (a FITS memory map,
            a dask array, or a `~imphot_astropy.wideband.fileplanes.FilePlanes`).
        weights : `numpy.ndarray`, shape (nplanes,) or (nbands, nplanes)
            The weight of each plane (per filter with ``nbands``).
        variance : array-like, optional
            The variance of each voxel, same shape as ``data``. A voxel whose
            variance is NaN or infinite is masked too.
        mask : array-like, optional
            Non-zero or True where a voxel is bad.
        flux : `numpy.ndarray`, shape (nplanes,), optional
            Filled with the sum of each plane over its good voxels.
        """
        chunks = self.plane_products(data, weights, variance, mask, flux, ScratchBuffers())
        self.add_products(chunks)

    def plane_products(self, data, weights, variance, mask, flux, scratch):
        """Clean the planes and form their products, without touching the sums.

        `add_planes` in two steps, for parallel workers: each worker forms
        the products of its block of planes with this method (reading and
        multiplying run in parallel), then the blocks' products are added
        with `add_products` one at a time, in plane order, so that the sums
        are the same, to the bit, for any number of workers.

        Parameters
        ----------
        data, weights, variance, mask, flux
            As for `add_planes` (``variance``, ``mask`` and ``flux`` may be
            None).
        scratch : `ScratchBuffers`
            The worker's reused buffers; the products live in them, so add
            them before the worker's next call.

        Returns
        -------
        products : list
            The products of the planes' chunks, for `add_products`.
        """
        if variance is not None and self.variance_sum is None:
            raise ValueError("these sums were created without variances")
        weights = np.asarray(weights, dtype=np.float64)
        weights = weights.reshape(-1, weights.shape[-1])
        nplanes = weights.shape[1]
        npix = int(np.prod(self.image_shape))
        dtype = _work_dtype(getattr(data, "dtype", np.float64),
                            getattr(variance, "dtype", None))
        chunk = max(1, min(_GEMM_PLANES, nplanes))
        step = max(1, min(_VALUES_PER_STEP // max(npix, 1), chunk))
        # The weights as the products see them (float32 for float32 cubes),
        # so that the weight sums divide exactly what was summed.
        weights = weights.astype(dtype).astype(np.float64)
        chunks = []
        for first in range(0, nplanes, chunk):
            last = min(first + chunk, nplanes)
            chunks.append(self._chunk(data, variance, mask, weights[:, first:last],
                                      first, last, step, dtype, flux, scratch,
                                      len(chunks)))
        return chunks

    def _chunk(self, data, variance, mask, weights, first, last, step, dtype, flux,
               scratch, index):
        """Clean planes first:last in cache-sized steps, then multiply them."""
        n, npix = last - first, int(np.prod(self.image_shape))
        values = scratch.get("values", (n, npix), dtype)
        variances = None if variance is None else scratch.get("variances", (n, npix), dtype)
        bad = scratch.get("bad", (n, npix), bool)
        # Bad voxels per pixel in the chunk (fewer than 256 planes).
        count = scratch.get("count", (npix,), np.uint8)
        counted = False
        for lo in range(0, n, step):
            hi = min(lo + step, n)
            b, d = bad[lo:hi], values[lo:hi]
            v = None if variance is None else variances[lo:hi]
            good = scratch.get("good", b.shape, bool)
            _fill(d, data, first + lo, first + hi, scratch, "data")
            np.isfinite(d, out=good)
            if variance is not None:
                _fill(v, variance, first + lo, first + hi, scratch, "variance")
                np.logical_and(good, np.isfinite(v, out=b), out=good)
            np.logical_not(good, out=b)
            if mask is not None:
                _flag_mask(b, mask, first + lo, first + hi, scratch)
            if b.any():
                np.copyto(d, 0, where=b)
                if variance is not None:
                    np.copyto(v, 0, where=b)
                if not counted:
                    count[:] = 0
                    counted = True
                for row in b:
                    np.add(count, row.view(np.uint8), out=count)
            if flux is not None:
                # Plane sums in the working type (pairwise summation): only
                # the relative light of the planes is needed.
                flux[first + lo:first + hi] = d.sum(axis=1)
        out = _ChunkProducts()
        rows = weights.shape[0]
        out.data = np.matmul(weights.astype(dtype), values,
                             out=scratch.get(f"data{index}", (rows, npix), dtype))
        out.variance = None
        if variance is not None:
            out.variance = np.matmul((weights * weights).astype(dtype), variances,
                                     out=scratch.get(f"var{index}", (rows, npix), dtype))
        out.weight = weights.sum(axis=1)[:, None]
        out.full = out.partial = out.partial_weight = None
        if counted:
            out.full = np.flatnonzero(count == n)
            out.partial = np.flatnonzero((count > 0) & (count < n))
            if out.partial.size:
                out.partial_weight = weights @ ~bad[:, out.partial]
        return out

    def add_products(self, chunks):
        """Add the products of a block of planes to the sums.

        Parameters
        ----------
        chunks : list
            What `plane_products` returned for the block; blocks are added
            in plane order.
        """
        total, bad = self._rows(self._total_weight), self._rows(self._bad_weight)
        data_sum = self._rows(self.data_sum)
        variance_sum = None if self.variance_sum is None else self._rows(self.variance_sum)
        for chunk in chunks:
            data_sum += chunk.data
            if variance_sum is not None:
                variance_sum += chunk.variance
            total += chunk.weight
            if chunk.full is None:
                continue
            # Pixels bad in every plane of the chunk lose all its weight,
            # pixels bad in some the weights of their bad voxels.
            bad[:, chunk.full] += chunk.weight
            if chunk.partial.size:
                bad[:, chunk.partial] += chunk.weight - chunk.partial_weight

    def __iadd__(self, other):
        self._total_weight += other._total_weight
        self._bad_weight += other._bad_weight
        self.data_sum += other.data_sum
        if self.variance_sum is not None:
            self.variance_sum += other.variance_sum
        return self

    def weighted_mean(self):
        """Return the weighted-mean image(s), their variance and their mask.

        Returns
        -------
        image : `numpy.ndarray`
            NaN where no voxel had a positive weight (one image per row of
            weights with ``nbands``).
        variance : `numpy.ndarray` or None
            The propagated variance, NaN where the image is.
        mask : `numpy.ndarray`
            True where the image is undefined.
        """
        weight_sum = self.weight_sum
        mask = ~(weight_sum > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            image = np.where(mask, np.nan, self.data_sum / weight_sum)
            variance = None
            if self.variance_sum is not None:
                variance = np.where(mask, np.nan, self.variance_sum / weight_sum**2)
        return image, variance, mask
