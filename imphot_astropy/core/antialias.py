"""The anti-aliasing filter used to regrid fine images onto a coarser grid.

Array-level: these functions take arrays and the Jacobian between the two
pixel grids, and know nothing of files or WCS objects. The window is the
radial Blackman window of `~imphot_astropy.core.transfer.RegridFilter`,
evaluated at the sky frequencies along the coarse (MUSE) pixel axes.

The window is zero beyond ``kmax = cutoff * ||J.T^-1||`` cycles per fine
pixel along each axis (0.15 for 0.06" HST pixels and 0.2" MUSE pixels), so
`AntialiasLowpass` does the 2D FFTs one axis at a time and skips the
columns of the half spectrum beyond ``kmax`` in the second axis's
transforms: about 35% fewer operations than full 2D FFTs, for the same
result to the float precision of the transforms. scipy.fft has no pruned
transform, hence the axes done by hand.
"""

import numpy as np
import scipy.fft

from .transfer import BLACKMAN, RegridFilter

__all__ = ["AntialiasLowpass", "antialias_filter", "antialias_filter_variance",
           "fast_fft_shape", "multiply_by_transfer", "working_dtype"]


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


class AntialiasLowpass:
    """The regridding window on one FFT grid, for any number of arrays.

    The window (and, for variances, the spectrum of the square of its
    impulse response) is evaluated once and applied to each array given:
    the data, the masked-weight map and the variance of one cut-out.

    Parameters
    ----------
    shape : (int, int)
        The FFT grid (`fast_fft_shape`); arrays are zero padded to it.
    jacobian : array_like, shape (2, 2)
        `~imphot_astropy.preparation.hst_pixels_per_muse_pixel` between the
        arrays' grid and the MUSE grid.
    cutoff : float
        The cut-off frequency in cycles per MUSE pixel (0.5 = Nyquist).
    muse_pixel_scales : (float, float)
        The MUSE pixel sizes along x and y (arcsec).

    Examples
    --------
    >>> import numpy as np
    >>> lowpass = AntialiasLowpass((64, 64), np.diag([4.0, 4.0]))
    >>> point = np.zeros((64, 64)); point[32, 32] = 1.0
    >>> out = lowpass.filter(point)
    >>> round(float(out.sum()), 6), round(float(lowpass.filter_variance(point).sum()), 4)
    (1.0, 0.0057)
    """

    def __init__(self, shape, jacobian, cutoff=0.5, muse_pixel_scales=(0.2, 0.2)):
        self.shape = (int(shape[0]), int(shape[1]))
        self.jacobian = np.asarray(jacobian, dtype=float)
        self.regrid_filter = RegridFilter(BLACKMAN, cutoff)
        self.muse_pixel_scales = tuple(float(s) for s in muse_pixel_scales)
        # |k_m| >= cutoff beyond |k_h| = cutoff * ||J.T^-1||: the window is 0 there.
        self.kmax = cutoff * np.linalg.norm(np.linalg.inv(self.jacobian.T), 2)
        self._windows = {}
        self._kernel2 = None

    def _band(self, kmax):
        """The leading columns and the rows of the half spectrum within kmax."""
        ny, nx = self.shape
        ncol = int(np.count_nonzero(scipy.fft.rfftfreq(nx) <= kmax))
        rows = np.flatnonzero(np.abs(scipy.fft.fftfreq(ny)) <= kmax)
        return ncol, rows

    def _window(self, dtype):
        if dtype not in self._windows:
            ncol, rows = self._band(self.kmax)
            ny, nx = self.shape
            px, py = self.muse_pixel_scales
            kx = scipy.fft.rfftfreq(nx)[:ncol]
            ky = scipy.fft.fftfreq(ny)[rows, np.newaxis]
            jt = self.jacobian.T
            kmx = jt[0, 0] * kx + jt[0, 1] * ky
            kmy = jt[1, 0] * kx + jt[1, 1] * ky
            window = self.regrid_filter.transfer(kmx / px, kmy / py, px, py)
            self._windows[dtype] = (window.astype(dtype), ncol, rows)
        return self._windows[dtype]

    def _forward(self, array, ncol):
        """The (ny, ncol) leading columns of the rfft2 of ``array`` padded to shape."""
        ny, nx = self.shape
        half = scipy.fft.rfft(array, n=nx, axis=1)
        return scipy.fft.fft(half[:, :ncol], n=ny, axis=0)

    def _inverse(self, band, ncol, rows):
        """irfft2 of a half spectrum that is zero beyond ``ncol`` and ``rows``."""
        ny, nx = self.shape
        keep = np.zeros(ny, dtype=bool)
        keep[rows] = True
        band[~keep] = 0
        band = scipy.fft.ifft(band, axis=0, overwrite_x=True)
        half = np.zeros((ny, nx // 2 + 1), dtype=band.dtype)
        half[:, :ncol] = band
        del band
        return scipy.fft.irfft(half, n=nx, axis=1, overwrite_x=True)

    def filter(self, array):
        """The array low-pass filtered with the window, of the FFT grid's shape.

        ``array`` (at most the grid's shape, no NaNs) is zero padded to the
        grid; the result is float32 for float32 input, else float64.
        """
        array = _in_working_dtype(array)
        return self._multiply(array, *self._window(array.dtype))

    def _multiply(self, array, spectrum, ncol, rows):
        """The array's transform times ``spectrum`` on the kept band, transformed back."""
        band = self._forward(array, ncol)
        band[rows] *= spectrum
        return self._inverse(band, ncol, rows)

    def _squared_kernel(self, dtype):
        if self._kernel2 is None or self._kernel2[0].real.dtype != dtype:
            window, ncol, rows = self._window(dtype)
            band = np.zeros((self.shape[0], ncol), dtype=np.result_type(dtype, np.complex64))
            band[rows] = window
            kernel = self._inverse(band, ncol, rows)
            kernel *= kernel
            # The square's spectrum is the window's autocorrelation: zero
            # beyond twice kmax.
            ncol2, rows2 = self._band(2 * self.kmax)
            self._kernel2 = (self._forward(kernel, ncol2)[rows2], ncol2, rows2)
        return self._kernel2

    def filter_variance(self, variance):
        """The variance of `filter`'s output for independent pixels.

        Each filtered pixel is ``sum_q k(p - q) x(q)``, so its variance is
        ``sum_q k(p - q)**2 var(q)``: the variance map convolved with the
        square of the filter's impulse response ``k``.
        """
        variance = _in_working_dtype(variance)
        return self._multiply(variance, *self._squared_kernel(variance.dtype))


def _in_working_dtype(array):
    array = np.asarray(array)
    return array.astype(working_dtype(array.dtype), copy=False)


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
    lowpass = AntialiasLowpass(fast_fft_shape(image.shape, pad), jacobian, cutoff,
                               muse_pixel_scales)
    return lowpass.filter(image)[:image.shape[0], :image.shape[1]]


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
    lowpass = AntialiasLowpass(fast_fft_shape(variance.shape, pad), jacobian, cutoff,
                               muse_pixel_scales)
    return lowpass.filter_variance(variance)[:variance.shape[0], :variance.shape[1]]
