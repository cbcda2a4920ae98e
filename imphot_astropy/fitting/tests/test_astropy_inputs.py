"""Astropy objects in: SkyCoord stars, table rows, regions objects, Quantity keywords.

Each form must give exactly the result of the reference tool's form.
"""

import os

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table, QTable
from regions import Regions, CircleSkyRegion, RectanglePixelRegion, PixCoord

from imphot_astropy import UserError
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.fitting import measure_star_photometry, measure_image_photometry

NAMES = ("scale", "bg", "dx", "dy", "fwhm", "beta")


@pytest.fixture(scope="module")
def pair():
    return make_synthetic_pair(shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)],
                               seed=1)


@pytest.fixture(scope="module")
def tuple_fit(pair):
    hst, muse, truth = pair
    return measure_star_photometry(hst, muse, (*truth["star_radec"][0], 2.0))


def assert_same(fit, expected):
    for name in NAMES:
        assert getattr(fit, name) == getattr(expected, name), name
    assert fit.rms_error == expected.rms_error


def star_forms(ra, dec):
    coord = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs")
    table = QTable({"sky_centroid": [coord], "radius": [2.0] * u.arcsec})
    plain = Table({"RA": [ra], "DEC": [dec]})
    return [(coord, 2 * u.arcsec), (coord, 2000 * u.mas), (ra * u.deg, dec * u.deg, 2.0),
            table[0], (plain[0], 2.0)]


@pytest.mark.parametrize("form", range(5))
def test_star_forms_give_exactly_the_tuple_result(pair, tuple_fit, form):
    hst, muse, truth = pair
    star = star_forms(*truth["star_radec"][0])[form]
    assert_same(measure_star_photometry(hst, muse, star), tuple_fit)


def test_quantity_keywords_equal_plain_numbers(pair):
    hst, muse, truth = pair
    star = (*truth["star_radec"][0], 2.0)
    plain = measure_star_photometry(hst, muse, star, fix_fwhm=0.65)
    quantity = measure_star_photometry(hst, muse, star, fix_fwhm=650 * u.mas)
    assert quantity.fwhm.value == pytest.approx(0.65, rel=1e-15)
    for name in NAMES:
        assert getattr(quantity, name).value == pytest.approx(getattr(plain, name).value,
                                                              rel=1e-12)


def test_quantity_in_the_wrong_unit_is_refused(pair):
    hst, muse, truth = pair
    with pytest.raises(UserError, match="fix_fwhm"):
        measure_star_photometry(hst, muse, (*truth["star_radec"][0], 2.0),
                                fix_fwhm=2 * u.s)
    with pytest.raises(UserError, match="star: the radius"):
        measure_star_photometry(hst, muse, (SkyCoord(1, 2, unit="deg"), 2 * u.kg))


def test_regions_objects_give_exactly_the_region_file_result(pair, tmp_path):
    hst, muse, truth = pair
    ra, dec = truth["star_radec"][0]
    path = os.path.join(tmp_path, "mask.reg")
    with open(path, "w") as stream:
        stream.write(f'fk5\ncircle({ra}, {dec}, 3.5")\nimage\n-box(21, 21, 3, 3, 0)\n')
    from_file = measure_image_photometry(hst, muse, regions=path, fix_beta=2.5)
    circle = CircleSkyRegion(SkyCoord(ra, dec, unit="deg", frame="fk5"), 3.5 * u.arcsec)
    box = RectanglePixelRegion(PixCoord(20, 20), 3, 3)
    box.meta["include"] = False
    for given in (Regions([circle, box]), [circle, box]):
        assert_same(measure_image_photometry(hst, muse, regions=given, fix_beta=2.5),
                    from_file)


def test_fix_bg_quantity_is_converted_to_the_muse_unit(pair):
    hst, muse, truth = pair
    plain = measure_image_photometry(hst, muse, fix_bg=0.05, fix_beta=2.5)
    quantity = measure_image_photometry(hst, muse, fix_bg=0.05 * muse.unit.to(u.Unit(
        "erg / (s cm2 Angstrom)")) * u.Unit("erg / (s cm2 Angstrom)"), fix_beta=2.5)
    assert quantity.bg.value == pytest.approx(0.05, rel=1e-12)
    assert quantity.scale.value == pytest.approx(plain.scale.value, rel=1e-9)
    with pytest.raises(UserError, match="fix_bg"):
        measure_image_photometry(hst, muse, fix_bg=0.05 * u.s)


def test_results_carry_quantities(tuple_fit):
    assert tuple_fit.fwhm.quantity.unit == u.arcsec
    assert tuple_fit.fwhm.stdev_quantity.unit == u.arcsec
    assert (tuple_fit.fwhm.quantity * 2).to_value(u.mas) == pytest.approx(
        2000 * tuple_fit.fwhm.value)
    assert tuple_fit.bg.quantity.unit == tuple_fit.unit
    assert tuple_fit.hst_flux.quantity.unit == tuple_fit.hst_unit
    table = tuple_fit.to_table()
    assert table["fwhm"].unit == u.arcsec and table["bg"].unit == tuple_fit.unit
    assert table.meta["fit_options"]["star"]["fix_fwhm"] is None
    assert "imphot_astropy_version" in table.meta
    assert np.isfinite(table["scale"][0])


def test_fitted_value_from_an_lmfit_parameter():
    from lmfit import Parameters
    from imphot_astropy.fitting import FittedValue

    params = Parameters()
    params.add("fwhm", value=0.61)
    params["fwhm"].stderr = 0.002
    params.add("beta", value=2.5, vary=False)
    assert FittedValue(param=params["fwhm"]) == FittedValue(0.61, 0.002, False)
    assert FittedValue(params["beta"]) == FittedValue(2.5, 0.0, True)
