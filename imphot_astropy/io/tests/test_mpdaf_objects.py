"""MPDAF Image and Cube objects give the numbers of the files they were read from.

A script ported from the MPDAF-based reference tool passes ``mpdaf.obj``
objects; the package reads them (without importing mpdaf) as the FITS
files they stand for. Compared here against the files themselves, on the
HDFS sample data: the image fit, its regridding and a bandpass image of
the cube. The WCS comes from the object's ``wcs.to_header()``, which
writes 14 significant digits (the file has 15), so the fits may differ in
their last bits: each value is held to 1e-6 of its own uncertainty, and
arrays to 1e-9 of their spread; the unit, mask and headers exactly.
"""

from types import SimpleNamespace

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits
from astropy.wcs import WCS

from imphot_astropy.exceptions import UserError
from imphot_astropy.io import is_mpdaf_object, mpdaf_hdulist, read_image

mpdaf_obj = pytest.importorskip("mpdaf.obj", reason="mpdaf (the test extra) is needed "
                                "to build the MPDAF objects compared with their files")

# The HST filter of the bandpass images: the cube (7300-9293 A) holds 80% of
# its response.
BAND = "F814W"
NAMES = ("scale", "bg", "dx", "dy", "fwhm", "beta", "dra", "ddec")
# Of each value's uncertainty: far above the 1e-13 sigma seen, far below
# anything that means something.
FRACTION = 1e-6


def assert_same_image(from_file, from_object):
    """Two CCDData images: the same unit, mask, WCS and values."""
    assert from_object.unit == from_file.unit
    assert np.array_equal(np.asarray(from_object.mask), np.asarray(from_file.mask))
    spread = np.nanstd(from_file.data)
    np.testing.assert_allclose(from_object.data, from_file.data, rtol=0,
                               atol=1e-9 * spread)
    assert from_object.wcs.to_header_string() == from_file.wcs.to_header_string()


def test_hdfs_image_fit_from_mpdaf_images(hdfs):
    from imphot_astropy.photometry import fit_image_photometry
    hst = hdfs / "HST-HDFS-on-MUSE-grid.fits"
    muse = hdfs / "IMAGE-HDFS-1.34.fits"
    from_files = fit_image_photometry(hst, muse, fix_beta=2.5)
    from_objects = fit_image_photometry(mpdaf_obj.Image(str(hst)),
                                        mpdaf_obj.Image(str(muse)), fix_beta=2.5)
    for name in NAMES:
        expected, got = getattr(from_files, name), getattr(from_objects, name)
        assert got.value == pytest.approx(expected.value, rel=0,
                                          abs=FRACTION * expected.stdev), name
        assert got.stdev == pytest.approx(expected.stdev, rel=1e-9), name
    assert from_objects.rms_error == pytest.approx(from_files.rms_error, rel=1e-9)
    assert from_objects.filename == from_files.filename == str(muse)


def test_hdfs_image_read_from_mpdaf_image_as_from_its_file(hdfs):
    path = str(hdfs / "IMAGE-HDFS-1.34.fits")
    from_file, from_object = read_image(path, "muse"), read_image(mpdaf_obj.Image(path), "muse")
    # The file has FSCALE and no BUNIT: MPDAF calls that a dimensionless 1e-20,
    # the file reader 1e-20 erg/s/cm2/Angstrom (and says so); the object too.
    assert from_object.unit == from_file.unit == u.Unit("1e-20 erg/(s cm2 Angstrom)")
    assert from_object.notes == from_file.notes
    # MPDAF widens the float32 file to float64; its values are the file's.
    assert np.array_equal(from_object.data, from_file.data)
    assert np.array_equal(from_object.mask, from_file.mask)
    assert np.array_equal(from_object.variance, from_file.variance, equal_nan=True)
    assert from_object.keywords("DATE-OBS", "FSCALE") == from_file.keywords(
        "DATE-OBS", "FSCALE")


def test_hdfs_regridding_from_mpdaf_images(hdfs):
    from imphot_astropy.preparation import regrid_hst_like_muse, rescale_hst_like_muse
    hst, muse = str(hdfs / "HST-HDFS.fits"), str(hdfs / "IMAGE-HDFS-1.34.fits")
    from_files = regrid_hst_like_muse(hst, muse)
    from_objects = regrid_hst_like_muse(mpdaf_obj.Image(hst), mpdaf_obj.Image(muse))
    assert_same_image(from_files, from_objects)
    for key in ("IMPFILT", "IMPFCUT", "FILENAME"):
        assert from_objects.meta[key] == from_files.meta[key]
    # The MUSE unit the HST image is rescaled to, from the object's headers.
    assert_same_image(rescale_hst_like_muse(from_files, muse, inplace=False),
                      rescale_hst_like_muse(from_objects, mpdaf_obj.Image(muse),
                                            inplace=False))
    # And the HST image itself given as an MPDAF Image.
    assert_same_image(rescale_hst_like_muse(hst, muse),
                      rescale_hst_like_muse(mpdaf_obj.Image(hst), mpdaf_obj.Image(muse)))


@pytest.mark.filterwarnings("ignore::imphot_astropy.wideband.FilterTruncationWarning")
def test_hdfs_bandpass_image_from_mpdaf_cube(hdfs):
    from imphot_astropy.wideband import bandpass_image
    path = str(hdfs / "CUBE.fits")
    from_file = bandpass_image(path, BAND)
    cube = mpdaf_obj.Cube(path)
    # MPDAF multiplies BUNIT by FSCALE (1e-40 erg/s/cm2/Angstrom here); the
    # file's BUNIT alone says 1e-20, and the object is read as its file.
    assert cube.unit.to(u.Unit("1e-40 erg/(s cm2 Angstrom)")) == pytest.approx(1, rel=1e-12)
    from_object = bandpass_image(cube, BAND)
    assert np.isfinite(from_file.data).all() and np.ptp(from_file.data) > 0
    assert_same_image(from_file, from_object)
    np.testing.assert_allclose(from_object.uncertainty.array, from_file.uncertainty.array,
                               rtol=1e-12)
    assert dict(from_object.meta) == dict(from_file.meta)


def test_cropped_object_keeps_its_own_wcs(hdfs):
    """The object's current WCS is used, not the file's (kept in data_header)."""
    path = str(hdfs / "IMAGE-HDFS-1.34.fits")
    whole = read_image(path, "muse")
    part = read_image(mpdaf_obj.Image(path)[40:90, 100:170], "muse")
    assert part.shape == (50, 70)
    assert np.array_equal(part.data, whole.data[40:90, 100:170])
    corner = whole.wcs.pixel_to_world(100, 40)
    assert part.wcs.pixel_to_world(0, 0).separation(corner) < 1e-9 * u.arcsec


@pytest.mark.filterwarnings("ignore::imphot_astropy.wideband.FilterTruncationWarning")
def test_unit_set_on_the_object_is_used(hdfs):
    from imphot_astropy.wideband import bandpass_image
    cube = mpdaf_obj.Cube(str(hdfs / "CUBE.fits"))
    cube.unit = u.Unit("1e-19 erg/(s cm2 Angstrom)")
    assert bandpass_image(cube, BAND).unit == cube.unit


def _fake_image(**changes):
    """An object with an MPDAF Image's attributes, no mpdaf needed."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    wcs.wcs.crval = [338.2, -60.5]
    parts = dict(data=np.ma.masked_invalid([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]]),
                 var=np.ma.array(np.full((2, 3), 0.25)), unit=u.Unit("1e-20 erg/(s cm2 Angstrom)"),
                 wcs=SimpleNamespace(to_header=wcs.to_header),
                 primary_header=fits.Header({"DATE-OBS": "2014-11-23T04:18:00.123"}),
                 data_header=fits.Header(), filename=None)
    parts.update(changes)
    return SimpleNamespace(**parts)


def test_duck_typed_object_without_mpdaf():
    image = read_image(_fake_image(), "muse")
    assert image.unit == u.Unit("1e-20 erg/(s cm2 Angstrom)")
    assert image.mask.tolist() == [[False, True, False], [False, False, False]]
    assert np.array_equal(image.variance, np.full((2, 3), 0.25))
    assert image.keywords("DATE-OBS") == {"DATE-OBS": "2014-11-23T04:18:00.123"}
    assert image.name == "muse" and image.filename is None
    hdulist, _ = mpdaf_hdulist(_fake_image())
    assert [hdu.name for hdu in hdulist] == ["PRIMARY", "DATA", "STAT", "DQ"]


@pytest.mark.parametrize("broken, match", [
    (dict(wcs=SimpleNamespace(to_header=lambda: "RA---TAN")), "wcs.to_header"),
    (dict(data=[[1.0, 2.0]]), "not a \\(masked\\) numpy array"),
    (dict(data=np.ma.zeros(4)), "1 dimensions"),
    (dict(var=np.ma.zeros((3, 3))), "var has shape"),
    (dict(unit="furlongs per fortnight"), "not a unit"),
])
def test_inconsistent_object_is_refused(broken, match):
    with pytest.raises(UserError, match="muse: .*" + match):
        read_image(_fake_image(**broken), "muse")


def test_unknown_objects_are_refused_with_user_errors():
    """Never an AttributeError, whatever is passed."""
    from imphot_astropy.preparation import regrid_hst_like_muse, rescale_hst_like_muse
    from imphot_astropy.wideband import bandpass_image
    image = _fake_image()
    # Looks like MPDAF but is not: a wcs without to_header.
    impostor = _fake_image(wcs=SimpleNamespace(naxis=2))
    assert not is_mpdaf_object(impostor)
    with pytest.raises(UserError, match="muse: expected"):
        read_image(impostor, "muse")
    with pytest.raises(UserError, match="hst: expected"):
        regrid_hst_like_muse(impostor, image)
    with pytest.raises(UserError, match="muse: the WCS must be an astropy WCS"):
        regrid_hst_like_muse(image, SimpleNamespace(wcs=object(), shape=(2, 3)))
    with pytest.raises(UserError, match="muse: the WCS must be an astropy WCS"):
        rescale_hst_like_muse(image, SimpleNamespace(wcs=object(), shape=(2, 3),
                                                     unit=u.Jy))
    with pytest.raises(UserError, match="cube: the cube's WCS is a .*not an astropy WCS"):
        bandpass_image(SimpleNamespace(data=np.zeros((3, 2, 2)), wcs=object()), BAND)
    with pytest.raises(UserError, match="cube: expected a 3D cube"):
        bandpass_image(image, BAND)
    with pytest.raises(UserError, match="cube: expected"):
        bandpass_image(object(), BAND)


@pytest.mark.filterwarnings("ignore::imphot_astropy.wideband.FilterTruncationWarning")
def test_cube_fit_from_mpdaf_cube(tmp_path):
    """The survey fit of an exposure cube, from the file and from its MPDAF Cube.

    The file holds float32 values that MPDAF widens to float64, and the
    bandpass sums then round differently: the fits agree to 4e-5 of their
    uncertainties, held here to 1e-3.
    """
    from imphot_astropy.datasets.exposures import make_exposure_cube, write_exposure_cube
    from imphot_astropy.survey import fit_cube_photometry
    cube, hst, _ = make_exposure_cube(shape=(80, 80), nplanes=120,
                                      filters=["F606W", "F775W"], dx=0.31, dy=-0.22,
                                      noise=0.1, seed=8)
    path = str(tmp_path / "exposure.fits")
    write_exposure_cube(cube, path)
    mpdaf_cube = mpdaf_obj.Cube(path)
    from_file = fit_cube_photometry(path, hst, fix_beta=2.5, psf_nodes=2)
    from_object = fit_cube_photometry(mpdaf_cube, hst, fix_beta=2.5, psf_nodes=2)
    for name in ("dx", "dy", "dra", "ddec"):
        expected, got = getattr(from_file, name), getattr(from_object, name)
        assert got.value == pytest.approx(expected.value, abs=1e-3 * expected.stdev), name
    assert (from_object.name, from_object.filename) == ("exposure", path)
    assert (from_object.date_obs, from_object.mjd_obs) == (from_file.date_obs,
                                                           from_file.mjd_obs)
