"""Quality flags: each raised by a fit that provokes it, none on clean fits;
the robust image fit against a star that moved."""

import io

import numpy as np
import pytest
from astropy.nddata import CCDData

from imphot_astropy import fit_image_photometry, fit_star_photometry
from imphot_astropy.datasets import make_synthetic_pair, random_sky, SyntheticSource
from imphot_astropy.fitting import photometry_table
from imphot_astropy.fitting.quality import flag_outliers
from imphot_astropy.fitting.results import print_quality_flags


@pytest.fixture(scope="module")
def pair():
    return make_synthetic_pair(shape=(56, 56), seed=3, noise=0.03)


@pytest.fixture(scope="module")
def star_pair():
    return make_synthetic_pair(shape=(41, 41), sources=[SyntheticSource(20.3, 19.6, 600.0)],
                               seed=1)


def test_clean_fits_raise_no_flag(pair, star_pair):
    hst, muse, _ = pair
    fit = fit_image_photometry(hst, muse)
    assert fit.flags == [] and fit.quality.ok
    assert 0.8 < fit.goodness < 1.5  # the default HST PSF's wings add a little
    assert fit.quality.n_pixels == int(fit.products.good.sum())
    row = fit.to_table()[0]
    assert not any(row["flag_" + n] for n in ("bound", "masked", "hst", "goodness",
                                              "outlier"))
    assert row["flags"] == "" and row["n_pixels"] == fit.quality.n_pixels
    hst, muse, truth = star_pair
    star = fit_star_photometry(hst, muse, truth["star_radec"][0] + (2.0,))
    assert star.flags == []
    assert star.quality.masked_fraction == 0.0


def _unmarked(image):
    """The image without the marks that give swapped inputs away (STAT, IMPFILT)."""
    return CCDData(image.data, unit=image.unit, wcs=image.wcs)


def test_swapped_inputs_put_the_fwhm_at_its_bound(pair):
    hst, muse, _ = pair
    # Files that carry their marks are refused before the fit (issue 13);
    # without them, the fit ends at the FWHM's lower bound and says so.
    fit = fit_image_photometry(_unmarked(muse), _unmarked(hst))
    assert "bound" in fit.flags
    assert "fwhm" in fit.quality.text() and "lower bound" in fit.quality.text()
    assert bool(fit.to_table()["flag_bound"][0])


def test_edge_masked_star_is_flagged(star_pair):
    hst, muse, truth = star_pair
    data = hst.data.copy()
    data[:, 22:] = np.nan  # the HST coverage ends 1.7 pixels right of the star
    cut = CCDData(data, unit=hst.unit, wcs=hst.wcs, meta=hst.meta)
    fit = fit_star_photometry(cut, muse, truth["star_radec"][0] + (2.0,))
    assert "masked" in fit.flags
    assert fit.quality.masked_fraction > 0.25
    assert f"({fit.quality.n_pixels} pixels used)" in fit.quality.text()


def test_mostly_zero_hst_image_is_flagged(pair):
    hst, muse, _ = pair
    data = hst.data.copy()
    data[:, 20:] = 0.0  # exact zeros, as where a drizzled image has no data
    zeros = CCDData(data, unit=hst.unit, wcs=hst.wcs, meta=hst.meta)
    fit = fit_image_photometry(zeros, muse)
    assert "hst" in fit.flags
    assert "exactly 0" in fit.to_table()["flags"][0]


def test_outlier_exposure_among_ten_is_flagged():
    sky = random_sky((48, 48), n_galaxies=20, seed=8)
    results = []
    for i in range(10):
        dx = 0.35 if i == 6 else 0.05 + 0.01 * (i % 3)  # one exposure moved
        hst, muse, _ = make_synthetic_pair(shape=(48, 48), sources=sky, dx=dx,
                                           seed=40 + i, noise=0.03)
        results.append(fit_image_photometry(hst, muse, fix_beta=2.5))
    table = flag_outliers(photometry_table(results))
    assert [bool(v) for v in table["flag_outlier"]] == [i == 6 for i in range(10)]
    assert "dx" in table["flags"][6]
    out = io.StringIO()
    print_quality_flags(results, file=out)
    assert results[6].flags == ["outlier"]
    assert out.getvalue().count("outlier") == 1


def _moved_star_pair():
    shape = (80, 80)
    sky = random_sky(shape, n_galaxies=15, n_stars=2, seed=11)
    star = SyntheticSource(25.0, 50.0, 800.0)
    moved = SyntheticSource(25.0 + 0.3 / 0.2, 50.0, 800.0)  # 0.3" proper motion
    hst, _, truth = make_synthetic_pair(shape=shape, sources=sky + [star], seed=3)
    _, muse, _ = make_synthetic_pair(shape=shape, sources=sky + [moved], seed=3)
    return hst, muse, truth, hst.wcs.pixel_to_world_values(star.x, star.y)


def test_robust_fit_excludes_a_moved_star():
    hst, muse, truth, star_radec = _moved_star_pair()
    plain = fit_image_photometry(hst, muse)
    robust = fit_image_photometry(hst, muse, robust=True)
    assert abs(plain.dx.value - truth["dx"]) > 0.05  # the plain fit is dragged
    assert abs(robust.dx.value - truth["dx"]) < 0.010
    assert abs(robust.dy.value - truth["dy"]) < 0.010
    assert len(robust.quality.excluded) == 1
    ra, dec = robust.quality.excluded[0]
    assert abs(ra - star_radec[0]) * np.cos(np.deg2rad(dec)) * 3600 < 0.3
    assert abs(dec - star_radec[1]) * 3600 < 0.3
    assert robust.flags == [] and "goodness" in plain.flags
    assert robust.to_table()["excluded"][0].startswith(f"{ra:.6f}")


def test_robust_fit_excludes_nothing_from_a_clean_pair(pair):
    hst, muse, _ = pair
    plain = fit_image_photometry(hst, muse)
    robust = fit_image_photometry(hst, muse, robust=True)
    assert robust.quality.excluded == []
    assert robust.dx.value == plain.dx.value
