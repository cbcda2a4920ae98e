"""The work done for one MUSE file, in whichever process or cluster runs it.

Every way of running a batch (local worker processes, a Dask cluster, any
`concurrent.futures.Executor`) sends the same task, `fit_one_file`, so that
a result is computed by the same code whatever runs it. The task never
raises: it returns a `TaskOutcome` that holds either the fitter's result or
the text of the error, so that one bad file never stops the others.
"""

import importlib
import os
import threading
import time
import traceback
from dataclasses import dataclass

from ..exceptions import UserError, WorkerError

__all__ = ["TaskOutcome", "fit_one_file", "function_spec", "resolve_function",
           "limit_blas_threads"]


@dataclass
class TaskOutcome:
    """What a worker reports about one MUSE file.

    Attributes
    ----------
    index : int
        The position of the file in the caller's list.
    filename : str
        The MUSE file.
    result : object
        The fitter's return value, or None after an error.
    message, traceback : str or None
        After an error: a one-line message that names the file, and the
        worker's traceback text.
    pid : int or None
        The process that did the work (None if it died first).
    hst_reads : int
        How many times that process has read an HST image so far.
    seconds : float
        Wall time of the task in the worker, reading the MUSE file included.

    Examples
    --------
    >>> outcome = TaskOutcome(0, "m.fits", message="m.fits: bad", traceback="")
    >>> print(outcome.error())
    m.fits: bad
    <BLANKLINE>
    """

    index: int
    filename: str
    result: object = None
    message: str = None
    traceback: str = None
    pid: int = None
    hst_reads: int = 0
    seconds: float = 0.0

    @property
    def failed(self):
        """True if the file produced an error instead of a result."""
        return self.message is not None

    def error(self):
        """The `~imphot_astropy.exceptions.WorkerError` for a failed file.

        Its ``filename`` names the MUSE file.
        """
        return WorkerError(self.message, self.traceback or "", filename=self.filename)


def function_spec(function):
    """The ``"module:name"`` by which a worker process imports a function.

    Worker processes and cluster workers receive the fitting function by
    name rather than by value, so that it is imported (not unpickled) there
    and so that a fitter that does not exist yet fails per file, cleanly.

    Parameters
    ----------
    function : callable or str
        A module-level function, or a ``"module:name"`` string.

    Returns
    -------
    spec : str

    Examples
    --------
    >>> from imphot_astropy.photometry import fit_image_photometry
    >>> function_spec(fit_image_photometry)
    'imphot_astropy.photometry.image_fit:fit_image_photometry'
    """
    if isinstance(function, str):
        module, sep, name = function.partition(":")
        if not (module and sep and name):
            raise UserError(f"function: expected 'module:name', not {function!r}")
        return function
    # A function of the __main__ script is found there by workers that fork
    # from the caller, and by spawned ones, which import the script as their
    # __main__ (it needs the usual main guard then).
    module = getattr(function, "__module__", None)
    name = getattr(function, "__qualname__", None)
    if not callable(function) or module is None or name is None or "<" in name:
        raise UserError(f"function: {function!r} is not a module-level function that "
                        "worker processes can import")
    return f"{module}:{name}"


def resolve_function(spec):
    """Import the function named by a ``"module:name"`` spec.

    Examples
    --------
    >>> resolve_function("os.path:basename")("/a/b.fits")
    'b.fits'
    """
    module_name, _, name = spec.partition(":")
    obj = importlib.import_module(module_name)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def limit_blas_threads(nthreads=1):
    """Limit BLAS/OpenMP thread pools in this process, if threadpoolctl is present.

    Worker processes already share the cores between them: a BLAS pool of
    several threads in each of them only makes them compete (on a loaded
    2-core machine, a fit ran 4 times slower with 2 OpenBLAS threads than
    with one). The results do not depend on the thread count.

    Returns
    -------
    limited : bool
        False if threadpoolctl is not installed (nothing was changed).

    Examples
    --------
    >>> limit_blas_threads(1) in (True, False)
    True
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(limits=nthreads)
    return True


# The HST image of this process, read once and reused for every MUSE file
# (a worker normally handles many files of one field). Keyed by the file's
# path, size and modification time, so that a file rewritten on disk is
# read again. Dask workers may run tasks in several threads: hence the lock.
_HST_CACHE = {}
_HST_LOCK = threading.Lock()
_HST_READS = 0


def _cached_hst(hst_filename):
    global _HST_READS
    from ..io import read_image
    try:
        stat = os.stat(hst_filename)
    except OSError:
        # Let read_image raise its UserError that names the file.
        return read_image(hst_filename, "hst")
    key = (os.path.abspath(hst_filename), stat.st_size, stat.st_mtime_ns)
    with _HST_LOCK:
        image = _HST_CACHE.get(key)
        if image is None:
            image = read_image(hst_filename, "hst")
            _HST_CACHE.clear()
            _HST_CACHE[key] = image
            _HST_READS += 1
        return image


def hst_reads():
    """How many times this process has read an HST file for a task."""
    return _HST_READS


def _error_message(filename, exc):
    if isinstance(exc, UserError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    if str(filename) not in text:
        text = f"{filename}: {text}"
    return text


def fit_one_file(spec, hst_filename, muse_filename, kwargs, index=0):
    """Fit one MUSE file with the fitter named by ``spec``; never raises.

    The HST image is read once per process (see above) and handed to the
    fitter as an `~imphot_astropy.io.ImageData`; the fitter copies it, so the
    numbers are those of a direct call with the HST file name.

    Parameters
    ----------
    spec : str
        ``"module:name"`` of the fitting function, called as
        ``function(hst, muse_filename, **kwargs)``.
    hst_filename, muse_filename : str
        The input files (``hst_filename`` None: the fitter gets None and
        reads its own HST images).
    kwargs : dict
        Keyword arguments of the fitter.
    index : int
        The file's position in the caller's list, passed back.

    Returns
    -------
    outcome : `TaskOutcome`

    Examples
    --------
    >>> out = fit_one_file("imphot_astropy.photometry:fit_image_photometry",
    ...                    "no-such-hst.fits", "no-such-muse.fits", {})
    >>> out.failed, out.message
    (True, 'no-such-muse.fits: hst: the file no-such-hst.fits does not exist')
    """
    start = time.perf_counter()
    result = message = text = None
    try:
        function = resolve_function(spec)
        # None: the fitter reads its own HST images (a cube in several bands).
        hst = None if hst_filename is None else _cached_hst(hst_filename)
        result = function(hst, muse_filename, **kwargs)
    except Exception as exc:  # reported per file, never raised: see module doc
        message = _error_message(muse_filename, exc)
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return TaskOutcome(index=index, filename=str(muse_filename), result=result,
                       message=message, traceback=text, pid=os.getpid(),
                       hst_reads=_HST_READS, seconds=time.perf_counter() - start)
