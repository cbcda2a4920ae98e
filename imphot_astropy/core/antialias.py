"""The anti-aliasing filter used to regrid fine images onto a coarser grid.

Array-level: these functions take arrays and the Jacobian between the two
pixel grids, and know nothing of files or WCS objects. The window is the
radial Blackman window of `~imphot_astropy.core.transfer.RegridFilter`,
evaluated at the sky frequencies along the coarse (MUSE) pixel axes.
"""

import numpy as np
import scipy.fft

from .transfer import BLACKMAN, RegridFilter

__all__ = ["antialias_filter", "antialias_filter_variance", "fast_fft_shape",
           "multiply_by_transfer", "working_dtype"]


def fast_fft_shape(shape, pad):
    """The shape of ``shape`` plus ``pad``, rounded up to fast real-FFT sizes.

    Examples
    --------
    >>> fast_fft_shape((97, 100), 3)
    (100, 108)
    """
    return tuple(scipy.fft.next_fast_len(int(n) + int(pad), real=True) for n in shape)


def multiply_by_transfer(spectrum, full_shape, jacobian, regrid_filter,
                          muse_pixel_scales, block_rows=256):
    """Multiply an rfft2 spectrum, in place, by the filter's transfer function.

    A plane wave of ``k_h`` cycles per HST pixel has ``k_m = J.T @ k_h``
    cycles per MUSE pixel (J = `hst_pixels_per_muse_pixel`), that is
    ``k_m / pixel_scale`` cycles per arcsec along the MUSE pixel axes, where
    `RegridFilter.transfer` evaluates the window. Frequencies where the
    window is zero are zeroed without evaluating it.

    Examples
    --------
    >>> import numpy as np, scipy.fft
    >>> spectrum = scipy.fft.rfft2(np.ones((8, 8)))
    >>> multiply_by_transfer(spectrum, (8, 8), np.diag([4.0, 4.0]),
    ...                      RegridFilter(BLACKMAN, 0.5), (0.2, 0.2))
    >>> round(float(spectrum[0, 0].real), 6)  # the mean is kept
    64.0
    """
    ny, nx = full_shape
    px, py = muse_pixel_scales
    kx = scipy.fft.rfftfreq(nx)
    ky = scipy.fft.fftfreq(ny)
    jt = np.asarray(jacobian, dtype=float).T
    # |k_m| >= cutoff beyond |k_h| = cutoff * ||J.T^-1||: the window is 0 there.
    kmax = regrid_filter.cutoff * np.linalg.norm(np.linalg.inv(jt), 2)
    spectrum[:, kx > kmax] = 0
    columns = np.flatnonzero(kx <= kmax)
    kx = kx[columns]
    for start in range(0, ny, block_rows):
        stop = min(start + block_rows, ny)
        kyb = ky[start:stop, np.newaxis]
        rows = np.abs(kyb[:, 0]) <= kmax
        if not rows.any():
            spectrum[start:stop] = 0
            continue
        kmx = jt[0, 0] * kx + jt[0, 1] * kyb
        kmy = jt[1, 0] * kx + jt[1, 1] * kyb
        window = regrid_filter.transfer(kmx / px, kmy / py, px, py)
        spectrum[start:stop, columns] *= window.astype(spectrum.real.dtype)
        spectrum[start:stop][~rows] = 0


def working_dtype(dtype):
    """The float type the filter works in for data of ``dtype``.

    Examples
    --------
    >>> working_dtype(np.int16), working_dtype(np.float64)
    (dtype('float32'), dtype('float64'))
    """
    return np.result_type(dtype, np.float32)


def antialias_filter(image, jacobian, cutoff=0.5, muse_pixel_scales=(0.2, 0.2), pad=0):
    """Low-pass filter an image at its own resolution with the regridding window.

    The radial Blackman window ``0.42 + 0.5 cos(pi r) + 0.08 cos(2 pi r)``,
    ``r = |k| / cutoff`` with ``k`` the spatial frequency in cycles per
    MUSE pixel along the MUSE pixel axes, is applied to the FFT of
    ``image``: the transfer function `RegridFilter.transfer` that the image
    fitter assumes.

    Parameters
    ----------
    image : `numpy.ndarray`
        A 2D image on the fine (HST) grid, without NaNs. Beyond its edges it
        is taken to be zero (then periodic): subtract the sky level first
        and keep a margin around the area of interest.
    jacobian : array_like, shape (2, 2)
        `hst_pixels_per_muse_pixel` between the image's grid and the MUSE
        grid.
    cutoff : float
        The cut-off frequency in cycles per MUSE pixel (0.5 = Nyquist).
    muse_pixel_scales : (float, float)
        The MUSE pixel sizes along x and y (arcsec).
    pad : int
        Zero padding added beyond each far edge before the FFT (then rounded
        up to a fast FFT size).

    Returns
    -------
    filtered : `numpy.ndarray`
        The filtered image, of ``image``'s shape, float32 or float64.

    Examples
    --------
    A point source 4x finer than the MUSE grid keeps its flux and is
    widened to the window's ~2.3 MUSE pixels FWHM:

    >>> import numpy as np
    >>> point = np.zeros((64, 64)); point[32, 32] = 1.0
    >>> out = antialias_filter(point, np.diag([4.0, 4.0]))
    >>> round(float(out.sum()), 6), bool(out[32, 32] < 0.1)
    (1.0, True)
    """
    dtype = working_dtype(image.dtype)
    shape = fast_fft_shape(image.shape, pad)
    spectrum = scipy.fft.rfft2(np.asarray(image, dtype=dtype), s=shape)
    multiply_by_transfer(spectrum, shape, jacobian, RegridFilter(BLACKMAN, cutoff),
                          muse_pixel_scales)
    filtered = scipy.fft.irfft2(spectrum, s=shape, overwrite_x=True)
    return filtered[:image.shape[0], :image.shape[1]]


def _squared_kernel_spectrum(shape, jacobian, cutoff, muse_pixel_scales, dtype):
    """The rfft2 of the square of the filter's impulse response."""
    delta = np.zeros(shape, dtype=dtype)
    delta[0, 0] = 1.0
    spectrum = scipy.fft.rfft2(delta)
    multiply_by_transfer(spectrum, shape, jacobian, RegridFilter(BLACKMAN, cutoff),
                          muse_pixel_scales)
    kernel = scipy.fft.irfft2(spectrum, s=shape)
    return scipy.fft.rfft2(kernel * kernel)


def antialias_filter_variance(variance, jacobian, cutoff=0.5,
                              muse_pixel_scales=(0.2, 0.2), pad=0):
    """The variance of `antialias_filter`'s output for independent pixels.

    Each filtered pixel is ``sum_q k(p - q) x(q)``, so its variance is
    ``sum_q k(p - q)**2 var(q)``: the variance map convolved with the
    square of the filter's impulse response ``k``.

    Parameters
    ----------
    variance : `numpy.ndarray`
        The variance of each pixel (no NaNs).
    jacobian, cutoff, muse_pixel_scales, pad
        As for `antialias_filter`.

    Returns
    -------
    variance : `numpy.ndarray`

    Examples
    --------
    For white noise 4x finer than MUSE, the filtered variance is about 0.09
    (the window's ``integral of W**2`` per MUSE pixel area) / 16:

    >>> import numpy as np
    >>> out = antialias_filter_variance(np.ones((64, 64)), np.diag([4.0, 4.0]))
    >>> round(float(out[10, 10]) * 16, 3)
    0.091
    """
    dtype = working_dtype(variance.dtype)
    shape = fast_fft_shape(variance.shape, pad)
    spectrum = scipy.fft.rfft2(np.asarray(variance, dtype=dtype), s=shape)
    spectrum *= _squared_kernel_spectrum(shape, jacobian, cutoff, muse_pixel_scales, dtype)
    filtered = scipy.fft.irfft2(spectrum, s=shape, overwrite_x=True)
    return filtered[:variance.shape[0], :variance.shape[1]]
