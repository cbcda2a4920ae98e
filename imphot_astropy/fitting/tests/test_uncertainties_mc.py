"""Monte Carlo tests: do the reported 1-sigma uncertainties mean what they say?

For a fixed synthetic scene and many noise realisations, the standard
deviation of (fitted - true) / stdev must lie in [0.8, 1.25] and its mean
within +/- 0.5 for every free parameter, for the image fit and the star
fit, with free and fixed beta, with white noise and with the correlated
noise of a resampled image (`imphot_astropy.datasets.resampled_noise`, whose
STAT holds only each pixel's own variance).

How many realisations. With N realisations the standard deviation of a
unit-normal sample is known to a relative 1/sqrt(2N), its mean to
1/sqrt(N). The default run uses N = 100 for the image fit (0.05 s a fit)
and N = 80 for the star fit (0.25 s a fit: it fits the HST star too): the
std is then known to 0.07 and 0.08, so the bounds 0.8 and 1.25 lie 2.5-3.5
of those from 1, and a 40% error in the reported uncertainties (std 1.4 or
0.7) fails by more than 1.2 of them; the mean is known to 0.10 and 0.11,
so +/- 0.5 lies 4.5-5 of those from 0. Fewer star realisations do not
keep that margin: over the first 60 of these seeds the star fit's mean dx
is -0.46 and its std of beta with correlated noise 0.85 (over 80: -0.30,
0.95). The realisations use fixed seeds, so the test is deterministic;
the module takes about 75 s of CPU (it took ~100 s with 120 and 80). Run
this file as a script to print the table with more realisations (by
default 300 and 150: std known to 0.04 and 0.06), as in docs/method.rst.

The scenes use an HST PSF with beta = 3 (given to both the generator and
the image fitter): with the default beta = 1.6, 1.4% of the HST light lies
beyond 2", where the periodic synthetic renderer wraps it around, and the
image fit's scale and bg are off by 0.2% and 0.006, the star fit's scale by
~0.3%: systematic errors of the model of the HST PSF, which the
uncertainties do not claim to cover (see docs/method.rst). What remains of
such model errors (0.2-0.45 sigma in scale and FWHM at these noise levels,
growing in proportion to the signal-to-noise ratio) is why the noise is not
lower.
"""

import argparse
import warnings

import numpy as np
import pytest
from astropy.nddata import CCDData, VarianceUncertainty

from imphot_astropy import fit_image_photometry, fit_star_photometry
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource, resampled_noise

SIGMA = {"image": 0.08, "star": 0.05}
HST_BETA = 3.0
#: Realisations per scenario in the default (CI) run; see the module notes.
N_REALISATIONS = {"image": 100, "star": 80}
#: ... and when run as a script to print the table.
N_TABLE = {"image": 300, "star": 150}
FIXED_BETA = 2.5


def _image_scene():
    hst, clean, truth = make_synthetic_pair(shape=(48, 48), seed=7, noise=0.0,
                                            hst_beta=HST_BETA, oversample=9)
    return hst, clean, truth


def _star_scene():
    hst, clean, truth = make_synthetic_pair(
        shape=(31, 31), sources=[SyntheticSource(15.3, 14.6, 300.0)], noise=0.0,
        oversample=9, hst_beta=HST_BETA)
    return hst, clean, truth


def _noisy(clean, sigma, noise, seed, stat_factor=1.0):
    if noise == "correlated":
        values = resampled_noise(clean.shape, sigma, seed=seed)
    else:
        values = np.random.default_rng(seed).normal(0.0, sigma, clean.shape)
    variance = np.full(clean.shape, stat_factor * sigma**2)
    return CCDData(clean.data + values, unit=clean.unit, wcs=clean.wcs,
                   uncertainty=VarianceUncertainty(variance))


def _fit(method, hst, muse, truth, fix_beta):
    if method == "image":
        return fit_image_photometry(hst, muse, fix_beta=fix_beta, hst_beta=HST_BETA)
    return fit_star_photometry(hst, muse, truth["star_radec"][0] + (1.5,), fix_beta=fix_beta)


def monte_carlo(method, noise, fix_beta, n):
    """Fit n noise realisations of one scene.

    Returns the normalised errors ``(fitted - true) / stdev`` of each free
    parameter (a dict of arrays) and the goodness of fit of each fit.
    """
    hst, clean, truth = _image_scene() if method == "image" else _star_scene()
    names = ["scale", "bg", "dx", "dy", "fwhm"] + ([] if fix_beta else ["beta"])
    errors = {name: [] for name in names}
    goodness = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            fit = _fit(method, hst, _noisy(clean, SIGMA[method], noise, 1000 + i),
                       truth, fix_beta)
            goodness.append(fit.goodness)
            for name in names:
                value = getattr(fit, name)
                errors[name].append((value.value - truth[name]) / value.stdev)
    return {k: np.array(v) for k, v in errors.items()}, np.array(goodness)


def summary(errors):
    """(std, mean) of the normalised errors of each parameter."""
    return {name: (float(np.std(v)), float(np.mean(v))) for name, v in errors.items()}


SCENARIOS = [(method, noise, fix_beta)
             for method in ("image", "star")
             for noise, fix_beta in (("white", None), ("white", FIXED_BETA),
                                     ("correlated", None))]


@pytest.mark.parametrize("method, noise, fix_beta", SCENARIOS)
def test_normalised_errors_have_unit_scatter(method, noise, fix_beta):
    errors, goodness = monte_carlo(method, noise, fix_beta, N_REALISATIONS[method])
    for name, (std, mean) in summary(errors).items():
        assert 0.8 <= std <= 1.25, (name, std, mean)
        assert abs(mean) < 0.5, (name, std, mean)
    if noise == "white":
        # Noise-limited fits of white noise: the goodness of fit is ~1.
        assert 0.8 <= np.mean(goodness) <= 1.25
        assert 0.8 <= np.median(goodness) <= 1.25


def test_goodness_is_far_above_one_for_a_wrong_model():
    hst, clean, truth = _image_scene()
    muse = _noisy(clean, SIGMA["image"], "white", 5)
    right = fit_image_photometry(hst, muse, fix_beta=FIXED_BETA, hst_beta=HST_BETA)
    wrong = fit_image_photometry(hst, muse, fix_beta=1.5, hst_beta=HST_BETA)
    assert 0.8 <= right.goodness <= 1.25
    assert wrong.goodness > 3.0
    assert "goodness" in wrong.flags and "goodness" not in right.flags


@pytest.mark.parametrize("method", ["image", "star"])
def test_goodness_measures_the_stat_against_the_noise(method):
    # A STAT 25 times the true variance (as on the HDFS sample) gives a
    # goodness of fit of ~1/25 and a flag that says the uncertainties are
    # not affected; they are indeed the same as with the right STAT.
    hst, clean, truth = _image_scene() if method == "image" else _star_scene()
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for factor in (1.0, 25.0):
            muse = _noisy(clean, SIGMA[method], "white", 11, stat_factor=factor)
            fits[factor] = _fit(method, hst, muse, truth, FIXED_BETA)
    assert 0.6 <= fits[25.0].goodness * 25 <= 1.6
    assert fits[25.0].goodness * 25 == pytest.approx(fits[1.0].goodness, rel=1e-6)
    for name in ("scale", "bg", "dx", "dy", "fwhm"):
        assert getattr(fits[25.0], name).stdev == pytest.approx(
            getattr(fits[1.0], name).stdev, rel=1e-6)
    reasons = [f.reason for f in fits[25.0].quality.flags if f.name == "goodness"]
    assert len(reasons) == 1 and "not affected" in reasons[0]
    assert "goodness" not in fits[1.0].flags


def _table(n_image, n_star):
    """Markdown rows: std/mean of each parameter per scenario."""
    names = ["scale", "bg", "dx", "dy", "fwhm", "beta"]
    yield ("| fit | noise | beta | N | goodness (mean) | "
           + " | ".join(names) + " |")
    yield "|" + " --- |" * (5 + len(names))
    for method, noise, fix_beta in SCENARIOS:
        n = n_image if method == "image" else n_star
        errors, goodness = monte_carlo(method, noise, fix_beta, n)
        stats = summary(errors)
        cells = [f"{stats[k][0]:.2f} / {stats[k][1]:+.2f}" if k in stats else "fixed"
                 for k in names]
        yield (f"| {method} | {noise} | {'fixed' if fix_beta else 'free'} | {n} | "
               f"{np.mean(goodness):.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Print the Monte Carlo table "
                                     "(std / mean of (fitted - true) / stdev).")
    parser.add_argument("--n-image", type=int, default=N_TABLE["image"])
    parser.add_argument("--n-star", type=int, default=N_TABLE["star"])
    args = parser.parse_args()
    for line in _table(args.n_image, args.n_star):
        print(line, flush=True)
