"""Running the same tasks on a Dask cluster or any `concurrent.futures.Executor`.

Both send `~imphot_astropy.batch.tasks.fit_one_file`, the task the local
worker processes run, so the numbers are the same. A worker process of the
cluster keeps the HST image it read between tasks (see
`~imphot_astropy.batch.tasks`), so that it reads it once, not once per file.
Dask is an optional dependency, imported only when a client is given.
"""

import concurrent.futures
import traceback
import uuid

from .tasks import TaskOutcome, fit_one_file

__all__ = ["DaskPool", "ExecutorPool"]


def _failed_outcome(index, filename, exc, what):
    return TaskOutcome(
        index=index, filename=filename,
        message=f"{filename}: {what} ({type(exc).__name__}: {exc})",
        traceback="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


class _FuturesPool:
    """What the Dask and Executor pools share: a future per file, as completed."""

    def __init__(self, spec, hst_filename, muse_filenames, kwargs):
        self._files = {}
        self.closed = False
        self._submit_all(spec, str(hst_filename), [str(m) for m in muse_filenames],
                         dict(kwargs))

    def __iter__(self):
        return self

    def __next__(self):
        if self.closed:
            raise StopIteration
        try:
            future = next(self._completed)
        except StopIteration:
            self.close()
            raise
        except BaseException:
            self.close()
            raise
        index, filename = self._files.pop(future)
        try:
            outcome = future.result()
        except Exception as exc:
            # The task itself never raises, so this is the machinery: a killed
            # worker (Dask's KilledWorker, BrokenProcessPool), a cancellation...
            outcome = _failed_outcome(index, filename, exc,
                                      "the task failed in the cluster or executor")
        self._release(future)
        return outcome

    def _release(self, future):
        pass


class ExecutorPool(_FuturesPool):
    """Fit MUSE files on any `concurrent.futures.Executor`.

    For example a `~concurrent.futures.ProcessPoolExecutor`, or a Dask
    ``client.get_executor()``. The executor belongs to the caller: closing
    the pool cancels the files not yet started and leaves the executor
    running. With a ProcessPoolExecutor, a killed worker breaks the whole
    executor, and every file not yet fitted is reported as failed.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(1) as ex:
    ...     pool = ExecutorPool(ex, "imphot_astropy.photometry:fit_image_photometry",
    ...                         "no-hst.fits", ["a.fits"], {})
    ...     print(next(pool).message)
    a.fits: hst: the file no-hst.fits does not exist
    """

    def __init__(self, executor, spec, hst_filename, muse_filenames, kwargs):
        self._executor = executor
        super().__init__(spec, hst_filename, muse_filenames, kwargs)

    def _submit_all(self, spec, hst_filename, muse_filenames, kwargs):
        for index, filename in enumerate(muse_filenames):
            future = self._executor.submit(fit_one_file, spec, hst_filename, filename,
                                           kwargs, index)
            self._files[future] = (index, filename)
        self._completed = concurrent.futures.as_completed(list(self._files))

    def close(self):
        """Cancel the files not started yet (the executor keeps running)."""
        if self.closed:
            return
        self.closed = True
        for future in self._files:
            future.cancel()
        self._files.clear()


class DaskPool(_FuturesPool):
    """Fit MUSE files on a Dask distributed cluster.

    Parameters
    ----------
    client : ``distributed.Client``
        A client of the cluster. Its workers must be able to import
        imphot_astropy and read the files by the names given.
    spec, hst_filename, muse_filenames, kwargs
        As for `~imphot_astropy.batch.local.LocalProcessPool`.

    Notes
    -----
    Closing the pool cancels the files not yet fitted; the cluster and the
    client belong to the caller and keep running. Dask retries a task whose
    worker died (up to its ``allowed-failures``), then reports
    ``KilledWorker``, which becomes a `~imphot_astropy.exceptions.WorkerError`.
    The iterators use this class when given a ``client``; the test suite
    runs it on a ``LocalCluster``.

    Examples
    --------
    Not run here, as it needs a cluster (and the optional ``distributed``):

    >>> from distributed import Client  # doctest: +SKIP
    >>> client = Client("tcp://scheduler:8786")  # doctest: +SKIP
    >>> pool = DaskPool(client, "imphot_astropy.photometry:fit_image_photometry",
    ...                 "/data/hst.fits", ["/data/muse1.fits"], {})  # doctest: +SKIP
    >>> [outcome.filename for outcome in pool]  # doctest: +SKIP
    ['/data/muse1.fits']
    """

    def __init__(self, client, spec, hst_filename, muse_filenames, kwargs):
        self._client = client
        super().__init__(spec, hst_filename, muse_filenames, kwargs)

    def _submit_all(self, spec, hst_filename, muse_filenames, kwargs):
        from distributed import as_completed
        batch = uuid.uuid4().hex[:12]
        for index, filename in enumerate(muse_filenames):
            future = self._client.submit(fit_one_file, spec, hst_filename, filename,
                                         kwargs, index, pure=False,
                                         key=f"imphot-fit-{batch}-{index}")
            self._files[future] = (index, filename)
        self._completed = as_completed(list(self._files))

    def _release(self, future):
        future.release()

    def close(self):
        """Cancel the files not fitted yet (the cluster keeps running)."""
        if self.closed:
            return
        self.closed = True
        pending = list(self._files)
        self._files.clear()
        if pending:
            try:
                self._client.cancel(pending)
            except Exception:  # a client that is already closed
                pass
