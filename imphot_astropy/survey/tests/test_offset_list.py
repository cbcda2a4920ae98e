"""OFFSET_LIST: the pipeline's sign convention proven by a refit, and merging."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from astropy.nddata import CCDData
from astropy.table import Table
from astropy.wcs import WCS

from imphot_astropy import UserError
from imphot_astropy.datasets import (make_exposure_cube, make_synthetic_pair,
                                     SyntheticSource, muse_wcs)
from imphot_astropy.fitting import FittedValue
from imphot_astropy.survey import fit_cube_photometry, write_offset_list

BANDS = ("F775W", "F814W")


def _hst_on_grid(truth, hst, celestial, shape):
    """The HST images re-rendered on a new MUSE grid (same sky)."""
    old = hst[BANDS[0]].wcs
    moved = []
    for s in truth["sources"]:
        ra, dec = old.pixel_to_world_values(s.x, s.y)
        x, y = celestial.world_to_pixel_values(ra, dec)
        moved.append(SyntheticSource(float(x), float(y), s.flux, s.scale_length,
                                     s.axis_ratio, s.angle))
    sky, _, _ = make_synthetic_pair(shape, scale=1.0, bg=0.0, noise=0.0, sources=moved,
                                    oversample=3)
    return {b: CCDData(sky.data / truth["scales"][b], unit=sky.unit, wcs=celestial,
                       meta=hst[b].meta) for b in BANDS}


def test_applying_the_offsets_makes_a_refit_find_zero(tmp_path):
    shape = (80, 80)
    cube, hst, truth = make_exposure_cube(shape=shape, nplanes=120, filters=BANDS,
                                          dx=0.31, dy=-0.22, noise=0.1, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_cube_photometry(cube, hst, fix_beta=2.5, psf_nodes=2)
    path = tmp_path / "OFFSET_LIST.fits"
    write_offset_list([fit], path)
    row = Table.read(path)[0]
    assert row["DATE_OBS"].strip() == truth["date_obs"]
    assert row["MJD_OBS"] == pytest.approx(truth["mjd_obs"])

    # The pipeline subtracts the offsets from the exposure's RA and Dec.
    corrected = WCS(cube.wcs.to_header())
    corrected.wcs.crval = [corrected.wcs.crval[0] - row["RA_OFFSET"],
                           corrected.wcs.crval[1] - row["DEC_OFFSET"],
                           corrected.wcs.crval[2]]
    cube2 = CCDData(cube.data, unit=cube.unit, uncertainty=cube.uncertainty,
                    wcs=corrected, meta=cube.meta)
    hst2 = _hst_on_grid(truth, hst, corrected.celestial, shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refit = fit_cube_photometry(cube2, hst2, fix_beta=2.5, psf_nodes=2)
    assert abs(refit.dx.value) < 0.003 and abs(refit.dy.value) < 0.003
    # The offsets were large compared with that: the sign matters.
    assert np.hypot(fit.dx.value, fit.dy.value) > 0.3


def _result(date, dra, ddec, mjd=57000.0, scale=None):
    result = SimpleNamespace(date_obs=date, mjd_obs=mjd, dra=FittedValue(dra),
                             ddec=FittedValue(ddec), wcs=muse_wcs((10, 10), dec=0.0),
                             shape=(10, 10), name=date, joint={})
    if scale is not None:
        result.joint = {"F775W": SimpleNamespace(scale=FittedValue(scale))}
    return result


def test_merging_updates_rows_in_place(tmp_path):
    path = tmp_path / "OFFSET_LIST.fits"
    dates = ["2014-10-22T03:15:40.123", "2014-10-22T04:20:11.000",
             "2014-10-23T01:00:00.500"]
    write_offset_list([_result(d, 0.1 * i, -0.1 * i) for i, d in enumerate(dates)], path)
    table = write_offset_list([_result(dates[1], 0.72, 0.36, mjd=57001.0),
                               _result("2014-10-24T00:00:00.000", 0.0, 0.0)], path)
    again = Table.read(path)
    assert list(again["DATE_OBS"]) == dates + ["2014-10-24T00:00:00.000"]
    assert again["RA_OFFSET"][1] * 3600 == pytest.approx(0.72)
    assert again["DEC_OFFSET"][1] * 3600 == pytest.approx(0.36)
    assert again["MJD_OBS"][1] == 57001.0
    assert again["RA_OFFSET"][2] * 3600 == pytest.approx(0.2)
    assert len(table) == 4


def test_flux_scale_column(tmp_path):
    path = tmp_path / "OFFSET_LIST.fits"
    write_offset_list([_result("2014-10-22T03:15:40.123", 0, 0)], path)
    write_offset_list([_result("2014-10-23T03:15:40.123", 0, 0, scale=1.25)], path,
                      flux_scale="F775W")
    table = Table.read(path)
    assert list(table["FLUX_SCALE"]) == [1.0, 0.8]


def test_errors(tmp_path):
    with pytest.raises(UserError, match="same DATE-OBS"):
        write_offset_list([_result("2014-10-22", 0, 0), _result("2014-10-22", 1, 1)],
                          tmp_path / "x.fits")
    with pytest.raises(UserError, match="DATE-OBS"):
        write_offset_list([_result(None, 0, 0)], tmp_path / "x.fits")
    bad = tmp_path / "bad.fits"
    bad.write_text("not fits")
    with pytest.raises(UserError, match="bad.fits"):
        write_offset_list([_result("2014-10-22", 0, 0)], bad)
