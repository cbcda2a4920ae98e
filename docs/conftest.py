"""Run the documentation's examples as tests, in a scratch directory.

The tutorial reads the HDFS sample data and writes files; each page runs in
its own temporary directory, and pages that need the sample data are
skipped, with the reason, when it is absent.
"""

import os

import pytest

from imphot_astropy.datasets import hdfs_directory

NEEDS_HDFS = ("tutorial.rst", "getting_started.rst", "pitfalls.rst")

# The Sphinx configuration and the figure scripts are not test modules (the
# figure scripts run when the documentation is built).
collect_ignore = ["conf.py", "_build"]
collect_ignore_glob = ["figures/*"]


@pytest.fixture(autouse=True)
def _scratch_directory(request, tmp_path, doctest_namespace):
    name = os.path.basename(str(request.node.fspath))
    if name in NEEDS_HDFS and hdfs_directory(required=False) is None:
        pytest.skip("HDFS sample data not found: expected ../shared/data/hdfs beside "
                    "the repository, or set IMPHOT_HDFS_DIR")
    os.environ.setdefault("MPLBACKEND", "Agg")
    previous = os.getcwd()
    os.chdir(tmp_path)
    yield
    os.chdir(previous)
