"""--star auto and FitStarPhotometryMP with star="auto": the star found by find_point_sources."""

import os

import pytest

from imphot_astropy.batch import FitStarPhotometryMP
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.photometry import fit_star_photometry
from imphot_astropy.scripts.fit_photometry import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("auto")
    hst, muse, truth = make_synthetic_pair(
        shape=(50, 50), sources=[SyntheticSource(24.3, 25.6, 500.0)], hst_noise=0.01,
        seed=2)
    hst_path = os.path.join(directory, "hst.fits")
    muse_path = os.path.join(directory, "muse.fits")
    hst.write(hst_path)
    muse.write(muse_path)
    return hst_path, muse_path, truth


def test_auto_star_is_the_found_star(files):
    hst, muse, truth = files
    auto = fit_star_photometry(hst, muse, ("auto", 1.5))
    ra, dec = auto.ra, auto.dec
    assert abs(ra - truth["star_radec"][0][0]) * 3600 < 0.02
    assert abs(dec - truth["star_radec"][0][1]) * 3600 < 0.02
    assert auto.fwhm.value == pytest.approx(truth["fwhm"], abs=0.01)


def test_command_line_star_auto(files, capsys):
    hst, muse, truth = files
    assert main([hst, muse, "--star", "auto", "1.5"]) == 0
    out = capsys.readouterr().out
    assert " star " in out and " image " in out


def test_fit_star_photometry_mp_with_auto(files):
    hst, muse, truth = files
    with FitStarPhotometryMP(hst, [muse], {"star": "auto"}, nworker=1) as fits:
        (result,) = list(fits)
    assert result.method == "star"
    assert result.fwhm.value == pytest.approx(truth["fwhm"], abs=0.01)
