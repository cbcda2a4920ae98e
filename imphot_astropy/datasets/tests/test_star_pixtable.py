"""`make_star_pixtable`: its wavelength ranges as `fit_pixtable_star` takes
them, and bad arguments refused with a `UserError` that names them (not a
raw traceback, nor a table of NaN or without its star)."""

import numpy as np
import pytest

from imphot_astropy.datasets import make_star_pixtable
from imphot_astropy.exceptions import UserError


def test_a_bare_range_is_one_slice_as_for_fit_pixtable_star():
    bare, truth = make_star_pixtable((6000.0, 6100.0), nexp=1, seed=2)
    listed, _ = make_star_pixtable([(6000.0, 6100.0)], nexp=1, seed=2)
    assert truth["lbda"] == [(6000.0, 6100.0)]
    np.testing.assert_array_equal(bare.get_data(), listed.get_data())
    lam = bare.get_lambda()
    assert lam.min() >= 5990.0 and lam.max() < 6110.0


@pytest.mark.parametrize("keywords, message", [
    (dict(lbda=[(6100.0, 6000.0)]), r"lbda: the range \(6100.0, 6000.0\) is empty"),
    (dict(lbda="red"), "lbda: expected"),
    (dict(fwhm=0.0), "fwhm: must be > 0"),
    (dict(fwhm=np.nan), "fwhm: expected a finite number"),
    (dict(beta=1.0), "beta: must be > 1"),
    (dict(e=1.0), r"e: expected an ellipticity in \[0, 1\)"),
    (dict(e=-0.1), r"e: expected an ellipticity in \[0, 1\)"),
    (dict(theta="north"), "theta: expected a number"),
    (dict(flux=np.inf), "flux: expected a finite number"),
    (dict(background=None), "background: expected a number"),
    (dict(nexp=0), "nexp: expected a whole number of exposures >= 1"),
    (dict(nexp=1.5), "nexp: expected a whole number of exposures >= 1"),
    (dict(nexp=None), "nexp: expected a whole number of exposures >= 1"),
    (dict(size=0.0), "size: must be > 0"),
    # The FWHM at 6000 A would be 0.65 - 1000 * 1e-3 < 0.
    (dict(fwhm_slope=1e-3), "fwhm_slope: the FWHM .* is not positive at 59"),
])
def test_bad_arguments_are_user_errors(keywords, message):
    with pytest.raises(UserError, match=message):
        make_star_pixtable(**keywords)
