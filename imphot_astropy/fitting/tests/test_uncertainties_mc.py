"""Monte Carlo tests: do the reported 1-sigma uncertainties mean what they say?

For a fixed synthetic scene and many noise realisations, the standard
deviation of (fitted - true) / stdev must lie in [0.8, 1.25] and its mean
within +/- 0.5 for every free parameter, for the image fit and the star
fit, with free and fixed beta, with white noise and with the correlated
noise of a resampled image (`imphot_astropy.datasets.resampled_noise`, whose
STAT holds only each pixel's own variance). With N realisations the
standard deviation is known to about 1/sqrt(2N) (0.06 for N = 150), so the
bounds are 3-4 of those from 1.

The scenes use an HST PSF with beta = 3 (given to both the generator and
the image fitter): with the default beta = 1.6, 1.4% of the HST light lies
beyond 2", where the periodic synthetic renderer wraps it around, and the
image fit's scale and bg are off by 0.2% and 0.006, the star fit's scale by
~0.3%: systematic errors of the model of the HST PSF, which the
uncertainties do not claim to cover (see docs/method.rst). What remains of
such model errors (0.2-0.4 sigma in scale and FWHM at these noise levels,
growing in proportion to the signal-to-noise ratio) is why the noise is not
lower. Run this file as a script to print the table.
"""

import sys
import warnings

import numpy as np
import pytest
from astropy.nddata import CCDData, VarianceUncertainty

from imphot_astropy import fit_image_photometry, fit_star_photometry
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource, resampled_noise

SIGMA = {"image": 0.08, "star": 0.05}
HST_BETA = 3.0
# Realisations per scenario: enough for the bounds to be meaningful, few
# enough to keep the module under about a minute on a quiet machine.
N_IMAGE = 120
N_STAR = 80


def _image_scene():
    hst, clean, truth = make_synthetic_pair(shape=(48, 48), seed=7, noise=0.0,
                                            hst_beta=HST_BETA, oversample=9)
    return hst, clean, truth


def _star_scene():
    hst, clean, truth = make_synthetic_pair(
        shape=(31, 31), sources=[SyntheticSource(15.3, 14.6, 300.0)], noise=0.0,
        oversample=9, hst_beta=HST_BETA)
    return hst, clean, truth


def _noisy(clean, sigma, noise, seed):
    if noise == "correlated":
        values = resampled_noise(clean.shape, sigma, seed=seed)
    else:
        values = np.random.default_rng(seed).normal(0.0, sigma, clean.shape)
    return CCDData(clean.data + values, unit=clean.unit, wcs=clean.wcs,
                   uncertainty=VarianceUncertainty(np.full(clean.shape, sigma**2)))


def monte_carlo(method, noise, fix_beta, n):
    """Fit n noise realisations; the normalised errors and goodness of fit."""
    scene = _image_scene() if method == "image" else _star_scene()
    hst, clean, truth = scene
    names = ["scale", "bg", "dx", "dy", "fwhm"] + ([] if fix_beta else ["beta"])
    errors = {name: [] for name in names}
    goodness = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            muse = _noisy(clean, SIGMA[method], noise, 1000 + i)
            if method == "image":
                fit = fit_image_photometry(hst, muse, fix_beta=fix_beta, hst_beta=HST_BETA)
            else:
                fit = fit_star_photometry(hst, muse, truth["star_radec"][0] + (1.5,),
                                          fix_beta=fix_beta)
            goodness.append(fit.goodness)
            for name in names:
                value = getattr(fit, name)
                errors[name].append((value.value - truth[name]) / value.stdev)
    stats = {name: (float(np.std(v)), float(np.mean(v))) for name, v in errors.items()}
    return stats, np.array(goodness)


SCENARIOS = [("image", "white", None, N_IMAGE), ("image", "white", 2.5, N_IMAGE),
             ("image", "correlated", None, N_IMAGE),
             ("star", "white", None, N_STAR), ("star", "white", 2.5, N_STAR),
             ("star", "correlated", None, N_STAR)]


@pytest.mark.parametrize("method, noise, fix_beta, n", SCENARIOS)
def test_normalised_errors_have_unit_scatter(method, noise, fix_beta, n):
    stats, goodness = monte_carlo(method, noise, fix_beta, n)
    for name, (std, mean) in stats.items():
        assert 0.8 <= std <= 1.25, (name, std, mean)
        assert abs(mean) < 0.5, (name, std, mean)
    if noise == "white":
        # Noise-limited fits of white noise: the goodness of fit is ~1.
        assert 0.8 <= np.mean(goodness) <= 1.25
        assert 0.8 <= np.median(goodness) <= 1.25


def test_goodness_is_far_above_one_for_a_wrong_model():
    hst, clean, truth = _image_scene()
    muse = _noisy(clean, SIGMA["image"], "white", 5)
    right = fit_image_photometry(hst, muse, fix_beta=2.5, hst_beta=HST_BETA)
    wrong = fit_image_photometry(hst, muse, fix_beta=1.5, hst_beta=HST_BETA)
    assert 0.8 <= right.goodness <= 1.25
    assert wrong.goodness > 3.0
    assert "goodness" in wrong.flags and "goodness" not in right.flags


if __name__ == "__main__":
    rows = []
    for method, noise, fix_beta, n in SCENARIOS:
        stats, goodness = monte_carlo(method, noise, fix_beta, n)
        label = f"{method} {noise} {'fixed' if fix_beta else 'free'} beta (N={n})"
        cells = ", ".join(f"{k} {s:.2f}/{m:+.2f}" for k, (s, m) in stats.items())
        print(f"{label}: goodness {np.mean(goodness):.3f}; std/mean: {cells}", flush=True)
    sys.exit(0)
