"""The star fit on the real HDFS pair, against the reference tool's figures.

The README of the sample data gives what the MPDAF-based tool reports for
the star at (338.23763393, -60.55636994) with a 2" radius: scale 180.81,
fwhm 0.7417", beta 2.630, bg 0.00932, dx -0.03985", dy 0.13257". Our offsets
agree to 0.1 mas. Two model choices differ on purpose, and the tests below
show that each accounts for its difference:

- the MUSE Moffat is integrated over the 0.2" pixels, so the FWHM is the
  PSF's own: 0.722" instead of 0.742" (and beta 2.50 instead of 2.63);
- the HST Moffat is filtered by the regridding window: a plain Moffat
  cannot follow the filtered star, and its total flux (0.65) is less than
  what a 2" aperture holds (0.78), which made the reference's scale 20%
  too high; ours (150.6) is within 8% of the aperture-photometry ratio and
  close to the image fit's 147.4.

Fitting point-sampled plain Moffats to our pixels, as the reference did,
reproduces the README's figures to 0.2%, so the pixels and fitting are
otherwise the same.
"""

import numpy as np
import pytest
from astropy.modeling.fitting import TRFLSQFitter
from astropy.modeling.models import Const2D

from imphot_astropy.io import read_image
from imphot_astropy.photometry import fit_star_photometry, fit_image_and_star_photometry
from imphot_astropy.fitting.star_models import PixelIntegratedMoffat2D

STAR1 = (338.23763393, -60.55636994, 2.0)
# The old tool failed on this one with "Initial guess is outside of
# provided bounds"; it lies 3 pixels from the edge of the HST coverage.
STAR2 = (338.2448671, -60.55653612, 1.5)
README = dict(scale=180.81, fwhm=0.7417, beta=2.630, bg=0.00932, dx=-0.03985, dy=0.13257)


@pytest.fixture(scope="module")
def files(hdfs):
    return (str(hdfs / "HST-HDFS-on-MUSE-grid.fits"), str(hdfs / "IMAGE-HDFS-1.34.fits"))


@pytest.fixture(scope="module")
def star1(files):
    return fit_star_photometry(*files, STAR1)


def test_offsets_match_the_reference(star1):
    assert abs(star1.dx.value - README["dx"]) < 0.002
    assert abs(star1.dy.value - README["dy"]) < 0.002
    assert abs(star1.bg.value - README["bg"]) < 0.005


def test_psf_is_the_reference_psf_less_the_pixel_response(star1):
    # The pixel box, which the reference left in its Moffat, widens it.
    assert 0.96 * README["fwhm"] < star1.fwhm.value < README["fwhm"]
    assert star1.beta.value == pytest.approx(README["beta"], rel=0.10)


def _aperture_ratio(files, radius=2.0):
    hst, muse = (read_image(f) for f in files)
    x, y = (float(v) for v in muse.wcs.world_to_pixel_values(*STAR1[:2]))
    rows, cols = np.mgrid[0:muse.shape[0], 0:muse.shape[1]]
    r = np.hypot(cols - x, rows - y) * 0.2
    good = ~(muse.mask | hst.mask)
    annulus = good & (r >= 3.0) & (r < 4.0)
    aperture = good & (r < radius)
    muse_flux = np.sum(muse.data[aperture] - np.median(muse.data[annulus]))
    hst_flux = np.sum(hst.data[aperture] - np.median(hst.data[annulus]))
    return muse_flux / hst_flux, hst_flux


def test_scale_agrees_with_aperture_photometry(files, star1):
    ratio, hst_aperture = _aperture_ratio(files)
    assert star1.scale.value == pytest.approx(ratio, rel=0.08)
    # The HST model's total holds at least the aperture's flux; the
    # reference's plain Moffat did not, hence its higher scale.
    assert star1.hst_flux.value > hst_aperture
    assert README["scale"] > 1.2 * ratio


def test_point_sampled_plain_moffats_reproduce_the_reference(files, star1):
    hst, muse = (read_image(f) for f in files)
    pixels = star1.products.selected
    rows, cols = np.nonzero(pixels)
    x, y = star1.products.star_xy
    u, v = (cols - x) * 0.2, (rows - y) * 0.2
    fitted = {}
    for label, image, fwhm, beta in (("muse", muse, 0.7, 2.5), ("hst", hst, 0.5, 10.0)):
        values = image.data[pixels]
        # One quadrature node per pixel is point sampling.
        model = PixelIntegratedMoffat2D(0.2, 0.2, nodes=1, flux=values.sum(), fwhm=fwhm,
                                        beta=beta) + Const2D(0.0)
        fitted[label] = TRFLSQFitter()(model, u, v, values, maxiter=1000)
    m, h = fitted["muse"], fitted["hst"]
    assert m.flux_0.value / h.flux_0.value == pytest.approx(README["scale"], rel=0.002)
    assert m.fwhm_0.value == pytest.approx(README["fwhm"], rel=0.002)
    assert m.beta_0.value == pytest.approx(README["beta"], rel=0.005)
    assert m.x_0_0.value - h.x_0_0.value == pytest.approx(README["dx"], abs=1e-4)
    assert m.y_0_0.value - h.y_0_0.value == pytest.approx(README["dy"], abs=1e-4)


def test_star_fit_succeeds_next_to_the_hst_coverage_edge(files):
    # Where the reference failed ("Initial guess is outside of provided
    # bounds"): the HST pixels beyond the coverage are left out.
    fit = fit_star_photometry(*files, STAR2)
    assert 0.65 < fit.fwhm.value < 0.75 and 2.0 < fit.beta.value < 3.0
    assert 135 < fit.scale.value < 155
    assert abs(fit.dx.value - 0.061) < 0.01 and abs(fit.dy.value + 0.160) < 0.01
    # A third of the 1.5" circle has no HST data; those pixels are left out.
    hst, muse = (read_image(f) for f in files)
    x, y = (float(v) for v in muse.wcs.world_to_pixel_values(*STAR2[:2]))
    rows, cols = np.mgrid[0:muse.shape[0], 0:muse.shape[1]]
    circle = np.hypot(cols - x, rows - y) * 0.2 <= 1.5
    assert np.count_nonzero(circle & hst.mask) > 40
    assert np.array_equal(fit.products.selected, circle & ~hst.mask & ~muse.mask)


@pytest.mark.parametrize("star", [STAR1, STAR2],
                         ids=["star1", "star2"])
def test_combined_fit_succeeds_on_both_stars(files, star):
    image, star_fit = fit_image_and_star_photometry(*files, star)
    pixels = np.zeros(star_fit.products.selected.shape, dtype=bool)
    pixels[image.products.crop] = image.products.good
    assert np.array_equal(pixels, star_fit.products.selected)
    for fit in (image, star_fit):
        for name in ("scale", "fwhm", "beta", "bg", "dx", "dy", "dra", "ddec"):
            assert np.isfinite(getattr(fit, name).value)
        assert 0.6 < fit.fwhm.value < 0.8 and 120 < fit.scale.value < 170
    # On real data the two methods model the HST PSF differently (the image
    # fit assumes 0.085"/1.6, the star fit fits it), so they agree less
    # closely than on synthetic truth.
    assert abs(image.dx.value - star_fit.dx.value) < 0.02
    assert abs(image.dy.value - star_fit.dy.value) < 0.02
    assert star_fit.fwhm.value == pytest.approx(image.fwhm.value, rel=0.1)
    assert star_fit.scale.value == pytest.approx(image.scale.value, rel=0.1)
