"""Faults injected for real: the parent of a batch killed, a worker stopped.

No mock: the parent is a separate Python process that runs a 2-worker batch
and is killed with a real signal; a worker stops itself with SIGSTOP.
"""

import multiprocessing
import os
import shutil
import signal
import sys
import textwrap
import time

import pytest

from imphot_astropy.exceptions import UserError, WorkerError
from imphot_astropy.batch import FitPhotometryMP, FitImagePhotometryMP

from . import processes

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="process checks read /proc")

START_METHODS = [m for m in ("fork", "forkserver")
                 if m in multiprocessing.get_all_start_methods()]

# The parent: starts a 2-worker batch on two files that take 60 s each,
# prints the worker pids, then waits to be killed.
PARENT = textwrap.dedent("""
    import multiprocessing, sys, time
    from imphot_astropy.batch import FitPhotometryMP

    if __name__ == "__main__":
        hst, method, *files = sys.argv[1:]
        fits = FitPhotometryMP(
            "imphot_astropy.batch.tests.faulty_fitters:fit_or_misbehave", hst, files,
            nworker=2, mp_context=multiprocessing.get_context(method))
        print(" ".join(str(pid) for pid in fits.worker_pids), flush=True)
        next(fits)
""")


def _copy(field, name):
    path = os.path.join(field.directory, name)
    if not os.path.exists(path):
        shutil.copy(field.muses[1], path)
    return path


def _command_line(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")[:100]
    except OSError:
        return "(gone)"


def _all_descendants(pid):
    return processes.descendants(pid)


@linux_only
@pytest.mark.parametrize("start_method", START_METHODS)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_killed_parent(field, tmp_path, start_method, sig):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    files = [_copy(field, "muse-sleep-a.fits"), _copy(field, "muse-sleep-b.fits")]
    with processes.batch_parent(script, [field.hst, start_method, *files]) as (parent,
                                                                            workers):
        assert len(workers) == 2
        family = _all_descendants(parent.pid)  # workers, and a fork server if any
        assert workers <= family
        time.sleep(0.5)  # both workers are now inside their 60 s "fit"
        parent.send_signal(sig)
        parent.wait(timeout=10)
    # No worker lives on after 5 s; nor, soon after, the fork server and the
    # resource tracker (they exit once every worker has closed their pipes).
    assert processes.wait_until_gone(workers, timeout=5.0) == set()
    left = processes.wait_until_gone(family, timeout=10.0)
    assert left == set(), {pid: _command_line(pid) for pid in left}


def test_a_stopped_worker_costs_one_error_and_the_batch_completes(field):
    frozen = _copy(field, "muse-freeze.fits")
    files = [field.muses[0], frozen, field.muses[2], field.muses[3], field.muses[4]]
    with FitPhotometryMP("imphot_astropy.batch.tests.faulty_fitters:fit_or_misbehave",
                         field.hst, files, {"fix_beta": 2.5}, nworker=2,
                         timeout=5) as fits:
        items = list(fits)
    errors = [i for i in items if isinstance(i, WorkerError)]
    assert len(items) == len(files)
    assert len(errors) == 1
    assert errors[0].filename == frozen
    assert frozen in errors[0].message and "time limit (timeout) of 5 s" in errors[0].message
    assert sorted(i.filename for i in items if i not in errors) == \
        sorted(set(files) - {frozen})
    pid = int(errors[0].message.split("(pid ")[1].split(")")[0])
    assert processes.wait_until_gone({pid}, timeout=5.0) == set()


def test_a_result_that_cannot_be_sent_back_is_one_error(field):
    """The worker reports the file as failed (its outcome rebuilt without the
    result) and goes on with the next file."""
    odd = _copy(field, "muse-unpicklable.fits")
    files = [odd, field.muses[0], field.muses[1]]
    with FitPhotometryMP("imphot_astropy.batch.tests.faulty_fitters:fit_or_misbehave",
                         field.hst, files, {"fix_beta": 2.5}, nworker=1) as fits:
        items = list(fits)
    errors = [i for i in items if isinstance(i, WorkerError)]
    assert len(items) == len(files) and len(errors) == 1
    assert errors[0].filename == odd
    assert errors[0].message.startswith(f"{odd}: the result could not be sent back to "
                                        "the parent process (TypeError")
    assert sorted(i.filename for i in items if i not in errors) == sorted(files[1:])


def test_timeout_is_checked(field):
    for bad in (0, -1, "5", True, float("inf")):
        with pytest.raises(UserError, match="timeout: expected a positive number"):
            FitImagePhotometryMP(field.hst, field.muses[:1], timeout=bad)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as executor:
        with pytest.raises(UserError, match="timeout: only for local worker processes"):
            FitImagePhotometryMP(field.hst, field.muses[:1], executor=executor, timeout=5)
