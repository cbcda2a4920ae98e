"""Finding the HDFS sample data, as after a normal (non-editable) install."""

import pytest

from imphot_astropy import UserError
from imphot_astropy.datasets import hdfs as hdfs_module
from imphot_astropy.datasets import hdfs_directory, hdfs_path


@pytest.fixture
def installed(monkeypatch, tmp_path):
    """The package as if installed in site-packages: no checkout beside it."""
    site = tmp_path / "venv" / "lib" / "site-packages" / "imphot_astropy" / "datasets"
    site.mkdir(parents=True)
    monkeypatch.setattr(hdfs_module, "__file__", str(site / "hdfs.py"))
    monkeypatch.delenv("IMPHOT_HDFS_DIR", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return tmp_path


def _fake_data(directory):
    directory.mkdir(parents=True)
    (directory / "IMAGE-HDFS-1.34.fits").write_bytes(b"")
    return directory


def test_nothing_found_names_the_variable(installed):
    with pytest.raises(UserError, match="set the environment variable IMPHOT_HDFS_DIR"):
        hdfs_directory()
    assert hdfs_directory(required=False) is None
    assert hdfs_path("muse_cube", required=False) is None


def test_the_variable_comes_first(installed, monkeypatch):
    data = _fake_data(installed / "data")
    _fake_data(installed / "shared" / "data" / "hdfs")  # ../shared from cwd
    monkeypatch.setenv("IMPHOT_HDFS_DIR", str(data))
    assert hdfs_directory() == data
    assert hdfs_path("muse_cube") == data / "CUBE.fits"


def test_a_variable_pointing_nowhere_is_an_error(installed, monkeypatch):
    monkeypatch.setenv("IMPHOT_HDFS_DIR", str(installed / "missing"))
    with pytest.raises(UserError, match="IMPHOT_HDFS_DIR=.*missing: no IMAGE-HDFS-1.34.fits"):
        hdfs_directory()


def test_found_from_the_checkout_directory(installed):
    # pip install . && python3 -m pytest, run from the checkout: ../shared.
    data = _fake_data(installed / "shared" / "data" / "hdfs")
    assert hdfs_directory() == data


def test_found_beside_the_source_checkout(installed, monkeypatch, tmp_path):
    checkout = tmp_path / "clone"
    module = checkout / "imphot_astropy" / "datasets"
    module.mkdir(parents=True)
    monkeypatch.setattr(hdfs_module, "__file__", str(module / "hdfs.py"))
    data = _fake_data(tmp_path / "shared" / "data" / "hdfs")
    monkeypatch.chdir("/")
    assert hdfs_directory() == data


def test_unknown_key():
    with pytest.raises(UserError, match="key: expected one of"):
        hdfs_path("nope")
