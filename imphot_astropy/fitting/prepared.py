"""The arrays of one image fit: cropped, shifted, padded, with their window.

Shared by the image fit (`~imphot_astropy.fitting.measure_image_photometry`)
and the survey's joint fit, which builds the same problems band by band.
"""

import numpy as np
from scipy import fft as sp_fft
from scipy import ndimage

from ..exceptions import UserError
from ..io import read_mask
from ..core.masks import taper_weights, bounding_slices, segmentation_mask
from ..core.fourier_model import FourierPlaneProblem
from ..core.transfer import (regrid_filter_from_header, REGRID_FILTER_KEYWORD,
                              REGRID_CUTOFF_KEYWORD)
from ..masking import fit_regions, regions_mask, means_none

__all__ = ["FitInputs", "PreparedPair", "shift_by_pixels", "padded_shape",
           "near_missing_hst"]


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
    shift : (int, int), optional
        The whole-pixel shift (px, py) by which ``hst`` was moved (the
        ``shift`` attribute; default no shift).

    Examples
    --------
    >>> image = np.ones((20, 20))
    >>> bad = np.zeros((20, 20), dtype=bool)
    >>> pair = PreparedPair(image, bad, image, bad, bad, None, (2, 2), 3.0, True)
    >>> pair.muse.shape, int(pair.good.sum())   # 2 pixels from the edges left out
    ((24, 24), 256)
    """

    def __init__(self, muse, muse_bad, hst, hst_bad, excluded, muse_variance,
                 margin_pixels, taper, guard, shift=(0, 0)):
        self.shift = tuple(shift)
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


class FitInputs:
    """The one builder of image-fit problems, for the image fit and every survey band.

    From the read images and the checked options it makes, once, the masks
    (MUSE bad pixels and ``extramask``; HST bad pixels; pixels excluded by
    ``regions``, ``star`` and ``segment``, placed on the HST image, whose
    coordinates we trust, so that they move with it), and checks that
    something is left; `problem` then builds the prepared arrays and the
    Fourier-plane problem with the HST image moved by whole pixels.

    Parameters
    ----------
    hst_image, muse_image : `~imphot_astropy.io.ImageData`
        The HST image on the MUSE grid and the MUSE image.
    options : `~imphot_astropy.fitting.options.ImageFitOptions`
        The checked options (``extramask``, ``regions``, ``star``,
        ``segment``, ``margin``, ``taper``, ``hst_fwhm``, ``hst_beta``).
    regrid : object, optional
        The regridding filter (default: the one the HST header names).

    Raises
    ------
    UserError
        If every pixel of an image is masked (or excluded), or a mask or
        region file cannot be read.

    Examples
    --------
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> from imphot_astropy.io import read_image
    >>> from imphot_astropy.fitting.options import ImageFitOptions
    >>> hst, muse, _ = make_synthetic_pair(shape=(40, 40), seed=3)
    >>> inputs = FitInputs(read_image(hst, "hst"), read_image(muse, "muse"),
    ...                    ImageFitOptions.from_keywords())
    >>> prepared, problem = inputs.problem(0, 0)
    >>> prepared.shift, problem.data.size > 0
    ((0, 0), True)
    """

    def __init__(self, hst_image, muse_image, options, regrid=None):
        self.muse_image, self.options = muse_image, options
        if regrid is None:
            regrid = regrid_filter_from_header(
                hst_image.keywords(REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD),
                hst_image.name)
        self.regrid = regrid
        self.muse_bad = muse_image.mask.copy()
        if not means_none(options.extramask):
            self.muse_bad |= read_mask(options.extramask, muse_image)
        self.hst_bad = hst_image.mask
        self.hst_data = np.where(self.hst_bad, 0.0, hst_image.data)
        excluded = np.zeros(self.hst_bad.shape, dtype=bool)
        region_list = fit_regions(options.regions, options.star)
        # Where the caller chose the pixels to fit (include regions, a star),
        # they are all compared, even next to the edge of the HST coverage.
        self.restricted = any(region.meta.get("include", True) for region in region_list)
        if region_list:
            excluded |= regions_mask(region_list, hst_image.wcs, hst_image.shape)
        if options.segment:
            excluded |= segmentation_mask(self.hst_data, self.hst_bad | excluded)
        self.excluded = excluded
        if self.muse_bad.all():
            raise UserError(f"muse: every pixel of {muse_image.name} is masked or NaN")
        if (self.hst_bad | excluded).all():
            raise UserError(f"hst: every pixel of {hst_image.name} is masked, NaN or "
                            "outside the regions")
        self.margin_pixels = options.margin_pixels(muse_image.pixel_scales)

    def problem(self, px, py, excluded=None):
        """The prepared arrays and Fourier-plane problem, HST moved by (px, py) pixels.

        Parameters
        ----------
        px, py : int
            Whole pixels along x and y.
        excluded : `numpy.ndarray` of bool, optional
            Pixels of the HST image to exclude instead of the options' (the
            robust refit adds sources to them).

        Returns
        -------
        prepared : `PreparedPair`
            With ``shift = (px, py)``.
        problem : `~imphot_astropy.core.fourier_model.FourierPlaneProblem`
        """
        excluded = self.excluded if excluded is None else excluded
        muse, options = self.muse_image, self.options
        pixel_x, pixel_y = muse.pixel_scales
        shifted, shifted_bad, shifted_excluded = shift_by_pixels(
            self.hst_data, self.hst_bad, excluded, px, py)
        if (self.muse_bad | shifted_bad | shifted_excluded).all():
            raise UserError("muse/hst: the images have no unmasked pixels in common")
        prepared = PreparedPair(muse.data, self.muse_bad, shifted, shifted_bad,
                                shifted_excluded, muse.variance, self.margin_pixels,
                                options.taper, guard=not self.restricted, shift=(px, py))
        problem = FourierPlaneProblem(
            prepared.muse, prepared.hst, prepared.window, pixel_x, pixel_y,
            self.regrid.transfer, options.hst_fwhm, options.hst_beta,
            median=prepared.median, xshift=px * pixel_x, yshift=py * pixel_y)
        if problem.data.size == 0 or not np.any(np.abs(problem.hst) > 0):
            raise UserError("hst: the HST image is zero wherever the MUSE image is "
                            "unmasked")
        return prepared, problem
