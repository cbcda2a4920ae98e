"""rescale_hst_like_muse: count rates to MUSE flux units, with astropy.units."""


import astropy.constants as const
import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData, NDData, StdDevUncertainty, VarianceUncertainty
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import WCS

from imphot_astropy.exceptions import UserError
from imphot_astropy.io import read_image
from imphot_astropy.preparation import rescale_hst_like_muse, read_muse_reference

MUSE_UNIT = u.Unit("1e-20 erg / (s cm2 Angstrom)")


def celestial_wcs(scale=0.2):
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [53.16, -27.78]
    wcs.wcs.cdelt = [-scale / 3600, scale / 3600]
    return wcs


def muse_image(unit=MUSE_UNIT):
    return CCDData(np.zeros((4, 5)), unit=unit, wcs=celestial_wcs())


def hst_image(unit="electron/s", filter_name="F775W", **meta):
    data = np.arange(20.0).reshape(4, 5)
    return CCDData(data, unit=unit, wcs=celestial_wcs(0.03),
                   uncertainty=VarianceUncertainty(np.full((4, 5), 4.0)),
                   meta=fits.Header(dict(FILTER=filter_name, **meta)))


def test_electrons_per_second_to_muse_units_data_and_variance():
    hst = hst_image()
    out = rescale_hst_like_muse(hst, muse_image())
    assert out is hst
    assert out.unit == MUSE_UNIT
    np.testing.assert_allclose(out.data, np.arange(20.0).reshape(4, 5) * 9.74)
    np.testing.assert_allclose(out.uncertainty.array, 4.0 * 9.74**2)
    assert out.meta["FILTER"] == "F775W" and out.meta["PHOTFLAM"] == 9.74e-20


def test_not_inplace_leaves_the_input_alone():
    hst = hst_image()
    out = rescale_hst_like_muse(hst, muse_image(), inplace=False)
    assert out is not hst and hst.unit == u.electron / u.s and hst.data[0, 1] == 1.0
    assert out.data[0, 1] == pytest.approx(9.74)


def test_stddev_uncertainty_and_plain_nddata():
    nd = NDData(np.ones((2, 2)), unit="electron/s", wcs=celestial_wcs(0.03),
                uncertainty=StdDevUncertainty(np.full((2, 2), 3.0)),
                meta=fits.Header({"FILTER": "F606W"}))
    out = rescale_hst_like_muse(nd, muse_image())
    assert isinstance(out, CCDData) and out is not nd
    assert nd.data[0, 0] == 1.0
    np.testing.assert_allclose(out.data, 7.73)
    np.testing.assert_allclose(out.uncertainty.array, 9.0 * 7.73**2)


def test_imagedata_inplace():
    image = read_image(hst_image(), "hst")
    image.header["FILTER"] = "F814W"
    out = rescale_hst_like_muse(image, muse_image())
    assert out is image and image.unit == MUSE_UNIT
    assert image.data[0, 1] == pytest.approx(7.05)


def test_muse_unit_in_janskys_uses_the_pivot_wavelength():
    out = rescale_hst_like_muse(hst_image(filter_name="F606W"), muse_image(u.uJy))
    flam = 7.73e-20 * u.erg / (u.s * u.cm**2 * u.AA)
    fnu = (flam * (5921.1 * u.AA) ** 2 / const.c).to(u.uJy)
    assert out.data[0, 1] == pytest.approx(fnu.value, rel=1e-9)


def test_hst_already_in_flux_units_is_only_converted():
    hst = hst_image(unit="1e-19 erg / (s cm2 Angstrom)")
    out = rescale_hst_like_muse(hst, muse_image())
    assert out.data[0, 1] == pytest.approx(10.0)


def test_missing_hst_bunit_assumes_the_filter_count_rate_with_a_warning():
    hst = hst_image(unit=u.dimensionless_unscaled, filter_name="F606W")
    with pytest.warns(AstropyUserWarning, match="no BUNIT; assuming electron / s"):
        out = rescale_hst_like_muse(hst, muse_image())
    assert out.data[0, 1] == pytest.approx(7.73)


def test_muse_without_unit_is_taken_as_1e_20_with_a_warning():
    muse = fits.ImageHDU(np.zeros((4, 5), np.float32), celestial_wcs().to_header())
    with pytest.warns(AstropyUserWarning, match="no flux unit.*1e-20"):
        out = rescale_hst_like_muse(hst_image(), muse)
    assert out.unit == MUSE_UNIT


def test_muse_cube_header_gives_unit_and_spatial_grid(tmp_path):
    wcs = WCS(naxis=3)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN", "AWAV"]
    wcs.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600, 1.25]
    wcs.wcs.crval = [53.16, -27.78, 4750.0]
    wcs.wcs.cunit = ["deg", "deg", "Angstrom"]
    header = wcs.to_header()
    header["BUNIT"] = "10**(-20)*erg/s/cm**2/Angstrom"
    path = tmp_path / "cube.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((3, 4, 5), np.float32),
                                                    header, name="DATA")]).writeto(path)
    reference = read_muse_reference(str(path))
    assert reference.shape == (4, 5) and reference.unit == MUSE_UNIT
    out = rescale_hst_like_muse(hst_image(), str(path))
    assert out.unit == MUSE_UNIT and out.data[0, 1] == pytest.approx(9.74)


def test_file_input_is_read_and_never_modified(tmp_path):
    path = tmp_path / "hst.fits"
    header = celestial_wcs(0.03).to_header()
    header["BUNIT"] = "ELECTRONS/S"
    header["FILTER"] = "F850LP"
    fits.PrimaryHDU(np.ones((3, 3), np.float32), header).writeto(path)
    before = path.read_bytes()
    out = rescale_hst_like_muse(str(path), muse_image())
    assert isinstance(out, CCDData) and out.data[0, 0] == pytest.approx(15.0)
    assert path.read_bytes() == before


def test_errors_name_the_problem():
    with pytest.raises(UserError, match="unknown HST filter 'F999W'"):
        rescale_hst_like_muse(hst_image(filter_name="F999W"), muse_image())
    hst = hst_image()
    del hst.meta["FILTER"]
    with pytest.raises(UserError, match="no FILTER keyword"):
        rescale_hst_like_muse(hst, muse_image())
    assert rescale_hst_like_muse(hst, muse_image(), filter_name="F775W").unit == MUSE_UNIT
    with pytest.raises(UserError, match="cannot convert the HST unit 'm'"):
        rescale_hst_like_muse(hst_image(unit="m"), muse_image())
    with pytest.raises(UserError, match="muse: expected a MUSE image"):
        rescale_hst_like_muse(hst_image(), 3.0)


def test_hdfs_wfpc2_counts_per_second(hdfs):
    """HST-HDFS.fits: no BUNIT, WFPC2 F606W, so DN/s at 1.89972e-18 each."""
    with pytest.warns(AstropyUserWarning, match="assuming DN / s"):
        out = rescale_hst_like_muse(str(hdfs / "HST-HDFS.fits"),
                                    str(hdfs / "IMAGE-HDFS-1.34.fits"))
    raw = fits.getdata(hdfs / "HST-HDFS.fits", 1)
    # FSCALE = 9.99999999999999E-21 in the MUSE file.
    assert (1 * out.unit).to_value(MUSE_UNIT) == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(out.data, raw * 189.972, rtol=1e-6)
