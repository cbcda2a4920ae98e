"""bandpass_image on the real HDFS sample cube, against independent results."""

import pathlib
import warnings

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits

from imphot_astropy.wideband import bandpass_image, FilterTruncationWarning
from imphot_astropy.bandpasses import hst_filter_bandpass

HDFS = pathlib.Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "hdfs"


@pytest.fixture(scope="module")
def cube_path():
    path = HDFS / "CUBE.fits"
    if not path.exists():
        pytest.skip(f"HDFS sample data not found at {HDFS.resolve()}: "
                    "the real-data tests need ../shared/data/hdfs/CUBE.fits")
    return str(path)


@pytest.fixture(scope="module")
def f775w():
    bandpass = hst_filter_bandpass("F775W")
    return bandpass.waveset.to_value(u.AA), bandpass(bandpass.waveset).value


@pytest.fixture(scope="module")
def image(cube_path):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = bandpass_image(cube_path, "F775W")
    return result, record


def test_warns_that_22_percent_of_f775w_is_lost(image):
    result, record = image
    truncation = [w for w in record if issubclass(w.category, FilterTruncationWarning)]
    assert len(truncation) == 1 and len(record) == 1
    assert "22.1% of the integrated response" in str(truncation[0].message)
    assert result.meta["BPLOST"] == pytest.approx(0.2218, abs=5e-4)


def test_reads_the_linear_spectral_axis(image):
    result, _ = image
    assert result.shape == (10, 20)
    assert result.unit == u.Unit("1e-20 erg / (s cm2 Angstrom)")
    assert result.wcs.wcs.ctype[0] == "RA---TAN"
    # The filter curve starts at 6500 A, below the cube's first plane, and
    # ends at 8901 A: the planes used run from the cube's start to there,
    # less the last few whose weights add up to less than 1e-7 of the total.
    assert result.meta["BPWMIN"] == pytest.approx(7299.375)
    assert 8880.0 <= result.meta["BPWMAX"] <= 8902.25
    assert not result.mask.any()


def test_matches_a_direct_computation(image, cube_path, f775w):
    # The whole cube in memory, and weights from a fine trapezoid
    # integration of the curve: nothing shared with the package's code.
    result, _ = image
    wave, thru = f775w
    with fits.open(cube_path) as hdus:
        data = hdus["DATA"].data.astype(float)
        var = hdus["STAT"].data.astype(float)
        lam0, step = hdus["DATA"].header["CRVAL3"], hdus["DATA"].header["CDELT3"]
    centres = lam0 + step * np.arange(data.shape[0])
    fine = np.linspace(-0.5, 0.5, 201)
    samples = np.interp(centres[:, None] + step * fine, wave, thru, left=0, right=0)
    weights = np.trapezoid(samples, dx=step * (fine[1] - fine[0]), axis=1)
    w = weights[:, None, None]
    expected = (w * data).sum(axis=0) / weights.sum()
    expected_var = (w**2 * var).sum(axis=0) / weights.sum()**2
    np.testing.assert_allclose(result.data, expected, rtol=1e-6,
                               atol=1e-6 * np.abs(expected).max())
    np.testing.assert_allclose(result.uncertainty.array, expected_var, rtol=1e-6)


def test_agrees_with_mpdaf(image, cube_path, f775w):
    pytest.importorskip("mpdaf", reason="MPDAF is not installed")
    import logging
    from mpdaf.obj import Cube

    result, _ = image
    wave, thru = f775w
    logging.getLogger("mpdaf").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cube = Cube(cube_path)
        full = cube.bandpass_image(wave, thru)
        # MPDAF cuts a truncated curve at its first sample inside the cube
        # (7300 A) and starts the first plane's integral there, where we (and
        # imphot) integrate from the cube's edge (7299.375 A). Given the curve
        # already cut at the cube's edge, both integrate the same thing.
        edge = 7299.375
        inside = wave > edge
        cut_wave = np.concatenate([[edge], wave[inside]])
        cut_thru = np.concatenate([[np.interp(edge, wave, thru)], thru[inside]])
        cut = cube.bandpass_image(cut_wave, cut_thru)
    # Same curve, cut at the edge: the same to MPDAF's quadrature accuracy.
    np.testing.assert_allclose(result.data, cut.data.filled(np.nan), rtol=1e-5)
    np.testing.assert_allclose(result.uncertainty.array, cut.var.filled(np.nan), rtol=1e-5)
    # Whole curve: the first plane's weight differs by half, which moves
    # the image by 4.4e-5 of its peak (the README's 4e-5 between imphot and
    # MPDAF), mostly in faint pixels.
    mpdaf = full.data.filled(np.nan)
    difference = np.abs(result.data - mpdaf).max() / np.abs(mpdaf).max()
    assert 1e-6 < difference < 1e-4
