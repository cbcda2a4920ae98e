"""Tapering, segmentation, and the Fourier model's Jacobian."""

import numpy as np
import pytest

from imphot_astropy.core.masks import taper_weights, segmentation_mask, bounding_slices
from imphot_astropy.core.fourier_model import FourierPlaneProblem, FourierImageModel
from imphot_astropy.core.transfer import RegridFilter, regrid_filter_from_header
from imphot_astropy import UserError


def test_taper_is_zero_at_masks_and_one_far_from_them():
    mask = np.zeros((40, 40), bool)
    mask[20, 20] = True
    weights = taper_weights(mask, 9)
    assert weights[20, 20] == 0
    assert weights[20, 31] == 1 and weights[0, 0] == 1
    ramp = weights[20, 21:31]
    assert np.all(np.diff(ramp) > 0) and 0 < ramp[0] < 0.1
    np.testing.assert_array_equal(taper_weights(mask, 1), (~mask).astype(float))


def test_segmentation_marks_only_empty_sky():
    rng = np.random.default_rng(3)
    image = rng.normal(0, 0.01, (50, 50))
    image[20:30, 20:30] += 5.0
    background = segmentation_mask(image, np.zeros_like(image, bool))
    assert not background[22:28, 22:28].any()
    # About half of the empty sky lies below the median, less the erosion.
    assert background[:10, :10].mean() > 0.1


def test_bounding_slices():
    good = np.zeros((6, 7), bool)
    good[2, 3] = good[4, 5] = True
    assert bounding_slices(good) == (slice(2, 5), slice(3, 6))


def test_jacobian_matches_numerical_derivatives():
    rng = np.random.default_rng(1)
    shape = (48, 48)
    muse, hst = rng.normal(size=shape), rng.normal(size=shape)
    window = np.ones(shape)
    window[:5] = 0
    problem = FourierPlaneProblem(muse, hst, window, 0.2, 0.2, RegridFilter().transfer,
                                  0.085, 1.6, median=0.1, xshift=0.2)
    model = FourierImageModel(problem, scale=1.7, bg=0.3, dx=0.25, dy=-0.05,
                              fwhm=0.6, beta=2.5)
    x = problem.index
    jacobian = model.fit_deriv(x, *model.parameters)
    for k, name in enumerate(model.param_names):
        step = 1e-6 * max(1.0, abs(model.parameters[k]))
        up, down = model.parameters.copy(), model.parameters.copy()
        up[k] += step
        down[k] -= step
        numeric = (model.evaluate(x, *up) - model.evaluate(x, *down)) / (2 * step)
        scale = np.max(np.abs(jacobian[k]))
        assert np.max(np.abs(numeric - jacobian[k])) < 1e-5 * scale, name


def test_model_with_truth_reproduces_a_shifted_convolved_image():
    """A delta function convolved and shifted by the model lands where expected."""
    shape = (64, 64)
    hst = np.zeros(shape)
    hst[32, 32] = 1.0
    problem = FourierPlaneProblem(np.zeros(shape), hst, np.ones(shape), 0.2, 0.2,
                                  RegridFilter().transfer, 0.085, 1.6)
    model = FourierImageModel(problem)
    image = model.model_image(1.0, 0.0, 0.4, -0.2, 0.6, 2.5)
    peak = np.unravel_index(np.argmax(image), shape)
    assert peak == (31, 34)  # +2 pixels in x, -1 in y
    assert image.sum() == pytest.approx(1.0, rel=1e-6)


def test_unknown_regrid_filter_is_refused():
    with pytest.raises(UserError, match="unknown anti-aliasing filter"):
        regrid_filter_from_header({"IMPFILT": "LANCZOS3"})
    with pytest.raises(UserError, match="IMPFCUT"):
        regrid_filter_from_header({"IMPFILT": "BLACKMAN", "IMPFCUT": 2.0})
