"""Building the docs writes only into the build folder.

matplotlib's plot directive runs each figure script as ``__main__``, in the
script's own directory, with the script name alone in ``sys.argv``. Run the
scripts that way here and check that they leave no file in docs/.
"""

import os
import runpy
import sys
from pathlib import Path

import pytest

FIGURES = Path(__file__).resolve().parents[2] / "docs" / "figures"


def _tree(directory):
    return {p: p.stat().st_mtime_ns for p in directory.parent.rglob("*")
            if "_build" not in p.parts and "api" not in p.relative_to(directory.parent).parts
            and "__pycache__" not in p.parts}


@pytest.mark.skipif(not FIGURES.is_dir(), reason="not a source checkout (no docs/)")
@pytest.mark.parametrize("script", sorted(p.name for p in FIGURES.glob("*.py"))
                         if FIGURES.is_dir() else [])
def test_figure_script_writes_nothing_under_the_plot_directive(script, hdfs, monkeypatch):
    import matplotlib.pyplot as plt
    before = _tree(FIGURES)
    monkeypatch.chdir(FIGURES)
    monkeypatch.setattr(sys, "argv", [str(FIGURES / script)])
    try:
        runpy.run_path(str(FIGURES / script), run_name="__main__")
    finally:
        plt.close("all")
    assert _tree(FIGURES) == before
    assert os.getcwd() == str(FIGURES)
