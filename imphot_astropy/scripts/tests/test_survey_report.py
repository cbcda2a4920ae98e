"""The survey_report command: options reach the API; Ctrl-C and bad input end cleanly."""

import pytest

pytest.importorskip("matplotlib")

from imphot_astropy.datasets import make_survey_table  # noqa: E402
from imphot_astropy.scripts.survey_report import main  # noqa: E402


@pytest.fixture
def table_file(tmp_path):
    table, _, _ = make_survey_table(8, filters=("F606W", "F814W"), seed=2)
    path = tmp_path / "survey.ecsv"
    table.write(path)
    return path


def test_options_reach_the_report(table_file, tmp_path, capsys):
    out = tmp_path / "report"
    assert main([str(table_file), str(out), "--reference-band", "f606w",
                 "--title", "Run 7", "--limit", "3", "--nprocess", "1"]) == 0
    index = (out / "index.html").read_text()
    assert "Run 7" in index and "FWHM at F606W" in index
    assert "more than 3.0 such robust sigmas" in index
    assert "report written to" in capsys.readouterr().err


def test_unknown_band_is_one_line_error(table_file, tmp_path, capsys):
    assert main([str(table_file), str(tmp_path / "r"), "--reference-band", "F336W"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("survey_report: error: reference_bands: F336W")
    assert "Traceback" not in err and not (tmp_path / "r").exists()


def test_interrupted(table_file, tmp_path, capsys, monkeypatch):
    import imphot_astropy.report as report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "survey_report", interrupted)
    assert main([str(table_file), str(tmp_path / "r")]) == 130
    err = capsys.readouterr().err
    assert "survey_report: interrupted" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()
