"""The images of an image fit (model, residual, Fourier amplitudes), made by the fitting layer."""

import numpy as np
import pytest

from imphot_astropy.datasets import make_synthetic_pair
from imphot_astropy.fitting import image_fit_images, measure_image_photometry

SHAPE = (64, 64)


@pytest.fixture(scope="module")
def synthetic_fit():
    """An image fit of in-memory images, with a masked block (as the figure tests')."""
    hst, muse, _ = make_synthetic_pair(shape=SHAPE, seed=3)
    mask = np.zeros(SHAPE, dtype=bool)
    mask[20:30, 35:45] = True
    return measure_image_photometry(hst, muse, fix_beta=2.5, extramask=mask)


def test_image_fit_images_units_and_wcs(synthetic_fit):
    images = image_fit_images(synthetic_fit)
    assert images.unit == synthetic_fit.unit
    assert images.wcs.pixel_shape is None or images.wcs.pixel_shape == \
        images.muse.shape[::-1]
    assert np.isnan(images.muse[~images.compared]).all()
    assert np.isfinite(images.model).all()
