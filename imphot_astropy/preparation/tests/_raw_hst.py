"""Raw synthetic HST images at their native pixel size, for regridding tests.

A test helper, not part of the package: it renders the same sky as
`imphot_astropy.datasets.make_synthetic_pair` (sources placed in MUSE pixel
coordinates) on a fine, north-up HST grid, so that the regridder can be
checked end to end against images whose truth is known.
"""

import numpy as np
from astropy.modeling.models import Moffat2D
from astropy.wcs.utils import pixel_to_pixel

from imphot_astropy.core.moffat import moffat_alpha
from imphot_astropy.datasets.synthetic import muse_wcs, sample_galaxies


def hst_wcs(shape, pixel_scale, ra, dec, rotation=0.0):
    """A TAN WCS centred on (ra, dec), rotated by ``rotation`` degrees."""
    return muse_wcs(shape, pixel_scale, rotation, ra, dec)


def render_raw_hst(sources, muse_wcs, muse_shape, shape, pixel_scale=0.03, rotation=0.0,
                   hst_fwhm=0.085, hst_beta=1.6, muse_pixel=0.2):
    """The sky of ``sources`` seen by HST on a fine grid, and that grid's WCS.

    Galaxies are sampled on the fine grid in the MUSE frame (so their shapes
    and orientations are those of the MUSE rendering) and normalised to
    their fluxes; stars are exact points (phase ramps); the whole is
    convolved with a sampled, unit-sum Moffat HST PSF.
    """
    ny, nx = shape
    centre = muse_wcs.pixel_to_world_values((muse_shape[1] - 1) / 2.0,
                                            (muse_shape[0] - 1) / 2.0)
    wcs = hst_wcs(shape, pixel_scale, float(centre[0]), float(centre[1]), rotation)
    yy, xx = np.mgrid[0:ny, 0:nx]
    mx, my = pixel_to_pixel(wcs, muse_wcs, xx.ravel().astype(float),
                            yy.ravel().astype(float))
    mx = mx.reshape(shape)
    my = my.reshape(shape)
    sky = sample_galaxies(sources, mx, my, muse_pixel)
    spectrum = np.fft.rfft2(sky)
    fx = np.fft.rfftfreq(nx)
    fy = np.fft.fftfreq(ny)
    for source in sources:
        if source.is_star:
            hx, hy = pixel_to_pixel(muse_wcs, wcs, source.x, source.y)
            spectrum += source.flux * np.exp(-2j * np.pi * (fx[None, :] * float(hx)
                                                            + fy[:, None] * float(hy)))
    ky = np.fft.fftfreq(ny, 1.0 / ny)
    kx = np.fft.fftfreq(nx, 1.0 / nx)
    kxx, kyy = np.meshgrid(kx, ky)
    fwhm_pixels = hst_fwhm / pixel_scale
    kernel = Moffat2D(1.0, 0.0, 0.0, moffat_alpha(fwhm_pixels, hst_beta), hst_beta)(kxx, kyy)
    spectrum *= np.fft.rfft2(kernel / kernel.sum())
    return np.fft.irfft2(spectrum, s=shape), wcs
