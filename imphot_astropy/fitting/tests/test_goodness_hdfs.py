"""The HDFS sample's goodness of fit (~0.04): its STAT overstates the noise.

Measured on IMAGE-HDFS-1.34.fits in source-free areas (sources found by
photutils above 2 sigma and grown by 4 pixels; a 15-pixel running median
removed; only the evenly exposed field, STAT below 1.5 times its median):
the pixel noise is 0.0163 (sigma-clipped standard deviation; 0.0167 from
the differences of neighbouring pixels, whose lag-1 correlation of 0.49 is
allowed for), against sqrt(STAT) = 0.62 there: STAT overstates the noise 37
to 38 times in standard deviation, ~1400 times in variance, in the whole
field and in the corner that the HST image covers.

The goodness of fit is then not 1/1400 but 0.039 (image fit, fix_beta=2.5)
and 0.011 (star fit): with a STAT rescaled to the measured noise they are
~55 and ~15. The fits are not noise-limited: a white-light MUSE image and
an F606W HST image differ in colour, and the models are not exact at this
signal-to-noise ratio. The `goodness` flag is truthful about the STAT; the
uncertainties come from the residuals and do not depend on the STAT's
scale, as the last test shows.
"""

import warnings

import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData, VarianceUncertainty
from astropy.stats import mad_std, sigma_clipped_stats
from astropy.wcs import WCS
from photutils.segmentation import detect_sources
from scipy import ndimage

from imphot_astropy import fit_image_photometry, fit_star_photometry

STAR = (338.23763393, -60.55636994, 2.0)


@pytest.fixture(scope="module")
def hdfs_muse(hdfs):
    with fits.open(hdfs / "IMAGE-HDFS-1.34.fits") as hdul:
        return (hdul["DATA"].data.astype(float), hdul["STAT"].data.astype(float),
                hdul["DQ"].data != 0, WCS(hdul["DATA"].header))


def _source_free(data, stat, bad):
    """High-passed data and the source-free, evenly exposed pixels."""
    good = ~bad & np.isfinite(data) & np.isfinite(stat) & (stat > 0)
    filled = np.where(good, data, np.median(data[good]))
    high_passed = data - ndimage.median_filter(filled, size=15)
    _, median, sigma = sigma_clipped_stats(high_passed[good], sigma=3.0)
    segments = detect_sources(np.where(good, high_passed - median, 0.0), 2.0 * sigma,
                              n_pixels=5)
    sources = ndimage.binary_dilation(segments.data > 0, iterations=4)
    even = stat < 1.5 * np.median(stat[good])
    return high_passed, good & ~sources & even


def _lag1_corrected_sigma(values, where):
    """The pixel noise from neighbour differences, allowing for their
    correlation (var(a - b) = 2 sigma^2 (1 - rho1))."""
    sigmas, rhos = [], []
    for axis in (0, 1):
        pair = where & np.roll(where, 1, axis=axis)
        a, b = values[pair], np.roll(values, 1, axis=axis)[pair]
        sigmas.append(mad_std(a - b) / np.sqrt(2.0))
        rhos.append(np.corrcoef(a - np.median(a), b - np.median(b))[0, 1])
    return float(np.mean(sigmas) / np.sqrt(1.0 - np.mean(rhos))), float(np.mean(rhos))


def test_hdfs_stat_overstates_the_pixel_noise(hdfs_muse):
    data, stat, bad, _ = hdfs_muse
    high_passed, free = _source_free(data, stat, bad)
    assert free.sum() > 20000
    clipped = sigma_clipped_stats(high_passed[free], sigma=3.0)[2]
    differences, rho1 = _lag1_corrected_sigma(high_passed, free)
    stat_sigma = np.sqrt(np.median(stat[free]))
    # Measured: 0.0163, 0.0167 (rho1 0.49) against 0.621.
    assert differences == pytest.approx(clipped, rel=0.1)
    assert 0.3 < rho1 < 0.7
    for sigma in (clipped, differences):
        assert 30 < stat_sigma / sigma < 45


@pytest.fixture(scope="module")
def hdfs_fits(hdfs, hdfs_muse):
    """Image and star fits with the file's STAT and with STAT / 1400."""
    data, stat, bad, wcs = hdfs_muse
    hst = hdfs / "HST-HDFS-on-MUSE-grid.fits"
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for factor in (1.0, 1.0 / 1400):
            muse = CCDData(np.where(bad, np.nan, data), unit="1e-20 erg/(s cm2 Angstrom)",
                           wcs=wcs, mask=bad, uncertainty=VarianceUncertainty(stat * factor))
            out["image", factor] = fit_image_photometry(hst, muse, fix_beta=2.5)
            out["star", factor] = fit_star_photometry(hst, muse, STAR)
    return out


@pytest.mark.parametrize("method", ["image", "star"])
def test_hdfs_uncertainties_do_not_depend_on_the_stat(hdfs_fits, method):
    raw, rescaled = hdfs_fits[method, 1.0], hdfs_fits[method, 1.0 / 1400]
    # Measured: goodness 0.039 (image) and 0.011 (star) with the file's STAT.
    assert raw.goodness < 0.1
    assert "goodness" in raw.flags
    reason = [f.reason for f in raw.quality.flags if f.name == "goodness"][0]
    assert "overstates" in reason and "not affected" in reason
    # With the measured noise the fit is far from noise-limited (~55, ~15).
    assert rescaled.goodness == pytest.approx(1400 * raw.goodness, rel=1e-6)
    assert rescaled.goodness > 5
    for name in ("scale", "bg", "dx", "dy", "fwhm"):
        assert getattr(rescaled, name).value == pytest.approx(getattr(raw, name).value,
                                                              rel=1e-6, abs=1e-9)
        assert getattr(rescaled, name).stdev == pytest.approx(getattr(raw, name).stdev,
                                                              rel=1e-6)
