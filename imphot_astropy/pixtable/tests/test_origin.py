"""Encoding and decoding of the origin column."""

import numpy as np
import pytest
from astropy.io import fits

from imphot_astropy.exceptions import UserError
from imphot_astropy.pixtable import (XOFFSET_KEYWORD, decode_ifu,
                                     decode_slice, decode_xoffset,
                                     decode_xpix, decode_ypix, encode_origin,
                                     xoffsets_from_header)


def _offsets(rng):
    """x offsets of every IFU and slice, as a header would give them."""
    header = fits.Header()
    values = rng.integers(0, 4000, size=(24, 48))
    for ifu in range(1, 25):
        for sli in range(1, 49):
            header["HIERARCH " + XOFFSET_KEYWORD.format(ifu, sli)] = int(
                values[ifu - 1, sli - 1])
    table = xoffsets_from_header(header)
    assert np.array_equal(table[1:, 1:], values)
    assert (table[0] == -1).all() and (table[:, 0] == -1).all()
    return table


def _round_trip(ifu, sli, ypix, xfield, table):
    xpix = table[ifu, sli] + xfield - 1
    origin = encode_origin(ifu, sli, ypix, xpix, table)
    assert origin.dtype == np.int32
    assert np.array_equal(decode_ifu(origin), ifu)
    assert np.array_equal(decode_slice(origin), sli)
    assert np.array_equal(decode_ypix(origin), ypix)
    assert np.array_equal(decode_xoffset(origin, table), table[ifu, sli])
    assert np.array_equal(decode_xpix(origin, table), xpix)
    # The bit layout of the pipeline.
    expected = (xfield << 24) | ((ypix + 1) << 11) | (ifu << 6) | sli
    assert np.array_equal(origin, expected)


def test_round_trip_every_ifu_slice_and_x():
    rng = np.random.default_rng(1)
    table = _offsets(rng)
    ifu, sli, xfield, ypix = np.meshgrid(
        np.arange(1, 25), np.arange(1, 49), np.arange(0, 128),
        np.array([0, 1, 4111, 8189, 8190]), indexing="ij")
    _round_trip(ifu.ravel(), sli.ravel(), ypix.ravel(), xfield.ravel(),
                table)


def test_round_trip_every_y():
    rng = np.random.default_rng(2)
    table = _offsets(rng)
    ypix = np.arange(0, 8191)
    ifu = rng.integers(1, 25, ypix.size)
    sli = rng.integers(1, 49, ypix.size)
    xfield = rng.integers(0, 128, ypix.size)
    _round_trip(ifu, sli, ypix, xfield, table)


def test_scalars():
    table = np.full((25, 49), -1)
    table[24, 48] = 4000
    origin = encode_origin(24, 48, 8190, 4000 + 126, table)
    assert isinstance(origin, int)
    assert (decode_ifu(origin), decode_slice(origin), decode_ypix(origin),
            decode_xpix(origin, table)) == (24, 48, 8190, 4126)


@pytest.mark.parametrize("args, word", [
    ((0, 1, 0, 10), "ifu"), ((25, 1, 0, 10), "ifu"), ((1, 0, 0, 10), "sli"),
    ((1, 49, 0, 10), "sli"), ((1, 1, -1, 10), "ypix"),
    ((1, 1, 8191, 10), "ypix"), ((1, 1, 0, 8), "xpix"),
    ((1, 1, 0, 10 + 128), "xpix"), ((1, 2, 0, 10), "x offset")])
def test_encode_refuses_values_that_do_not_fit(args, word):
    table = np.full((25, 49), -1)
    table[1, 1] = 10
    with pytest.raises(UserError, match=word):
        encode_origin(*args, table)


def test_decode_names_the_missing_keyword():
    table = np.full((25, 49), -1)
    with pytest.raises(UserError, match="IFU07 SLICE03 XOFFSET"):
        decode_xpix(np.array([(7 << 6) | 3]), table)


def test_decoding_the_synthetic_table(projected):
    from imphot_astropy.pixtable import PixTable
    pix = PixTable(projected.path)
    ifu, sli, ypix, xpix = pix.origin2coords(pix.get_origin())
    truth = projected.truth
    assert np.array_equal(ifu, truth["ifu"])
    assert np.array_equal(sli, truth["slice"])
    assert np.array_equal(ypix, truth["ypix"])
    assert np.array_equal(xpix, truth["xpix"])
    assert np.array_equal(pix.coords2origin(ifu, sli, ypix, xpix),
                          truth["origin"])
