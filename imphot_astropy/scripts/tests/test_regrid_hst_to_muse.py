"""The regrid_hst_to_muse command."""

import os

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

from imphot_astropy.io import read_image
from imphot_astropy.preparation import HstFilterInfo
from imphot_astropy.scripts.regrid_hst_to_muse import main

from imphot_astropy.preparation.tests._raw_hst import hst_wcs

RA, DEC = 338.23, -60.56


def write_muse(path, shape=(40, 40)):
    header = hst_wcs(shape, 0.2, RA, DEC).to_header()
    header["BUNIT"] = "10**(-20)*erg/s/cm**2/Angstrom"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros(shape, np.float32), header,
                                                   name="DATA")]).writeto(path)
    return str(path)


def write_hst(path, filter_name="F775W", value=2.0, shape=(400, 400), ra=RA):
    header = hst_wcs(shape, 0.03, ra, DEC).to_header()
    header["BUNIT"] = "ELECTRONS/S"
    if filter_name:
        # As the archives write it: the filter and its calibration.
        header["FILTER"] = filter_name
        header["PHOTFLAM"] = HstFilterInfo(filter_name).photflam
        header["PHOTPLAM"] = HstFilterInfo(filter_name).photplam
    fits.PrimaryHDU(np.full(shape, value, np.float32), header).writeto(path)
    return str(path)


def test_writes_one_rescaled_image_per_hst_file(tmp_path, capsys):
    muse = write_muse(tmp_path / "IMAGE-X.fits")
    hst1 = write_hst(tmp_path / "f775w.fits", "F775W")
    hst2 = write_hst(tmp_path / "f606w.fits", "F606W", value=1.0)
    out = tmp_path / "out"
    out.mkdir()
    assert main([muse, hst1, hst2, "--output-dir", str(out)]) == 0
    assert sorted(os.listdir(out)) == ["hst_F606W_for_IMAGE-X.fits",
                                       "hst_F775W_for_IMAGE-X.fits"]
    image = read_image(str(out / "hst_F775W_for_IMAGE-X.fits"))
    assert image.shape == (40, 40)
    assert (1 * image.unit).to_value(u.Unit("1e-20 erg/(s cm2 Angstrom)")) == pytest.approx(1)
    # 2 electrons/s per 0.03" pixel, x (0.2/0.03)**2 pixels, x 9.74 units each.
    np.testing.assert_allclose(image.data[~image.mask], 2.0 * (0.2 / 0.03) ** 2 * 9.74,
                               rtol=1e-4)
    assert image.header["IMPFILT"] == "BLACKMAN" and image.header["FILTER"] == "F775W"
    printed = capsys.readouterr().out
    assert "Writing the output file" in printed and "PHOTFLAM = 9.74e-20" in printed


def test_field_and_filter_options(tmp_path):
    muse = write_muse(tmp_path / "m.fits")
    hst = write_hst(tmp_path / "nofilter.fits", filter_name=None)
    assert main([muse, hst, "--output-dir", str(tmp_path)]) == 1
    assert main([muse, hst, "--field", "UDF01", "--filter", "F814W",
                 "--output-dir", str(tmp_path), "--quiet"]) == 0
    image = read_image(str(tmp_path / "hst_F814W_for_UDF01.fits"))
    np.testing.assert_allclose(image.data[~image.mask], 2.0 * (0.2 / 0.03) ** 2 * 7.05,
                               rtol=1e-4)


def test_errors_are_one_line_and_other_files_still_processed(tmp_path, capsys):
    muse = write_muse(tmp_path / "m.fits")
    # Another filter than the good file's: two outputs of one name are
    # refused before any work (test_output_faults.py).
    far = write_hst(tmp_path / "far.fits", filter_name="F606W", ra=RA + 0.2)
    good = write_hst(tmp_path / "good.fits")
    assert main([muse, far, good, "--output-dir", str(tmp_path), "--quiet"]) == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert error == [f"regrid_hst_to_muse: {far}: the HST image does not overlap the "
                     "MUSE field (m)"]
    assert os.path.exists(tmp_path / "hst_F775W_for_m.fits")
    assert main([str(tmp_path / "missing.fits"), good]) == 1
    assert main([muse, good, "--output-dir", str(tmp_path / "nowhere")]) == 1


def test_never_overwrites_an_input(tmp_path):
    muse = write_muse(tmp_path / "m.fits")
    hst = write_hst(tmp_path / "hst_F775W_for_m.fits")
    before = (tmp_path / "hst_F775W_for_m.fits").read_bytes()
    assert main([muse, hst, "--output-dir", str(tmp_path), "--quiet"]) == 1
    assert (tmp_path / "hst_F775W_for_m.fits").read_bytes() == before


def test_hdfs(hdfs, tmp_path, capsys):
    """The HDFS files: WFPC2 F606W recognised from FILTNAM1, DN/s assumed."""
    assert main([str(hdfs / "IMAGE-HDFS-1.34.fits"), str(hdfs / "HST-HDFS.fits"),
                 "--field", "HDFS", "--output-dir", str(tmp_path)]) == 0
    assert "assuming DN / s" in capsys.readouterr().err
    image = read_image(str(tmp_path / "hst_F606W_for_HDFS.fits"))
    assert image.shape == (331, 326) and 9000 < (~image.mask).sum() < 10000


def test_ctrl_c_gives_status_130_and_one_line(tmp_path, monkeypatch, capsys):
    # The shell's status for a process ended by SIGINT, as every command of the package.
    from imphot_astropy.scripts import regrid_hst_to_muse

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(regrid_hst_to_muse, "_process", interrupted)
    muse = write_muse(tmp_path / "IMAGE-X.fits")
    hst = write_hst(tmp_path / "f775w.fits", "F775W")
    out = tmp_path / "out"
    out.mkdir()
    assert main([muse, hst, "--output-dir", str(out)]) == 130
    err = capsys.readouterr().err
    assert "regrid_hst_to_muse: interrupted" in err and "Traceback" not in err
    assert os.listdir(out) == []
