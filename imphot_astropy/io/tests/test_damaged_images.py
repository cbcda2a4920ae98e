"""Damaged image and cube files are said to be damaged, naming the file.

A file cut just after its primary header used to be reported as having no
DATA extension; an extension header whose first card is garbled ended in
astropy's AttributeError on a bare ``_ValidHDU``; a header without BITPIX
in a raw KeyError (and an open file left behind).
"""

import gc
import warnings

import numpy as np
import pytest
from astropy.io import fits

from imphot_astropy.exceptions import UserError
from imphot_astropy.io import read_image
from imphot_astropy.datasets import make_synthetic_pair

BLOCK = 2880


@pytest.fixture(scope="module")
def image_bytes(tmp_path_factory):
    """A MUSE-style image file: empty primary, DATA, STAT."""
    _, muse, _ = make_synthetic_pair(shape=(40, 40), oversample=3)
    path = tmp_path_factory.mktemp("damaged") / "muse.fits"
    header = muse.wcs.to_header()
    header["BUNIT"] = "1e-20 erg/(s cm2 Angstrom)"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(muse.data, header, name="DATA"),
                  fits.ImageHDU(muse.uncertainty.array, header, name="STAT")]).writeto(path)
    return path.read_bytes()


def _readers():
    from imphot_astropy.preparation import read_muse_reference
    from imphot_astropy.wideband import bandpass_image
    return {"read_image": lambda path: read_image(path, "muse"),
            "read_muse_reference": lambda path: read_muse_reference(path, "muse"),
            "bandpass_image": lambda path: bandpass_image(path, "F814W")}


@pytest.fixture(params=sorted(_readers()))
def reader(request):
    return _readers()[request.param]


def _write(tmp_path, content):
    path = tmp_path / "damaged.fits"
    path.write_bytes(bytes(content))
    return str(path)


def test_cut_after_the_primary_header(image_bytes, tmp_path, reader):
    path = _write(tmp_path, image_bytes[:BLOCK])
    with pytest.raises(UserError, match=f"{path}: the file is truncated: it ends after "
                                        r"its primary header \(2880 bytes\)"):
        reader(path)


def test_garbled_extension_header(image_bytes, tmp_path, reader):
    start = image_bytes.find(b"XTENSION=")
    path = _write(tmp_path, image_bytes[:start] + b"XTENSIOX" + image_bytes[start + 8:])
    with pytest.raises(UserError, match=f"{path}: the header of HDU 1 is corrupted"):
        reader(path)


@pytest.mark.filterwarnings("ignore:non-ASCII characters")
@pytest.mark.filterwarnings("ignore:The following header keyword is invalid")
def test_header_without_bitpix_leaves_no_file_open(image_bytes, tmp_path, reader):
    start = image_bytes.find(b"XTENSION=")
    path = _write(tmp_path, image_bytes[:start + 80] + b"\xff" * 80
                  + image_bytes[start + 160:])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(UserError, match=f"{path}.* a header is corrupted") as error:
            reader(path)
        del error  # its traceback would keep a leaked file object alive
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_the_undamaged_file_reads(image_bytes, tmp_path):
    image = read_image(_write(tmp_path, image_bytes), "muse")
    assert image.shape == (40, 40) and np.isfinite(image.data).all()
