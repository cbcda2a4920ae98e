"""apply_cube_corrections: the joint offset moves the 3D WCS, scale optional, a copy."""

import os
import warnings

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from imphot_astropy import UserError
from imphot_astropy.corrections import apply_cube_corrections
from imphot_astropy.datasets import make_exposure_cube, write_exposure_cube
from imphot_astropy.survey import fit_cube_photometry


@pytest.fixture(scope="module")
def fitted_file(tmp_path_factory):
    cube, hst, truth = make_exposure_cube(shape=(60, 60), nplanes=40,
                                          filters=("F775W", "F814W"), dx=0.25, dy=-0.15,
                                          seed=9)
    path = str(tmp_path_factory.mktemp("cubecorr") / "exposure.fits")
    write_exposure_cube(cube, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_cube_photometry(path, hst, fix_beta=2.5, psf_nodes=1)
    return path, fit, truth


def test_corrected_copy_puts_muse_features_on_hst_positions(fitted_file):
    path, fit, truth = fitted_file
    with open(path, "rb") as handle:
        before = handle.read()
    output = apply_cube_corrections(path, fit, corrections="xy,scale")
    assert output == path.replace(".fits", "_aligned.fits")
    with open(path, "rb") as handle:
        assert handle.read() == before                 # the input is untouched
    with fits.open(path) as old, fits.open(output) as new:
        w_old, w_new = WCS(old["DATA"].header), WCS(new["DATA"].header)
        # A MUSE feature at pixel x lies dx/0.2 pixels from the HST one: the
        # corrected WCS gives it the sky position of the uncorrected x - dx/0.2.
        x, y = 30.0, 20.0
        sky_new = w_new.pixel_to_world_values(x, y, 0)
        sky_old = w_old.pixel_to_world_values(x - fit.dx.value / 0.2,
                                              y - fit.dy.value / 0.2, 0)
        assert np.allclose(sky_new, sky_old, atol=1e-9)
        assert abs(fit.dx.value - truth["dx"]) < 0.003
        np.testing.assert_allclose(new["DATA"].data, old["DATA"].data / fit.scale.value,
                                   rtol=1e-6)
        np.testing.assert_allclose(new["STAT"].data,
                                   old["STAT"].data / fit.scale.value**2, rtol=1e-6)
        assert new[0].header["IMPCORR"] == "x,y,scale"
    assert not [f for f in os.listdir(os.path.dirname(path)) if ".tmp" in f]


def test_refuses_zero_and_overwriting(fitted_file):
    path, fit, _ = fitted_file
    with pytest.raises(UserError, match="zero"):
        apply_cube_corrections(path, fit, corrections="xy,zero")
    with pytest.raises(UserError, match="input"):
        apply_cube_corrections(path, fit, output=path)
