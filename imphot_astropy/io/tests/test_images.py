"""Reading images: formats, masks, units and WCS."""

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits
from astropy.nddata import CCDData, NDData, StdDevUncertainty
from astropy.wcs import WCS

from imphot_astropy import UserError, image_grids_aligned
from imphot_astropy.io import read_image, flux_unit_from_header, write_fits_atomically
from imphot_astropy.datasets.synthetic import muse_wcs


def test_muse_file_dq_stat_and_fscale(hdfs):
    image = read_image(hdfs / "IMAGE-HDFS-1.34.fits", "muse")
    assert image.shape == (331, 326)
    assert image.unit == u.Unit(1e-20 * u.erg / u.s / u.cm**2 / u.AA)
    assert any("FSCALE" in note for note in image.notes)
    assert image.variance is not None and image.variance.shape == image.shape
    with fits.open(hdfs / "IMAGE-HDFS-1.34.fits") as hdus:
        dq = hdus["DQ"].data != 0
        nan = ~np.isfinite(hdus["DATA"].data)
    np.testing.assert_array_equal(image.mask, dq | nan | ~np.isfinite(image.variance))
    np.testing.assert_allclose(image.pixel_scales, [0.2, 0.2], rtol=1e-6)


def test_hst_file_without_bunit_is_dimensionless(hdfs):
    image = read_image(hdfs / "HST-HDFS.fits", "hst")
    assert image.shape == (500, 500)
    assert image.unit == u.dimensionless_unscaled
    assert "no BUNIT" in image.notes[0]
    assert image.pixel_scales[0] == pytest.approx(0.0399, abs=1e-3)


@pytest.mark.parametrize("bunit, unit", [
    ("ELECTRONS/S", u.electron / u.s), ("electrons/s", u.electron / u.s),
    ("10**(-20)*erg/s/cm**2/Angstrom", 1e-20 * u.erg / u.s / u.cm**2 / u.AA),
    ("erg/s/cm2/Angstrom", u.erg / u.s / u.cm**2 / u.AA)])
def test_bunit_spellings(bunit, unit):
    parsed, note = flux_unit_from_header(fits.Header({"BUNIT": bunit}))
    assert parsed == unit and note is None


def test_sci_extension_and_err_are_read(tmp_path):
    wcs = muse_wcs((5, 6))
    hdus = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((5, 6)), wcs.to_header(),
                                                          name="SCI"),
                         fits.ImageHDU(np.full((5, 6), 2.0), name="ERR")])
    hdus[1].header["BUNIT"] = "ELECTRONS/S"
    hdus.writeto(tmp_path / "hst.fits")
    image = read_image(str(tmp_path / "hst.fits"))
    assert image.unit == u.electron / u.s
    np.testing.assert_array_equal(image.variance, 4.0)


def test_nddata_mask_uncertainty_and_no_modification():
    wcs = muse_wcs((4, 4))
    data = np.arange(16.0).reshape(4, 4)
    data[0, 0] = np.nan
    mask = np.zeros((4, 4), bool)
    mask[1, 1] = True
    nd = NDData(data, mask=mask, uncertainty=StdDevUncertainty(np.full((4, 4), 3.0)),
                wcs=wcs, unit="adu")
    image = read_image(nd, "muse")
    assert image.mask[0, 0] and image.mask[1, 1] and image.mask.sum() == 2
    np.testing.assert_array_equal(image.variance, 9.0)
    image.data[2, 2] = -1
    image.mask[3, 3] = True
    assert nd.data[2, 2] == 10.0 and not nd.mask[3, 3]


@pytest.mark.parametrize("bad, message", [
    (CCDData(np.zeros((3, 3, 3)), unit="adu", wcs=WCS(naxis=3)), "2D image"),
    (CCDData(np.zeros((3, 3)), unit="adu"), "no WCS"),
    (np.zeros((3, 3)), "expected a FITS file name"),
])
def test_bad_images(bad, message):
    with pytest.raises(UserError, match=message):
        read_image(bad, "muse")


def test_non_celestial_wcs():
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["LINEAR", "LINEAR"]
    with pytest.raises(UserError, match="no celestial WCS"):
        read_image(CCDData(np.zeros((3, 3)), unit="adu", wcs=wcs), "hst")


def test_grids_aligned_tolerance():
    a = CCDData(np.zeros((20, 30)), unit="adu", wcs=muse_wcs((20, 30)))
    shifted = muse_wcs((20, 30))
    shifted.wcs.crval = shifted.wcs.crval + [0.005 / 3600 / np.cos(np.radians(60.56)), 0]
    b = CCDData(np.zeros((20, 30)), unit="adu", wcs=shifted)
    assert image_grids_aligned(a, b)
    assert not image_grids_aligned(a, b, tolerance=0.001)
    assert not image_grids_aligned(a, CCDData(np.zeros((20, 31)), unit="adu",
                                              wcs=muse_wcs((20, 31))))


def test_atomic_write_refuses_inputs_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.fits"
    write_fits_atomically(fits.HDUList([fits.PrimaryHDU(np.ones(3))]), target)
    assert [p.name for p in tmp_path.iterdir()] == ["out.fits"]
    with pytest.raises(UserError, match="is an input file"):
        write_fits_atomically(fits.HDUList([fits.PrimaryHDU()]), target, inputs=[target])
    with pytest.raises(UserError, match="directory .* does not exist"):
        write_fits_atomically(fits.HDUList([fits.PrimaryHDU()]), tmp_path / "no" / "x.fits")
