"""The arrays of one image fit: cropped, shifted, padded, with their window.

Shared by the image fit (`~imphot_astropy.fitting.measure_image_photometry`)
and the survey's joint fit, which builds the same problems band by band.
"""

import numpy as np
from scipy import fft as sp_fft
from scipy import ndimage

from ..exceptions import UserError
from ..core.masks import taper_weights, bounding_slices

__all__ = ["PreparedPair", "shift_by_pixels", "padded_shape", "near_missing_hst"]


def shift_by_pixels(data, bad, excluded, px, py):
    """Shift an image and its masks by whole pixels.

    Pixels shifted in from outside the image are marked bad.

    Parameters
    ----------
    data : `numpy.ndarray`
        The image.
    bad, excluded : `numpy.ndarray` of bool
        Its bad pixels and the pixels excluded from the fit.
    px, py : int
        The shift along x (columns) and y (rows).

    Returns
    -------
    shifted, shifted_bad, shifted_excluded : `numpy.ndarray`

    Raises
    ------
    UserError
        If the shift is as large as the image.

    Examples
    --------
    >>> data = np.arange(6.0).reshape(2, 3)
    >>> shifted, bad, _ = shift_by_pixels(data, data < 0, data < 0, 1, 0)
    >>> shifted
    array([[0., 0., 1.],
           [0., 3., 4.]])
    >>> bad[:, 0]
    array([ True,  True])
    """
    ny, nx = data.shape
    if abs(px) >= nx or abs(py) >= ny:
        raise UserError("init_dx/init_dy: the pointing offsets are larger than the image")
    src = (slice(max(0, -py), ny - max(0, py)), slice(max(0, -px), nx - max(0, px)))
    dst = (slice(max(0, py), ny - max(0, -py)), slice(max(0, px), nx - max(0, -px)))
    shifted = np.zeros_like(data)
    shifted_bad = np.ones_like(bad)
    shifted_excluded = np.zeros_like(excluded)
    shifted[dst] = data[src]
    shifted_bad[dst] = bad[src]
    shifted_excluded[dst] = excluded[src]
    return shifted, shifted_bad, shifted_excluded


def padded_shape(shape, margin_pixels):
    """Add the margin, then round up to sizes the FFT handles fast.

    Examples
    --------
    >>> padded_shape((97, 100), (10, 10))
    (108, 120)
    """
    return tuple(sp_fft.next_fast_len(int(n + m), real=True)
                 for n, m in zip(shape, margin_pixels))


def near_missing_hst(hst_bad, margin_pixels):
    """Pixels within the margin of places where the HST image has no data.

    The model there would lack the light that HST sources beyond the
    coverage (or beyond the array) spread into the MUSE image through its
    PSF, so these MUSE pixels are not compared.

    Examples
    --------
    >>> bad = np.zeros((5, 5), dtype=bool)          # beyond the array is missing too
    >>> near_missing_hst(bad, (1, 1)).astype(int)
    array([[1, 1, 1, 1, 1],
           [1, 0, 0, 0, 1],
           [1, 0, 0, 0, 1],
           [1, 0, 0, 0, 1],
           [1, 1, 1, 1, 1]])
    """
    my, mx = margin_pixels
    if my <= 0 and mx <= 0:
        return hst_bad
    known = np.pad(~hst_bad, 1, constant_values=False)
    distance = ndimage.distance_transform_edt(known, sampling=(1.0 / max(my, 1e-9),
                                                               1.0 / max(mx, 1e-9)))
    return distance[1:-1, 1:-1] <= 1.0


class PreparedPair:
    """The cropped and padded arrays and the comparison window of one fit.

    The crop keeps the pixels to compare plus ``margin`` around them, so that
    HST light just outside the compared area is convolved into it; the
    padding (zeros) keeps the periodic FFT from wrapping features around.

    Parameters
    ----------
    muse, hst : `numpy.ndarray`
        The MUSE image and the HST image (already shifted by whole pixels).
    muse_bad, hst_bad, excluded : `numpy.ndarray` of bool
        The bad pixels of each, and the pixels excluded from the fit.
    muse_variance : `numpy.ndarray` or None
        The MUSE variance.
    margin_pixels : (int, int)
        The margin (rows, columns) kept around the compared pixels.
    taper : int or float
        The taper width of the window (see
        `~imphot_astropy.core.masks.taper_weights`).
    guard : bool
        Leave out MUSE pixels within the margin of missing HST data.

    Examples
    --------
    >>> image = np.ones((20, 20))
    >>> bad = np.zeros((20, 20), dtype=bool)
    >>> pair = PreparedPair(image, bad, image, bad, bad, None, (2, 2), 3.0, True)
    >>> pair.muse.shape, int(pair.good.sum())   # 2 pixels from the edges left out
    ((24, 24), 256)
    """

    def __init__(self, muse, muse_bad, hst, hst_bad, excluded, muse_variance,
                 margin_pixels, taper, guard):
        unknown = near_missing_hst(hst_bad, margin_pixels) if guard else hst_bad
        compare = ~(muse_bad | unknown | excluded)
        if not compare.any():
            raise UserError("muse/hst: no pixel is left to compare: every unmasked "
                            "pixel lies outside the regions or within the margin of "
                            "places where the HST image has no data")
        rows, cols = bounding_slices(compare)
        ny, nx = compare.shape
        my, mx = margin_pixels
        self.crop = (slice(max(rows.start - my, 0), min(rows.stop + my, ny)),
                     slice(max(cols.start - mx, 0), min(cols.stop + mx, nx)))
        compare = compare[self.crop]
        self.median = float(np.median(muse[self.crop][compare]))
        shape = padded_shape(compare.shape, margin_pixels)
        self.sky_slice = (slice(0, compare.shape[0]), slice(0, compare.shape[1]))
        self.good = compare
        padded = np.zeros(shape, dtype=bool)
        padded[self.sky_slice] = compare
        self.window = taper_weights(~padded, taper)
        self.muse = np.zeros(shape)
        self.muse[self.sky_slice] = np.where(muse_bad[self.crop], 0.0,
                                             muse[self.crop] - self.median)
        self.hst = np.zeros(shape)
        self.hst[self.sky_slice] = np.where(hst_bad[self.crop], 0.0, hst[self.crop])
        self.variance = None
        self.noise_variance = None
        if muse_variance is not None:
            self.variance = np.zeros(shape)
            self.variance[self.sky_slice] = np.where(compare, muse_variance[self.crop], 0.0)
            # The noise of every unmasked MUSE pixel reaches the compared
            # pixels through the filter (see fitting.uncertainties).
            self.noise_variance = np.zeros(shape)
            self.noise_variance[self.sky_slice] = np.where(
                muse_bad[self.crop], 0.0, np.nan_to_num(muse_variance[self.crop]))
