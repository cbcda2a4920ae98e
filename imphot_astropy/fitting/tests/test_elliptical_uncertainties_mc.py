"""Monte Carlo pulls of the elliptical Moffat's parameters (issue 24, item 4).

As `test_uncertainties_mc` (whose scenes, noise and bounds these are), for
an elliptical MUSE PSF (ellipticity 0.15, major axis at 30 degrees): the
standard deviation of (fitted - true) / stdev lies in [0.8, 1.25] and its
mean within +/- 0.5 for every free parameter, ``e`` and ``theta``
included, for the image fit (N = 100, 0.12 s a fit) and the star fit
(N = 80, 0.35 s a fit), with white noise; the module takes about 45 s.

Measured (2026-12-07), std / mean: image fit e 0.91 / +0.01, theta 1.07
/ -0.08; star fit e 1.08 / -0.03, theta 0.97 / -0.22. Before
`~imphot_astropy.core.covariance.clip_to_positive` judged the sandwich's
meat on a unit diagonal, the angle's column (degrees, ~350 times smaller
than the ellipticity's) fell below the eigenvalue floor and its
uncertainty came out twice too large (pull std 0.71 for the image fit,
0.5 for the star fit).
"""

import warnings

import numpy as np
import pytest

from imphot_astropy import fit_image_photometry, fit_star_photometry
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.fitting.tests.test_uncertainties_mc import (
    _noisy, summary, SIGMA, HST_BETA, N_REALISATIONS)

SHAPE = dict(e=0.15, theta=30.0)
NAMES = ("scale", "bg", "dx", "dy", "fwhm", "beta", "e", "theta")


def _scene(method):
    if method == "image":
        return make_synthetic_pair(shape=(48, 48), seed=7, noise=0.0, hst_beta=HST_BETA,
                                   oversample=9, **SHAPE)
    return make_synthetic_pair(shape=(31, 31), sources=[SyntheticSource(15.3, 14.6, 300.0)],
                               noise=0.0, oversample=9, hst_beta=HST_BETA, **SHAPE)


def _fit(method, hst, muse, truth):
    if method == "image":
        return fit_image_photometry(hst, muse, hst_beta=HST_BETA, psf="elliptical")
    return fit_star_photometry(hst, muse, truth["star_radec"][0] + (1.5,), psf="elliptical")


@pytest.mark.parametrize("method", ["image", "star"])
def test_elliptical_parameters_have_unit_pulls(method):
    hst, clean, truth = _scene(method)
    errors = {name: [] for name in NAMES}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(N_REALISATIONS[method]):
            fit = _fit(method, hst, _noisy(clean, SIGMA[method], "white", 1000 + i), truth)
            assert fit.psf == "elliptical"
            for name in NAMES:
                value = getattr(fit, name)
                errors[name].append((value.value - truth[name]) / value.stdev)
    for name, (std, mean) in summary({k: np.array(v) for k, v in errors.items()}).items():
        assert 0.8 <= std <= 1.25, (name, std, mean)
        assert abs(mean) < 0.5, (name, std, mean)
