"""One ``star`` tuple means one place on the sky, in every star fit.

`~imphot_astropy.photometry.fit_star_photometry` and
`~imphot_astropy.fitting.fit_pixtable_star` both read (ra, dec, radius).
The test is near the equator, where the swapped tuple (dec, ra, radius) is
a valid position elsewhere on the sky, so that nothing but reading the
same order would make both fits find the same star.
"""

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord

from imphot_astropy.datasets import SyntheticSource, make_synthetic_pair
from imphot_astropy.photometry import fit_star_photometry
from imphot_astropy.fitting import fit_pixtable_star, moffat_samples_model
from imphot_astropy.pixtable import PixTable
from imphot_astropy.pixtable.sky import sky_to_positioned

# The field's centre: the swapped (0.3, 10.0) is a valid RA, Dec, 10 deg away.
FIELD = (10.0, 0.3)
STAR_PIXEL = (30.3, 29.6)
FWHM, BETA = 0.7, 2.5


@pytest.fixture(scope="module")
def images_at_equator():
    hst, muse, truth = make_synthetic_pair(
        shape=(60, 60), oversample=3, noise=0.01, bg=0.0, fwhm=FWHM, beta=BETA,
        sources=[SyntheticSource(*STAR_PIXEL, 400.0)])
    for image in (hst, muse):
        image.wcs.wcs.crval = FIELD
        image.wcs.wcs.set()
    ra, dec = (float(v) for v in muse.wcs.pixel_to_world_values(*STAR_PIXEL))
    return hst, muse, truth, (ra, dec)


def pixtable_of_star(ra, dec, seed=5):
    """A 'positioned' pixel table (degrees about FIELD) of a Moffat star at (ra, dec)."""
    rng = np.random.default_rng(seed)
    east, north = rng.uniform(-3.0, 3.0, (2, 6000))
    truth = moffat_samples_model(FWHM, BETA, 0.0, 0.0, 5e4, 20.0)
    data = rng.normal(truth(east, north), 3.0)
    sky = SkyCoord(ra * u.deg, dec * u.deg).spherical_offsets_by(east * u.arcsec,
                                                                 north * u.arcsec)
    xpos, ypos = sky_to_positioned(sky.ra.deg, sky.dec.deg, *FIELD)
    pix = PixTable(xpos=xpos, ypos=ypos, lbda=rng.uniform(6000, 7000, east.size),
                   data=data, dq=np.zeros(east.size, int), stat=np.full(east.size, 9.0),
                   origin=np.zeros(east.size, int), wcs=u.deg)
    pix.set_keyword("WCS", "positioned (final)")
    pix.primary_header["CRVAL1"], pix.primary_header["CRVAL2"] = FIELD
    return pix


def test_both_star_fits_read_one_tuple_as_one_place(images_at_equator):
    hst, muse, truth, (ra, dec) = images_at_equator
    star = (ra, dec, 2.0)
    # The swap would be accepted: a declination of 10 deg is in range.
    assert -90 <= star[0] <= 90
    image_fit = fit_star_photometry(hst, muse, star)
    pixtable_fit = fit_pixtable_star(pixtable_of_star(ra, dec), star, lbda=(6000, 7000))
    # Both read RA first ...
    assert (image_fit.ra, image_fit.dec) == (ra, dec)
    assert (pixtable_fit.meta["star_ra"], pixtable_fit.meta["star_dec"]) == (ra, dec)
    # ... and both found the star there: the MUSE star lies truth (dx, dy)
    # from it, the pixel-table star on it (within 10 mas, ~10 of their errors).
    assert image_fit.dx.value == pytest.approx(truth["dx"], abs=0.01)
    assert image_fit.dy.value == pytest.approx(truth["dy"], abs=0.01)
    assert abs(pixtable_fit["dx"][0].to_value(u.arcsec)) < 0.01
    assert abs(pixtable_fit["dy"][0].to_value(u.arcsec)) < 0.01
    assert pixtable_fit["fwhm"][0].to_value(u.arcsec) == pytest.approx(FWHM, rel=0.02)
    # The same place given as (SkyCoord, radius), and to the pixel table as a
    # bare SkyCoord with its radius keyword.
    coord = SkyCoord(ra * u.deg, dec * u.deg)
    assert fit_star_photometry(hst, muse, (coord, 2.0)).ra == image_fit.ra
    by_coord = fit_pixtable_star(pixtable_of_star(ra, dec), coord, lbda=(6000, 7000),
                                 radius=2.0)
    assert by_coord["fwhm"][0] == pixtable_fit["fwhm"][0]
