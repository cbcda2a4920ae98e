"""Inputs of fit_image_photometry: accepted forms, and clear errors for bad ones."""

import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData

from imphot_astropy import fit_image_photometry, UserError
from imphot_astropy.datasets import make_synthetic_pair
from imphot_astropy.datasets.synthetic import muse_wcs


@pytest.fixture(scope="module")
def pair():
    return make_synthetic_pair(shape=(64, 64), seed=21)


def write_muse_file(path, ccd):
    """A MUSE-style file: DATA, STAT, DQ, flux unit only in FSCALE."""
    header = ccd.wcs.to_header()
    header["FSCALE"] = 1e-20
    hdus = fits.HDUList([fits.PrimaryHDU(),
                         fits.ImageHDU(ccd.data.astype(np.float32), header, name="DATA"),
                         fits.ImageHDU(ccd.uncertainty.array.astype(np.float32), header,
                                       name="STAT"),
                         fits.ImageHDU(np.zeros(ccd.shape, np.uint8), header, name="DQ")])
    hdus.writeto(path)
    return path


def test_files_hdus_and_nddata_give_the_same_fit(pair, tmp_path):
    hst, muse, truth = pair
    muse_file = write_muse_file(tmp_path / "muse.fits", muse)
    hst_file = tmp_path / "hst.fits"
    fits.PrimaryHDU(hst.data, hst.wcs.to_header() + hst.meta).writeto(hst_file)
    from_objects = fit_image_photometry(hst, muse, fix_beta=2.5)
    from_files = fit_image_photometry(str(hst_file), muse_file, fix_beta=2.5)
    with fits.open(hst_file) as hst_hdus, fits.open(muse_file) as muse_hdus:
        from_hdus = fit_image_photometry(hst_hdus[0], muse_hdus, fix_beta=2.5)
    assert from_files.name == "muse"
    for fit in (from_files, from_hdus):
        # float32 storage of the files limits the agreement.
        assert fit.fwhm.value == pytest.approx(from_objects.fwhm.value, rel=1e-4)
        assert fit.dx.value == pytest.approx(from_objects.dx.value, abs=1e-5)


def test_callers_objects_are_not_modified(pair):
    hst, muse, _ = pair
    muse = muse.copy()
    muse.mask = np.zeros(muse.shape, bool)
    before = (hst.data.copy(), muse.data.copy(), muse.mask.copy(),
              muse.uncertainty.array.copy(), muse.wcs.wcs.crpix.copy())
    fit_image_photometry(hst, muse, regions="notstar", star=(*pair[2]["star_radec"][0], 2.0),
                         extramask=np.eye(64, dtype=bool))
    after = (hst.data, muse.data, muse.mask, muse.uncertainty.array, muse.wcs.wcs.crpix)
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b)


def test_masked_and_nan_pixels_are_ignored(pair):
    hst, muse, truth = pair
    data = muse.data.copy()
    data[10:20, 10:20] = np.nan
    mask = np.zeros(muse.shape, bool)
    mask[40:50, 5:60] = True
    data[40:50, 5:60] = 1e6  # garbage under the mask
    damaged = CCDData(data, unit=muse.unit, wcs=muse.wcs, mask=mask,
                      uncertainty=muse.uncertainty)
    fit = fit_image_photometry(hst, damaged, fix_beta=truth["beta"])
    assert fit.fwhm.value == pytest.approx(truth["fwhm"], rel=0.02)
    assert fit.scale.value == pytest.approx(truth["scale"], rel=0.01)


def test_results_table_roundtrip(pair, tmp_path):
    hst, muse, _ = pair
    fit = fit_image_photometry(hst, muse, fix_beta=2.5)
    table = fit.to_table()
    for fmt, name in (("ascii.ecsv", "r.ecsv"), ("fits", "r.fits")):
        table.write(tmp_path / name, format=fmt)
        back = type(table).read(tmp_path / name, format=fmt)
        assert back["fwhm"][0] == pytest.approx(fit.fwhm.value)
        assert back["fwhm"].unit == "arcsec"
        assert bool(back["beta_fixed"][0]) is True
    summary = fit.summary().splitlines()
    assert len(summary) == 4 and summary[0].startswith("# MUSE ID")
    assert summary[3].split()[:3] == ["muse", "image", f"{fit.scale.value:.4f}"]


def test_grids_not_aligned(pair):
    hst, muse, _ = pair
    moved = CCDData(hst.data, unit=hst.unit, wcs=muse_wcs((64, 64), rotation=1.0))
    with pytest.raises(UserError, match="hst: .*not aligned"):
        fit_image_photometry(moved, muse)


def test_no_overlapping_unmasked_pixels(pair):
    hst, muse, _ = pair
    left = np.zeros(muse.shape, bool)
    left[:, :32] = True
    hst_half = CCDData(hst.data, unit=hst.unit, wcs=hst.wcs, mask=left)
    muse_half = CCDData(muse.data, unit=muse.unit, wcs=muse.wcs, mask=~left)
    with pytest.raises(UserError, match="no unmasked pixels in common"):
        fit_image_photometry(hst_half, muse_half)


def test_all_nan_image(pair):
    hst, muse, _ = pair
    nan = CCDData(np.full(muse.shape, np.nan), unit=muse.unit, wcs=muse.wcs)
    with pytest.raises(UserError, match="muse: every pixel .* masked or NaN"):
        fit_image_photometry(hst, nan)
    with pytest.raises(UserError, match="hst: every pixel"):
        fit_image_photometry(CCDData(np.full(muse.shape, np.nan), unit=muse.unit,
                                     wcs=muse.wcs), muse)


@pytest.mark.parametrize("star, message", [
    ((10.0, 20.0, 2.0), "outside the MUSE image"),
    ((338.23, -60.56, 0.0), "radius must be > 0"),
    ((338.23, -60.56, -1.0), "radius must be > 0"),
    ((338.23, -60.56, 0.1), "smaller than a pixel"),
    ((338.23, -60.56), "expected \\(ra, dec, radius\\)"),
])
def test_bad_star(pair, star, message):
    hst, muse, _ = pair
    with pytest.raises(UserError, match="^star: .*" + message):
        fit_image_photometry(hst, muse, star=star)


def test_missing_and_malformed_region_files(pair, tmp_path):
    hst, muse, _ = pair
    with pytest.raises(UserError, match="regions: the region file .*does not exist"):
        fit_image_photometry(hst, muse, regions=str(tmp_path / "missing.reg"))
    bad = tmp_path / "bad.reg"
    bad.write_text("# Region file format: DS9 version 4.1\nfk5\ncircle(338.23, -60.56, 2\")\n"
                   "circle(338.23, -60.56\n")
    with pytest.raises(UserError, match="bad.reg, line 4: malformed region"):
        fit_image_photometry(hst, muse, regions=str(bad))
    binary = tmp_path / "binary.reg"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UserError, match="cannot be read|line 1"):
        fit_image_photometry(hst, muse, regions=str(binary))


@pytest.mark.parametrize("lines, message", [
    (["fk5; polygon(338.23, -60.56, 338.24, -60.56, 338.24, -60.55)"],
     "line 1: the region shape 'polygon' is not supported"),
    (["fk5; point(338.23, -60.56)"], "the region shape 'point' is not supported"),
    (["linear; circle(1, 2, 3)"], "coordinate system 'linear' is not supported"),
    (["circle(10, 20, 3)"], "no coordinate system"),
    (["fk5", "bogus(1, 2, 3)"], "line 2: cannot read region"),
])
def test_unsupported_regions(pair, lines, message):
    hst, muse, _ = pair
    with pytest.raises(UserError, match=message):
        fit_image_photometry(hst, muse, regions=lines)


@pytest.mark.parametrize("name, value", [
    ("fix_beta", "2.5"), ("fix_fwhm", True), ("fix_dx", [0.1]), ("fix_scale", np.nan),
    ("fix_fwhm", -0.5), ("fix_beta", 0.9), ("hst_fwhm", None), ("margin", -1.0),
])
def test_fix_values_of_the_wrong_type(pair, name, value):
    hst, muse, _ = pair
    with pytest.raises(UserError, match=f"^{name}: "):
        fit_image_photometry(hst, muse, **{name: value})


def test_missing_files(pair, tmp_path):
    hst, muse, _ = pair
    with pytest.raises(UserError, match="muse: the file .*nope.fits does not exist"):
        fit_image_photometry(hst, str(tmp_path / "nope.fits"))
    not_fits = tmp_path / "text.fits"
    not_fits.write_text("not a FITS file")
    with pytest.raises(UserError, match="hst: .*text.fits"):
        fit_image_photometry(str(not_fits), muse)


def test_every_parameter_fixed(pair):
    hst, muse, _ = pair
    with pytest.raises(UserError, match="every parameter is fixed"):
        fit_image_photometry(hst, muse, fix_scale=1, fix_bg=0, fix_dx=0, fix_dy=0,
                             fix_fwhm=0.6, fix_beta=2.5)


def test_extramask_forms(pair, tmp_path):
    hst, muse, truth = pair
    array = np.zeros(muse.shape, bool)
    array[:, :20] = True
    image = CCDData(array.astype(np.uint8), unit="", wcs=muse.wcs)
    path = tmp_path / "mask.fits"
    fits.HDUList([fits.PrimaryHDU(),
                  fits.ImageHDU(array.astype(np.uint8), muse.wcs.to_header(),
                                name="DATA")]).writeto(path)
    fits_ = [fit_image_photometry(hst, muse, extramask=m, fix_beta=2.5)
             for m in (array, image, str(path))]
    assert fits_[0].fwhm.value == fits_[1].fwhm.value == fits_[2].fwhm.value
    with pytest.raises(UserError, match="extramask: the mask has shape"):
        fit_image_photometry(hst, muse, extramask=np.zeros((3, 3), bool))


def test_margin_leaves_nothing_to_compare_is_a_user_error(pair):
    hst, muse, truth = pair
    data = np.full(hst.shape, np.nan)
    data[20:36, 20:36] = hst.data[20:36, 20:36]
    small = CCDData(data, unit=hst.unit, wcs=hst.wcs, meta=hst.meta)
    with pytest.raises(UserError, match="no pixel is left to compare"):
        fit_image_photometry(small, muse, margin=2.0)
    # A star restricts the fit to pixels the caller chose: all are compared.
    ra, dec = muse.wcs.pixel_to_world_values(28.0, 28.0)
    fit = fit_image_photometry(small, muse, star=(float(ra), float(dec), 1.42), fix_beta=2.5)
    from imphot_astropy.masking import regions_mask, star_region
    chosen = ~regions_mask([star_region((ra, dec, 1.42))], muse.wcs, muse.shape)
    assert fit.products.good.sum() == np.sum(chosen & np.isfinite(data))
