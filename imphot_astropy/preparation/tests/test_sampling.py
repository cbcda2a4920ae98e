"""The shared pixel mapping and bilinear sampling against reproject, and the
pruned anti-aliasing FFTs against plain 2D FFTs."""

import numpy as np
import pytest
import scipy.fft
from astropy.wcs import WCS

from imphot_astropy.core.antialias import AntialiasLowpass, multiply_by_transfer
from imphot_astropy.core.transfer import BLACKMAN, RegridFilter
from imphot_astropy.preparation import sampling
from imphot_astropy.preparation.sampling import muse_pixels_in_hst, sample_bilinear


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


@pytest.mark.parametrize("rotation, muse_shape", [(0.0, (40, 50)), (33.0, (45, 37))])
def test_sampling_equals_reproject_interp(rotation, muse_shape):
    """Bit for bit what reproject_interp(order='bilinear') returns, edges and
    beyond-the-array pixels (NaN) included."""
    reproject = pytest.importorskip("reproject")
    rng = np.random.default_rng(4)
    hst_shape = (130, 150)
    hst_wcs = _tan(0.06, hst_shape, shift=(7.3, -4.1))
    # A MUSE field larger than the HST array on one side, so that some MUSE
    # pixels fall in the outer half of the edge pixels and some beyond.
    muse_wcs = _tan(0.2, muse_shape, rotation, shift=(-6.0, 2.0))
    for dtype in (np.float32, np.float64):
        array = rng.normal(size=hst_shape).astype(dtype)
        expected, footprint = reproject.reproject_interp(
            (array, hst_wcs), muse_wcs, shape_out=muse_shape, order="bilinear",
            return_footprint=True)
        coordinates = muse_pixels_in_hst(hst_wcs, muse_wcs, muse_shape)
        got = sample_bilinear(array, coordinates, muse_shape)
        assert np.isnan(expected).any() and np.isfinite(expected).any()
        np.testing.assert_array_equal(np.isnan(got), footprint == 0)
        np.testing.assert_array_equal(got, expected)


def test_sampling_of_a_cut_out_equals_the_whole_array():
    """An offset cut-out samples as the array it was cut from."""
    rng = np.random.default_rng(5)
    array = rng.normal(size=(120, 110))
    hst_wcs = _tan(0.05, array.shape)
    muse_shape = (20, 18)
    muse_wcs = _tan(0.2, muse_shape, rotation=12.0)
    coordinates = muse_pixels_in_hst(hst_wcs, muse_wcs, muse_shape)
    whole = sample_bilinear(array, coordinates, muse_shape)
    y0, x0 = (int(np.floor(c.min())) - 1 for c in coordinates)
    assert y0 > 0 and x0 > 0
    part = sample_bilinear(array[y0:, x0:], coordinates, muse_shape, (y0, x0))
    assert np.isfinite(whole).all()
    np.testing.assert_array_equal(part, whole)


def test_mapping_is_cached_per_grid_pair():
    """Equal WCS read twice share one mapping; another grid gets its own."""
    hst_shape, muse_shape = (200, 200), (30, 30)
    first = muse_pixels_in_hst(_tan(0.06, hst_shape), _tan(0.2, muse_shape), muse_shape)
    again = muse_pixels_in_hst(_tan(0.06, hst_shape), _tan(0.2, muse_shape), muse_shape)
    other = muse_pixels_in_hst(_tan(0.06, hst_shape, shift=(0.5, 0)),
                               _tan(0.2, muse_shape), muse_shape)
    assert again is first
    assert other is not first
    np.testing.assert_allclose(other[1], first[1] + 0.5, atol=1e-9)
    assert not first.flags.writeable


def test_cache_is_bounded_in_memory(monkeypatch):
    """Older mappings go once the cache holds more than CACHE_BYTES; the
    latest stays, however large."""
    monkeypatch.setattr(sampling, "_cache", type(sampling._cache)())
    monkeypatch.setattr(sampling, "CACHE_BYTES", 3 * 2 * 8 * 20 * 20)   # three 20 x 20
    muse_wcs = _tan(0.2, (20, 20))
    for i in range(5):
        muse_pixels_in_hst(_tan(0.06, (100, 100), shift=(i, 0)), muse_wcs, (20, 20))
    assert len(sampling._cache) == 3
    big = muse_pixels_in_hst(_tan(0.06, (100, 100)), _tan(0.2, (40, 40)), (40, 40))
    assert list(sampling._cache.values()) == [big]


def test_mapping_of_a_wcs_with_lookup_distortions_is_not_cached():
    """Table distortions are not in the header text, so such a WCS is not a key."""
    class Distorted:
        cpdis1 = object()

    assert sampling._wcs_key(Distorted()) is None
    assert sampling._wcs_key(_tan(0.06, (10, 10))) is not None


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
