"""fit_photometry under faults: a hung input, messages during the progress bar."""

import os

import pytest

from imphot_astropy.scripts.fit_photometry import main
from imphot_astropy.batch.tests.helpers import write_synthetic_field


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    directory = tmp_path_factory.mktemp("cli-faults")
    hst, muses, _ = write_synthetic_field(str(directory), 3, shape=(48, 48), seed=5)
    return directory, hst, muses


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_hung_input_costs_its_worker_after_the_timeout(field, tmp_path, capsys):
    # Opening a named pipe that nobody writes blocks for ever, as a hung
    # network file system would: a real fault, not a mock.
    _, hst, muses = field
    hung = tmp_path / "hung.fits"
    os.mkfifo(hung)
    status = main([hst, muses[0], str(hung), muses[1], "--nprocess", "2",
                   "--timeout", "3"])
    assert status == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if "error:" in line]
    assert len(errors) == 1
    assert str(hung) in errors[0] and "time limit (timeout) of 3 s" in errors[0]
    assert len([row for row in captured.out.splitlines() if row.startswith("muse")]) == 2
    assert "fit_photometry: 2 of 3 fitted, 1 of 3 failed" in captured.err.splitlines()
    # One image alone, with a time limit, is also fitted in a worker (and
    # reported as one image fitted here: its error line alone).
    assert main([hst, str(hung), "--timeout", "2"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "time limit (timeout) of 2 s" in err[0]


def test_errors_are_not_glued_to_the_progress_bar(field, tmp_path, capsys):
    _, hst, muses = field
    bad = tmp_path / "broken.fits"
    bad.write_text("not a FITS file")
    assert main([hst, muses[0], str(bad), muses[1], "--nprocess", "1"]) == 1
    err = capsys.readouterr().err
    lines = err.split("\n")
    error_lines = [line for line in lines if "error:" in line]
    assert len(error_lines) == 1
    # What is left of that line once the terminal has applied the carriage
    # returns: the message alone, the bar erased before it (tqdm.write).
    visible = error_lines[0].split("\r")[-1]
    assert visible.startswith("fit_photometry: error: ") and str(bad) in visible
    assert "%|" not in visible
    assert lines.count("fit_photometry: 2 of 3 fitted, 1 of 3 failed") == 1


def test_bad_timeout(field, capsys):
    _, hst, muses = field
    for bad in ("-1", "inf", "nan"):
        assert main([hst, muses[0], "--timeout", bad]) == 1
        assert "--timeout: expected a positive number of seconds (or 0 for no limit)" \
            in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_the_default_time_limit_applies_when_none_is_given(field, tmp_path, capsys,
                                                           monkeypatch):
    """Without --timeout, a hung input costs an error after DEFAULT_TIMEOUT (made
    short here), however many images there are: the command never hangs."""
    import time
    from imphot_astropy.scripts import fit_photometry

    _, hst, muses = field
    assert fit_photometry.DEFAULT_TIMEOUT == 600.0
    hung = tmp_path / "hung.fits"
    os.mkfifo(hung)
    monkeypatch.setattr(fit_photometry, "DEFAULT_TIMEOUT", 2.0)
    for files in ([str(hung)], [muses[0], str(hung)]):
        start = time.monotonic()
        assert main([hst] + files + ["--nprocess", "2"]) == 1
        assert 2.0 <= time.monotonic() - start < 60.0
        err = capsys.readouterr().err
        assert f"{hung}" in err and "time limit (timeout) of 2 s" in err


def test_timeout_0_means_no_limit(field, capsys):
    _, hst, muses = field
    for files in (muses[:1], muses[:2]):
        assert main([hst] + files + ["--timeout", "0"]) == 0
        rows = [r for r in capsys.readouterr().out.splitlines() if r.startswith("muse")]
        assert len(rows) == len(files)


def test_the_default_time_limit_is_documented(capsys):
    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default 600 s" in text and "0: no limit" in text


def test_timeout_is_refused_with_a_scheduler(field, capsys):
    """A per-file time limit kills a local worker; a Dask cluster's workers are
    not the command's to kill, so the two options together are an error,
    given before any connection is tried (the address here refuses one)."""
    _, hst, muses = field
    assert main([hst, muses[0], muses[1], "--timeout", "5",
                 "--scheduler", "tcp://127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert "--timeout" in err and "--scheduler" in err and "cannot reach" not in err


def test_the_time_limit_each_option_gives():
    """The default applies to local workers only; 0 turns any limit off. (Both
    commands run on a cluster without --timeout in test_fit_cube_photometry_dask.)"""
    from imphot_astropy.exceptions import UserError
    from imphot_astropy.scripts.arguments import command_timeout

    assert command_timeout(None, None, 600.0) == 600.0
    assert command_timeout(30.0, None, 600.0) == 30.0
    assert command_timeout(0.0, None, 600.0) is None
    assert command_timeout(None, "tcp://scheduler:8786", 600.0) is None
    assert command_timeout(0.0, "tcp://scheduler:8786", 600.0) is None
    with pytest.raises(UserError, match="--scheduler"):
        command_timeout(30.0, "tcp://scheduler:8786", 600.0)
