"""fit_cube_photometry's per-cube time limit: applied by default, documented, 0 for none.

The default is made tiny here, so that a real cube fit overruns it: the
command must then report an error for that cube (its worker killed), which
shows that the limit given to the workers is the default when --timeout is
not given.
"""

import os
import warnings

import pytest
from astropy.table import Table

from imphot_astropy.datasets import make_exposure_cube, write_exposure_cube
from imphot_astropy.scripts import fit_cube_photometry
from imphot_astropy.scripts.fit_cube_photometry import main

BAND = "F775W"
OPTIONS = ["--fix-beta", "2.5", "--psf-nodes", "1", "--nprocess", "1"]


@pytest.fixture(scope="module")
def exposure(tmp_path_factory):
    d = tmp_path_factory.mktemp("cube_timeout")
    cube, hst, truth = make_exposure_cube(shape=(40, 40), nplanes=20, filters=(BAND,),
                                          seed=5, date_obs="2014-10-22T03:15:40.123")
    path = str(d / "exposure.fits")
    write_exposure_cube(cube, path)
    hst_path = str(d / "hst.fits")
    hst[BAND].write(hst_path)
    return d, path, ["--hst", f"{BAND}={hst_path}"]


def _run(args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return main(args)


def test_the_default_limit_applies(exposure, monkeypatch, capsys):
    d, cube, hst_args = exposure
    assert fit_cube_photometry.DEFAULT_TIMEOUT == 1800.0
    monkeypatch.setattr(fit_cube_photometry, "DEFAULT_TIMEOUT", 0.001)
    table = str(d / "limited.ecsv")
    assert _run([cube] + hst_args + OPTIONS + ["--table", table]) == 1
    err = capsys.readouterr().err
    assert cube in err and "time limit (timeout) of 0.001 s" in err
    assert not os.path.exists(table)
    # --timeout 0: no limit, and the cube is fitted (then written atomically:
    # nothing but the table in the directory).
    assert _run([cube] + hst_args + OPTIONS + ["--table", table, "--timeout", "0"]) == 0
    assert len(Table.read(table)) == 2
    assert not [n for n in os.listdir(d) if n.endswith(".tmp")]


def test_the_default_limit_is_documented(capsys):
    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default 1800 s" in text and "0: no limit" in text


def test_a_pipe_or_a_directory_is_refused_at_once(exposure, tmp_path, capsys):
    d, cube, hst_args = exposure
    if hasattr(os, "mkfifo"):
        fifo = str(tmp_path / "pipe.fits")
        os.mkfifo(fifo)
        assert _run([cube, fifo] + hst_args) == 1
        assert f"{fifo}: not a regular file" in capsys.readouterr().err
    assert _run([cube, str(tmp_path)] + hst_args) == 1
    assert "not a regular file" in capsys.readouterr().err


def test_a_bad_output_is_refused_before_fitting(exposure, capsys):
    d, cube, hst_args = exposure
    assert _run([cube] + hst_args + ["--table", str(d / "missing" / "t.ecsv")]) == 1
    err = capsys.readouterr().err
    assert "--table" in err and "does not exist" in err and "dx" not in err
