"""One Fourier model serves the image fit and each band of the survey (issue 24).

A band of the joint fit with one PSF node (its effective wavelength) and
constant FWHM and beta polynomials is the image fit's model with that
Moffat: both go through `core.fourier_model.FourierModel`, so on the same
problem they give the same model and the same Jacobian columns.
"""

import numpy as np
import pytest

from imphot_astropy.core.fourier_model import FourierModel, FourierImageModel
from imphot_astropy.core.psf import CircularMoffat
from imphot_astropy.datasets import make_synthetic_pair
from imphot_astropy.fitting import measure_image_photometry
from imphot_astropy.survey.bands import BandProblem, MoffatMixture

POINT = dict(scale=1.2, bg=0.05, dx=0.061, dy=-0.038, fwhm=0.64, beta=2.45)


@pytest.fixture(scope="module")
def pair():
    hst, muse, _ = make_synthetic_pair(shape=(60, 60), seed=3)
    return hst, muse


def test_band_and_image_fit_share_one_model(pair):
    hst, muse = pair
    fit = measure_image_photometry(hst, muse, keep_state=True)
    state = fit.fit_state
    # The image fit's radial table (2048 nodes), so that the PSF tables agree.
    band = BandProblem("V", hst, muse, [7000.0], [1.0], {}, (5000, 9000), nodes=1,
                       radial_nodes=2048, shift=state.prepared.shift, state=state)
    image_model = FourierImageModel(state.problem)
    assert band.problem is state.problem
    assert type(band.fourier) is type(image_model.fourier) is FourierModel
    assert isinstance(band.psf, MoffatMixture)
    assert isinstance(image_model.fourier.psf, CircularMoffat)

    p = POINT
    values = (p["scale"], p["bg"], p["dx"], p["dy"], p["fwhm"], p["beta"])
    expected = image_model.evaluate(state.problem.index, *values)
    columns = image_model.fit_deriv(state.problem.index, *values)
    model, band_columns = band.evaluate(p["scale"], p["bg"], p["dx"], p["dy"],
                                        [p["fwhm"]], [p["beta"]], jacobian="all")
    # The same arithmetic, in the same order: equal to the last bit but for
    # the stacked inverse FFT of the band's Jacobian (threads), so within
    # 1e-12 of the largest column value.
    np.testing.assert_array_equal(model, expected)
    for row, name in enumerate(("scale", "bg", "dx", "dy", "fwhm_c0", "beta_c0")):
        scale = np.max(np.abs(columns[row]))
        np.testing.assert_allclose(band_columns[name], columns[row], rtol=0,
                                   atol=1e-12 * scale, err_msg=name)
    # And the model is not trivially the same: a different PSF changes it.
    other, _ = band.evaluate(p["scale"], p["bg"], p["dx"], p["dy"], [0.8], [p["beta"]])
    assert np.max(np.abs(other - model)) > 1e-3 * np.max(np.abs(model))


def test_a_two_node_mixture_is_the_weighted_sum_of_its_moffats():
    """The survey's PSF object: the weighted sum of circular Moffat transforms."""
    nodes = np.linspace(0.0, 2.5, 50)
    mixture = MoffatMixture(np.array([-0.25, 0.25]), np.array([0.3, 0.7]))
    terms = mixture.radial_terms(nodes, (0.65, -0.2), (2.5,), derivatives="all")
    moffat = CircularMoffat()
    low = moffat.radial_terms(nodes, 0.65 + 0.05, 2.5, derivatives=True)
    high = moffat.radial_terms(nodes, 0.65 - 0.05, 2.5, derivatives=True)
    np.testing.assert_allclose(terms[0], 0.3 * low[0] + 0.7 * high[0], rtol=1e-13)
    # d/dfwhm_c1 = sum of weight * l * dF/dfwhm at each node.
    np.testing.assert_allclose(terms[2], 0.3 * -0.25 * low[1] + 0.7 * 0.25 * high[1],
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(terms[3], 0.3 * low[2] + 0.7 * high[2], rtol=1e-12)
