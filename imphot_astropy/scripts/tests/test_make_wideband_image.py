"""The make_wideband_image command."""

import pathlib

import numpy as np
import pytest

from imphot_astropy.io import read_image
from imphot_astropy.scripts.make_wideband_image import main
from imphot_astropy.wideband import bandpass_image, wideband_image_name
from imphot_astropy.wideband.tests.synthetic import make_cube

HDFS = pathlib.Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "hdfs"


@pytest.fixture
def cube_file(tmp_path):
    hdulist, truth = make_cube()
    path = tmp_path / "inputs" / "DATACUBE_synthetic.fits"
    path.parent.mkdir()
    hdulist.writeto(path)
    return path


def test_default_output_name_and_content(cube_file, tmp_path, monkeypatch, capsys):
    curve = tmp_path / "inputs" / "tent.v2.dat"
    curve.write_text("6020 0\n6090 1\n6160 0\n")
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    assert main([str(curve), str(cube_file), "--nprocess", "2"]) == 0
    # imphot's naming: <filter file base name>_<cube name, DATACUBE -> IMAGE>.
    output = workdir / "tent_IMAGE_synthetic.fits"
    assert output.exists()
    out = capsys.readouterr().out
    assert "Writing image to: tent_IMAGE_synthetic.fits" in out
    written = read_image(str(output))
    direct = bandpass_image(str(cube_file), str(curve))
    live = ~direct.mask
    np.testing.assert_allclose(written.data[live], direct.data[live], rtol=1e-6)
    np.testing.assert_array_equal(written.mask, direct.mask)


def test_explicit_output_and_quiet(cube_file, tmp_path, capsys):
    output = tmp_path / "mine.fits"
    argv = ["F606W", str(cube_file), "--output", str(output), "--quiet",
            "--nprocess", "-1"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    # The synthetic cube covers 6000-6200 A only: most of F606W is lost.
    assert captured.err.startswith("WARNING: DATACUBE_synthetic: ")
    assert "of the integrated response" in captured.err
    assert output.exists()


@pytest.mark.parametrize("argv_tail, message", [
    (["F999W"], "neither an existing file nor a known HST filter"),
    (["F435W"], "does not overlap"),
    (["F606W", "--wave-unit", "furlong"], "--wave-unit"),
])
def test_errors_give_status_1_and_one_line(cube_file, tmp_path, capsys, argv_tail, message):
    argv = [argv_tail[0], str(cube_file)] + argv_tail[1:] + ["--output",
                                                             str(tmp_path / "x.fits")]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert err.startswith("make_wideband_image: ")
    assert not (tmp_path / "x.fits").exists()


def test_refuses_to_overwrite_the_cube(cube_file, capsys):
    assert main(["F606W", str(cube_file), "--output", str(cube_file)]) == 1
    assert "input file" in capsys.readouterr().err


def test_name_rule():
    assert wideband_image_name("F775W", "CUBE.fits") == "F775W_IMAGE.fits"
    assert wideband_image_name("a/b/wfc_F850LP.dat", "x/my_datacube_1.fits") == \
        "wfc_F850LP_my_image_1.fits"
    assert wideband_image_name("f.dat", "field.fits") == "f_field.fits"


def test_hdfs_cube(tmp_path, monkeypatch, capsys):
    cube = HDFS / "CUBE.fits"
    if not cube.exists():
        pytest.skip(f"HDFS sample data not found at {HDFS.resolve()}")
    monkeypatch.chdir(tmp_path)
    assert main(["acs_wfc_f775w", str(cube)]) == 0
    err = capsys.readouterr().err
    assert "22.1% of the integrated response" in err
    assert (tmp_path / "acs_wfc_f775w_IMAGE.fits").exists()
