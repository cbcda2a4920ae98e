"""The fit_cube_photometry command: table, OFFSET_LIST, FSF keywords, resumption."""

import os
import shutil
import warnings

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from imphot_astropy.datasets import make_exposure_cube, write_exposure_cube, random_sky
from imphot_astropy.scripts.fit_cube_photometry import main
from imphot_astropy.survey import FSFModel

BANDS = ("F775W", "F814W")


@pytest.fixture(scope="module")
def survey_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("survey")
    cubes = []
    sky = random_sky((56, 56), seed=3)      # the same field in every exposure
    for i, (dx, date) in enumerate([(0.05, "2014-10-22T03:15:40.123"),
                                    (-0.08, "2014-10-22T04:20:11.456")]):
        cube, hst, truth = make_exposure_cube(shape=(56, 56), nplanes=50, filters=BANDS,
                                              dx=dx, seed=3 + i, date_obs=date,
                                              sources=sky)
        path = str(d / f"exposure{i}.fits")
        write_exposure_cube(cube, path)
        cubes.append(path)
    hst_args = []
    for band in BANDS:
        path = str(d / f"hst_{band}.fits")
        hst[band].write(path)
        hst_args += ["--hst", f"{band}={path}"]
    return d, cubes, hst_args


def _run(args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return main(args)


def test_table_offset_list_and_fsf_copies(survey_files, capsys):
    d, cubes, hst_args = survey_files
    table, offsets = str(d / "fits.ecsv"), str(d / "OFFSET_LIST.fits")
    status = _run(cubes + hst_args + ["--table", table, "--offset-list", offsets,
                                      "--fsf-keywords", "--fix-beta", "2.5",
                                      "--psf-nodes", "2", "--nprocess", "2"])
    assert status == 0
    rows = Table.read(table)
    assert len(rows) == 2 * 2 * len(BANDS)          # cubes x (band + joint) x bands
    assert {"date_obs", "mjd_obs", "filter", "pivot"} <= set(rows.colnames)
    offset_list = Table.read(offsets)
    assert len(offset_list) == 2
    assert sorted(offset_list["DATE_OBS"]) == ["2014-10-22T03:15:40.123",
                                               "2014-10-22T04:20:11.456"]
    for cube in cubes:
        copy = cube.replace(".fits", "_fsf.fits")
        fsf = FSFModel.read(copy)
        assert abs(fsf.fwhm(7000.0) - 0.65) < 0.01
        with fits.open(cube) as original:
            assert "FSFMODE" not in original[0].header

    # A second run skips the cubes already in the table.
    mtime = os.path.getmtime(table)
    assert _run(cubes + hst_args + ["--table", table]) == 0
    assert "skipped" in capsys.readouterr().err
    assert os.path.getmtime(table) == mtime


def test_force_refits_and_combined_cube(survey_files):
    d, cubes, hst_args = survey_files
    table = str(d / "force.ecsv")
    assert _run(cubes[:1] + hst_args + ["--table", table, "--fix-beta", "2.5",
                                        "--psf-nodes", "1", "--nprocess", "1"]) == 0
    assert _run(cubes[:1] + hst_args + ["--table", table, "--fix-beta", "2.5",
                                        "--psf-nodes", "1", "--nprocess", "1", "--force",
                                        "--fsf-keywords", cubes[1]]) == 0
    assert len(Table.read(table)) == 2 * len(BANDS)
    assert FSFModel.read(cubes[1].replace(".fits", "_fsf.fits")).beta(7000.0) == 2.5


def test_bad_options(survey_files, capsys):
    d, cubes, hst_args = survey_files
    assert _run(cubes + ["--hst", "F606W"]) == 2
    assert _run(cubes + ["--hst", f"F606W={d / 'missing.fits'}"]) == 1
    assert "missing.fits" in capsys.readouterr().err


def test_elliptical_psf_option(survey_files):
    """``--psf elliptical``: e and theta columns, per band with
    ``--ellipticity per-band``; the FSF keywords are the circular equivalent
    (the exposures' PSF is circular, so e is ~0 and the FWHM that of the truth)."""
    d, cubes, hst_args = survey_files
    table = str(d / "elliptical.ecsv")
    combined = str(d / "combined_elliptical.fits")
    shutil.copy(cubes[1], combined)
    assert _run(cubes[:1] + hst_args + ["--table", table, "--fix-beta", "2.5",
                                        "--psf-nodes", "1", "--nprocess", "1",
                                        "--psf", "elliptical", "--ellipticity", "per-band",
                                        "--fsf-keywords", combined]) == 0
    rows = Table.read(table)
    assert {"e", "e_err", "theta", "theta_err"} <= set(rows.colnames)
    assert np.all(rows["e"] < 0.02) and np.all(rows["e_err"] > 0)
    assert rows.meta["ellipticity"] == "per-band"
    assert abs(FSFModel.read(combined.replace(".fits", "_fsf.fits")).fwhm(7000.0)
               - 0.65) < 0.01


def test_ellipticity_needs_the_elliptical_psf(survey_files, capsys):
    d, cubes, hst_args = survey_files
    assert _run(cubes[:1] + hst_args + ["--ellipticity", "per-band", "--nprocess", "1"]) != 0
    assert "ellipticity" in capsys.readouterr().err
    assert _run(cubes[:1] + hst_args + ["--psf", "gaussian"]) == 2
