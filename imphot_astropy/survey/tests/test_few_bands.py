"""One- and two-band surveys: the polynomial degrees are capped at what the
bands constrain (or an explicit excess is refused), and a parameter the
data leave free is flagged ``uncertain``."""

import warnings

import numpy as np
import pytest

from imphot_astropy.datasets import make_exposure_cube
from imphot_astropy.exceptions import UserError
from imphot_astropy.survey import cube_fit, fit_cube_photometry

DX, DY = 0.06, -0.04


def _exposure(filters):
    return make_exposure_cube(shape=(80, 80), nplanes=60, filters=filters, dx=DX, dy=DY,
                              seed=3)


def _fit(cube, hst, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # filters cut by the cube's range (warned)
        return fit_cube_photometry(cube, hst, **kwargs)


def _joint_uncertainties(fit):
    return {name: p.stderr for name, p in fit.parameters.items() if p.vary}


@pytest.mark.parametrize("filters, degrees", [
    (("F775W",), {"fwhm": 0, "beta": 0}),
    (("F606W", "F814W"), {"fwhm": 1, "beta": 0})])
def test_few_bands_give_a_determined_joint_fit(filters, degrees):
    """Every joint uncertainty is finite and small, the offsets' no larger
    than a single band's (1%: the two estimates of one band's errors), the
    offsets within 3 sigma (and 0.005") of the truth, the degree reported."""
    cube, hst, _ = _exposure(filters)
    fit = _fit(cube, hst)
    assert fit.degrees == degrees
    uncertainties = _joint_uncertainties(fit)
    assert all(e is not None and np.isfinite(e) for e in uncertainties.values())
    assert uncertainties["fwhm_c0"] < 0.01 and uncertainties["beta_c0"] < 0.1
    for name, truth in (("dx", DX), ("dy", DY)):
        joint = getattr(fit, name)
        single = min(getattr(r, name).stdev for r in fit.bands.values())
        assert joint.stdev <= 1.01 * single, name
        assert abs(joint.value - truth) < max(3 * joint.stdev, 0.005), name
    correlation = fit.covariance / np.sqrt(np.outer(np.diag(fit.covariance),
                                                    np.diag(fit.covariance)))
    off_diagonal = correlation[~np.eye(len(correlation), dtype=bool)]
    assert np.abs(off_diagonal).max() < 0.99
    table = fit.to_table()
    assert not any(table["flag_uncertain"])
    # A joint band result is complete when made: no flag, no quality record.
    assert all(band.quality is None and band.flags == [] for band in fit.joint.values())
    assert (table.meta["FWHM_DEGREE"], table.meta["BETA_DEGREE"]) == (degrees["fwhm"],
                                                                      degrees["beta"])
    if len(filters) == 1:
        note = "fwhm_degree: 0 instead of the default 1, as 1 band constrains"
        assert fit.notes and fit.notes[0].startswith(note)
        assert table.meta["NOTES"] == fit.notes
        assert note in fit.fit_report
    else:
        assert fit.notes == [] and table.meta["NOTES"] == []


def test_explicit_degree_beyond_the_bands_is_refused():
    cube, hst, _ = _exposure(("F775W",))
    with pytest.raises(UserError, match="fwhm_degree: 1 is more than 1 band can constrain"):
        _fit(cube, hst, fwhm_degree=1)
    with pytest.raises(UserError, match="beta_degree: 2 is more than 2 bands"):
        cube_fit.polynomial_degrees(2, beta_degree=2)
    with pytest.raises(UserError, match="fwhm_degree: expected an integer >= 0"):
        cube_fit.polynomial_degrees(3, fwhm_degree=1.5)
    # An explicit degree the bands allow is used as given, without a note.
    assert cube_fit.polynomial_degrees(3, fwhm_degree=2, beta_degree=1) == (
        {"fwhm": 2, "beta": 1}, [])


def test_the_degenerate_fit_is_flagged_uncertain(monkeypatch):
    """A fit the cap prevents (one band, FWHM and beta slopes): its
    uncertainties are far beyond any FWHM or beta (1e7-1e8 here, the
    offsets' 90 times the single-band fit's), and the joint rows say so."""
    cube, hst, _ = _exposure(("F775W",))
    monkeypatch.setattr(cube_fit, "polynomial_degrees",
                        lambda nbands, fwhm, beta: ({"fwhm": 1, "beta": 1}, []))
    fit = _fit(cube, hst)
    params = fit.parameters
    assert params["fwhm_c1"].stderr > 100 and params["beta_c1"].stderr > 1000
    table = fit.to_table()
    joint = table[table["method"] == "joint"]
    assert all(joint["flag_uncertain"])
    for name in ("fwhm_c1", "beta_c1"):
        assert all(f"{name} = " in reason for reason in joint["flags"]), name
    assert not any(table[table["method"] == "image"]["flag_uncertain"])
    # Each joint band result holds its flags from construction on.
    for name, band in fit.joint.items():
        assert band.quality.band == name and set(band.flags) == {"uncertain"}
        assert band.quality.n_pixels > 0
