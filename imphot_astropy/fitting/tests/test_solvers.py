"""Each solver against another on the same problems (issue 24, item 5).

The solvers of `imphot_astropy.fitting.solvers`, as each fit of the package
configures them (`IMAGE_FIT_SOLVER`, `STAR_FIT_SOLVER`,
`PIXTABLE_STAR_SOLVER`, the joint fit's `LevenbergMarquardt`) and in other
variants (scipy's trf/dogbox/lm, astropy's TRF/LM/DogBox fitters), must
land on the same minimum of the same problem: within `FRACTION` of each
parameter's least-squares error of a reference minimum. On the analytic
problem the reference is scipy's ``least_squares`` called directly (not
through the interface) with tolerances at the float64 limit, on a
residual written out by hand for each variant (bounded, fixed, tied), so
that the interface's bookkeeping (bounds, fixed values, the chain rule
through expressions) is tested against something independent of it. The
real problems (a synthetic image fit, a star fit, a pixel-table star fit,
a survey joint fit) compare the fits' own solver with the others.

Why 0.02 of an error: the fits' solvers stop within their tolerances, not
at the minimum; the loosest is the joint fit's Levenberg-Marquardt, which
stops after a step below 0.1 error (decrement 0.01), then within ~0.01
error of the minimum (Gauss-Newton converges quadratically). A solver that
misses a bound, moves a fixed parameter or drops a tie's derivative is off
by whole errors (the ``must fail`` tests below show it).
"""

import lmfit
import numpy as np
import pytest
from astropy.modeling.fitting import DogBoxLSQFitter, LMLSQFitter
from scipy.optimize import least_squares

from imphot_astropy.exceptions import UserError
from imphot_astropy.fitting.solvers import (
    AstropyFitter, IMAGE_FIT_SOLVER, LeastSquaresProblem, LevenbergMarquardt,
    PIXTABLE_STAR_SOLVER, STAR_FIT_SOLVER, ScipyLeastSquares)

FRACTION = 0.02

# Every solver, as the package's fits configure them, and variants.
SOLVERS = {
    "image-fit dogbox": IMAGE_FIT_SOLVER,
    "pixtable trf": PIXTABLE_STAR_SOLVER,
    "star-fit astropy TRF": STAR_FIT_SOLVER,
    "joint LM": LevenbergMarquardt(),
    "scipy trf": ScipyLeastSquares("trf"),
    "scipy lm": ScipyLeastSquares("lm"),
    "astropy DogBox": AstropyFitter(DogBoxLSQFitter),
    "astropy LM": AstropyFitter(LMLSQFitter),
    # The joint fit's LM stops at a decrement of the sum of squares meant
    # for residuals weighted to unit noise; the star fit's are not (the
    # pixels divided by the star's peak, noise ~1e-3): 1e-4 of that squared.
    "LM, unweighted": LevenbergMarquardt(decrement=1e-10, max_iterations=100),
}
# Those that keep bounds (scipy's and astropy's Levenberg-Marquardt do not).
BOUNDED = [k for k in SOLVERS if k not in ("scipy lm", "astropy LM")]

# The analytic problem: two exponentials (decay rates rate and rate / 3)
# and a background, noise SIGMA. Written with rates, not decay lengths, so
# that no trial step makes the model overflow (astropy's fitters stop at a
# non-finite residual where scipy's shrink the step).
X = np.linspace(0.0, 20.0, 200)
TRUTH = dict(amp=10.0, rate=0.5, amp2=5.0, bg=1.0)
START = dict(amp=6.0, rate=0.35, amp2=3.0, bg=0.0)
SIGMA = 0.1
NAMES = list(TRUTH)
# A lower bound on the rate 4 of its errors (0.014) above its free minimum.
LOW_RATE = 0.56


def _data(seed=1):
    rng = np.random.default_rng(seed)
    return _curve(**TRUTH) + rng.normal(0.0, SIGMA, X.size)


def _curve(amp, rate, amp2, bg):
    return amp * np.exp(-rate * X) + amp2 * np.exp(-rate * X / 3.0) + bg


def _derivatives(amp, rate, amp2, bg):
    e1, e2 = np.exp(-rate * X), np.exp(-rate * X / 3.0)
    d_rate = -amp * X * e1 - amp2 * X / 3.0 * e2
    return np.stack([e1, d_rate, e2, np.ones_like(X)]) / SIGMA


DATA = _data()


def _values(params):
    return {n: params[n].value for n in NAMES}


def analytic_problem(jacobian=True, **settings):
    """The problem through the interface; ``settings`` per parameter for ``set``."""
    params = lmfit.Parameters()
    for name, start in START.items():
        params.add(name, value=start)
    for name, setting in settings.items():
        params[name].set(**setting)
    return LeastSquaresProblem(
        params, lambda p: (_curve(**_values(p)) - DATA) / SIGMA,
        (lambda p: _derivatives(**_values(p))) if jacobian else None)


def reference(free, fill, x0, bounds=(-np.inf, np.inf)):
    """scipy's minimum of the hand-written residual of ``free`` (``fill`` the rest)."""
    def residual(x):
        v = dict(zip(free, x))
        fill(v)
        return (_curve(**v) - DATA) / SIGMA

    info = least_squares(residual, x0, bounds=bounds, method="trf", xtol=1e-15,
                         ftol=1e-15, gtol=1e-15)
    errors = np.sqrt(np.diag(np.linalg.inv(info.jac.T @ info.jac)))
    return info.x, errors


def assert_same_minimum(result, expected, errors, names, fraction=FRACTION):
    assert result.free_names == names
    off = (result.x - expected) / errors
    assert np.all(np.abs(off) < fraction), \
        f"{result.solver}: {dict(zip(names, off.round(4)))} errors off the reference"


@pytest.mark.parametrize("jacobian", [True, False], ids=["jacobian", "differences"])
@pytest.mark.parametrize("key", list(SOLVERS))
def test_same_minimum(key, jacobian):
    result = SOLVERS[key].solve(analytic_problem(jacobian))
    expected, errors = reference(NAMES, lambda v: None, list(START.values()))
    assert result.success, result.message
    assert_same_minimum(result, expected, errors, NAMES)
    # ... which is near the truth (within 4 errors).
    assert np.all(np.abs(expected - list(TRUTH.values())) < 4 * errors)
    assert result.cost == pytest.approx(np.sum(result.fun**2))


@pytest.mark.parametrize("key", BOUNDED)
def test_minimum_at_an_active_bound(key):
    # The unconstrained rate is 0.5 within RATE_ERROR: LOW_RATE holds it.
    result = SOLVERS[key].solve(analytic_problem(rate=dict(min=LOW_RATE)))
    expected, errors = reference(NAMES, lambda v: None, [6.0, LOW_RATE + 0.01, 3.0, 0.0],
                                 bounds=([-np.inf, LOW_RATE, -np.inf, -np.inf], np.inf))
    assert expected[1] == pytest.approx(LOW_RATE, abs=1e-9)
    assert result.params["rate"].value == pytest.approx(LOW_RATE, abs=1e-3 * errors[1])
    assert result.params["rate"].value >= LOW_RATE
    # The others compensate as at the constrained minimum.
    assert_same_minimum(result, expected, errors, NAMES)


@pytest.mark.parametrize("key", list(SOLVERS))
def test_fixed_parameter_is_held(key):
    result = SOLVERS[key].solve(analytic_problem(rate=dict(value=0.52, vary=False)))
    assert result.params["rate"].value == 0.52
    free = ["amp", "amp2", "bg"]
    expected, errors = reference(free, lambda v: v.update(rate=0.52), [6.0, 3.0, 0.0])
    assert_same_minimum(result, expected, errors, free)


@pytest.mark.parametrize("jacobian", [True, False], ids=["jacobian", "differences"])
@pytest.mark.parametrize("key", list(SOLVERS))
def test_tied_parameter_is_honoured(key, jacobian):
    # amp2 = 0.45 amp, away from the free minimum (0.5), so the tie pulls.
    result = SOLVERS[key].solve(analytic_problem(jacobian, amp2=dict(expr="0.45 * amp")))
    assert result.params["amp2"].value == pytest.approx(0.45 * result.params["amp"].value,
                                                        rel=1e-12)
    free = ["amp", "rate", "bg"]

    def tie(v):
        v["amp2"] = 0.45 * v["amp"]

    expected, errors = reference(free, tie, [6.0, 0.35, 0.0])
    assert_same_minimum(result, expected, errors, free)


@pytest.mark.parametrize("key", ["joint LM", "image-fit dogbox", "star-fit astropy TRF"])
def test_fit_model_carries_fixed_and_bounds(key):
    """`Solver.fit_model` on an astropy model: the generic path (a problem made of
    the model) and astropy's own fitter agree; fixed and bounded parameters hold."""
    from astropy.modeling.models import Gaussian1D

    rng = np.random.default_rng(5)
    data = 3.0 * np.exp(-0.5 * ((X - 8.0) / 1.5) ** 2) + rng.normal(0.0, 0.05, X.size)
    model = Gaussian1D(2.0, 7.0, 1.2, bounds={"stddev": (None, 1.4)})
    reference_fit, expected = AstropyFitter(DogBoxLSQFitter).fit_model(model, (X,), data)
    fitted, result = SOLVERS[key].fit_model(model, (X,), data)
    assert model.amplitude.value == 2.0            # the start is not modified
    assert result.params["stddev"].value == pytest.approx(1.4, abs=1e-6)
    assert_same_minimum(result, expected.x, _errors(expected), expected.free_names)
    np.testing.assert_allclose(fitted.parameters, list(result.params.valuesdict().values()))
    model.mean.fixed = True
    fitted, result = SOLVERS[key].fit_model(model, (X,), data)
    assert fitted.mean.value == 7.0 and result.free_names == ["amplitude", "stddev"]


def test_astropy_fitter_keeps_a_model_tie():
    from astropy.modeling.models import Gaussian1D

    data = _curve(**TRUTH)
    model = Gaussian1D(2.0, 7.0, 1.2, tied={"stddev": lambda m: 0.2 * m.mean})
    fitted, result = STAR_FIT_SOLVER.fit_model(model, (X,), data)
    assert fitted.stddev.value == pytest.approx(0.2 * fitted.mean.value)
    assert result.free_names == ["amplitude", "mean"]


def test_a_dropped_chain_rule_is_caught():
    """The tie test fails when the Jacobian leaves out the tied parameter's
    derivative (what astropy's fitters do with their own ``tied``)."""
    problem = analytic_problem(amp2=dict(expr="0.45 * amp"))
    problem.model_names = ["amp", "rate", "amp2_untied", "bg"]
    problem.params.add("amp2_untied", value=0.0, vary=False)
    result = LevenbergMarquardt(max_iterations=100, decrement=1e-12).solve(problem)
    expected, errors = reference(["amp", "rate", "bg"],
                                 lambda v: v.update(amp2=0.45 * v["amp"]), [6.0, 0.35, 0.0])
    with pytest.raises(AssertionError):
        assert_same_minimum(result, expected, errors, ["amp", "rate", "bg"])


def test_bad_problems_are_user_errors():
    with pytest.raises(UserError, match="every parameter is fixed"):
        ScipyLeastSquares().solve(analytic_problem(
            **{n: dict(vary=False) for n in NAMES}))
    with pytest.raises(UserError, match="method"):
        ScipyLeastSquares("newton")
    with pytest.raises(UserError, match="model_names"):
        LeastSquaresProblem(lmfit.Parameters(), lambda p: np.zeros(1), model_names=["a"])
    with pytest.raises(UserError, match="bounds"):
        ScipyLeastSquares("lm").solve(analytic_problem(rate=dict(min=LOW_RATE)))
    from astropy.modeling.models import Gaussian1D
    model = Gaussian1D(1.0, 0.0, 1.0)
    model.stddev.tied = lambda m: m.amplitude
    with pytest.raises(UserError, match="tied by a callable"):
        LeastSquaresProblem.from_model(model, (X,), X)


# --- The package's own problems ---------------------------------------------------

def _errors(result):
    return np.sqrt(np.diag(result.covariance()))


@pytest.fixture(scope="module")
def image_problem():
    """The first fit of a synthetic image pair, as the image fit builds it."""
    from imphot_astropy.datasets import make_synthetic_pair
    from imphot_astropy.fitting import image_fit
    from imphot_astropy.fitting.options import ImageFitOptions
    from imphot_astropy.fitting.prepared import FitInputs

    hst, muse, truth = make_synthetic_pair(shape=(60, 60), seed=3)
    hst_image, muse_image = image_fit.read_aligned_pair(hst, muse)

    def build(**keywords):
        options = ImageFitOptions.from_keywords(**keywords).for_muse_unit(muse_image.unit)
        regrid = image_fit.check_image_fit_inputs(hst_image, muse_image, options.star)
        inputs = FitInputs(hst_image, muse_image, options, regrid)
        prepared, problem = inputs.problem(0, 0, inputs.excluded)
        start = options.start().moved(coarse=False)
        return (lambda: image_fit._initial_model(problem, options, start)), problem

    return build


IMAGE_SOLVERS = ["pixtable trf", "joint LM", "star-fit astropy TRF", "astropy DogBox"]


@pytest.mark.parametrize("key", IMAGE_SOLVERS)
def test_image_fit_problem(image_problem, key):
    """The image fit's dogbox and each other solver, through the image fit's seam."""
    from imphot_astropy.fitting.image_fit import _run_fit

    new_model, problem = image_problem()
    fitted, expected, _ = _run_fit(new_model(), problem)
    assert expected.solver == "dogleg trust region (scipy least_squares, dogbox)"
    model, result, messages = _run_fit(new_model(), problem, SOLVERS[key])
    assert messages == [] and result.free_names == expected.free_names
    assert_same_minimum(result, expected.x, _errors(expected), expected.free_names)
    for name in result.free_names:      # the model was updated in place
        assert getattr(model, name).value == result.params[name].value


@pytest.mark.parametrize("key", ["joint LM", "star-fit astropy TRF"])
def test_image_fit_problem_with_a_fixed_beta(image_problem, key):
    new_model, problem = image_problem(fix_beta=2.8)
    _, expected, _ = _run_fit_with(new_model(), problem, IMAGE_FIT_SOLVER)
    model, result, _ = _run_fit_with(new_model(), problem, SOLVERS[key])
    assert model.beta.value == 2.8 and "beta" not in result.free_names
    assert_same_minimum(result, expected.x, _errors(expected), expected.free_names)


def _run_fit_with(model, problem, solver):
    from imphot_astropy.fitting.image_fit import _run_fit
    return _run_fit(model, problem, solver)


@pytest.fixture(scope="module")
def star_fit_inputs():
    """The MUSE star of a synthetic pair, as `fit_star_pixels` fits it."""
    from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
    from imphot_astropy.fitting import star_fit
    from imphot_astropy.fitting.star_geometry import StarGeometry, select_star_pixels

    hst, muse, truth = make_synthetic_pair(
        shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 300.0)], fwhm=0.65, beta=2.5,
        dx=0.06, dy=-0.04, scale=1.2, bg=0.05, noise=0.02, seed=1)
    hst_image, muse_image = star_fit.read_aligned_pair(hst, muse)
    geometry = StarGeometry(truth["star_radec"][0] + (2.0,), muse_image)
    pixels = select_star_pixels(geometry, muse_image.mask, hst_image.mask)
    u_, v_ = geometry.offsets(pixels)
    values = muse_image.data[pixels]
    guess = star_fit._Guess(u_, v_, values, geometry)

    def fit(solver, fix_beta=None, sandwich=True):
        moffat = star_fit.PixelIntegratedMoffat2D(geometry.pixel_x, geometry.pixel_y)
        model = star_fit._star_model(moffat, guess, geometry, guess.fwhm, 2.5, None,
                                     fix_beta)
        return star_fit.StarFit("MUSE", model, u_, v_, values, None, guess, geometry,
                                pixels=pixels if sandwich else None, solver=solver)

    return fit


@pytest.mark.parametrize("fix_beta", [None, 2.7], ids=["free", "fixed-beta"])
@pytest.mark.parametrize("key", ["pixtable trf", "LM, unweighted", "astropy DogBox",
                                 "image-fit dogbox"])
def test_star_fit_problem(star_fit_inputs, key, fix_beta):
    """The star fit's astropy TRFLSQFitter and each other solver (the star model has
    no analytic Jacobian: scipy's '2-point' and the LM's differences)."""
    expected = star_fit_inputs(STAR_FIT_SOLVER, fix_beta)
    fit = star_fit_inputs(SOLVERS[key], fix_beta)
    assert fit.info.solver == SOLVERS[key].name and SOLVERS[key].name in fit.report()
    for name in ("flux", "dx", "dy", "fwhm", "beta", "bg"):
        value, reference_value = fit.values[name], expected.values[name]
        if fix_beta is not None and name == "beta":
            assert value.value == fix_beta and value.fixed
            continue
        assert abs(value.value - reference_value.value) < FRACTION * reference_value.stdev, \
            (name, (value.value - reference_value.value) / reference_value.stdev)


@pytest.mark.parametrize("key", ["pixtable trf", "LM, unweighted"])
def test_star_fit_least_squares_errors(star_fit_inputs, key):
    """Without the sandwich, a star fit's errors are the solver's covariance:
    astropy's ``param_cov`` and `SolverResult.covariance` (the same definition,
    from another Jacobian at another point within tolerance) agree to 0.1% (below
    1e-5 measured)."""
    expected = star_fit_inputs(STAR_FIT_SOLVER, sandwich=False)
    fit = star_fit_inputs(SOLVERS[key], sandwich=False)
    assert expected.sandwich is None and fit.sandwich is None
    for name in ("flux", "dx", "dy", "fwhm", "beta", "bg"):
        assert fit.values[name].stdev == pytest.approx(expected.values[name].stdev, rel=1e-3)


@pytest.mark.parametrize("key", ["joint LM", "star-fit astropy TRF", "image-fit dogbox"])
def test_pixtable_star_problem(key):
    """The pixel-table star fit's problem (two slices, FWHM linear in wavelength)."""
    from imphot_astropy.fitting import _moffat_samples as core

    rng = np.random.default_rng(2)
    samples = []
    for i, lam in enumerate((5000.0, 8000.0)):
        x, y = rng.uniform(-2, 2, (2, 2500))
        truth = core.moffat_samples_model(0.8 - 0.1 * i, 2.8, 0.05, -0.02, 1e4, 10.0)
        samples.append(core.StarSamples(x, y, rng.normal(truth(x, y), 3.0), np.full_like(x, 9.0),
                                        np.full_like(x, lam)))
    layout = core._Layout(2, "linear", [5000.0, 8000.0], 6500.0)
    p0 = np.array([0.7, 0.0, 2.5] + [0.0, 0.0, 4e3, 0.0] * 2)
    low, high = core._bounds(layout)

    def problem():
        return LeastSquaresProblem.from_vector(core._residuals, p0, (low, high),
                                               core._jacobian, (layout, samples, 0.04))

    expected = PIXTABLE_STAR_SOLVER.solve(problem())
    result = SOLVERS[key].solve(problem())
    assert abs(expected.x[0] - 0.75) < 4 * _errors(expected)[0]   # near the truth
    assert_same_minimum(result, expected.x, _errors(expected), expected.free_names)


@pytest.fixture(scope="module")
def joint_problem():
    from imphot_astropy.datasets import make_synthetic_pair
    from imphot_astropy.survey.bands import BandProblem
    from imphot_astropy.survey.joint import JointProblem

    bands = []
    for name, wave, seed in (("V", 6000.0, 4), ("I", 8000.0, 5)):
        hst, muse, _ = make_synthetic_pair(shape=(48, 48), dx=0.05, dy=-0.03,
                                           fwhm=0.7 if name == "V" else 0.6, seed=seed)
        band = BandProblem(name, hst, muse, [wave], [1.0], {}, (4750, 9350))
        band.sigma = 0.02
        bands.append(band)
    joint = JointProblem(bands, fwhm_degree=1, beta_degree=0)
    start = joint.initial_parameters({b.name: dict(scale=1.1, bg=0.0, dx=0.0, dy=0.0,
                                                   fwhm=0.65, beta=2.3) for b in bands})

    def problem(**settings):
        params = start.copy()
        for name, setting in settings.items():
            params[name].set(**setting)
        return LeastSquaresProblem.from_parts(
            params, joint.band_residuals, lambda p, transform: joint.band_jacobians(p),
            model_names=joint.names)

    return joint, problem


@pytest.mark.parametrize("key", ["pixtable trf", "image-fit dogbox", "star-fit astropy TRF"])
@pytest.mark.parametrize("settings", [{}, {"beta_c0": dict(value=2.5, vary=False),
                                           "dy": dict(expr="-0.6 * dx")}],
                         ids=["free", "fixed-and-tied"])
def test_survey_joint_problem(joint_problem, key, settings):
    """The joint fit's Levenberg-Marquardt (as `JointProblem.fit` calls it) and the others
    on two bands (residual parts), free, and with beta fixed and dy tied to dx."""
    joint, problem = joint_problem
    expected = LevenbergMarquardt().solve(problem(**settings))
    result = SOLVERS[key].solve(problem(**settings))
    if settings:
        for r in (expected, result):
            assert r.params["beta_c0"].value == 2.5
            assert r.params["dy"].value == pytest.approx(-0.6 * r.params["dx"].value,
                                                         rel=1e-12)
    assert_same_minimum(result, expected.x, _errors(expected), expected.free_names)


@pytest.mark.parametrize("make, message", [
    (lambda: ScipyLeastSquares("trf", jac="3-point"), "jac: ScipyLeastSquares sets it"),
    (lambda: ScipyLeastSquares("trf", bounds=(0, 1)), "bounds: ScipyLeastSquares sets it"),
    (lambda: ScipyLeastSquares("dogbox", xtol="a"), "xtol: expected a positive number"),
    (lambda: ScipyLeastSquares("dogbox", ftol=-1.0), "ftol: expected a positive number"),
    (lambda: ScipyLeastSquares("trf", max_nfev=2.5), "max_nfev: expected a positive integer"),
    (lambda: LevenbergMarquardt(max_iterations="x"), "max_iterations: expected a positive"),
    (lambda: LevenbergMarquardt(decrement=0.0), "decrement: expected a positive number"),
])
def test_bad_solver_options_are_refused_when_the_solver_is_made(make, message):
    with pytest.raises(UserError, match=message):
        make()
