"""The multi-process iterators: identity with direct calls, faults, clean-up."""

import os
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import multiprocessing
import pytest

from imphot_astropy.exceptions import UserError, WorkerError
from imphot_astropy.fitting import FittedImagePhotometry
from imphot_astropy.photometry import fit_image_photometry
from imphot_astropy.batch import FitImagePhotometryMP, FitPhotometryMP
from imphot_astropy.batch.local import resolve_nworker, available_cores

from .compare import assert_identical
from .faulty_fitters import fit_or_misbehave
from . import processes

KWARGS = {"fix_beta": 2.5}

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="process checks read /proc")


@pytest.fixture(scope="module")
def direct(field):
    """The direct calls, file by file, in this process."""
    return {m: fit_image_photometry(field.hst, m, **KWARGS) for m in field.muses}


def _copy(field, name):
    path = os.path.join(field.directory, name)
    if not os.path.exists(path):
        shutil.copy(field.muses[1], path)
    return path


START_METHODS = [m for m in ("fork", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.mark.parametrize("nworker", [1, 2, 3])
@pytest.mark.parametrize("start_method", START_METHODS)
def test_results_identical_to_direct_calls_for_any_worker_count(field, direct, nworker,
                                                                start_method):
    files = field.muses[:4]
    context = multiprocessing.get_context(start_method)
    with FitImagePhotometryMP(field.hst, files, KWARGS, nworker=nworker,
                              mp_context=context) as fits:
        results = list(fits)
        stats = fits.worker_stats
    assert sorted(r.filename for r in results) == sorted(files)
    for result in results:
        assert_identical(result, direct[result.filename])
    assert 1 <= len(stats) <= min(nworker, len(files))
    assert sum(s["files"] for s in stats.values()) == len(files)


def test_each_result_is_for_its_file_and_hst_is_read_once_per_worker(field):
    # The exposures differ in seeing by 0.02": the fitted FWHM says which file
    # a result came from, whatever order results arrive in.
    with FitImagePhotometryMP(field.hst, field.muses, KWARGS, nworker=2) as fits:
        results = list(fits)
        stats = fits.worker_stats
    assert len(results) == len(field.muses)
    for result in results:
        assert isinstance(result, FittedImagePhotometry)
        truth = field.truths[field.muses.index(result.filename)]
        assert abs(result.fwhm.value - truth["fwhm"]) < 0.01
        assert abs(result.scale.value - truth["scale"]) < 0.02
    assert sum(s["files"] for s in stats.values()) == 8
    assert all(s["hst_reads"] == 1 for s in stats.values()), stats


def test_one_corrupt_file_among_eight(field, corrupt_muse):
    files = field.muses[:3] + [corrupt_muse] + field.muses[4:]
    with FitImagePhotometryMP(field.hst, files, KWARGS, nworker=2) as fits:
        items = list(fits)
    errors = [i for i in items if isinstance(i, WorkerError)]
    results = [i for i in items if not isinstance(i, WorkerError)]
    assert len(results) == 7 and len(errors) == 1
    assert sorted(r.filename for r in results) == sorted(set(files) - {corrupt_muse})
    assert errors[0].filename == corrupt_muse
    assert corrupt_muse in errors[0].message
    assert "not a readable FITS image" in errors[0].message


def test_a_worker_killed_by_a_signal_is_reported(field, direct):
    doomed = _copy(field, "muse-die.fits")
    files = [field.muses[0], doomed, field.muses[2], field.muses[3]]
    start = time.monotonic()
    with FitPhotometryMP(fit_or_misbehave, field.hst, files, KWARGS, nworker=2) as fits:
        items = list(fits)
    assert time.monotonic() - start < 60
    errors = [i for i in items if isinstance(i, WorkerError)]
    assert len(items) == 4 and len(errors) == 1
    assert errors[0].filename == doomed and "SIGKILL" in errors[0].message
    # The other files were fitted, by a replacement worker if need be.
    for item in items:
        if item is not errors[0]:
            assert_identical(item, direct[item.filename])


@linux_only
def test_killing_a_busy_worker_from_outside_is_reported_at_once(field):
    files = [_copy(field, "muse-sleep-a.fits"), _copy(field, "muse-sleep-b.fits")]
    fits = FitPhotometryMP(fit_or_misbehave, field.hst, files, nworker=2)
    pids = fits.worker_pids
    assert len(pids) == 2
    time.sleep(0.3)
    os.kill(pids[0], signal.SIGKILL)
    start = time.monotonic()
    error = next(fits)
    assert time.monotonic() - start < 10
    assert isinstance(error, WorkerError) and error.filename in files
    assert f"pid {pids[0]}" in error.message and "SIGKILL" in error.message
    start = time.monotonic()
    fits.close()  # the other worker is 60 s into its fit: terminated, not awaited
    assert time.monotonic() - start < 10
    assert processes.wait_until_gone(pids) == set()


def _new_workers(before):
    return {p for p in processes.descendants() - before if not processes.is_service(p)}


@pytest.fixture
def children_before(field):
    # Start the fork server (if not yet) so that it is not taken for a worker.
    list(FitImagePhotometryMP(field.hst, field.muses[:1], KWARGS, nworker=1))
    return processes.descendants()


@linux_only
def test_no_worker_survives_an_exception_in_the_consumer(field, children_before):
    files = field.muses[:2] + [_copy(field, "muse-sleep-a.fits")] + field.muses[2:4]
    seen = set()
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="consumer failed"):
        with FitPhotometryMP(fit_or_misbehave, field.hst, files, KWARGS,
                             nworker=2) as fits:
            for _ in fits:
                seen |= set(fits.worker_pids)
                raise RuntimeError("consumer failed")
    assert time.monotonic() - start < 20
    assert seen
    assert processes.wait_until_gone(seen, timeout=5) == set()
    assert _new_workers(children_before) == set()


@linux_only
def test_no_worker_survives_an_exception_in_a_plain_for_loop(field, children_before):
    files = [_copy(field, "muse-sleep-a.fits")] + field.muses[:3]
    seen = set()

    def consume():
        for _ in FitPhotometryMP(fit_or_misbehave, field.hst, files, KWARGS, nworker=2):
            seen.update(_new_workers(children_before))
            raise ValueError("bad row")

    with pytest.raises(ValueError):
        consume()
    assert seen
    assert processes.wait_until_gone(seen, timeout=5) == set()
    assert _new_workers(children_before) == set()


@linux_only
def test_ctrl_c_while_waiting_stops_every_worker(field, children_before):
    files = [_copy(field, "muse-sleep-a.fits"), _copy(field, "muse-sleep-b.fits")]
    fits = FitPhotometryMP(fit_or_misbehave, field.hst, files, nworker=2)
    pids = set(fits.worker_pids)
    # A run started in the background (CI, nohup, '&') inherits SIGINT
    # ignored: give this process Python's usual Ctrl-C handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            next(fits)
        timer.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert processes.wait_until_gone(pids, timeout=5) == set()
    assert _new_workers(children_before) == set()


@linux_only
def test_leaving_the_with_block_early_stops_the_workers(field, children_before):
    with FitImagePhotometryMP(field.hst, field.muses, KWARGS, nworker=2) as fits:
        first = next(fits)
        pids = set(fits.worker_pids)
    assert isinstance(first, FittedImagePhotometry)
    assert fits.worker_pids == [] and list(fits) == []
    assert processes.wait_until_gone(pids, timeout=5) == set()
    assert _new_workers(children_before) == set()


def test_no_files_no_workers(field):
    with FitImagePhotometryMP(field.hst, [], KWARGS) as fits:
        assert fits.worker_pids == []
        assert list(fits) == []


def test_executor_path_is_identical(field, direct):
    files = field.muses[:3]
    context = multiprocessing.get_context("forkserver") \
        if "forkserver" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(2, mp_context=context) as executor:
        with FitImagePhotometryMP(field.hst, files, KWARGS, executor=executor) as fits:
            results = list(fits)
    assert sorted(r.filename for r in results) == sorted(files)
    for result in results:
        assert_identical(result, direct[result.filename])


def test_broken_process_pool_is_reported_not_waited_on(field):
    files = [field.muses[0], _copy(field, "muse-die.fits"), field.muses[2]]
    context = multiprocessing.get_context("forkserver") \
        if "forkserver" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(1, mp_context=context) as executor:
        with FitPhotometryMP(fit_or_misbehave, field.hst, files, KWARGS,
                             executor=executor) as fits:
            items = list(fits)
    assert len(items) == 3
    errors = [i for i in items if isinstance(i, WorkerError)]
    assert any(e.filename.endswith("muse-die.fits") for e in errors)
    assert all("BrokenProcessPool" in e.message for e in errors)


def test_thread_executor_reads_the_hst_once(field, direct):
    with ThreadPoolExecutor(2) as executor:
        fits = FitImagePhotometryMP(field.hst, field.muses[:3], KWARGS, executor=executor)
        results = list(fits)
    for result in results:
        assert_identical(result, direct[result.filename])
    (stats,) = fits.worker_stats.values()  # threads share one process
    assert stats["files"] == 3 and stats["hst_reads"] <= 1


def test_nworker_semantics():
    cores = available_cores()
    assert resolve_nworker(0) == cores
    assert resolve_nworker(2) == 2
    assert resolve_nworker(-1) == max(cores - 1, 1)
    assert resolve_nworker(-cores - 5) == 1
    with pytest.raises(UserError, match="nworker"):
        resolve_nworker(1.5)
    with pytest.raises(UserError, match="nworker"):
        resolve_nworker(True)


def test_bad_arguments_are_user_errors(field):
    with pytest.raises(UserError, match="hst_filename: the file .*nothere.fits"):
        FitImagePhotometryMP(os.path.join(field.directory, "nothere.fits"), field.muses)
    with pytest.raises(UserError, match="muse_filenames: expected a list"):
        FitImagePhotometryMP(field.hst, field.muses[0])
    with pytest.raises(UserError, match="'fix_gamma' is not a keyword argument of "
                                        "fit_image_photometry"):
        FitImagePhotometryMP(field.hst, field.muses, {"fix_gamma": 1.0})
    with pytest.raises(UserError, match="'muse' is not a keyword"):
        FitImagePhotometryMP(field.hst, field.muses, {"muse": "x.fits"})
    with pytest.raises(UserError, match="one or the other"):
        FitImagePhotometryMP(field.hst, field.muses, client=object(), executor=object())
    with pytest.raises(UserError, match="nworker"):
        FitImagePhotometryMP(field.hst, field.muses, nworker="all")
    with pytest.raises(UserError, match="module-level"):
        FitPhotometryMP(lambda hst, muse: None, field.hst, field.muses)
