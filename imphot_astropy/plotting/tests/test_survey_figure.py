"""The figure of a cube fitted in several bands draws the result's numbers."""

import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from imphot_astropy.datasets import make_exposure_cube  # noqa: E402
from imphot_astropy.survey import fit_cube_photometry  # noqa: E402
from imphot_astropy.plotting import plot_cube_fit  # noqa: E402


def _decimals(stdev):
    """Two significant digits of the uncertainty."""
    return max(0, 1 - int(np.floor(np.log10(stdev))))


def test_points_and_curve_are_the_fitted_values(tmp_path):
    cube, hst, _ = make_exposure_cube(shape=(50, 50), nplanes=60,
                                      filters=("F606W", "F775W", "F850LP"), seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_cube_photometry(cube, hst, psf_nodes=2)
    fig = plot_cube_fit(fit, title="")
    ax_fwhm, _, ax_offsets = fig.axes
    points = {c.get_label(): c.lines[0].get_xydata() for c in ax_fwhm.containers}
    for band in ("F606W", "F775W", "F850LP"):
        assert np.allclose(points[band][0], [fit.effective_wavelengths[band],
                                             fit.bands[band].fwhm.value])
    curve = next(line for line in ax_fwhm.lines if line.get_label().startswith("joint"))
    lam, values = curve.get_xdata(), curve.get_ydata()
    assert np.allclose(values, fit.fsf.fwhm(lam))
    # The offsets on the sky in mas from the joint offset, which the panel states.
    points = {c.get_label(): c.lines[0].get_xydata()[0] for c in ax_offsets.containers}
    assert np.allclose(points["joint"], [0.0, 0.0])
    for band in ("F606W", "F775W", "F850LP"):
        single = fit.bands[band]
        assert np.allclose(points[band], [(single.dra_sky.value - fit.dra_sky.value) * 1000.0,
                                          (single.ddec_sky.value - fit.ddec_sky.value) * 1000.0])
    text = "\n".join(t.get_text() for t in ax_offsets.texts)
    ra = fit.dra_sky
    assert f"joint ΔRA cos δ\n{ra.value * 1000:.{_decimals(ra.stdev * 1000)}f} ± " in text
    assert "(mas)" in ax_offsets.get_xlabel() and "(mas)" in ax_offsets.get_ylabel()
    fig.savefig(tmp_path / "cube_fit.png")
