"""Reading faults give messages that say what is wrong (issue 13).

Truncated files say truncated (with the sizes), directories say directory,
a singular WCS says singular, an unparseable BUNIT says unparseable (with
its value), and cubes that are all or mostly NaN are refused or warned of.
"""

import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import NDData
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import WCS

from imphot_astropy.exceptions import UserError
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.photometry import fit_image_photometry
from imphot_astropy.io import read_image
from imphot_astropy.preparation import (regrid_hst_like_muse, rescale_hst_like_muse,
                                        HstFilterInfo)
from imphot_astropy.wideband import bandpass_image

SHAPE = (40, 40)
MUSE_UNIT = "1e-20 erg/(s cm2 Angstrom)"


@pytest.fixture(scope="module")
def pair():
    sources = [SyntheticSource(20.0, 20.0, 300.0),
               SyntheticSource(12.0, 27.0, 80.0, scale_length=0.4)]
    hst, muse, _ = make_synthetic_pair(shape=SHAPE, oversample=3, sources=sources,
                                       noise=0.01, seed=4)
    return hst, muse


def _write(path, ccd, bunit, header_cards=None, with_stat=False):
    header = ccd.wcs.to_header()
    header["BUNIT"] = bunit
    for key, value in (header_cards or {}).items():
        header[key] = value
    hdus = [fits.PrimaryHDU(), fits.ImageHDU(np.asarray(ccd.data, np.float32), header,
                                             name="DATA")]
    if with_stat:
        hdus.append(fits.ImageHDU(np.ones(SHAPE, np.float32), header, name="STAT"))
    fits.HDUList(hdus).writeto(path)
    return str(path)


@pytest.fixture(scope="module")
def files(pair, tmp_path_factory):
    hst, muse = pair
    directory = tmp_path_factory.mktemp("messages")
    return dict(hst=_write(directory / "hst.fits", hst, "electron/s"),
                muse=_write(directory / "muse.fits", muse, MUSE_UNIT, with_stat=True),
                directory=directory)


def _cut(source, path, nbytes):
    with open(source, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(data[:nbytes] if nbytes >= 0 else data[:len(data) + nbytes])
    return str(path)


def test_truncated_data_says_truncated_with_sizes(files, tmp_path):
    # Cut inside the DATA pixels: header intact, data short.
    path = _cut(files["muse"], tmp_path / "cut.fits", 2 * 2880 + 3000)
    for call in (lambda: fit_image_photometry(files["hst"], path),
                 lambda: read_image(path, "muse"),
                 lambda: rescale_hst_like_muse(files["hst"], path, filter_name="F606W")):
        with pytest.raises(UserError, match="truncated") as info:
            call()
        message = str(info.value)
        assert path in message and "no image data" not in message
        assert "needs 14400 bytes" in message and "has only 8760" in message


def test_truncated_in_an_extension_header_says_truncated(files, tmp_path):
    # The STAT extension's header is cut: astropy sees only PRIMARY and DATA.
    path = _cut(files["muse"], tmp_path / "cut_stat.fits", 14400 + 1000)
    with pytest.raises(UserError, match="truncated") as info:
        read_image(path, "muse")
    assert "15400" in str(info.value)


def test_truncated_in_the_primary_header_says_truncated(files, tmp_path):
    path = _cut(files["muse"], tmp_path / "cut_primary.fits", 1000)
    with pytest.raises(UserError, match="truncated") as info:
        fit_image_photometry(files["hst"], path)
    assert "has 1000" in str(info.value)


def test_truncated_hst_given_to_regrid_says_truncated(files, tmp_path):
    """Was `TypeError: buffer is too small` from deep inside the cut-out reader."""
    path = _cut(files["hst"], tmp_path / "hst_cut.fits", -3000)
    with pytest.raises(UserError, match="truncated") as info:
        regrid_hst_like_muse(path, files["muse"])
    assert path in str(info.value) and "has only" in str(info.value)


def test_a_directory_is_said_to_be_a_directory(files, tmp_path):
    directory = tmp_path / "image.fits"
    directory.mkdir()
    path = str(directory)
    calls = [lambda: read_image(path, "muse"),
             lambda: fit_image_photometry(files["hst"], path),
             lambda: regrid_hst_like_muse(path, files["muse"]),
             lambda: regrid_hst_like_muse(files["hst"], path),
             lambda: rescale_hst_like_muse(files["hst"], path, filter_name="F606W"),
             lambda: HstFilterInfo(path, filter_name="F606W"),
             lambda: bandpass_image(path, [5000.0, 5010.0], [1.0, 1.0])]
    for call in calls:
        with pytest.raises(UserError, match="is a directory") as info:
            call()
        assert "does not exist" not in str(info.value)


def test_a_singular_wcs_is_said_to_be_singular(pair, files, tmp_path):
    _, muse = pair
    header = muse.wcs.to_header()
    for key in list(header):
        if key.startswith(("PC", "CDELT")):
            del header[key]
    for key in ("CD1_1", "CD1_2", "CD2_1", "CD2_2"):
        header[key] = 0.0
    path = str(tmp_path / "singular.fits")
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.asarray(muse.data, np.float32),
                                                   header, name="DATA")]).writeto(path)
    with pytest.raises(UserError, match="singular") as info:
        fit_image_photometry(files["hst"], path)
    assert "not aligned" not in str(info.value)
    with pytest.raises(UserError, match="singular"):
        regrid_hst_like_muse(files["hst"], path)


def test_an_unparseable_bunit_is_said_to_be_unparseable(pair, files, tmp_path):
    hst, muse = pair
    bad = "furlongs per fortnight"
    hst_path = _write(tmp_path / "hst_bad_unit.fits", hst, bad)
    with pytest.warns(AstropyUserWarning, match="cannot be parsed") as record:
        rescale_hst_like_muse(hst_path, files["muse"], filter_name="F606W")
    messages = [str(w.message) for w in record]
    assert any(bad in m and "no BUNIT" not in m for m in messages)
    muse_path = _write(tmp_path / "muse_bad_unit.fits", muse, bad)
    with pytest.warns(AstropyUserWarning, match="cannot be parsed") as record:
        rescale_hst_like_muse(files["hst"], muse_path, filter_name="F606W")
    assert any(bad in str(w.message) and "no BUNIT" not in str(w.message)
               for w in record)


def _cube(nan_fraction_of_spaxels):
    w = WCS(naxis=3)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN", "AWAV"]
    w.wcs.cunit = ["deg", "deg", "Angstrom"]
    w.wcs.crval = [338.23, -60.56, 5000.0]
    w.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600, 1.25]
    w.wcs.crpix = [1, 1, 1]
    data = np.ones((20, 4, 5))
    nbad = int(round(nan_fraction_of_spaxels * 20))
    data[:, :, :].reshape(20, -1)[:, :nbad] = np.nan
    return NDData(data, wcs=w, unit="adu")


def test_an_all_nan_cube_is_refused():
    with pytest.raises(UserError, match="every voxel .* is NaN or masked"):
        bandpass_image(_cube(1.0), [5000.0, 5010.0], [1.0, 1.0])


def test_a_mostly_nan_cube_warns_how_much():
    with pytest.warns(AstropyUserWarning, match=r"60\.0% of the image's pixels \(12 of 20\)"):
        image = bandpass_image(_cube(0.6), [5000.0, 5010.0], [1.0, 1.0])
    assert np.isnan(image.data).sum() == 12
