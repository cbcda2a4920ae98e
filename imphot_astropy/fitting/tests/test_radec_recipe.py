"""dra/ddec follow the documented recipe: CRVAL1 -= dra/3600, CRVAL2 -= ddec/3600.

``dra`` and ``ddec`` are differences of RA and Dec coordinates (the
established tool's meaning, issue 23); ``dra_sky``/``ddec_sky`` the same
offset as angles on the sky. Correcting the MUSE WCS by the recipe and
refitting must find no offset left: below 1 mas on HDFS (Dec -60.6, where
an on-sky dra applied as a coordinate difference would leave 0.034") and
on a rotated synthetic field at Dec -80 (where it would leave 5.8 times
the RA offset).
"""

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
import astropy.units as u

from imphot_astropy import fit_image_photometry
from imphot_astropy.datasets import make_synthetic_pair, muse_wcs
from imphot_astropy.preparation import regrid_hst_like_muse, rescale_hst_like_muse

# 1 mas: the refit's offsets after the correction. The HDFS fit's own
# uncertainties are 4 mas, but the refit compares the same pixels, so only
# the correction (and the regridding's new sub-pixel phase: 0.5 mas measured)
# moves it.
REFIT_TOLERANCE = 0.001


def _corrected(wcs, fit):
    corrected = wcs.deepcopy()
    corrected.wcs.crval = [corrected.wcs.crval[0] - fit.dra.value / 3600.0,
                           corrected.wcs.crval[1] - fit.ddec.value / 3600.0]
    return corrected


def test_recipe_on_hdfs_leaves_no_offset(hdfs):
    def fit(muse):
        hst = regrid_hst_like_muse(hdfs / "HST-HDFS.fits", muse, inplace=False)
        hst = rescale_hst_like_muse(hst, muse, inplace=True)
        return fit_image_photometry(hst, muse, fix_beta=2.5)

    with fits.open(hdfs / "IMAGE-HDFS-1.34.fits") as hdulist:
        muse = fits.HDUList([hdu.copy() for hdu in hdulist])
    first = fit(muse)
    assert abs(first.dra_sky.value) > 0.02     # a correction worth testing
    for hdu in muse[1:]:
        if "CRVAL1" in hdu.header:
            hdu.header["CRVAL1"] -= first.dra.value / 3600.0
            hdu.header["CRVAL2"] -= first.ddec.value / 3600.0
    refit = fit(muse)
    assert abs(refit.dx.value) < REFIT_TOLERANCE and abs(refit.dy.value) < REFIT_TOLERANCE
    assert abs(refit.dra_sky.value) < REFIT_TOLERANCE
    assert abs(refit.ddec_sky.value) < REFIT_TOLERANCE


def _field_at(pair, wcs):
    hst, muse, truth = pair
    hst.wcs, muse.wcs = wcs, wcs.deepcopy()
    return hst, muse, truth


def test_recipe_on_a_field_at_dec_minus_80():
    shape, seed, rotation = (80, 80), 5, 37.0
    wcs = muse_wcs(shape, rotation=rotation, ra=0.001, dec=-80.0)
    pair = make_synthetic_pair(shape=shape, dx=0.12, dy=-0.07, seed=seed)
    hst, muse, truth = _field_at(pair, wcs)
    first = fit_image_photometry(hst, muse, fix_beta=truth["beta"])

    # The on-sky names agree with astropy's spherical offsets of the fitted
    # shift, and dra is the RA coordinate difference (here astride RA 0).
    centre = np.array([(shape[1] - 1) / 2.0, (shape[0] - 1) / 2.0])
    start = SkyCoord.from_pixel(*centre, wcs)
    end = SkyCoord.from_pixel(*(centre + np.array([first.dx.value, first.dy.value]) / 0.2),
                              wcs)
    dlon, dlat = start.spherical_offsets_to(end)
    assert first.dra_sky.value == pytest.approx(dlon.arcsec, abs=1e-6)
    assert first.ddec_sky.value == pytest.approx(dlat.arcsec, abs=1e-6)
    assert first.dra.value == pytest.approx(
        (end.ra - start.ra).wrap_at(180 * u.deg).arcsec, abs=1e-6)
    assert first.dra.value == pytest.approx(first.dra_sky.value / np.cos(np.deg2rad(80.0)),
                                            rel=1e-3)
    # The uncertainties follow: the RA coordinate's is the on-sky one / cos(Dec).
    assert first.dra.stdev == pytest.approx(first.dra_sky.stdev / np.cos(np.deg2rad(80.0)),
                                            rel=1e-3)

    # Where the HST sky lies on the corrected MUSE grid, over the whole
    # field: the shift that the correction leaves, by astropy's WCS alone.
    corrected = _corrected(wcs, first)
    corners = np.array([[0, 0], [shape[1] - 1, 0], [0, shape[0] - 1],
                        [shape[1] - 1, shape[0] - 1], centre]).T
    hst_x, hst_y = wcs.world_to_pixel_values(*corrected.pixel_to_world_values(*corners))
    moved = np.array([hst_x - corners[0], hst_y - corners[1]]) * 0.2
    assert np.ptp(moved, axis=1) == pytest.approx([0, 0], abs=1e-4)
    # Refit on the corrected grid: the HST image sampled there is the sky
    # moved by ``moved`` (the same sky, noise and PSF rendered again).
    refit_pair = make_synthetic_pair(shape=shape, dx=truth["dx"] + moved[0, -1],
                                     dy=truth["dy"] + moved[1, -1], seed=seed)
    hst, muse, _ = _field_at(refit_pair, corrected)
    refit = fit_image_photometry(hst, muse, fix_beta=truth["beta"])
    assert abs(refit.dx.value) < REFIT_TOLERANCE and abs(refit.dy.value) < REFIT_TOLERANCE
    assert abs(refit.dra_sky.value) < REFIT_TOLERANCE
    assert abs(refit.ddec.value) < REFIT_TOLERANCE
