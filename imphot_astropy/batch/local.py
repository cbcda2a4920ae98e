"""Worker processes on this machine, managed so that nothing hangs or lingers.

Why not `concurrent.futures.ProcessPoolExecutor` or `multiprocessing.Pool`:
when one worker is killed (by the out-of-memory killer, say), the first
marks the whole pool broken and fails every file still queued, and the
second waits for the lost task forever. Here each worker has its own pipe
and is watched through its process sentinel, so that a death fails only the
file that worker held, a fresh worker takes over the rest, and the parent
never blocks on a worker that cannot answer.

How workers start: a worker must start fast (a fit of a full MUSE field
takes ~0.1-0.5 s, while importing numpy, scipy and astropy into a fresh
interpreter takes 1.5-2.5 s) and safely. Forking the caller is fastest
(the worker has everything imported, and needs no main-module guard, as
with the reference tool), and safe while the caller runs a single Python
thread. When the caller has other threads (a Dask client, a GUI...),
forking it could copy a lock held by one of them and deadlock the worker,
so workers are then forked from ``forkserver``, a clean server process
that imports the fitters once (the ``fork``-less platforms use ``spawn``).
Workers started these two ways import the main module, so a script needs
the usual ``if __name__ == "__main__":`` guard. Workers ignore SIGINT, so
that Ctrl-C reaches only the parent, which then stops them; they die with
the parent however it dies, SIGKILL included (see `.lifeline`).

A file that takes longer than the optional per-file ``timeout`` costs its
worker, which is killed (SIGKILL also ends a stopped process) and replaced;
the file gets an error outcome and the others go on.
"""

import dataclasses
import importlib
import multiprocessing
import multiprocessing.connection
import numbers
import os
import signal
import threading
import time
from collections import deque

from ..exceptions import UserError
from ..utils import available_cores, worker_count
from .lifeline import die_with_parent, forget_parent_ends, register_parent_end
from .tasks import TaskOutcome, fit_one_file, limit_blas_threads

__all__ = ["LocalProcessPool", "resolve_nworker", "available_cores", "checked_timeout"]

# Modules that workers need, imported once by the fork server, or by the
# caller before it forks, so that each worker starts with them loaded. The
# fitters import scipy.optimize and scipy.linalg only when first called
# (200 modules, 0.2-0.4 s): a worker would pay that for its first file.
_PRELOAD = ["imphot_astropy.batch.local", "imphot_astropy.photometry", "scipy.optimize",
            "scipy.linalg"]

# How long close() lets workers exit by themselves before killing them.
_EXIT_GRACE_SECONDS = 2.0


def resolve_nworker(nworker, argname="nworker"):
    """The number of workers that ``nworker`` asks for.

    Parameters
    ----------
    nworker : int
        0 for one worker per available core; a positive number for exactly
        that many; -n for all cores but n (at least one).

    Examples
    --------
    >>> resolve_nworker(3)
    3
    >>> resolve_nworker(-1000)
    1
    """
    return worker_count(nworker, argname)


def _context(mp_context=None):
    """How to start workers: see the module documentation."""
    if mp_context is None:
        methods = multiprocessing.get_all_start_methods()
        if "fork" in methods and threading.active_count() == 1:
            mp_context = multiprocessing.get_context("fork")
        elif "forkserver" in methods:
            mp_context = multiprocessing.get_context("forkserver")
        else:
            mp_context = multiprocessing.get_context("spawn")
    method = mp_context.get_start_method()
    if method == "forkserver":
        # Only takes effect if the fork server has not started yet.
        mp_context.set_forkserver_preload(_PRELOAD)
    elif method == "fork":
        for module in _PRELOAD:
            importlib.import_module(module)
    return mp_context


def _worker_main(conn, parent_pid=None, parent_death_signal=True):
    """The loop of a worker process: fit the files it is sent, one by one."""
    forget_parent_ends()  # forked: so that recv() sees the parent's end close
    die_with_parent(parent_pid, parent_death_signal)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_blas_threads(1)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            break  # the parent has gone
        if task is None:
            break
        outcome = fit_one_file(*task)
        try:
            conn.send(outcome)
        except (BrokenPipeError, EOFError, OSError):
            break
        except Exception as exc:  # the result could not be pickled
            failed = dataclasses.replace(
                outcome, result=None, traceback="",
                message=(f"{outcome.filename}: the result could not be sent back to "
                         f"the parent process ({type(exc).__name__}: {exc})"))
            try:
                conn.send(failed)
            except Exception:
                break
    conn.close()


def checked_timeout(timeout, argname="timeout"):
    """A per-file time limit in seconds (a positive number), or None.

    Examples
    --------
    >>> checked_timeout(None), checked_timeout(5)
    (None, 5.0)
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) \
            or not timeout > 0 or timeout == float("inf"):
        raise UserError(f"{argname}: expected a positive number of seconds, not {timeout!r}")
    return float(timeout)


def _death_message(process):
    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"was killed by signal {name}"
    # Typically a script without a main guard, re-run by a spawned worker.
    return (f"exited unexpectedly (status {code}; see its error output; a script that "
            "starts worker processes needs an 'if __name__ == \"__main__\":' guard)")


class _Worker:
    """A worker process, its end of the pipe, and the task it holds."""

    def __init__(self, process, conn):
        self.process = process
        self.conn = conn
        self.task = None  # (index, filename) while the worker is fitting it
        self.deadline = None  # time.monotonic() by which the task must be done


class LocalProcessPool:
    """Fit MUSE files in worker processes; collect outcomes as they arrive.

    Each worker holds at most one file at a time, and gets the next queued
    file as soon as it returns a result, so that workers stay busy while
    the caller handles results.

    Parameters
    ----------
    spec : str
        The fitter, ``"module:name"`` (see `~imphot_astropy.batch.tasks.function_spec`).
    hst_filename : str
        The HST image; each worker reads it once.
    muse_filenames : list of str
        The MUSE images.
    kwargs : dict
        Keyword arguments of the fitter.
    nworker : int
        How many workers, at most (see `resolve_nworker`); never more than
        there are files.
    mp_context : multiprocessing context, optional
        How to start workers; by default ``fork`` if the caller runs a
        single thread, else ``forkserver``, else ``spawn`` (see the module
        documentation).
    timeout : float, optional
        Seconds a worker may spend on one file; after that the worker is
        killed and replaced, and the file gets an error outcome.

    Examples
    --------
    >>> pool = LocalProcessPool("imphot_astropy.photometry:fit_image_photometry",
    ...                         "no-hst.fits", ["a.fits", "b.fits"], {}, nworker=1)
    >>> sorted(o.filename for o in pool)
    ['a.fits', 'b.fits']
    >>> pool.closed, pool.worker_pids
    (True, [])
    """

    def __init__(self, spec, hst_filename, muse_filenames, kwargs, nworker=0,
                 mp_context=None, timeout=None):
        self._timeout = checked_timeout(timeout)
        self._task_args = (spec, None if hst_filename is None else str(hst_filename),
                           dict(kwargs))
        self._queue = deque(enumerate(str(name) for name in muse_filenames))
        self._nworker = min(resolve_nworker(nworker), max(len(self._queue), 1))
        self._context = _context(mp_context)
        self._workers = []
        self._ready = deque()
        self._requeued = set()
        self.closed = False
        try:
            self._fill()
        except BaseException:
            self.close()
            raise

    @property
    def worker_pids(self):
        """The process ids of the live workers."""
        return [w.process.pid for w in self._workers if w.process.is_alive()]

    def __iter__(self):
        return self

    def __next__(self):
        """The next `~imphot_astropy.batch.tasks.TaskOutcome`, as soon as one is ready."""
        # A closed pool yields nothing more, not even outcomes that arrived
        # before it was closed (as the cluster pools).
        if self.closed:
            raise StopIteration
        try:
            while not self._ready:
                busy = [w for w in self._workers if w.task is not None]
                if not busy:
                    self.close()
                    raise StopIteration
                self._wait_for(busy)
            return self._ready.popleft()
        except StopIteration:
            raise
        except BaseException:
            # Ctrl-C or any failure here: leave no worker behind.
            self.close()
            raise

    def _wait_for(self, busy):
        """Block until a busy worker answers or dies, then handle that."""
        watched = {}
        for worker in busy:
            watched[worker.conn] = worker
            watched[worker.process.sentinel] = worker
        handled = set()
        for obj in multiprocessing.connection.wait(list(watched), self._wait_seconds(busy)):
            worker = watched[obj]
            if id(worker) not in handled:
                handled.add(id(worker))
                self._collect(worker)
        self._expire(busy)
        self._fill()

    def _wait_seconds(self, busy):
        """How long to wait before the first deadline of a busy worker."""
        deadlines = [w.deadline for w in busy if w.deadline is not None]
        if not deadlines:
            return None
        return max(min(deadlines) - time.monotonic(), 0.0)

    def _expire(self, busy):
        """Kill the workers whose file has run past the time limit."""
        now = time.monotonic()
        for worker in busy:
            if worker.task is None or worker.deadline is None or now < worker.deadline:
                continue
            if worker.conn.poll():  # it answered just in time
                self._collect(worker)
                continue
            worker.process.kill()  # SIGKILL: ends a stopped or hung process too
            worker.process.join(timeout=1.0)
            index, filename = worker.task
            worker.task = None
            self._ready.append(TaskOutcome(
                index=index, filename=filename,
                message=(f"{filename}: not done within the time limit (timeout) of "
                         f"{self._timeout:g} s; its worker process (pid "
                         f"{worker.process.pid}) was killed and replaced"),
                traceback=""))
            self._lost(worker)

    def _collect(self, worker):
        """Read a worker's answer, or report the file of a worker that died."""
        if worker.conn.poll():
            try:
                outcome = worker.conn.recv()
            except (EOFError, OSError):
                self._lost(worker)
                return
            worker.task = None
            self._ready.append(outcome)
        elif not worker.process.is_alive():
            self._lost(worker)

    def _lost(self, worker, doing="while fitting this file"):
        """Drop a dead worker; its file, if any, becomes an error outcome."""
        if worker in self._workers:
            self._workers.remove(worker)
        worker.process.join(timeout=1.0)
        if worker.task is not None:
            index, filename = worker.task
            worker.task = None
            self._ready.append(TaskOutcome(
                index=index, filename=filename,
                message=(f"{filename}: the worker process (pid {worker.process.pid}) "
                         f"{_death_message(worker.process)} {doing}"),
                traceback=""))
        if not worker.conn.closed:
            worker.conn.close()

    def _start_worker(self):
        parent_conn, child_conn = self._context.Pipe(duplex=True)
        register_parent_end(parent_conn)
        if self._context.get_start_method() == "fork":
            # The worker's parent is this process, and the parent-death signal
            # fires when the forking thread ends: right for the main thread.
            lifeline = (os.getpid(), threading.current_thread() is threading.main_thread())
        else:  # the parent is the fork server (or a spawned child's parent: us)
            lifeline = (None, True)
        process = self._context.Process(target=_worker_main, args=(child_conn, *lifeline),
                                        name="imphot-fit-worker", daemon=True)
        try:
            process.start()
        finally:
            child_conn.close()
        worker = _Worker(process, parent_conn)
        self._workers.append(worker)
        return worker

    def _assign(self, worker, task):
        index, filename = task
        spec, hst_filename, kwargs = self._task_args
        try:
            worker.conn.send((spec, hst_filename, filename, kwargs, index))
        except (BrokenPipeError, OSError):
            # The worker died while idle, so the file never reached it: it
            # goes back to the queue for another worker, once only, so that
            # workers that die as they start cannot loop forever.
            worker.process.join(timeout=1.0)
            self._lost(worker)
            if index in self._requeued:
                worker.task = task
                self._lost(worker, "before it could take this file")
            else:
                self._requeued.add(index)
                self._queue.appendleft(task)
            return
        worker.task = task
        if self._timeout is not None:
            worker.deadline = time.monotonic() + self._timeout

    def _fill(self):
        """Give queued files to idle workers, starting workers up to the limit."""
        for worker in list(self._workers):
            if worker.task is None and self._queue:
                self._assign(worker, self._queue.popleft())
        while self._queue and len(self._workers) < self._nworker:
            self._assign(self._start_worker(), self._queue.popleft())

    def close(self):
        """Stop every worker: idle ones exit, busy ones are terminated.

        Safe to call more than once; called on exhaustion, on an error or
        Ctrl-C in the parent, and by the iterators' ``with`` blocks.
        """
        if self.closed:
            return
        self.closed = True
        self._queue.clear()
        workers, self._workers = self._workers, []
        for worker in workers:
            if not worker.process.is_alive():
                continue
            if worker.task is None:
                try:
                    worker.conn.send(None)
                except (OSError, ValueError):
                    worker.process.terminate()
            else:
                worker.process.terminate()
        deadline = time.monotonic() + _EXIT_GRACE_SECONDS
        for worker in workers:
            worker.process.join(timeout=max(deadline - time.monotonic(), 0.0))
        for worker in workers:
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5.0)
            worker.conn.close()
            try:
                worker.process.close()
            except ValueError:  # still running after SIGKILL: nothing more to do
                pass

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
