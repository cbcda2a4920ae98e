"""Fixtures shared by the test modules of the package."""

import pytest

from imphot_astropy.datasets import hdfs_directory


@pytest.fixture(scope="session")
def hdfs():
    """The directory of the HDFS sample data; skips the test if absent."""
    directory = hdfs_directory(required=False)
    if directory is None:
        pytest.skip("HDFS sample data not found: expected ../shared/data/hdfs beside "
                    "the repository, or set IMPHOT_HDFS_DIR")
    return directory
