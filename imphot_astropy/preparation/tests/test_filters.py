"""HstFilterInfo: published constants, and the filter named by headers."""

import math

import astropy.units as u
import pytest
from astropy.io import fits

from imphot_astropy.exceptions import UserError
from imphot_astropy.preparation import HstFilterInfo

ACS_FILTERS = ["F435W", "F475W", "F555W", "F606W", "F625W", "F775W", "F814W", "F850LP"]


@pytest.mark.parametrize("name", ACS_FILTERS + ["WFPC2_F606W"])
def test_constants_obey_the_ab_zero_point_relation(name):
    """abmag_zero = -2.5 log10(photflam) - 5 log10(photplam) - 2.408 (STScI)."""
    info = HstFilterInfo(name)
    implied = -2.5 * math.log10(info.photflam) - 5 * math.log10(info.photplam) - 2.408
    assert implied == pytest.approx(info.abmag_zero, abs=0.01)


def test_published_values_from_the_issue():
    for name, (zero, plam, flam, bw) in {
            "F606W": (26.51, 5921.1, 7.73e-20, 672.3),
            "F775W": (25.69, 7692.4, 9.74e-20, 434.4),
            "F814W": (25.94, 8057.0, 7.05e-20, 652.0),
            "F850LP": (24.87, 9033.1, 1.50e-19, 525.7)}.items():
        info = HstFilterInfo(name)
        assert (info.abmag_zero, info.photplam, info.photflam, info.photbw) == \
            (zero, plam, flam, bw)
        assert info.instrument == "ACS/WFC" and info.rate_unit == u.electron / u.s


@pytest.mark.parametrize("spelling", ["f775w", "ACS_WFC_F775W", "acs/wfc/F775W", " F775W "])
def test_name_spellings(spelling):
    assert HstFilterInfo(spelling).filter_name == "F775W"


def header(**cards):
    return fits.Header(cards)


@pytest.mark.parametrize("cards, expected", [
    (dict(FILTER="F814W"), "F814W"),
    (dict(FILTER1="CLEAR1L", FILTER2="F850LP"), "F850LP"),
    (dict(FILTER1="F606W", FILTER2="CLEAR2L"), "F606W"),
    (dict(INSTRUME="ACS", FILTER1="F435W", FILTER2="CLEAR2S"), "F435W"),
])
def test_filter_from_acs_header(cards, expected):
    info = HstFilterInfo(header(**cards))
    assert info.filter_name == expected and info.instrument == "ACS/WFC"


def test_wfpc2_header_names_filter_in_filtnam1():
    # As in HST-HDFS.fits: FILTER1 is a wheel number, FILTNAM1 the name.
    info = HstFilterInfo(header(INSTRUME="WFPC2", FILTNAM1="F606W", FILTNAM2="",
                                FILTER1=28, FILTER2=0, ATODGAIN=7.0))
    assert (info.instrument, info.filter_name) == ("WFPC2", "F606W")
    assert info.rate_unit == u.DN / u.s and info.gain == 7.0


def test_filter_name_argument_names_or_overrides_the_filter():
    assert HstFilterInfo(header(), filter_name="F775W").filter_name == "F775W"
    assert HstFilterInfo(header(FILTER="F606W"), filter_name="F814W").filter_name == "F814W"
    # A bare name takes the instrument from the header.
    assert HstFilterInfo(header(INSTRUME="WFPC2"), filter_name="F606W").instrument == "WFPC2"
    assert HstFilterInfo(header(), filter_name="WFPC2_F606W").instrument == "WFPC2"


def test_unknown_or_missing_filter_is_a_user_error():
    with pytest.raises(UserError, match="unknown HST filter 'F999W'.*F435W"):
        HstFilterInfo("F999W")
    with pytest.raises(UserError, match="unknown HST filter 'WFPC2_F814W' for WFPC2"):
        HstFilterInfo("WFPC2_F814W")
    with pytest.raises(UserError, match="no FILTER keyword.*filter_name"):
        HstFilterInfo(header(FILTER1="CLEAR1L", FILTER2="CLEAR2L"))
    with pytest.raises(UserError, match="does not exist"):
        HstFilterInfo("no_such_file.fits")


def test_wfpc2_gain_14_is_refused():
    with pytest.raises(UserError, match="ATODGAIN = 14"):
        HstFilterInfo(header(INSTRUME="WFPC2", FILTNAM1="F606W", ATODGAIN=14.0))


def test_equivalencies_convert_count_rates():
    flam = u.erg / (u.s * u.cm**2 * u.AA)
    acs = HstFilterInfo("F775W")
    assert (2 * u.electron / u.s).to_value(flam, equivalencies=acs.equivalencies()) == \
        pytest.approx(2 * 9.74e-20)
    wfpc2 = HstFilterInfo("WFPC2_F606W")
    per_dn = (1 * u.DN / u.s).to_value(flam, equivalencies=wfpc2.equivalencies())
    per_e = (1 * u.electron / u.s).to_value(flam, equivalencies=wfpc2.equivalencies())
    assert per_dn == pytest.approx(1.89972e-18)
    assert per_e == pytest.approx(per_dn / 7.0)


def test_hdfs_file_is_wfpc2_f606w_and_matches_its_own_calibration(hdfs):
    """The HDFS cutout has no FILTER keyword, but FILTNAM1 and INSTRUME.

    Its header carries the pipeline's own PHOTFLAM/PHOTPLAM/PHOTBW, which
    the tabulated WFPC2 F606W constants must equal.
    """
    path = hdfs / "HST-HDFS.fits"
    info = HstFilterInfo(str(path))
    assert (info.instrument, info.filter_name) == ("WFPC2", "F606W")
    primary = fits.getheader(path, 0)
    assert info.photflam == pytest.approx(primary["PHOTFLAM"], rel=1e-6)
    assert info.photplam == pytest.approx(primary["PHOTPLAM"], rel=1e-6)
    assert info.photbw == pytest.approx(primary["PHOTBW"], rel=1e-6)
    assert HstFilterInfo(str(path), filter_name="F606W").instrument == "WFPC2"
