"""save=True: the FITS products of an image fit, read back into CCDData."""

import os

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits
from astropy.nddata import CCDData

from imphot_astropy import fit_image_photometry
from imphot_astropy.exceptions import UserError
from imphot_astropy.photometry.products import (IMAGE_FIT_PRODUCTS, image_fit_product_paths,
                                                write_image_fit_products)
from imphot_astropy.fitting import image_fit_images

IMAGES = ("muse", "model", "residual")
AMPLITUDES = ("muse_fft", "model_fft", "residual_fft")


@pytest.fixture
def saved(synthetic_files):
    hst_path, muse_path = synthetic_files
    fit = fit_image_photometry(hst_path, muse_path, fix_beta=2.5, save=True)
    return fit, image_fit_product_paths(str(muse_path), "IMAGE-SYN")


def test_the_documented_files_are_written_beside_the_muse_file(saved, synthetic_files):
    hst_path, muse_path = synthetic_files
    fit, paths = saved
    expected = {f"IMAGE-SYN_image_fit_{key}.fits" for key in IMAGE_FIT_PRODUCTS}
    assert set(os.listdir(muse_path.parent)) == expected | {hst_path.name, muse_path.name}
    assert {p.name for p in paths.values()} == expected


def test_images_read_back_into_ccddata_with_the_muse_wcs_unit_and_mask(saved):
    fit, paths = saved
    products = fit.products
    crop = products.crop
    stored = {"muse": np.where(products.good, products.muse, np.nan),
              "model": products.model,
              "residual": np.where(products.good, products.muse - products.model, np.nan)}
    for key in IMAGES:
        ccd = CCDData.read(paths[key])
        assert ccd.unit == fit.unit, key
        np.testing.assert_array_equal(ccd.data, stored[key])
        np.testing.assert_array_equal(ccd.mask, ~products.good)
        # The WCS is the MUSE WCS of the crop: every pixel has the sky
        # position of the MUSE pixel it came from.
        ny, nx = ccd.shape
        rows, cols = np.mgrid[0:ny:7, 0:nx:7]
        here = ccd.wcs.pixel_to_world_values(cols, rows)
        there = products.wcs.pixel_to_world_values(cols + crop[1].start,
                                                   rows + crop[0].start)
        np.testing.assert_allclose(here, there, rtol=0, atol=1e-11)
        header = ccd.meta
        assert header["OBJECT"] == "SYNTH-FIELD"
        assert header["IMPPROD"] == key
        assert header["IMPFWHM"] == pytest.approx(fit.fwhm.value)
        assert header["IMPHST"] == "HST-SYN-on-MUSE-grid.fits"


def test_fourier_amplitudes_read_back_with_frequency_axes(saved):
    fit, paths = saved
    images = image_fit_images(fit)
    for key in AMPLITUDES:
        ccd = CCDData.read(paths[key])
        assert ccd.unit == fit.unit
        np.testing.assert_allclose(ccd.data, getattr(images, key), rtol=1e-12)
        ny, nx = ccd.shape
        # Zero frequency at the centre, steps of 1 / (n * 0.2") cycles/arcsec.
        fx, fy = ccd.wcs.pixel_to_world_values(nx // 2, ny // 2)
        assert abs(fx) < 1e-12 and abs(fy) < 1e-12
        fx, fy = ccd.wcs.pixel_to_world_values(nx // 2 + 1, ny // 2 + 1)
        assert all(u.Unit(unit) == 1 / u.arcsec for unit in ccd.wcs.world_axis_units)
        assert fx == pytest.approx(1.0 / (nx * 0.2), rel=1e-9)
        assert fy == pytest.approx(1.0 / (ny * 0.2), rel=1e-9)
        assert ccd.meta["IMPOFFS"] == pytest.approx(images.offset)


def test_products_of_images_from_no_file_go_to_the_current_directory(
        synthetic_fit, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = write_image_fit_products(synthetic_fit)
    assert sorted(os.listdir(tmp_path)) == sorted(
        f"muse_image_fit_{key}.fits" for key in IMAGE_FIT_PRODUCTS)
    assert all(p.parent == type(p)(".") for p in paths.values())


def test_save_never_replaces_an_input_and_then_writes_nothing(synthetic_files):
    hst_path, muse_path = synthetic_files
    clash = muse_path.parent / "IMAGE-SYN_image_fit_model_fft.fits"
    os.link(hst_path, clash)
    before = clash.read_bytes()
    with pytest.raises(UserError, match="save: .* is an input file"):
        fit_image_photometry(clash, muse_path, save=True)
    assert clash.read_bytes() == before
    assert sorted(os.listdir(muse_path.parent)) == sorted(
        [hst_path.name, muse_path.name, clash.name])


def test_products_are_refused_for_a_result_without_them(synthetic_fit):
    import pickle
    with pytest.raises(UserError, match="no images to plot or save"):
        write_image_fit_products(pickle.loads(pickle.dumps(synthetic_fit)))


def test_product_files_are_plain_fits(saved):
    _, paths = saved
    with fits.open(paths["muse"]) as hdul:
        assert [hdu.name for hdu in hdul] == ["PRIMARY", "MASK"]
        assert hdul[0].header["BUNIT"] == "10**-20 erg Angstrom-1 s-1 cm-2"


def test_every_product_of_the_reference_tool_is_offered(saved):
    # The reference's save=True products, by our names (issue 18).
    reference = {"image": "muse", "hst_model": "model", "residual": "residual",
                 "fft": "muse_fft", "hst_model_fft": "model_fft",
                 "residual_fft": "residual_fft"}
    assert set(reference.values()) == set(IMAGE_FIT_PRODUCTS)
    fit, paths = saved
    # The residual's transform is that of (MUSE - model) in the fit's window,
    # computed here from the saved images.
    images = image_fit_images(fit)
    muse = CCDData.read(paths["muse"]).data
    model = CCDData.read(paths["model"]).data
    windowed = np.where(images.weights > 0, muse - model, 0.0) * images.weights
    expected = np.abs(np.fft.fftshift(np.fft.fft2(windowed)))
    saved_amplitude = CCDData.read(paths["residual_fft"]).data
    np.testing.assert_allclose(saved_amplitude, expected, rtol=1e-9,
                               atol=1e-9 * expected.max())
    assert CCDData.read(paths["residual_fft"]).meta["IMPPROD"] == "residual_fft"
