"""Which processes descend from this one, read from /proc (Linux only)."""

import contextlib
import os
import subprocess
import sys
import time

__all__ = ["descendants", "is_service", "wait_until_gone", "state", "batch_parent"]

# The repository, put first on a parent process's path.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def _stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    # The command name is in parentheses and may hold spaces.
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1])  # state, parent pid


def state(pid):
    """The process's state letter (``R``, ``S``, ``T`` when stopped...), or None if gone."""
    try:
        return _stat(pid)[0]
    except (OSError, ValueError):
        return None


def _running(pid):
    try:
        state, _ = _stat(pid)
    except (OSError, ValueError):
        return False
    return state not in ("Z", "X")


def descendants(pid=None):
    """The pids of the live (not zombie) processes that descend from ``pid``."""
    pid = os.getpid() if pid is None else pid
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                state, ppid = _stat(int(entry))
            except (OSError, ValueError):
                continue
            if state not in ("Z", "X"):
                children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def is_service(pid):
    """True for multiprocessing's fork server and resource tracker, which
    live as long as the program by design (they are not workers).

    Both are children of this process; workers forked by the fork server
    share its command line but are its children, not ours.
    """
    try:
        if _stat(pid)[1] != os.getpid():
            return False
    except (OSError, ValueError):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return ("multiprocessing.forkserver" in cmdline
            or "multiprocessing.resource_tracker" in cmdline)


def wait_until_gone(pids, timeout=10.0):
    """Wait for processes to end; return those still running after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        alive = {pid for pid in pids if _running(pid)}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


@contextlib.contextmanager
def batch_parent(script, args):
    """Run ``script`` (a Python file) as a parent process that starts a batch.

    The script prints its workers' pids on its first line. Yields the
    `subprocess.Popen` and the set of worker pids; the parent is killed and
    reaped on leaving, if it still runs.
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [_ROOT] + os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    parent = subprocess.Popen([sys.executable, str(script), *args],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        yield parent, {int(pid) for pid in parent.stdout.readline().split()}
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()
