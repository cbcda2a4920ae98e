"""Reference images as the archives deliver them, calibrated by their own headers.

Issue 22's second test: for each product modelled on a real archive file
(`imphot_astropy.datasets.ARCHIVE_PRODUCTS`: WFPC2 F814W in COUNTS/S,
ACS/WFC F775W and WFC3/UVIS F606W and F814W in ELECTRONS/S, NIRCam F090W in
MJy/sr), a synthetic sky is rendered on the product's own drizzled grid and
divided by the header's own calibration (`muse_flux_per_unit`, the plain
formulas, independent of the package's unit handling); the file goes
through `regrid_hst_like_muse`, `rescale_hst_like_muse` and
`fit_image_photometry` against a MUSE image of the same sky at scale 1.
The bounds are those of the ACS truth test (test_regrid_fit_truth.py):
scale within 1%, FWHM within 2%, offsets within 0.01". The ACS F775W header's
PHOTFLAM is 3% above the built-in value, so a fit that used the table
instead of the header would miss the 1% bound.
"""

import hashlib
import warnings

import pytest

from imphot_astropy.bandpasses import FilterStandInWarning
from imphot_astropy.datasets import (ARCHIVE_PRODUCTS, make_archive_image,
                                     make_synthetic_pair, random_sky, muse_flux_per_unit)
from imphot_astropy.photometry import fit_image_photometry
from imphot_astropy.preparation import (regrid_hst_like_muse, rescale_hst_like_muse,
                                        HstFilterInfo)

MUSE_SHAPE = (80, 80)
TRUTH = dict(fwhm=0.64, beta=2.6, scale=1.0, bg=0.06, dx=0.05, dy=-0.07)


@pytest.fixture(scope="module")
def muse_pair():
    sources = random_sky(MUSE_SHAPE, n_galaxies=25, n_stars=3, seed=31)
    _, muse, truth = make_synthetic_pair(shape=MUSE_SHAPE, sources=sources, seed=31,
                                         **TRUTH)
    return sources, muse, truth


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module", params=sorted(ARCHIVE_PRODUCTS))
def archive_fit(request, muse_pair, tmp_path_factory):
    product = request.param
    sources, muse, truth = muse_pair
    path = tmp_path_factory.mktemp(product) / f"{product}_drz.fits"
    make_archive_image(product, sources, muse.wcs, MUSE_SHAPE).writeto(path)
    before = _digest(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        regridded = regrid_hst_like_muse(str(path), muse)
        rescale_hst_like_muse(regridded, muse, inplace=True)
    assert _digest(path) == before
    fwhm, beta = ARCHIVE_PRODUCTS[product]["psf"]
    fit = fit_image_photometry(regridded, muse, hst_fwhm=fwhm, hst_beta=beta)
    return product, regridded, fit, truth, caught


def test_the_header_calibrates_the_image(archive_fit):
    product, regridded, fit, truth, caught = archive_fit
    assert regridded.meta["IMPCALIB"] == "header"
    messages = [str(w.message) for w in caught]
    assert not any("built-in" in m for m in messages), messages


def test_flux_scale_is_one(archive_fit):
    product, regridded, fit, truth, caught = archive_fit
    assert fit.scale.value == pytest.approx(1.0, rel=0.01), product


def test_offsets_and_psf_are_recovered(archive_fit):
    product, regridded, fit, truth, caught = archive_fit
    assert fit.fwhm.value == pytest.approx(truth["fwhm"], rel=0.02), product
    assert fit.dx.value == pytest.approx(truth["dx"], abs=0.01), product
    assert fit.dy.value == pytest.approx(truth["dy"], abs=0.01), product
    assert fit.bg.value == pytest.approx(truth["bg"], abs=0.01), product


def test_stand_in_curve_is_warned_and_recorded(archive_fit):
    product, regridded, fit, truth, caught = archive_fit
    stand_ins = [w for w in caught if issubclass(w.category, FilterStandInWarning)]
    if product == "wfpc2_f814w":
        assert regridded.meta["IMPCURVE"] == "acs_wfc_f814w"
        assert regridded.meta["IMPCSTND"] == "WFPC2 F814W"
        assert stand_ins and "WFPC2 F814W" in str(stand_ins[0].message) \
            and "ACS/WFC F814W" in str(stand_ins[0].message)
    else:
        assert "IMPCSTND" not in regridded.meta and not stand_ins
        camera_curve = {"acs_wfc_f775w": "acs_wfc_f775w", "wfc3_uvis_f606w": "wfc3_uvis_f606w",
                        "wfc3_uvis_f814w": "wfc3_uvis_f814w", "nircam_f090w": "jwst_f090w"}
        assert regridded.meta["IMPCURVE"] == camera_curve[product]


@pytest.mark.parametrize("product", sorted(ARCHIVE_PRODUCTS))
def test_calibration_read_from_the_product_header(product, tmp_path):
    """HstFilterInfo on the file: camera, filter and the header's own numbers."""
    sources = random_sky((20, 20), n_galaxies=2, n_stars=1, edge=6, seed=1)
    _, muse, _ = make_synthetic_pair(shape=(20, 20), sources=sources, oversample=3)
    path = tmp_path / "product.fits"
    make_archive_image(product, sources, muse.wcs, (20, 20), margin=0.5).writeto(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FilterStandInWarning)
        info = HstFilterInfo(str(path))
    expected = {"wfpc2_f814w": ("WFPC2", "F814W"), "acs_wfc_f775w": ("ACS/WFC", "F775W"),
                "wfc3_uvis_f606w": ("WFC3/UVIS", "F606W"),
                "wfc3_uvis_f814w": ("WFC3/UVIS", "F814W"),
                "nircam_f090w": ("NIRCAM", "F090W")}[product]
    assert (info.instrument, info.filter_name, info.source) == expected + ("header",)
    # PHOTFLAM (or, for NIRCam, PIXAR_SR at the pivot) gives the MUSE flux of
    # one unit, as the plain formula does (NIRCam: the curve's pivot against
    # the published one, 0.03% apart).
    assert info.photflam / 1e-20 == pytest.approx(muse_flux_per_unit(product), rel=1e-3)
