"""Reading and writing both on-disk formats."""

import os

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits

from imphot_astropy.exceptions import UserError
from imphot_astropy.pixtable import KEYWORD, PixTable
from imphot_astropy.pixtable.columns import REQUIRED_COLUMNS
from imphot_astropy.pixtable.writer import _FileWriter, write_pixtable

COLUMNS = ("xpos", "ypos", "lambda", "data", "dq", "stat", "origin")


def _assert_same_table(a, b):
    assert a.nrows == b.nrows
    for name in COLUMNS + ("weight",):
        left, right = a.get_column(name), b.get_column(name)
        if left is None or right is None:
            assert left is None and right is None, name
            continue
        assert left.dtype == right.dtype, name
        assert np.array_equal(left, right), name
    assert (a.wcs, a.wave, a.unit_data) == (b.wcs, b.wave, b.unit_data)
    cards = {k: v for k, v in a.primary_header.items()
             if k not in ("SIMPLE", "BITPIX", "NAXIS", "EXTEND")}
    other = {k: v for k, v in b.primary_header.items()
             if k not in ("SIMPLE", "BITPIX", "NAXIS", "EXTEND")}
    # Floats lose digits in long HIERARCH cards.
    assert cards.keys() == other.keys()
    for key, value in cards.items():
        if isinstance(value, float):
            assert other[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert other[key] == value, key


def test_each_format_reads_back_the_synthetic_truth(any_table):
    pix = PixTable(any_table.path)
    truth = any_table.truth
    assert pix.nrows == any_table.synth.nrows
    assert pix.ima == any_table.ima
    for name in COLUMNS:
        column = pix.get_column(name)
        assert column.dtype == truth[name].dtype, name
        assert column.dtype.isnative
        assert np.array_equal(column, truth[name]), name
    if any_table.synth.weight:
        assert np.array_equal(pix.get_weight(), truth["weight"])
    else:
        assert pix.get_weight() is None
    units = any_table.synth.units()
    assert pix.wcs == units["xpos"]
    assert pix.wave == u.AA
    assert pix.unit_data == units["data"]
    assert pix.unit_stat == units["stat"]
    assert pix.projection == any_table.synth.projection
    assert pix.fluxcal and not pix.skysub
    assert pix.nifu == 24
    assert pix.get_keyword("COMBINED") == 2


def test_both_formats_hold_the_same_table(tables):
    for projection in ("projected", "positioned"):
        _assert_same_table(PixTable(tables[projection, True].path),
                           PixTable(tables[projection, False].path))


@pytest.mark.parametrize("save_as_ima", [True, False])
def test_write_round_trip(projected, tmp_path, save_as_ima):
    source = PixTable(projected.path)
    out = tmp_path / "copy.fits"
    source.write(out, save_as_ima=save_as_ima)
    copy = PixTable(out)
    assert copy.ima == save_as_ima
    _assert_same_table(source, copy)
    # And back to the other format, through a table held in memory (whose
    # header gains the LIMITS keywords of its columns).
    again = tmp_path / "again.fits"
    in_memory = copy.extract_from_mask(np.ones(copy.nrows, dtype=bool))
    assert in_memory.get_keyword("LIMITS LAMBDA LOW") == \
        source.get_lambda().min()
    in_memory.write(again, save_as_ima=not save_as_ima)
    _assert_same_table(in_memory, PixTable(again))
    for name in COLUMNS:
        assert np.array_equal(PixTable(again).get_column(name),
                              source.get_column(name))
    assert sorted(os.listdir(tmp_path)) == ["again.fits", "copy.fits"]


def test_files_follow_the_pipeline_layout(projected, tables):
    with fits.open(projected.path) as hdul:
        names = [hdu.header.get("EXTNAME") for hdu in hdul[1:]]
        assert names == list(COLUMNS) + ["weight"]
        assert hdul["xpos"].data.shape == (projected.synth.nrows, 1)
        assert hdul["xpos"].header["BUNIT"] == "rad"
        assert hdul["dq"].data.dtype == np.dtype(">i4")
        assert np.array_equal(hdul["lambda"].data[:, 0],
                              projected.truth["lambda"])
    with fits.open(tables["projected", False].path) as hdul:
        table = hdul[1]
        assert isinstance(table, fits.BinTableHDU)
        assert table.columns.names == list(COLUMNS) + ["weight"]
        assert np.array_equal(table.data["origin"],
                              projected.truth["origin"])


def test_columns_with_rows_and_units(projected):
    pix = PixTable(projected.path)
    truth = projected.truth
    rows = np.array([5, 17, 40000])
    assert np.array_equal(pix.get_lambda(rows), truth["lambda"][rows])
    mask = truth["ifu"] == 3
    assert np.array_equal(pix.get_data(mask), truth["data"][mask])
    assert np.array_equal(pix.get_dq(np.where(mask)), truth["dq"][mask])
    assert np.array_equal(pix.get_origin(slice(10, 20)),
                          truth["origin"][10:20])
    assert np.allclose(pix.get_xpos(rows, unit=u.arcsec),
                       truth["xpos"][rows].astype(float) * 206264.80624709636,
                       rtol=1e-12)
    assert np.allclose(pix.get_lambda(rows, unit=u.nm),
                       truth["lambda"][rows].astype(float) / 10.0,
                       rtol=1e-12)
    stat = pix.get_stat(rows, unit=u.Unit("1e-40 erg2 / (s2 cm4 Angstrom2)"))
    assert np.allclose(stat, truth["stat"][rows], rtol=1e-6)
    row = pix.get_row(7)
    assert row["lbda"] == truth["lambda"][7]
    assert row["weight"] == truth["weight"][7]
    with pytest.raises(UserError, match="ksel"):
        pix.get_lambda(np.zeros(3, dtype=bool))
    with pytest.raises(UserError, match="cannot convert"):
        pix.get_lambda(rows, unit=u.kg)


def test_setters_keep_the_header_consistent(projected):
    pix = PixTable(projected.path)
    lbda = pix.get_lambda()
    pix.set_lambda(lbda / 10.0, unit=u.nm)          # the same values, in nm
    assert np.allclose(pix.get_lambda(), lbda, rtol=1e-6)
    assert pix.get_keyword("LIMITS LAMBDA LOW") == pytest.approx(lbda.min())
    pix.set_xpos([1.0, 2.0], ksel=[0, 1], unit=u.deg)
    assert pix.get_xpos([0, 1]).tolist() == pytest.approx(
        [np.radians(1.0), np.radians(2.0)])
    assert pix.get_keyword("LIMITS X HIGH") == pix.get_xpos().max()
    assert pix.get_keyword("LIMITS X LOW") == pix.get_xpos().min()
    origin = pix.get_origin()
    keep = projected.truth["ifu"] <= 5
    sub = pix.extract_from_mask(keep)
    sub.set_origin(sub.get_origin())
    assert sub.get_keyword("LIMITS IFU HIGH") == 5
    assert sub.get_keyword("MERGED") == 5
    pix.set_origin(origin[::-1])
    assert np.array_equal(pix.get_origin(), origin[::-1])
    assert PixTable(projected.path).get_origin()[0] == origin[0]  # file kept
    with pytest.raises(UserError, match="expected 60000 values"):
        pix.set_data([1.0, 2.0])


def test_copy_is_independent(projected):
    pix = PixTable(projected.path)
    pix.set_data(np.zeros(pix.nrows))
    copy = pix.copy()
    copy.set_data(np.ones(pix.nrows))
    copy.set_keyword("SKYSUB", True)
    assert pix.get_data().max() == 0 and not pix.skysub
    assert copy.get_data().min() == 1 and copy.skysub


def test_opening_reads_no_data(tmp_path):
    """A 1e8-row file whose data areas are holes opens at once, and reading
    a few rows touches a few pages only."""
    name = tmp_path / "huge.fits"
    nrows = 100_000_000
    fd = os.open(name, os.O_RDWR | os.O_CREAT)
    try:
        _FileWriter(fd, fits.Header({"HIERARCH " + KEYWORD + " WCS":
                                     "positioned (final)"}), nrows,
                    {"xpos": u.deg}, REQUIRED_COLUMNS, True)
    finally:
        os.close(fd)
    assert os.path.getsize(name) > 2.5e9
    pix = PixTable(name)
    assert pix.nrows == nrows
    assert pix.get_lambda([0, nrows - 1]).tolist() == [0.0, 0.0]
    assert pix.get_origin(slice(nrows - 3, None)).tolist() == [0, 0, 0]


def test_write_is_atomic(projected, tmp_path):
    pix = PixTable(projected.path)
    with pytest.raises(UserError, match="input file"):
        pix.write(projected.path)
    with pytest.raises(UserError, match="directory"):
        pix.write(tmp_path / "missing" / "out.fits")

    def failing_chunks():
        yield 0, 10, {n: np.zeros(10) for n in REQUIRED_COLUMNS}
        raise RuntimeError("disk full")

    target = tmp_path / "out.fits"
    with pytest.raises(RuntimeError):
        write_pixtable(target, fits.Header(), 20, {}, failing_chunks(),
                       REQUIRED_COLUMNS)
    assert os.listdir(tmp_path) == []


def test_tables_built_in_memory():
    pix = PixTable(xpos=[1.0, 2.0], ypos=[0.0, 0.0], lbda=[5e3, 6e3],
                   data=[1.0, 2.0], dq=[0, 0], stat=[1.0, 1.0],
                   origin=[0, 0], wcs=u.deg)
    assert pix.nrows == 2 and pix.filename is None
    with pytest.raises(UserError, match="different lengths"):
        PixTable(xpos=[1.0], ypos=[0.0, 0.0], lbda=[5e3], data=[1.0],
                 dq=[0], stat=[1.0], origin=[0])
    with pytest.raises(UserError, match="missing column 'stat'"):
        PixTable(xpos=[1.0], ypos=[0.0], lbda=[5e3], data=[1.0], dq=[0],
                 origin=[0])
    with pytest.raises(UserError, match="not both"):
        PixTable("x.fits", xpos=[1.0])
