"""The fit_photometry command and its argument parser."""

import inspect
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest
from astropy.table import Table

from imphot_astropy.exceptions import UserError
from imphot_astropy.photometry import (fit_image_photometry, fit_star_photometry,
                                       fit_image_and_star_photometry)
from imphot_astropy.scripts.arguments import (ImphotArgumentParser, extract_function_args,
                                              FIT_IMAGE, FIT_STAR, FIT_BOTH)
from imphot_astropy.scripts.fit_photometry import main, fit_photometry_main
from imphot_astropy.batch.tests.helpers import write_synthetic_field
from imphot_astropy.batch.tests import processes

REPO = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    directory = tmp_path_factory.mktemp("cli")
    hst, muses, truths = write_synthetic_field(str(directory), 4, shape=(60, 60), seed=21)
    return directory, hst, muses, truths


@pytest.fixture(scope="module")
def direct(field):
    _, hst, muses, _ = field
    return {m: fit_image_photometry(hst, m, fix_beta=2.5) for m in muses}


def _rows(text):
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _headers(text):
    return [line for line in text.splitlines() if line.startswith("#")]


# ---- the parser ---------------------------------------------------------------

def _keywords(function):
    # All but the two images, and fig: a matplotlib Figure is no command-line option.
    return sorted(set(list(inspect.signature(function).parameters)[2:]) - {"fig"})


def test_every_keyword_of_the_image_fitter_is_an_option():
    options = ImphotArgumentParser(FIT_IMAGE).parse_args([])
    assert sorted(extract_function_args(options, fit_image_photometry)) == \
        _keywords(fit_image_photometry)


def test_defaults_are_the_fitters_but_beta_is_fixed_on_the_command_line():
    options = ImphotArgumentParser(FIT_BOTH).parse_args([])
    kwargs = extract_function_args(options, fit_image_photometry)
    for name, parameter in inspect.signature(fit_image_photometry).parameters.items():
        if name in kwargs and name not in ("fix_beta", "regions"):
            assert kwargs[name] == parameter.default, name
    assert kwargs["fix_beta"] == 2.5
    # The reference command's default: "star" (the --star circle; without
    # --star, no regions, the same as the function's default None).
    assert kwargs["regions"] == "star"


def test_none_frees_a_parameter_and_star_takes_three_numbers():
    parser = ImphotArgumentParser(FIT_BOTH)
    options = parser.parse_args(["--fix_beta", "none", "--fix_fwhm", "0.7", "--star",
                                 "338.2", "-60.5", "2", "--regions", "none", "--segment"])
    assert options.fix_beta is None and options.fix_fwhm == 0.7
    assert options.star == (338.2, -60.5, 2.0) and options.regions is None
    assert options.segment is True


def test_star_parser_has_the_star_fitter_options_and_both_have_all():
    options = vars(ImphotArgumentParser(FIT_STAR).parse_args([]))
    assert sorted(options) == _keywords(fit_star_photometry)
    options = ImphotArgumentParser(FIT_BOTH).parse_args([])
    for function in (fit_star_photometry, fit_image_and_star_photometry):
        assert sorted(extract_function_args(options, function)) == _keywords(function)
    assert "margin" in vars(ImphotArgumentParser(FIT_IMAGE + FIT_STAR).parse_args([]))


def test_bad_option_values(capsys):
    parser = ImphotArgumentParser(FIT_IMAGE, prog="x")
    with pytest.raises(SystemExit):
        parser.parse_args(["--fix_fwhm", "wide"])
    assert "expected a number or 'none'" in capsys.readouterr().err
    with pytest.raises(UserError, match="functions"):
        ImphotArgumentParser(4)


def test_extract_function_args_takes_dicts_and_skips_the_images():
    def fitter(hst, muse, star=None, *, taper=9):
        pass
    assert extract_function_args({"hst": 1, "muse": 2, "star": 3, "taper": 4, "x": 5},
                                 fitter) == {"star": 3, "taper": 4}


# ---- the command --------------------------------------------------------------

def test_one_file_prints_the_direct_result(field, direct, capsys):
    _, hst, muses, _ = field
    assert main([hst, muses[0]]) == 0
    out = capsys.readouterr().out
    assert len(_headers(out)) == 3
    assert _rows(out) == [direct[muses[0]].summary(header=False)]


def test_several_files_one_header_a_row_each_a_table_and_a_progress_bar(field, direct,
                                                                        capsys):
    directory, hst, muses, _ = field
    table_path = os.path.join(directory, "all.ecsv")
    assert main([hst] + muses + ["--nprocess", "2", "--table", table_path]) == 0
    captured = capsys.readouterr()
    assert len(_headers(captured.out)) == 3
    assert sorted(_rows(captured.out)) == sorted(direct[m].summary(header=False)
                                                 for m in muses)
    assert "4/4" in captured.err  # the progress bar
    table = Table.read(table_path)
    assert sorted(table["name"]) == sorted(direct[m].name for m in muses)
    for row in table:
        expected = next(r for r in direct.values() if r.name == row["name"])
        for column in ("scale", "fwhm", "beta", "bg", "dx", "dy", "dra", "ddec",
                       "rms_error", "fwhm_err"):
            expected_value = (expected.rms_error if column == "rms_error"
                              else getattr(expected, column.replace("_err", "")).stdev
                              if column.endswith("_err")
                              else getattr(expected, column).value)
            assert row[column] == expected_value, column  # ECSV keeps every bit


def test_fits_table_and_verbose_reports(field, direct, capsys):
    directory, hst, muses, _ = field
    table_path = os.path.join(directory, "two.fits")
    assert main([hst, muses[1], muses[2], "--table", table_path, "--verbose",
                 "--nprocess", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("[[Fit Statistics]]") == 2
    assert len(Table.read(table_path)) == 2


def test_a_bad_file_among_several_fails_alone(field, direct, capsys):
    directory, hst, muses, _ = field
    bad = os.path.join(directory, "broken.fits")
    with open(bad, "w") as f:
        f.write("not a FITS file")
    assert main([hst, muses[0], bad, muses[1]]) == 1
    captured = capsys.readouterr()
    assert sorted(_rows(captured.out)) == sorted(direct[m].summary(header=False)
                                                 for m in muses[:2])
    errors = [line for line in captured.err.splitlines() if "error:" in line]
    assert len(errors) == 1 and bad in errors[0] and "Traceback" not in captured.err


def test_user_error_is_one_line_and_status_1(field, capsys):
    directory, hst, muses, _ = field
    assert main([hst, os.path.join(directory, "missing.fits")]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"fit_photometry: error: muse: the file {directory}/missing.fits does not exist"]
    assert main([hst, muses[0], "--fix_beta", "0.5"]) == 1
    assert "fix_beta" in capsys.readouterr().err


def test_table_may_not_replace_an_input_or_have_an_unknown_format(field, capsys):
    _, hst, muses, _ = field
    before = pathlib.Path(muses[0]).read_bytes()
    assert main([hst, muses[0], muses[1], "--table", muses[0]]) == 1
    assert "is an input file" in capsys.readouterr().err
    assert pathlib.Path(muses[0]).read_bytes() == before
    assert main([hst, muses[0], "--table", "out.txt"]) == 1
    assert ".ecsv or .fits" in capsys.readouterr().err


def test_bad_options_exit_2_and_help_exits_0(capsys):
    assert main(["--nprocess", "many", "a", "b"]) == 2
    assert main(["--help"]) == 0
    assert "--fix_beta" in capsys.readouterr().out


def test_reference_style_entry_point(field, direct, capsys):
    _, hst, muses, _ = field
    assert fit_photometry_main(["fitphot", hst, muses[3]]) == 0
    assert _rows(capsys.readouterr().out) == [direct[muses[3]].summary(header=False)]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in
                                                       [env.get("PYTHONPATH")] if p])
    return env


def test_runs_as_a_module_in_a_subprocess(field, direct):
    _, hst, muses, _ = field
    run = subprocess.run([sys.executable, "-m", "imphot_astropy.scripts.fit_photometry",
                          hst] + muses[:3], capture_output=True, text=True, timeout=300,
                         env=_env(), cwd=str(REPO))
    assert run.returncode == 0, run.stderr
    assert sorted(_rows(run.stdout)) == sorted(direct[m].summary(header=False)
                                               for m in muses[:3])


@pytest.mark.skipif(not sys.platform.startswith("linux") or not hasattr(os, "mkfifo"),
                    reason="needs /proc and named pipes")
def _default_sigint():
    # A test run started in the background (CI, nohup, '&') has SIGINT
    # ignored, and a child would inherit that: give it a terminal's default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_the_command_and_its_workers(field, tmp_path):
    # Each fit reads its extra mask from a named pipe that nobody writes to:
    # the workers block, as on a hung network file system, until Ctrl-C.
    _, hst, muses, _ = field
    fifo = tmp_path / "mask.fits"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, "-m", "imphot_astropy.scripts.fit_photometry",
                             hst] + muses + ["--extramask", str(fifo), "--nprocess", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(), cwd=str(REPO), preexec_fn=_default_sigint)
    try:
        deadline = time.monotonic() + 120
        workers = set()
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = {p for p in processes.descendants(proc.pid)
                       if not processes.is_service(p)}
            time.sleep(0.1)
        assert len(workers) >= 2, "the workers did not start"
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "fit_photometry: interrupted" in err and "Traceback" not in err
    assert processes.wait_until_gone(workers, timeout=10) == set()


def test_star_adds_the_star_method_one_file_and_several(field, capsys):
    directory, hst, muses, truths = field
    ra, dec = truths[0]["star_radec"][0]
    star = (ra, dec, 1.5)
    direct = {m: fit_image_and_star_photometry(hst, m, star=star, fix_beta=2.5)
              for m in muses[:3]}
    star_args = ["--star", repr(ra), repr(dec), "1.5"]
    assert main([hst, muses[0]] + star_args) == 0
    out = capsys.readouterr().out
    assert len(_headers(out)) == 3
    assert _rows(out) == [r.summary(header=False) for r in direct[muses[0]]]
    table_path = os.path.join(directory, "star.ecsv")
    assert main([hst] + muses[:3] + star_args + ["--table", table_path]) == 0
    out = capsys.readouterr().out
    assert len(_headers(out)) == 3
    assert sorted(_rows(out)) == sorted(r.summary(header=False)
                                        for pair in direct.values() for r in pair)
    table = Table.read(table_path)
    assert sorted(table["method"]) == ["image"] * 3 + ["star"] * 3


def test_apply_writes_corrected_images(field, tmp_path, capsys):
    _, hst, muses, _ = field
    copies = []
    for muse in muses[:2]:
        copy = tmp_path / os.path.basename(muse)
        shutil.copy(muse, copy)
        copies.append(str(copy))
    assert main([hst] + copies + ["--apply"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert len(rows) == 2
    for copy in copies:
        aligned = pathlib.Path(copy.replace(".fits", "_aligned.fits"))
        assert aligned.exists()
        from astropy.io import fits
        with fits.open(copy) as before, fits.open(aligned) as after:
            dx = fit_image_photometry(hst, copy, fix_beta=2.5).dx.value
            shift = after["DATA"].header["CRPIX1"] - before["DATA"].header["CRPIX1"]
            assert shift == pytest.approx(dx / 0.2, rel=1e-6)


def test_hardcopy_writes_a_figure_per_file_and_display_wants_one_file(field, tmp_path,
                                                                      capsys):
    _, hst, muses, _ = field
    copies = []
    for muse in muses[:2]:
        copy = tmp_path / os.path.basename(muse)
        shutil.copy(muse, copy)
        copies.append(copy)
    assert main([str(hst)] + [str(c) for c in copies] + ["--hardcopy", "png"]) == 0
    for copy in copies:
        figure = copy.with_name(copy.stem + "_image_fit.png")
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    assert main([str(hst)] + [str(c) for c in copies] + ["--display"]) == 1
    assert "--display: figures are shown for one MUSE image" in capsys.readouterr().err


# ---- the real data ------------------------------------------------------------

def test_hdfs_image_fit_from_the_command_line(hdfs, capsys):
    hst = str(hdfs / "HST-HDFS-on-MUSE-grid.fits")
    muse = str(hdfs / "IMAGE-HDFS-1.34.fits")
    assert main([hst, muse]) == 0
    rows = _rows(capsys.readouterr().out)
    assert rows == [fit_image_photometry(hst, muse, fix_beta=2.5).summary(header=False)]
    assert rows[0].split()[:2] == ["IMAGE-HDFS-1.34", "image"]


def test_hdfs_image_and_star_rows(hdfs, capsys):
    hst = str(hdfs / "HST-HDFS-on-MUSE-grid.fits")
    muse = str(hdfs / "IMAGE-HDFS-1.34.fits")
    assert main([hst, muse, "--star", "338.23763393", "-60.55636994", "2.0"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert [row.split()[:2] for row in rows] == [["IMAGE-HDFS-1.34", "image"],
                                                 ["IMAGE-HDFS-1.34", "star"]]


def test_the_psf_choices_are_the_fitters_psf_models():
    from imphot_astropy.fitting.options import PSF_MODELS
    from imphot_astropy.scripts.arguments import _FITTER_OPTIONS
    choices = [tuple(spec["choices"]) for name, _, spec in _FITTER_OPTIONS
               if name == "--psf"]
    assert choices == [PSF_MODELS]
    # fit_cube_photometry writes the same names out, for the same reason.
    from imphot_astropy.scripts.fit_cube_photometry import _parser
    cube_choices = [tuple(action.choices) for action in _parser("fit_cube_photometry")._actions
                    if "--psf" in action.option_strings]
    assert cube_choices == [PSF_MODELS]
