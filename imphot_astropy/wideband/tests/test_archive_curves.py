"""Filter curves from Tables, FITS throughput tables and archive images."""

import numpy as np
import pytest
import astropy.units as u
from astropy.io import fits
from astropy.table import Table

from imphot_astropy.bandpasses import FilterStandInWarning
from imphot_astropy.datasets import archive_headers, muse_wcs
from imphot_astropy.exceptions import UserError
from imphot_astropy.wideband import read_filter_curve

WAVE = np.linspace(6000.0, 7000.0, 11)
THRU = np.linspace(0.1, 0.5, 11)


def test_table_with_and_without_unit():
    curve = read_filter_curve(Table([WAVE * u.nm / 10, THRU]))
    np.testing.assert_allclose(curve.to_angstrom(), WAVE)
    curve = read_filter_curve(Table([WAVE / 10, THRU]), unit_wave=u.nm)
    np.testing.assert_allclose(curve.to_angstrom(), WAVE)
    with pytest.raises(UserError, match="needs two columns"):
        read_filter_curve(Table([WAVE]))


def test_fits_throughput_table(tmp_path):
    path = tmp_path / "my_filter.fits"
    Table([WAVE * u.AA, THRU], names=["WAVELENGTH", "THROUGHPUT"]).write(path)
    curve = read_filter_curve(str(path))
    assert curve.name == "my_filter"
    np.testing.assert_allclose(curve.throughput, THRU)


@pytest.mark.parametrize("product, name, stand_in", [
    ("wfc3_uvis_f606w", "wfc3_uvis_f606w", None),
    ("nircam_f090w", "jwst_f090w", None),
    ("wfpc2_f814w", "acs_wfc_f814w", "WFPC2 F814W")])
def test_archive_image_names_its_curve(tmp_path, product, name, stand_in):
    primary, sci = archive_headers(product, muse_wcs((3, 3), 0.05))
    path = tmp_path / "image.fits"
    fits.HDUList([fits.PrimaryHDU(header=primary),
                  fits.ImageHDU(np.ones((3, 3), np.float32), sci, name="SCI")]).writeto(path)
    if stand_in:
        with pytest.warns(FilterStandInWarning, match="WFPC2 F814W.*ACS/WFC F814W"):
            curve = read_filter_curve(str(path))
    else:
        curve = read_filter_curve(str(path))
    assert (curve.name, curve.stand_in_for) == (name, stand_in)


def test_archive_image_without_filter_is_refused(tmp_path):
    path = tmp_path / "image.fits"
    fits.PrimaryHDU(np.ones((3, 3), np.float32)).writeto(path)
    with pytest.raises(UserError, match="names no filter"):
        read_filter_curve(str(path))
