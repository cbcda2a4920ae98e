"""The image fit's options are checked once, into a frozen record (issue 24)."""

import dataclasses

import astropy.units as u
import pytest

from imphot_astropy import UserError
from imphot_astropy.fitting.options import (ImageFitOptions, DEFAULT_HST_FWHM,
                                            DEFAULT_HST_BETA)


def test_units_and_defaults_in_one_place():
    options = ImageFitOptions.from_keywords(fix_fwhm=0.011 * u.arcmin, margin=3,
                                            init_dx=50 * u.mas, taper=7)
    assert options.fix_fwhm == pytest.approx(0.66)
    assert options.init_dx == pytest.approx(0.05)
    assert options.margin == 3.0 and isinstance(options.margin, float)
    # An integer taper keeps its type: it chooses the reference's bevel.
    assert options.taper == 7 and isinstance(options.taper, int)
    assert ImageFitOptions.from_keywords(taper=7.0).taper == 7.0
    assert (options.hst_fwhm, options.hst_beta) == (DEFAULT_HST_FWHM, DEFAULT_HST_BETA)
    # Pixels of 0.2" along x and 0.25" along y: margins in (rows, columns).
    assert options.margin_pixels((0.2, 0.25)) == (12, 15)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.margin = 1.0


def test_a_flux_background_is_converted_to_the_muse_unit():
    unit = u.Unit("1e-20 erg / (s cm2 Angstrom)")
    options = ImageFitOptions.from_keywords(fix_bg=2e-20 * u.Unit("erg / (s cm2 Angstrom)"))
    assert options.for_muse_unit(unit).fix_bg == pytest.approx(2.0)


@pytest.mark.parametrize("keywords, message", [
    (dict(fix_beta=1.0), "fix_beta: a Moffat beta must be > 1"),
    (dict(hst_beta=0.9), "hst_beta: a Moffat beta must be > 1"),
    (dict(margin=-1.0), "margin: must be >= 0"),
    (dict(hst_fwhm=None), "hst_fwhm: a number is required"),
    (dict(fix_dx=1 * u.kg), "fix_dx"),
    (dict(init_dy="0.1"), "init_dy: expected a number"),
])
def test_bad_options_are_named(keywords, message):
    with pytest.raises(UserError, match=message):
        ImageFitOptions.from_keywords(**keywords)


def test_the_start_point():
    # Nothing given: from the cross-correlation peak, at (0, 0) otherwise.
    start = ImageFitOptions.from_keywords().start()
    assert (start.dx, start.dy, start.coarse, start.linear) == (0.0, 0.0, True, None)
    # A fixed offset wins over an initial one; any of them means no coarse start.
    start = ImageFitOptions.from_keywords(fix_dx=0.1, init_dx=0.3, init_dy=-0.2).start()
    assert (start.dx, start.dy, start.coarse) == (0.1, -0.2, False)
    assert start.moved(dx=0.5).dx == 0.5 and start.dx == 0.1


def test_the_survey_options_per_band_are_the_same_record():
    from imphot_astropy.survey.cube_fit import _band_options

    options = _band_options(["A", "B"], dict(fix_beta=2.5, margin=1.5),
                            {"B": dict(margin=3 * u.arcsec, taper=5)})
    assert options["A"] == ImageFitOptions.from_keywords(fix_beta=2.5, margin=1.5)
    assert (options["B"].margin, options["B"].taper, options["B"].fix_beta) == (3.0, 5, 2.5)
    with pytest.raises(UserError, match="fix_beta"):
        _band_options(["A"], dict(fix_beta=0.5), None)
