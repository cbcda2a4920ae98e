"""image_noise_amplitude computes once per problem and variance, and forgets
a problem when it is gone (the survey's joint fit reuses the image fit's)."""

import gc

import numpy as np

from imphot_astropy.core.fourier_model import FourierPlaneProblem
from imphot_astropy.core.transfer import RegridFilter
from imphot_astropy.fitting import uncertainties
from imphot_astropy.fitting.uncertainties import image_noise_amplitude


def _problem(seed):
    image = np.random.default_rng(seed).normal(size=(32, 32))
    return FourierPlaneProblem(image, image, np.ones_like(image), 0.2, 0.2,
                               RegridFilter().transfer, 0.085, 1.6)


def test_the_noise_of_a_problem_is_computed_once_per_variance():
    problem, other = _problem(1), _problem(2)
    variance = np.ones((32, 32))
    first = image_noise_amplitude(problem, variance)
    assert image_noise_amplitude(problem, variance) is first
    # Another variance array, or another problem: computed again.
    doubled = image_noise_amplitude(problem, 4.0 * variance)
    assert doubled is not first
    np.testing.assert_allclose(doubled.sigma, 2.0 * first.sigma)
    assert image_noise_amplitude(other, variance) is not first
    # Nothing is added to the problem itself.
    assert not [n for n in vars(problem) if "noise" in n]


def test_a_problem_gone_is_forgotten():
    problem = _problem(3)
    image_noise_amplitude(problem)
    # Problems of earlier tests that are already unreachable go first, so
    # that only this one can leave the cache below.
    gc.collect()
    before = len(uncertainties._NOISE_BY_PROBLEM)
    del problem
    gc.collect()
    assert len(uncertainties._NOISE_BY_PROBLEM) == before - 1
