"""The solver as a public seam: ``solver=`` of the public fits (issue 24).

Through the public functions, every solver that ``solver`` can name
(`~imphot_astropy.fitting.solvers.SOLVERS`) must reach the minimum of the
fit's own solver within `FRACTION` of each parameter's uncertainty, on
synthetic data whose truth the default fit recovers; fixed parameters stay
at their values with every solver; None gives exactly the result of the
fit's own solver passed explicitly; a bad name, a bad type and a robust
loss are `UserError`; the result records the solver's name.

Why 0.05 of an error: each fit's own solver and the others stop within
their tolerances, not at the minimum; the largest difference measured
here is 5e-4 of an error (the star fit's astropy DogBox against its
TRF), so 0.05 leaves a factor of 100 for other machines, and a solver that
stopped early or moved a fixed parameter is off by whole errors.
"""

import pickle

import numpy as np
import pytest

from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.datasets.pixtables import make_star_pixtable
from imphot_astropy.exceptions import UserError
from imphot_astropy.fitting import fit_pixtable_star
from imphot_astropy.fitting.solvers import (
    SOLVERS, IMAGE_FIT_SOLVER, STAR_FIT_SOLVER, PIXTABLE_STAR_SOLVER, ScipyLeastSquares,
    LevenbergMarquardt, AstropyFitter, named_solver, resolve_solver)
from imphot_astropy.photometry import (fit_image_photometry, fit_star_photometry,
                                       fit_image_and_star_photometry)

FRACTION = 0.05
IMAGE_PARAMETERS = ("scale", "bg", "dx", "dy", "fwhm", "beta")
STAR_PARAMETERS = [f"{prefix}_{name}" for prefix in ("muse", "hst")
                   for name in ("flux", "dx", "dy", "fwhm", "beta", "bg")]
# What each fit's own solver is called when named.
OWN = {"image": "dogbox", "star": "astropy-trf", "pixtable": "trf"}


def _expected_name(name, default, own):
    return resolve_solver(name, default, own).name


def assert_same_minimum(result, reference, names):
    for name in names:
        value, expected = getattr(result, name), getattr(reference, name)
        if expected.fixed:
            continue
        assert abs(value.value - expected.value) < FRACTION * expected.stdev, \
            (name, (value.value - expected.value) / expected.stdev)


# --- the image fit -------------------------------------------------------------

@pytest.fixture(scope="module")
def pair():
    hst, muse, truth = make_synthetic_pair(shape=(60, 60), seed=3)
    return hst, muse, truth, fit_image_photometry(hst, muse)


def test_the_default_image_fit_recovers_the_truth(pair):
    """Within the tolerances of the image fit's truth tests (test_image_fit_truth)."""
    *_, truth, reference = pair
    assert reference.fwhm.value == pytest.approx(truth["fwhm"], rel=0.02)
    assert reference.scale.value == pytest.approx(truth["scale"], rel=0.01)
    assert abs(reference.dx.value - truth["dx"]) < 0.01
    assert abs(reference.dy.value - truth["dy"]) < 0.01
    assert abs(reference.bg.value - truth["bg"]) < 0.01
    assert reference.options["solver"] == IMAGE_FIT_SOLVER.name


@pytest.mark.parametrize("name", list(SOLVERS))
def test_every_named_solver_reaches_the_image_fit_minimum(pair, name):
    hst, muse, _, reference = pair
    result = fit_image_photometry(hst, muse, solver=name)
    assert_same_minimum(result, reference, IMAGE_PARAMETERS)
    assert result.options["solver"] == _expected_name(name, IMAGE_FIT_SOLVER, OWN["image"])
    assert result.options["solver"] in result.fit_report


@pytest.mark.parametrize("name", list(SOLVERS))
def test_fixed_parameters_stay_fixed_in_the_image_fit(pair, name):
    hst, muse, *_ = pair
    reference = fit_image_photometry(hst, muse, fix_beta=2.7, fix_dx=0.05)
    result = fit_image_photometry(hst, muse, fix_beta=2.7, fix_dx=0.05, solver=name)
    assert result.beta.value == 2.7 and result.beta.fixed and result.beta.stdev == 0.0
    assert result.dx.value == 0.05 and result.dx.fixed
    assert_same_minimum(result, reference, IMAGE_PARAMETERS)


def test_none_is_exactly_the_image_fits_own_solver(pair):
    hst, muse, _, reference = pair
    explicit = fit_image_photometry(hst, muse, solver=IMAGE_FIT_SOLVER)
    for name in IMAGE_PARAMETERS:
        assert getattr(explicit, name).value == getattr(reference, name).value
        assert getattr(explicit, name).stdev == getattr(reference, name).stdev


def test_a_solver_object_is_used_as_given(pair):
    hst, muse, _, reference = pair
    solver = LevenbergMarquardt(max_iterations=60, decrement=1e-6, relative=True,
                                name="my Levenberg-Marquardt")
    result = fit_image_photometry(hst, muse, solver=solver)
    assert result.options["solver"] == "my Levenberg-Marquardt"
    assert_same_minimum(result, reference, IMAGE_PARAMETERS)


# --- the star fit --------------------------------------------------------------

@pytest.fixture(scope="module")
def star_pair():
    hst, muse, truth = make_synthetic_pair(
        shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], fwhm=0.65, beta=2.5,
        scale=1.2, dx=0.06, dy=-0.04, seed=1)
    star = (*truth["star_radec"][0], 2.0)
    return hst, muse, truth, star, fit_star_photometry(hst, muse, star)


def test_the_default_star_fit_recovers_the_truth(star_pair):
    *_, truth, star, reference = star_pair
    for name in ("scale", "dx", "dy", "fwhm", "beta"):
        pull = (getattr(reference, name).value - truth[name]) / getattr(reference, name).stdev
        assert abs(pull) < 4.0, (name, pull)
    assert reference.options["solver"] == STAR_FIT_SOLVER.name


@pytest.mark.parametrize("name", list(SOLVERS))
def test_every_named_solver_reaches_the_star_fit_minimum(star_pair, name):
    hst, muse, _, star, reference = star_pair
    result = fit_star_photometry(hst, muse, star, solver=name)
    assert_same_minimum(result, reference, STAR_PARAMETERS + ["scale"])
    assert result.options["solver"] == _expected_name(name, STAR_FIT_SOLVER, OWN["star"])


@pytest.mark.parametrize("name", list(SOLVERS))
def test_fixed_parameters_stay_fixed_in_the_star_fit(star_pair, name):
    hst, muse, _, star, _ = star_pair
    reference = fit_star_photometry(hst, muse, star, fix_beta=2.7)
    result = fit_star_photometry(hst, muse, star, fix_beta=2.7, solver=name)
    assert result.muse_beta.value == 2.7 and result.muse_beta.fixed
    assert result.plain_beta.value == 2.7 and result.plain_beta.fixed
    assert_same_minimum(result, reference, STAR_PARAMETERS)


def test_none_is_exactly_the_star_fits_own_solver(star_pair):
    hst, muse, _, star, reference = star_pair
    explicit = fit_star_photometry(hst, muse, star, solver=STAR_FIT_SOLVER)
    for name in STAR_PARAMETERS + ["scale", "plain_scale"]:
        assert getattr(explicit, name).value == getattr(reference, name).value
        assert getattr(explicit, name).stdev == getattr(reference, name).stdev


def test_both_methods_take_one_solver(star_pair):
    hst, muse, _, star, _ = star_pair
    image, star_fit = fit_image_and_star_photometry(hst, muse, star, solver="trf")
    assert image.options["solver"] == star_fit.options["solver"] == \
        named_solver("trf").name
    default_image, default_star = fit_image_and_star_photometry(hst, muse, star)
    assert_same_minimum(image, default_image, IMAGE_PARAMETERS)
    assert_same_minimum(star_fit, default_star, STAR_PARAMETERS)


# --- the pixel-table star fit ----------------------------------------------------

@pytest.fixture(scope="module")
def pixtable_star():
    pix, truth = make_star_pixtable(lbda=((5000.0, 5100.0), (8000.0, 8100.0)),
                                    fwhm_slope=-3e-5, nexp=1)
    star = (*truth["star"], 2.0)
    return pix, truth, star


PIXTABLE_COLUMNS = ("fwhm", "beta", "dx", "dy", "flux", "background")


@pytest.mark.parametrize("fwhm_model", ["free", "linear"])
def test_every_named_solver_reaches_the_pixtable_fit_minimum(pixtable_star, fwhm_model):
    pix, truth, star = pixtable_star
    reference = fit_pixtable_star(pix, star, lbda=truth["lbda"], fwhm_model=fwhm_model)
    fwhm_truth = truth["fwhm"](np.asarray(reference["lambda"].value))
    pulls = (reference["fwhm"].value - fwhm_truth) / reference["fwhm_err"].value
    assert np.all(np.abs(pulls) < 4.0), pulls
    assert reference.meta["solver"] == PIXTABLE_STAR_SOLVER.name
    for name in SOLVERS:
        result = fit_pixtable_star(pix, star, lbda=truth["lbda"], fwhm_model=fwhm_model,
                                   solver=name)
        assert result.meta["solver"] == _expected_name(name, PIXTABLE_STAR_SOLVER,
                                                       OWN["pixtable"])
        assert list(result["nrejected"]) == list(reference["nrejected"])
        for column in PIXTABLE_COLUMNS:
            deviation = np.abs(result[column] - reference[column]) / reference[column + "_err"]
            assert np.all(deviation < FRACTION), (name, column, deviation)


# --- what is refused, and pickling ---------------------------------------------

@pytest.mark.parametrize("bad", ["newton", "TRF", 3, ScipyLeastSquares])
def test_a_bad_solver_is_a_user_error_naming_the_accepted_ones(pair, star_pair, bad):
    hst, muse, *_ = pair
    with pytest.raises(UserError, match="solver: expected None, a Solver .* 'dogbox', "
                                        "'trf', 'lm', 'levenberg-marquardt'"):
        fit_image_photometry(hst, muse, solver=bad)
    hst, muse, _, star, _ = star_pair
    with pytest.raises(UserError, match="solver: expected"):
        fit_star_photometry(hst, muse, star, solver=bad)


@pytest.mark.parametrize("loss", ["soft_l1", "huber", "cauchy"])
def test_a_robust_loss_is_refused_with_the_reason(pair, star_pair, pixtable_star, loss):
    solver = ScipyLeastSquares("trf", loss=loss)
    hst, muse, *_ = pair
    with pytest.raises(UserError, match=f"solver: the loss '{loss}' is not a plain sum "
                                        "of squares.*uncertainties"):
        fit_image_photometry(hst, muse, solver=solver)
    hst, muse, _, star, _ = star_pair
    with pytest.raises(UserError, match="loss"):
        fit_star_photometry(hst, muse, star, solver=solver)
    pix, truth, star = pixtable_star
    with pytest.raises(UserError, match="loss"):
        fit_pixtable_star(pix, star, lbda=truth["lbda"], solver=solver)
    # The plain sum of squares, said explicitly, is accepted.
    fit_image_photometry(hst, muse, solver=ScipyLeastSquares("trf", loss="linear"))


@pytest.mark.parametrize("solver", [IMAGE_FIT_SOLVER, STAR_FIT_SOLVER, PIXTABLE_STAR_SOLVER,
                                    *[named_solver(n) for n in SOLVERS]],
                         ids=lambda s: s.name)
def test_solvers_pickle_and_solve_the_same_after(solver, pair):
    copy = pickle.loads(pickle.dumps(solver))
    assert type(copy) is type(solver) and copy.name == solver.name
    hst, muse, *_ = pair
    before = fit_image_photometry(hst, muse, solver=solver)
    after = fit_image_photometry(hst, muse, solver=copy)
    for name in IMAGE_PARAMETERS:
        assert getattr(after, name).value == getattr(before, name).value


def test_the_solver_names_are_in_one_place():
    assert list(SOLVERS) == ["dogbox", "trf", "lm", "levenberg-marquardt", "astropy-trf",
                             "astropy-dogbox"]
    kinds = {n: type(named_solver(n)) for n in SOLVERS}
    assert kinds == {"dogbox": ScipyLeastSquares, "trf": ScipyLeastSquares,
                     "lm": ScipyLeastSquares, "levenberg-marquardt": LevenbergMarquardt,
                     "astropy-trf": AstropyFitter, "astropy-dogbox": AstropyFitter}
