"""Raw HST files are regridded once per field and band, then read from the cache."""

import os
import warnings

import numpy as np
import pytest
from astropy.io import fits

from imphot_astropy.datasets import make_exposure_cube, random_sky
from imphot_astropy.exceptions import UserError
from imphot_astropy.preparation import HstFilterInfo
from imphot_astropy.preparation.tests._raw_hst import render_raw_hst
from imphot_astropy.survey import fit_cube_photometry

SHAPE = (60, 60)


def _cube_and_raw_hst(directory, nplanes=40):
    """An exposure cube and a raw ACS F775W file (0.06" pixels) of its sky."""
    sky = random_sky(SHAPE, n_galaxies=20, seed=7)
    cube, hst, truth = make_exposure_cube(shape=SHAPE, nplanes=nplanes, filters=("F775W",),
                                          sources=sky, dx=0.07, dy=-0.03, seed=7)
    image, wcs = render_raw_hst(sky, hst["F775W"].wcs, SHAPE, (260, 260),
                                pixel_scale=0.06)
    per_rate = HstFilterInfo("F775W").photflam / 1e-20 * truth["scales"]["F775W"]
    raw = directory / "hst_f775w.fits"
    fits.HDUList([fits.PrimaryHDU(header=fits.Header({"FILTER": "F775W",
                                                      "INSTRUME": "ACS"})),
                  fits.ImageHDU((image / per_rate).astype(np.float32),
                                wcs.to_header(), name="SCI")]).writeto(raw)
    with fits.open(raw, mode="update") as hdulist:
        hdulist["SCI"].header["BUNIT"] = "ELECTRONS/S"
    return cube, raw, truth


def test_raw_hst_regridded_and_cached(tmp_path):
    cube, raw, truth = _cube_and_raw_hst(tmp_path)
    cache = tmp_path / "regridded"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = fit_cube_photometry(cube, {"F775W": str(raw)}, fix_beta=2.5,
                                    cache_dir=str(cache))
        cached = os.listdir(cache)
        mtime = os.path.getmtime(cache / cached[0])
        second = fit_cube_photometry(cube, {"F775W": str(raw)}, fix_beta=2.5,
                                     cache_dir=str(cache))
    assert len(cached) == 1 and os.listdir(cache) == cached
    assert os.path.getmtime(cache / cached[0]) == mtime
    assert second.dx.value == first.dx.value
    # Regridded and rescaled: the offset and the scale are recovered.
    assert abs(first.dx.value - truth["dx"]) < 0.01
    assert abs(first.dy.value - truth["dy"]) < 0.01
    assert first.joint["F775W"].scale.value == pytest.approx(truth["scales"]["F775W"],
                                                             rel=0.02)


def test_a_cache_dir_that_is_a_file_is_refused(tmp_path):
    cube, raw, _ = _cube_and_raw_hst(tmp_path, nplanes=10)
    not_a_directory = tmp_path / "cache"
    not_a_directory.write_text("a file")
    with pytest.raises(UserError, match="cache_dir: .*cache exists and is not a directory"):
        fit_cube_photometry(cube, {"F775W": str(raw)}, fix_beta=2.5,
                            cache_dir=str(not_a_directory))
    assert not_a_directory.read_text() == "a file"


def test_grid_check_reads_headers_only(tmp_path, monkeypatch):
    """Whether an HST image is on the band image's grid is decided from the
    headers: an on-grid file is taken as is, a raw one (another grid) is
    not, and no pixel data are read to find out."""
    from imphot_astropy.survey import cube_fit

    sky = random_sky(SHAPE, n_galaxies=5, seed=3)
    cube, hst, truth = make_exposure_cube(shape=SHAPE, nplanes=10, filters=("F775W",),
                                          sources=sky, seed=3)
    on_grid = tmp_path / "on_grid.fits"
    hst["F775W"].write(on_grid)
    image, wcs = render_raw_hst(sky, hst["F775W"].wcs, SHAPE, (260, 260),
                                pixel_scale=0.06)
    raw = tmp_path / "raw.fits"
    fits.PrimaryHDU(image.astype(np.float32), wcs.to_header()).writeto(raw)
    shifted = hst["F775W"].wcs.deepcopy()
    shifted.wcs.crpix = shifted.wcs.crpix + [1.0, 0.0]

    def no_reading(*args, **kwargs):
        raise AssertionError("pixel data read to compare grids")

    monkeypatch.setattr(cube_fit, "read_image", no_reading)
    band_image = hst["F775W"]
    assert cube_fit._on_grid(str(on_grid), "F775W", band_image)
    assert cube_fit._on_grid(hst["F775W"], "F775W", band_image)
    assert not cube_fit._on_grid(str(raw), "F775W", band_image)
    moved = hst["F775W"].copy()
    moved.wcs = shifted
    assert not cube_fit._on_grid(moved, "F775W", band_image)
    assert cube_fit._hst_on_grid({"F775W": str(on_grid)}, ["F775W"], {"F775W": band_image},
                                 None) == {"F775W": str(on_grid)}
