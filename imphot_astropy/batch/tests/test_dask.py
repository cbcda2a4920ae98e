"""The same iterators on a Dask distributed cluster (skipped without Dask)."""

import os

import pytest

from imphot_astropy.exceptions import WorkerError
from imphot_astropy.photometry import fit_image_photometry
from imphot_astropy.batch import FitImagePhotometryMP

from .compare import assert_identical

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed "
                                  "(optional: pip install 'imphot_astropy[dask]')")

KWARGS = {"fix_beta": 2.5}


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as dask_client:
            yield dask_client


def test_dask_client_results_identical_and_hst_read_once_per_worker(field, client,
                                                                    corrupt_muse):
    files = field.muses[:5] + [corrupt_muse]
    with FitImagePhotometryMP(field.hst, files, KWARGS, client=client) as fits:
        items = list(fits)
        stats = fits.worker_stats
    errors = [i for i in items if isinstance(i, WorkerError)]
    results = [i for i in items if not isinstance(i, WorkerError)]
    assert len(errors) == 1 and errors[0].filename == corrupt_muse
    assert sorted(r.filename for r in results) == sorted(field.muses[:5])
    for result in results:
        assert_identical(result, fit_image_photometry(field.hst, result.filename, **KWARGS))
    worker_pids = set(client.run(os.getpid).values())
    assert set(stats) <= worker_pids
    assert all(s["hst_reads"] == 1 for s in stats.values()), stats


def test_dask_executor_path_identical(field, client):
    files = field.muses[5:8]
    with FitImagePhotometryMP(field.hst, files, KWARGS,
                              executor=client.get_executor()) as fits:
        results = list(fits)
    assert sorted(r.filename for r in results) == sorted(files)
    for result in results:
        assert_identical(result, fit_image_photometry(field.hst, result.filename, **KWARGS))


def test_closing_early_cancels_the_rest(field, client):
    with FitImagePhotometryMP(field.hst, field.muses, KWARGS, client=client) as fits:
        first = next(fits)
    assert first.filename in field.muses
    assert list(fits) == []
    # The cluster is the caller's: it still works.
    assert client.submit(sum, [1, 2]).result() == 3


def test_dask_image_and_star_pairs_identical(field, client):
    from imphot_astropy.photometry import fit_image_and_star_photometry
    from imphot_astropy.batch import FitImageAndStarPhotometryMP
    ra, dec = field.truths[0]["star_radec"][0]
    kwargs = {"star": (ra, dec, 1.5), "fix_beta": 2.5}
    files = field.muses[:2]
    with FitImageAndStarPhotometryMP(field.hst, files, kwargs, client=client) as fits:
        pairs = list(fits)
    assert sorted(p[0].filename for p in pairs) == sorted(files)
    for pair in pairs:
        assert_identical(pair, fit_image_and_star_photometry(field.hst, pair[0].filename,
                                                             **kwargs))
