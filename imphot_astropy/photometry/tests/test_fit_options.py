"""display, nowait, hardcopy, title and fig on fit_image_photometry."""

import os
import sys
import warnings

import numpy as np
import pytest
import matplotlib.image
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from astropy.utils.exceptions import AstropyUserWarning

from imphot_astropy import fit_image_photometry
from imphot_astropy.exceptions import UserError
from imphot_astropy.photometry import products as products_module
from imphot_astropy.plotting import IMAGE_FIT_FIGSIZE


def _no_temporary_files_left(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")] == []


def test_hardcopy_png_is_written_beside_the_muse_file(synthetic_files):
    hst_path, muse_path = synthetic_files
    fit_image_photometry(str(hst_path), str(muse_path), fix_beta=2.5, hardcopy="png")
    plot = muse_path.parent / "IMAGE-SYN_image_fit.png"
    assert plot.exists()
    picture = matplotlib.image.imread(plot)
    # The whole figure, at 150 dpi.
    assert picture.shape[:2] == (int(IMAGE_FIT_FIGSIZE[1] * 150),
                                 int(IMAGE_FIT_FIGSIZE[0] * 150))
    assert picture[..., :3].std() > 0.1         # not a blank page
    assert _no_temporary_files_left(muse_path.parent)


@pytest.mark.parametrize("hardcopy, magic", [("pdf", b"%PDF"), (".EPS", b"%!PS"),
                                             ("jpg", b"\xff\xd8\xff")])
def test_hardcopy_formats(synthetic_files, hardcopy, magic):
    hst_path, muse_path = synthetic_files
    fit_image_photometry(hst_path, muse_path, fix_beta=2.5, hardcopy=hardcopy)
    suffix = hardcopy.lower().lstrip(".")
    plot = muse_path.parent / f"IMAGE-SYN_image_fit.{suffix}"
    assert plot.read_bytes().startswith(magic)


def test_hardcopy_of_images_from_no_file_goes_to_the_current_directory(
        synthetic_pair, tmp_path, monkeypatch):
    hst, muse, _ = synthetic_pair
    monkeypatch.chdir(tmp_path)
    fit_image_photometry(hst, muse, fix_beta=2.5, hardcopy="png", title="")
    assert os.listdir(tmp_path) == ["muse_image_fit.png"]


@pytest.mark.parametrize("hardcopy", [None, "", "none", "None"])
def test_no_hardcopy(synthetic_files, hardcopy):
    hst_path, muse_path = synthetic_files
    fit_image_photometry(hst_path, muse_path, fix_beta=2.5, hardcopy=hardcopy)
    assert sorted(os.listdir(muse_path.parent)) == sorted([hst_path.name, muse_path.name])


def test_bad_options_are_refused_before_fitting(synthetic_pair, monkeypatch):
    hst, muse, _ = synthetic_pair

    def no_fit(*args, **kwargs):
        raise AssertionError("the fit started before the options were checked")

    monkeypatch.setattr("imphot_astropy.fitting.image_fit.read_image", no_fit)
    for kwargs, message in ((dict(hardcopy="bogus"), "hardcopy: matplotlib cannot write"),
                            (dict(hardcopy=3), "hardcopy: expected"),
                            (dict(display="yes"), "display: expected True or False"),
                            (dict(nowait=1), "nowait: expected True or False"),
                            (dict(save="no"), "save: expected True or False"),
                            (dict(title=5), "title: expected a string"),
                            (dict(fig="figure"), "fig: expected a matplotlib Figure")):
        with pytest.raises(UserError, match=message):
            fit_image_photometry(hst, muse, **kwargs)


def test_display_without_a_screen_warns_and_still_writes_the_hardcopy(synthetic_files):
    # The test suite runs with the Agg backend: there is no screen.
    hst_path, muse_path = synthetic_files
    with pytest.warns(AstropyUserWarning, match="display=True: the figure cannot be shown"):
        fit = fit_image_photometry(hst_path, muse_path, fix_beta=2.5, display=True,
                                   hardcopy="png")
    assert fit.fwhm.value > 0
    assert (muse_path.parent / "IMAGE-SYN_image_fit.png").exists()
    assert plt.get_fignums() == []      # no window was opened for nothing


def test_display_reasons_name_the_backend_or_the_missing_screen(monkeypatch):
    from imphot_astropy.plotting import display_unavailable_reason
    assert "'agg' only writes files" in display_unavailable_reason()
    monkeypatch.setattr("matplotlib.get_backend", lambda **kw: "TkAgg")
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert "neither DISPLAY nor WAYLAND_DISPLAY" in display_unavailable_reason()
    monkeypatch.setenv("DISPLAY", ":0")
    assert display_unavailable_reason() is None
    monkeypatch.setattr("matplotlib.get_backend",
                        lambda **kw: "module://matplotlib_inline.backend_inline")
    monkeypatch.delenv("DISPLAY")
    assert display_unavailable_reason() is None


@pytest.fixture
def pretend_screen(monkeypatch):
    """A screen, as far as the fitter can tell; records how figures are shown."""
    calls = []
    monkeypatch.setattr(products_module, "display_unavailable_reason", lambda: None)
    monkeypatch.setattr(plt, "show", lambda block=None: calls.append(("show", block)))
    monkeypatch.setattr(plt, "pause", lambda seconds: calls.append(("pause", seconds)))
    return calls


def test_display_waits_for_the_user_unless_nowait(synthetic_pair, pretend_screen):
    hst, muse, _ = synthetic_pair
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_image_photometry(hst, muse, fix_beta=2.5, display=True)
    assert pretend_screen == [("show", True)]
    shown = plt.figure(plt.get_fignums()[-1])
    assert "residual" in [ax.get_label() for ax in shown.axes]
    assert tuple(shown.get_size_inches()) == IMAGE_FIT_FIGSIZE
    pretend_screen.clear()
    fit_image_photometry(hst, muse, fix_beta=2.5, display=True, nowait=True)
    assert pretend_screen[0] == ("show", False) and pretend_screen[1][0] == "pause"


def test_display_into_a_given_pyplot_figure(synthetic_pair, pretend_screen):
    hst, muse, _ = synthetic_pair
    fig = plt.figure()
    fit_image_photometry(hst, muse, fix_beta=2.5, display=True, fig=fig, title="mine")
    assert fig.get_suptitle() == "mine"
    assert plt.get_fignums() == [fig.number]     # no other figure was made
    with pytest.raises(UserError, match="fig: display=True needs a figure made by"):
        fit_image_photometry(hst, muse, fix_beta=2.5, display=True, fig=Figure())


def test_fig_alone_is_drawn_into(synthetic_pair):
    hst, muse, _ = synthetic_pair
    fig = Figure()
    fit_image_photometry(hst, muse, fix_beta=2.5, fig=fig)
    assert fig.get_suptitle() == "MUSE image: muse"
    assert {"muse", "model", "residual"} <= {ax.get_label() for ax in fig.axes}


def test_without_matplotlib_a_figure_is_a_user_error_and_save_still_works(
        synthetic_files, monkeypatch):
    hst_path, muse_path = synthetic_files
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for kwargs in (dict(hardcopy="png"), dict(display=True), dict(fig=object())):
        with pytest.raises(UserError, match="needs matplotlib.*pip install"):
            fit_image_photometry(hst_path, muse_path, fix_beta=2.5, **kwargs)
    fit_image_photometry(hst_path, muse_path, fix_beta=2.5, save=True)
    assert (muse_path.parent / "IMAGE-SYN_image_fit_residual.fits").exists()


def test_hardcopy_never_replaces_an_input_file(synthetic_files):
    hst_path, muse_path = synthetic_files
    # An HST file that happens to have the name of the hardcopy.
    clash = muse_path.parent / "IMAGE-SYN_image_fit.png"
    os.link(hst_path, clash)
    before = clash.read_bytes()
    with pytest.raises(UserError, match="is an input file"):
        fit_image_photometry(clash, muse_path, hardcopy="png")
    assert clash.read_bytes() == before


def test_unwritable_directory_is_a_user_error(synthetic_files, monkeypatch):
    hst_path, muse_path = synthetic_files
    # (Simulated: the tests may run as root, who may write anywhere.)
    real_access = os.access
    monkeypatch.setattr(products_module.os, "access",
                        lambda path, mode: (False if os.path.samefile(path, muse_path.parent)
                                            else real_access(path, mode)))
    for kwargs in (dict(hardcopy="png"), dict(save=True), dict(hardcopy="png", save=True)):
        with pytest.raises(UserError, match="hardcopy/save: cannot write .* not writable"):
            fit_image_photometry(hst_path, muse_path, **kwargs)
    assert sorted(os.listdir(muse_path.parent)) == sorted([hst_path.name, muse_path.name])


def test_results_are_unchanged_by_the_figure_options(synthetic_files):
    hst_path, muse_path = synthetic_files
    plain = fit_image_photometry(hst_path, muse_path, fix_beta=2.5)
    drawn = fit_image_photometry(hst_path, muse_path, fix_beta=2.5, hardcopy="png",
                                 save=True, title="x")
    assert plain.to_row() == drawn.to_row()
    np.testing.assert_array_equal(plain.products.model, drawn.products.model)


def test_combined_fit_writes_both_figures_and_the_products(synthetic_pair, tmp_path,
                                                           monkeypatch):
    from imphot_astropy import fit_image_and_star_photometry

    hst, muse, truth = synthetic_pair
    monkeypatch.chdir(tmp_path)
    ra, dec = truth["star_radec"][0]
    image_fit, star_fit = fit_image_and_star_photometry(
        hst, muse, (ra, dec, 2.0), fix_beta=2.5, hardcopy="png", save=True, title="")
    written = sorted(os.listdir(tmp_path))
    assert "muse_image_fit.png" in written and "muse_star_fit.png" in written
    assert "muse_image_fit_model.fits" in written
    for name in ("muse_image_fit.png", "muse_star_fit.png"):
        assert matplotlib.image.imread(tmp_path / name)[..., :3].std() > 0.05
    assert _no_temporary_files_left(tmp_path)
