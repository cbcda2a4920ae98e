"""Truth: a synthetic exposure with a known FWHM(lambda), beta, offsets and scales."""

import warnings

import numpy as np
import pytest
from astropy.nddata import CCDData, VarianceUncertainty

from imphot_astropy.datasets import make_exposure_cube
from imphot_astropy.survey import fit_cube_photometry, FSFModel

FILTERS = ("F606W", "F775W", "F814W", "F850LP")


@pytest.fixture(scope="module")
def exposure():
    # About 150 x 150 spaxels, 300 planes, FWHM 0.75" -> 0.55" over 4750-9350 A.
    cube, hst, truth = make_exposure_cube(shape=(150, 150), nplanes=300, beta=2.5,
                                          dx=0.083, dy=-0.047, noise=0.3, seed=11)
    return cube, hst, truth


@pytest.fixture(scope="module")
def joint_fit(exposure):
    cube, hst, _ = exposure
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # F850LP is cut by the cube (warned)
        return fit_cube_photometry(cube, hst)


def test_fwhm_at_each_pivot_within_1_percent(joint_fit, exposure):
    truth = exposure[2]
    true_fsf = FSFModel(truth["fwhm_coeffs"], truth["beta_coeffs"], truth["lbrange"])
    for band in FILTERS:
        pivot = joint_fit.pivots[band]
        fitted, error = joint_fit.fwhm_at(pivot)
        assert abs(fitted / true_fsf.fwhm(pivot) - 1) < 0.01, band
        assert 0 < error < 0.01


def test_beta_offsets_and_scales(joint_fit, exposure):
    truth = exposure[2]
    assert abs(joint_fit.fsf.beta(7000.0) / truth["beta"] - 1) < 0.03
    assert abs(joint_fit.dx.value - truth["dx"]) < 0.003
    assert abs(joint_fit.dy.value - truth["dy"]) < 0.003
    for band in FILTERS:
        assert joint_fit.joint[band].scale.value == pytest.approx(truth["scales"][band],
                                                                  rel=0.01)


def test_f850lp_sits_below_its_pivot(joint_fit):
    """27% of F850LP lies beyond the cube's 9350 A: its image is centred near 8800 A."""
    assert joint_fit.effective_wavelengths["F850LP"] < joint_fit.pivots["F850LP"] - 150


def test_table_has_band_and_joint_rows(joint_fit, exposure):
    table = joint_fit.to_table()
    assert len(table) == 2 * len(FILTERS)
    assert sorted(set(table["method"])) == ["image", "joint"]
    assert set(table["filter"]) == set(FILTERS)
    assert np.all(table["date_obs"] == exposure[2]["date_obs"])
    assert np.allclose(table["mjd_obs"], exposure[2]["mjd_obs"])
    joint_rows = table[table["method"] == "joint"]
    assert np.allclose(joint_rows["dx"], joint_fit.dx.value)


def test_tied_and_fixed_parameters_are_honoured(exposure):
    cube, hst, truth = exposure
    two = {b: hst[b] for b in ("F775W", "F814W")}
    fit = fit_cube_photometry(cube, two, fwhm_degree=0, psf_nodes=2,
                              joint_parameters={"scale_F814W": {"expr": "scale_F775W"},
                                                "beta_c0": {"value": 2.5, "vary": False}})
    assert fit.joint["F814W"].scale.value == fit.joint["F775W"].scale.value
    assert fit.fsf.beta(7000.0) == 2.5
    assert abs(fit.dx.value - truth["dx"]) < 0.003


def test_joint_offsets_scatter_less_than_any_band():
    """Over noise realisations, the joint offset scatters less than each band's."""
    cube, hst, truth = make_exposure_cube(shape=(90, 90), nplanes=160, noise=0.0, seed=21)
    rng = np.random.default_rng(5)
    noise = 2.5
    joint, single = [], {b: [] for b in FILTERS}
    for _ in range(6):
        noisy = CCDData(cube.data + rng.normal(0, noise, cube.shape).astype(np.float32),
                        unit=cube.unit, wcs=cube.wcs, meta=cube.meta,
                        uncertainty=VarianceUncertainty(np.full(cube.shape, noise**2,
                                                                np.float32)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_cube_photometry(noisy, hst, psf_nodes=4, fix_beta=2.5)
        joint.append((fit.dx.value, fit.dy.value))
        for band in FILTERS:
            single[band].append((fit.bands[band].dx.value, fit.bands[band].dy.value))
    joint_scatter = np.std(joint, axis=0).sum()
    for band in FILTERS:
        assert joint_scatter < np.std(single[band], axis=0).sum(), band


def test_bands_fitted_in_threads_as_one_by_one():
    """The single-band fits run in threads (nprocess > 1) give the same numbers."""
    cube, hst, truth = make_exposure_cube(shape=(60, 60), nplanes=60,
                                          filters=("F606W", "F775W", "F814W"), seed=8)
    one = fit_cube_photometry(cube, hst, fix_beta=2.5, nprocess=1)
    two = fit_cube_photometry(cube, hst, fix_beta=2.5, nprocess=2)
    for band in one.bands:
        for name in ("scale", "bg", "dx", "dy", "fwhm"):
            a, b = getattr(one.bands[band], name), getattr(two.bands[band], name)
            assert a.value == b.value and a.stdev == b.stdev, (band, name)
    assert one.dx.value == two.dx.value and one.dx.stdev == two.dx.stdev
    assert one.fsf.fwhm(7000.0) == two.fsf.fwhm(7000.0)
