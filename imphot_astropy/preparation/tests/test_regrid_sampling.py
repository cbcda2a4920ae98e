"""The regridding's sampling is reproject_interp's, on the HDFS pair and on
rotated, differently scaled grids, the bands of one grid share one broadcast
call; and the pruned anti-aliasing FFTs against plain 2D FFTs."""

import numpy as np
import pytest
import scipy.fft
from astropy.io import fits
from astropy.nddata import CCDData, VarianceUncertainty
from astropy.wcs import WCS

from imphot_astropy.core.antialias import AntialiasLowpass, multiply_by_transfer
from imphot_astropy.core.transfer import BLACKMAN, RegridFilter
from imphot_astropy.preparation import (regrid_hst_like_muse, regrid_hst_bands_like_muse,
                                        read_muse_reference)
from imphot_astropy.preparation._hst_cutout import open_hst
from imphot_astropy.preparation.regrid import (DEFAULT_MARGIN, MASKED_WEIGHT_LIMIT, _Stack,
                                               _filter_into, _plan_cutout, _shifted_wcs)

reproject = pytest.importorskip("reproject")


def _tan(scale, shape, rotation=0.0, crval=(53.16, -27.78), shift=(0.0, 0.0)):
    theta = np.deg2rad(rotation)
    step = scale / 3600.0
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = crval
    w.wcs.crpix = [(shape[1] + 1) / 2 + shift[0], (shape[0] + 1) / 2 + shift[1]]
    w.wcs.cd = [[-step * np.cos(theta), step * np.sin(theta)],
                [step * np.sin(theta), step * np.cos(theta)]]
    return w


def _expected_by_reproject(hst, muse):
    """What reproject_interp makes of the filtered cut-out, array by array.

    The cut-out's WCS is written here from the HST header, its CRPIX moved
    by the cut-out's corner (which may lie beyond the HST array).
    """
    reference = read_muse_reference(muse)
    with open_hst(hst) as source:
        cutout = _plan_cutout(source, reference, DEFAULT_MARGIN, "hst")
        stack = _Stack([cutout])
        _filter_into(stack, cutout, source, reference, 0.5, True)
        header = source.wcs.to_header(relax=True)
    y0, x0 = cutout.box[0], cutout.box[2]
    header["CRPIX1"] -= x0
    header["CRPIX2"] -= y0
    cutout_wcs = WCS(header)
    sampled = {name: reproject.reproject_interp((array, cutout_wcs), reference.wcs,
                                                shape_out=reference.shape,
                                                order="bilinear", return_footprint=False)
               for name, array in ((n, stack.array[row]) for n, row in cutout.rows.items())}
    return sampled, cutout


def _check_equal(out, sampled, filtered):
    data = sampled["data"] * filtered.area_ratio
    mask = ~np.isfinite(data)
    if "masked" in sampled:
        mask |= ~(sampled["masked"] <= MASKED_WEIGHT_LIMIT)
    if "variance" in sampled:
        mask |= ~np.isfinite(sampled["variance"])
        variance = out.uncertainty.array
        np.testing.assert_allclose(variance[~mask],
                                   sampled["variance"][~mask] * filtered.area_ratio**2,
                                   rtol=1e-12)
    assert 0 < mask.sum() < mask.size
    np.testing.assert_array_equal(out.mask, mask)
    # The same reproject_interp computation (one array of a stack, against
    # the array alone): equal to rounding.
    np.testing.assert_allclose(out.data[~mask], data[~mask], rtol=1e-12,
                               atol=1e-12 * np.abs(data[~mask]).max())


def test_hdfs_regridding_equals_reproject_interp(hdfs):
    """HST-HDFS.fits (0.04") onto IMAGE-HDFS-1.34.fits (0.2", a field that
    reaches beyond the HST image, so the cut-out begins outside it)."""
    hst, muse = str(hdfs / "HST-HDFS.fits"), str(hdfs / "IMAGE-HDFS-1.34.fits")
    sampled, filtered = _expected_by_reproject(hst, muse)
    assert filtered.box[0] < 0 or filtered.box[2] < 0
    _check_equal(regrid_hst_like_muse(hst, muse), sampled, filtered)


@pytest.mark.parametrize("hst_scale, hst_rotation, muse_rotation",
                         [(0.03, 25.0, -12.0), (0.05, 0.0, 40.0)])
def test_rotated_grid_regridding_equals_reproject_interp(hst_scale, hst_rotation,
                                                         muse_rotation):
    """Data, variance and mask (NaN and masked HST pixels) on rotated grids of
    other pixel sizes, an HST image that covers only part of the field."""
    rng = np.random.default_rng(11)
    hst_shape = (260, 300)
    data = rng.normal(10.0, 1.0, hst_shape).astype(np.float32)
    data[40:60, 100:130] = np.nan
    mask = np.zeros(hst_shape, bool)
    mask[150:170, 20:40] = True
    variance = rng.uniform(0.5, 2.0, hst_shape).astype(np.float32)
    hst = CCDData(data, unit="electron/s", mask=mask,
                  uncertainty=VarianceUncertainty(variance),
                  wcs=_tan(hst_scale, hst_shape, hst_rotation, shift=(30.0, -20.0)))
    muse_shape = (48, 44)
    muse = CCDData(np.zeros(muse_shape), unit="adu", wcs=_tan(0.2, muse_shape, muse_rotation))
    sampled, filtered = _expected_by_reproject(hst, muse)
    assert set(sampled) == {"data", "masked", "variance"}
    _check_equal(regrid_hst_like_muse(hst, muse, inplace=False), sampled, filtered)


def test_shifted_wcs_moves_pixels_sip_included():
    """Pixel (x, y) of the shifted WCS is pixel (x + x0, y + y0) of the
    original, for corners beyond the array too, with SIP distortion."""
    header = _tan(0.05, (100, 100), 10.0).to_header()
    header["CTYPE1"], header["CTYPE2"] = "RA---TAN-SIP", "DEC--TAN-SIP"
    header["A_ORDER"] = header["B_ORDER"] = 2
    header["A_2_0"], header["A_1_1"], header["B_0_2"] = 2e-5, -1e-5, 3e-5
    original = WCS(header)
    x, y = np.array([0.0, 13.5, 120.0]), np.array([0.0, -4.25, 80.0])
    for corner in [(-17, 23), (5, -9), (0, 0)]:
        shifted = _shifted_wcs(original, corner)
        np.testing.assert_allclose(shifted.pixel_to_world_values(x, y),
                                   original.pixel_to_world_values(x + corner[1],
                                                                  y + corner[0]),
                                   rtol=0, atol=1e-12)
    assert original.wcs.crpix[0] == (100 + 1) / 2


def test_bands_on_one_grid_share_one_reproject_call(monkeypatch, tmp_path):
    """Three bands drizzled onto one grid: one reproject_interp call for all
    their arrays; the images equal those regridded one by one. A band on
    another grid gets its own call."""
    rng = np.random.default_rng(12)
    hst_shape = (220, 220)
    wcs = _tan(0.06, hst_shape, 8.0)
    bands = {}
    for k, band in enumerate(("F606W", "F775W", "F814W")):
        data = rng.normal(5.0 + k, 1.0, hst_shape).astype(np.float32)
        data[:15] = np.nan
        bands[band] = CCDData(data, unit="electron/s", wcs=wcs)
    path = tmp_path / "f850lp.fits"
    fits.PrimaryHDU(rng.normal(3.0, 1.0, (200, 210)).astype(np.float32),
                    _tan(0.05, (200, 210)).to_header()).writeto(path)
    bands["F850LP"] = str(path)
    muse = CCDData(np.zeros((50, 50)), unit="adu", wcs=_tan(0.2, (50, 50), -5.0))
    calls = []
    original = reproject.reproject_interp

    def counting(input_data, *args, **kwargs):
        calls.append(input_data[0].shape)
        return original(input_data, *args, **kwargs)

    monkeypatch.setattr(reproject, "reproject_interp", counting)
    together = regrid_hst_bands_like_muse(bands, muse)
    # Data and masked weight of three bands in one call; the fourth (whose
    # cut-out reaches beyond its image: masked weight too) in its own.
    assert sorted(shape[0] for shape in calls) == [2, 6]
    assert list(together) == list(bands)
    for band, hst in bands.items():
        alone = regrid_hst_like_muse(hst, muse, inplace=False, filter_name=band)
        np.testing.assert_array_equal(together[band].mask, alone.mask)
        np.testing.assert_array_equal(together[band].data, alone.data)
        assert together[band].meta["FILTER"] == band


def _plain_filter(array, jacobian, cutoff, scales):
    spectrum = scipy.fft.rfft2(array)
    multiply_by_transfer(spectrum, array.shape, jacobian, RegridFilter(BLACKMAN, cutoff),
                         scales)
    return scipy.fft.irfft2(spectrum, s=array.shape)


@pytest.mark.parametrize("shape, jacobian, cutoff", [
    ((96, 120), [[3.3, 0.2], [-0.1, 3.4]], 0.5),
    ((81, 64), [[2.0, 0.0], [0.0, 2.5]], 0.4),   # 2 kmax beyond Nyquist on one axis
    ((64, 64), [[1.5, 0.3], [0.2, 1.5]], 0.5)])  # hardly anything to prune
def test_pruned_lowpass_equals_plain_2d_ffts(shape, jacobian, cutoff):
    """In float64 the pruned transforms give the plain rfft2/irfft2 result
    (1e-12); the variance is the variance map convolved with the square of
    the impulse response, computed directly."""
    rng = np.random.default_rng(6)
    array = rng.normal(size=shape)
    scales = (0.2, 0.2)
    lowpass = AntialiasLowpass(shape, jacobian, cutoff, scales)
    expected = _plain_filter(array, jacobian, cutoff, scales)
    np.testing.assert_allclose(lowpass.filter(array), expected,
                               atol=1e-12 * np.abs(expected).max())
    delta = np.zeros(shape)
    delta[0, 0] = 1.0
    kernel2 = _plain_filter(delta, jacobian, cutoff, scales) ** 2
    variance = rng.uniform(0.5, 2.0, size=shape)
    expected_var = scipy.fft.irfft2(scipy.fft.rfft2(variance) * scipy.fft.rfft2(kernel2),
                                    s=shape)
    np.testing.assert_allclose(lowpass.filter_variance(variance), expected_var,
                               atol=1e-12 * np.abs(expected_var).max())


def test_pruned_lowpass_in_float32():
    """float32 in, float32 out, within float32 rounding of the float64 result."""
    rng = np.random.default_rng(7)
    array = rng.normal(size=(100, 90))
    lowpass = AntialiasLowpass((100, 96), [[3.3, 0.0], [0.0, 3.3]], 0.5, (0.2, 0.2))
    single = lowpass.filter(array.astype(np.float32))
    double = lowpass.filter(array)
    assert single.dtype == np.float32 and single.shape == (100, 96)
    np.testing.assert_allclose(single, double, atol=1e-6 * np.abs(double).max())
