"""The joint fit's refit after a whole-pixel offset restarts from the last joint result."""

import numpy as np

from imphot_astropy.datasets import make_synthetic_pair
from imphot_astropy.survey.bands import BandProblem
from imphot_astropy.survey.joint import JointProblem


def test_refit_restarts_from_the_last_joint_result():
    # 0.27" is 1.35 MUSE pixels: the first fit (HST not shifted) moves the
    # HST image by one whole pixel, and the refit follows.
    hst, muse, truth = make_synthetic_pair(shape=(64, 64), dx=0.27, dy=-0.05, seed=4)
    band = BandProblem("V", hst, muse, [6000.0], [1.0], {}, (5000, 9000))
    band.sigma = 0.02
    joint = JointProblem([band], fwhm_degree=0, beta_degree=0)
    start = joint.initial_parameters({"V": dict(scale=1.1, bg=0.0, dx=0.2, dy=0.0,
                                                fwhm=0.7, beta=2.3)})
    fits = []
    fit = joint.fit

    def recorded_fit(params):
        fits.append(fit(params))
        return fits[-1]

    joint.fit = recorded_fit
    result, refits = joint.fit_with_refits(start)
    assert refits == 1 and band.shift == (1, 0) and len(fits) == 2
    first, second = fits
    assert second.init_values == {n: first.params[n].value for n in first.var_names}
    assert second.init_values != {n: start[n].value for n in first.var_names}
    # From the last result the refit takes fewer Jacobians than the first fit.
    assert second.njev < first.njev
    # Recovered within 4 least-squares errors of the truth (noise 0.02).
    names, jac = result.jacobians[0]
    errors = np.sqrt(np.diag(np.linalg.inv(jac @ jac.T)))
    for name, truth_value in (("dx", truth["dx"]), ("dy", truth["dy"]),
                              ("fwhm_c0", truth["fwhm"])):
        error = errors[names.index(name)]
        assert abs(result.params[name].value - truth_value) < 4 * error, (name, error)
