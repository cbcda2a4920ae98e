"""Bilinear sampling of HST arrays at the MUSE pixel centres, mapping reused.

`reproject.reproject_interp` (bilinear) recomputes the world coordinates of
every output pixel, and then checks them by the reverse transform, at each
call: for a 320 x 320 MUSE grid that is four WCS transforms of 10^5 points,
0.2 s, and the regridding needs it for the data, the masked weight and the
variance of every band, whose HST images (drizzled onto one grid) usually
share a WCS. Here the mapping from MUSE pixels to HST pixels is computed
once per (HST WCS, MUSE WCS, MUSE shape), exactly as reproject computes it
(``pixel_to_pixel``, then the round trip, pixels off by more than one pixel
on the way back set to NaN), kept in a small cache, and every array is
sampled from it as reproject samples: ``scipy.ndimage.map_coordinates``
with ``order=1``, ``mode="constant"``, ``cval=NaN``, coordinates in the
outer half of the edge pixels moved onto the edge pixel's centre, and NaN
beyond. The results are those of ``reproject_interp(..., order="bilinear")``
to the last bit (a test compares them); hand-written only because reproject
takes no precomputed mapping.
"""

import threading
import warnings
from collections import OrderedDict

import numpy as np
import scipy.ndimage
from astropy.wcs.utils import pixel_to_pixel

__all__ = ["muse_pixels_in_hst", "sample_bilinear"]

#: The most memory (bytes) that older (HST WCS, MUSE WCS, shape) mappings
#: may hold; the latest is always kept. A mapping costs 16 bytes per MUSE
#: pixel: 1.6 MB for an exposure's 320 x 320 grid, so the bands of a few
#: fields fit.
CACHE_BYTES = 32 * 2**20

_cache = OrderedDict()
_cache_lock = threading.Lock()


def _wcs_key(wcs):
    """A text that identifies the transform, or None if it cannot be trusted to."""
    # Lookup-table distortions are not in the header text; SIP is (relax).
    if any(getattr(wcs, name, None) is not None
           for name in ("cpdis1", "cpdis2", "det2im1", "det2im2")):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return wcs.to_header_string(relax=True)


def _compute(hst_wcs, muse_wcs, shape):
    ny, nx = shape
    ys, xs = np.meshgrid(np.arange(ny, dtype=float), np.arange(nx, dtype=float),
                         indexing="ij")
    xs, ys = xs.ravel(), ys.ravel()
    hx, hy = pixel_to_pixel(muse_wcs, hst_wcs, xs, ys)
    back_x, back_y = pixel_to_pixel(hst_wcs, muse_wcs, hx, hy)
    lost = (np.abs(back_x - xs) > 1) | (np.abs(back_y - ys) > 1)
    coordinates = np.array([hy, hx], dtype=float)
    coordinates[:, lost] = np.nan
    coordinates.flags.writeable = False
    return coordinates


def muse_pixels_in_hst(hst_wcs, muse_wcs, shape):
    """The HST pixel coordinates of the centres of a MUSE grid's pixels.

    Computed as `reproject.reproject_interp` computes them (with its
    round-trip check), and cached (the latest grids, up to `CACHE_BYTES`).

    Parameters
    ----------
    hst_wcs, muse_wcs : `~astropy.wcs.WCS`
        The celestial WCS of the HST image and of the MUSE grid.
    shape : (int, int)
        The (ny, nx) shape of the MUSE grid.

    Returns
    -------
    coordinates : `numpy.ndarray`, shape (2, ny * nx), read-only
        The (y, x) HST pixel coordinates of each MUSE pixel centre, in
        C order; NaN where the transform does not go back to that pixel.

    Examples
    --------
    >>> from astropy.wcs import WCS
    >>> def grid(scale):
    ...     w = WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    ...     w.wcs.crval = [10, -30]; w.wcs.cdelt = [-scale / 3600, scale / 3600]
    ...     return w
    >>> muse_pixels_in_hst(grid(0.05), grid(0.2), (2, 3)).round(6) + 0.0
    array([[ 3.,  3.,  3.,  7.,  7.,  7.],
           [ 3.,  7., 11.,  3.,  7., 11.]])
    """
    shape = (int(shape[0]), int(shape[1]))
    hst_key, muse_key = _wcs_key(hst_wcs), _wcs_key(muse_wcs)
    key = None if hst_key is None or muse_key is None else (hst_key, muse_key, shape)
    if key is not None:
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
    coordinates = _compute(hst_wcs, muse_wcs, shape)
    if key is not None:
        with _cache_lock:
            _cache[key] = coordinates
            while len(_cache) > 1 and sum(c.nbytes for c in _cache.values()) > CACHE_BYTES:
                _cache.popitem(last=False)
    return coordinates


def sample_bilinear(array, coordinates, shape, offset=(0, 0)):
    """Sample a 2D array bilinearly at given pixel coordinates, as reproject does.

    Parameters
    ----------
    array : `numpy.ndarray`
        The 2D array (float32 or float64).
    coordinates : `numpy.ndarray`, shape (2, n)
        (y, x) pixel coordinates (`muse_pixels_in_hst`).
    shape : tuple
        The output shape (its size is ``n``).
    offset : (int, int)
        The (y, x) position of ``array[0, 0]`` in those coordinates (a
        cut-out's corner).

    Returns
    -------
    values : `numpy.ndarray` of float64
        NaN where the coordinates are NaN or more than half a pixel beyond
        the array's edge pixels' centres.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.arange(6.0).reshape(2, 3)
    >>> sample_bilinear(a, np.array([[0.5, 0.0, -0.4, 2.0], [1.0, 2.3, 0.0, 0.0]]), (4,))
    array([2.5, 2. , 0. , nan])
    """
    coords = np.array(coordinates, dtype=float)
    coords[0] -= offset[0]
    coords[1] -= offset[1]
    for axis, size in enumerate(array.shape):
        c = coords[axis]
        c[(c < 0) & (c >= -0.5)] = 0
        c[(c < size - 0.5) & (c >= size - 1)] = size - 1
    if array.dtype.kind != "f" or array.dtype.itemsize < 4 or not array.dtype.isnative:
        array = array.astype(np.float32)
    values = np.empty(coords.shape[1])
    scipy.ndimage.map_coordinates(array, coords, output=values, order=1, mode="constant",
                                  cval=np.nan)
    outside = np.zeros(coords.shape[1], dtype=bool)
    for axis, size in enumerate(array.shape):
        outside |= (coords[axis] < -0.5) | (coords[axis] > size - 0.5)
    values[outside] = np.nan
    return values.reshape(shape)
