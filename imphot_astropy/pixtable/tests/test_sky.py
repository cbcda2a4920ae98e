"""Sky positions and sky apertures, checked against astropy.coordinates."""


import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import WCS

from imphot_astropy.exceptions import UserError
from imphot_astropy.datasets import SYNTHETIC_STARS, SyntheticPixTable
from imphot_astropy.pixtable import PixTable


def astropy_positions(pix):
    """Sky positions of the rows computed with astropy.coordinates alone:
    for 'projected' tables, a point at native longitude phi and latitude
    theta lies 90 - theta from the reference point, at position angle
    180 - phi (east of north)."""
    xpos = pix.get_xpos(unit=u.deg) * u.deg
    ypos = pix.get_ypos(unit=u.deg) * u.deg
    header = pix.primary_header
    if pix.projection == "projected":
        centre = SkyCoord(header["RA"] * u.deg, header["DEC"] * u.deg)
        return centre.directional_offset_by(180 * u.deg - xpos, -ypos)
    return SkyCoord(header["CRVAL1"] * u.deg + xpos,
                    header["CRVAL2"] * u.deg + ypos)


def astropy_in_aperture(coords, dec, ra, size, shape):
    """Rows inside an aperture, by astropy: great-circle separation for a
    circle; for a square, the pixel coordinates of a TAN WCS with 1"
    pixels centred on the aperture (that is, tangent-plane offsets)."""
    centre = SkyCoord(ra * u.deg, dec * u.deg)
    if shape == "C":
        return coords.separation(centre) < size * u.arcsec
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [1.0, 1.0]
    wcs.wcs.cdelt = [-1 / 3600, 1 / 3600]
    x, y = wcs.world_to_pixel(coords)
    return (np.abs(x) < size) & (np.abs(y) < size)


def star_apertures(synth, size, shape):
    """Apertures centred on the synthetic stars, as (y, x, size, shape)."""
    out = []
    for east, north, _ in SYNTHETIC_STARS:
        ra, dec = synth.sky_position(east, north)
        out.append((float(dec), float(ra), size, shape))
    return out


def test_positions_match_astropy_and_truth(any_table):
    pix = PixTable(any_table.path)
    ra, dec = pix.get_pos_sky()
    ours = SkyCoord(ra * u.deg, dec * u.deg)
    assert ours.separation(astropy_positions(pix)).max() < 1e-8 * u.arcsec
    truth = SkyCoord(any_table.truth["ra"] * u.deg,
                     any_table.truth["dec"] * u.deg)
    # The positions were rounded to float32 when stored.
    assert ours.separation(truth).max() < 3e-5 * u.arcsec


@pytest.mark.parametrize("projection, unit", [
    ("projected", u.deg), ("projected", u.arcsec), ("positioned", u.rad),
    ("positioned", u.arcsec)])
def test_positions_honour_the_column_unit(tmp_path, projection, unit):
    synth = SyntheticPixTable(3000, projection=projection,
                              position_unit=unit, seed=4)
    name = tmp_path / "t.fits"
    synth.write(name)
    pix = PixTable(name)
    assert pix.wcs == unit
    ra, dec = pix.get_pos_sky()
    truth = synth.rows(0, synth.nrows)
    sep = SkyCoord(ra * u.deg, dec * u.deg).separation(
        SkyCoord(truth["ra"] * u.deg, truth["dec"] * u.deg))
    assert sep.max() < 3e-5 * u.arcsec
    sep = SkyCoord(ra * u.deg, dec * u.deg).separation(
        astropy_positions(pix))
    assert sep.max() < 1e-8 * u.arcsec


@pytest.mark.parametrize("shape", ["C", "S"])
def test_sky_selection_is_exact(any_table, shape):
    pix = PixTable(any_table.path, chunk_rows=7001)
    coords = astropy_positions(pix)
    for aperture in star_apertures(any_table.synth, 2.0, shape):
        expected = astropy_in_aperture(coords, *aperture)
        mask = pix.select_sky(aperture)
        assert expected.sum() > 50
        assert np.array_equal(mask, expected)


def test_several_apertures_select_their_union(projected):
    pix = PixTable(projected.path)
    coords = astropy_positions(pix)
    apertures = (star_apertures(projected.synth, 2.5, "C")[:2]
                 + star_apertures(projected.synth, 1.5, "S")[2:])
    expected = np.zeros(pix.nrows, dtype=bool)
    for aperture in apertures:
        expected |= astropy_in_aperture(coords, *aperture)
    assert np.array_equal(pix.select_sky(apertures), expected)
    sub = pix.extract(sky=apertures)
    assert np.array_equal(sub.get_origin(), pix.get_origin(expected))
    assert np.array_equal(sub.get_lambda(), pix.get_lambda(expected))


def test_aperture_over_the_reference_point(projected):
    # The reference point is the pole of the native coordinates, where
    # every native longitude meets.
    pix = PixTable(projected.path)
    coords = astropy_positions(pix)
    ra, dec = pix.xc, pix.yc
    for shape in "CS":
        aperture = (dec, ra, 3.0 * u.arcsec, shape)
        expected = astropy_in_aperture(coords, dec, ra, 3.0, shape)
        assert expected.sum() > 100
        assert np.array_equal(pix.select_sky(aperture), expected)


@pytest.mark.parametrize("centre", [(0.002, 10.0), (30.0, 89.995),
                                    (200.0, -89.997)],
                         ids=["ra-wrap", "north-pole", "south-pole"])
@pytest.mark.parametrize("projection", ["projected", "positioned"])
def test_awkward_places_on_the_sky(tmp_path, centre, projection):
    synth = SyntheticPixTable(20000, projection=projection, center=centre,
                              seed=6)
    name = tmp_path / "t.fits"
    synth.write(name)
    pix = PixTable(name)
    coords = astropy_positions(pix)
    apertures = [(float(synth.sky_position(e, n)[1]),
                  float(synth.sky_position(e, n)[0]), 4.0, shape)
                 for e, n in [(0.0, 0.0), (-20.0, 5.0), (15.0, -22.0)]
                 for shape in "CS"]
    for aperture in apertures:
        expected = astropy_in_aperture(coords, *aperture)
        assert expected.sum() > 10
        assert np.array_equal(pix.select_sky(aperture), expected)


def test_apertures_as_quantities(projected):
    pix = PixTable(projected.path)
    dec, ra, size, shape = star_apertures(projected.synth, 2.0, "C")[0]
    plain = pix.select_sky((dec, ra, size, shape))
    quantities = pix.select_sky((dec * u.deg, (ra * u.deg).to(u.hourangle),
                                 (size * u.arcsec).to(u.arcmin), shape))
    assert np.array_equal(plain, quantities)


def test_empty_extraction_warns(projected):
    pix = PixTable(projected.path)
    far = (pix.yc + 1.0, pix.xc, 2.0, "C")
    assert not pix.select_sky(far).any()
    with pytest.warns(AstropyUserWarning, match="no row selected"):
        assert pix.extract(sky=far) is None


def test_bad_apertures(projected, tmp_path):
    pix = PixTable(projected.path)
    with pytest.raises(UserError, match="unknown aperture shape 'X'"):
        pix.select_sky((pix.yc, pix.xc, 2.0, "X"))
    with pytest.raises(UserError, match="unknown aperture shape"):
        pix.extract(sky=(pix.yc, pix.xc, 2.0, 3))
    with pytest.raises(UserError, match="size must be > 0"):
        pix.select_sky((pix.yc, pix.xc, -1.0, "C"))
    with pytest.raises(UserError, match=r"\(y, x, size, shape\)"):
        pix.select_sky((pix.yc, pix.xc, 2.0))
    with pytest.raises(UserError, match="declination"):
        pix.select_sky((95.0, pix.xc, 2.0, "C"))
    # Tables in pixels take apertures in pixels (as MPDAF); other units
    # that are not angles are refused.
    in_pixels = PixTable(xpos=[0.0, 3.0], ypos=[0.0, 0.0], lbda=[5e3] * 2,
                         data=[0.0] * 2, dq=[0] * 2, stat=[0.0] * 2,
                         origin=[0] * 2, wcs=u.pix)
    in_pixels.set_keyword("WCS", "positioned (final)")
    in_pixels.primary_header["CRVAL1"] = 10.0
    in_pixels.primary_header["CRVAL2"] = 20.0
    assert in_pixels.select_sky((0.0, 0.0, 1.0, "C")).tolist() == [True,
                                                                   False]
    assert [v.tolist() for v in in_pixels.get_pos_sky()] == [[0.0, 3.0],
                                                             [0.0, 0.0]]
    with pytest.raises(UserError, match="pixels"):
        in_pixels.select_sky((0.0, 0.0, -1.0, "C"))
    in_metres = PixTable(xpos=[0.0], ypos=[0.0], lbda=[5e3], data=[0.0],
                         dq=[0], stat=[0.0], origin=[0], wcs=u.m)
    in_metres.set_keyword("WCS", "positioned (final)")
    in_metres.primary_header["CRVAL1"] = 0.0
    in_metres.primary_header["CRVAL2"] = 0.0
    with pytest.raises(UserError, match="not an angle"):
        in_metres.select_sky((0.0, 0.0, 1.0, "C"))
    with pytest.raises(UserError, match="not an angle"):
        in_metres.get_pos_sky()
    unknown = PixTable(xpos=[0.0], ypos=[0.0], lbda=[5e3], data=[0.0],
                       dq=[0], stat=[0.0], origin=[0], wcs=u.deg)
    with pytest.raises(UserError, match="projection"):
        unknown.get_pos_sky()
