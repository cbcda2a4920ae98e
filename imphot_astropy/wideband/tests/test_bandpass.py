"""bandpass_image on synthetic cubes whose answers are known exactly."""

import gzip
import warnings

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits
from astropy.nddata import NDData, CCDData, VarianceUncertainty, StdDevUncertainty
from astropy.wcs import WCS

from imphot_astropy.exceptions import UserError
from imphot_astropy.io import read_image, write_muse_image
from imphot_astropy.wideband import bandpass_image, FilterTruncationWarning, open_cube
from imphot_astropy.utils import NoProgress
from imphot_astropy.wideband import _planes as planes_module
from imphot_astropy.wideband import cubes as cubes_module
from .synthetic import make_cube, tent_weights, cube_header

# A tent filter from 6020 to 6160 A peaking at 6090 A: the cube (6000 A
# onwards, 1.25 A planes, 160 planes up to 6199.4 A) contains all of it, and
# 6090 A is the centre of plane 72, so the weights are symmetric about it.
TENT = (6020.0, 6090.0, 6160.0)
TENT_CURVE = (np.array(TENT), np.array([0.0, 1.0, 0.0]))


@pytest.fixture
def cube_file(tmp_path):
    hdulist, truth = make_cube()
    path = tmp_path / "DATACUBE_synthetic.fits"
    hdulist.writeto(path)
    return str(path), truth


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # any unexpected warning fails
        return func(*args, **kwargs)


def _expected(truth, lo, peak, hi):
    """The weighted mean and variance, computed directly from the truth."""
    wave = truth["wave"]
    w = tent_weights(wave - 0.625, wave + 0.625, lo, peak, hi)[:, None, None]
    w = np.where(truth["bad"], 0.0, w)
    wsum = w.sum(axis=0)
    with np.errstate(invalid="ignore"):
        data = np.where(truth["bad"], 0.0, truth["data"])
        var = np.where(truth["bad"], 0.0, truth["variance"])
        return (w * data).sum(axis=0) / wsum, (w**2 * var).sum(axis=0) / wsum**2


def test_clean_pixels_give_the_analytic_mean(cube_file):
    path, truth = cube_file
    image = _quiet(bandpass_image, path, *TENT_CURVE)
    # Linear spectra a + b (lambda - 6000) through a filter symmetric about
    # 6090 A average to a + 90 b exactly.
    analytic = truth["a"] + truth["b"] * (TENT[1] - 6000.0)
    clean = ~truth["bad"].any(axis=0)
    assert clean.sum() >= 5
    np.testing.assert_allclose(image.data[clean], analytic[clean], rtol=1e-6)


def test_masked_and_nan_voxels_do_not_leak(cube_file):
    path, truth = cube_file
    image = _quiet(bandpass_image, path, *TENT_CURVE)
    expected, expected_var = _expected(truth, *TENT)
    live = np.ones(image.shape, bool)
    live[truth["dead"]] = False
    # 1e30 values flagged in DQ, NaN data and NaN variances would all show.
    np.testing.assert_allclose(image.data[live], expected[live], rtol=1e-6)
    assert np.all(np.abs(image.data[live]) < 100)
    np.testing.assert_allclose(image.uncertainty.array[live], expected_var[live], rtol=1e-6)
    assert isinstance(image.uncertainty, VarianceUncertainty)
    # The pixel with no valid voxel is masked and NaN, and only it.
    assert image.mask[truth["dead"]] and np.isnan(image.data[truth["dead"]])
    assert image.mask.sum() == 1


def test_result_carries_unit_wcs_and_provenance(cube_file):
    path, truth = cube_file
    image = _quiet(bandpass_image, path, *TENT_CURVE)
    assert isinstance(image, CCDData)
    assert image.unit == u.Unit("1e-20 erg / (s cm2 Angstrom)")
    assert image.wcs.naxis == 2 and image.wcs.has_celestial
    sky = image.wcs.pixel_to_world(2, 3)
    ref = truth["wcs"].celestial.pixel_to_world(2, 3)
    assert sky.separation(ref).arcsec < 1e-6
    assert image.meta["BPLOST"] == 0
    assert image.meta["BPCUBE"] == "DATACUBE_synthetic.fits"
    assert TENT[0] - 1.25 <= image.meta["BPWMIN"] <= TENT[0]
    assert TENT[2] <= image.meta["BPWMAX"] <= TENT[2] + 1.25


def test_only_the_planes_the_filter_touches_are_read(cube_file, monkeypatch):
    path, truth = cube_file
    requested = []
    original = cubes_module._FitsCube.planes

    def spy(self, start, stop):
        requested.append((start, stop))
        return original(self, start, stop)

    monkeypatch.setattr(cubes_module._FitsCube, "planes", spy)
    monkeypatch.setattr(planes_module, "VALUES_PER_BLOCK", 10 * 30)
    _quiet(bandpass_image, path, *TENT_CURVE, nprocess=1)
    planes = sorted(k for start, stop in requested for k in range(start, stop))
    # Plane k spans 6000 + 1.25 k +- 0.625 A: planes 16 (6019.4-6020.6 A) to
    # 128 (6159.4-6160.6 A) overlap the filter, planes 15 and 129 do not.
    assert planes == list(range(16, 129))
    assert all(stop - start <= 10 for start, stop in requested)


def test_results_do_not_depend_on_the_number_of_workers(cube_file, monkeypatch):
    path, truth = cube_file
    monkeypatch.setattr(planes_module, "VALUES_PER_BLOCK", 7 * 30)   # 16 blocks
    images = [_quiet(bandpass_image, path, *TENT_CURVE, nprocess=n)
              for n in (1, 2, 3, 0, -1)]
    for other in images[1:]:
        np.testing.assert_array_equal(other.data, images[0].data)
        np.testing.assert_array_equal(other.uncertainty.array, images[0].uncertainty.array)
        np.testing.assert_array_equal(other.mask, images[0].mask)


def test_float64_little_endian_cube_gives_the_same_image(tmp_path):
    hdulist, truth = make_cube(dtype="<f8")
    nd = NDData(truth["data"], wcs=truth["wcs"], unit="adu", mask=truth["bad"],
                uncertainty=VarianceUncertainty(truth["variance"]))
    image = _quiet(bandpass_image, nd, *TENT_CURVE)
    expected, expected_var = _expected(truth, *TENT)
    live = ~image.mask
    np.testing.assert_allclose(image.data[live], expected[live], rtol=1e-12)
    np.testing.assert_allclose(image.uncertainty.array[live], expected_var[live], rtol=1e-12)


def test_nddata_with_spectral_axis_last_and_stddev(cube_file):
    path, truth = cube_file
    reference = _quiet(bandpass_image, path, *TENT_CURVE)
    # Reorder the axes to (x, y, lambda) in numpy, i.e. FITS axes
    # (lambda, y-dec, x-ra), and give the uncertainty as a standard deviation.
    header = cube_header(160, 5, 6)
    swapped = fits.Header()
    for key, value in header.items():
        swapped[key.replace("1", "#").replace("3", "1").replace("#", "3")
                if key.startswith(("CTYPE", "CUNIT", "CRVAL", "CRPIX")) else key] = value
    swapped["CD1_1"], swapped["CD3_3"] = header["CD3_3"], header["CD1_1"]
    swapped["CD2_2"] = header["CD2_2"]
    wcs = WCS(swapped)
    data = np.transpose(np.where(truth["bad"], np.nan, truth["data"]), (2, 1, 0))
    sigma = np.sqrt(np.transpose(truth["variance"], (2, 1, 0)))
    nd = NDData(data, wcs=wcs, unit="adu", uncertainty=StdDevUncertainty(sigma))
    image = _quiet(bandpass_image, nd, *TENT_CURVE)
    assert image.shape == (6, 5)
    np.testing.assert_allclose(image.data.T, reference.data, rtol=1e-6)
    np.testing.assert_allclose(image.uncertainty.array.T, reference.uncertainty.array,
                               rtol=1e-6)


def test_spectral_cube_input(cube_file):
    spectral_cube = pytest.importorskip("spectral_cube")
    path, truth = cube_file
    reference = _quiet(bandpass_image, path, *TENT_CURVE)
    data = np.where(truth["bad"], 1e30, truth["data"])
    cube = spectral_cube.SpectralCube(data=data * u.Jy, wcs=truth["wcs"],
                                      mask=spectral_cube.BooleanArrayMask(
                                          ~truth["bad"], wcs=truth["wcs"]))
    image = _quiet(bandpass_image, cube, *TENT_CURVE)
    assert image.unit == u.Jy and image.uncertainty is None
    live = ~reference.mask
    np.testing.assert_allclose(image.data[live], reference.data[live], rtol=1e-6)


def test_specutils_spectrum_input(cube_file):
    specutils = pytest.importorskip("specutils")
    Spectrum = getattr(specutils, "Spectrum", None) or specutils.Spectrum1D
    path, truth = cube_file
    reference = _quiet(bandpass_image, path, *TENT_CURVE)
    data = np.moveaxis(np.where(truth["bad"], np.nan, truth["data"]), 0, -1)
    variance = np.moveaxis(truth["variance"], 0, -1)
    spectrum = Spectrum(flux=data * u.Jy, spectral_axis=truth["wave"] * u.AA,
                        uncertainty=VarianceUncertainty(variance))
    image = _quiet(bandpass_image, spectrum, *TENT_CURVE)
    live = ~reference.mask
    np.testing.assert_allclose(image.data[live], reference.data[live], rtol=1e-6)
    np.testing.assert_allclose(image.uncertainty.array[live],
                               reference.uncertainty.array[live], rtol=1e-6)
    assert image.wcs is None    # made from a spectral axis only: no sky WCS


def test_curve_in_pixels_nm_and_synphot_agree(cube_file):
    from synphot import SpectralElement, Empirical1D

    path, truth = cube_file
    reference = _quiet(bandpass_image, path, *TENT_CURVE)
    pixels = (np.array(TENT) - 6000.0) / 1.25
    by_pixel = _quiet(bandpass_image, path, pixels, [0, 1, 0], unit_wave=None)
    by_nm = _quiet(bandpass_image, path, np.array(TENT) / 10, [0, 2, 0], unit_wave=u.nm)
    element = SpectralElement(Empirical1D, points=np.array(TENT) * u.AA,
                              lookup_table=[0.0, 0.5, 0.0])
    by_synphot = _quiet(bandpass_image, path, element)
    for image in (by_pixel, by_nm, by_synphot):
        np.testing.assert_allclose(image.data, reference.data, rtol=1e-12)


def test_ascii_filter_file_and_cubic(cube_file, tmp_path):
    path, truth = cube_file
    curve = tmp_path / "tent.dat"
    curve.write_text("# tent\n" + "".join(f"{w} {t}\n" for w, t in zip(*TENT_CURVE)))
    from_file = _quiet(bandpass_image, path, str(curve))
    reference = _quiet(bandpass_image, path, *TENT_CURVE)
    np.testing.assert_array_equal(from_file.data, reference.data)
    assert from_file.meta["FILTER"] == "tent"
    # A smooth curve sampled every 10 A: cubic integrates its spline exactly.
    wave = np.arange(6020.0, 6161.0, 10.0)
    thru = np.sin(np.pi * (wave - 6020.0) / 140.0)**2
    cubic = _quiet(bandpass_image, path, wave, thru, interpolation="cubic")
    linear = _quiet(bandpass_image, path, wave, thru, interpolation="linear")
    live = ~reference.mask
    assert not np.allclose(cubic.data[live], linear.data[live], rtol=1e-9, atol=0)
    np.testing.assert_allclose(cubic.data[live], linear.data[live], rtol=1e-3)


def test_truncation_warning_gives_the_fraction_lost(cube_file):
    path, truth = cube_file
    # A tent from 5900 to 6100 A (area 100): the cube starts at 5999.375 A,
    # so the area below, 99.375**2 / 200 = 49.38, i.e. 49.4%, is lost.
    lost = 99.375**2 / 200 / 100
    with pytest.warns(FilterTruncationWarning, match=r"49\.4% of the integrated") as record:
        image = bandpass_image(path, [5900.0, 6000.0, 6100.0], [0.0, 1.0, 0.0])
    assert "outside the cube's wavelength range (5999.4-6199.4 Angstrom)" in \
        str(record[0].message)
    assert image.meta["BPLOST"] == pytest.approx(lost, abs=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = bandpass_image(path, [5900.0, 6000.0, 6100.0], [0.0, 1.0, 0.0],
                               truncation_warning=False)
    np.testing.assert_array_equal(quiet.data, image.data)
    # Below 0.5% lost, no warning (as the established tools).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bandpass_image(path, [5999.0, 6000.0, 6100.0], [0.0, 1.0, 1.0])


def test_written_image_reads_back(cube_file, tmp_path):
    path, truth = cube_file
    image = _quiet(bandpass_image, path, *TENT_CURVE)
    output = tmp_path / "image.fits"
    write_muse_image(image, str(output), inputs=[path])
    with fits.open(output) as hdus:
        assert [h.name for h in hdus] == ["PRIMARY", "DATA", "STAT", "DQ"]
        assert hdus["DQ"].data[truth["dead"]] == 1 and hdus["DQ"].data.sum() == 1
        assert hdus[0].header["FILTER"] == "filter"
    back = read_image(str(output))
    live = ~image.mask
    np.testing.assert_allclose(back.data[live], image.data[live], rtol=1e-6)
    np.testing.assert_allclose(back.variance[live], image.uncertainty.array[live], rtol=1e-6)
    np.testing.assert_array_equal(back.mask, image.mask)
    assert back.unit == image.unit
    with pytest.raises(UserError, match="input file"):
        write_muse_image(image, path, inputs=[path])


def test_gzipped_and_scaled_cubes_take_the_section_path(cube_file, tmp_path):
    path, truth = cube_file
    reference = _quiet(bandpass_image, path, *TENT_CURVE)
    gzipped = tmp_path / "cube.fits.gz"
    with open(path, "rb") as source, gzip.open(gzipped, "wb") as target:
        target.write(source.read())
    with open_cube(str(gzipped)) as cube:
        assert not cube.concurrent
    image = _quiet(bandpass_image, str(gzipped), *TENT_CURVE, nprocess=2)
    np.testing.assert_array_equal(image.data, reference.data)


# ---------------------------------------------------------------- bad input


def test_cube_without_spectral_axis(tmp_path):
    header = cube_header(20, 4, 5, ctype3="VRAD", cunit3="km/s")
    header["CRVAL3"] = 0.0
    path = tmp_path / "velocity.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((20, 4, 5)), header,
                                                   name="DATA")]).writeto(path)
    with pytest.raises(UserError, match="no spectral axis"):
        bandpass_image(str(path), *TENT_CURVE)
    nd = NDData(np.ones((20, 4, 5)), wcs=WCS(header))
    with pytest.raises(UserError, match="no spectral axis"):
        bandpass_image(nd, *TENT_CURVE)
    with pytest.raises(UserError, match="no WCS"):
        bandpass_image(NDData(np.ones((20, 4, 5))), *TENT_CURVE)


def test_image_instead_of_cube(tmp_path):
    path = tmp_path / "image.fits"
    fits.PrimaryHDU(np.ones((4, 5))).writeto(path)
    with pytest.raises(UserError, match="no DATA extension and no 3D image"):
        bandpass_image(str(path), *TENT_CURVE)
    path2 = tmp_path / "image2.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((4, 5)), name="DATA")]
                 ).writeto(path2)
    with pytest.raises(UserError, match="expected a 3D cube"):
        bandpass_image(str(path2), *TENT_CURVE)


def test_filter_outside_the_cube(cube_file):
    path, truth = cube_file
    with pytest.raises(UserError, match="does not overlap the cube's wavelength range"):
        bandpass_image(path, "F435W")
    with pytest.raises(UserError, match="does not overlap"):
        bandpass_image(path, [7000.0, 7100.0], [1.0, 1.0])


@pytest.mark.parametrize("wave, thru, message", [
    ([6100.0, 6050.0, 6150.0], [0, 1, 0], "must increase"),
    ([6050.0, 6100.0, 6150.0], [0, -1, 0], "must not be negative"),
])
def test_bad_filter_curves(cube_file, wave, thru, message):
    path, truth = cube_file
    with pytest.raises(UserError, match=message):
        bandpass_image(path, wave, thru)


def test_empty_and_truncated_files(cube_file, tmp_path):
    path, truth = cube_file
    empty = tmp_path / "empty.fits"
    empty.write_bytes(b"")
    with pytest.raises(UserError, match="is empty"):
        bandpass_image(str(empty), *TENT_CURVE)
    truncated = tmp_path / "truncated.fits"
    with open(path, "rb") as handle:
        truncated.write_bytes(handle.read()[:40000])
    with pytest.raises(UserError, match="truncated|not a readable FITS"):
        bandpass_image(str(truncated), *TENT_CURVE)
    garbage = tmp_path / "garbage.fits"
    garbage.write_bytes(b"this is not FITS" * 300)
    with pytest.raises(UserError, match="not a readable FITS file"):
        bandpass_image(str(garbage), *TENT_CURVE)
    with pytest.raises(UserError, match="does not exist"):
        bandpass_image(str(tmp_path / "missing.fits"), *TENT_CURVE)


def test_bad_keywords(cube_file):
    path, truth = cube_file
    with pytest.raises(UserError, match="nprocess"):
        bandpass_image(path, *TENT_CURVE, nprocess=1.5)
    with pytest.raises(UserError, match="interpolation"):
        bandpass_image(path, *TENT_CURVE, interpolation="spline")
    with pytest.raises(UserError, match="not a unit of wavelength"):
        bandpass_image(path, *TENT_CURVE, unit_wave=u.s)
    with pytest.raises(UserError, match="expected a FITS file name"):
        bandpass_image(42, *TENT_CURVE)


def test_progress_bar_counts_the_planes_read(cube_file, monkeypatch):
    path, truth = cube_file
    bars = []
    original = planes_module.plane_progress

    def spy(total, show):
        bar = original(total, show)
        bars.append(bar)
        return bar

    monkeypatch.setattr(planes_module, "plane_progress", spy)
    monkeypatch.setattr(planes_module, "VALUES_PER_BLOCK", 10 * 30)
    _quiet(bandpass_image, path, *TENT_CURVE, progress_bar=True, nprocess=2)
    assert len(bars) == 1
    assert bars[0].total == bars[0].n == 113      # planes 16 to 128
    quiet = _quiet(bandpass_image, path, *TENT_CURVE, progress_bar=False)
    assert isinstance(bars[-1], NoProgress)
    assert quiet.shape == (5, 6)


def test_fits_planes_are_mapped_block_by_block(cube_file):
    import mmap

    path, truth = cube_file
    with open_cube(path) as cube:
        assert cube.concurrent
        data, variance, mask = cube.planes(40, 50)
        for planes in (data, variance, mask):
            # Read on demand; as an array, a map of these 10 planes only
            # (plus page alignment), released when the array goes: never a
            # map of the whole file.
            mapped = np.asarray(planes)
            assert isinstance(planes.memmap(), np.memmap) and mapped.shape == (10, 5, 6)
            assert len(planes.memmap().base) <= mapped.nbytes + mmap.ALLOCATIONGRANULARITY
            read = np.empty((3, 30), planes.dtype)
            planes.read_into(2, 5, read)
            np.testing.assert_array_equal(read.reshape(3, 5, 6), mapped[2:5])
        np.testing.assert_array_equal(np.where(truth["bad"][40:50], 0, data),
                                      np.where(truth["bad"][40:50], 0,
                                               truth["data"][40:50]))


def test_frequency_axis(tmp_path):
    # A cube whose third axis is frequency, increasing: wavelengths decrease
    # along it and the planes have unequal widths in wavelength.
    nplanes, f0, df = 120, 4.86e14, 5e10             # about 6170 A downwards
    header = cube_header(nplanes, 3, 4, crval3=f0, cd3=df, ctype3="FREQ", cunit3="Hz")
    rng = np.random.default_rng(3)
    data = rng.uniform(1, 2, (nplanes, 3, 4))
    nd = NDData(data, wcs=WCS(header), unit="Jy")
    c = 2.99792458e18                                # Angstrom / s
    nu_edges = f0 + df * (np.arange(nplanes + 1) - 0.5)
    lam_edges = c / nu_edges
    lo, peak, hi = 6100.0, 6130.0, 6160.0
    weights = tent_weights(lam_edges[1:], lam_edges[:-1], lo, peak, hi)
    assert weights.min() == 0 and weights.max() > 0
    expected = (weights[:, None, None] * data).sum(axis=0) / weights.sum()
    image = _quiet(bandpass_image, nd, [lo, peak, hi], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(image.data, expected, rtol=1e-12)
    # The same curve given in plane indices along the (decreasing) axis.
    pixels = (c / np.array([hi, peak, lo]) - f0) / df
    by_pixel = _quiet(bandpass_image, nd, pixels, [0.0, 1.0, 0.0], unit_wave=None)
    np.testing.assert_allclose(by_pixel.data, expected, rtol=1e-6)


def test_full_size_planes_use_short_float32_sums(tmp_path):
    # With 300 x 300 planes each step holds few planes, whose sums are formed
    # in float32 before joining float64 totals: still exact to 1e-6.
    nplanes, ny, nx = 24, 300, 300
    rng = np.random.default_rng(5)
    data = rng.uniform(-5, 100, (nplanes, ny, nx)).astype(np.float32)
    variance = rng.uniform(1, 4, (nplanes, ny, nx)).astype(np.float32)
    data[:, :20, :] = np.nan                       # a NaN margin, as in MUSE
    data[rng.random(data.shape) < 0.01] = np.nan
    header = cube_header(nplanes, ny, nx)
    path = tmp_path / "big.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, header, name="DATA"),
                  fits.ImageHDU(variance, header, name="STAT")]).writeto(path)
    wave = 6000.0 + 1.25 * np.arange(nplanes)
    lo, peak, hi = 6002.0, 6010.0, 6027.0
    w = tent_weights(wave - 0.625, wave + 0.625, lo, peak, hi)[:, None, None]
    good = np.isfinite(data)
    w = np.where(good, w, 0.0)
    with np.errstate(invalid="ignore"):            # pixels with no valid voxel
        expected = (w * np.where(good, data, 0)).sum(axis=0) / w.sum(axis=0)
        expected_var = (w**2 * variance).sum(axis=0) / w.sum(axis=0)**2
    image = _quiet(bandpass_image, str(path), [lo, peak, hi], [0.0, 1.0, 0.0])
    live = w.sum(axis=0) > 0
    assert np.array_equal(~image.mask, live) and not live[:20].any()
    np.testing.assert_allclose(image.data[live], expected[live], rtol=1e-6,
                               atol=1e-6 * np.abs(expected[live]).max())
    np.testing.assert_allclose(image.uncertainty.array[live], expected_var[live], rtol=1e-6)


def test_a_failing_block_stops_the_workers(cube_file, monkeypatch):
    # A read error in one worker's block reaches the caller, and the other
    # worker, waiting to add its block after it, does not hang.
    path, truth = cube_file
    original = cubes_module._FitsCube.planes
    requested = []

    def failing(self, start, stop):
        requested.append(start)
        if 40 <= start < 50:
            raise UserError(f"{path}: planes {start}-{stop - 1} cannot be read")
        return original(self, start, stop)

    monkeypatch.setattr(cubes_module._FitsCube, "planes", failing)
    monkeypatch.setattr(planes_module, "VALUES_PER_BLOCK", 10 * 30)
    with pytest.raises(UserError, match="cannot be read"):
        _quiet(bandpass_image, path, *TENT_CURVE, nprocess=2)
    assert max(requested) < 126       # stopped before the last block (126-128)
