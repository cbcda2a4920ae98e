"""The one MUSE-style image writer: HDU names, types, units, WCS and headers.

The file written is checked as MPDAF and the MUSE pipeline would see it
(extension names, BITPIX, BUNIT, the WCS of every extension), read back by
`read_image` and by MPDAF, and the three writers of the package (bandpass
images, regridded HST images, corrected MUSE images) are checked to write
the same layout.
"""

import os
from types import SimpleNamespace

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData, VarianceUncertainty
from astropy.wcs import WCS

from imphot_astropy.datasets import muse_wcs
from imphot_astropy.exceptions import UserError
from imphot_astropy.io import (MUSE_FLUX_UNIT, flux_unit_from_header, format_bunit,
                               muse_image_hdulist, read_image, write_muse_image)

SHAPE = (30, 40)
UNIT = 1e-20 * MUSE_FLUX_UNIT
# What the file must say, in the FITS spelling of astropy.
BUNIT = "10**-20 erg Angstrom-1 s-1 cm-2"
STAT_BUNIT = "10**-40 erg2 Angstrom-2 s-2 cm-4"


def _image():
    rng = np.random.default_rng(5)
    data = rng.normal(10.0, 1.0, SHAPE)
    variance = rng.uniform(0.5, 2.0, SHAPE)
    mask = np.zeros(SHAPE, bool)
    mask[3:6, 7] = True
    data[20, 30] = np.nan  # unmasked NaN: must end up masked too
    meta = fits.Header()
    meta["OBJECT"] = "HDFS"
    meta["HIERARCH ESO OBS ID"] = 12345
    meta["FSCALE"] = (1e-20, "stale unit scale")
    meta["BUNIT"] = "ELECTRONS/S"       # stale: the unit is image.unit
    meta["CRPIX1"] = 999.0              # stale: the WCS is image.wcs
    meta["CD1_1"] = 1.0
    meta["A_ORDER"] = 2
    meta.add_history("made by the test")
    image = CCDData(data, unit=UNIT, wcs=muse_wcs(SHAPE, rotation=25.0), mask=mask,
                    uncertainty=VarianceUncertainty(variance), meta=meta)
    return image, mask | ~np.isfinite(data)


def test_written_file_layout_types_units_and_wcs(tmp_path):
    image, bad = _image()
    path = tmp_path / "image.fits"
    write_muse_image(image, path, data_header={"IMPCORR": "x,y", "CRVAL1": 0.0})
    with fits.open(path) as hdul:
        assert [h.name for h in hdul] == ["PRIMARY", "DATA", "STAT", "DQ"]
        assert hdul[0].data is None
        bitpix = {h.name: h.header["BITPIX"] for h in hdul[1:]}
        assert bitpix == {"DATA": -32, "STAT": -32, "DQ": 32}
        assert hdul["DQ"].data.dtype == np.dtype(">i4")
        assert hdul["DATA"].header["BUNIT"] == BUNIT
        assert hdul["STAT"].header["BUNIT"] == STAT_BUNIT
        assert "BUNIT" not in hdul["DQ"].header
        for name in ("DATA", "STAT", "DQ"):
            wcs = WCS(hdul[name].header)
            x, y = np.array([0.0, 17.5, 39.0]), np.array([0.0, 11.0, 29.0])
            np.testing.assert_allclose(wcs.pixel_to_world_values(x, y),
                                       image.wcs.pixel_to_world_values(x, y),
                                       rtol=0, atol=1e-11)
            assert "A_ORDER" not in hdul[name].header
        np.testing.assert_array_equal(hdul["DQ"].data, bad.astype(np.int32))
        assert np.isnan(hdul["DATA"].data[bad]).all()
        assert np.isnan(hdul["STAT"].data[bad]).all()
        np.testing.assert_allclose(hdul["DATA"].data[~bad], image.data[~bad], rtol=1e-7)
        # Descriptive keywords are kept, stale structure, unit and WCS are not.
        primary = hdul[0].header
        assert primary["OBJECT"] == "HDFS" and primary["ESO OBS ID"] == 12345
        assert "made by the test" in str(primary["HISTORY"])
        for keyword in ("FSCALE", "BUNIT", "CRPIX1", "CD1_1", "A_ORDER"):
            assert keyword not in primary
        assert hdul["DATA"].header["IMPCORR"] == "x,y"
        assert hdul["DATA"].header["CRVAL1"] == pytest.approx(image.wcs.wcs.crval[0])


def test_written_file_reads_back_here_and_in_mpdaf(tmp_path):
    image, bad = _image()
    path = str(tmp_path / "image.fits")
    write_muse_image(image, path)
    back = read_image(path)
    assert back.unit == UNIT
    np.testing.assert_array_equal(back.mask, bad)
    np.testing.assert_allclose(back.data[~bad], image.data[~bad], rtol=1e-7)
    np.testing.assert_allclose(back.variance[~bad], image.uncertainty.array[~bad], rtol=1e-7)
    mpdaf_obj = pytest.importorskip("mpdaf.obj")
    muse = mpdaf_obj.Image(path)
    assert u.Unit(muse.unit) == UNIT
    np.testing.assert_array_equal(muse.mask, bad)
    np.testing.assert_allclose(muse.var.data[~bad], image.uncertainty.array[~bad], rtol=1e-7)


def test_dq_and_stat_only_when_there_is_something_to_hold():
    data = np.ones(SHAPE)
    plain = CCDData(data, unit="adu", wcs=muse_wcs(SHAPE))
    assert [h.name for h in muse_image_hdulist(plain)] == ["PRIMARY", "DATA"]
    with_mask = CCDData(data, unit="adu", wcs=muse_wcs(SHAPE), mask=np.zeros(SHAPE, bool))
    hdul = muse_image_hdulist(with_mask)
    assert [h.name for h in hdul] == ["PRIMARY", "DATA", "DQ"]
    assert not hdul["DQ"].data.any()
    dimensionless = CCDData(data, unit=u.dimensionless_unscaled, wcs=muse_wcs(SHAPE))
    assert "BUNIT" not in muse_image_hdulist(dimensionless)["DATA"].header


def test_not_a_2d_image_names_the_argument(tmp_path):
    cube = CCDData(np.ones((2, 3, 4)), unit="adu")
    with pytest.raises(UserError, match="--output: expected a 2D image, not 3D"):
        write_muse_image(cube, tmp_path / "x.fits", argname="--output")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("unit, text", [(UNIT, BUNIT), ("adu", "adu"),
                                        ("electron/s", "electron / s"),
                                        (3.5 * u.erg, "3.5 erg"), (None, None),
                                        (u.dimensionless_unscaled, None)])
def test_format_bunit_reads_back_as_the_same_unit(unit, text):
    assert format_bunit(unit) == text
    if text is not None:
        assert flux_unit_from_header(fits.Header({"BUNIT": text})) == (u.Unit(unit), None)


def test_the_three_image_writers_share_the_layout(tmp_path):
    """Bandpass, regridded and corrected images: same HDUs, types and units."""
    from imphot_astropy.corrections import write_aligned_image
    from imphot_astropy.fitting import FittedValue
    from imphot_astropy.preparation import write_regridded_hst

    image, bad = _image()
    source = tmp_path / "muse.fits"
    write_muse_image(image, source)
    fit = SimpleNamespace(dx=FittedValue(0.1), dy=FittedValue(0.0), scale=FittedValue(1.0),
                          bg=FittedValue(0.0), unit=UNIT, method="image")
    write_regridded_hst(image, tmp_path / "regridded.fits")
    write_aligned_image(str(source), fit, output=tmp_path / "aligned.fits")
    layouts = []
    for name in ("muse.fits", "regridded.fits", "aligned.fits"):
        with fits.open(tmp_path / name) as hdul:
            layouts.append([(h.name, h.header["BITPIX"], h.header.get("BUNIT"))
                            for h in hdul])
            np.testing.assert_array_equal(hdul["DQ"].data != 0, bad)
    assert layouts[0] == layouts[1] == layouts[2] == [
        ("PRIMARY", 8, None), ("DATA", -32, BUNIT), ("STAT", -32, STAT_BUNIT),
        ("DQ", 32, None)]
