"""Tapering, segmentation, and the Fourier model's Jacobian."""

import pathlib

import numpy as np
import pytest

from imphot_astropy.core.masks import taper_weights, segmentation_mask, bounding_slices
from imphot_astropy.core.fourier_model import FourierPlaneProblem, FourierImageModel
from imphot_astropy.core.psf import CircularMoffat
from imphot_astropy.core.transfer import RegridFilter, regrid_filter_from_header
from imphot_astropy import UserError


def test_taper_is_zero_at_masks_and_one_far_from_them():
    mask = np.zeros((40, 40), bool)
    mask[20, 20] = True
    weights = taper_weights(mask, 9.0)
    assert weights[20, 20] == 0
    assert weights[20, 31] == 1 and weights[0, 0] == 1
    ramp = weights[20, 21:31]
    assert np.all(np.diff(ramp) > 0) and 0 < ramp[0] < 0.1
    np.testing.assert_array_equal(taper_weights(mask, 1), (~mask).astype(float))


def _ragged_good_area():
    good = np.ones((70, 80), bool)
    good[:4], good[-5:], good[:, :3], good[:, -4:] = False, False, False, False
    good[25:33, 15:45] = False
    yy, xx = np.mgrid[:70, :80]
    return good & (np.hypot(xx - 60, yy - 20) > 6)


@pytest.mark.parametrize("width", [3, 8, 9, np.int64(11)])
def test_integer_taper_is_the_reference_blackman_bevel(width):
    # Truth: along a row leaving a straight mask edge, the weights are the
    # cumulative sums of the n-point Blackman kernel (n = width rounded up
    # to odd), 0 on the mask and 1 from n pixels away.
    n = 2 * (int(width) // 2) + 1
    kernel = np.blackman(n + 2)[1:n + 1]
    expected = np.cumsum(kernel / kernel.sum())
    mask = np.zeros((60, 60), bool)
    mask[:, :20] = True
    weights = taper_weights(mask, width)
    assert np.all(weights[:, :20] == 0)
    np.testing.assert_allclose(weights[30, 20:20 + n], expected, atol=1e-12)
    assert np.all(weights[:, 20 + n - 1:] == pytest.approx(1.0, abs=1e-12))


def test_integer_taper_matches_the_reference_tool(monkeypatch):
    # The reference tool's source, beside the repository (read-only peer).
    peer_dir = pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "peers" / "imphot"
    if peer_dir.is_dir():
        monkeypatch.syspath_prepend(str(peer_dir))
    peer = pytest.importorskip("imphot.fitimage", reason="the MPDAF-based imphot "
                               "(../shared/peers/imphot) is not importable")
    good = _ragged_good_area()
    for width in (3, 5, 8, 9):
        np.testing.assert_allclose(taper_weights(~good, width),
                                   peer._bevel_mask(good, 2 * (width // 2) + 1), atol=1e-12)


def test_float_and_integer_tapers_differ_but_share_zeros():
    mask = ~_ragged_good_area()
    blackman, cosine = taper_weights(mask, 9), taper_weights(mask, 9.0)
    assert np.all(blackman[mask] == 0) and np.all(cosine[mask] == 0)
    assert np.abs(blackman - cosine).max() > 0.05
    # The float bevel is isotropic: equal weights at equal distances along
    # a row and a diagonal from an isolated masked pixel.
    point = np.zeros((41, 41), bool)
    point[20, 20] = True
    ramp = taper_weights(point, 9.0)
    assert ramp[20, 25] == pytest.approx(ramp[20 + 3, 20 + 4], abs=1e-12)


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


@pytest.mark.parametrize("dx, dy, xshift", [(0.46, -0.27, 0.0), (-1.13, 0.62, -0.4)])
def test_correlation_offset_finds_a_known_shift(dx, dy, xshift):
    """The cross-correlation start lies within a fifth of a pixel of the truth."""
    shape = (96, 96)
    rng = np.random.default_rng(4)
    hst = np.zeros(shape)
    hst[rng.integers(20, 76, 12), rng.integers(20, 76, 12)] = rng.uniform(1, 5, 12)
    empty = FourierPlaneProblem(np.zeros(shape), hst, np.ones(shape), 0.2, 0.2,
                                RegridFilter().transfer, 0.085, 1.6)
    # The MUSE image as the model makes it, from an HST image already moved
    # by xshift (whole pixels), as the fitter does.
    muse = FourierImageModel(empty).model_image(1.3, 0.0, dx, dy, 0.65, 2.5)
    moved = np.roll(hst, int(round(xshift / 0.2)), axis=1)
    problem = FourierPlaneProblem(muse, moved, np.ones(shape), 0.2, 0.2,
                                  RegridFilter().transfer, 0.085, 1.6, xshift=xshift)
    psf = problem.psf_transform(CircularMoffat(), 0.7, 2.5)
    found = problem.correlation_offset(psf, 10)
    assert found == pytest.approx((dx, dy), abs=0.04)
    # The linear fit's residuals there are far smaller than at no offset.
    assert problem.linear_fit(psf, *found)[2] < 0.1 * problem.linear_fit(
        psf, 0.0, 0.0)[2]


def test_unknown_regrid_filter_is_refused():
    with pytest.raises(UserError, match="unknown anti-aliasing filter"):
        regrid_filter_from_header({"IMPFILT": "LANCZOS3"})
    with pytest.raises(UserError, match="IMPFCUT"):
        regrid_filter_from_header({"IMPFILT": "BLACKMAN", "IMPFCUT": 2.0})
