"""Synthetic MUSE exposure cubes with a known PSF versus wavelength.

An exposure cube is the synthetic sky of `~imphot_astropy.datasets.random_sky`
(flat spectra: every plane sees the same sky), convolved plane by plane with
a Moffat whose FWHM varies linearly with wavelength, integrated over the
0.2" pixels, shifted by the exposure's pointing offset, with Gaussian noise
and its variance (STAT). The HST image of each band is the same sky
convolved with the HST PSF, filtered by the anti-aliasing window of the
regridding and sampled on the MUSE grid (like `make_synthetic_pair`),
divided by the band's flux scale, so that fitting the cube's image of that
band against it gives back that scale.

The convolution is made in the Fourier plane of a sub-pixel grid with the
analytic Moffat transform (`~imphot_astropy.core.moffat`), then the
sub-pixels are summed: a sampled kernel per plane would cost ten times more
for hundreds of planes.
"""

import os

import numpy as np
import astropy.units as u
from astropy.io import fits
from astropy.nddata import CCDData, VarianceUncertainty
from astropy.time import Time
from astropy.wcs import WCS

from ..exceptions import UserError
from ..io import format_bunit, write_fits_atomically
from ..core.moffat import moffat_fourier_transform, RadialTable
from ..core.psf import stretched_frequency
from ..core.transfer import REGRID_FILTER_KEYWORD, REGRID_CUTOFF_KEYWORD, BLACKMAN
from .synthetic import (random_sky, muse_wcs, render_sky_fft, hst_on_muse_grid,
                        SYNTHETIC_UNIT)

__all__ = ["make_exposure_cube", "write_exposure_cube", "SURVEY_FILTERS", "DEFAULT_SCALES"]

#: The HST bands that overlap the MUSE wavelength range.
SURVEY_FILTERS = ("F606W", "F775W", "F814W", "F850LP")
#: The MUSE/HST flux scale of each band when ``scales`` is not given.
DEFAULT_SCALES = {"F606W": 1.10, "F775W": 0.95, "F814W": 1.00, "F850LP": 1.05}


def _cube_wcs(celestial, wave0, step):
    """A 3D WCS: the celestial TAN grid and a linear wavelength axis."""
    wcs = WCS(naxis=3)
    wcs.wcs.ctype = list(celestial.wcs.ctype) + ["AWAV"]
    wcs.wcs.cunit = ["deg", "deg", "Angstrom"]
    wcs.wcs.crval = list(celestial.wcs.crval) + [wave0]
    wcs.wcs.crpix = list(celestial.wcs.crpix) + [1.0]
    cd = np.zeros((3, 3))
    cd[:2, :2] = celestial.wcs.cd
    cd[2, 2] = step
    wcs.wcs.cd = cd
    return wcs


def _box_transfer(n, oversample):
    """The DFT of the sum of ``oversample`` sub-pixels starting at each index."""
    k = np.fft.fftfreq(n)
    return sum(np.exp(2j * np.pi * k * t) for t in range(oversample))


def _render_planes(sky_fft, fine_shape, sub, oversample, pad, shape, fwhms, beta,
                   dx, dy, e=0.0, theta=0.0):
    """The pixel-integrated planes of the sky seen through each PSF.

    An elliptical Moffat (``e`` > 0) is the circular one's transform at the
    stretched frequency (`~imphot_astropy.core.psf.stretched_frequency`).

    Summing sub-pixels and keeping one sum per pixel is, in the Fourier
    plane, a product with the box's transfer and a folding of the spectrum
    onto the coarse grid; folding before the inverse FFT makes it about
    three times cheaper than transforming the sub-pixel grid back.
    """
    ny, nx = fine_shape
    m = oversample
    fx = np.fft.rfftfreq(nx, sub)
    fy = np.fft.fftfreq(ny, sub)
    if e:
        q = stretched_frequency(fx[None, :], fy[:, None], e, theta)[0]
    else:
        q = np.hypot(fx[None, :], fy[:, None])
    radial = RadialTable(q.ravel(), nodes=4096)
    box = _box_transfer(ny, m)[:, None] * _box_transfer(nx, m)[:nx // 2 + 1][None, :]
    shifted = sky_fft * box * np.exp(-2j * np.pi * (fx[None, :] * dx + fy[:, None] * dy))
    coarse_y = ny // m
    planes = np.empty((len(fwhms),) + tuple(shape), dtype=np.float32)
    rows = slice(pad, pad + shape[0])
    for k, fwhm in enumerate(fwhms):
        psf = radial.evaluate(lambda q: moffat_fourier_transform(q, fwhm, beta))
        spectrum = (shifted * psf.reshape(shifted.shape)).reshape(m, coarse_y, -1).sum(0) / m
        columns = np.fft.ifft(spectrum, axis=0)[rows]
        fine_rows = np.fft.irfft(columns, n=nx, axis=1)
        planes[k] = fine_rows[:, pad * m:(pad + shape[1]) * m:m]
    return planes


def make_exposure_cube(shape=(150, 150), nplanes=300, wave_range=(4750.0, 9350.0),
                       fwhm=(0.75, 0.55), beta=2.5, dx=0.06, dy=-0.04, scales=None,
                       bg=0.0, noise=0.15, filters=SURVEY_FILTERS, hst_fwhm=0.085,
                       hst_beta=1.6, oversample=3, sources=None, seed=0,
                       date_obs="2014-10-22T03:15:40.123", pixel_scale=0.2, e=0.0,
                       theta=0.0):
    """Render a synthetic exposure cube and the HST image of each band.

    Parameters
    ----------
    shape : tuple of int
        The (ny, nx) spatial shape.
    nplanes : int
        The number of wavelength planes, evenly spaced over ``wave_range``.
    wave_range : (float, float)
        The centres of the first and last planes (Angstrom).
    fwhm : (float, float)
        The Moffat FWHM (arcsec) at the first and last wavelength; it varies
        linearly in between.
    beta : float
        The Moffat beta (the same at every wavelength).
    dx, dy : float
        The pointing offset (arcsec along the pixel axes): how far MUSE
        features lie from HST ones.
    scales : dict, optional
        MUSE/HST flux scale per band (defaults: F606W 1.10, F775W 0.95,
        F814W 1.00, F850LP 1.05).
    bg : float
        A constant added to every plane (so every band image's offset).
    noise : float
        The standard deviation of the Gaussian noise of each voxel.
    filters : sequence of str
        The HST bands to make images of.
    hst_fwhm, hst_beta : float
        The HST Moffat PSF.
    oversample : int
        Sub-pixels per MUSE pixel (odd).
    sources : list of `SyntheticSource`, optional
        The sky; by default `random_sky` with ``seed``.
    seed : int
        Seed of the sky (if random) and of the noise.
    date_obs : str
        The exposure's DATE-OBS (ISO); MJD-OBS follows from it.
    pixel_scale : float
        The MUSE pixel size (arcsec).
    e, theta : float
        An elliptical Moffat PSF (`~imphot_astropy.core.psf.EllipticalMoffat`)
        of the same shape in every plane: its ellipticity (1 - minor/major)
        and the position angle of its major axis (degrees from +x toward
        +y); ``fwhm`` is then along the major axis.

    Returns
    -------
    cube : `~astropy.nddata.CCDData`
        The cube (float32, axes wavelength, y, x) with its variance and 3D
        WCS; ``meta`` holds DATE-OBS and MJD-OBS.
    hst : dict
        Filter name -> HST image on the MUSE grid in MUSE flux units
        (`~astropy.nddata.CCDData`, header FILTER and the regridding filter).
    truth : dict
        ``fwhm_coeffs`` and ``beta_coeffs`` (polynomials in MPDAF's
        normalised wavelength over ``lbrange`` = ``wave_range``, lowest
        power first), ``beta``, ``dx``, ``dy``, ``scales``, ``bg``,
        ``noise``, ``e``, ``theta``, ``wavelengths`` (plane centres), ``fwhms`` (per plane),
        ``sources``, ``date_obs`` and ``mjd_obs``.

    Examples
    --------
    >>> cube, hst, truth = make_exposure_cube(shape=(40, 40), nplanes=20,
    ...                                       filters=["F775W"], seed=1)
    >>> cube.shape, sorted(hst), [round(c, 3) for c in truth["fwhm_coeffs"]]
    ((20, 40, 40), ['F775W'], [0.65, -0.2])
    """
    if oversample % 2 != 1:
        raise ValueError("oversample must be odd")
    scales = dict(DEFAULT_SCALES if scales is None else scales)
    missing = [f for f in filters if f not in scales]
    if missing:
        raise ValueError(f"scales: no flux scale for {missing}")
    if sources is None:
        sources = random_sky(shape, seed=seed)
    wavelengths = np.linspace(wave_range[0], wave_range[1], nplanes)
    step = (wave_range[1] - wave_range[0]) / max(nplanes - 1, 1)
    slope = fwhm[1] - fwhm[0]
    fwhms = fwhm[0] + slope * (wavelengths - wave_range[0]) / (wave_range[1] - wave_range[0])

    pad = 16
    sky_fft, fine_shape, sub = render_sky_fft(sources, shape, oversample, pad, pixel_scale)
    data = _render_planes(sky_fft, fine_shape, sub, oversample, pad, shape, fwhms, beta,
                          dx, dy, e, theta)
    data += np.float32(bg)
    if noise > 0:
        rng = np.random.default_rng(seed + 1)
        data += rng.normal(0.0, noise, size=data.shape).astype(np.float32)
    variance = np.full(data.shape, max(noise, 1e-12) ** 2, dtype=np.float32)

    celestial = muse_wcs(shape, pixel_scale)
    mjd = float(Time(date_obs, format="isot", scale="utc").mjd)
    meta = fits.Header({"DATE-OBS": date_obs, "MJD-OBS": mjd})
    cube = CCDData(data, unit=SYNTHETIC_UNIT, uncertainty=VarianceUncertainty(variance),
                   wcs=_cube_wcs(celestial, wave_range[0], step), meta=meta)

    # Flat spectra: the HST sky on the MUSE grid is the same in every band.
    crop = (slice(pad * oversample, (pad + shape[0]) * oversample),
            slice(pad * oversample, (pad + shape[1]) * oversample))
    hst_sky = hst_on_muse_grid(sky_fft, fine_shape, sub, oversample, crop, hst_fwhm,
                                hst_beta)
    hst_header = fits.Header()
    hst_header[REGRID_FILTER_KEYWORD] = (BLACKMAN, "anti-aliasing filter of the regridding")
    hst_header[REGRID_CUTOFF_KEYWORD] = (0.5, "filter cut-off, cycles per pixel")
    hst = {}
    for name in filters:
        header = fits.Header(hst_header, copy=True)
        header["FILTER"] = name
        hst[name] = CCDData(hst_sky / scales[name], unit=SYNTHETIC_UNIT,
                            wcs=celestial.deepcopy(), meta=header)
    truth = dict(fwhm_coeffs=[0.5 * (fwhm[0] + fwhm[1]), slope],
                 beta_coeffs=[beta], lbrange=tuple(wave_range), beta=beta, dx=dx, dy=dy,
                 scales={f: scales[f] for f in filters}, bg=bg, noise=noise, e=e, theta=theta,
                 wavelengths=wavelengths, fwhms=fwhms, sources=sources,
                 date_obs=date_obs, mjd_obs=mjd)
    return cube, hst, truth


def write_exposure_cube(cube, path, overwrite=False):
    """Write a cube as a MUSE exposure file (primary header, DATA and STAT).

    Parameters
    ----------
    cube : `~astropy.nddata.CCDData`
        For example from `make_exposure_cube`.
    path : str or `os.PathLike`
        Written through `~imphot_astropy.io.atomic_output`.
    overwrite : bool
        Replace an existing file of that name (else a `UserError`).

    Examples
    --------
    >>> import os, tempfile
    >>> cube, hst, truth = make_exposure_cube(shape=(30, 30), nplanes=5,
    ...                                       filters=["F606W"], noise=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "exp.fits")
    >>> write_exposure_cube(cube, path)
    >>> from astropy.io import fits
    >>> with fits.open(path) as hdulist:
    ...     print([h.name for h in hdulist])
    ['PRIMARY', 'DATA', 'STAT']
    """
    if not overwrite and os.path.exists(path):
        raise UserError(f"path: {path} exists; pass overwrite=True to replace it")
    primary = fits.PrimaryHDU(header=fits.Header(cube.meta, copy=True))
    header = cube.wcs.to_header()
    unit = cube.unit if cube.unit is not None else u.dimensionless_unscaled
    if format_bunit(unit):
        header["BUNIT"] = format_bunit(unit)
    data = fits.ImageHDU(np.asarray(cube.data, dtype=np.float32), header=header, name="DATA")
    hdus = [primary, data]
    if cube.uncertainty is not None:
        stat_header = header.copy()
        if format_bunit(unit**2):
            stat_header["BUNIT"] = format_bunit(unit**2)
        hdus.append(fits.ImageHDU(np.asarray(cube.uncertainty.array, dtype=np.float32),
                                  header=stat_header, name="STAT"))
    write_fits_atomically(fits.HDUList(hdus), path, argname="path")
