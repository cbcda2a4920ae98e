"""OFFSET_LIST: the pipeline's sign convention proven by a refit, and merging."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.table import Table
from astropy.wcs import WCS

from imphot_astropy import UserError
from imphot_astropy.datasets import (make_exposure_cube, make_synthetic_pair,
                                     SyntheticSource, muse_wcs, write_exposure_cube)
from imphot_astropy.fitting import FittedValue
from imphot_astropy.survey import (fit_cube_photometry, write_offset_list,
                                   AppliedCorrection, applied_correction)

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


def _result(date, dra, ddec, mjd=57000.0, scale=None, applied=None):
    result = SimpleNamespace(date_obs=date, mjd_obs=mjd, dra=FittedValue(dra),
                             ddec=FittedValue(ddec), name=date, joint={}, applied=applied)
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
    date = "2014-10-22T03:15:40.123"
    with pytest.raises(UserError, match="same DATE-OBS"):
        write_offset_list([_result(date, 0, 0), _result(date + "4", 1, 1)],
                          tmp_path / "x.fits")
    with pytest.raises(UserError, match="DATE-OBS"):
        write_offset_list([_result(None, 0, 0)], tmp_path / "x.fits")
    with pytest.raises(UserError, match="'2014-10-22T03:15:40'.*23 characters"):
        write_offset_list([_result(date[:19], 0, 0)], tmp_path / "x.fits")
    with pytest.raises(UserError, match="FLUX_SCALE -0.8"):
        write_offset_list([_result(date, 0, 0, scale=-1.25)], tmp_path / "x.fits",
                          flux_scale="mean")
    with pytest.raises(UserError, match="FLUX_SCALE nan"):
        write_offset_list([_result(date, 0, 0, scale=np.nan)], tmp_path / "x.fits",
                          flux_scale="mean")
    assert not (tmp_path / "x.fits").exists()
    bad = tmp_path / "bad.fits"
    bad.write_text("not fits")
    with pytest.raises(UserError, match="bad.fits"):
        write_offset_list([_result(date, 0, 0)], bad)


def test_column_types_the_pipeline_checks(tmp_path):
    # The pipeline drops every offset when a column has another type: read
    # the file back as FITS columns, not through our own writer's table.
    path = tmp_path / "OFFSET_LIST.fits"
    write_offset_list([_result("2014-10-22T03:15:40.123", 0.36, -0.18, scale=1.25)], path,
                      flux_scale="mean")
    with fits.open(path) as hdulist:
        columns = {c.name: c.format for c in hdulist["OFFSET_LIST"].columns}
        row = hdulist["OFFSET_LIST"].data[0]
        assert columns["DATE_OBS"].endswith("A") and int(columns["DATE_OBS"][:-1]) >= 23
        for name in ("RA_OFFSET", "DEC_OFFSET", "MJD_OBS", "FLUX_SCALE"):
            assert columns[name] == "D", name            # float64
        assert row["DATE_OBS"] == "2014-10-22T03:15:40.123"
        assert row["RA_OFFSET"] * 3600 == pytest.approx(0.36)
        assert row["DEC_OFFSET"] * 3600 == pytest.approx(-0.18)
        assert row["MJD_OBS"] == 57000.0 and row["FLUX_SCALE"] == pytest.approx(0.8)


def test_rows_match_on_the_first_23_characters(tmp_path):
    path = tmp_path / "OFFSET_LIST.fits"
    write_offset_list([_result("2014-10-22T03:15:40.123", 0.1, 0.1),
                       _result("2014-10-22T03:15:40.124", 0.2, 0.2)], path)
    # The same exposure with a longer DATE-OBS updates its row; the next
    # millisecond is another exposure.
    table = write_offset_list([_result("2014-10-22T03:15:40.1234", 0.5, -0.5)], path)
    assert len(table) == 2
    assert table["RA_OFFSET"][0] * 3600 == pytest.approx(0.5)
    assert table["RA_OFFSET"][1] * 3600 == pytest.approx(0.2)


def test_existing_table_without_mjd_obs_or_flux_scale(tmp_path):
    path = tmp_path / "OFFSET_LIST.fits"
    # A table as another tool writes it: only the required columns, float32.
    Table({"DATE_OBS": ["2014-10-22T03:15:40.123", "2014-10-23T01:00:00.500"],
           "RA_OFFSET": np.array([1e-4, 2e-4], dtype=np.float32),
           "DEC_OFFSET": np.array([-1e-4, 0.0], dtype=np.float32)}).write(path)
    table = write_offset_list([_result("2014-10-23T01:00:00.500", 0.72, 0.0, scale=1.25)],
                              path, flux_scale="mean")
    assert "MJD_OBS" not in table.colnames
    back = Table.read(path)
    for name in ("RA_OFFSET", "DEC_OFFSET", "FLUX_SCALE"):
        assert back[name].dtype.str[1:] == "f8", name      # float64 (big-endian in FITS)
    assert back["RA_OFFSET"][0] == pytest.approx(1e-4, rel=1e-6)   # kept
    assert back["RA_OFFSET"][1] * 3600 == pytest.approx(0.72)
    assert list(back["FLUX_SCALE"]) == [1.0, 0.8]


def test_applied_correction_is_added(tmp_path):
    date = "2014-10-22T03:15:40.123"
    applied = AppliedCorrection(1, 0.5 / 3600, -0.25 / 3600, 0.9)
    table = write_offset_list([_result(date, 0.1, 0.05, scale=1.25, applied=applied)],
                              tmp_path / "OFFSET_LIST.fits", flux_scale="mean")
    row = table[0]
    assert row["RA_OFFSET"] * 3600 == pytest.approx(0.6)
    assert row["DEC_OFFSET"] * 3600 == pytest.approx(-0.2)
    assert row["FLUX_SCALE"] == pytest.approx(0.9 * 0.8)
    assert row["RA_APPLIED"] * 3600 == pytest.approx(0.5)
    assert row["RA_MEASURED"] * 3600 == pytest.approx(0.1)
    assert row["FLUX_SCALE_APPLIED"] == 0.9 and row["FLUX_SCALE_MEASURED"] == 0.8
    # Without flux_scale, the scale already applied is kept.
    again = write_offset_list([_result(date, 0.1, 0.05, applied=applied)],
                              tmp_path / "OFFSET_LIST2.fits")
    assert again["FLUX_SCALE"][0] == 0.9


def _header_record(header, index, date, ra_offset, dec_offset, flux_scale):
    """The keywords the pipeline writes after applying an OFFSET_LIST row."""
    header[f"HIERARCH ESO DRS MUSE OFFSET{index} DATE-OBS"] = date
    header[f"HIERARCH ESO DRS MUSE OFFSET{index} DRA"] = (ra_offset, "[deg] RA offset")
    header[f"HIERARCH ESO DRS MUSE OFFSET{index} DDEC"] = (dec_offset, "[deg] DEC offset")
    header[f"HIERARCH ESO DRS MUSE FLUX SCALE{index}"] = flux_scale


def test_applied_correction_requires_both_offsets():
    header = fits.Header()
    _header_record(header, 2, "2014-10-22T03:15:40.123", 1e-4, 0.0, 1.0)
    del header["ESO DRS MUSE OFFSET2 DDEC"]
    with pytest.raises(UserError, match="cube: .*no ESO DRS MUSE OFFSET2 DDEC"):
        applied_correction(header, "2014-10-22T03:15:40.123")
    assert applied_correction(header, "2014-10-22T03:15:40.124") is None


# The true pointing error of the exposure from its original pointing, as
# differences of RA and Dec coordinates (arcsec), and its true flux scales.
TRUE_ERROR = (0.5, -0.3)
TRUE_SCALES = {"F775W": 0.95, "F814W": 1.0}


def _reduced_exposure(path, applied_ra, applied_dec, applied_scale, seed=4):
    """The exposure as the pipeline reduces it with an OFFSET_LIST row applied.

    The pipeline resamples the corrected pixel table onto its grid, so the
    cube lies on the HST grid (its RA/DEC and WCS already corrected) with
    the pointing error left by the row, and fluxes times the row's scale;
    its primary header records the row (degrees).
    """
    shape = (80, 80)
    grid = muse_wcs(shape)
    centre = np.array(grid.pixel_to_world_values((shape[1] - 1) / 2, (shape[0] - 1) / 2))
    # Features at sky position w show at the pixel whose corrected WCS says
    # w + the error left; the remedy is CRVAL -= that error.
    left = np.array([TRUE_ERROR[0] / 3600 - applied_ra, TRUE_ERROR[1] / 3600 - applied_dec])
    x0, y0 = grid.world_to_pixel_values(*centre)
    x1, y1 = grid.world_to_pixel_values(*(centre + left))
    cube, hst, truth = make_exposure_cube(
        shape=shape, nplanes=120, filters=BANDS, dx=float(x1 - x0) * 0.2,
        dy=float(y1 - y0) * 0.2, noise=0.1, seed=seed,
        scales={b: TRUE_SCALES[b] * applied_scale for b in BANDS})
    _header_record(cube.meta, 1, truth["date_obs"], applied_ra, applied_dec, applied_scale)
    cube.meta["RA"] = (float(centre[0]), "offset applied!")
    cube.meta["DEC"] = (float(centre[1]), "offset applied!")
    write_exposure_cube(cube, path, overwrite=True)
    # (make_exposure_cube divides the HST images by the scales: only the
    # ratio MUSE/HST matters.)
    return hst


def _fit(path, hst):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_cube_photometry(path, hst, fix_beta=2.5, psf_nodes=2)


def test_second_reduction_gets_the_total_from_the_original_pointing(tmp_path):
    cos_dec = np.cos(np.deg2rad(-60.56))
    offset_list = tmp_path / "OFFSET_LIST.fits"
    # A first pass applied 0.3", -0.1" and a flux scale 0.97.
    cube = tmp_path / "exposure.fits"
    hst = _reduced_exposure(cube, 0.3 / 3600, -0.1 / 3600, 0.97)
    fit = _fit(cube, hst)
    assert fit.applied.index == 1 and fit.applied.flux_scale == 0.97
    assert fit.applied.dra == pytest.approx(0.3)
    row = write_offset_list([fit], offset_list, flux_scale="mean")[0]
    # The row, applied from the original pointing, lands on the HST frame
    # (the measured residual 0.2", -0.2" alone would have left 0.3", 0.1").
    assert abs(row["RA_OFFSET"] * 3600 - TRUE_ERROR[0]) * cos_dec < 0.003
    assert abs(row["DEC_OFFSET"] * 3600 - TRUE_ERROR[1]) < 0.003
    assert row["FLUX_SCALE"] == pytest.approx(1 / np.mean(list(TRUE_SCALES.values())),
                                              rel=0.005)
    assert row["RA_APPLIED"] * 3600 == pytest.approx(0.3)
    assert row["RA_MEASURED"] * 3600 == pytest.approx(fit.dra.value)
    assert "applied:  dRA 0.30000\" dDec -0.10000\"" in fit.fit_report
    table = fit.to_table()
    assert np.all(table["applied_dra"] == pytest.approx(0.3))
    assert np.all(table["applied_flux_scale"] == 0.97)

    # Reduced again with that row: the refit finds nothing more to correct,
    # and writing again leaves the row as it was, beyond noise.
    hst = _reduced_exposure(cube, row["RA_OFFSET"], row["DEC_OFFSET"], row["FLUX_SCALE"])
    refit = _fit(cube, hst)
    assert abs(refit.dra_sky.value) < 0.003 and abs(refit.ddec.value) < 0.003
    again = write_offset_list([refit], offset_list, flux_scale="mean")
    assert len(again) == 1
    assert abs(again["RA_OFFSET"][0] - row["RA_OFFSET"]) * 3600 < 3 * refit.dra.stdev
    assert abs(again["DEC_OFFSET"][0] - row["DEC_OFFSET"]) * 3600 < 3 * refit.ddec.stdev
    assert again["FLUX_SCALE"][0] == pytest.approx(row["FLUX_SCALE"],
                                                   abs=3 * refit.scale.stdev)
