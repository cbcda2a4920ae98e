"""Behaviours that scripts written for MPDAF's PixTable rely on, checked
against MPDAF itself on the same inputs.

Skipped when MPDAF (``pip install mpdaf``) is not installed.
"""

import gc
import gzip
import io
import shutil
import warnings

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from imphot_astropy.exceptions import UserError
from imphot_astropy.datasets import HDFS_CENTER, SYNTHETIC_STARS, SyntheticPixTable
from imphot_astropy.pixtable import PixTable, PixTableMask

mpdaf_drs = pytest.importorskip("mpdaf.drs", reason="MPDAF is not installed")
mpdaf_muse = pytest.importorskip("mpdaf.MUSE",
                                 reason="MPDAF is not installed")

COLUMNS = ("xpos", "ypos", "lambda", "data", "dq", "stat", "origin")


def mpdaf_table(source):
    """MPDAF's PixTable of a file, without its chatter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mpdaf_drs.PixTable(source)


@pytest.fixture
def pair(projected):
    theirs = mpdaf_table(projected.path)
    yield PixTable(projected.path), theirs, projected
    theirs.hdulist.close()


# -- stacks -------------------------------------------------------------------

def test_the_table_spans_all_ifus_and_slices(projected):
    truth = projected.truth
    pairs = set(zip(truth["ifu"].tolist(), truth["slice"].tolist()))
    assert len(pairs) == 24 * 48


@pytest.mark.parametrize("stack", [1, 2, 3, 4])
def test_stacks_as_in_mpdaf_current_source(pair, stack):
    """Stack k is sky slices 12(k-1)+1 to 12k, converted with MPDAF's
    Slicer; MPDAF 3.6's select_stacks leaves out the last two of them (a
    bug its current source has fixed)."""
    ours, theirs, _ = pair
    origin = ours.get_origin()
    sky = range(12 * (stack - 1) + 1, 12 * stack + 1)
    ccd = sorted(mpdaf_muse.Slicer.sky2ccd(s) for s in sky)
    expected = theirs.select_slices(ccd, origin=origin)
    mine = ours.select_stacks(stack)
    assert mine.sum() > 1000
    assert np.array_equal(mine, expected)
    assert np.array_equal(ours.extract(stack=stack).get_origin(),
                          origin[expected])
    mpdaf_36 = theirs.select_stacks([stack], origin=origin)
    assert not (mpdaf_36 & ~mine).any()
    left_out = np.unique(ours.origin2slice(origin[mine & ~mpdaf_36]))
    assert sorted(left_out.tolist()) == sorted(
        mpdaf_muse.Slicer.sky2ccd(s) for s in (12 * stack - 1, 12 * stack))


def test_several_stacks_together(pair):
    ours, theirs, _ = pair
    origin = ours.get_origin()
    ccd = [mpdaf_muse.Slicer.sky2ccd(s) for s in range(1, 49)
           if (s - 1) // 12 + 1 in (1, 3)]
    assert np.array_equal(ours.select_stacks([1, 3]),
                          theirs.select_slices(ccd, origin=origin))


# -- setting selected rows with a scalar ---------------------------------------

@pytest.mark.parametrize("column", ["data", "stat"])
def test_scalar_for_selected_rows(pair, column):
    ours, theirs, _ = pair
    lbda = ours.get_lambda()
    for ksel in (np.where(lbda > 8000), lbda < 5200):
        getattr(ours, f"set_{column}")(0, ksel=ksel)
        getattr(theirs, f"set_{column}")(0, ksel=ksel)
    mine = getattr(ours, f"get_{column}")()
    expected = getattr(theirs, f"get_{column}")()
    assert (mine[lbda > 8000] == 0).all() and (mine[lbda < 5200] == 0).all()
    assert np.array_equal(mine, expected)
    assert (mine != 0).sum() > 1000


def test_scalar_for_all_rows_is_refused(pair):
    ours, _, _ = pair
    with pytest.raises(UserError, match="data"):
        ours.set_data(0)


# -- file objects -------------------------------------------------------------

def test_file_objects(projected, tmp_path):
    with open(projected.path, "rb") as f:
        payload = f.read()
    gz = tmp_path / "table.fits.gz"
    with open(projected.path, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    theirs = mpdaf_table(io.BytesIO(payload))
    with open(projected.path, "rb") as handle:
        sources = {"BytesIO": io.BytesIO(payload), "open file": handle,
                   "gzip name": str(gz)}
        for label, source in sources.items():
            ours = PixTable(source)
            assert ours.nrows == theirs.nrows, label
            for name in COLUMNS:
                assert np.array_equal(ours.get_column(name),
                                      theirs.get_column(name)), label
            assert (ours.wcs, ours.wave, ours.unit_data) == (
                theirs.wcs, theirs.wave, theirs.unit_data)
            sub = ours.extract(ifu=3, lbda=(6000, 7000))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs_sub = theirs.extract(ifu=3, lbda=(6000, 7000))
            assert np.array_equal(sub.get_origin(), theirs_sub.get_origin())
        # An ordinary file is memory-mapped through its name; the caller's
        # file object stays open.
        assert PixTable(handle).filename == projected.path
        assert not handle.closed
    assert PixTable(io.BytesIO(payload)).filename is None
    theirs.hdulist.close()


def test_not_a_file(projected):
    with pytest.raises(UserError, match="filename"):
        PixTable(12)
    with pytest.raises(UserError, match="not a readable FITS"):
        PixTable(io.BytesIO(b"not fits at all" * 300))


# -- the empty table -----------------------------------------------------------

def test_empty_table_as_mpdaf():
    ours = PixTable(None)
    theirs = mpdaf_table(None)
    assert ours.nrows == theirs.nrows == 0
    assert ours.extract() is None and theirs.extract() is None
    assert ours.extract(lbda=(5000, 6000)) is None
    assert theirs.extract(lbda=(5000, 6000)) is None
    for name in COLUMNS:
        assert ours.get_column(name) is None
        assert theirs.get_column(name) is None
    assert ours.get_data() is None and theirs.get_data() is None
    assert repr(ours) == repr(theirs)
    with pytest.raises(UserError, match="empty"):
        ours.write("never-written.fits")


# -- info ------------------------------------------------------------------------

@pytest.mark.parametrize("ima", [True, False])
def test_info_lists_the_hdus(tables, ima):
    table = tables["projected", ima]
    out = io.StringIO()
    PixTable(table.path).info(output=out)
    text = out.getvalue()
    theirs = mpdaf_table(table.path)
    try:
        hdus = theirs.hdulist.info(output=False)
    finally:
        theirs.hdulist.close()
    assert "24 merged IFUs went into this pixel table" in text
    assert "This pixel table was flux-calibrated" in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("No."))
    rows = [line.split() for line in lines[start + 1:]]
    assert len(rows) == len(hdus)
    for row, hdu in zip(rows, hdus):
        assert int(row[0]) == hdu[0]
        assert hdu[3] in row and (hdu[1] in row or not hdu[1])
        assert str(hdu[5]).replace(" ", "") in "".join(row)


# -- tables in pixels -------------------------------------------------------------

@pytest.fixture(scope="module")
def pixel_table(tmp_path_factory):
    """A table whose positions are in pixels (before astrometry)."""
    rng = np.random.default_rng(5)
    n = 20000
    pix = PixTable(xpos=rng.uniform(0, 300, n), ypos=rng.uniform(0, 300, n),
                   lbda=rng.uniform(4800, 9300, n), data=rng.normal(size=n),
                   dq=np.zeros(n, int), stat=np.ones(n),
                   origin=np.full(n, (1 << 6) | 1), wcs=u.pix)
    pix.set_keyword("WCS", "pixel (uncalibrated)")
    name = tmp_path_factory.mktemp("pixels") / "pixels.fits"
    pix.write(name)
    return str(name)


@pytest.mark.parametrize("shape", ["C", "S"])
def test_sky_selection_in_pixels(pixel_table, shape):
    ours = PixTable(pixel_table)
    theirs = mpdaf_table(pixel_table)
    try:
        apertures = [(100.0, 150.0, 20.0, shape), (250.5, 30.0, 7.5, shape)]
        mine = ours.select_sky(apertures)
        assert mine.sum() > 100
        assert np.array_equal(mine, theirs.select_sky(apertures))
        sub = ours.extract(sky=apertures[0], lbda=(6000, 8000))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs_sub = theirs.extract(sky=apertures[0], lbda=(6000, 8000))
        assert sub.nrows == theirs_sub.nrows > 10
        assert np.array_equal(sub.get_xpos(), theirs_sub.get_xpos())
        for a, b in zip(ours.get_pos_sky(), theirs.get_pos_sky()):
            assert np.array_equal(a, b)
    finally:
        theirs.hdulist.close()


# -- mask_column and PixTableMask ------------------------------------------------

def mask_image(path):
    """A mask image of the synthetic field, objects around its stars."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = list(HDFS_CENTER)
    wcs.wcs.crpix = [201.0, 201.0]
    wcs.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    ny, nx = 400, 400
    y, x = np.mgrid[:ny, :nx]
    synth = SyntheticPixTable(10)
    data = np.zeros((ny, nx), dtype=np.int32)
    for east, north, _ in SYNTHETIC_STARS:
        ra, dec = synth.sky_position(east, north)
        px, py = wcs.world_to_pixel_values(ra, dec)
        data[(x - px) ** 2 + (y - py) ** 2 < 12 ** 2] = 1
    fits.PrimaryHDU(data, header=wcs.to_header()).writeto(path)
    return str(path), wcs, data


def test_mask_column_as_mpdaf(tables, tmp_path):
    maskfile, wcs, data = mask_image(tmp_path / "objects.fits")
    for projection in ("projected", "positioned"):
        table = tables[projection, True]
        ours = PixTable(table.path).mask_column(maskfile)
        theirs_table = mpdaf_table(table.path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = theirs_table.mask_column(maskfile)
        finally:
            theirs_table.hdulist.close()
        assert ours.maskcol.sum() > 500
        # Rows can differ only where a position lies within 1e-6 pixel of
        # a pixel boundary (sky positions agree to 1e-8").
        differ = np.flatnonzero(ours.maskcol != theirs.maskcol)
        if differ.size:
            ra, dec = PixTable(table.path).get_pos_sky()
            x, y = wcs.world_to_pixel_values(ra[differ], dec[differ])
            edge = np.minimum(np.abs((x % 1) - 0.5), np.abs((y % 1) - 0.5))
            assert (edge < 1e-6).all()
        assert differ.size <= 2
        assert (ours.maskfile, ours.pixtable) == (maskfile, table.path)


def test_mask_files_read_by_each_other(projected, tmp_path):
    maskfile, _, _ = mask_image(tmp_path / "objects.fits")
    mask = PixTable(projected.path).mask_column(maskfile)
    mask.write(tmp_path / "ours.fits")
    with warnings.catch_warnings():
        # MPDAF leaves the file open and writes over-long comments.
        warnings.simplefilter("ignore")
        theirs = mpdaf_drs.PixTableMask(str(tmp_path / "ours.fits"))
        gc.collect()
        mpdaf_drs.PixTableMask(maskfile=maskfile, maskcol=mask.maskcol,
                               pixtable=projected.path).write(
            str(tmp_path / "theirs.fits"))
    assert np.array_equal(theirs.maskcol, mask.maskcol)
    assert theirs.maskfile == "objects.fits"
    assert theirs.pixtable == projected.path.split("/")[-1]
    back = PixTableMask(tmp_path / "theirs.fits")
    assert np.array_equal(back.maskcol, mask.maskcol)
    assert (back.maskfile, back.pixtable) == (
        "objects.fits", projected.path.split("/")[-1])


def test_mask_column_refuses_bad_input(pixel_table, projected, tmp_path):
    with pytest.raises(UserError, match="angle"):
        PixTable(pixel_table).mask_column(str(tmp_path / "whatever.fits"))
    with pytest.raises(UserError, match="maskfile"):
        PixTable(projected.path).mask_column(str(tmp_path / "none.fits"))
    with pytest.raises(UserError, match="input file"):
        PixTableMask(maskcol=[True], pixtable=projected.path).write(
            projected.path)


# -- self-calibration factors ------------------------------------------------------

def autocal_files(directory, nfiles=5, nseg=3, seed=8):
    """AUTOCAL_FACTORS tables as the pipeline writes them: segments in the
    primary header, one row per IFU, segment and slice; some factors from
    no point, some outliers."""
    rng = np.random.default_rng(seed)
    names = []
    ifu, quad, sli = [a.ravel() for a in np.meshgrid(
        np.arange(1, 25), np.arange(1, nseg + 1), np.arange(1, 49),
        indexing="ij")]
    for i in range(nfiles):
        corr = rng.normal(1.0, 0.01, ifu.size)
        corr[rng.random(ifu.size) < 0.05] = 1.5
        npts = rng.integers(0, 200, ifu.size)
        npts[rng.random(ifu.size) < 0.05] = 0
        table = fits.BinTableHDU.from_columns([
            fits.Column(name="ifu", format="J", array=ifu),
            fits.Column(name="sli", format="J", array=sli),
            fits.Column(name="quad", format="J", array=quad),
            fits.Column(name="npts", format="J", array=npts),
            fits.Column(name="corr", format="D", array=corr),
            fits.Column(name="corr_orig", format="D", array=corr)])
        primary = fits.PrimaryHDU()
        for seg in range(1, nseg + 1):
            primary.header[f"HIERARCH ESO DRS MUSE LAMBDA{seg} MIN"] = (
                4750.0 + 1500 * (seg - 1))
            primary.header[f"HIERARCH ESO DRS MUSE LAMBDA{seg} MAX"] = (
                4750.0 + 1500 * seg)
        names.append(str(directory / f"autocal{i}.fits"))
        fits.HDUList([primary, table]).writeto(names[-1])
    return names


def test_merge_autocal_factors_as_mpdaf(tmp_path):
    from imphot_astropy.pixtable import merge_autocal_factors
    names = autocal_files(tmp_path)
    ours = merge_autocal_factors(names, outfile=tmp_path / "ours.fits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = mpdaf_drs.merge_autocal_factors(
            names, outfile=str(tmp_path / "theirs.fits"))
    assert ours.colnames == theirs.colnames
    for name in ours.colnames:
        assert np.allclose(ours[name], theirs[name], equal_nan=True,
                           rtol=1e-12, atol=0), name
    assert (ours["nrej"] > 0).any() and (ours["nkeep"] < 5).any()
    back = Table.read(tmp_path / "ours.fits")
    assert np.array_equal(back["corr"], ours["corr"], equal_nan=True)
    other = tmp_path / "two-segments"
    other.mkdir()
    with pytest.raises(UserError, match="rows"):
        merge_autocal_factors(names + autocal_files(other, 1, 2, 1))
    with pytest.raises(UserError, match="input"):
        merge_autocal_factors(names, outfile=names[0])
