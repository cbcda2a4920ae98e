"""``--solver NAME`` of fit_photometry and fit_cube_photometry reaches the fits.

The names offered are those of `~imphot_astropy.fitting.solvers.SOLVERS`
(written out in the parsers, which import no scientific package); the
chosen solver is recorded in the written table's meta, and the fitted
values agree with the default solver's within 0.05 of their errors.
"""

import warnings

import pytest
from astropy.table import Table

from imphot_astropy.datasets import make_exposure_cube, write_exposure_cube
from imphot_astropy.fitting.solvers import SOLVERS, IMAGE_FIT_SOLVER, named_solver
from imphot_astropy.scripts import fit_cube_photometry, fit_photometry
from imphot_astropy.scripts.arguments import _FITTER_OPTIONS
from imphot_astropy.batch.tests.helpers import write_synthetic_field

FRACTION = 0.05


def test_the_solver_choices_are_the_named_solvers():
    choices = [tuple(spec["choices"]) for name, _, spec in _FITTER_OPTIONS
               if name == "--solver"]
    assert choices == [tuple(SOLVERS)]
    cube_choices = [tuple(action.choices)
                    for action in fit_cube_photometry._parser("fit_cube_photometry")._actions
                    if "--solver" in action.option_strings]
    assert cube_choices == [tuple(SOLVERS)]


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    directory = tmp_path_factory.mktemp("solver-cli")
    hst, muses, _ = write_synthetic_field(str(directory), 2, shape=(60, 60), seed=8)
    return directory, hst, muses


def _table(directory, name, args):
    path = str(directory / name)
    assert fit_photometry.main(args + ["--table", path, "--nprocess", "2"]) == 0
    return Table.read(path)


def test_fit_photometry_solver_reaches_the_fits(field, capsys):
    directory, hst, muses = field
    chosen = _table(directory, "trf.ecsv", [hst, *muses, "--solver", "trf"])
    default = _table(directory, "default.ecsv", [hst, *muses])
    assert chosen.meta["fit_options"]["image"]["solver"] == named_solver("trf").name
    assert default.meta["fit_options"]["image"]["solver"] == IMAGE_FIT_SOLVER.name
    chosen.sort("name")
    default.sort("name")
    for name in ("scale", "dx", "dy", "fwhm"):
        off = abs(chosen[name] - default[name]) / default[name + "_err"]
        assert (off < FRACTION).all(), (name, list(off))


def test_a_bad_solver_name_is_refused_by_the_parser(field, capsys):
    _, hst, muses = field
    assert fit_photometry.main([hst, muses[0], "--solver", "newton"]) == 2
    assert "invalid choice: 'newton'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def survey_files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("solver-survey")
    cube, hst, _ = make_exposure_cube(shape=(48, 48), nplanes=40,
                                      filters=("F606W", "F814W"), seed=5)
    cube_path = str(directory / "exposure.fits")
    write_exposure_cube(cube, cube_path)
    hst_args = []
    for band, image in hst.items():
        path = str(directory / f"hst_{band}.fits")
        image.write(path)
        hst_args += ["--hst", f"{band}={path}"]
    return directory, cube_path, hst_args


def _cube_table(directory, name, args):
    path = str(directory / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fit_cube_photometry.main(args + ["--table", path, "--fix-beta", "2.5",
                                                "--psf-nodes", "1"]) == 0
    return Table.read(path)


def test_fit_cube_photometry_solver_reaches_the_band_fits(survey_files, capsys):
    directory, cube, hst_args = survey_files
    chosen = _cube_table(directory, "lm.ecsv", [cube, *hst_args, "--solver",
                                                "levenberg-marquardt"])
    default = _cube_table(directory, "default.ecsv", [cube, *hst_args])
    assert chosen.meta["BAND_SOLVER"] == named_solver("levenberg-marquardt").name
    assert default.meta["BAND_SOLVER"] == IMAGE_FIT_SOLVER.name
    # The joint fit keeps its own.
    assert chosen.meta["JOINT_SOLVER"] == default.meta["JOINT_SOLVER"]
    assert len(chosen) == len(default) == 4
    for name in ("dx", "dy", "fwhm", "scale"):
        off = abs(chosen[name] - default[name]) / default[name + "_err"]
        assert (off < FRACTION).all(), (name, list(off))


def test_fit_cube_photometry_refuses_a_bad_solver_before_extracting(survey_files):
    from imphot_astropy.exceptions import UserError
    from imphot_astropy.survey import fit_cube_photometry as fit_cube
    from imphot_astropy.fitting.solvers import ScipyLeastSquares
    directory, cube, hst_args = survey_files
    hst = dict(arg.split("=", 1) for arg in hst_args[1::2])
    with pytest.raises(UserError, match="solver: expected None, a Solver"):
        fit_cube(cube, hst, solver="newton")
    with pytest.raises(UserError, match="solver: the loss 'huber'"):
        fit_cube(cube, hst, solver=ScipyLeastSquares("trf", loss="huber"))
