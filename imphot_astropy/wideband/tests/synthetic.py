"""Synthetic MUSE-like cubes with known answers, for the wideband tests."""

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

__all__ = ["cube_header", "make_cube", "tent_integral", "tent_weights"]


def cube_header(nwave, ny, nx, crval3=6000.0, cd3=1.25, ctype3="AWAV",
                cunit3="Angstrom"):
    """A MUSE-style header: TAN celestial axes, CD matrix, linear wavelengths."""
    header = fits.Header()
    header["CTYPE1"], header["CTYPE2"], header["CTYPE3"] = "RA---TAN", "DEC--TAN", ctype3
    header["CUNIT1"], header["CUNIT2"], header["CUNIT3"] = "deg", "deg", cunit3
    header["CRVAL1"], header["CRVAL2"], header["CRVAL3"] = 338.2, -60.56, crval3
    header["CRPIX1"], header["CRPIX2"], header["CRPIX3"] = nx / 2, ny / 2, 1.0
    header["CD1_1"], header["CD2_2"], header["CD3_3"] = -0.2 / 3600, 0.2 / 3600, cd3
    header["CD1_2"] = header["CD2_1"] = 0.0
    header["CD1_3"] = header["CD2_3"] = header["CD3_1"] = header["CD3_2"] = 0.0
    return header


def make_cube(nwave=160, ny=5, nx=6, crval3=6000.0, cd3=1.25, seed=1,
              bad_voxels=True, dtype=">f4"):
    """A cube with linear spectra a + b (lambda - crval3) and a known mask.

    Returns
    -------
    hdulist : `~astropy.io.fits.HDUList`
        PRIMARY, DATA, STAT, DQ (DQ != 0 marks 1e30 "bad" values that must
        not leak).
    truth : dict
        ``a``, ``b`` (per pixel), ``wave`` (plane centres), ``data``,
        ``variance``, ``bad`` (voxels that must get zero weight) and
        ``dead`` (the pixel whose voxels are all bad).
    """
    rng = np.random.default_rng(seed)
    wave = crval3 + cd3 * np.arange(nwave)
    a = rng.uniform(5, 50, (ny, nx))
    b = rng.uniform(-0.05, 0.05, (ny, nx))
    data = a + b * (wave - crval3)[:, None, None]
    variance = rng.uniform(0.5, 2.0, (nwave, ny, nx))
    bad = np.zeros(data.shape, bool)
    dq = np.zeros(data.shape, np.int32)
    dead = None
    if bad_voxels:
        # Bad voxels in the first ny - 2 rows; the last two rows are clean
        # but for one dead pixel.
        rows = np.zeros(data.shape, bool)
        rows[:, :ny - 2, :] = True
        nan_data = rows & (rng.random(data.shape) < 0.05)
        nan_var = rows & (rng.random(data.shape) < 0.05)
        flagged = rows & (rng.random(data.shape) < 0.05)
        data[nan_data] = np.nan
        variance[nan_var] = np.nan
        data[flagged] = 1e30           # would dominate any leak
        dq[flagged] = 1
        dead = (ny - 1, 0)
        data[:, dead[0], dead[1]] = np.nan
        bad = nan_data | nan_var | flagged
        bad[:, dead[0], dead[1]] = True
    header = cube_header(nwave, ny, nx, crval3, cd3)
    data_hdu = fits.ImageHDU(data.astype(dtype), header, name="DATA")
    data_hdu.header["BUNIT"] = "10**(-20)*erg/s/cm**2/Angstrom"
    stat_hdu = fits.ImageHDU(variance.astype(dtype), header, name="STAT")
    hdus = [fits.PrimaryHDU(), data_hdu, stat_hdu]
    if bad_voxels:
        hdus.append(fits.ImageHDU(dq, header, name="DQ"))
    stored = data.astype(dtype).astype(float)
    stored_var = variance.astype(dtype).astype(float)
    truth = dict(a=a, b=b, wave=wave, data=stored, variance=stored_var, bad=bad,
                 dead=dead, wcs=WCS(header))
    return fits.HDUList(hdus), truth


def tent_integral(x, lo, peak, hi):
    """Closed-form integral from lo to x of a unit-height tent lo-peak-hi."""
    x = np.clip(np.asarray(x, dtype=float), lo, hi)
    rising = (np.minimum(x, peak) - lo)**2 / (2 * (peak - lo))
    past = np.maximum(x - peak, 0.0)
    falling = past - past**2 / (2 * (hi - peak))
    return rising + falling


def tent_weights(edges_lo, edges_hi, lo, peak, hi):
    """The tent integrated over each plane, computed without the package."""
    return tent_integral(edges_hi, lo, peak, hi) - tent_integral(edges_lo, lo, peak, hi)
