"""The star-fit figure, drawn from arrays with a known Moffat star."""

import dataclasses
import os
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from astropy.visualization.wcsaxes import WCSAxes

from imphot_astropy.datasets import muse_wcs
from imphot_astropy.exceptions import UserError
from imphot_astropy.fitting import FittedValue
from imphot_astropy.photometry.products import FitOutputs
from imphot_astropy.plotting import (StarFitPanel, moffat_profile, plot_star_fit,
                                     STAR_FIT_PANELS, format_fitted_value)

PIXEL = 0.2
FIT_RADIUS = 2.0


def test_moffat_profile_has_the_given_flux_and_fwhm():
    fwhm, beta, flux = 0.7, 2.5, 50.0
    peak = moffat_profile(0.0, flux, fwhm, beta, pixel_area=1.0)
    assert moffat_profile(fwhm / 2, flux, fwhm, beta, pixel_area=1.0) == \
        pytest.approx(peak / 2, rel=1e-12)
    # The profile per unit area integrates to the flux over the plane.
    r = np.linspace(0.0, 400.0, 400001)
    integral = np.trapezoid(2 * np.pi * r * moffat_profile(r, flux, fwhm, beta), r)
    assert integral == pytest.approx(flux, rel=1e-4)
    assert moffat_profile(0.0, flux, fwhm, beta, bg=0.3, pixel_area=0.04) == \
        pytest.approx(0.3 + 0.04 * peak)


def _panel(label, fwhm, beta, flux, bg, centre, seed, wcs, extra=0.0, **kwargs):
    n = 25
    y, x = np.mgrid[0:n, 0:n] * PIXEL
    radius = np.hypot(x - centre[0], y - centre[1])
    model = moffat_profile(radius, flux, fwhm, beta, bg, PIXEL**2)
    rng = np.random.default_rng(seed)
    data = model + rng.normal(0.0, 0.01 * model.max(), model.shape)
    data[3, 20] += extra          # a neighbour the Moffat does not model
    data[12, 2] = np.nan          # a bad pixel
    return StarFitPanel(data, model, radius, fwhm, beta, flux, bg, FIT_RADIUS, wcs=wcs,
                        label=label, **kwargs)


@pytest.fixture(scope="module")
def panels():
    wcs = muse_wcs((25, 25))
    muse = _panel("MUSE", 0.7, 2.6, 120.0, 0.01, (2.42, 2.38), 1, wcs, extra=0.5)
    hst = _panel("HST", 0.2, 1.8, 0.65, 0.0, (2.46, 2.35), 2, wcs)
    return muse, hst


def _result(name="IMAGE-SYN", filename=None):
    v = FittedValue
    return SimpleNamespace(
        name=name, filename=filename, scale=v(184.6, 0.9, False), bg=v(0.01, 0.001, False),
        dx=v(-0.04, 0.004, False), dy=v(0.03, 0.004, False), dra=v(0.04, 0.004, False),
        ddec=v(0.03, 0.004, False), fwhm=v(0.7, 0.006, False), beta=v(2.6, 0.05, False),
        muse_fwhm=v(0.7, 0.006, False), muse_beta=v(2.6, 0.05, False),
        hst_fwhm=v(0.2, 0.003, False), hst_beta=v(1.8, 0.04, False), rms_error=0.012)


@pytest.fixture(scope="module")
def figure(panels):
    fig = plot_star_fit(_result(), *panels)
    FigureCanvasAgg(fig).draw()
    return fig


def _axes(fig):
    return {ax.get_label(): ax for ax in fig.axes}


def test_panels_exist(figure):
    axes = _axes(figure)
    assert set(STAR_FIT_PANELS) <= set(axes)
    for name in ("muse_residual", "hst_residual"):
        assert isinstance(axes[name], WCSAxes)
    for name in ("muse_profile", "hst_profile"):
        assert "radius (arcsec)" in axes[name].get_xlabel()


def test_profiles_show_the_used_pixels_and_the_fitted_moffat(figure, panels):
    axes = _axes(figure)
    for panel, name in zip(panels, ("muse_profile", "hst_profile")):
        points, curve = axes[name].get_lines()
        used = np.isfinite(panel.data) & (panel.radius <= FIT_RADIUS)
        np.testing.assert_array_equal(points.get_xdata(), panel.radius[used])
        np.testing.assert_array_equal(points.get_ydata(), panel.data[used])
        r = curve.get_xdata()
        assert r.min() == 0.0 and r.max() >= FIT_RADIUS
        np.testing.assert_allclose(curve.get_ydata(),
                                   moffat_profile(r, panel.flux, panel.fwhm, panel.beta,
                                                  panel.bg, PIXEL**2), rtol=1e-6)
        assert f"FWHM {panel.fwhm:.3f}" in axes[name].get_title()


def test_residual_images_hold_data_minus_model(figure, panels):
    axes = _axes(figure)
    for panel, name in zip(panels, ("muse_residual", "hst_residual")):
        shown = np.ma.filled(axes[name].get_images()[0].get_array().astype(float), np.nan)
        used = np.isfinite(panel.data) & (panel.radius <= FIT_RADIUS)
        np.testing.assert_allclose(shown[used], (panel.data - panel.model)[used])
        assert np.isnan(shown[~used]).all()
        norm = axes[name].get_images()[0].norm
        assert norm.vmin == -norm.vmax >= -np.max(np.abs((panel.data - panel.model)[used]))


def test_the_values_are_written(figure):
    text = _axes(figure)["values"].texts[0].get_text()
    assert "FWHM    0.7000 ± 0.0060″" in text
    assert "HST FWHM 0.2000 ± 0.0030″" in text
    assert "scale   184.60 ± 0.90" in text


@pytest.mark.parametrize("title, expected", [(None, "MUSE image: IMAGE-SYN"),
                                             ("none", "MUSE image: IMAGE-SYN"),
                                             ("", None), ("Star 1", "Star 1")])
def test_titles(panels, title, expected):
    fig = plot_star_fit(_result(), *panels, title=title)
    assert (fig._suptitle is None) if expected is None else fig.get_suptitle() == expected


def test_a_given_profile_and_no_wcs(panels):
    muse, hst = panels
    r = np.linspace(0, 2, 11)
    custom = StarFitPanel(muse.data, muse.model, muse.radius, 0.7, 2.6, 120.0, 0.01,
                          FIT_RADIUS, profile=(r, r * 0 + 1.0), label="MUSE")
    fig = plot_star_fit(_result(), custom, hst)
    axes = _axes(fig)
    np.testing.assert_array_equal(axes["muse_profile"].get_lines()[1].get_ydata(), 1.0)
    assert not isinstance(axes["muse_residual"], WCSAxes)


def test_bad_panels_are_user_errors(panels):
    muse, hst = panels
    with pytest.raises(UserError, match="muse/hst: expected StarFitPanel"):
        plot_star_fit(_result(), muse.data, hst)
    bad = StarFitPanel(muse.data, muse.model[:3], muse.radius, 0.7, 2.6, 1.0, 0.0, 2.0)
    with pytest.raises(UserError, match="muse: data, model and radius"):
        plot_star_fit(_result(), bad, hst)


def test_fit_outputs_write_the_star_fit_hardcopy_beside_the_muse_file(panels, tmp_path):
    muse_file = tmp_path / "IMAGE-SYN.fits"
    muse_file.write_bytes(b"")
    outputs = FitOutputs(hardcopy="png", title="")
    fig = outputs.star_fit(_result(filename=str(muse_file)), *panels)
    path = tmp_path / "IMAGE-SYN_star_fit.png"
    assert outputs.written == [path]
    assert path.read_bytes().startswith(b"\x89PNG")
    assert fig._suptitle is None
    assert sorted(os.listdir(tmp_path)) == ["IMAGE-SYN.fits", "IMAGE-SYN_star_fit.png"]
    # Nothing asked for: nothing drawn.
    assert FitOutputs(save=True).star_fit(_result(), *panels) is None


def _fake_star_result(with_profile):
    """A star-fit result as the star fitter makes it, from known arrays."""
    wcs = muse_wcs((41, 41))
    crop = (slice(10, 31), slice(12, 33))
    star_xy = (22.3, 19.6)                       # full-grid pixels
    muse_dx, muse_dy = 0.06, -0.04               # arcsec from the star
    rows, cols = np.mgrid[crop]
    r = np.hypot((cols - star_xy[0]) * PIXEL - muse_dx, (rows - star_xy[1]) * PIXEL - muse_dy)
    muse = moffat_profile(r, 100.0, 0.7, 2.5, 0.02, PIXEL**2)
    hst = moffat_profile(np.hypot((cols - star_xy[0]) * PIXEL, (rows - star_xy[1]) * PIXEL),
                         1.0, 0.3, 2.0, 0.0, PIXEL**2)
    products = SimpleNamespace(crop=crop, pixels=r <= 2.0, muse=muse, hst=hst,
                               muse_model=muse * 0.99, hst_model=hst * 1.01, star_xy=star_xy,
                               radius=2.0, wcs=wcs, unit=None)
    if with_profile:
        products.profile = lambda prefix, radii: np.full(radii.shape,
                                                         1.0 if prefix == "muse" else 2.0)
    result = _result()
    v = FittedValue
    for prefix, values in (("muse", (100.0, muse_dx, muse_dy, 0.7, 2.5, 0.02)),
                           ("hst", (1.0, 0.0, 0.0, 0.3, 2.0, 0.0))):
        for name, value in zip(("flux", "dx", "dy", "fwhm", "beta", "bg"), values):
            setattr(result, f"{prefix}_{name}", v(value, 0.01, False))
    result.products = products
    return result, r


@pytest.mark.parametrize("with_profile", [False, True])
def test_star_fit_panels_from_the_fitters_products(with_profile):
    from imphot_astropy.plotting import star_fit_panels
    result, expected_radius = _fake_star_result(with_profile)
    muse, hst = star_fit_panels(result)
    np.testing.assert_allclose(muse.radius, expected_radius, atol=1e-9)
    assert muse.label == "MUSE" and hst.label == "HST"
    np.testing.assert_array_equal(muse.model, result.products.muse_model)
    np.testing.assert_array_equal(hst.used, result.products.pixels)
    assert (muse.fwhm, muse.beta, muse.flux, muse.bg) == (0.7, 2.5, 100.0, 0.02)
    fig = plot_star_fit(result, muse, hst)
    line = _axes(fig)["hst_profile"].get_lines()[1]
    curve = line.get_ydata()
    if with_profile:
        np.testing.assert_array_equal(curve, 2.0)
        assert line.get_label() == "fitted model"
    else:
        assert curve[0] == pytest.approx(moffat_profile(0.0, 1.0, 0.3, 2.0, 0.0, PIXEL**2))
        assert line.get_label() == "fitted Moffat"
    # A legend given by the caller is kept.
    named = dataclasses.replace(hst, curve_label="PSF model").checked("hst")
    assert named.curve_label == "PSF model"
    result.products = None
    with pytest.raises(UserError, match="no images to plot"):
        star_fit_panels(result)


def test_fit_star_photometry_draws_and_writes_its_figure(star_pair):
    from matplotlib.figure import Figure
    from imphot_astropy import fit_star_photometry
    directory, star = star_pair
    fig = Figure()
    fit = fit_star_photometry(directory / "HST-STAR.fits", directory / "IMAGE-STAR.fits",
                              star, hardcopy="png", fig=fig, title="")
    path = directory / "IMAGE-STAR_star_fit.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    assert fig._suptitle is None
    axes = _axes(fig)
    products = fit.products
    for prefix in ("muse", "hst"):
        residual = axes[f"{prefix}_residual"].get_images()[0].get_array()
        shown = np.ma.filled(residual.astype(float), np.nan)
        expected = (getattr(products, prefix) - getattr(products, prefix + "_model"))
        np.testing.assert_allclose(shown[products.pixels], expected[products.pixels])
        assert np.isnan(shown[~products.pixels]).all()
        # The curve is the fitter's own model (pixel-integrated for MUSE,
        # band-limited for HST), along a ray from its centre.
        points, curve = axes[f"{prefix}_profile"].get_lines()
        np.testing.assert_allclose(curve.get_ydata(),
                                   products.profile(prefix, curve.get_xdata()))
        assert curve.get_label() == "fitted model"
        assert points.get_xdata().size == products.pixels.sum()
    text = axes["values"].texts[0].get_text()
    for prefix, label in (("muse", "MUSE"), ("hst", "HST")):
        fwhm = getattr(fit, prefix + "_fwhm")
        assert f"{label} FWHM {format_fitted_value(fwhm, '″')}" in text
    assert f"scale   {format_fitted_value(fit.scale)}" in text


def test_fit_star_photometry_options_are_checked_first(star_pair, monkeypatch):
    from imphot_astropy import fit_star_photometry
    directory, star = star_pair
    with pytest.raises(UserError, match="hardcopy: matplotlib cannot write"):
        fit_star_photometry(directory / "HST-STAR.fits", directory / "IMAGE-STAR.fits",
                            star, hardcopy="bogus")
    from astropy.utils.exceptions import AstropyUserWarning
    with pytest.warns(AstropyUserWarning, match="display=True: the figure cannot be shown"):
        fit_star_photometry(directory / "HST-STAR.fits", directory / "IMAGE-STAR.fits",
                            star, display=True)
