"""HstFilterInfo and rescale_hst_like_muse on archive headers and units.

Headers are built from the keywords of real products
(`imphot_astropy.datasets.archive_headers`); each unit an archive writes is
either converted with the header's own calibration or refused with a
message that says what was found and what to pass.
"""

import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.table import Table
from astropy.utils.exceptions import AstropyUserWarning

from imphot_astropy.bandpasses import FilterStandInWarning
from imphot_astropy.datasets import archive_headers, muse_wcs
from imphot_astropy.exceptions import UserError
from imphot_astropy.io import merged_header
from imphot_astropy.preparation import HstFilterInfo, rescale_hst_like_muse, hst_band_filter

MUSE_UNIT = u.Unit("1e-20 erg / (s cm2 Angstrom)")


def header_of(product, **changes):
    primary, sci = archive_headers(product)
    header = merged_header(primary, sci)
    for key, value in changes.items():
        if value is None:
            del header[key]
        else:
            header[key] = value
    return header


def image(header, unit=None):
    """A 4 x 5 image of ones with this header (BUNIT read by the io layer)."""
    header = fits.Header(header, copy=True)
    header.update(muse_wcs((4, 5), 0.05).to_header())
    hdus = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((4, 5), np.float32),
                                                          header, name="SCI")])
    if unit is not None:
        hdus["SCI"].header["BUNIT"] = unit
    return hdus


def muse():
    return CCDData(np.zeros((4, 5)), unit=MUSE_UNIT, wcs=muse_wcs((4, 5)))


def rescaled_value(hdus, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FilterStandInWarning)
        return float(rescale_hst_like_muse(hdus, muse(), **kwargs).data[0, 0])


def test_wfpc2_f814w_is_calibrated_by_its_header():
    info = HstFilterInfo(header_of("wfpc2_f814w"))
    assert (info.instrument, info.filter_name, info.source) == ("WFPC2", "F814W", "header")
    assert (info.photflam, info.photplam, info.photbw) == (2.508e-18, 7995.9, 646.3)
    assert info.rate_unit == u.DN / u.s and info.gain == 7.0
    assert info.abmag_zero == pytest.approx(-2.5 * np.log10(2.508e-18)
                                            - 5 * np.log10(7995.9) - 2.408, abs=1e-3)


def test_wfpc2_gain_from_photmode_and_the_15_gain_is_not_refused_with_a_header():
    info = HstFilterInfo(header_of("wfpc2_f814w", ATODGAIN=None,
                                   PHOTMODE="WFPC2,1,A2D15,F814W,,CAL"))
    assert info.gain == 15.0 and info.source == "header"


@pytest.mark.parametrize("bunit, expected", [
    ("COUNTS/S", 250.8), ("DN/s", 250.8), ("DN/S", 250.8), ("counts/s", 250.8),
    ("ELECTRONS/S", 250.8 / 7.0), ("e/s", 250.8 / 7.0)])
def test_wfpc2_units(bunit, expected):
    assert rescaled_value(image(header_of("wfpc2_f814w"), bunit)) == \
        pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("bunit", ["ELECTRONS/S", "e/s", "electron/s", "E-/S"])
def test_wfc3_uvis_electron_rates(bunit):
    assert rescaled_value(image(header_of("wfc3_uvis_f606w"), bunit)) == \
        pytest.approx(11.365, rel=1e-6)


def test_missing_bunit_is_the_calibration_unit_with_a_warning():
    hdus = image(header_of("acs_wfc_f775w", BUNIT=None))
    with pytest.warns(AstropyUserWarning, match="no BUNIT; assuming electron / s"):
        out = rescale_hst_like_muse(hdus, muse())
    assert out.data[0, 0] == pytest.approx(10.037, rel=1e-6)


@pytest.mark.parametrize("product, bunit, match", [
    ("acs_wfc_f775w", "ELECTRONS", "electrons.*a total.*EXPTIME.*CCDData with unit"),
    ("wfpc2_f814w", "COUNTS", "counts.*a total.*EXPTIME"),
    ("acs_wfc_f775w", "COUNTS/S", "counts/s.*per electron/s.*CCDGAIN.*electron / s"),
    ("acs_wfc_f775w", "MJy/sr", "surface brightness.*PIXAR_SR"),
    ("wfc3_uvis_f814w", "m", "cannot convert the HST unit 'm'.*units understood"),
])
def test_units_that_are_refused_say_what_was_found_and_what_to_pass(product, bunit, match):
    with pytest.raises(UserError, match=match):
        rescale_hst_like_muse(image(header_of(product), bunit), muse())


def test_nircam_mjy_per_sr_times_pixar_sr_at_the_pivot():
    header = header_of("nircam_f090w")
    info = HstFilterInfo(header)
    assert (info.instrument, info.filter_name) == ("NIRCAM", "F090W")
    assert info.rate_unit == u.MJy / u.sr
    pivot = hst_band_filter(header)[0].pivot()
    assert info.photplam == pytest.approx(pivot.to_value(u.AA))
    expected = (1 * u.MJy / u.sr * header["PIXAR_SR"] * u.sr).to(
        MUSE_UNIT, u.spectral_density(pivot))
    assert rescaled_value(image(header)) == pytest.approx(expected.value, rel=1e-9)
    # A rate image (DN/s) goes through PHOTMJSR first.
    assert rescaled_value(image(header, "DN/s")) == \
        pytest.approx(expected.value * header["PHOTMJSR"], rel=1e-9)
    # PIXAR_A2 stands for a missing PIXAR_SR.
    no_sr = header_of("nircam_f090w", PIXAR_SR=None)
    assert rescaled_value(image(no_sr)) == pytest.approx(expected.value, rel=1e-6)


def test_nircam_without_pixel_area_or_from_a_name_is_refused():
    with pytest.raises(UserError, match="no PIXAR_SR.*PIXAR_A2"):
        HstFilterInfo(header_of("nircam_f090w", PIXAR_SR=None, PIXAR_A2=None))
    with pytest.raises(UserError, match="JWST filter.*give the image"):
        HstFilterInfo("NIRCAM_F090W")


def test_nircam_module_curve_from_the_detector():
    info = HstFilterInfo(header_of("nircam_f090w", DETECTOR="NRCB2"))
    assert info.instrument == "NIRCAM/B"
    assert info.bandpass().meta["name"] == "jwst_modb_f090w"


def test_header_without_calibration_falls_back_on_the_table_with_a_warning():
    header = header_of("acs_wfc_f775w", PHOTFLAM=None, PHOTPLAM=None, PHOTBW=None)
    with pytest.warns(AstropyUserWarning, match="no PHOTFLAM and PHOTPLAM.*built-in"):
        info = HstFilterInfo(header)
    assert (info.source, info.photflam) == ("built-in", 9.74e-20)
    # And a filter neither in the header's calibration nor in the table.
    bare = header_of("wfc3_uvis_f814w", PHOTFLAM=None, PHOTPLAM=None)
    with pytest.raises(UserError, match="WFC3/UVIS: the image's header carries no "
                                        "PHOTFLAM.*add those keywords"):
        HstFilterInfo(bare)


def test_the_header_calibration_is_that_of_its_own_filter():
    """filter_name naming another filter does not take the header's PHOTFLAM."""
    with pytest.warns(AstropyUserWarning, match="built-in"):
        info = HstFilterInfo(header_of("acs_wfc_f775w"), filter_name="F606W")
    assert (info.filter_name, info.photflam) == ("F606W", 7.73e-20)


def test_stand_in_curves_and_the_refusal_without_one():
    with pytest.warns(FilterStandInWarning, match="WFPC2 F814W.*ACS/WFC F814W"):
        bandpass, pivot = hst_band_filter(header_of("wfpc2_f814w"))
    assert bandpass.meta["stand_in_for"] == "WFPC2 F814W" and pivot == 7995.9
    header = header_of("wfpc2_f814w", FILTNAM1="F300W",
                       PHOTMODE="WFPC2,1,A2D7,F300W,,CAL")
    # The calibration needs no curve...
    assert HstFilterInfo(header).photflam == 2.508e-18
    # ...the MUSE image does, and none is installed: say what was looked for.
    with pytest.raises(UserError, match="WFPC2 F300W or ACS/WFC F300W or WFC3/UVIS "
                                        "F300W.*pass the filter's curve"):
        hst_band_filter(header)


def test_a_user_curve_replaces_the_stand_in(tmp_path):
    wave = np.linspace(6800.0, 9500.0, 50)
    thru = np.exp(-0.5 * ((wave - 8000.0) / 500.0) ** 2)
    for curve in (Table([wave * u.AA, thru], names=["wavelength", "throughput"]),
                  tmp_path / "wfpc2_f814w.dat"):
        if not isinstance(curve, Table):
            np.savetxt(curve, np.column_stack([wave, thru]))
            curve = str(curve)
        with warnings.catch_warnings():
            warnings.simplefilter("error", FilterStandInWarning)
            bandpass, _ = hst_band_filter(header_of("wfpc2_f814w"), filter_curve=curve)
            info = HstFilterInfo(header_of("wfpc2_f814w"), filter_curve=curve)
        pivot = np.sqrt(np.trapezoid(thru * wave, wave) / np.trapezoid(thru / wave, wave))
        assert bandpass.pivot().to_value(u.AA) == pytest.approx(pivot, rel=1e-4)
        assert info.bandpass() is not None and info.photflam == 2.508e-18


def test_wfc3_ir_from_photmode_alone():
    """A SCI header read on its own (no primary): PHOTMODE names camera and filter."""
    header = fits.Header({"BUNIT": "ELECTRONS/S", "PHOTMODE": "WFC3,IR,F105W",
                          "PHOTFLAM": 3.04e-20, "PHOTPLAM": 10551.0})
    info = HstFilterInfo(header)
    assert (info.instrument, info.filter_name, info.source) == ("WFC3/IR", "F105W", "header")
    assert info.bandpass().meta["name"] == "wfc3_ir_f105w"
    assert info.photbw == pytest.approx(info.bandpass().photbw().to_value(u.AA))
