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

import threading

import numpy as np
from scipy import fft as sp_fft
from astropy.modeling import Fittable1DModel, Parameter

from .moffat import RadialTable, MIN_BETA
from .psf import CircularMoffat, EllipticalMoffat
from .transfer import pixel_transfer_function

__all__ = ["FourierPlaneProblem", "FourierModel", "FourierImageModel",
           "EllipticalFourierImageModel", "MAX_BETA"]

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
        The circular Moffat model of the HST PSF
        (`~imphot_astropy.core.psf.CircularMoffat`).
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
        self._radial_tables = {self.radial.nodes.size: self.radial}
        hst_psf = self.psf_transform(CircularMoffat(self.radial.nodes.size),
                                     hst_fwhm, hst_beta)
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
        self._buffers = {}

    @property
    def index(self):
        """The model's input: the index of each compared pixel."""
        return np.arange(self.data.size, dtype=float)

    def radial_table(self, nodes):
        """The `RadialTable` of the modelled frequencies with ``nodes`` nodes (made once)."""
        nodes = int(nodes)
        if nodes not in self._radial_tables:
            self._radial_tables[nodes] = RadialTable(np.hypot(self.fx, self.fy), nodes=nodes)
        return self._radial_tables[nodes]

    def psf_transform(self, psf, *params):
        """The transform of a PSF object (`~imphot_astropy.core.psf`) at the
        modelled frequencies."""
        return psf.fourier_terms(self, *params)[0]

    def to_image(self, transforms, workers=None):
        """Inverse-transform values at the modelled frequencies to images.

        Parameters
        ----------
        transforms : `numpy.ndarray`
            Complex values at the selected frequencies, shape ``(n,)`` or
            ``(k, n)`` for k transforms at once.
        workers : int, optional
            For k transforms: one stacked inverse FFT shared by this many
            threads, instead of one transform after another.

        Returns
        -------
        images : `numpy.ndarray`
            The padded images, shape ``self.shape`` or ``(k,) + self.shape``.
        """
        transforms = np.asarray(transforms)
        if transforms.ndim > 1 and workers is not None:
            full = np.zeros(transforms.shape[:-1] + (self.selection.size,), dtype=complex)
            full[..., self._flat_selection] = transforms
            full = full.reshape(transforms.shape[:-1] + self.selection.shape)
            return sp_fft.irfft2(full, s=self.shape, axes=(-2, -1), workers=workers)
        if transforms.ndim > 1:
            # One by one: measured 2-3x faster than a stacked irfft2 of the
            # Jacobian's columns with scipy's pocketfft on these sizes.
            images = np.empty(transforms.shape[:-1] + self.shape)
            for k in np.ndindex(transforms.shape[:-1]):
                images[k] = self.to_image(transforms[k])
            return images
        full = self._spectrum_buffer()
        full[self._flat_selection] = transforms
        return sp_fft.irfft2(full.reshape(self.selection.shape), s=self.shape)

    def _spectrum_buffer(self):
        """A half-plane spectrum, zero outside the modelled frequencies, of this thread.

        Made once per thread and reused: only the modelled frequencies are
        ever written, so the others stay zero. Allocating and zeroing a new
        one for each of the ~25 inverse transforms of a fit cost 0.1 ms each.
        """
        thread = threading.get_ident()
        buffer = self._buffers.get(thread)
        if buffer is None:
            buffer = self._buffers[thread] = np.zeros(self.selection.size, dtype=complex)
        return buffer

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

    def linear_fit(self, psf, dx, dy):
        """Linear least-squares scale and bg for a given PSF and shift.

        The model is linear in scale and bg, so for a first guess of the
        PSF and shift they follow from a 2x2 system of normal equations.

        Parameters
        ----------
        psf : `numpy.ndarray`
            The PSF's transform at the modelled frequencies (`psf_transform`).
        dx, dy : float
            The offsets (arcsec).

        Returns
        -------
        scale, bg : float
            (1 and ``median`` if the system is singular.)
        cost : float
            The sum of squared windowed residuals with them.
        """
        phase = self.shift_phase(dx, dy)
        convolved = self.windowed(self.to_image(self.hst * psf * phase))
        columns = np.stack([convolved, self.window])
        try:
            scale, offset = np.linalg.solve(columns @ columns.T, columns @ self.data)
        except np.linalg.LinAlgError:
            return 1.0, self.median, float(np.sum(self.data ** 2))
        cost = np.sum((self.data - scale * convolved - offset * self.window) ** 2)
        return float(scale), float(offset + self.median), float(cost)

    def initial_scale_and_background(self, psf, dx, dy):
        """The scale and bg of `linear_fit` (without its cost)."""
        scale, bg, _ = self.linear_fit(psf, dx, dy)
        return scale, bg

    def correlation_offset(self, psf, max_pixels):
        """The offsets (dx, dy) in arcsec at the peak of a cross-correlation.

        The compared MUSE pixels (windowed) are cross-correlated with the
        HST image convolved by a trial PSF (its transform ``psf`` at the
        modelled frequencies, see `psf_transform`), over shifts up to
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
        full[self.selection] = np.conj(self.hst * psf)
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


# The order of the derivative requests of a PSF object (see FourierModel.psf_terms).
_DERIVATIVE_LEVELS = {False: 0, True: 1, "all": 2}


class FourierModel:
    """The windowed model of the MUSE image, for one problem and one PSF object.

    ``scale * (HST * PSF shifted by (dx, dy)) + bg``, windowed at the
    compared pixels, and its derivatives: by scale and bg (the convolved
    image and the window), by the offsets (the phase ramp's factors
    ``-2 pi i f``) and by the PSF's own parameters (the PSF object's
    derivative transforms). The one path of the image fit
    (`FourierImageModel`) and of each band of the survey's joint fit
    (`~imphot_astropy.survey.bands.BandProblem`), whatever their PSF.

    Parameters
    ----------
    problem : `FourierPlaneProblem`
        The transformed images and the window.
    psf : object
        A PSF object (`~imphot_astropy.core.psf`): its
        ``fourier_terms(problem, *params, derivatives=...)``.
    eager_derivatives : bool
        Compute the PSF's derivatives with its transform at each new
        point: the image fit asks for the Jacobian at most points it
        evaluates, and the Moffat's derivatives share its Bessel functions.
    fft_workers : int, optional
        Threads of one stacked inverse FFT of the Jacobian's columns (None:
        one column after another, see `FourierPlaneProblem.to_image`).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> im = rng.normal(size=(32, 32))
    >>> from imphot_astropy.core.transfer import RegridFilter
    >>> p = FourierPlaneProblem(im, im, np.ones_like(im), 0.2, 0.2,
    ...                         RegridFilter().transfer, 0.085, 1.6)
    >>> model = FourierModel(p, CircularMoffat())
    >>> model.evaluate(2.0, 0.0, 0.0, 0.0, (0.6, 2.5)).shape == p.data.shape
    True
    >>> model.jacobian(2.0, 0.0, 0.0, (0.6, 2.5)).shape[0]    # dx, dy, fwhm, beta
    4
    """

    def __init__(self, problem, psf, eager_derivatives=False, fft_workers=None):
        self.problem = problem
        self.psf = psf
        self.eager_derivatives = eager_derivatives
        self.fft_workers = fft_workers
        self._psf_cache = (None, -1, None)
        self._state = {}

    def psf_terms(self, params, derivatives=False):
        """The PSF's transform (and derivatives) at the modelled frequencies.

        The latest point is kept, with the most derivatives asked there.
        """
        params = tuple(params)
        if self.eager_derivatives:
            derivatives = derivatives or True
        level = _DERIVATIVE_LEVELS[derivatives]
        key, cached_level, terms = self._psf_cache
        if key != params or cached_level < level:
            terms = self.psf.fourier_terms(self.problem, *params, derivatives=derivatives)
            self._psf_cache = (params, level, terms)
        return terms

    def state(self, dx, dy, params):
        """The shifted HST transform, its convolution and the windowed image.

        The latest point is kept: fitters ask for the Jacobian where they
        have just evaluated the residual.
        """
        key = (dx, dy, tuple(params))
        if self._state.get("key") != key:
            p = self.problem
            psf = self.psf_terms(params)[0]
            shifted = p.hst * p.shift_phase(dx, dy)
            convolved = psf * shifted
            image = p.windowed(p.to_image(convolved))
            self._state = dict(key=key, shifted=shifted, convolved=convolved, image=image)
        return self._state

    def evaluate(self, scale, bg, dx, dy, params):
        """The windowed model at the compared pixels."""
        p = self.problem
        return scale * self.state(dx, dy, params)["image"] + (bg - p.median) * p.window

    def jacobian(self, scale, dx, dy, params, derivatives=True, out=None):
        """The derivatives by dx, dy and the PSF's parameters, windowed.

        (Those by scale and bg are ``state(...)["image"]`` and the window.)

        Parameters
        ----------
        scale, dx, dy : float
            The flux scale and the offsets (arcsec).
        params : tuple
            The PSF's parameters.
        derivatives : bool or str
            Passed to the PSF object (``"all"``: for a PSF that leaves some
            out by default, such as the survey's fixed beta).
        out : `numpy.ndarray`, optional
            Where to write the columns (shape ``(2 + k, n)``), instead of a
            new array.

        Returns
        -------
        columns : `numpy.ndarray`
            Shape ``(2 + k, n)``: d/ddx, d/ddy, then one row per PSF
            derivative.
        """
        p = self.problem
        state = self.state(dx, dy, params)
        terms = self.psf_terms(params, derivatives)
        transforms = self._column_transforms(scale, state, terms)
        if self.fft_workers is not None:
            stacked = np.stack(list(transforms))
            columns = p.windowed(p.to_image(stacked, workers=self.fft_workers))
            if out is None:
                return columns
            out[:] = columns
            return out
        # One column at a time, each transform made just before its inverse
        # FFT (stacking them first copied 2.6 MB per Jacobian of a 300 x 300
        # image: 3 ms of a 150 ms fit).
        columns = np.empty((1 + len(terms), p.data.size)) if out is None else out
        for column, transform in zip(columns, transforms):
            column[:] = p.windowed(p.to_image(transform))
        return columns

    def _column_transforms(self, scale, state, terms):
        """The transform of each Jacobian column (dx, dy, the PSF's), one at a time."""
        p = self.problem
        convolved, shifted = state["convolved"], state["shifted"]
        yield -2j * np.pi * p.fx * scale * convolved
        yield -2j * np.pi * p.fy * scale * convolved
        for term in terms[1:]:
            yield scale * term * shifted

    def model_image(self, scale, bg, dx, dy, params):
        """The padded model image (not windowed)."""
        p = self.problem
        psf = self.psf_terms(params)[0]
        image = p.to_image(scale * psf * (p.hst * p.shift_phase(dx, dy)))
        return image + (bg - p.median)


class FourierImageModel(Fittable1DModel):
    """The HST image made to look like the MUSE image, at the compared pixels.

    The input is the index of each compared pixel (`FourierPlaneProblem.index`);
    the output is the windowed model there (`FourierModel` with a circular
    Moffat PSF). Parameters are those of the reference tool: ``scale``
    (MUSE/HST), ``bg`` (MUSE - HST offset), ``dx``, ``dy`` (arcsec, MUSE -
    HST along the pixel axes), and the Moffat ``fwhm`` (arcsec) and ``beta``
    of the MUSE PSF. The Jacobian is analytic (in the Fourier plane) except
    for the beta derivative of the Moffat transform, a central difference.

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

    #: The PSF object of the model (its parameters follow dx and dy).
    psf_class = CircularMoffat

    def __init__(self, problem, **kwargs):
        self.problem = problem
        self.fourier = FourierModel(problem, self.psf_class(), eager_derivatives=True)
        super().__init__(**kwargs)

    @staticmethod
    def _scalars(*values):
        return [float(np.ravel(v)[0]) for v in values]

    def _select(self, index, values):
        index = np.ravel(index)
        if index.size == values.shape[-1]:
            return values
        return values[..., np.asarray(index, dtype=np.intp)]

    def model_image(self, scale, bg, dx, dy, *psf):
        """The padded model image (not windowed) for given parameters."""
        return self.fourier.model_image(scale, bg, dx, dy, tuple(psf))

    def evaluate(self, index, scale, bg, dx, dy, *psf):
        scale, bg, dx, dy, *psf = self._scalars(scale, bg, dx, dy, *psf)
        values = self.fourier.evaluate(scale, bg, dx, dy, tuple(psf))
        return self._select(index, values).reshape(np.shape(index))

    def fit_deriv(self, index, scale, bg, dx, dy, *psf):
        scale, bg, dx, dy, *psf = self._scalars(scale, bg, dx, dy, *psf)
        psf = tuple(psf)
        p = self.problem
        columns = np.empty((4 + len(psf), p.data.size))
        columns[0] = self.fourier.state(dx, dy, psf)["image"]
        columns[1] = p.window
        self.fourier.jacobian(scale, dx, dy, psf, out=columns[2:])
        return self._select(index, columns)


class EllipticalFourierImageModel(FourierImageModel):
    """`FourierImageModel` with an elliptical Moffat PSF (`~imphot_astropy.core.psf.EllipticalMoffat`).

    Two more parameters: the ellipticity ``e`` (1 - minor/major) and the
    position angle ``theta`` of the major axis (degrees from +x toward
    +y); ``fwhm`` is the FWHM along the major axis.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> im = rng.normal(size=(32, 32))
    >>> from imphot_astropy.core.transfer import RegridFilter
    >>> p = FourierPlaneProblem(im, im, np.ones_like(im), 0.2, 0.2,
    ...                         RegridFilter().transfer, 0.085, 1.6)
    >>> m = EllipticalFourierImageModel(p, fwhm=0.6, beta=2.5, e=0.1, theta=30.0)
    >>> m.param_names[-2:], m.fit_deriv(p.index, *m.parameters).shape[0]
    (('e', 'theta'), 8)
    """

    e = Parameter(default=0.1, min=0.0, max=0.9, description="ellipticity, 1 - minor/major")
    theta = Parameter(default=0.0, description="position angle of the major axis "
                                               "(degrees from +x toward +y)")
    psf_class = EllipticalMoffat

    def __init__(self, problem, **kwargs):
        # Defined again: astropy's model metaclass would otherwise make one
        # that passes the new parameters twice.
        super().__init__(problem, **kwargs)
