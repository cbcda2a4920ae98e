"""The image-fit figure of the real HDFS pair (the figure used in the docs).

What "shows the residuals clearly" means here, measured on the residual
panel's colour scale (0 = white, 1 = the darkest colour at either end):
the faint residuals of the galaxies move at least 40% of the compared pixels
more than 0.1 away from white (a linear scale up to the largest residual
moves only 23% of them), and the residual of the star
(RA 338.23763393, Dec -60.55636994, the data README's star) reaches more
than 0.6 without being clipped.
"""

import os

import numpy as np
import pytest
import matplotlib.image

from imphot_astropy import fit_image_photometry

STAR = (338.23763393, -60.55636994)


@pytest.fixture(scope="module")
def hdfs_figure(hdfs, tmp_path_factory):
    directory = tmp_path_factory.mktemp("hdfs")
    # Links, so that the hardcopy is written beside "the MUSE file" here and
    # not in the read-only data directory.
    for name in ("HST-HDFS-on-MUSE-grid.fits", "IMAGE-HDFS-1.34.fits"):
        os.symlink(hdfs / name, directory / name)
    import matplotlib.pyplot as plt
    fig = plt.figure()
    fit = fit_image_photometry(directory / "HST-HDFS-on-MUSE-grid.fits",
                               directory / "IMAGE-HDFS-1.34.fits", fix_beta=2.5,
                               hardcopy="png", fig=fig)
    yield fit, fig, directory
    plt.close(fig)


def _residual_image(fig):
    (ax,) = [ax for ax in fig.axes if ax.get_label() == "residual"]
    return ax.get_images()[0]


def test_hdfs_hardcopy_is_written(hdfs_figure):
    fit, fig, directory = hdfs_figure
    picture = matplotlib.image.imread(directory / "IMAGE-HDFS-1.34_image_fit.png")
    assert picture.shape[0] > 500 and picture.shape[1] > 500
    assert fig.get_suptitle() == "MUSE image: IMAGE-HDFS-1.34"


def test_hdfs_galaxy_and_star_residuals_are_clearly_visible(hdfs_figure):
    fit, fig, _ = hdfs_figure
    products = fit.products
    image = _residual_image(fig)
    shown = np.ma.filled(image.get_array().astype(float), np.nan)
    compared = products.good
    residual = (products.muse - products.model)[compared]
    np.testing.assert_allclose(shown[compared], residual)
    strength = 2.0 * np.abs(np.asarray(image.norm(residual)) - 0.5)
    assert np.mean(strength > 0.1) > 0.4
    assert image.norm.vmax >= np.max(np.abs(residual))
    # The star.
    x, y = products.wcs[products.crop].world_to_pixel_values(*STAR)
    rows, cols = np.mgrid[0:compared.shape[0], 0:compared.shape[1]]
    near = (np.hypot(cols - x, rows - y) <= 2.5) & compared
    assert near.sum() > 10
    star = (products.muse - products.model)[near]
    assert np.max(2.0 * np.abs(np.asarray(image.norm(star)) - 0.5)) > 0.6
