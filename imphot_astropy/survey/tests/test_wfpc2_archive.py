"""Issue 22's first test: a WFPC2 F814W drizzled product and a MUSE exposure, as files.

The HST file has exactly the structure of the archive's: extensions SCI,
WHT and CTX; BUNIT = 'COUNTS/S' (DN/s) and PHOTMODE, PHOTFLAM, PHOTPLAM,
PHOTBW, PHOTZPT in SCI; FILTNAM1 = 'F814W' and an integer FILTER1 in the
primary header; a rotated drizzle WCS at 0.0996" (`datasets.archives`). Its
pixel values are the synthetic sky of the exposure cube divided by the
header's PHOTFLAM, so the true MUSE/HST flux scale is 1. Both files go,
unchanged, through `fit_cube_photometry` and through `bandpass_image` +
`regrid_hst_like_muse` + `rescale_hst_like_muse` + `fit_image_photometry`.

No WFPC2 curve is installed: ACS/WFC F814W stands in (warned, and recorded
in the band image's header, the survey result and its table meta); the
cube's spectra are flat, so the stand-in does not bias the scale.

One band constrains one FWHM and one beta: the default polynomial degrees
are capped at 0, with a note (survey/tests/test_few_bands.py).
"""

import hashlib
import warnings

import pytest

from imphot_astropy.bandpasses import FilterStandInWarning
from imphot_astropy.datasets import (make_exposure_cube, write_exposure_cube, random_sky,
                                     muse_wcs, make_archive_image, ARCHIVE_PRODUCTS)
from imphot_astropy.photometry import fit_image_photometry
from imphot_astropy.preparation import regrid_hst_like_muse, rescale_hst_like_muse
from imphot_astropy.survey import fit_cube_photometry
from imphot_astropy.wideband import bandpass_image

SHAPE = (70, 70)
DX, DY = 0.07, -0.03


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("wfpc2")
    sky = random_sky(SHAPE, n_galaxies=25, n_stars=3, seed=11)
    cube, _, truth = make_exposure_cube(shape=SHAPE, nplanes=60, filters=("F814W",),
                                        scales={"F814W": 1.0}, sources=sky, dx=DX, dy=DY,
                                        seed=11)
    cube_path = directory / "exposure.fits"
    write_exposure_cube(cube, cube_path)
    hst_path = directory / "hst_wfpc2_f814w_drz.fits"
    make_archive_image("wfpc2_f814w", sky, muse_wcs(SHAPE), SHAPE).writeto(hst_path)
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (cube_path, hst_path)}
    yield cube_path, hst_path, truth
    for path, digest in digests.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path


def test_the_file_is_the_archive_product(files):
    from astropy.io import fits

    _, hst_path, _ = files
    with fits.open(hst_path) as hdulist:
        assert [h.name for h in hdulist] == ["PRIMARY", "SCI", "WHT", "CTX"]
        primary, sci = hdulist[0].header, hdulist["SCI"].header
        assert primary["FILTNAM1"] == "F814W" and isinstance(primary["FILTER1"], int)
        assert "PHOTFLAM" not in primary and "FILTER" not in primary
        assert sci["BUNIT"] == "COUNTS/S"
        assert sci["PHOTMODE"] == "WFPC2,1,A2D7,F814W,,CAL"
        assert {"PHOTFLAM", "PHOTPLAM", "PHOTBW", "PHOTZPT"} <= set(sci)


def test_fit_cube_photometry(files):
    cube_path, hst_path, truth = files
    fwhm, beta = ARCHIVE_PRODUCTS["wfpc2_f814w"]["psf"]
    with pytest.warns(FilterStandInWarning, match="WFPC2 F814W.*ACS/WFC F814W"):
        fit = fit_cube_photometry(str(cube_path), {"F814W": str(hst_path)},
                                  fix_beta=2.5, hst_fwhm=fwhm, hst_beta=beta)
    assert fit.degrees == {"fwhm": 0, "beta": 0} and fit.notes
    assert fit.dx.value == pytest.approx(DX, abs=0.01)
    assert fit.dy.value == pytest.approx(DY, abs=0.01)
    assert fit.joint["F814W"].scale.value == pytest.approx(1.0, rel=0.01)
    assert fit.bands["F814W"].scale.value == pytest.approx(1.0, rel=0.01)
    # The pivot is the image's own (PHOTPLAM), not the stand-in curve's.
    assert fit.pivots["F814W"] == ARCHIVE_PRODUCTS["wfpc2_f814w"]["sci"]["PHOTPLAM"]
    assert fit.filter_curves == {"F814W": "acs_wfc_f814w"}
    table = fit.to_table()
    assert table.meta["filter_stand_ins"] == {
        "F814W": "acs_wfc_f814w stands in for WFPC2 F814W"}


def test_band_image_regrid_rescale_and_image_fit(files):
    cube_path, hst_path, truth = files
    with pytest.warns(FilterStandInWarning, match="WFPC2 F814W"):
        image = bandpass_image(str(cube_path), str(hst_path))
    assert image.meta["FILTER"] == "acs_wfc_f814w"
    assert image.meta["BPSTAND"] == "WFPC2 F814W"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FilterStandInWarning)
        regridded = regrid_hst_like_muse(str(hst_path), image)
        rescale_hst_like_muse(regridded, image, inplace=True)
    assert regridded.meta["IMPCALIB"] == "header"
    assert regridded.meta["IMPCSTND"] == "WFPC2 F814W"
    fwhm, beta = ARCHIVE_PRODUCTS["wfpc2_f814w"]["psf"]
    fit = fit_image_photometry(regridded, image, hst_fwhm=fwhm, hst_beta=beta,
                               fix_beta=2.5)
    assert fit.dx.value == pytest.approx(DX, abs=0.01)
    assert fit.dy.value == pytest.approx(DY, abs=0.01)
    assert fit.scale.value == pytest.approx(1.0, rel=0.01)
