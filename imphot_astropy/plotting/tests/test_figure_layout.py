"""Every figure of the package is readable at its default size.

Each figure is drawn from a fit of synthetic data (and the image fit of
the real HDFS pair, where its files are found) at its default size, and
checked with `figure_layout_problems`: no text leaves the figure or its
clip box, no text runs into other text, no text lies over another axes.
It is checked as a hardcopy (150 dpi, what `save_figure` writes) and as
shown on a screen (the figure's 100 dpi): hinted text is up to 8% wider,
relative to the figure, at one than at the other.
"""

import os
import warnings

import pytest
import matplotlib.image

from imphot_astropy import (fit_image_photometry, fit_star_photometry,
                            fit_image_and_star_photometry)
from imphot_astropy.plotting import (plot_image_fit, plot_star_fit, star_fit_panels,
                                     plot_cube_fit, plot_pixtable_star,
                                     figure_layout_problems, IMAGE_FIT_FIGSIZE,
                                     STAR_FIT_FIGSIZE, CUBE_FIT_FIGSIZE,
                                     PIXTABLE_STAR_FIGSIZE)
# The synthetic star of the pixel-table fit's truth tests.
from imphot_astropy.fitting.tests.test_pixtable_star import (  # noqa: F401 (a fixture)
    star_table, STAR, SLICES)

HARDCOPY_DPI = 150          # imphot_astropy.plotting.save_figure's default
SCREEN_DPI = 100


def _assert_readable(fig, default_size):
    assert tuple(fig.get_size_inches()) == pytest.approx(default_size)
    for dpi in (HARDCOPY_DPI, SCREEN_DPI):
        assert figure_layout_problems(fig, dpi=dpi) == [], f"at {dpi} dpi"


def test_image_fit_figure(synthetic_fit):
    # With a masked block, so that the quality flags are listed.
    _assert_readable(plot_image_fit(synthetic_fit), IMAGE_FIT_FIGSIZE)


def test_star_fit_figure_as_written_by_the_fit(star_pair):
    directory, star = star_pair
    fit = fit_star_photometry(directory / "HST-STAR.fits", directory / "IMAGE-STAR.fits",
                              star, hardcopy="png")
    picture = matplotlib.image.imread(directory / "IMAGE-STAR_star_fit.png")
    assert picture.shape[:2] == (round(STAR_FIT_FIGSIZE[1] * HARDCOPY_DPI),
                                 round(STAR_FIT_FIGSIZE[0] * HARDCOPY_DPI))
    _assert_readable(plot_star_fit(fit, *star_fit_panels(fit)), STAR_FIT_FIGSIZE)


def test_combined_image_and_star_fit_figures(star_pair):
    directory, star = star_pair
    image_fit, star_fit = fit_image_and_star_photometry(
        directory / "HST-STAR.fits", directory / "IMAGE-STAR.fits", star)
    _assert_readable(plot_image_fit(image_fit), IMAGE_FIT_FIGSIZE)
    _assert_readable(plot_star_fit(star_fit, *star_fit_panels(star_fit)),
                     STAR_FIT_FIGSIZE)


def test_cube_fit_figure():
    from imphot_astropy.datasets import make_exposure_cube
    from imphot_astropy.survey import fit_cube_photometry
    cube, hst, _ = make_exposure_cube(shape=(50, 50), nplanes=60,
                                      filters=("F606W", "F775W", "F850LP"), seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_cube_photometry(cube, hst, psf_nodes=2)
    fig = plot_cube_fit(fit)
    _assert_readable(fig, CUBE_FIT_FIGSIZE)
    # The per-band offsets are in mas from the joint one: their tick
    # labels need no more than two decimals (in arcsec they needed five).
    offsets = fig.axes[2]
    for label in offsets.get_xticklabels() + offsets.get_yticklabels():
        digits = label.get_text().replace("−", "-").partition(".")[2]
        assert len(digits) <= 2, label.get_text()


def test_pixtable_star_figure(star_table):  # noqa: F811 (the imported fixture)
    from imphot_astropy.fitting import fit_pixtable_star
    from imphot_astropy.pixtable import PixTable
    fit, samples = fit_pixtable_star(PixTable(star_table), (*STAR, 2.5),
                                     lbda=SLICES, fwhm_model="linear",
                                     return_samples=True)
    _assert_readable(plot_pixtable_star(fit, samples), PIXTABLE_STAR_FIGSIZE)


def test_hdfs_image_fit_figure(hdfs, tmp_path):
    # Its text panel was cut at the right edge ("goodness 0.0388 (1: noise").
    for name in ("HST-HDFS-on-MUSE-grid.fits", "IMAGE-HDFS-1.34.fits"):
        os.symlink(hdfs / name, tmp_path / name)
    fit = fit_image_photometry(tmp_path / "HST-HDFS-on-MUSE-grid.fits",
                               tmp_path / "IMAGE-HDFS-1.34.fits", fix_beta=2.5,
                               hardcopy="png")
    assert (tmp_path / "IMAGE-HDFS-1.34_image_fit.png").exists()
    fig = plot_image_fit(fit)
    text = "\n".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "goodness     0.0388 (1: noise)" in text and "flags        masked," in text
    _assert_readable(fig, IMAGE_FIT_FIGSIZE)


def test_a_broken_figure_fails_this_check(synthetic_fit):
    """The check can fail: the image fit's text panel, made wider than the
    figure, is reported."""
    fig = plot_image_fit(synthetic_fit)
    (panel,) = [ax for ax in fig.axes if ax.get_label() == "values"]
    panel.texts[0].set_text(panel.texts[0].get_text() + "\n" + "x" * 400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # the layout engine gives up
        problems = figure_layout_problems(fig, dpi=HARDCOPY_DPI)
    assert any(p.startswith("'xxxxxxx") and "beyond the right edge" in p
               for p in problems)
