"""Round trip: fit with apply=True, fit the corrected image again, find nothing.

After the corrections the refit must find |dx|, |dy| < 0.005", a scale
within 0.5% of 1 and a flux offset within 0.005, for both ways of
correcting the pointing and for both fitting methods.

With ``resample=False`` the corrected image keeps its pixels and gets a new
WCS, so the HST image must be put on that new grid before refitting. The
synthetic HST image is rendered again there, with the star placed where the
corrected WCS says its true sky position falls: if the CRPIX correction had
the wrong sign or size, the refit would find the offset again (or twice it).
"""

import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData

from imphot_astropy.datasets import make_synthetic_pair, SyntheticSource
from imphot_astropy.photometry import fit_star_photometry, fit_image_photometry
from imphot_astropy.io import read_image

STAR_X, STAR_Y, FLUX = 20.3, 19.6, 300.0
PAIR = dict(shape=(41, 41), fwhm=0.62, beta=2.6, scale=1.2, bg=0.05, dx=0.13,
            dy=-0.09, noise=0.02, rotation=15.0, seed=11)


def _write_muse(image, path):
    header = image.wcs.to_header()
    header["BUNIT"] = image.unit.to_string("fits")
    fits.HDUList([fits.PrimaryHDU(),
                  fits.ImageHDU(image.data, header=header, name="DATA"),
                  fits.ImageHDU(image.uncertainty.array, header=image.wcs.to_header(),
                                name="STAT")]).writeto(path)
    return str(path)


def _hst_on_grid(wcs, radec):
    """The synthetic HST image of the star, on the pixel grid of ``wcs``."""
    x, y = (float(v) for v in wcs.world_to_pixel_values(*radec))
    hst, _, _ = make_synthetic_pair(sources=[SyntheticSource(x, y, FLUX)], **PAIR)
    return CCDData(hst.data, unit=hst.unit, wcs=wcs, meta=hst.meta)


def _fit(method, hst, muse, star, **kwargs):
    if method == "star":
        return fit_star_photometry(hst, muse, star, **kwargs)
    return fit_image_photometry(hst, muse, **kwargs)


@pytest.mark.parametrize("method", ["star", "image"])
@pytest.mark.parametrize("resample", [False, True])
def test_refit_of_the_corrected_image_finds_no_error(tmp_path, method, resample):
    hst, muse, truth = make_synthetic_pair(sources=[SyntheticSource(STAR_X, STAR_Y, FLUX)],
                                           **PAIR)
    radec = truth["star_radec"][0]
    star = (*radec, 2.0)
    muse_file = _write_muse(muse, tmp_path / "exposure.fits")
    first = _fit(method, hst, muse_file, star, apply=True, resample=resample)
    assert abs(first.dx.value - PAIR["dx"]) < 0.01 and abs(first.dy.value - PAIR["dy"]) < 0.01

    corrected = read_image(str(tmp_path / "exposure_aligned.fits"))
    if resample:
        assert np.allclose(corrected.wcs.wcs.crpix, muse.wcs.wcs.crpix)
        reference = hst
    else:
        assert np.allclose(corrected.data, (muse.data - first.bg.value) / first.scale.value)
        reference = _hst_on_grid(corrected.wcs, radec)
    second = _fit(method, reference, corrected, star)
    assert abs(second.dx.value) < 0.005
    assert abs(second.dy.value) < 0.005
    assert second.scale.value == pytest.approx(1.0, abs=0.005)
    assert abs(second.bg.value) < 0.005
    # The PSF is untouched (resampling by cubic splines smooths a little).
    assert second.fwhm.value == pytest.approx(first.fwhm.value, rel=0.02)
