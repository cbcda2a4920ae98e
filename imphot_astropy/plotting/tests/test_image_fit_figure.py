"""The image-fit figure: what is in it, rendered headless with Agg."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from astropy.visualization.wcsaxes import WCSAxes

from imphot_astropy.plotting import plot_image_fit, IMAGE_FIT_PANELS
from imphot_astropy.plotting.scales import NOT_COMPARED_COLOR
from imphot_astropy.exceptions import UserError

IMAGE_PANELS = ("muse", "model", "residual")
FFT_PANELS = ("muse_fft", "model_fft", "residual_fft")


def _panels(fig):
    return {ax.get_label(): ax for ax in fig.axes}


def _image_array(ax):
    images = ax.get_images()
    assert len(images) == 1
    return images[0].get_array()


@pytest.fixture(scope="module")
def figure(synthetic_fit):
    fig = plot_image_fit(synthetic_fit)
    FigureCanvasAgg(fig).draw()      # render everything, as a hardcopy would
    return fig


def test_every_panel_is_drawn_with_the_right_kind_of_axes(figure, synthetic_fit):
    panels = _panels(figure)
    assert set(IMAGE_FIT_PANELS) <= set(panels)
    crop = synthetic_fit.products.crop
    expected_wcs = synthetic_fit.products.wcs[crop]
    for name in IMAGE_PANELS:
        ax = panels[name]
        assert isinstance(ax, WCSAxes), name
        # Celestial axes of the cropped MUSE grid: pixel (0, 0) of the panel
        # is pixel crop.start of the MUSE image.
        ra_dec = ax.wcs.pixel_to_world_values(0.0, 0.0)
        full = synthetic_fit.products.wcs.pixel_to_world_values(crop[1].start,
                                                                 crop[0].start)
        np.testing.assert_allclose(ra_dec, full, atol=1e-10)
        assert ax.wcs.wcs.ctype[0].startswith("RA")
        np.testing.assert_allclose(ax.wcs.wcs.crpix, expected_wcs.wcs.crpix)
        assert _image_array(ax).shape == synthetic_fit.products.muse.shape
    for name in FFT_PANELS:
        ax = panels[name]
        assert not isinstance(ax, WCSAxes)
        assert "cycles/arcsec" in ax.get_xlabel()
    assert panels["values"].texts, "the fitted values are missing"


def test_residual_panel_holds_data_minus_model(figure, synthetic_fit):
    products = synthetic_fit.products
    shown = _image_array(_panels(figure)["residual"])
    compared = products.good
    assert compared.any() and not compared.all()
    values = np.ma.filled(shown.astype(float), np.nan)
    np.testing.assert_allclose(values[compared],
                               (products.muse - products.model)[compared], rtol=1e-12)
    assert np.all(np.isnan(values[~compared]))


def test_muse_and_model_panels_share_one_scale_and_the_residual_is_symmetric(
        figure, synthetic_fit):
    panels = _panels(figure)
    products = synthetic_fit.products
    muse_image = panels["muse"].get_images()[0]
    model_image = panels["model"].get_images()[0]
    compared = products.good
    np.testing.assert_allclose(np.ma.filled(muse_image.get_array(), np.nan)[compared],
                               products.muse[compared])
    np.testing.assert_allclose(np.ma.filled(model_image.get_array(), np.nan)[compared],
                               products.model[compared])
    assert muse_image.norm is model_image.norm
    norm = panels["residual"].get_images()[0].norm
    assert norm.vmin == -norm.vmax
    residual = (products.muse - products.model)[compared]
    assert norm.vmax >= np.max(np.abs(residual))     # nothing is clipped


def _rendered_colour(fig, ax, row, col):
    """The RGBA colour drawn at the centre of image pixel (row, col)."""
    x, y = ax.transData.transform((col, row))
    buffer = np.asarray(fig.canvas.buffer_rgba())
    height = buffer.shape[0]
    return buffer[int(round(height - y)), int(round(x))] / 255.0


def test_pixels_not_compared_are_drawn_in_their_own_colour(figure, synthetic_fit):
    products = synthetic_fit.products
    panels = _panels(figure)
    grey = np.array(to_rgba(NOT_COMPARED_COLOR))
    # The masked block (rows 20-29, columns 35-44 of the MUSE image).
    row, col = 25 - products.crop[0].start, 40 - products.crop[1].start
    assert not products.good[row, col]
    for name in IMAGE_PANELS:
        np.testing.assert_allclose(_rendered_colour(figure, panels[name], row, col), grey,
                                   atol=0.02, err_msg=name)
    # A compared pixel where MUSE is well above the model is drawn red.
    residual = np.where(products.good, products.muse - products.model, -np.inf)
    row, col = np.unravel_index(np.argmax(residual), residual.shape)
    red, green, blue, _ = _rendered_colour(figure, panels["residual"], row, col)
    assert red > 0.5 and red > blue + 0.2


def test_fourier_panels_hold_the_amplitudes_of_the_windowed_images(figure, synthetic_fit):
    products = synthetic_fit.products
    panels = _panels(figure)
    weights = np.where(products.good, products.window, 0.0)
    offset = np.median(products.muse[products.good])
    for name, image in (("muse_fft", products.muse), ("model_fft", products.model)):
        expected = np.abs(np.fft.fftshift(np.fft.fft2(
            np.where(weights > 0, image - offset, 0.0) * weights)))
        np.testing.assert_allclose(_image_array(panels[name]), expected, rtol=1e-10,
                                   atol=1e-12 * expected.max())
    # The frequency axes run to the Nyquist frequency of 0.2" pixels.
    left, right, bottom, top = panels["muse_fft"].get_images()[0].get_extent()
    assert left == pytest.approx(-2.5, abs=0.05) and right == pytest.approx(2.5, abs=0.05)
    assert bottom == pytest.approx(-2.5, abs=0.05) and top == pytest.approx(2.5, abs=0.05)


def test_fitted_values_and_uncertainties_are_written_in_the_figure(figure, synthetic_fit):
    text = "\n".join(t.get_text() for t in _panels(figure)["values"].texts)
    shown = {}
    for line in text.splitlines():
        words = line.replace("″", "").split()
        if len(words) == 4 and words[2] == "±":
            shown[words[0]] = (float(words[1]), float(words[3]))
    for label, name in (("scale", "scale"), ("bg", "bg"), ("dx", "dx"), ("dy", "dy"),
                        ("dRA", "dra"), ("dDec", "ddec"), ("FWHM", "fwhm")):
        fitted = getattr(synthetic_fit, name)
        value, stdev = shown[label]
        # Two significant digits of the uncertainty, the value to match.
        assert stdev == pytest.approx(fitted.stdev, rel=0.05), name
        assert abs(value - fitted.value) <= 0.05 * fitted.stdev, name
    assert "beta    2.5 (fixed)" in text
    assert f"{synthetic_fit.rms_error:.4g}" in text


@pytest.mark.parametrize("title, expected", [
    (None, "MUSE image: muse"),
    ("none", "MUSE image: muse"),
    ("NONE", "MUSE image: muse"),
    ("", None),
    ("Exposure 12, night 3", "Exposure 12, night 3"),
])
def test_titles_behave_as_documented(synthetic_fit, title, expected):
    fig = plot_image_fit(synthetic_fit, title=title)
    if expected is None:
        assert fig._suptitle is None
    else:
        assert fig.get_suptitle() == expected


def test_draws_into_a_given_figure_after_clearing_it(synthetic_fit):
    fig = Figure()
    fig.add_subplot(1, 1, 1, label="old")
    returned = plot_image_fit(synthetic_fit, fig=fig)
    assert returned is fig
    labels = [ax.get_label() for ax in fig.axes]
    assert "old" not in labels and "residual" in labels


def test_a_result_without_products_says_why_it_cannot_be_plotted(synthetic_fit):
    import pickle
    unpickled = pickle.loads(pickle.dumps(synthetic_fit))
    with pytest.raises(UserError, match="no images to plot"):
        plot_image_fit(unpickled)

