"""Bad input files: each a clear UserError naming the file."""

import pathlib

import numpy as np
import pytest
from astropy.io import fits

from imphot_astropy.exceptions import UserError
from imphot_astropy.pixtable import PixTable

HDFS = (pathlib.Path(__file__).resolve().parents[3] / ".." / "shared"
        / "data" / "hdfs")


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        PixTable(tmp_path / "nothing.fits")


def test_not_fits(tmp_path):
    name = tmp_path / "notes.txt"
    name.write_text("not a FITS file\n" * 100)
    with pytest.raises(UserError, match="notes.txt: not a readable FITS"):
        PixTable(name)


def test_a_cube_is_not_a_pixel_table(tmp_path):
    name = tmp_path / "cube.fits"
    fits.HDUList([fits.PrimaryHDU(),
                  fits.ImageHDU(np.zeros((3, 4, 5), np.float32), name="DATA"),
                  fits.ImageHDU(np.zeros((3, 4, 5), np.float32), name="STAT"),
                  ]).writeto(name)
    with pytest.raises(UserError, match="cube.fits: not a MUSE pixel table"):
        PixTable(name)


def test_a_catalogue_is_not_a_pixel_table(tmp_path):
    name = tmp_path / "cat.fits"
    fits.BinTableHDU.from_columns(
        [fits.Column(name="ra", format="D", array=[1.0]),
         fits.Column(name="dec", format="D", array=[2.0])]).writeto(name)
    with pytest.raises(UserError, match="cat.fits: not a MUSE pixel table"):
        PixTable(name)


@pytest.mark.parametrize("filename", ["IMAGE-HDFS-1.34.fits", "CUBE.fits"])
def test_real_muse_products_are_not_pixel_tables(filename):
    path = HDFS / filename
    if not path.exists():
        pytest.skip(f"HDFS sample data not found at {path}: these tests "
                    "need ../shared/data/hdfs next to the repository")
    with pytest.raises(UserError, match="not a MUSE pixel table"):
        PixTable(path)


def test_missing_column_image_format(projected, tmp_path):
    name = tmp_path / "no-origin.fits"
    with fits.open(projected.path) as hdul:
        fits.HDUList([hdu for hdu in hdul if hdu.name.lower() != "origin"]).writeto(
            name)
    with pytest.raises(UserError, match="no-origin.fits: missing column "
                                        "'origin'"):
        PixTable(name)


def test_missing_column_table_format(tables, tmp_path):
    name = tmp_path / "no-stat.fits"
    with fits.open(tables["projected", False].path) as hdul:
        table = hdul[1]
        columns = [c for c in table.columns if c.name != "stat"]
        fits.HDUList([hdul[0].copy(), fits.BinTableHDU.from_columns(
            columns)]).writeto(name)
    with pytest.raises(UserError, match="missing column 'stat'"):
        PixTable(name)


def test_columns_of_different_lengths(projected, tmp_path):
    name = tmp_path / "short.fits"
    with fits.open(projected.path) as hdul:
        hdus = [hdu.copy() for hdu in hdul]
    hdus[4] = fits.ImageHDU(hdus[4].data[:-5], header=hdus[4].header)
    fits.HDUList(hdus).writeto(name)
    with pytest.raises(UserError, match="'data' has 59995 rows"):
        PixTable(name)


def test_wrong_column_type(projected, tmp_path):
    name = tmp_path / "float-origin.fits"
    with fits.open(projected.path) as hdul:
        hdus = [hdu.copy() for hdu in hdul]
    hdus[7] = fits.ImageHDU(hdus[7].data.astype(np.float32), name="origin")
    fits.HDUList(hdus).writeto(name)
    with pytest.raises(UserError, match="'origin' has type"):
        PixTable(name)
