"""Worker processes that die with their parent, however the parent dies.

A worker that outlives its parent holds ~140 MB forever and does nothing,
so a worker must notice, within seconds, that the process that started it
is gone, whether it ended normally, by an exception, by SIGTERM, SIGKILL or
the out-of-memory killer. Three things see to it:

- the pipe: a forked worker inherits the parent's ends of every worker's
  pipe, its own included; while it holds them its ``recv`` never sees the
  pipe close. `forget_parent_ends` closes them in the child
  (`register_parent_end` records each parent end). It also closes the
  worker's copy of the fork server's "alive" pipe, which multiprocessing
  hands to every process it starts: while a worker holds it, the fork
  server never sees its client die, so it outlives the caller, and so do
  its workers;
- on Linux, the kernel's parent-death signal (``prctl(PR_SET_PDEATHSIG)``),
  which kills the worker even if it is stuck in a long computation;
- everywhere, a watchdog thread that polls the parent process id: when the
  parent dies the worker is re-parented, and the watchdog ends it.
"""

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import weakref

__all__ = ["register_parent_end", "forget_parent_ends", "die_with_parent",
           "WATCHDOG_PERIOD"]

#: How often (seconds) a worker's watchdog checks that its parent lives.
WATCHDOG_PERIOD = 0.5

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

# The parent ends of worker pipes held by this process (weakly, so that a
# closed pool's connections can go).
_PARENT_ENDS = weakref.WeakSet()


def register_parent_end(conn):
    """Record a connection that a forked worker must close at once.

    Examples
    --------
    >>> import multiprocessing
    >>> a, b = multiprocessing.Pipe()
    >>> register_parent_end(a)
    >>> a in _PARENT_ENDS
    True
    >>> a.close(); b.close()
    """
    _PARENT_ENDS.add(conn)


def forget_parent_ends():
    """Close, in a forked worker, the parent's ends of all worker pipes.

    Examples
    --------
    The first thing a forked worker does (never call it in the parent: it
    would close the parent's live pipes):

    >>> import multiprocessing
    >>> context = multiprocessing.get_context("fork")
    >>> worker = context.Process(target=forget_parent_ends)
    >>> worker.start(); worker.join(); worker.exitcode
    0
    """
    for conn in list(_PARENT_ENDS):
        try:
            conn.close()
        except OSError:
            pass
    _PARENT_ENDS.clear()
    _release_fork_server()


def _release_fork_server():
    """Close this process's copy of the fork server's "alive" pipe.

    multiprocessing gives it to every process the fork server starts (and a
    forked child inherits it), so that they may start processes through the
    same server; workers never do, and the server must be free to exit when
    the program that started it dies. The attribute is private to
    multiprocessing, hence the guarded access.
    """
    try:
        from multiprocessing import forkserver
        server = forkserver._forkserver
        fd = server._forkserver_alive_fd
    except (ImportError, AttributeError):
        return
    if fd is None:
        return
    try:
        os.close(fd)
    except OSError:
        pass
    server._forkserver_alive_fd = None


def _set_parent_death_signal():
    """Ask Linux to SIGKILL this process when its parent thread exits."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid):
    event = threading.Event()
    while not event.wait(WATCHDOG_PERIOD):
        if os.getppid() != parent_pid:
            os._exit(70)  # the parent is gone: nothing can receive our work


def die_with_parent(parent_pid=None, use_signal=True):
    """Make this (worker) process end when its parent process ends.

    Parameters
    ----------
    parent_pid : int, optional
        The process id of the parent, as the parent gave it before starting
        this process (then a parent that died before this call is noticed);
        by default the current parent (a fork server, for instance).
    use_signal : bool
        Also use Linux's parent-death signal. It fires when the *thread*
        that started the process exits, so it is right only when that
        thread lives as long as the parent process (its main thread, or a
        fork server's).

    Examples
    --------
    The first thing a worker process does:

    >>> import multiprocessing, os
    >>> context = multiprocessing.get_context("fork")
    >>> worker = context.Process(target=die_with_parent, args=(os.getpid(),))
    >>> worker.start(); worker.join(); worker.exitcode
    0
    """
    if parent_pid is None:
        parent_pid = os.getppid()
    if use_signal:
        _set_parent_death_signal()
    # The parent may have died before the signal was set up.
    if os.getppid() != parent_pid:
        os._exit(70)
    threading.Thread(target=_watch, args=(parent_pid,), name="imphot-parent-watchdog",
                     daemon=True).start()
