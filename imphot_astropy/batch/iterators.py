"""Iterators that fit many MUSE exposures at once: images against one HST
image, or exposure cubes against HST images in several bands."""

import inspect
import os

from ..exceptions import UserError
from .local import LocalProcessPool, checked_timeout
from .remote import DaskPool, ExecutorPool
from .tasks import function_spec, resolve_function

__all__ = ["FitPhotometryMP", "FitImagePhotometryMP", "FitStarPhotometryMP",
           "FitImageAndStarPhotometryMP", "FitCubePhotometryMP"]

# The fitters are named, not imported: worker processes and cluster workers
# import them by these names (see tasks.function_spec).
_FIT_IMAGE_SPEC = "imphot_astropy.photometry.image_fit:fit_image_photometry"
_FIT_STAR_SPEC = "imphot_astropy.photometry.star_fit:fit_star_photometry"
_FIT_BOTH_SPEC = "imphot_astropy.photometry.combined:fit_image_and_star_photometry"
_FIT_CUBE_SPEC = "imphot_astropy.survey.cube_fit:fit_cube_file"


def _checked_filenames(muse_filenames, argname="muse_filenames"):
    if isinstance(muse_filenames, (str, bytes, os.PathLike)):
        raise UserError(f"{argname}: expected a list of file names, not a single "
                        f"name ({muse_filenames!r})")
    try:
        names = [os.fspath(name) for name in muse_filenames]
    except TypeError:
        raise UserError(f"{argname}: expected a list of file names, not "
                        f"{muse_filenames!r}") from None
    return [str(name) for name in names]


def _checked_runner(client, executor, timeout):
    """The per-file time limit, checked against where the work runs."""
    if client is not None and executor is not None:
        raise UserError("client, executor: give one or the other, not both")
    timeout = checked_timeout(timeout)
    if timeout is not None and (client is not None or executor is not None):
        # A cluster's or an executor's workers are not ours to kill.
        raise UserError("timeout: only for local worker processes, not with "
                        "client or executor")
    return timeout


def _checked_kwargs(kwargs, function, spec):
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict):
        raise UserError(f"kwargs: expected a dict of keyword arguments, not "
                        f"{type(kwargs).__name__}")
    parameters = inspect.signature(function).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(kwargs)
    positional = list(parameters)[:2]  # the hst and muse images
    name = spec.partition(":")[2]
    for key in kwargs:
        if key in positional or key not in parameters:
            raise UserError(f"kwargs: {key!r} is not a keyword argument of {name}()")
    return dict(kwargs)


class FitPhotometryMP:
    """Fit many MUSE files with one fitting function, in parallel.

    An iterator that yields, for each MUSE file and as soon as it is done,
    ``function(hst, muse_filename, **kwargs)``, or a
    `~imphot_astropy.exceptions.WorkerError` if that file failed (its
    ``filename`` attribute and message name the file). Results come in the
    order they complete; each one says which file it is for (its
    ``filename``). One bad file never stops the others. It is also a context
    manager: leaving the ``with`` block, early or by an exception, stops
    every worker. It stops them too when exhausted, on Ctrl-C, or when
    garbage-collected.

    The fitting runs in worker processes on this machine (``nworker``), on a
    Dask cluster (``client``) or on any `concurrent.futures.Executor`
    (``executor``). Each worker process reads the HST image once. Results are
    identical, bit for bit, to those of direct calls, whatever runs them.

    Parameters
    ----------
    function : callable or str
        A module-level fitting function, called as
        ``function(hst, muse, **kwargs)``, or its ``"module:name"``.
    hst_filename : str or None
        A FITS file of the HST image on the MUSE images' pixel grid, or None
        for a function that reads its own (it is then called with None).
    muse_filenames : list of str
        The MUSE images' FITS files.
    kwargs : dict, optional
        Keyword arguments of ``function``.
    nworker : int
        For local workers: how many processes. 0 (default) starts one per
        available core; -n all but n (at least one). Never more than there
        are files.
    client : ``distributed.Client``, optional
        Run on this Dask cluster instead (needs the optional ``distributed``
        package). ``nworker`` is then ignored, and there is no per-file
        ``timeout``: the cluster's workers are not the batch's to kill.
    executor : `concurrent.futures.Executor`, optional
        Run on this executor instead. ``nworker`` is then ignored.
    mp_context : multiprocessing context, optional
        How local workers are started. By default they are forked from the
        caller if it runs a single Python thread (fastest, and as the
        reference tool did), else from a clean ``forkserver`` process
        (forking a program with other threads, a Dask client's for one, can
        deadlock), else spawned. Workers started the latter two ways import
        the main module: a script then needs the usual
        ``if __name__ == "__main__":`` guard (notebooks need nothing).
    timeout : float, optional
        For local workers: the seconds a worker may spend on one file. A
        file that takes longer yields a
        `~imphot_astropy.exceptions.WorkerError` naming it; its worker is
        killed (a stopped or hung one too) and replaced, and the batch goes
        on. None (default): no limit. Local workers always die with this
        process, however it ends.

    Attributes
    ----------
    hst_filename : str or None
    muse_filenames : list of str
    worker_stats : dict
        For each worker process id that returned a result: ``files`` (how
        many files it fitted), ``hst_reads`` (how many times it read the HST
        file) and ``seconds`` (its time in the tasks).

    Raises
    ------
    UserError
        If the HST file does not exist, ``muse_filenames`` is not a list of
        names, ``kwargs`` holds a keyword the function does not take,
        both ``client`` and ``executor`` are given, or ``timeout`` is not a
        positive number or is given with ``client`` or ``executor``.

    Examples
    --------
    A file that cannot be fitted gives an error, and the others their
    results:

    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> d = tempfile.mkdtemp()
    >>> hst, muse, truth = make_synthetic_pair(shape=(48, 48), seed=5)
    >>> hst.write(os.path.join(d, "hst.fits"))
    >>> muse.write(os.path.join(d, "good.fits"))
    >>> with open(os.path.join(d, "bad.fits"), "w") as f:
    ...     _ = f.write("not FITS")
    >>> files = [os.path.join(d, name) for name in ("good.fits", "bad.fits")]
    >>> with FitPhotometryMP("imphot_astropy.photometry:fit_image_photometry",
    ...                      os.path.join(d, "hst.fits"), files, nworker=2) as fits:
    ...     items = sorted(fits, key=lambda item: item.filename)
    >>> type(items[0]).__name__, os.path.basename(items[0].filename)
    ('WorkerError', 'bad.fits')
    >>> round(items[1].scale.value, 1)
    1.2

    On a Dask cluster, pass ``client=distributed.Client(...)`` instead of
    ``nworker``.
    """

    # Whether the fitter needs the HST file (the image fitters) or may read
    # its own inputs (hst_filename None).
    _needs_hst_file = False

    def __init__(self, function, hst_filename, muse_filenames, kwargs=None, nworker=0,
                 client=None, executor=None, mp_context=None, timeout=None):
        if hst_filename is None and self._needs_hst_file:
            raise UserError("hst_filename: expected the HST image's file, not None")
        spec = function_spec(function)
        timeout = _checked_runner(client, executor, timeout)
        fitter = resolve_function(spec)
        self.hst_filename = None if hst_filename is None else str(os.fspath(hst_filename))
        if self.hst_filename is not None and not os.path.isfile(self.hst_filename):
            raise UserError(f"hst_filename: the file {self.hst_filename} does not exist")
        self.muse_filenames = _checked_filenames(muse_filenames)
        self.kwargs = _checked_kwargs(kwargs, fitter, spec)
        self._start(spec, nworker, client, executor, mp_context, timeout)

    def _start(self, spec, nworker, client, executor, mp_context, timeout):
        """Start the pool that fits ``self.muse_filenames``."""
        self.function = spec
        self.worker_stats = {}
        args = (spec, self.hst_filename, self.muse_filenames, self.kwargs)
        if client is not None:
            self._pool = DaskPool(client, *args)
        elif executor is not None:
            self._pool = ExecutorPool(executor, *args)
        else:
            self._pool = LocalProcessPool(*args, nworker=nworker, mp_context=mp_context,
                                          timeout=timeout)

    def __len__(self):
        return len(self.muse_filenames)

    def __iter__(self):
        return self

    def __next__(self):
        """The next result, or `~imphot_astropy.exceptions.WorkerError`, as it completes."""
        outcome = next(self._pool)
        if outcome.pid is not None:
            stats = self.worker_stats.setdefault(
                outcome.pid, {"files": 0, "hst_reads": 0, "seconds": 0.0})
            stats["files"] += 1
            stats["hst_reads"] = max(stats["hst_reads"], outcome.hst_reads)
            stats["seconds"] += outcome.seconds
        if outcome.failed:
            return outcome.error()
        return outcome.result

    #: The name of ``__next__`` in the reference API.
    next = __next__

    @property
    def worker_pids(self):
        """The process ids of the live local workers (empty on a cluster)."""
        return list(getattr(self._pool, "worker_pids", []))

    def close(self):
        """Stop the work: local workers exit or are terminated; cluster tasks
        not yet run are cancelled. Safe to call more than once."""
        self._pool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            try:
                pool.close()
            except Exception:
                pass


class FitImagePhotometryMP(FitPhotometryMP):
    """Call `~imphot_astropy.fit_image_photometry` on many MUSE files in parallel.

    See `FitPhotometryMP` for the behaviour (results as they complete, a
    `~imphot_astropy.exceptions.WorkerError` per failed file, no worker left
    behind) and the ``client``/``executor`` options.

    Parameters
    ----------
    hst_filename : str
        A FITS file of the HST image, on the MUSE images' pixel grid.
    muse_filenames : list of str
        The MUSE images' FITS files.
    kwargs : dict, optional
        Keyword arguments of `~imphot_astropy.fit_image_photometry`.
    nworker : int
        The number of worker processes: 0 (default) for one per core, -n
        for all cores but n.
    client, executor, mp_context : optional
        Run on a Dask cluster or an executor instead, or choose how local
        workers start: see `FitPhotometryMP`.
    timeout : float, optional
        Seconds allowed per file in local workers: see `FitPhotometryMP`.

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> d = tempfile.mkdtemp()
    >>> hst, muse, truth = make_synthetic_pair(shape=(48, 48), seed=2)
    >>> hst.write(os.path.join(d, "hst.fits"))
    >>> for i in range(3):
    ...     muse.write(os.path.join(d, f"muse{i}.fits"))
    >>> files = [os.path.join(d, f"muse{i}.fits") for i in range(3)]
    >>> with FitImagePhotometryMP(os.path.join(d, "hst.fits"), files,
    ...                           {"fix_beta": 2.5}, nworker=2) as fits:
    ...     results = sorted(fits, key=lambda r: r.filename)
    >>> [r.name for r in results]
    ['muse0', 'muse1', 'muse2']
    >>> round(results[0].fwhm.value, 1)
    0.6
    """

    _needs_hst_file = True

    def __init__(self, hst_filename, muse_filenames, kwargs=None, nworker=0, client=None,
                 executor=None, mp_context=None, timeout=None):
        super().__init__(_FIT_IMAGE_SPEC, hst_filename, muse_filenames, kwargs, nworker,
                         client=client, executor=executor, mp_context=mp_context,
                         timeout=timeout)


class FitStarPhotometryMP(FitPhotometryMP):
    """Call `~imphot_astropy.fit_star_photometry` on many MUSE files in parallel.

    See `FitPhotometryMP` for the behaviour and `FitImagePhotometryMP` for
    the parameters. ``kwargs`` must hold ``star=(ra, dec, radius)``.

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> d = tempfile.mkdtemp()
    >>> hst, muse, truth = make_synthetic_pair(shape=(48, 48), seed=2)
    >>> hst.write(os.path.join(d, "hst.fits"))
    >>> muse.write(os.path.join(d, "muse.fits"))
    >>> ra, dec = truth["star_radec"][0]
    >>> with FitStarPhotometryMP(os.path.join(d, "hst.fits"),
    ...                          [os.path.join(d, "muse.fits")],
    ...                          {"star": (ra, dec, 1.5), "fix_beta": 2.5}) as fits:
    ...     (result,) = list(fits)
    >>> result.method, result.name
    ('star', 'muse')
    """

    _needs_hst_file = True

    def __init__(self, hst_filename, muse_filenames, kwargs, nworker=0, client=None,
                 executor=None, mp_context=None, timeout=None):
        if not isinstance(kwargs, dict) or kwargs.get("star") is None:
            raise UserError("kwargs: fit_star_photometry needs star=(ra, dec, radius)")
        super().__init__(_FIT_STAR_SPEC, hst_filename, muse_filenames, kwargs, nworker,
                         client=client, executor=executor, mp_context=mp_context,
                         timeout=timeout)


class FitImageAndStarPhotometryMP(FitPhotometryMP):
    """Call `~imphot_astropy.fit_image_and_star_photometry` on many MUSE files in parallel.

    Each result is the pair (image fit, star fit) of one file. See
    `FitPhotometryMP` for the behaviour and `FitImagePhotometryMP` for the
    parameters. ``kwargs`` must hold ``star=(ra, dec, radius)``.

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_synthetic_pair
    >>> d = tempfile.mkdtemp()
    >>> hst, muse, truth = make_synthetic_pair(shape=(48, 48), seed=2)
    >>> hst.write(os.path.join(d, "hst.fits"))
    >>> muse.write(os.path.join(d, "muse.fits"))
    >>> ra, dec = truth["star_radec"][0]
    >>> with FitImageAndStarPhotometryMP(os.path.join(d, "hst.fits"),
    ...                                  [os.path.join(d, "muse.fits")],
    ...                                  {"star": (ra, dec, 1.5)}) as fits:
    ...     for image_fit, star_fit in fits:
    ...         print(image_fit.method, star_fit.method, star_fit.name)
    image star muse
    """

    _needs_hst_file = True

    def __init__(self, hst_filename, muse_filenames, kwargs, nworker=0, client=None,
                 executor=None, mp_context=None, timeout=None):
        if not isinstance(kwargs, dict) or kwargs.get("star") is None:
            raise UserError("kwargs: fit_image_and_star_photometry needs "
                            "star=(ra, dec, radius)")
        super().__init__(_FIT_BOTH_SPEC, hst_filename, muse_filenames, kwargs, nworker,
                         client=client, executor=executor, mp_context=mp_context,
                         timeout=timeout)


def _checked_hst_images(hst_images):
    """The HST image file of each band: a non-empty dict of existing files."""
    if not isinstance(hst_images, dict) or not hst_images:
        raise UserError("hst_images: expected a dict of band name -> HST image file, "
                        f"not {hst_images!r}")
    checked = {}
    for band, path in hst_images.items():
        try:
            path = str(os.fspath(path))
        except TypeError:
            raise UserError(f"hst_images[{band!r}]: expected a file name, not "
                            f"{type(path).__name__}") from None
        if not os.path.isfile(path):
            raise UserError(f"hst_images[{band!r}]: the file {path} does not exist")
        checked[band] = path
    return checked


def _checked_cube_kwargs(kwargs):
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict):
        raise UserError(f"kwargs: expected a dict of keyword arguments, not "
                        f"{type(kwargs).__name__}")
    for key in ("cube", "hst_images"):
        if key in kwargs:
            raise UserError(f"kwargs: {key!r} is given by the iterator's own arguments")
    return dict(kwargs)


def _absolute_names(kwargs):
    """The keywords with the files they name made absolute (for a cluster's workers,
    which run in other directories)."""
    kwargs = dict(kwargs, hst_images={band: os.path.abspath(path)
                                      for band, path in kwargs["hst_images"].items()})
    if kwargs.get("cache_dir") is not None:
        kwargs["cache_dir"] = os.path.abspath(kwargs["cache_dir"])
    if isinstance(kwargs.get("regions"), str) and os.path.isfile(kwargs["regions"]):
        kwargs["regions"] = os.path.abspath(kwargs["regions"])
    if kwargs.get("filter_curves"):
        # A curve is a file or a filter name.
        kwargs["filter_curves"] = {band: os.path.abspath(c) if os.path.isfile(c) else c
                                   for band, c in kwargs["filter_curves"].items()}
    return kwargs


class FitCubePhotometryMP(FitPhotometryMP):
    """Call `~imphot_astropy.survey.fit_cube_photometry` on many exposure cubes in parallel.

    Each cube is fitted against the same HST images, one per band. The
    behaviour is that of `FitPhotometryMP`: results (each a
    `~imphot_astropy.survey.CubePhotometry`) as they complete, a
    `~imphot_astropy.exceptions.WorkerError` per failed cube, the per-cube
    ``timeout`` of local workers (a cube that overruns costs its worker,
    which is killed and replaced), ``worker_stats``, workers that die with
    this process, and the ``client``/``executor`` options. Each worker
    reads the regridded HST images of a band from ``cache_dir`` if given
    (regridding once per field, not once per cube).

    Parameters
    ----------
    cube_filenames : list of str
        The MUSE exposure cubes' FITS files.
    hst_images : dict
        Band name (for example ``"F775W"``) -> HST image file.
    kwargs : dict, optional
        Keyword arguments of `~imphot_astropy.survey.fit_cube_photometry`
        (besides ``cube`` and ``hst_images``). ``nprocess`` (the threads of
        one cube's band fits) defaults to 1: the worker processes already
        share the cores.
    nworker : int
        The number of worker processes: 0 (default) for one per core, -n
        for all cores but n.
    client, executor, mp_context : optional
        Run on a Dask cluster or an executor instead, or choose how local
        workers start: see `FitPhotometryMP`. On a cluster, the files are
        given to the workers by absolute name.
    timeout : float, optional
        Seconds allowed per cube in local workers: see `FitPhotometryMP`.

    Attributes
    ----------
    cube_filenames : list of str
    hst_images : dict
    worker_stats : dict
        As for `FitPhotometryMP` (``hst_reads`` stays 0: the cube fit reads
        its own HST images).

    Examples
    --------
    >>> import os, tempfile
    >>> from imphot_astropy.datasets import make_exposure_cube, write_exposure_cube
    >>> d = tempfile.mkdtemp()
    >>> cube, hst, truth = make_exposure_cube(shape=(40, 40), nplanes=20,
    ...                                       filters=("F775W",), seed=2)
    >>> write_exposure_cube(cube, os.path.join(d, "cube.fits"))
    >>> hst["F775W"].write(os.path.join(d, "hst.fits"))
    >>> with FitCubePhotometryMP([os.path.join(d, "cube.fits"), os.path.join(d, "no.fits")],
    ...                          {"F775W": os.path.join(d, "hst.fits")},
    ...                          {"fix_beta": 2.5, "psf_nodes": 1}, nworker=2) as fits:
    ...     items = sorted(fits, key=lambda item: item.filename)
    >>> round(items[0].dx.value, 2), type(items[1]).__name__
    (0.06, 'WorkerError')
    """

    # The fitter, by name (a test gives one that misbehaves on purpose).
    _cube_fitter = _FIT_CUBE_SPEC

    def __init__(self, cube_filenames, hst_images, kwargs=None, nworker=0, client=None,
                 executor=None, mp_context=None, timeout=None):
        timeout = _checked_runner(client, executor, timeout)
        self.hst_images = _checked_hst_images(hst_images)
        self.cube_filenames = _checked_filenames(cube_filenames, "cube_filenames")
        kwargs = dict(dict(nprocess=1), **_checked_cube_kwargs(kwargs),
                      hst_images=self.hst_images)
        if client is not None:
            kwargs = _absolute_names(kwargs)
            self.cube_filenames = [os.path.abspath(name) for name in self.cube_filenames]
        # The batch machinery's names: no single HST file, the cubes as the
        # files to fit.
        self.hst_filename = None
        self.muse_filenames = self.cube_filenames
        self.kwargs = kwargs
        self._start(self._cube_fitter, nworker, client, executor, mp_context, timeout)
