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
    (["F606W", "--wave-unit", "furlong"], "--wave_units"),
    (["F606W", "--wave_units", "furlong"], "--wave_units"),
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


# --- The reference tool's interface (issue 18) ---------------------------

def _two_cubes(tmp_path):
    hdulist, _ = make_cube()
    paths = []
    for name in ("DATACUBE_a.fits", "b_cube.fits"):
        path = tmp_path / "inputs" / name
        path.parent.mkdir(exist_ok=True)
        hdulist.writeto(path)
        paths.append(path)
    return paths


def test_several_cubes_with_a_prefix_as_the_reference(tmp_path, monkeypatch, capsys):
    cubes = _two_cubes(tmp_path)
    curve = tmp_path / "inputs" / "tent.dat"
    curve.write_text("602.0 0\n609.0 1\n616.0 0\n")
    workdir = tmp_path / "work"
    (workdir / "out").mkdir(parents=True)
    monkeypatch.chdir(workdir)
    # The reference's option names: --prefix, --wave_units, --nprocess, --quiet.
    argv = [str(curve), *map(str, cubes), "--prefix", "out/hst", "--wave_units", "nm",
            "--nprocess", "1", "--quiet"]
    assert main(argv) == 0
    assert capsys.readouterr().out == ""
    outputs = [workdir / "out" / "hst_IMAGE_a.fits", workdir / "out" / "hst_b_image.fits"]
    for cube, output in zip(cubes, outputs):
        written = read_image(str(output))
        direct = bandpass_image(str(cube), str(curve), unit_wave="nm")
        live = ~direct.mask
        np.testing.assert_allclose(written.data[live], direct.data[live], rtol=1e-6)


def test_default_prefix_is_the_filter_name_and_errors_do_not_stop_the_others(
        tmp_path, monkeypatch, capsys):
    cubes = _two_cubes(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = ["F606W", str(cubes[0]), str(tmp_path / "missing_cube.fits"), str(cubes[1]),
            "--quiet", "--nprocess", "1"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "missing_cube.fits" in err
    assert (tmp_path / "F606W_IMAGE_a.fits").exists()
    assert (tmp_path / "F606W_b_image.fits").exists()


def test_output_is_for_one_cube_and_names_must_differ(tmp_path, capsys):
    cubes = _two_cubes(tmp_path)
    assert main(["F606W", *map(str, cubes), "--output", str(tmp_path / "x.fits")]) == 1
    assert "--output: give it with a single cube only" in capsys.readouterr().err
    other = tmp_path / "other"
    other.mkdir()
    twin = other / cubes[0].name
    twin.write_bytes(cubes[0].read_bytes())
    assert main(["F606W", str(cubes[0]), str(twin), "--prefix", str(tmp_path / "p")]) == 1
    assert "would both be written to" in capsys.readouterr().err
    assert not list(tmp_path.glob("p_*"))


def test_reference_entry_points_at_the_top_level(tmp_path, monkeypatch, capsys):
    import imphot_astropy
    cubes = _two_cubes(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["my_make_image", "F606W", str(cubes[1]), "--quiet",
                                     "--nprocess", "1"])
    # As the reference's scripts call them: no arguments, sys.argv is read.
    assert imphot_astropy.make_wideband_image_main() == 0
    assert (tmp_path / "F606W_b_image.fits").exists()
    capsys.readouterr()
    monkeypatch.setattr("sys.argv", ["my_regrid", str(tmp_path / "nope.fits"),
                                     str(tmp_path / "hst.fits"), "--quiet"])
    assert imphot_astropy.regrid_hst_to_muse_main() == 1
    assert capsys.readouterr().err.startswith("my_regrid: ")


@pytest.mark.parametrize("where, timeout", [("_process", "0"),
                                            ("_process_in_workers", "60")])
def test_ctrl_c_gives_status_130_and_one_line(cube_file, tmp_path, monkeypatch, capsys,
                                              where, timeout):
    # The shell's status for a process ended by SIGINT, as every command of the
    # package: in this process (--timeout 0) or while the worker runs.
    from imphot_astropy.scripts import make_wideband_image

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(make_wideband_image, where, interrupted)
    curve = tmp_path / "tent.dat"
    curve.write_text("6020 0\n6090 1\n6160 0\n")
    assert main([str(curve), str(cube_file), "--output", str(tmp_path / "o.fits"),
                 "--timeout", timeout]) == 130
    err = capsys.readouterr().err
    assert "make_wideband_image: interrupted" in err and "Traceback" not in err
    assert not (tmp_path / "o.fits").exists()


def test_a_cube_past_the_default_time_limit_costs_an_error(cube_file, tmp_path,
                                                           monkeypatch, capsys):
    """Without --timeout each cube is read in a worker killed at DEFAULT_TIMEOUT
    (made tiny here, so that a real extraction overruns it); --timeout 0 reads
    in this process, without a limit, and gives the same image as a worker."""
    from imphot_astropy.scripts import make_wideband_image

    assert make_wideband_image.DEFAULT_TIMEOUT == 1800.0
    curve = tmp_path / "tent.dat"
    curve.write_text("6020 0\n6090 1\n6160 0\n")
    in_worker, here = tmp_path / "worker.fits", tmp_path / "here.fits"
    assert main([str(curve), str(cube_file), "--output", str(in_worker), "--quiet"]) == 0
    assert main([str(curve), str(cube_file), "--output", str(here), "--quiet",
                 "--timeout", "0"]) == 0
    np.testing.assert_array_equal(read_image(str(in_worker)).data,
                                  read_image(str(here)).data)
    monkeypatch.setattr(make_wideband_image, "DEFAULT_TIMEOUT", 0.001)
    limited = tmp_path / "limited.fits"
    assert main([str(curve), str(cube_file), "--output", str(limited), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("make_wideband_image: ") and "\n" not in err
    assert str(cube_file) in err and "time limit (timeout) of 0.001 s" in err
    assert not limited.exists()


def test_the_default_time_limit_is_documented(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "(default 1800 s" in help_text and "0: no limit" in help_text
    assert "--scheduler" not in help_text
