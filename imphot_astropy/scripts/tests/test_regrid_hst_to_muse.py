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


@pytest.mark.parametrize("where, timeout", [("_process", "0"),
                                            ("_plan_in_workers", "60"),
                                            ("_process_in_workers", "60")])
def test_ctrl_c_gives_status_130_and_one_line(tmp_path, monkeypatch, capsys, where,
                                              timeout):
    # The shell's status for a process ended by SIGINT, as every command of the
    # package: in this process (--timeout 0) or while a worker runs.
    from imphot_astropy.scripts import regrid_hst_to_muse

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(regrid_hst_to_muse, where, interrupted)
    muse = write_muse(tmp_path / "IMAGE-X.fits")
    hst = write_hst(tmp_path / "f775w.fits", "F775W")
    out = tmp_path / "out"
    out.mkdir()
    assert main([muse, hst, "--output-dir", str(out), "--timeout", timeout]) == 130
    err = capsys.readouterr().err
    assert "regrid_hst_to_muse: interrupted" in err and "Traceback" not in err
    assert os.listdir(out) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_at_once(tmp_path, capsys):
    """A pipe given as a FITS file (opening it would wait until the time
    limit, or for ever with --timeout 0) is refused before any reading."""
    muse = write_muse(tmp_path / "m.fits")
    good = write_hst(tmp_path / "good.fits")
    pipe = tmp_path / "pipe.fits"
    os.mkfifo(pipe)
    for argv in ([str(pipe), good], [muse, good, str(pipe)]):
        assert main(argv + ["--output-dir", str(tmp_path), "--quiet"]) == 1
        error = capsys.readouterr().err.strip()
        assert error.endswith(f"{pipe} is a named pipe or a device, not a FITS file")
    assert not os.path.exists(tmp_path / "hst_F775W_for_m.fits")


def test_the_same_images_in_a_worker_and_in_this_process(tmp_path, capsys):
    """By default each file is read in a worker; --timeout 0 reads here: same
    files, same messages."""
    muse = write_muse(tmp_path / "IMAGE-X.fits")
    hst = write_hst(tmp_path / "f775w.fits", "F775W")
    printed = {}
    for name, extra in (("worker", []), ("here", ["--timeout", "0"])):
        out = tmp_path / name
        out.mkdir()
        assert main([muse, hst, "--output-dir", str(out)] + extra) == 0
        printed[name] = capsys.readouterr()
    worker, here = (read_image(str(tmp_path / name / "hst_F775W_for_IMAGE-X.fits"))
                    for name in ("worker", "here"))
    np.testing.assert_array_equal(worker.data, here.data)
    np.testing.assert_array_equal(worker.variance, here.variance)
    assert printed["worker"].out.replace("worker", "here") == printed["here"].out
    assert printed["worker"].err == printed["here"].err == ""


def test_the_default_time_limit_is_documented(capsys):
    from imphot_astropy.scripts import regrid_hst_to_muse
    assert regrid_hst_to_muse.DEFAULT_TIMEOUT == 600.0
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "(default 600 s" in help_text and "0: no limit" in help_text
    for bad in ("-1", "inf", "nan"):
        assert main(["m.fits", "h.fits", "--timeout", bad]) == 1
        assert "--timeout: expected a positive number of seconds (or 0 for no limit)" \
            in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("which", ["muse", "hst"])
def test_a_stalled_header_ends_the_run_within_the_default_limit(tmp_path, monkeypatch,
                                                                capsys, which):
    """With the up-front refusal of pipes switched off, a pipe read while the
    run is checked (opening it waits for a writer that never comes: a hung
    file system) is given up at DEFAULT_TIMEOUT (made 2 s here): one
    error, nothing written."""
    import time
    from imphot_astropy.scripts import regrid_hst_to_muse

    monkeypatch.setattr(regrid_hst_to_muse, "_refuse_pipes", lambda options: None)
    monkeypatch.setattr(regrid_hst_to_muse, "DEFAULT_TIMEOUT", 2.0)
    muse = write_muse(tmp_path / "m.fits")
    good = write_hst(tmp_path / "good.fits")
    pipe = tmp_path / "pipe.fits"
    os.mkfifo(pipe)
    argv = [str(pipe), good] if which == "muse" else [muse, str(pipe), good]
    start = time.monotonic()
    assert main(argv + ["--output-dir", str(tmp_path), "--quiet"]) == 1
    assert 2.0 <= time.monotonic() - start < 30.0
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"regrid_hst_to_muse: {pipe}: not done within the time "
                            "limit (timeout) of 2 s") and "\n" not in error
    assert not os.path.exists(tmp_path / "hst_F775W_for_m.fits")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_stalled_hst_image_costs_one_error_and_the_next_goes_on(tmp_path, monkeypatch,
                                                                  capsys):
    """A file that stalls while it is regridded (a pipe, its check skipped
    here) is given up after --timeout; the next HST image is still made."""
    import time
    from imphot_astropy.scripts import regrid_hst_to_muse

    muse = write_muse(tmp_path / "m.fits")
    good = write_hst(tmp_path / "good.fits")
    pipe = tmp_path / "pipe.fits"
    os.mkfifo(pipe)
    monkeypatch.setattr(regrid_hst_to_muse, "_refuse_pipes", lambda options: None)
    monkeypatch.setattr(regrid_hst_to_muse, "_plan_in_workers", lambda options, field, t: [
        str(tmp_path / "hst_F606W_for_m.fits"), str(tmp_path / "hst_F775W_for_m.fits")])
    start = time.monotonic()
    assert main([muse, str(pipe), good, "--output-dir", str(tmp_path), "--quiet",
                 "--timeout", "2"]) == 1
    assert 2.0 <= time.monotonic() - start < 30.0
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"regrid_hst_to_muse: {pipe}: not done within the time "
                            "limit (timeout) of 2 s") and "\n" not in error
    assert os.path.exists(tmp_path / "hst_F775W_for_m.fits")
    assert not os.path.exists(tmp_path / "hst_F606W_for_m.fits")
