"""The model of a MUSE image made from an HST image, built in the Fourier plane.

On the MUSE pixel grid, with s the sky, p_m the MUSE PSF, b the 0.2" pixel
response of MUSE, p_h the HST PSF and a the anti-aliasing filter used to
regrid the HST image:

    MUSE = g (s * p_m * b) shifted by (dx, dy) + bg
    HST  = s * p_h * a

so ``MUSE * a * p_h`` and ``g (HST * p_m * b) shifted + bg`` are the same
image (p_h and a have unit volume). The two images are transformed once;
convolution by the trial Moffat p_m and by b is then a product with their
analytic transforms and the shift a phase ramp, so a trial costs no forward
FFT, only one inverse FFT of the model.

The comparison is made in the pixel plane, inside a tapered window w that
is zero where either image is masked. Multiplying the images by w *before*
convolving them (as the MPDAF-based tool did, to stay in the Fourier plane)
does not commute with the convolution: sources cut by a mask edge then
bias the fitted scale, PSF and offsets by several percent. Windowing the
convolved images avoids that, at the cost of that one inverse FFT.
"""

import numpy as np
from scipy import fft as sp_fft
from astropy.modeling import Fittable1DModel, Parameter

from .moffat import (moffat_fourier_transform, moffat_fourier_derivatives,
                     RadialTable, MIN_BETA)
from .transfer import pixel_transfer_function

__all__ = ["FourierPlaneProblem", "FourierImageModel", "MAX_BETA"]

#: Above this, a Moffat profile is indistinguishable from a Gaussian for
#: these fits; bounding beta keeps the fit away from numerical overflow.
MAX_BETA = 100.0


class FourierPlaneProblem:
    """The fixed inputs of one fit, computed once.

    Parameters
    ----------
    muse : `numpy.ndarray`
        The MUSE image minus ``median``, zero where masked, zero padded.
    hst : `numpy.ndarray`
        The HST image on the same padded grid, zero where it has no data.
    window : `numpy.ndarray`
        The tapered comparison window (0 where either image is masked).
    pixel_x, pixel_y : float
        The pixel sizes along x and y (arcsec).
    regrid_transfer : callable
        ``f(fx, fy, pixel_x, pixel_y)``: the response of the filter used to
        regrid the HST image. Frequencies where it is zero carry no signal
        and are not modelled.
    hst_fwhm, hst_beta : float
        The Moffat model of the HST PSF.
    median : float
        The value subtracted from the MUSE image.
    xshift, yshift : float
        A shift (arcsec) already applied to the HST image (whole pixels).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> im = rng.normal(size=(32, 32))
    >>> from imphot_astropy.core.transfer import RegridFilter
    >>> p = FourierPlaneProblem(im, im, np.ones_like(im), 0.2, 0.2,
    ...                         RegridFilter().transfer, 0.085, 1.6)
    >>> p.data.shape == p.index.shape
    True
    """

    def __init__(self, muse, hst, window, pixel_x, pixel_y, regrid_transfer,
                 hst_fwhm, hst_beta, median=0.0, xshift=0.0, yshift=0.0):
        self.shape = muse.shape
        self.pixel_x, self.pixel_y = pixel_x, pixel_y
        ny, nx = muse.shape
        fx2d, fy2d = np.meshgrid(sp_fft.rfftfreq(nx, d=pixel_x),
                                 sp_fft.fftfreq(ny, d=pixel_y))
        transfer = regrid_transfer(fx2d, fy2d, pixel_x, pixel_y)
        self.selection = transfer > 0
        # Flat indices scatter and gather much faster than a boolean mask.
        self._flat_selection = np.flatnonzero(self.selection)
        self.fx = fx2d[self.selection]
        self.fy = fy2d[self.selection]
        # The 1D frequencies, for shift phases as outer products (below).
        self._fx_axis = sp_fft.rfftfreq(nx, d=pixel_x)
        self._fy_axis = sp_fft.fftfreq(ny, d=pixel_y)
        self.radial = RadialTable(np.hypot(self.fx, self.fy))
        hst_psf = self.radial.evaluate(
            lambda q: moffat_fourier_transform(q, hst_fwhm, hst_beta))
        # The filter applied to the MUSE image (its noise covariance
        # follows from it, see core.covariance).
        self.muse_filter = transfer[self.selection] * hst_psf
        muse_fft = np.zeros(transfer.shape, dtype=complex)
        muse_fft[self.selection] = (sp_fft.rfft2(muse)[self.selection]
                                    * transfer[self.selection] * hst_psf)
        self.inside = window > 0
        # Flat indices gather ~7x faster than a boolean mask, on every trial.
        self._flat_inside = np.flatnonzero(self.inside)
        self.window = window.ravel()[self._flat_inside]
        self.data = self.windowed(sp_fft.irfft2(muse_fft, s=self.shape))
        self.hst = (sp_fft.rfft2(hst)[self.selection]
                    * pixel_transfer_function(self.fx, self.fy, pixel_x, pixel_y))
        self.median = median
        self.xshift = xshift
        self.yshift = yshift

    @property
    def index(self):
        """The model's input: the index of each compared pixel."""
        return np.arange(self.data.size, dtype=float)

    def to_image(self, transforms):
        """Inverse-transform values at the modelled frequencies to images.

        Parameters
        ----------
        transforms : `numpy.ndarray`
            Complex values at the selected frequencies, shape ``(n,)`` or
            ``(k, n)`` for k transforms at once.

        Returns
        -------
        images : `numpy.ndarray`
            The padded images, shape ``self.shape`` or ``(k,) + self.shape``.
        """
        transforms = np.asarray(transforms)
        if transforms.ndim > 1:
            # One by one: measured 2-3x faster than a stacked irfft2 of the
            # Jacobian's columns with scipy's pocketfft on these sizes.
            images = np.empty(transforms.shape[:-1] + self.shape)
            for k in np.ndindex(transforms.shape[:-1]):
                images[k] = self.to_image(transforms[k])
            return images
        full = np.zeros(self.selection.size, dtype=complex)
        full[self._flat_selection] = transforms
        return sp_fft.irfft2(full.reshape(self.selection.shape), s=self.shape)

    def shift_phase(self, dx, dy):
        """``exp(-2 pi i (fx dx + fy dy))`` at the modelled frequencies.

        ``dx``, ``dy`` in arcsec, less the shift already applied to the HST
        image. The phase factorises along the axes: two short exponentials
        and their outer product replace a complex exponential per frequency.
        """
        ex = np.exp(-2j * np.pi * self._fx_axis * (dx - self.xshift))
        ey = np.exp(-2j * np.pi * self._fy_axis * (dy - self.yshift))
        return np.take(np.multiply.outer(ey, ex).ravel(), self._flat_selection)

    def at_compared(self, images):
        """The values of padded images at the compared pixels."""
        flat = images.reshape(images.shape[:-2] + (-1,))
        return np.take(flat, self._flat_inside, axis=-1)

    def windowed(self, images):
        """The compared pixels of padded images, times the window."""
        return self.window * self.at_compared(images)

    def _psf(self, fwhm, beta):
        return self.radial.evaluate(lambda q: moffat_fourier_transform(q, fwhm, beta))

    def linear_fit(self, fwhm, beta, dx, dy):
        """Linear least-squares scale and bg for a given PSF and shift.

        The model is linear in scale and bg, so for a first guess of the
        PSF and shift they follow from a 2x2 system of normal equations.

        Returns
        -------
        scale, bg : float
            (1 and ``median`` if the system is singular.)
        cost : float
            The sum of squared windowed residuals with them.
        """
        phase = self.shift_phase(dx, dy)
        convolved = self.windowed(self.to_image(self.hst * self._psf(fwhm, beta) * phase))
        columns = np.stack([convolved, self.window])
        try:
            scale, offset = np.linalg.solve(columns @ columns.T, columns @ self.data)
        except np.linalg.LinAlgError:
            return 1.0, self.median, float(np.sum(self.data ** 2))
        cost = np.sum((self.data - scale * convolved - offset * self.window) ** 2)
        return float(scale), float(offset + self.median), float(cost)

    def initial_scale_and_background(self, fwhm, beta, dx, dy):
        """The scale and bg of `linear_fit` (without its cost)."""
        scale, bg, _ = self.linear_fit(fwhm, beta, dx, dy)
        return scale, bg

    def correlation_offset(self, fwhm, beta, max_pixels):
        """The offsets (dx, dy) in arcsec at the peak of a cross-correlation.

        The compared MUSE pixels (windowed) are cross-correlated with the
        HST image convolved by a trial PSF, over shifts up to
        ``max_pixels`` whole pixels; the peak is refined to a fraction of a
        pixel by a parabola through it and its neighbours along each axis.
        A coarse start for the fit: it costs two FFTs, where starting a
        pixel or more away costs the fitter several iterations and a refit
        after moving the masks (see `~imphot_astropy.fitting.image_fit`).
        """
        ny, nx = self.shape
        compared = np.zeros(ny * nx)
        compared[self._flat_inside] = self.data
        spectrum = sp_fft.rfft2(compared.reshape(self.shape))
        full = np.zeros(spectrum.shape, dtype=complex)
        full[self.selection] = np.conj(self.hst * self._psf(fwhm, beta))
        # The correlation at shift t of the HST model is at index t.
        correlation = sp_fft.irfft2(spectrum * full, s=self.shape)
        my = min(int(max_pixels), (ny - 3) // 2)
        mx = min(int(max_pixels), (nx - 3) // 2)
        rows = np.arange(-my, my + 1) % ny
        cols = np.arange(-mx, mx + 1) % nx
        local = correlation[np.ix_(rows, cols)]
        iy, ix = np.unravel_index(np.argmax(local), local.shape)
        sy = iy - my + _parabola_peak(correlation[(rows[iy] + np.arange(-1, 2)) % ny,
                                                  cols[ix]])
        sx = ix - mx + _parabola_peak(correlation[rows[iy],
                                                  (cols[ix] + np.arange(-1, 2)) % nx])
        return self.xshift + sx * self.pixel_x, self.yshift + sy * self.pixel_y


def _parabola_peak(values):
    """The offset (within +/- 0.5) of the vertex of a parabola through three
    values at -1, 0, +1 whose middle one is the largest."""
    below, middle, above = values
    curvature = below - 2.0 * middle + above
    if curvature >= 0:
        return 0.0
    return float(np.clip(0.5 * (below - above) / curvature, -0.5, 0.5))


class FourierImageModel(Fittable1DModel):
    """The HST image made to look like the MUSE image, at the compared pixels.

    The input is the index of each compared pixel (`FourierPlaneProblem.index`);
    the output is the windowed model there. Parameters are those of the
    reference tool: ``scale`` (MUSE/HST), ``bg`` (MUSE - HST offset),
    ``dx``, ``dy`` (arcsec, MUSE - HST along the pixel axes), and the Moffat
    ``fwhm`` (arcsec) and ``beta`` of the MUSE PSF. The Jacobian is analytic
    (in the Fourier plane) except for the beta derivative of the Moffat
    transform, a central difference.

    Parameters
    ----------
    problem : `FourierPlaneProblem`
        The transformed images and the window.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> im = rng.normal(size=(32, 32))
    >>> from imphot_astropy.core.transfer import RegridFilter
    >>> p = FourierPlaneProblem(im, im, np.ones_like(im), 0.2, 0.2,
    ...                         RegridFilter().transfer, 0.085, 1.6)
    >>> m = FourierImageModel(p, scale=2.0, fwhm=0.6, beta=2.5)
    >>> m(p.index).shape == p.data.shape
    True
    """

    n_inputs = 1
    n_outputs = 1
    col_fit_deriv = True

    scale = Parameter(default=1.0, description="MUSE/HST flux scale")
    bg = Parameter(default=0.0, description="MUSE-HST flux offset")
    dx = Parameter(default=0.0, description="x offset, MUSE-HST (arcsec)")
    dy = Parameter(default=0.0, description="y offset, MUSE-HST (arcsec)")
    fwhm = Parameter(default=0.7, min=0.01, description="Moffat FWHM (arcsec)")
    beta = Parameter(default=2.5, min=MIN_BETA, max=MAX_BETA,
                     description="Moffat exponent")

    def __init__(self, problem, **kwargs):
        self.problem = problem
        self._psf_key = self._psf = None
        self._image_key = self._images = None
        super().__init__(**kwargs)

    def _psf_terms(self, fwhm, beta):
        if (fwhm, beta) != self._psf_key:
            radial = self.problem.radial
            table = moffat_fourier_derivatives(radial.nodes, fwhm, beta)
            self._psf = tuple(radial.interpolate(t) for t in table)
            self._psf_key = (fwhm, beta)
        return self._psf

    def _shifted_hst(self, dx, dy):
        return self.problem.hst * self.problem.shift_phase(dx, dy)

    def _convolved(self, dx, dy, fwhm, beta):
        """The windowed HST image convolved by the trial PSF and shifted."""
        key = (dx, dy, fwhm, beta)
        if key != self._image_key:
            psf, _, _ = self._psf_terms(fwhm, beta)
            self._images = self.problem.windowed(
                self.problem.to_image(psf * self._shifted_hst(dx, dy)))
            self._image_key = key
        return self._images

    @staticmethod
    def _scalars(*values):
        return [float(np.ravel(v)[0]) for v in values]

    def _select(self, index, values):
        index = np.ravel(index)
        if index.size == values.shape[-1]:
            return values
        return values[..., np.asarray(index, dtype=np.intp)]

    def model_image(self, scale, bg, dx, dy, fwhm, beta):
        """The padded model image (not windowed) for given parameters."""
        psf, _, _ = self._psf_terms(fwhm, beta)
        image = self.problem.to_image(scale * psf * self._shifted_hst(dx, dy))
        return image + (bg - self.problem.median)

    def evaluate(self, index, scale, bg, dx, dy, fwhm, beta):
        scale, bg, dx, dy, fwhm, beta = self._scalars(scale, bg, dx, dy, fwhm, beta)
        values = (scale * self._convolved(dx, dy, fwhm, beta)
                  + (bg - self.problem.median) * self.problem.window)
        return self._select(index, values).reshape(np.shape(index))

    def fit_deriv(self, index, scale, bg, dx, dy, fwhm, beta):
        scale, bg, dx, dy, fwhm, beta = self._scalars(scale, bg, dx, dy, fwhm, beta)
        p = self.problem
        psf, d_fwhm, d_beta = self._psf_terms(fwhm, beta)
        shifted = self._shifted_hst(dx, dy)
        convolved = psf * shifted
        transforms = np.stack([-2j * np.pi * p.fx * scale * convolved,
                               -2j * np.pi * p.fy * scale * convolved,
                               scale * d_fwhm * shifted,
                               scale * d_beta * shifted])
        derivatives = p.windowed(p.to_image(transforms))
        columns = np.empty((6, p.data.size))
        columns[0] = self._convolved(dx, dy, fwhm, beta)
        columns[1] = p.window
        columns[2:] = derivatives
        return self._select(index, columns)
