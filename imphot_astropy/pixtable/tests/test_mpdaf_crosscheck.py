"""Cross-check against MPDAF's PixTable on the same synthetic files.

Skipped when MPDAF (``pip install mpdaf``) is not installed.
"""

import warnings

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord

from imphot_astropy.pixtable import PixTable, Slicer

from .test_sky import astropy_in_aperture, astropy_positions, star_apertures

mpdaf_drs = pytest.importorskip("mpdaf.drs", reason="MPDAF is not installed")
mpdaf_muse = pytest.importorskip("mpdaf.MUSE")

COLUMNS = ("xpos", "ypos", "lambda", "data", "dq", "stat", "origin")


@pytest.fixture
def pair(any_table):
    """Our table and MPDAF's, on the same file (MPDAF's file closed after
    the test so that no ResourceWarning escapes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = mpdaf_drs.PixTable(any_table.path)
    yield PixTable(any_table.path), theirs, any_table
    theirs.hdulist.close()


def test_slicer_tables_agree():
    for sli in range(1, 49):
        assert Slicer.ccd2sky(sli) == mpdaf_muse.Slicer.ccd2sky(sli)
        assert Slicer.sky2ccd(sli) == mpdaf_muse.Slicer.sky2ccd(sli)
        assert Slicer.sky2optical(sli) == mpdaf_muse.Slicer.sky2optical(sli)
        assert Slicer.ccd2optical(sli) == mpdaf_muse.Slicer.ccd2optical(sli)


def test_columns_units_and_keywords(pair):
    ours, theirs, _ = pair
    assert ours.nrows == theirs.nrows
    for name in COLUMNS:
        assert np.array_equal(ours.get_column(name),
                              theirs.get_column(name)), name
    assert (ours.wcs, ours.wave, ours.unit_data) == (
        theirs.wcs, theirs.wave, theirs.unit_data)
    assert (ours.projection, ours.nifu, ours.fluxcal, ours.skysub) == (
        theirs.projection, theirs.nifu, theirs.fluxcal, theirs.skysub)
    assert (ours.xc, ours.yc) == (theirs.xc, theirs.yc)
    assert np.array_equal(ours.get_exp(), theirs.get_exp())


def test_origin_decoding(pair):
    ours, theirs, _ = pair
    origin = ours.get_origin()
    for a, b in zip(ours.origin2coords(origin), theirs.origin2coords(origin)):
        assert np.array_equal(a, b)
    assert np.array_equal(ours.origin2xoffset(origin),
                          theirs.origin2xoffset(origin))


def test_sky_positions(pair):
    ours, theirs, _ = pair
    ra, dec = ours.get_pos_sky()
    ra_m, dec_m = theirs.get_pos_sky()
    separation = SkyCoord(ra * u.deg, dec * u.deg).separation(
        SkyCoord(ra_m * u.deg, dec_m * u.deg))
    assert separation.max() < 1e-8 * u.arcsec


def test_selections(pair):
    ours, theirs, table = pair
    origin = ours.get_origin()
    lbda = [(5000.0, 5600.5), (8000.0, 8100.0)]
    assert np.array_equal(ours.select_lambda(lbda), theirs.select_lambda(lbda))
    assert np.array_equal(ours.select_ifus([1, 7, 24]),
                          theirs.select_ifus([1, 7, 24]))
    assert np.array_equal(ours.select_slices([2, 13, 48]),
                          theirs.select_slices([2, 13, 48]))
    xpix = [(300, 900), (2000, 2001)]
    assert np.array_equal(ours.select_xpix(xpix),
                          theirs.select_xpix(xpix, origin=origin))
    assert np.array_equal(ours.select_ypix([(10, 2500)]),
                          theirs.select_ypix([(10, 2500)], origin=origin))
    assert np.array_equal(ours.select_exp([2]),
                          theirs.select_exp([2], theirs.get_exp()))


@pytest.mark.parametrize("shape", ["C", "S"])
def test_sky_selections(pair, shape):
    """Same rows, except any lying within 1e-3" of the aperture's edge:
    MPDAF measures offsets in a flat approximation (RA offsets scaled by
    the cosine of the centre's declination), we on the sphere."""
    ours, theirs, table = pair
    apertures = star_apertures(table.synth, 2.0, shape)
    mine = ours.select_sky(apertures)
    theirs_mask = theirs.select_sky(apertures)
    differ = np.flatnonzero(mine != theirs_mask)
    if differ.size:
        coords = astropy_positions(ours)[differ]
        slightly_larger = np.zeros(differ.size, dtype=bool)
        slightly_smaller = np.zeros(differ.size, dtype=bool)
        for dec, ra, size, _ in apertures:
            slightly_larger |= astropy_in_aperture(coords, dec, ra,
                                                   size + 1e-3, shape)
            slightly_smaller |= astropy_in_aperture(coords, dec, ra,
                                                    size - 1e-3, shape)
        assert (slightly_larger & ~slightly_smaller).all()
    assert differ.size <= 2
    assert mine.sum() > 200


def test_extract(pair):
    ours, theirs, table = pair
    kwargs = dict(sky=star_apertures(table.synth, 3.0, "C")[:3],
                  lbda=(5500, 8500), ifu=[1, 2, 10, 15, 16, 19, 21], exp=[2],
                  sl=list(range(1, 40)), ypix=[(50, 4000)])
    mine = ours.extract(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_sub = theirs.extract(**kwargs)
    assert mine.nrows == theirs_sub.nrows > 10
    for name in COLUMNS:
        assert np.array_equal(mine.get_column(name),
                              theirs_sub.get_column(name)), name
    for key in ("LIMITS X LOW", "LIMITS Y HIGH", "LIMITS LAMBDA LOW",
                "LIMITS IFU LOW", "LIMITS IFU HIGH", "LIMITS SLICE HIGH",
                "MERGED", "COMBINED", "EXP1 FIRST", "EXP1 LAST"):
        assert mine.get_keyword(key) == theirs_sub.get_keyword(key), key
    assert np.array_equal(mine.get_exp(), theirs_sub.get_exp())


def test_detector_images(pair, monkeypatch):
    ours, theirs, table = pair
    # MPDAF 3.6 still spells np.nan as np.NaN, which numpy 2 removed.
    monkeypatch.setattr(np, "NaN", np.nan, raising=False)
    for ifu in (3, 16):
        mine = ours.extract(ifu=ifu, exp=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs_sub = theirs.extract(ifu=ifu, exp=[1])
            image_m = theirs_sub.reconstruct_det_image()
            wave_m = theirs_sub.reconstruct_det_waveimage()
        image = mine.reconstruct_det_image()
        assert image.shape == image_m.shape
        expected = np.ma.filled(image_m.data.astype(float), np.nan)
        assert np.array_equal(image.data, expected, equal_nan=True)
        wave = mine.reconstruct_det_waveimage()
        filled = ~wave.mask
        assert np.array_equal(wave.data[filled],
                              np.ma.filled(wave_m.data, 0)[filled])
        # MPDAF leaves 0 where no row fell, we NaN (masked).
        assert (np.ma.filled(wave_m.data, 0)[~filled] == 0).all()


def test_files_written_by_each_are_read_by_the_other(projected, tmp_path):
    ours = PixTable(projected.path)
    sub = ours.extract(ifu=[4, 5], lbda=(6000, 7000))
    for ima in (True, False):
        name = tmp_path / f"ours-{ima}.fits"
        sub.write(name, save_as_ima=ima)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = mpdaf_drs.PixTable(str(name))
        try:
            for column in COLUMNS:
                assert np.array_equal(theirs.get_column(column),
                                      sub.get_column(column))
        finally:
            theirs.hdulist.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = mpdaf_drs.PixTable(projected.path)
        theirs_sub = theirs.extract(ifu=[4, 5], lbda=(6000, 7000))
        theirs_sub.write(str(tmp_path / "mpdaf.fits"))
        theirs.hdulist.close()
    back = PixTable(tmp_path / "mpdaf.fits")
    for column in COLUMNS:
        assert np.array_equal(back.get_column(column),
                              sub.get_column(column))
