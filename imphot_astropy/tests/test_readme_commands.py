"""The README's first-hour commands, and CI running exactly them.

A new user copies the README's two commands; CI (.ci/run) runs the same
two, extracted from the README by .ci/readme_commands.py. These tests fail
if the README, the extractor, CI or the ``all`` extra drift apart.
"""

import configparser
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CI_DIR = ROOT / ".ci"

pytestmark = pytest.mark.skipif(not (CI_DIR / "run").exists(),
                                reason="not a source checkout (no .ci/run)")


def _readme_commands():
    module = runpy.run_path(str(CI_DIR / "readme_commands.py"))
    return module["readme_commands"]((ROOT / "README.rst").read_text())


def _requirement_names(text):
    return {line.split(">")[0].split("=")[0].split("<")[0].strip().lower()
            for line in text.splitlines() if line.strip()}


def test_readme_has_an_install_and_a_test_command():
    install, test = _readme_commands()
    assert install.startswith('pip install ".[all]" && fit_photometry ')
    assert "../shared/data/hdfs/" in install
    assert test == "python3 -m pytest"


def test_the_install_command_installs_what_the_test_command_needs():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    extras = config["options.extras_require"]
    install, _ = _readme_commands()
    extra = install.split('".[', 1)[1].split(']"', 1)[0]
    assert "pytest" in _requirement_names(extras[extra])
    peer_tools = {"mpdaf"}  # their comparison tests skip when absent
    assert _requirement_names(extras["test"]) - peer_tools <= \
        _requirement_names(extras[extra])


def test_ci_runs_the_commands_extracted_from_the_readme():
    script = (CI_DIR / "run").read_text()
    assert "python3 .ci/readme_commands.py README.rst" in script
    assert 'bash -euo pipefail -c "$command"' in script
    # No other installation or test run before the README's commands.
    before = script.split("readme_commands.py", 1)[0]
    assert "pip install" not in before and "pytest" not in before


def test_getting_started_page_repeats_the_readme_commands():
    page = (ROOT / "docs" / "getting_started.rst").read_text()
    for command in _readme_commands():
        assert command in page
