"""The reference tool's star-fit figures (``plain_*``), on truth and on HDFS.

The reference fitted a plain point-sampled Moffat to the star in each
image. On images whose stars ARE plain point-sampled Moffats, the
``plain_*`` figures must recover them (truth); on HDFS they must give the
reference tool's figures (data README: scale 180.81, FWHM 0.7417",
beta 2.630, dx -0.03985", dy 0.13257"), while ``scale`` keeps our better
model's value (150.6).
"""

import numpy as np
import pytest
import astropy.units as u
from astropy.nddata import CCDData, VarianceUncertainty

from imphot_astropy import fit_star_photometry, photometry_table
from imphot_astropy.datasets.synthetic import muse_wcs
from imphot_astropy.fitting.star_models import PixelIntegratedMoffat2D

SHAPE = (41, 41)
HDFS_STAR = (338.23763393, -60.55636994, 2.0)


def _plain_star_image(wcs, flux, fwhm, beta, x, y, bg, noise, seed, meta=None):
    """An image whose star is a plain Moffat sampled at the pixel centres."""
    moffat = PixelIntegratedMoffat2D(0.2, 0.2, nodes=1, flux=flux, fwhm=fwhm, beta=beta,
                                     x_0=x * 0.2, y_0=y * 0.2)
    rows, cols = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    data = moffat(cols * 0.2, rows * 0.2) + bg
    data += np.random.default_rng(seed).normal(0.0, noise, SHAPE)
    return CCDData(data, unit="1e-20 erg / (s cm2 Angstrom)", wcs=wcs, meta=meta,
                   uncertainty=VarianceUncertainty(np.full(SHAPE, noise**2)))


def test_plain_figures_recover_plain_moffat_stars():
    wcs = muse_wcs(SHAPE)
    # The MUSE star 0.1" right of and 0.06" below the HST star.
    muse = _plain_star_image(wcs, 1200.0, 0.7, 2.6, 20.3, 19.8, 0.5, 0.02, 1)
    # An HST image with a variance names its camera, or it would be taken
    # for a MUSE image given in the wrong place.
    hst = _plain_star_image(wcs, 1000.0, 0.45, 4.0, 19.8, 20.1, 0.2, 0.002, 2,
                            meta={"INSTRUME": "ACS"})
    ra, dec = wcs.pixel_to_world_values(20.0, 20.0)
    fit = fit_star_photometry(hst, muse, (float(ra), float(dec), 2.0))
    assert fit.plain_scale.value == pytest.approx(1.2, rel=2e-3)
    assert fit.plain_bg.value == pytest.approx(0.3, abs=0.01)
    assert fit.plain_dx.value == pytest.approx(0.1, abs=2e-3)
    assert fit.plain_dy.value == pytest.approx(-0.06, abs=2e-3)
    assert fit.plain_fwhm.value == pytest.approx(0.7, rel=2e-3)
    assert fit.plain_beta.value == pytest.approx(2.6, abs=0.03)
    assert fit.plain_hst_fwhm.value == pytest.approx(0.45, rel=2e-3)
    assert fit.plain_hst_beta.value == pytest.approx(4.0, abs=0.05)
    # Every figure has an uncertainty, and the table has the columns.
    assert all(getattr(fit, f"plain_{n}").stdev > 0 for n in
               ("scale", "bg", "dx", "dy", "fwhm", "beta", "hst_fwhm", "hst_beta"))
    table = photometry_table([fit])
    assert table["plain_scale"][0] == fit.plain_scale.value
    assert table["plain_hst_fwhm"].unit == u.arcsec


@pytest.fixture(scope="module")
def hdfs_star_fit(hdfs):
    return fit_star_photometry(hdfs / "HST-HDFS-on-MUSE-grid.fits",
                               hdfs / "IMAGE-HDFS-1.34.fits", HDFS_STAR)


def test_hdfs_plain_figures_are_the_reference_tools(hdfs_star_fit):
    fit = hdfs_star_fit
    assert fit.plain_scale.value == pytest.approx(180.81, rel=5e-3)
    assert fit.plain_fwhm.value == pytest.approx(0.7417, rel=5e-3)
    assert fit.plain_beta.value == pytest.approx(2.630, abs=0.02)
    assert fit.plain_dx.value == pytest.approx(-0.03985, abs=0.003)
    assert fit.plain_dy.value == pytest.approx(0.13257, abs=0.003)
    # The HST star as seen in the regridded image is far wider than the HST
    # PSF that our band-limited model describes.
    assert fit.plain_hst_fwhm.value > 3 * fit.hst_fwhm.value
    assert 0.45 < fit.plain_hst_fwhm.value < 0.6
    # Our own figures are unchanged by the extra fits.
    assert fit.scale.value == pytest.approx(150.62, abs=0.05)
    assert fit.plain_scale.value / fit.scale.value == pytest.approx(1.2, abs=0.01)
