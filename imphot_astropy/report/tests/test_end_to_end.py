"""Real fits reported: fit_cube_photometry --report, and the survey_report command.

Three small synthetic exposures are fitted by the command, which writes its
table and the report; the synthetic survey table of the other tests must
have that table's format, column by column.
"""

import re
import warnings

import numpy as np
import pytest
from astropy.table import Table

from imphot_astropy.datasets import (make_exposure_cube, make_survey_table, random_sky,
                                     write_exposure_cube)
from imphot_astropy.scripts import fit_cube_photometry, survey_report as command

FILTERS = ("F606W", "F814W")
OFFSETS = [(0.05, -0.02), (0.10, 0.03), (-0.04, 0.06)]
SEEING = [0.7, 0.9, 1.1]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """Three cubes with seeing-monitor headers, fitted with --table and --report."""
    work = tmp_path_factory.mktemp("e2e")
    sky = random_sky((44, 44), n_galaxies=18, seed=5)
    cubes = []
    for i, ((dx, dy), seeing) in enumerate(zip(OFFSETS, SEEING)):
        cube, hst, _ = make_exposure_cube(shape=(44, 44), nplanes=30, sources=sky,
                                          filters=FILTERS, dx=dx, dy=dy, seed=20 + i,
                                          date_obs=f"2014-10-2{2 + i}T02:00:00.000")
        cube.meta["HIERARCH ESO TEL AMBI FWHM START"] = seeing - 0.05
        cube.meta["HIERARCH ESO TEL AMBI FWHM END"] = seeing + 0.05
        cube.meta["HIERARCH ESO TEL AIRM START"] = 1.2
        cube.meta["HIERARCH ESO TEL AIRM END"] = 1.3
        cube.meta["EXPTIME"] = 600.0
        cube.meta["HIERARCH ESO DRS MUSE OFFSET1 DRA"] = 1.0 / 3600
        cube.meta["HIERARCH ESO DRS MUSE OFFSET1 DDEC"] = -0.5 / 3600
        path = work / f"cube{i}.fits"
        write_exposure_cube(cube, path)
        cubes.append(str(path))
    hst_args = []
    for band, image in hst.items():
        image.write(work / f"hst_{band}.fits")
        hst_args += ["--hst", f"{band}={work / f'hst_{band}.fits'}"]
    table, report = work / "survey.ecsv", work / "report"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = fit_cube_photometry.main(cubes + hst_args + [
            "--table", str(table), "--report", str(report), "--fix-beta", "2.5",
            "--nprocess", "1"])
    assert status == 0
    return work, table, report


def test_synthetic_table_has_the_commands_format(fitted):
    _, path, _ = fitted
    assert sorted(Table.read(path).meta) == sorted(make_survey_table(1)[0].meta)
    real = Table.read(path)
    made, _, _ = make_survey_table(3, filters=FILTERS)
    # As files: ECSV reads an all-empty text column back as masked.
    made.write(path.parent / "synthetic.ecsv")
    synthetic = Table.read(path.parent / "synthetic.ecsv")
    assert synthetic.colnames == real.colnames
    for name in real.colnames:
        assert synthetic[name].dtype.kind == real[name].dtype.kind, name
        assert synthetic[name].unit == real[name].unit, name
        assert type(synthetic[name]) is type(real[name]), name
    # Both at the field's declination: dra is the on-sky offset / cos(Dec).
    ratio = real["dra_sky"] / real["dra"]
    assert np.allclose(synthetic["dra_sky"] / synthetic["dra"], np.median(ratio), rtol=1e-3)


def test_report_of_the_fitted_exposures(fitted):
    work, _, report = fitted
    index = (report / "index.html").read_text()
    names = sorted(set(re.findall(r'href="exposures/(cube\d)\.html"', index)))
    assert names == ["cube0", "cube1", "cube2"]
    page = (report / "exposures" / "cube1.html").read_text()
    # The fits were given: the page shows the joint fit's report.
    assert "Fit report" in page and "sandwich covariance" in page
    # The primary header's conditions: seeing 0.85 to 0.95, airmass 1.25,
    # and the offset the pipeline already applied (1", -0.5").
    assert "0.85″ to 0.95″" in page and "1.250" in page
    assert "dRA +1.000″, dDec -0.500″" in page
    # The fitted offsets (dra = -dx on the synthetic WCS) in the table of exposures.
    dra = float(re.search(r"cube1</a></td><td>[^<]*</td>\s*<td>([-+0-9.]+)", index).group(1))
    assert abs(dra + OFFSETS[1][0]) < 0.005


def test_command_refuses_then_replaces(fitted, capsys):
    work, table, report = fitted
    cubes = [str(work / f"cube{i}.fits") for i in range(3)]
    assert command.main([str(table), str(report), "--cubes", *cubes]) == 1
    assert "exists; give overwrite=True (--overwrite)" in capsys.readouterr().err
    assert command.main([str(table), str(report), "--cubes", *cubes, "--overwrite",
                         "--title", "Night of 22 October"]) == 0
    index = (report / "index.html").read_text()
    assert "Night of 22 October" in index
    # From the table alone the exposure pages have no fit report.
    assert "Fit report" not in (report / "exposures" / "cube1.html").read_text()
    assert command.main([str(work / "nothere.ecsv"), str(work / "r2")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_seeing_from_headers_matches(fitted):
    work, table, _ = fitted
    from imphot_astropy.report import observing_conditions
    conditions = observing_conditions([work / f"cube{i}.fits" for i in range(3)])
    assert np.allclose([conditions[f"cube{i}"]["seeing"] for i in range(3)], SEEING)
    assert [conditions[f"cube{i}"]["exptime"] for i in range(3)] == [600.0] * 3
