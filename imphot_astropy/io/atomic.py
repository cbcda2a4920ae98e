"""Writing output files so that nothing is ever half written or replaced.

Every output of the package goes through `atomic_output`: the file is
written under a temporary name in its final directory and renamed when
complete, so a reader never sees half a file, a failure leaves nothing
behind, and the file gets the permissions of any new file (the umask).
Output names are checked before any work starts (`check_output_path`, and
`check_run_outputs` for all the outputs of one run at once): an output
never replaces an input, nor another output of the same run, and a
directory that does not exist or cannot be written is reported up front.
"""

import contextlib
import os
import secrets
import shutil
import stat
import tempfile
from pathlib import Path

from ..exceptions import UserError

__all__ = ["write_fits_atomically", "check_output_path", "check_run_outputs",
           "atomic_output", "atomic_directory", "same_file", "cache_directory"]


def same_file(a, b):
    """True if two names are, or would be, the same file.

    Examples
    --------
    >>> same_file("a.fits", "./a.fits"), same_file("a.fits", "b.fits")
    (True, False)
    """
    a, b = Path(a), Path(b)
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)  # hard links, bind mounts
    except OSError:
        return False


def _new_file_mode(directory):
    """The permission bits a new file gets in ``directory`` (``0o666`` less the umask).

    The umask is read without being changed: ``os.umask`` can only read it
    by setting it, and setting it (even back again at once) is a race with
    the other threads of the process, whose files created in between would
    get the wrong permissions. Linux (since 4.7) states it in the ``Umask:``
    line of ``/proc/self/status``. Where there is no such line (macOS, BSD,
    older kernels), a probe file created in ``directory`` with mode
    ``0o666`` shows the permissions the system gives a new file there: the
    same bits, and with a default ACL on the directory, the ones the ACL
    asks for.
    """
    umask = _umask_from_proc()
    if umask is not None:
        return 0o666 & ~umask
    return _probe_new_file_mode(directory)


def _umask_from_proc():
    """The process umask from /proc/self/status, or None where it is not there."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split(":", 1)[1].strip(), 8)
    except (OSError, ValueError):
        pass
    return None


def _probe_new_file_mode(directory):
    """Create an empty file with mode 0o666 in ``directory``; return its mode."""
    for _ in range(100):
        probe = os.path.join(directory, f".imphot-mode.{secrets.token_hex(8)}")
        try:
            fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        try:
            return stat.S_IMODE(os.fstat(fd).st_mode) & 0o666
        finally:
            os.close(fd)
            _remove(probe)
    raise FileExistsError(f"no free probe file name in {directory}")


def _probe_directory(directory, path, argname):
    """Refuse a directory this process cannot create files in."""
    # Create (and remove) an empty file, as the write will: os.access does
    # not see a read-only file system for root, nor does a permission test.
    try:
        fd, probe = tempfile.mkstemp(prefix=".imphot-probe.", dir=directory)
    except OSError as exc:
        raise UserError(f"{argname}: cannot write {path} ({exc.strerror})") from None
    os.close(fd)
    os.unlink(probe)


def check_output_path(path, inputs=(), argname="output"):
    """Check, before any work, that an output file can be written.

    Parameters
    ----------
    path : str or `os.PathLike`
        The output file name.
    inputs : iterable of str or None
        The names of the files that were read (None entries are ignored).
    argname : str
        The name of the argument to quote in the error message.

    Raises
    ------
    UserError
        If ``path`` is one of ``inputs``, is a directory, or its directory
        does not exist or cannot be written (no permission, a read-only
        file system).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> check_output_path(os.path.join(d, "out.fits"), inputs=["in.fits"])
    >>> check_output_path(d)
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: output: ... is a directory, not a file name
    """
    if path is None:
        raise UserError(f"{argname}: expected a file name, not None")
    target = Path(path)
    for name in inputs:
        if isinstance(name, (str, os.PathLike)) and same_file(target, name):
            raise UserError(f"{argname}: {path} is an input file; refusing to "
                            "overwrite it")
    if target.is_dir():
        raise UserError(f"{argname}: {path} is a directory, not a file name")
    directory = target.resolve().parent
    if not directory.is_dir():
        raise UserError(f"{argname}: the directory of {path} does not exist")
    _probe_directory(directory, path, argname)


def check_run_outputs(outputs, inputs=()):
    """Check all the outputs of one run together, before any work starts.

    Each output must pass `check_output_path`, and no two outputs may be
    the same file (the second would silently replace the first).

    Parameters
    ----------
    outputs : iterable of (str, path)
        The argument name that asks for each output, and the output's name.
    inputs : iterable of str or None
        Every input file of the run.

    Raises
    ------
    UserError
        Naming the argument(s) and the file.

    Examples
    --------
    >>> check_run_outputs([("--apply", "a_aligned.fits"), ("--apply", "b_aligned.fits")],
    ...                   inputs=["a.fits", "b.fits"])
    >>> check_run_outputs([("--output", "x.fits"), ("--table", "./x.fits")])
    Traceback (most recent call last):
    ...
    imphot_astropy.exceptions.UserError: --table: ./x.fits would also be written by --output (x.fits); ...
    """
    inputs = [name for name in inputs if name is not None]
    seen = []
    for argname, path in outputs:
        check_output_path(path, inputs, argname)
        for other_argname, other in seen:
            if same_file(path, other):
                raise UserError(f"{argname}: {path} would also be written by "
                                f"{other_argname} ({other}); give each output its "
                                "own name")
        seen.append((argname, path))


@contextlib.contextmanager
def atomic_output(path, inputs=(), argname="output"):
    """Write a file under a temporary name; rename it when complete.

    Yields the temporary file name, in the final directory. When the block
    ends normally, the file gets the permissions of an ordinary new file
    (``0o666`` less the umask) and replaces ``path``; when it raises, the
    temporary file is removed and ``path`` is left as it was. An `OSError`
    (disk full, read-only file system...) becomes a `UserError` naming
    ``path``.

    Parameters
    ----------
    path : str or `os.PathLike`
        The final file name.
    inputs : iterable of str
        Input file names that must not be replaced.
    argname : str
        The argument name to quote in error messages.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with atomic_output(os.path.join(d, "x.txt")) as tmpname:
    ...     with open(tmpname, "w") as f:
    ...         _ = f.write("done")
    >>> os.listdir(d)
    ['x.txt']
    """
    check_output_path(path, inputs, argname)
    path = Path(path)
    try:
        fd, tmpname = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp",
                                       dir=path.resolve().parent)
    except OSError as exc:
        raise UserError(f"{argname}: cannot write {path} ({exc.strerror})") from None
    os.close(fd)
    try:
        yield tmpname
        # mkstemp creates the file readable by its owner only.
        os.chmod(tmpname, _new_file_mode(os.path.dirname(tmpname)))
        os.replace(tmpname, path)
    except OSError as exc:
        _remove(tmpname)
        reason = exc.strerror or str(exc)
        raise UserError(f"{argname}: could not write {path} ({reason}); nothing was "
                        "written") from exc
    except BaseException:
        _remove(tmpname)
        raise


@contextlib.contextmanager
def atomic_directory(path, argname="output_dir"):
    """Build a directory of outputs under a hidden name; put it in place when complete.

    Yields a new empty directory beside ``path``, made with the permissions
    of any new directory (``0o777`` less the umask). When the block ends
    normally it becomes ``path``: an existing ``path`` is first renamed
    aside, then removed once the new directory is in place (so a reader
    sees the old directory or the new one, never a mixture). When the block
    raises, the new directory is removed and ``path`` is left as it was.
    Whether an existing ``path`` may be replaced is the caller's decision,
    made before. The files inside are written with `atomic_output` as any
    other. An `OSError` becomes a `UserError` naming ``path``.

    Parameters
    ----------
    path : str or `os.PathLike`
        The final directory.
    argname : str
        The argument name to quote in error messages.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with atomic_directory(os.path.join(d, "report")) as building:
    ...     with atomic_output(os.path.join(building, "index.html")) as tmpname:
    ...         with open(tmpname, "w") as f:
    ...             _ = f.write("<html></html>")
    >>> os.listdir(d), os.listdir(os.path.join(d, "report"))
    (['report'], ['index.html'])
    """
    path = Path(path).absolute()
    building = _new_sibling(path, "new", argname)
    try:
        yield str(building)
        _swap_in(building, path)
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise UserError(f"{argname}: could not write {path} ({exc.strerror or exc}); "
                        "nothing was written") from exc
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


def cache_directory(path, argname="cache_dir"):
    """Make a cache directory (and its parents) if missing; return its path.

    A cache is kept between runs, so it is made in place rather than built
    aside as `atomic_directory` builds outputs; the files put in it are
    written with `atomic_output`, so a reader never finds half a file there.

    Parameters
    ----------
    path : str or `os.PathLike`
        The directory.
    argname : str
        The argument name to quote in error messages.

    Returns
    -------
    path : str

    Raises
    ------
    UserError
        If ``path`` is a file, or cannot be made or written (probed as
        `check_output_path` probes a directory: by creating a file).

    Examples
    --------
    >>> import os, tempfile
    >>> d = cache_directory(os.path.join(tempfile.mkdtemp(), "cache", "hst"))
    >>> os.path.isdir(d)
    True
    """
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise UserError(f"{argname}: {path} exists and is not a directory")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{argname}: could not make the directory {path} "
                        f"({exc.strerror or exc})") from None
    _probe_directory(path, path, argname)
    return path


def _new_sibling(path, kind, argname):
    """A new hidden directory beside ``path`` (mkdir applies the umask to 0o777)."""
    for _ in range(100):
        sibling = path.parent / f".{path.name}.{kind}.{secrets.token_hex(6)}"
        try:
            os.mkdir(sibling, 0o777)
            return sibling
        except FileExistsError:
            continue
        except OSError as exc:
            raise UserError(f"{argname}: cannot write {path} ({exc.strerror})") from None
    raise UserError(f"{argname}: no free temporary name beside {path}")


def _swap_in(building, path):
    """Rename ``building`` to ``path``, moving an existing ``path`` aside first."""
    old = None
    if os.path.lexists(path):
        old = path.parent / f".{path.name}.old.{secrets.token_hex(6)}"
        os.rename(path, old)
    try:
        os.rename(building, path)
    except OSError:
        if old is not None:
            os.rename(old, path)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove(name):
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass


def write_fits_atomically(hdulist, path, inputs=(), argname="output"):
    """Write an HDUList to a temporary file, then rename it to ``path``.

    A reader never sees a partly written file, an interrupted write leaves
    the previous file (if any) in place, and an input file is never replaced
    (see `atomic_output`).

    Parameters
    ----------
    hdulist : `~astropy.io.fits.HDUList`
        What to write.
    path : str or `os.PathLike`
        The final file name.
    inputs : iterable of str
        Input file names that must not be replaced.
    argname : str
        The argument name to quote in error messages.

    Raises
    ------
    UserError
        If ``path`` is an input or cannot be written (the message names it).

    Examples
    --------
    >>> import tempfile, os
    >>> from astropy.io import fits
    >>> d = tempfile.mkdtemp()
    >>> write_fits_atomically(fits.HDUList([fits.PrimaryHDU()]),
    ...                       os.path.join(d, "x.fits"))
    >>> os.listdir(d)
    ['x.fits']
    """
    with atomic_output(path, inputs, argname) as tmpname:
        hdulist.writeto(tmpname, overwrite=True)
