"""Synthetic HST/MUSE image pairs with known PSF, calibration and pointing.

The pair is rendered independently of the fitter's Fourier model: the sky
(exponential-disk galaxies and point-like stars) is sampled on sub-pixels of
the MUSE grid, convolved with Moffat kernels sampled by
`astropy.modeling.models.Moffat2D`, and

- the MUSE image integrates the shifted, MUSE-PSF-convolved sky over each
  0.2" pixel (sums of sub-pixels), then is scaled, offset and given noise;
- the HST image is the HST-PSF-convolved sky, filtered by the radial
  Blackman anti-aliasing window that MPDAF's regridding applies, and point
  sampled at the MUSE pixel centres (flux conserving), as an HST image
  regridded by MPDAF would be. Its header records that filter.
"""

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.modeling.models import Moffat2D
from astropy.nddata import CCDData, VarianceUncertainty
from astropy.wcs import WCS

from ..core.moffat import moffat_alpha
from ..core.psf import EllipticalMoffat
from ..core.transfer import (blackman_window, REGRID_FILTER_KEYWORD,
                             REGRID_CUTOFF_KEYWORD, BLACKMAN)
from ..io.units import MUSE_FLUX_UNIT

__all__ = ["SyntheticSource", "random_sky", "muse_wcs", "sample_galaxies",
           "make_synthetic_pair", "render_sky_fft", "hst_on_muse_grid"]

#: The flux unit of the synthetic images.
SYNTHETIC_UNIT = u.Unit(1e-20 * MUSE_FLUX_UNIT)


class SyntheticSource:
    """A source of the synthetic sky.

    Parameters
    ----------
    x, y : float
        Position in MUSE pixel coordinates (0-based) in the HST image.
    flux : float
        Total flux (HST units).
    scale_length : float
        Exponential scale length in arcsec; 0 for a point source (star).
    axis_ratio : float
        Minor/major axis ratio of a galaxy.
    angle : float
        Position angle of the major axis (radians from the x axis).

    Examples
    --------
    >>> SyntheticSource(10.0, 12.5, 300.0)
    SyntheticSource(star at x=10.00, y=12.50, flux=300)
    >>> SyntheticSource(10.0, 12.5, 300.0, scale_length=0.3).is_star
    False
    """

    def __init__(self, x, y, flux, scale_length=0.0, axis_ratio=1.0, angle=0.0):
        self.x, self.y, self.flux = float(x), float(y), float(flux)
        self.scale_length = float(scale_length)
        self.axis_ratio = float(axis_ratio)
        self.angle = float(angle)

    @property
    def is_star(self):
        return self.scale_length == 0.0

    def __repr__(self):
        kind = "star" if self.is_star else f"galaxy(h={self.scale_length:.2f}\")"
        return f"SyntheticSource({kind} at x={self.x:.2f}, y={self.y:.2f}, flux={self.flux:.3g})"


def random_sky(shape, n_galaxies=40, n_stars=3, edge=12, seed=0, star_flux=(200, 600)):
    """A random field of galaxies and stars away from the image edges.

    Examples
    --------
    >>> sky = random_sky((60, 60), n_galaxies=4, n_stars=1, seed=2)
    >>> len(sky), sum(s.is_star for s in sky)
    (5, 1)
    """
    rng = np.random.default_rng(seed)
    ny, nx = shape
    sources = []
    for _ in range(n_galaxies):
        sources.append(SyntheticSource(
            rng.uniform(edge, nx - 1 - edge), rng.uniform(edge, ny - 1 - edge),
            flux=10 ** rng.uniform(1.0, 2.5), scale_length=rng.uniform(0.1, 0.6),
            axis_ratio=rng.uniform(0.3, 1.0), angle=rng.uniform(0, np.pi)))
    for _ in range(n_stars):
        sources.append(SyntheticSource(
            rng.uniform(edge, nx - 1 - edge), rng.uniform(edge, ny - 1 - edge),
            flux=rng.uniform(*star_flux)))
    return sources


def muse_wcs(shape, pixel_scale=0.2, rotation=0.0, ra=338.23, dec=-60.56):
    """A TAN WCS for a MUSE-like grid, rotated by ``rotation`` degrees.

    Examples
    --------
    >>> w = muse_wcs((100, 100), rotation=30)
    >>> w.wcs.ctype[0]
    'RA---TAN'
    """
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.cunit = ["deg", "deg"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(shape[1] + 1) / 2.0, (shape[0] + 1) / 2.0]
    theta = np.deg2rad(rotation)
    step = pixel_scale / 3600.0
    # East to the left (-x) when rotation is 0, as on the sky.
    wcs.wcs.cd = step * np.array([[-np.cos(theta), np.sin(theta)],
                                  [np.sin(theta), np.cos(theta)]])
    return wcs


def _fine_index(position, oversample, pad):
    """The (fractional) sub-pixel index of a MUSE pixel coordinate."""
    return (position + 0.5 + pad) * oversample - 0.5


def sample_galaxies(sources, x, y, pixel_scale=0.2):
    """The galaxies of ``sources``, sampled at points given in MUSE pixels.

    Each exponential disk is normalised so that its samples sum to its flux;
    stars are left out (they are added as exact points elsewhere).

    Parameters
    ----------
    sources : list of `SyntheticSource`
        The sky.
    x, y : `numpy.ndarray`
        The sample points, in MUSE pixel coordinates (any common shape).
    pixel_scale : float
        The MUSE pixel size (arcsec).

    Returns
    -------
    sky : `numpy.ndarray`
        The summed samples, of the shape of ``x``.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:20, 0:20] / 2.0
    >>> sky = sample_galaxies([SyntheticSource(5, 5, 10.0, scale_length=0.3)], xx, yy)
    >>> round(float(sky.sum()), 6)
    10.0
    """
    sky = np.zeros(np.shape(x))
    for source in sources:
        if source.is_star:
            continue
        u_ = (x - source.x) * pixel_scale
        v_ = (y - source.y) * pixel_scale
        c, s = np.cos(source.angle), np.sin(source.angle)
        major = c * u_ + s * v_
        minor = (-s * u_ + c * v_) / source.axis_ratio
        profile = np.exp(-np.hypot(major, minor) / source.scale_length)
        sky += source.flux * profile / profile.sum()
    return sky


def _render_galaxies(sources, fine_shape, oversample, pad, pixel_scale):
    """Sample the galaxies' unit-sum profiles on the padded sub-pixel grid."""
    yy, xx = np.mgrid[0:fine_shape[0], 0:fine_shape[1]]
    return sample_galaxies(sources, (xx + 0.5) / oversample - 0.5 - pad,
                           (yy + 0.5) / oversample - 0.5 - pad, pixel_scale)


def _moffat_kernel_fft(fine_shape, sub, fwhm, beta, e=0.0, theta=0.0):
    """The FFT of a unit-sum Moffat kernel sampled on the sub-pixel grid
    (elliptical if ``e`` > 0, see `~imphot_astropy.core.psf.EllipticalMoffat`)."""
    ny, nx = fine_shape
    y = np.fft.fftfreq(ny, 1.0 / ny) * sub
    x = np.fft.fftfreq(nx, 1.0 / nx) * sub
    xx, yy = np.meshgrid(x, y)
    if e:
        kernel = EllipticalMoffat().image(xx, yy, fwhm, beta, e, theta)
    else:
        kernel = Moffat2D(1.0, 0.0, 0.0, moffat_alpha(fwhm, beta), beta)(xx, yy)
    return np.fft.rfft2(kernel / kernel.sum())


def _convolve_and_shift(sky_fft, fine_shape, kernel_fft, shift_x, shift_y, sub):
    """Convolve by a kernel and shift by (shift_x, shift_y) arcsec."""
    ny, nx = fine_shape
    fx = np.fft.rfftfreq(nx, sub)
    fy = np.fft.fftfreq(ny, sub)
    phase = np.exp(-2j * np.pi * (fx[None, :] * shift_x + fy[:, None] * shift_y))
    return np.fft.irfft2(sky_fft * kernel_fft * phase, s=fine_shape)


def render_sky_fft(sources, shape, oversample, pad, pixel_scale):
    """The FFT of the sky on the padded sub-pixel grid.

    Stars are added as exact point sources (phase ramps), so that they sit
    at their true sub-pixel positions. The synthetic images and exposure
    cubes convolve this one FFT with each PSF, so that HST and MUSE see the
    same sky.

    Parameters
    ----------
    sources : list of `SyntheticSource`
        Positions in MUSE pixels of the unpadded grid.
    shape : tuple of int
        The MUSE image's (ny, nx).
    oversample : int
        Sub-pixels per MUSE pixel along each axis.
    pad : int
        MUSE pixels added on each side (room for the PSF wings).
    pixel_scale : float
        Arcsec per MUSE pixel.

    Returns
    -------
    sky_fft : `numpy.ndarray`
        The real-input FFT (`numpy.fft.rfft2`) of the sub-pixel sky.
    fine_shape : tuple of int
        The shape of the padded sub-pixel grid.
    sub : float
        Arcsec per sub-pixel.

    Examples
    --------
    >>> star = SyntheticSource(10.0, 10.0, 100.0)
    >>> fft, fine_shape, sub = render_sky_fft([star], (20, 20), 3, 4, 0.2)
    >>> fine_shape, round(sub, 4)
    ((84, 84), 0.0667)
    >>> round(float(fft[0, 0].real), 6)  # the zero frequency is the total flux
    100.0
    """
    ny, nx = shape
    fine_shape = ((ny + 2 * pad) * oversample, (nx + 2 * pad) * oversample)
    sub = pixel_scale / oversample
    sky_fft = np.fft.rfft2(_render_galaxies(sources, fine_shape, oversample, pad,
                                            pixel_scale))
    fx = np.fft.rfftfreq(fine_shape[1], sub)
    fy = np.fft.fftfreq(fine_shape[0], sub)
    for source in sources:
        if source.is_star:
            x = _fine_index(source.x, oversample, pad) * sub
            y = _fine_index(source.y, oversample, pad) * sub
            sky_fft += source.flux * np.exp(-2j * np.pi * (fx[None, :] * x
                                                           + fy[:, None] * y))
    return sky_fft, fine_shape, sub


def hst_on_muse_grid(sky_fft, fine_shape, sub, oversample, crop, hst_fwhm, hst_beta):
    """The HST-PSF-convolved sky, anti-alias filtered, sampled at MUSE pixels.

    A Blackman window cut at the MUSE Nyquist frequency stands for the
    anti-alias filter of ``regrid_hst_to_muse``, so the synthetic HST image
    looks like a real HST image resampled to the MUSE grid.

    Parameters
    ----------
    sky_fft, fine_shape, sub
        As returned by `render_sky_fft`.
    oversample : int
        Odd number of sub-pixels per MUSE pixel (the central one is sampled).
    crop : tuple of slice
        The sub-pixel region of the unpadded image.
    hst_fwhm, hst_beta : float
        The HST Moffat PSF (FWHM in arcsec).

    Returns
    -------
    image : `numpy.ndarray`
        Flux per MUSE pixel, of shape ``crop``'s extent / ``oversample``.

    Examples
    --------
    >>> fft, fine_shape, sub = render_sky_fft([SyntheticSource(10.0, 10.0, 100.0)],
    ...                                       (20, 20), 3, 4, 0.2)
    >>> crop = (slice(12, 72), slice(12, 72))
    >>> hst = hst_on_muse_grid(fft, fine_shape, sub, 3, crop, 0.085, 1.6)
    >>> hst.shape, round(float(hst.sum()))
    ((20, 20), 100)
    """
    fy = np.fft.fftfreq(fine_shape[0], 1.0 / oversample)
    fx = np.fft.rfftfreq(fine_shape[1], 1.0 / oversample)
    # Frequencies in cycles per MUSE pixel; the window cuts at 0.5 (Nyquist).
    window = blackman_window(np.hypot(fx[None, :], fy[:, None]) / 0.5)
    hst_fine = _convolve_and_shift(sky_fft * window, fine_shape,
                                   _moffat_kernel_fft(fine_shape, sub, hst_fwhm, hst_beta),
                                   0.0, 0.0, sub)[crop]
    centre = oversample // 2
    return hst_fine[centre::oversample, centre::oversample] * oversample**2


def make_synthetic_pair(shape=(150, 150), fwhm=0.65, beta=2.5, scale=1.2, bg=0.05,
                        dx=0.06, dy=-0.04, noise=0.02, hst_fwhm=0.085, hst_beta=1.6,
                        rotation=0.0, pixel_scale=0.2, oversample=5, sources=None,
                        seed=0, hst_noise=0.0, e=0.0, theta=0.0):
    """Render a synthetic HST image on the MUSE grid and a MUSE image.

    Parameters
    ----------
    shape : tuple
        The (ny, nx) MUSE image shape.
    fwhm, beta : float
        The MUSE Moffat PSF (FWHM in arcsec).
    scale, bg : float
        MUSE = scale * HST + bg.
    dx, dy : float
        How far (arcsec, along the pixel axes) MUSE features lie from HST ones.
    noise : float
        The standard deviation of the Gaussian noise of the MUSE image.
    hst_fwhm, hst_beta : float
        The HST Moffat PSF.
    rotation : float
        Rotation of the MUSE grid on the sky (degrees).
    pixel_scale : float
        The MUSE pixel size (arcsec).
    oversample : int
        Sub-pixels per MUSE pixel along each axis (odd, so that a MUSE pixel
        centre is a sub-pixel centre).
    sources : list of `SyntheticSource`, optional
        The sky; by default `random_sky` with ``seed``.
    seed : int
        Seed of the sky (if random) and of the noise.
    hst_noise : float
        Standard deviation of noise added to the HST image.
    e, theta : float
        An elliptical MUSE PSF: its ellipticity (1 - minor/major) and the
        position angle of its major axis (degrees from +x toward +y);
        ``fwhm`` is then along the major axis
        (`~imphot_astropy.core.psf.EllipticalMoffat`).

    Returns
    -------
    hst, muse : `~astropy.nddata.CCDData`
        The HST image (no noise unless asked) and the MUSE image (with its
        variance as uncertainty).
    truth : dict
        The parameters used, plus ``sources`` and, for each star, its
        ``(ra, dec)`` in the HST image in ``star_radec``.

    Examples
    --------
    >>> hst, muse, truth = make_synthetic_pair(shape=(40, 40), oversample=3,
    ...     sources=[SyntheticSource(20, 20, 100.0)], noise=0.0, bg=0.0)
    >>> round(float(muse.data.sum() / hst.data.sum()), 2)
    1.2
    """
    if oversample % 2 != 1:
        raise ValueError("oversample must be odd")
    if sources is None:
        sources = random_sky(shape, seed=seed)
    pad = 16
    sky_fft, fine_shape, sub = render_sky_fft(sources, shape, oversample, pad, pixel_scale)
    ny, nx = shape
    crop = (slice(pad * oversample, (pad + ny) * oversample),
            slice(pad * oversample, (pad + nx) * oversample))

    muse_fine = _convolve_and_shift(sky_fft, fine_shape,
                                    _moffat_kernel_fft(fine_shape, sub, fwhm, beta, e, theta),
                                    dx, dy, sub)[crop]
    muse = muse_fine.reshape(ny, oversample, nx, oversample).sum(axis=(1, 3))
    rng = np.random.default_rng(seed + 1)
    muse = scale * muse + bg + rng.normal(0.0, noise, size=shape) if noise > 0 else scale * muse + bg

    hst = hst_on_muse_grid(sky_fft, fine_shape, sub, oversample, crop, hst_fwhm, hst_beta)
    if hst_noise > 0:
        hst = hst + np.random.default_rng(seed + 2).normal(0.0, hst_noise, size=shape)

    wcs = muse_wcs(shape, pixel_scale, rotation)
    hst_header = fits.Header()
    hst_header[REGRID_FILTER_KEYWORD] = (BLACKMAN, "anti-aliasing filter of the regridding")
    hst_header[REGRID_CUTOFF_KEYWORD] = (0.5, "filter cut-off, cycles per pixel")
    hst_image = CCDData(hst, unit=SYNTHETIC_UNIT, wcs=wcs, meta=hst_header)
    variance = np.full(shape, max(noise, 1e-12) ** 2)
    muse_image = CCDData(muse, unit=SYNTHETIC_UNIT, wcs=wcs.deepcopy(),
                         uncertainty=VarianceUncertainty(variance))
    stars = [s for s in sources if s.is_star]
    star_radec = [tuple(float(v) for v in wcs.pixel_to_world_values(s.x, s.y)) for s in stars]
    truth = dict(fwhm=fwhm, beta=beta, e=e, theta=theta, scale=scale, bg=bg, dx=dx, dy=dy, noise=noise,
                 hst_fwhm=hst_fwhm, hst_beta=hst_beta, rotation=rotation,
                 sources=sources, star_radec=star_radec)
    return hst_image, muse_image, truth
