"""Fixtures of the figure tests: synthetic fits with known content."""

import numpy as np
import pytest

from imphot_astropy import fit_image_photometry
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource

matplotlib = pytest.importorskip("matplotlib")

SHAPE = (64, 64)


def _masked_block():
    """A block of MUSE pixels the fit must not compare (shown distinctly)."""
    mask = np.zeros(SHAPE, dtype=bool)
    mask[20:30, 35:45] = True
    return mask


@pytest.fixture(scope="session")
def synthetic_pair():
    hst, muse, truth = make_synthetic_pair(shape=SHAPE, seed=3)
    muse.meta["OBJECT"] = "SYNTH-FIELD"
    return hst, muse, truth


@pytest.fixture(scope="session")
def synthetic_fit(synthetic_pair):
    """An image fit of in-memory images, with a masked block."""
    hst, muse, _ = synthetic_pair
    return fit_image_photometry(hst, muse, fix_beta=2.5, extramask=_masked_block())


@pytest.fixture
def synthetic_files(synthetic_pair, tmp_path):
    """The synthetic pair written as FITS files in a fresh directory."""
    hst, muse, _ = synthetic_pair
    hst_path = tmp_path / "HST-SYN-on-MUSE-grid.fits"
    muse_path = tmp_path / "IMAGE-SYN.fits"
    hst.write(hst_path, hdu_mask=None, hdu_uncertainty=None)
    muse.write(muse_path, hdu_mask=None, hdu_uncertainty=None)
    return hst_path, muse_path


@pytest.fixture(scope="module")
def star_pair(tmp_path_factory):
    """A synthetic pair with one star, written as FITS files (one directory
    per test module, which writes its hardcopies there)."""
    hst, muse, truth = make_synthetic_pair(
        shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], fwhm=0.65,
        beta=2.5, scale=1.2, dx=0.06, dy=-0.04, seed=1)
    directory = tmp_path_factory.mktemp("star")
    hst.write(directory / "HST-STAR.fits", hdu_mask=None, hdu_uncertainty=None)
    muse.write(directory / "IMAGE-STAR.fits", hdu_mask=None, hdu_uncertainty=None)
    ra, dec = truth["star_radec"][0]
    return directory, (ra, dec, 2.0)


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    """Tests that open pyplot figures must not leak them into others."""
    yield
    import matplotlib.pyplot as plt
    plt.close("all")
