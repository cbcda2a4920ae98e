"""bandpass_images: several filters from one pass, as separate bandpass_image calls."""

import numpy as np
import pytest

from imphot_astropy import UserError
from imphot_astropy.datasets import make_exposure_cube, write_exposure_cube
from imphot_astropy.wideband import bandpass_image, bandpass_images
from imphot_astropy.wideband import cubes as cubes_module

FILTERS = ("F606W", "F775W", "F814W", "F850LP")


@pytest.fixture(scope="module")
def exposure_file(tmp_path_factory):
    cube, hst, truth = make_exposure_cube(shape=(40, 36), nplanes=240, seed=4)
    # Some masked voxels, so that per-pixel weights differ.
    cube.data[5:9, 3:6, 4:7] = np.nan
    path = tmp_path_factory.mktemp("multiband") / "exposure.fits"
    write_exposure_cube(cube, path)
    return str(path), truth


@pytest.mark.filterwarnings("ignore::astropy.utils.exceptions.AstropyUserWarning")
@pytest.mark.parametrize("nprocess", [1, 2])
def test_same_as_separate_calls(exposure_file, nprocess):
    path, _ = exposure_file
    images, spectra = bandpass_images(path, FILTERS, nprocess=nprocess, spectra=True)
    assert list(images) == list(FILTERS)
    for name in FILTERS:
        single = bandpass_image(path, name, nprocess=1)
        # Both sum float32 products (over different blocks of planes): they
        # agree to 1e-6 of the image's scale, also where a pixel's mean is
        # a small difference of large terms (sky-subtracted noise).
        scale = np.nanmax(np.abs(single.data))
        np.testing.assert_allclose(images[name].data, single.data, rtol=1e-6,
                                   atol=1e-6 * scale)
        np.testing.assert_allclose(images[name].uncertainty.array,
                                   single.uncertainty.array, rtol=1e-6)
        assert np.array_equal(images[name].mask, single.mask)
        for key in ("FILTER", "BPLOST", "BPWMIN", "BPWMAX"):
            assert images[name].meta[key] == single.meta[key]
        lo, hi = single.meta["BPWMIN"], single.meta["BPWMAX"]
        assert lo <= spectra[name].wavelengths.min() <= spectra[name].wavelengths.max() <= hi


@pytest.mark.filterwarnings("ignore::astropy.utils.exceptions.AstropyUserWarning")
def test_each_plane_read_once(exposure_file, monkeypatch):
    path, _ = exposure_file
    reads = []
    original = cubes_module._FitsCube.planes

    def counting(self, start, stop):
        reads.extend(range(start, stop))
        return original(self, start, stop)

    monkeypatch.setattr(cubes_module._FitsCube, "planes", counting)
    bandpass_images(path, FILTERS, nprocess=1)
    assert len(reads) == len(set(reads)) > 0


@pytest.mark.filterwarnings("ignore::astropy.utils.exceptions.AstropyUserWarning")
def test_effective_wavelength_of_a_cut_filter(exposure_file):
    """MUSE stops at 9350 A: F850LP's cube image sits far below its 9033 A pivot."""
    path, _ = exposure_file
    _, spectra = bandpass_images(path, ["F850LP", "F606W"], spectra=True)
    assert 8600 < spectra["F850LP"].effective_wavelength() < 8950
    assert abs(spectra["F606W"].effective_wavelength() - 5950) < 150


def test_refuses_duplicate_names(exposure_file):
    with pytest.raises(UserError, match="twice"):
        bandpass_images(exposure_file[0], ["F606W", "F606W"])
