"""Moffat star models as the two images of a pair actually record them.

The star fit compares a star in two images made in different ways, so each
gets a model of the image formation it went through:

- A MUSE pixel integrates the sky over its 0.2" area. A point-sampled
  Moffat fitted to such pixels comes out wider than the PSF (the pixel box
  adds roughly in quadrature), so `PixelIntegratedMoffat2D` integrates the
  Moffat over each pixel; its ``fwhm`` is then the PSF's own FWHM,
  comparable with that of the image fitter, whose Fourier model includes
  the same pixel response.
- An HST image regridded onto the MUSE grid was low-pass filtered by the
  regridding's anti-aliasing window (MPDAF's radial Blackman window), then
  point sampled. `BandLimitedMoffat2D` applies that window to a Moffat model
  of the HST PSF in the Fourier plane. The window is zero beyond the MUSE
  grid's Nyquist frequency, so the product is band-limited and an inverse
  FFT samples it exactly at the pixel centres. A plain Moffat cannot
  follow the filtered profile: on synthetic truth it is pushed to a
  Gaussian-like beta and underestimates the star's flux by 5%, which biases
  the fitted flux scale up by 6% (20% on the HDFS star, whose HST PSF has
  broader wings).

Both models are flux-normalised: ``flux`` is the star's total flux in the
image's own units (the sum of its pixel values, for a star on an infinite
noiseless image), and positions and the FWHM are in arcsec.
"""

import numpy as np
from scipy import fft as sp_fft
from astropy.modeling import Fittable2DModel, Parameter
from astropy.modeling.models import Moffat2D

from ..core.moffat import moffat_alpha, moffat_fourier_transform, MIN_BETA
from ..core.fourier_model import MAX_BETA
from ..core.psf import EllipticalMoffat

__all__ = ["PixelIntegratedMoffat2D", "PixelIntegratedEllipticalMoffat2D",
           "BandLimitedMoffat2D", "MIN_FWHM", "MAX_ELLIPTICITY", "GAUSS_LEGENDRE_NODES",
           "flux_moffat2d"]

#: The smallest FWHM (arcsec) either model accepts while fitting.
MIN_FWHM = 0.01

#: Gauss-Legendre nodes per pixel axis of the pixel integration. Against a
#: 64-node reference, 5 nodes integrate a Moffat over 0.2" pixels to better
#: than 1e-5 of the peak pixel for FWHM >= 0.25" and 1.5 <= beta <= 5
#: (2e-10 at FWHM 0.7"); 5x5 midpoint oversampling, as
#: ``discretize_model(mode="oversample")`` does, errs by 1.5e-3 at 0.7".
GAUSS_LEGENDRE_NODES = 5

#: The largest ellipticity (1 - minor/major) the elliptical star model
#: accepts while fitting (as the image fit's elliptical Moffat).
MAX_ELLIPTICITY = 0.9


def _scalar(value):
    return float(np.ravel(value)[0])


def flux_moffat2d(flux, x_0, y_0, fwhm, beta):
    """The astropy `~astropy.modeling.functional_models.Moffat2D` of a given total flux.

    Astropy's Moffat2D is ``amplitude * (1 + r**2 / gamma**2)**-alpha``: its
    ``gamma`` is the core width (called alpha in the Moffat literature and in
    `~imphot_astropy.core.moffat`) and its ``alpha`` the exponent beta. Its
    volume is ``amplitude * pi * gamma**2 / (alpha - 1)``, so the amplitude
    that gives a total flux ``flux`` is ``flux * (beta - 1) / (pi gamma**2)``.

    Parameters
    ----------
    flux : float
        The total (integrated) flux.
    x_0, y_0 : float
        The centre.
    fwhm : float
        The FWHM, in the units of x and y.
    beta : float
        The Moffat exponent (> 1).

    Returns
    -------
    model : `~astropy.modeling.functional_models.Moffat2D`

    Examples
    --------
    >>> m = flux_moffat2d(10.0, 0.0, 0.0, 0.6, 2.5)
    >>> round(float(m.fwhm), 12), float(m.alpha.value)
    (0.6, 2.5)
    >>> y, x = np.mgrid[-300:301, -300:301] * 0.01
    >>> round(float(m(x, y).sum() * 0.01**2), 2)    # nearly all of the flux
    9.96
    """
    gamma = moffat_alpha(fwhm, beta)
    amplitude = flux * (beta - 1.0) / (np.pi * gamma**2)
    return Moffat2D(amplitude=amplitude, x_0=x_0, y_0=y_0, gamma=gamma, alpha=beta)


class PixelIntegratedMoffat2D(Fittable2DModel):
    """A circular Moffat profile integrated over rectangular pixels.

    The value at (x, y) is the flux that falls within the pixel of size
    ``pixel_x`` by ``pixel_y`` centred there: ``flux`` times the integral of
    a unit-volume Moffat over the pixel, computed by Gauss-Legendre
    quadrature (see `GAUSS_LEGENDRE_NODES`). Neither astropy's
    ``discretize_model`` nor photutils integrates over an arbitrary subset
    of pixels (masked pixels are left out of the star fit), and midpoint
    oversampling converges slowly, hence this model.

    Parameters
    ----------
    pixel_x, pixel_y : float
        The pixel sizes along x and y, in the units of x and y (arcsec).
    nodes : int
        Quadrature nodes per axis.
    **kwargs
        Parameter values and constraints (``flux``, ``x_0``, ``y_0``,
        ``fwhm``, ``beta``).

    Examples
    --------
    >>> m = PixelIntegratedMoffat2D(0.2, 0.2, flux=10.0, fwhm=0.6, beta=2.5)
    >>> y, x = (np.mgrid[-10:11, -10:11] * 0.2)
    >>> round(float(m(x, y).sum()), 2)  # the flux in a 4.2" box
    9.89
    """

    flux = Parameter(default=1.0, description="total flux")
    x_0 = Parameter(default=0.0, description="x position of the centre")
    y_0 = Parameter(default=0.0, description="y position of the centre")
    fwhm = Parameter(default=0.7, min=MIN_FWHM, description="FWHM")
    beta = Parameter(default=2.5, min=MIN_BETA, max=MAX_BETA, description="Moffat exponent")

    def __init__(self, pixel_x, pixel_y, nodes=GAUSS_LEGENDRE_NODES, **kwargs):
        self.pixel_x = float(pixel_x)
        self.pixel_y = float(pixel_y)
        self._offsets, self._weights = _pixel_quadrature(nodes)
        super().__init__(**kwargs)

    def moffat2d(self):
        """The astropy Moffat2D this model integrates, at the current parameters."""
        return flux_moffat2d(*(_scalar(getattr(self, name).value)
                               for name in ("flux", "x_0", "y_0", "fwhm", "beta")))

    def evaluate(self, x, y, flux, x_0, y_0, fwhm, beta):
        # The Moffat2D of unit amplitude, evaluated at the quadrature nodes
        # of each pixel and summed with their weights, then scaled to the
        # flux (in that order, which keeps the results of the fits made
        # before this model was built on Moffat2D bit for bit).
        fwhm, beta = _scalar(fwhm), _scalar(beta)
        gamma = moffat_alpha(fwhm, beta)
        x = np.asarray(x, dtype=float) - _scalar(x_0)
        y = np.asarray(y, dtype=float) - _scalar(y_0)
        total = np.zeros(np.broadcast(x, y).shape)
        for ox, wx in zip(self._offsets * self.pixel_x, self._weights):
            for oy, wy in zip(self._offsets * self.pixel_y, self._weights):
                total += (wx * wy) * Moffat2D.evaluate(x + ox, y + oy, 1.0, 0.0, 0.0,
                                                       gamma, beta)
        area = self.pixel_x * self.pixel_y
        return _scalar(flux) * (beta - 1.0) / (np.pi * gamma**2) * area * total


def _pixel_quadrature(nodes):
    """Gauss-Legendre offsets and weights within a pixel of unit size."""
    points, weights = np.polynomial.legendre.leggauss(int(nodes))
    # Nodes on [-1, 1] mapped to offsets within a pixel of unit size.
    return points / 2.0, weights / 2.0


class PixelIntegratedEllipticalMoffat2D(PixelIntegratedMoffat2D):
    """An elliptical Moffat profile integrated over rectangular pixels.

    `PixelIntegratedMoffat2D` for the elliptical Moffat PSF
    (`~imphot_astropy.core.psf.EllipticalMoffat`, whose image it
    integrates): ``fwhm`` is the FWHM along the major axis, ``e`` the
    ellipticity (1 - minor/major) and ``theta`` the position angle of the
    major axis (degrees from +x toward +y, the pixel axes). The circular
    model keeps its own evaluation, so that circular star fits keep their
    results bit for bit.

    Parameters
    ----------
    pixel_x, pixel_y : float
        The pixel sizes along x and y (arcsec).
    nodes : int
        Quadrature nodes per axis.
    **kwargs
        Parameter values and constraints.

    Examples
    --------
    >>> m = PixelIntegratedEllipticalMoffat2D(0.2, 0.2, flux=10.0, fwhm=0.6, beta=2.5,
    ...                                       e=0.2, theta=0.0)
    >>> y, x = (np.mgrid[-10:11, -10:11] * 0.2)
    >>> round(float(m(x, y).sum()), 2)  # the flux in a 4.2" box
    9.91
    >>> bool(m(0.4, 0.0) > m(0.0, 0.4))  # longer along x
    True
    """

    e = Parameter(default=0.1, min=0.0, max=MAX_ELLIPTICITY,
                  description="ellipticity, 1 - minor/major")
    theta = Parameter(default=0.0, description="position angle of the major axis "
                                               "(degrees from +x toward +y)")

    #: The PSF whose image is integrated.
    psf = EllipticalMoffat()

    def __init__(self, pixel_x, pixel_y, nodes=GAUSS_LEGENDRE_NODES, **kwargs):
        # Defined again: astropy's model metaclass would otherwise make one
        # that passes the new parameters twice.
        super().__init__(pixel_x, pixel_y, nodes=nodes, **kwargs)

    def moffat2d(self):
        """The astropy model of the elliptical Moffat this model integrates."""
        values = {name: _scalar(getattr(self, name).value) for name in self.param_names}
        return self.psf.astropy_model(values["fwhm"], values["beta"], values["e"],
                                      values["theta"], values["x_0"], values["y_0"],
                                      values["flux"])

    def evaluate(self, x, y, flux, x_0, y_0, fwhm, beta, e, theta):
        # The PSF's unit-volume profile at the quadrature nodes of each
        # pixel, summed with their weights (as PixelIntegratedMoffat2D).
        profile = self.psf.astropy_model(*(_scalar(v) for v in (fwhm, beta, e, theta, x_0,
                                                                  y_0)))
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        total = np.zeros(np.broadcast(x, y).shape)
        for ox, wx in zip(self._offsets * self.pixel_x, self._weights):
            for oy, wy in zip(self._offsets * self.pixel_y, self._weights):
                total += (wx * wy) * profile(x + ox, y + oy)
        return _scalar(flux) * self.pixel_x * self.pixel_y * total


class BandLimitedMoffat2D(Fittable2DModel):
    """A Moffat PSF low-pass filtered by a regridding window, point sampled.

    The model of a star in an HST image regridded onto the MUSE grid: a
    Moffat PSF (``fwhm``, ``beta``) multiplied in the Fourier plane by the
    anti-aliasing window ``regrid_transfer``, then sampled at the pixel
    centres, in flux-conserving units (the pixels sum to ``flux``). It is
    computed by an inverse FFT on a ``grid_size`` square grid of the image's
    pixels around (0, 0): exact at pixel centres (x and y multiples of the
    pixel sizes), because the window cuts off below the grid's Nyquist
    frequency. Other positions are evaluated by a direct inverse Fourier
    sum, which is slower but equally exact. The grid must be wide enough
    that the wings wrapped around by the periodic FFT are negligible.

    Parameters
    ----------
    pixel_x, pixel_y : float
        The pixel sizes (arcsec).
    regrid_transfer : callable
        ``f(fx, fy, pixel_x, pixel_y)``, the response of the regridding
        filter at frequencies in cycles/arcsec (for example
        ``RegridFilter().transfer``); it must vanish at the Nyquist frequency.
    grid_size : int
        The size of the FFT grid, in pixels.
    **kwargs
        Parameter values and constraints.

    Examples
    --------
    >>> from imphot_astropy.core.transfer import RegridFilter
    >>> m = BandLimitedMoffat2D(0.2, 0.2, RegridFilter().transfer, flux=5.0,
    ...                         x_0=0.03, fwhm=0.085, beta=1.6)
    >>> y, x = (np.mgrid[-30:31, -30:31] * 0.2)
    >>> round(float(m(x, y).sum()), 3)  # the flux in a 12.2" box
    4.985
    >>> bool(np.isclose(m(0.1, 0.05), m(np.array([0.1, 0.0]), 0.05)[0]))
    True
    """

    flux = Parameter(default=1.0, description="total flux")
    x_0 = Parameter(default=0.0, description="x position of the centre")
    y_0 = Parameter(default=0.0, description="y position of the centre")
    fwhm = Parameter(default=0.085, min=MIN_FWHM, description="FWHM of the unfiltered PSF")
    beta = Parameter(default=1.6, min=MIN_BETA, max=MAX_BETA, description="Moffat exponent")

    def __init__(self, pixel_x, pixel_y, regrid_transfer, grid_size=128, **kwargs):
        self.pixel_x = float(pixel_x)
        self.pixel_y = float(pixel_y)
        self.grid_size = int(grid_size)
        n = self.grid_size
        fx, fy = np.meshgrid(sp_fft.rfftfreq(n, d=self.pixel_x),
                             sp_fft.fftfreq(n, d=self.pixel_y))
        window = regrid_transfer(fx, fy, self.pixel_x, self.pixel_y)
        self._inside = window > 0
        self._fx = fx[self._inside]
        self._fy = fy[self._inside]
        self._window = window[self._inside]
        self._radius = np.hypot(self._fx, self._fy)
        # Weights of the half-plane frequencies of a real inverse transform:
        # the columns that stand for a conjugate pair count twice.
        column = np.broadcast_to(np.arange(fx.shape[1]), fx.shape)[self._inside]
        self._pair_weight = np.where((column == 0) | (2 * column == n), 1.0, 2.0)
        self._cache_key = self._cache = None
        super().__init__(**kwargs)

    def moffat2d(self):
        """The astropy Moffat2D (the HST PSF) this model filters, at the current parameters."""
        return flux_moffat2d(*(_scalar(getattr(self, name).value)
                               for name in ("flux", "x_0", "y_0", "fwhm", "beta")))

    def _transform(self, x_0, y_0, fwhm, beta):
        # The 2D Fourier transform of the unit-volume Moffat2D of this FWHM
        # and beta (astropy.modeling has no Fourier transforms; the
        # analytic form is in core.moffat, and a test checks it against the
        # FFT of a finely sampled Moffat2D), times the regridding window.
        psf = moffat_fourier_transform(self._radius, fwhm, beta) * self._window
        return psf * np.exp(-2j * np.pi * (self._fx * x_0 + self._fy * y_0))

    def _lattice_image(self, x_0, y_0, fwhm, beta):
        key = (x_0, y_0, fwhm, beta)
        if key != self._cache_key:
            full = np.zeros(self._inside.shape, dtype=complex)
            full[self._inside] = self._transform(x_0, y_0, fwhm, beta)
            n = self.grid_size
            self._cache = sp_fft.irfft2(full, s=(n, n))
            self._cache_key = key
        return self._cache

    def _direct(self, x, y, x_0, y_0, fwhm, beta):
        transform = self._transform(x_0, y_0, fwhm, beta) * self._pair_weight
        values = np.empty(x.shape)
        flat_x, flat_y, flat_v = x.ravel(), y.ravel(), values.reshape(-1)
        for start in range(0, flat_x.size, 256):
            part = slice(start, start + 256)
            phase = np.exp(2j * np.pi * (np.outer(flat_x[part], self._fx)
                                         + np.outer(flat_y[part], self._fy)))
            flat_v[part] = (phase @ transform).real
        return values / self.grid_size**2

    def evaluate(self, x, y, flux, x_0, y_0, fwhm, beta):
        x_0, y_0, fwhm, beta = (_scalar(v) for v in (x_0, y_0, fwhm, beta))
        x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        i = np.rint(x / self.pixel_x)
        j = np.rint(y / self.pixel_y)
        on_lattice = (np.allclose(x / self.pixel_x, i, rtol=0, atol=1e-6)
                      and np.allclose(y / self.pixel_y, j, rtol=0, atol=1e-6))
        if on_lattice:
            n = self.grid_size
            image = self._lattice_image(x_0, y_0, fwhm, beta)
            values = image[j.astype(np.intp) % n, i.astype(np.intp) % n]
        else:
            values = self._direct(x, y, x_0, y_0, fwhm, beta)
        return _scalar(flux) * values
