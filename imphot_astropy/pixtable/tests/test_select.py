"""Selections and extractions, against the synthetic truth."""

import os

import numpy as np
import pytest
import astropy.units as u
from astropy.utils.exceptions import AstropyUserWarning

from imphot_astropy.exceptions import UserError
from imphot_astropy.pixtable import PixTable, Slicer

from .test_sky import star_apertures

COLUMNS = ("xpos", "ypos", "lambda", "data", "dq", "stat", "origin",
           "weight")


def _same_rows(sub, pix, mask):
    """The subtable holds exactly the masked rows of pix, in order."""
    assert sub.nrows == mask.sum()
    for name in COLUMNS:
        expected = pix.get_column(name, mask)
        got = sub.get_column(name)
        if expected is None:
            assert got is None
        else:
            assert np.array_equal(got, expected), name


def test_lambda_ranges_are_half_open(projected):
    pix = PixTable(projected.path)
    lbda = projected.truth["lambda"]
    low, high = float(lbda[100]), float(lbda[200])
    low, high = min(low, high), max(low, high)
    mask = pix.select_lambda((low, high))
    assert np.array_equal(mask, (lbda >= low) & (lbda < high))
    assert mask[lbda == low].all() and not mask[lbda == high].any()
    # Bounds between float32 values are compared exactly.
    bound = 6000.0 + 1e-5
    assert np.array_equal(pix.select_lambda((bound, 7000.0)),
                          (lbda.astype(float) >= bound) & (lbda < 7000.0))
    ranges = [(5000, 5500), (8000.5, 8100)]
    expected = (((lbda >= 5000) & (lbda < 5500))
                | ((lbda >= 8000.5) & (lbda < 8100)))
    assert np.array_equal(pix.select_lambda(ranges), expected)
    assert np.array_equal(pix.select_lambda([(500, 550)], unit=u.nm),
                          pix.select_lambda((5000, 5500)))
    assert np.array_equal(pix.select_lambda((0.5 * u.um, 0.55 * u.um)),
                          pix.select_lambda((5000, 5500)))


@pytest.mark.parametrize("lbda", [(7000, 6000), [(5000, 5100), (6100, 6000)]])
def test_lambda_min_above_max(projected, lbda):
    pix = PixTable(projected.path)
    with pytest.raises(UserError, match="min > max"):
        pix.select_lambda(lbda)
    with pytest.raises(UserError, match="lbda.*min > max"):
        pix.extract(lbda=lbda)


def test_origin_selections(any_table):
    pix = PixTable(any_table.path, chunk_rows=4999)
    truth = any_table.truth
    assert np.array_equal(pix.select_ifus([3, 17]),
                          np.isin(truth["ifu"], [3, 17]))
    assert np.array_equal(pix.select_ifus(24), truth["ifu"] == 24)
    assert np.array_equal(pix.select_slices([1, 48]),
                          np.isin(truth["slice"], [1, 48]))
    ranges = [(100, 400), (3000, 3001)]
    assert np.array_equal(pix.select_xpix(ranges),
                          ((truth["xpix"] >= 100) & (truth["xpix"] < 400))
                          | (truth["xpix"] == 3000))
    assert np.array_equal(pix.select_ypix((0, 2000)), truth["ypix"] < 2000)
    origin = pix.get_origin()
    assert np.array_equal(pix.select_ypix((0, 2000), origin=origin),
                          truth["ypix"] < 2000)


def test_stacks_are_numbered_as_in_mpdaf(projected):
    """Stack k is sky slices 12(k-1)+1..12k, that is optical stack 5-k."""
    pix = PixTable(projected.path)
    optical_stack = Slicer.ccd2optical(projected.truth["slice"])[0]
    sky_stack = (Slicer.ccd2sky(projected.truth["slice"]) - 1) // 12 + 1
    assert np.array_equal(sky_stack, 5 - optical_stack)
    for stacks in (1, [2, 4], [1, 2, 3, 4]):
        mask = pix.select_stacks(stacks)
        assert np.array_equal(mask, np.isin(sky_stack, stacks))
        assert np.array_equal(pix.extract(stack=stacks).get_origin(),
                              pix.get_origin()[mask])


def test_exposures(projected):
    pix = PixTable(projected.path)
    exp = projected.truth["exp"]
    assert np.array_equal(pix.get_exp(), exp)
    assert np.array_equal(pix.select_exp(2), exp == 2)
    assert np.array_equal(pix.select_exp([1, 2]), np.ones(pix.nrows, bool))
    assert np.array_equal(pix.select_exp([1], col_exp=exp), exp == 1)
    single = PixTable(xpos=[0.0], ypos=[0.0], lbda=[5e3], data=[0.0],
                      dq=[0], stat=[0.0], origin=[0])
    assert single.get_exp() is None
    with pytest.raises(UserError, match="no exposure keywords"):
        single.extract(exp=1)


def _criteria_masks(pix, synth):
    sky = star_apertures(synth, 3.0, "C")[:2]
    # IFUs 15 and 16 hold the first star, so that all the criteria together
    # still select a few rows.
    return {"sky": (sky, pix.select_sky(sky)),
            "lbda": ((6000, 8000), pix.select_lambda((6000, 8000))),
            "ifu": ([2, 15, 16], pix.select_ifus([2, 15, 16])),
            "sl": (list(range(10, 30)), pix.select_slices(range(10, 30))),
            "xpix": ((500, 3000), pix.select_xpix((500, 3000))),
            "ypix": ((100, 3000), pix.select_ypix((100, 3000))),
            "exp": (2, pix.select_exp(2)),
            "stack": ([2, 3], pix.select_stacks([2, 3]))}


@pytest.mark.parametrize("method", ["and", "or"])
def test_extract_combines_criteria_as_documented(projected, method):
    pix = PixTable(projected.path, chunk_rows=9973)
    masks = _criteria_masks(pix, projected.synth)
    combine = np.logical_and if method == "and" else np.logical_or
    for names in (["lbda"], ["sky", "lbda"], ["ifu", "sl", "exp"],
                  ["xpix", "ypix", "stack", "lbda"], list(masks)):
        kwargs = {name: masks[name][0] for name in names}
        expected = masks[names[0]][1].copy()
        for name in names[1:]:
            expected = combine(expected, masks[name][1])
        assert not expected.all()
        if not expected.any():
            with pytest.warns(AstropyUserWarning):
                assert pix.extract(method=method, **kwargs) is None
            continue
        sub = pix.extract(method=method, **kwargs)
        _same_rows(sub, pix, expected)


def test_extract_does_not_depend_on_the_chunk_size(tables):
    for ima in (True, False):
        name = tables["positioned", ima].path
        kwargs = dict(sky=star_apertures(tables["positioned", ima].synth,
                                         3.0, "S"), lbda=(5000, 8000))
        reference = PixTable(name).extract(**kwargs)
        for chunk in (997, 12345):
            sub = PixTable(name, chunk_rows=chunk).extract(**kwargs)
            assert np.array_equal(sub.get_origin(), reference.get_origin())
            assert np.array_equal(sub.get_data(), reference.get_data())


def test_no_criteria(projected):
    pix = PixTable(projected.path)
    everything = pix.extract()
    _same_rows(everything, pix, np.ones(pix.nrows, dtype=bool))
    with pytest.warns(AstropyUserWarning):
        assert pix.extract(method="or") is None


def test_extract_from_mask_and_header(projected):
    pix = PixTable(projected.path)
    truth = projected.truth
    mask = (truth["ifu"] >= 5) & (truth["ifu"] <= 9) & (truth["exp"] == 2)
    sub = pix.extract_from_mask(mask)
    _same_rows(sub, pix, mask)
    assert sub.get_keyword("LIMITS IFU LOW") == 5
    assert sub.get_keyword("LIMITS IFU HIGH") == 9
    assert sub.get_keyword("MERGED") == 5
    assert sub.get_keyword("LIMITS LAMBDA LOW") == truth["lambda"][mask].min()
    assert sub.get_keyword("LIMITS Y HIGH") == truth["ypos"][mask].max()
    # Only the second exposure is left: it becomes exposure 1.
    assert sub.get_keyword("COMBINED") == 1
    assert (sub.get_keyword("EXP1 FIRST"), sub.get_keyword("EXP1 LAST")) == \
        (0, sub.nrows - 1)
    assert sub.get_keyword("EXP2 FIRST", None) is None
    both = pix.extract(ifu=7)
    assert np.array_equal(both.get_exp(), truth["exp"][truth["ifu"] == 7])
    with pytest.raises(UserError, match="booleans"):
        pix.extract_from_mask(mask[:-1])


def test_extract_to_a_file(projected, tmp_path):
    pix = PixTable(projected.path)
    out = tmp_path / "cut.fits"
    sub = pix.extract(filename=out, ifu=4, lbda=(6000, 7000))
    assert sub.filename == str(out)
    written = PixTable(out)
    assert written.ima
    for name in COLUMNS:
        assert np.array_equal(written.get_column(name), sub.get_column(name))
    with pytest.raises(UserError, match="input file"):
        pix.extract(filename=projected.path, ifu=4)
    assert os.listdir(tmp_path) == ["cut.fits"]


@pytest.mark.parametrize("kwargs, word", [
    (dict(ifu=0), "ifu"), (dict(ifu=25), "ifu"), (dict(ifu="a"), "ifu"),
    (dict(sl=49), "sl"), (dict(stack=5), "stack"), (dict(xpix=(5, 1)), "xpix"),
    (dict(ypix="x"), "ypix"), (dict(exp=0), "exp"), (dict(lbda=5), "lbda"),
    (dict(method="xor"), "method")])
def test_bad_selection_arguments(projected, kwargs, word):
    pix = PixTable(projected.path)
    with pytest.raises(UserError, match=word):
        pix.extract(**kwargs)
