"""atomic_output reads the umask without changing it, from any thread.

``os.umask`` can only read the umask by setting it; doing so while another
thread creates a file gives that file the wrong permissions. These tests
forbid ``os.umask`` while outputs are written from threads, and check the
permissions both where /proc/self/status states the umask and where the
fallback (a probe file) must find them.
"""

import os
import stat
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from imphot_astropy.io import atomic, atomic_directory, atomic_output

UMASK = 0o027
MODE = 0o666 & ~UMASK  # 0o640


@pytest.fixture
def umask_027(monkeypatch):
    """Set the umask to 0o027, then make os.umask fail if anything calls it."""
    old = os.umask(UMASK)

    def forbidden(mask):
        raise AssertionError("os.umask called while outputs were being written")

    monkeypatch.setattr(os, "umask", forbidden)
    yield
    monkeypatch.undo()
    os.umask(old)


def _write(path):
    with atomic_output(path) as tmpname:
        with open(tmpname, "w") as handle:
            handle.write("done")
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/status")
def test_umask_read_from_proc_on_linux(umask_027):
    assert atomic._umask_from_proc() == UMASK


@pytest.mark.parametrize("source", ["proc", "probe file"])
def test_outputs_written_from_threads_get_the_umask(tmp_path, umask_027, monkeypatch,
                                                    source):
    if source == "probe file":
        monkeypatch.setattr(atomic, "_umask_from_proc", lambda: None)
    elif atomic._umask_from_proc() is None:
        pytest.skip("no Umask line in /proc/self/status here")
    paths = [tmp_path / f"out{i}.txt" for i in range(40)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        modes = list(pool.map(_write, paths))
    assert modes == [MODE] * len(paths)
    # The probe files are gone; only the outputs remain.
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in paths)


def test_files_other_threads_create_meanwhile_keep_their_permissions(tmp_path, umask_027):
    """A thread creating ordinary files while outputs are written sees the umask."""
    others = tmp_path / "others"
    others.mkdir()
    stop = threading.Event()
    modes = []

    def create_files():
        i = 0
        while not stop.is_set():
            path = others / f"f{i}"
            with open(path, "w"):
                pass
            modes.append(stat.S_IMODE(os.stat(path).st_mode))
            i += 1

    creator = threading.Thread(target=create_files)
    creator.start()
    try:
        for i in range(200):
            _write(tmp_path / f"out{i}.txt")
    finally:
        stop.set()
        creator.join()
    assert modes and set(modes) == {MODE}


def test_probe_fallback_reports_what_a_new_file_gets(tmp_path):
    old = os.umask(0o022)
    try:
        assert atomic._probe_new_file_mode(str(tmp_path)) == 0o644
        os.umask(0o077)
        assert atomic._probe_new_file_mode(str(tmp_path)) == 0o600
    finally:
        os.umask(old)
    assert os.listdir(tmp_path) == []


def test_atomic_directory_replaces_only_when_complete(tmp_path):
    target = tmp_path / "report"
    target.mkdir()
    (target / "index.html").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as building:
            (Path(building) / "index.html").write_text("half")
            raise RuntimeError("interrupted")
    # A failed build leaves the old directory as it was, and nothing beside it.
    assert (target / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    with atomic_directory(target) as building:
        (Path(building) / "index.html").write_text("new")
    assert (target / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_atomic_directory_has_the_mode_of_a_new_directory(tmp_path):
    os.mkdir(tmp_path / "plain")
    with atomic_directory(tmp_path / "report"):
        pass
    assert stat.S_IMODE(os.stat(tmp_path / "report").st_mode) == \
        stat.S_IMODE(os.stat(tmp_path / "plain").st_mode)


def test_cache_directory_made_with_parents_and_kept(tmp_path):
    from imphot_astropy.io import cache_directory

    path = tmp_path / "a" / "b"
    assert cache_directory(path) == str(path) and path.is_dir()
    (path / "kept.fits").write_text("x")
    cache_directory(path)
    assert (path / "kept.fits").read_text() == "x"


def test_cache_directory_that_cannot_be_made_is_a_user_error(tmp_path):
    from imphot_astropy.exceptions import UserError
    from imphot_astropy.io import cache_directory

    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    with pytest.raises(UserError, match="cache_dir: .*a_file exists and is not a directory"):
        cache_directory(a_file)
    with pytest.raises(UserError, match="cache_dir: could not make the directory .*inner"):
        cache_directory(a_file / "inner")
    assert a_file.read_text() == "x"
