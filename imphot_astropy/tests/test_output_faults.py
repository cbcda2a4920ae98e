"""Outputs under faults: overwrites refused up front, full and read-only disks.

Faults are real where the machine allows: a 64 kB tmpfs for a full disk and
a read-only tmpfs (both need root and mount(8); the tests skip otherwise,
since root ignores a chmod'ed directory). Where a fault cannot be made for
real, it is injected at the system call (``os.open``, ``os.pwrite``), never
in the code under test.
"""

import errno
import os
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData

from imphot_astropy import UserError
from imphot_astropy.batch import write_photometry_table
from imphot_astropy.corrections import apply_cube_corrections
from imphot_astropy.datasets import make_synthetic_pair
from imphot_astropy.photometry import fit_image_photometry
from imphot_astropy.io import atomic_output, write_fits_atomically, write_muse_image
from imphot_astropy.datasets import make_synthetic_pixtable
from imphot_astropy.pixtable import PixTable
from imphot_astropy.scripts import fit_photometry, regrid_hst_to_muse

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mount(8)")


def _mount_tmpfs(directory, options):
    directory.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs",
                               str(directory)], capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc})")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()})")


@pytest.fixture
def small_disk(tmp_path):
    """A real 64 kB file system (tmpfs)."""
    directory = tmp_path / "small"
    _mount_tmpfs(directory, "size=64k")
    yield directory
    subprocess.run(["umount", str(directory)], check=False)


@pytest.fixture
def readonly_disk(tmp_path):
    """A real read-only file system (tmpfs mounted ro): EROFS even for root."""
    directory = tmp_path / "readonly"
    _mount_tmpfs(directory, "ro,size=64k")
    yield directory
    subprocess.run(["umount", str(directory)], check=False)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pair")
    hst, muse, _ = make_synthetic_pair(shape=(48, 48), seed=4)
    hst_file, muse_file = directory / "hst.fits", directory / "muse.fits"
    hst.write(hst_file)
    muse.write(muse_file)
    return str(hst_file), str(muse_file), fit_image_photometry(hst, muse, fix_beta=2.5)


@pytest.fixture(scope="module")
def exposure_cube(tmp_path_factory):
    """A MUSE exposure cube file of 150 kB (DATA and STAT), and a fit to apply."""
    from types import SimpleNamespace
    from imphot_astropy.datasets import make_exposure_cube, write_exposure_cube
    from imphot_astropy.fitting import FittedValue
    cube, _, _ = make_exposure_cube(shape=(40, 40), nplanes=12, filters=["F606W"])
    path = tmp_path_factory.mktemp("cube") / "exposure.fits"
    write_exposure_cube(cube, path)
    fit = SimpleNamespace(dx=FittedValue(0.1), dy=FittedValue(-0.2), scale=FittedValue(1.25))
    return str(path), fit


def _big_hdulist():
    return fits.HDUList([fits.PrimaryHDU(np.zeros((200, 200)))])  # 320 kB


def _writers(pair, exposure_cube):
    """Every kind of output the package writes: (name, function(path))."""
    import matplotlib
    matplotlib.use("Agg")
    from imphot_astropy.plotting.figures import new_figure, save_figure

    def figure(path):
        fig = new_figure(figsize=(20, 20))
        fig.add_subplot().imshow(np.random.default_rng(1).random((400, 400)))
        save_figure(fig, path)

    def pixtable(path):
        n = 20000
        PixTable(xpos=np.zeros(n), ypos=np.zeros(n), lbda=np.full(n, 5000.),
                 data=np.ones(n), dq=np.zeros(n, int), stat=np.ones(n),
                 origin=np.zeros(n, int)).write(path)

    def muse_image(path):
        image = CCDData(np.ones((200, 200)), unit="adu", mask=np.zeros((200, 200), bool))
        write_muse_image(image, path)  # 160 kB of DATA, 160 kB of DQ

    def corrected_cube(path):
        cube, fit = exposure_cube
        apply_cube_corrections(cube, fit, output=path, corrections="xy,scale")

    return {
        "fits": lambda path: write_fits_atomically(_big_hdulist(), path),
        "muse image": muse_image,
        "corrected cube": corrected_cube,
        "ecsv table": lambda path: write_photometry_table([pair[2]] * 2000, path),
        "figure": figure,
        "pixel table": pixtable,
    }


WRITERS = ["fits", "ecsv table", "figure", "pixel table", "muse image", "corrected cube"]
SUFFIX = {"fits": ".fits", "ecsv table": ".ecsv", "figure": ".png", "pixel table": ".fits",
          "muse image": ".fits", "corrected cube": ".fits"}


@pytest.mark.parametrize("umask", [0o022, 0o027])
@pytest.mark.parametrize("kind", WRITERS)
def test_outputs_honour_the_umask(pair, exposure_cube, tmp_path, kind, umask):
    path = tmp_path / ("out" + SUFFIX[kind])
    old = os.umask(umask)
    try:
        _writers(pair, exposure_cube)[kind](path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert os.listdir(tmp_path) == [path.name]


@linux_only
@pytest.mark.parametrize("kind", WRITERS)
def test_disk_full_is_a_user_error_naming_the_file_and_leaves_nothing(pair, exposure_cube,
                                                                       small_disk, kind):
    path = small_disk / ("out" + SUFFIX[kind])
    with pytest.raises(UserError, match="No space left on device|Not enough space") as info:
        _writers(pair, exposure_cube)[kind](path)
    assert str(path) in str(info.value)
    assert os.listdir(small_disk) == []


@linux_only
@pytest.mark.parametrize("kind", WRITERS)
def test_read_only_file_system_is_refused_before_writing(pair, exposure_cube, readonly_disk,
                                                         kind):
    path = readonly_disk / ("out" + SUFFIX[kind])
    with pytest.raises(UserError, match="Read-only file system") as info:
        _writers(pair, exposure_cube)[kind](path)
    assert str(path) in str(info.value)


def test_injected_read_only_error_at_open(pair, exposure_cube, tmp_path, monkeypatch):
    """Where no read-only mount can be made: EROFS injected at os.open."""
    real_open = os.open

    def read_only_open(path, flags, *args, **kwargs):
        if str(path).startswith(str(tmp_path)) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_open)
    for kind in WRITERS:
        with pytest.raises(UserError, match="Read-only file system"):
            _writers(pair, exposure_cube)[kind](tmp_path / ("out" + SUFFIX[kind]))
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_injected_disk_full_at_the_pixel_table_write_call(tmp_path, monkeypatch):
    """ENOSPC injected at os.pwrite, the pixel-table writer's system call."""
    def full(fd, data, offset):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "pwrite", full)
    path = tmp_path / "pix.fits"
    with pytest.raises(UserError, match=f"filename: could not write {path} .No space"):
        PixTable(xpos=[0.], ypos=[0.], lbda=[5000.], data=[1.], dq=[0], stat=[1.],
                 origin=[0]).write(path)
    assert os.listdir(tmp_path) == []


def test_a_directory_is_not_an_output_file(tmp_path):
    with pytest.raises(UserError, match="is a directory, not a file name"):
        with atomic_output(tmp_path, argname="--table"):
            pass
    assert os.listdir(tmp_path) == []


def test_pixtable_extract_may_not_replace_its_source(tmp_path):
    source = tmp_path / "pix.fits"
    make_synthetic_pixtable(str(source), nrows=2000, seed=1)
    before = source.read_bytes()
    table = PixTable(str(source))
    with pytest.raises(UserError, match="is an input file"):
        table.extract(lbda=(5000, 7000)).write(str(source))
    with pytest.raises(UserError, match="is an input file"):
        table.extract(lbda=(5000, 7000), filename=str(source))
    with pytest.raises(UserError, match="is a directory"):
        table.extract(lbda=(5000, 7000), filename=str(tmp_path))
    assert source.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["pix.fits"]


def test_fit_photometry_apply_may_not_replace_another_input(pair, tmp_path, capsys):
    hst, muse, _ = pair
    a = tmp_path / "a.fits"
    shutil.copy(muse, a)
    a_aligned = tmp_path / "a_aligned.fits"
    shutil.copy(muse, a_aligned)
    before = a_aligned.read_bytes()
    status = fit_photometry.main([hst, str(a), str(a_aligned), "--apply", "--nprocess", "1"])
    assert status == 1
    err = capsys.readouterr().err
    assert f"--apply: {a_aligned} is an input file" in err
    assert a_aligned.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["a.fits", "a_aligned.fits"]


def test_fit_photometry_outputs_may_not_collide(pair, tmp_path, capsys):
    hst, muse, _ = pair
    a = tmp_path / "a.fits"
    shutil.copy(muse, a)
    # The table would be written where --apply writes a's corrected image.
    status = fit_photometry.main([hst, str(a), "--apply", "--table",
                                  str(tmp_path / "a_aligned.fits")])
    assert status == 1
    assert "would also be written by --apply" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["a.fits"]


@linux_only
def test_fit_photometry_table_on_a_read_only_disk(pair, readonly_disk, capsys):
    hst, muse, _ = pair
    status = fit_photometry.main([hst, muse, "--table", str(readonly_disk / "t.ecsv")])
    assert status == 1
    err = capsys.readouterr()
    assert "--table: cannot write" in err.err and "Read-only file system" in err.err
    assert err.out == ""  # refused before any fitting


def test_regrid_two_hst_files_to_one_name_refused_before_work(hdfs, tmp_path, capsys):
    copy = tmp_path / "copy_of_hst.fits"
    shutil.copy(hdfs / "HST-HDFS.fits", copy)
    status = regrid_hst_to_muse.main([str(hdfs / "IMAGE-HDFS-1.34.fits"),
                                      str(hdfs / "HST-HDFS.fits"), str(copy), "--field", "Y",
                                      "--output-dir", str(tmp_path), "--quiet"])
    assert status == 1
    assert "hst_F606W_for_Y.fits would also be written" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["copy_of_hst.fits"]


def test_regrid_swapped_files_said_so(hdfs, tmp_path, capsys):
    status = regrid_hst_to_muse.main([str(hdfs / "HST-HDFS.fits"),
                                      str(hdfs / "IMAGE-HDFS-1.34.fits"),
                                      "--output-dir", str(tmp_path), "--quiet"])
    assert status == 1
    assert "given in the wrong order" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_write_regridded_hst_may_not_replace_its_source(hdfs, tmp_path):
    from imphot_astropy.preparation import regrid_hst_like_muse, write_regridded_hst
    source = tmp_path / "HST-HDFS.fits"
    shutil.copy(hdfs / "HST-HDFS.fits", source)
    before = source.read_bytes()
    image = regrid_hst_like_muse(str(source), str(hdfs / "IMAGE-HDFS-1.34.fits"))
    with pytest.raises(UserError, match="is an input file"):
        write_regridded_hst(image, source)
    assert source.read_bytes() == before
    # An earlier output of the same name may be replaced.
    out = tmp_path / "out" / "HST-HDFS.fits"
    out.parent.mkdir()
    write_regridded_hst(image, out)
    write_regridded_hst(image, out)
    assert sorted(os.listdir(out.parent)) == ["HST-HDFS.fits"]


@linux_only
def test_make_wideband_image_output_checked_before_the_extraction(hdfs, readonly_disk,
                                                                   tmp_path, capsys):
    from imphot_astropy.scripts import make_wideband_image
    out = str(readonly_disk / "F775W.fits")
    assert make_wideband_image.main(["F775W", str(hdfs / "CUBE.fits"), "--output", out,
                                     "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "--output: cannot write" in err and "Read-only file system" in err
    assert make_wideband_image.main(["F775W", str(hdfs / "CUBE.fits"), "--output",
                                     str(tmp_path), "--quiet"]) == 1
    assert "--output: " in capsys.readouterr().err
