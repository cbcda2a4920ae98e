"""Truth: find_point_sources on a synthetic pair with stars of every kind."""

import numpy as np
import pytest
from astropy.nddata import CCDData

from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.fitting import find_point_sources, measure_star_photometry

ISOLATED = [(15.2, 16.7, 800.0), (45.4, 14.3, 600.0)]
PAIR = [(30.3, 60.1, 700.0), (33.1, 62.2, 500.0)]      # 0.7" apart
SATURATED = (50.6, 45.4, 5000.0)
EDGE_CUT = (64.2, 30.5, 700.0)                          # HST coverage ends at x = 70
GALAXY = SyntheticSource(20.0, 40.0, 400.0, scale_length=0.5, axis_ratio=0.7)
SATURATION = 200.0


@pytest.fixture(scope="module")
def pair():
    stars = [SyntheticSource(*s) for s in ISOLATED + PAIR + [SATURATED, EDGE_CUT]]
    hst, muse, truth = make_synthetic_pair(shape=(80, 80), sources=stars + [GALAXY],
                                           hst_noise=0.02, seed=3)
    data = np.minimum(hst.data, SATURATION)       # the saturated star's flat top
    mask = np.zeros(data.shape, bool)
    mask[:, 70:] = True                           # beyond the HST coverage
    data[mask] = 0.0
    hst = CCDData(data, unit=hst.unit, wcs=hst.wcs, mask=mask, meta=hst.meta)
    return hst, muse, truth


def _nearest(table, x, y):
    distance = np.hypot(table["x"] - x, table["y"] - y)
    return table[int(np.argmin(distance))], float(distance.min())


def test_accepts_the_isolated_stars_only(pair):
    hst, muse, truth = pair
    table = find_point_sources(hst, muse, radius=2.0, saturation=SATURATION)
    accepted = table[table["accepted"]]
    assert len(accepted) == len(ISOLATED)
    for x, y, _ in ISOLATED:
        row, distance = _nearest(accepted, x, y)
        assert distance < 0.1
        assert row["reason"] == ""
    # Brightest first, and the sky position is that of the pixel centroid.
    assert accepted["hst_flux"][0] > accepted["hst_flux"][1]
    ra, dec = hst.wcs.pixel_to_world_values(ISOLATED[0][0], ISOLATED[0][1])
    assert accepted["sky_centroid"][0].ra.deg == pytest.approx(ra, abs=0.05 * 0.2 / 3600)


@pytest.mark.parametrize("where, reason", [
    (SATURATED[:2], "saturated"), (PAIR[0][:2], "blended"), (PAIR[1][:2], "blended"),
    (EDGE_CUT[:2], "cut by the HST coverage"), ((GALAXY.x, GALAXY.y), "extended")])
def test_rejects_with_the_reason(pair, where, reason):
    hst, muse, truth = pair
    table = find_point_sources(hst, muse, radius=2.0, saturation=SATURATION)
    row, distance = _nearest(table, *where)
    assert distance < 3.0
    assert not row["accepted"]
    assert row["reason"].startswith(reason), row["reason"]


def test_a_row_is_a_star_for_the_star_fit(pair):
    hst, muse, truth = pair
    table = find_point_sources(hst, muse, radius=2.0, saturation=SATURATION)
    fit = measure_star_photometry(hst, muse, table[0])
    assert fit.fwhm.value == pytest.approx(truth["fwhm"], abs=0.01)
    assert fit.scale.value == pytest.approx(truth["scale"], rel=0.01)


def test_hdfs_brightest_point_source_is_the_reference_star(hdfs):
    """The star the reference tool's users fitted by hand comes first."""
    import os
    from astropy.coordinates import SkyCoord

    table = find_point_sources(os.path.join(hdfs, "HST-HDFS-on-MUSE-grid.fits"),
                               os.path.join(hdfs, "IMAGE-HDFS-1.34.fits"))
    assert table["accepted"][0]
    star = SkyCoord(338.23763393, -60.55636994, unit="deg", frame="fk5")
    assert table["sky_centroid"][0].separation(star).arcsec < 0.25
