"""One HDU choice for every entry point: ambiguous files are refused by all.

Each ambiguous file (only STAT/DQ planes, several candidate images, several
SCI HDUs) is made in tmp_path and given to every reader of the package: the
fitters, the preparation steps, the filter lookup, the cube reader and the
batch iterator. Each must refuse it with a `UserError` (a `WorkerError` from
the batch) that names the file and lists its HDUs.
"""

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from imphot_astropy.exceptions import UserError, WorkerError
from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.photometry import fit_image_photometry, fit_star_photometry
from imphot_astropy.preparation import (regrid_hst_like_muse, rescale_hst_like_muse,
                                        HstFilterInfo)
from imphot_astropy.wideband import bandpass_image
from imphot_astropy.batch import FitImagePhotometryMP
from imphot_astropy.io import select_data_hdu

SHAPE = (40, 40)


@pytest.fixture(scope="module")
def pair():
    sources = [SyntheticSource(20.0, 20.0, 300.0),
               SyntheticSource(10.0, 28.0, 80.0, scale_length=0.4),
               SyntheticSource(30.0, 12.0, 60.0, scale_length=0.3)]
    hst, muse, truth = make_synthetic_pair(shape=SHAPE, oversample=3, sources=sources,
                                           noise=0.01, seed=3)
    return hst, muse, truth


def _header(ccd):
    header = ccd.wcs.to_header()
    header["BUNIT"] = ccd.unit.to_string("fits")
    return header


def _write(path, hdus):
    fits.HDUList(hdus).writeto(path)
    return str(path)


@pytest.fixture(scope="module")
def files(pair, tmp_path_factory):
    """Good HST and MUSE files, and the ambiguous MUSE-like files."""
    hst, muse, truth = pair
    directory = tmp_path_factory.mktemp("hdus")
    hst_header = _header(hst)
    for key, value in hst.meta.items():
        hst_header[key] = value
    hst_header["FILTER"] = "F606W"
    data = np.asarray(muse.data, np.float32)
    var = np.asarray(muse.uncertainty.array, np.float32)
    dq = np.zeros(SHAPE, np.uint8)
    header = _header(muse)
    out = dict(truth=truth)
    out["hst"] = _write(directory / "hst.fits", [
        fits.PrimaryHDU(), fits.ImageHDU(np.asarray(hst.data, np.float32), hst_header,
                                         name="DATA")])
    out["muse"] = _write(directory / "muse.fits", [
        fits.PrimaryHDU(), fits.ImageHDU(data, header, name="DATA"),
        fits.ImageHDU(var, header, name="STAT")])
    out["dq_then_science"] = _write(directory / "dq_then_science.fits", [
        fits.PrimaryHDU(), fits.ImageHDU(dq, header, name="DQ"),
        fits.ImageHDU(data, header, name="SCIENCE")])
    out["ambiguous"] = {
        "stat_dq_only": _write(directory / "stat_dq_only.fits", [
            fits.PrimaryHDU(), fits.ImageHDU(var, header, name="STAT"),
            fits.ImageHDU(dq, header, name="DQ")]),
        "two_images": _write(directory / "two_images.fits", [
            fits.PrimaryHDU(), fits.ImageHDU(data, header, name="EXP1"),
            fits.ImageHDU(data, header, name="EXP2")]),
        "primary_and_extension": _write(directory / "primary_and_extension.fits", [
            fits.PrimaryHDU(data, header), fits.ImageHDU(data, header)]),
        "two_sci": _write(directory / "two_sci.fits", [
            fits.PrimaryHDU(), fits.ImageHDU(data, header, name="SCI"),
            fits.ImageHDU(data, header, name="SCI")]),
    }
    return out


AMBIGUOUS = ["stat_dq_only", "two_images", "primary_and_extension", "two_sci"]

# What the message must say about each file's HDUs.
LISTED = {"stat_dq_only": ["STAT (40, 40)", "DQ (40, 40)"],
          "two_images": ["EXP1 (40, 40)", "EXP2 (40, 40)"],
          "primary_and_extension": ["PRIMARY (40, 40)", "(40, 40)"],
          "two_sci": ["SCI (40, 40)"]}


def _check_message(message, path, kind):
    assert path in message
    assert "its HDUs are" in message
    for text in LISTED[kind]:
        assert text in message


def _refused(call, path, kind):
    with pytest.raises(UserError) as info:
        call()
    _check_message(str(info.value), path, kind)


@pytest.mark.parametrize("kind", AMBIGUOUS)
def test_fit_image_photometry_refuses(files, kind):
    bad = files["ambiguous"][kind]
    _refused(lambda: fit_image_photometry(files["hst"], bad), bad, kind)
    _refused(lambda: fit_image_photometry(bad, files["muse"]), bad, kind)


@pytest.mark.parametrize("kind", AMBIGUOUS)
def test_fit_star_photometry_refuses(files, kind):
    bad = files["ambiguous"][kind]
    ra, dec = files["truth"]["star_radec"][0]
    star = (ra, dec, 1.5)
    _refused(lambda: fit_star_photometry(files["hst"], bad, star), bad, kind)
    _refused(lambda: fit_star_photometry(bad, files["muse"], star), bad, kind)


@pytest.mark.parametrize("kind", AMBIGUOUS)
def test_regrid_refuses(files, kind):
    bad = files["ambiguous"][kind]
    _refused(lambda: regrid_hst_like_muse(bad, files["muse"]), bad, kind)
    _refused(lambda: regrid_hst_like_muse(files["hst"], bad), bad, kind)


@pytest.mark.parametrize("kind", AMBIGUOUS)
def test_rescale_refuses(files, kind):
    bad = files["ambiguous"][kind]
    _refused(lambda: rescale_hst_like_muse(bad, files["muse"], filter_name="F606W"),
             bad, kind)
    _refused(lambda: rescale_hst_like_muse(files["hst"], bad, filter_name="F606W"),
             bad, kind)


@pytest.mark.parametrize("kind", AMBIGUOUS)
def test_hst_filter_info_refuses(files, kind):
    bad = files["ambiguous"][kind]
    _refused(lambda: HstFilterInfo(bad, filter_name="F606W"), bad, kind)
    _refused(lambda: HstFilterInfo(bad), bad, kind)


@pytest.mark.parametrize("kind", AMBIGUOUS)
def test_batch_iterator_reports_the_file(files, kind):
    bad = files["ambiguous"][kind]
    with FitImagePhotometryMP(files["hst"], [files["muse"], bad], {"fix_beta": 2.5},
                              nworker=1) as fits_:
        items = list(fits_)
    errors = [item for item in items if isinstance(item, WorkerError)]
    assert len(items) == 2 and len(errors) == 1
    assert errors[0].filename == bad
    _check_message(errors[0].message, bad, kind)


def _cube_wcs_header():
    w = WCS(naxis=3)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN", "AWAV"]
    w.wcs.cunit = ["deg", "deg", "Angstrom"]
    w.wcs.crval = [338.23, -60.56, 5000.0]
    w.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600, 1.25]
    w.wcs.crpix = [1, 1, 1]
    return w.to_header()


CUBE_CURVE = ([5000.0, 5010.0], [1.0, 1.0])


@pytest.mark.parametrize("kind", ["stat_dq_only", "two_images", "two_sci"])
def test_bandpass_image_refuses(tmp_path, kind):
    header = _cube_wcs_header()
    cube = np.ones((20, 4, 5), np.float32)
    hdus = {
        "stat_dq_only": [fits.PrimaryHDU(), fits.ImageHDU(cube, header, name="STAT"),
                         fits.ImageHDU(cube.astype(np.uint8), header, name="DQ")],
        "two_images": [fits.PrimaryHDU(), fits.ImageHDU(cube, header, name="EXP1"),
                       fits.ImageHDU(cube, header, name="EXP2")],
        "two_sci": [fits.PrimaryHDU(), fits.ImageHDU(cube, header, name="SCI"),
                    fits.ImageHDU(cube, header, name="SCI")],
    }[kind]
    path = _write(tmp_path / f"cube_{kind}.fits", hdus)
    with pytest.raises(UserError) as info:
        bandpass_image(path, *CUBE_CURVE)
    message = str(info.value)
    assert path in message and "its HDUs are" in message
    assert "(20, 4, 5)" in message


def test_dq_before_the_science_plane_is_not_fitted(files):
    """The silent wrong answer of issue 12: DQ then SCIENCE fitted on DQ."""
    with fits.open(files["dq_then_science"]) as hdus:
        assert hdus[select_data_hdu(hdus, "x")].name == "SCIENCE"
    good = fit_image_photometry(files["hst"], files["muse"], fix_beta=2.5)
    other = fit_image_photometry(files["hst"], files["dq_then_science"], fix_beta=2.5)
    assert other.scale.value == pytest.approx(good.scale.value, rel=1e-6)
    assert other.scale.value == pytest.approx(files["truth"]["scale"], rel=0.02)
