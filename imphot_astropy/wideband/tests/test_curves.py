"""Reading filter curves from files, arrays, synphot and HST names."""

import numpy as np
import pytest
import astropy.units as u
from synphot import SpectralElement, Empirical1D

from imphot_astropy.exceptions import UserError
from imphot_astropy.wideband.curves import read_filter_curve, FilterCurve


def test_ascii_file_with_comments_and_extra_columns(tmp_path):
    path = tmp_path / "wfc_F606W.dat"
    path.write_text("# ACS WFC F606W\n# wave thru err\n"
                    "500.0 0.0 9\n550.0 0.5 9\n\n# mid comment\n600.0 0.25 9\n")
    curve = read_filter_curve(str(path), unit_wave=u.nm)
    assert curve.name == "wfc_F606W"
    np.testing.assert_array_equal(curve.wavelengths, [500.0, 550.0, 600.0])
    np.testing.assert_array_equal(curve.throughput, [0.0, 0.5, 0.25])
    np.testing.assert_allclose(curve.to_angstrom(), [5000.0, 5500.0, 6000.0])


def test_arrays_quantities_and_pixels():
    curve = read_filter_curve([1.0, 2.0, 3.0], [0.0, 1.0, 0.0], unit_wave=None)
    assert curve.unit is None
    nm = read_filter_curve(u.Quantity([600.0, 700.0], u.nm), [1.0, 1.0])
    np.testing.assert_allclose(nm.wavelengths, [6000.0, 7000.0])
    # Increasing frequencies are decreasing wavelengths: the curve is reversed.
    freq = ([6000.0, 7000.0] * u.AA).to(u.THz, u.spectral())[::-1]
    reversed_curve = read_filter_curve(freq, [2.0, 1.0])
    np.testing.assert_allclose(reversed_curve.wavelengths, [6000.0, 7000.0])
    np.testing.assert_array_equal(reversed_curve.throughput, [1.0, 2.0])


def test_synphot_element_and_hst_name():
    bandpass = SpectralElement(Empirical1D, points=[6000, 6500, 7000] * u.AA,
                               lookup_table=[0.0, 0.8, 0.0])
    curve = read_filter_curve(bandpass)
    np.testing.assert_allclose(curve.wavelengths, [6000, 6500, 7000])
    np.testing.assert_allclose(curve.throughput, [0.0, 0.8, 0.0])
    hst = read_filter_curve("ACS_WFC_F814W")
    assert hst.name == "acs_wfc_f814w" and hst.unit == u.AA
    assert 6500 < hst.wavelengths[0] < hst.wavelengths[-1] < 10500


@pytest.mark.parametrize("content, message", [
    ("", "contains no filter curve"),
    ("# only a comment\n", "contains no filter curve"),
    ("5000 0.1\n5100 0.5\n5200", "truncated"),
    ("5000 0.1\n5100 zero\n", "not a two-column table"),
    ("5000 0.1\n5200 0.5\n5100 0.2\n", "wavelengths must increase"),
    ("5000 0.1\n5100 -0.5\n5200 0.2\n", "must not be negative"),
    ("5000 0\n5100 0\n", "zero everywhere"),
    ("5000 0.1\n", "at least 2 samples"),
])
def test_bad_files_are_user_errors(tmp_path, content, message):
    path = tmp_path / "curve.dat"
    path.write_text(content)
    with pytest.raises(UserError, match=message) as info:
        read_filter_curve(str(path), argname="FILTER")
    assert str(info.value).startswith("FILTER: ")


def test_binary_file_and_unknown_name(tmp_path):
    path = tmp_path / "curve.fits"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UserError, match="not"):
        read_filter_curve(str(path))
    with pytest.raises(UserError, match="neither an existing file nor a known HST"):
        read_filter_curve("F999Q")
    with pytest.raises(UserError, match="directory"):
        read_filter_curve(str(tmp_path))


@pytest.mark.parametrize("wave, thru, message", [
    ([5000, 5000, 5100], [0, 1, 0], "must increase"),
    ([5100, 5000], [1, 1], "must increase"),
    ([5000, 5100], [1, np.nan], "NaN"),
    ([5000, 5100, 5200], [1, 1], "equal length"),
    ([[5000, 5100]], [[1, 1]], "1D"),
    ([5000, 5100], [1, -1e-3], "negative"),
])
def test_bad_arrays_are_user_errors(wave, thru, message):
    with pytest.raises(UserError, match=message):
        read_filter_curve(wave, thru)


def test_other_types_are_user_errors():
    with pytest.raises(UserError, match="expected a file name"):
        read_filter_curve(42)
    curve = read_filter_curve([1.0, 2.0], [1.0, 1.0])
    assert read_filter_curve(curve) is curve
    assert isinstance(curve, FilterCurve)
