"""The fit_cube_photometry command on a Dask cluster (--scheduler): the same
rows and OFFSET_LIST as a local run, and the true offsets.

Skipped without the optional ``distributed`` package. The cluster is a
``LocalCluster`` in this process (threads, no worker processes, so that
the test starts in a second): what it checks is the command's path to a
scheduler by address, the tasks it submits and what it does with their
results; the pickling of the tasks and results across processes is what
the local worker processes of the other command tests exercise.
"""

import os
import warnings

import numpy as np
import pytest
from astropy.table import Table

from imphot_astropy.datasets import make_exposure_cube, write_exposure_cube, random_sky
from imphot_astropy.scripts.fit_cube_photometry import main

distributed = pytest.importorskip(
    "distributed", reason="Dask distributed is not installed (optional: "
    "pip install 'imphot_astropy[dask]'); the --scheduler path cannot run")

BANDS = ("F775W", "F814W")
SHAPE = (56, 56)
OFFSETS = [(0.05, -0.04), (-0.08, 0.03)]   # (dx, dy) arcsec of each exposure
DATES = ["2014-10-22T03:15:40.123", "2014-10-22T04:20:11.456"]
OPTIONS = ["--fix-beta", "2.5", "--psf-nodes", "1"]


@pytest.fixture(scope="module")
def exposures(tmp_path_factory):
    d = tmp_path_factory.mktemp("dask_survey")
    sky = random_sky(SHAPE, seed=11)       # the same field in both exposures
    cubes, truths = [], []
    for i, ((dx, dy), date) in enumerate(zip(OFFSETS, DATES)):
        cube, hst, truth = make_exposure_cube(shape=SHAPE, nplanes=50, filters=BANDS,
                                              dx=dx, dy=dy, seed=20 + i, date_obs=date,
                                              sources=sky)
        path = str(d / f"exposure{i}.fits")
        write_exposure_cube(cube, path)
        cubes.append(path)
        truths.append((truth, cube.wcs.celestial))
    hst_args = []
    for band in BANDS:
        path = str(d / f"hst_{band}.fits")
        hst[band].write(path)
        hst_args += ["--hst", f"{band}={path}"]
    return d, cubes, hst_args, truths


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _run(args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return main(args)


def _sorted(table):
    table = table.copy()
    table.sort(["name", "method", "filter"])
    return table


def _expected_sky_offsets(truth, wcs):
    """(RA, Dec) offsets (deg) the pipeline must subtract, from the true (dx, dy).

    MUSE sees a source ``(dx, dy)`` arcsec (along its pixel axes) from
    where its WCS puts it, so the exposure's world coordinates are off by
    the world-coordinate step of that pixel offset.
    """
    ny, nx = SHAPE
    x0, y0 = (nx - 1) / 2, (ny - 1) / 2
    scale = 0.2
    ra0, dec0 = wcs.pixel_to_world_values(x0, y0)
    ra1, dec1 = wcs.pixel_to_world_values(x0 + truth["dx"] / scale, y0 + truth["dy"] / scale)
    return float(ra1 - ra0), float(dec1 - dec0)


def test_scheduler_run_equals_local_run_and_truth(exposures, scheduler, monkeypatch):
    d, cubes, hst_args, truths = exposures
    local_table, local_offsets = str(d / "local.ecsv"), str(d / "local_OFFSET_LIST.fits")
    dask_table, dask_offsets = str(d / "dask.ecsv"), str(d / "dask_OFFSET_LIST.fits")
    assert _run(cubes + hst_args + OPTIONS + ["--table", local_table, "--offset-list",
                                              local_offsets, "--nprocess", "1"]) == 0
    # File names relative to the working directory, as users type them (the
    # command sends the workers absolute ones).
    monkeypatch.chdir(d)
    relative = [os.path.basename(c) for c in cubes]
    relative_hst = [a if a == "--hst" else a.replace(f"{d}{os.sep}", "") for a in hst_args]
    assert _run(relative + relative_hst + OPTIONS
                + ["--table", "dask.ecsv", "--offset-list", "dask_OFFSET_LIST.fits",
                   "--scheduler", scheduler]) == 0

    # The same rows with the same numbers (completion order may differ).
    local, remote = _sorted(Table.read(local_table)), _sorted(Table.read(dask_table))
    assert len(remote) == 2 * 2 * len(BANDS)       # cubes x (band + joint) x bands
    _assert_same_table(remote, local)

    local_list, remote_list = Table.read(local_offsets), Table.read(dask_offsets)
    local_list.sort("DATE_OBS")
    remote_list.sort("DATE_OBS")
    assert [s.strip() for s in remote_list["DATE_OBS"]] == DATES
    for column in ("MJD_OBS", "RA_OFFSET", "DEC_OFFSET"):
        np.testing.assert_array_equal(remote_list[column], local_list[column])

    # And the truth, to 3 mas (the survey's truth tests' tolerance): the
    # joint offsets in the table, and the OFFSET_LIST's signs and sizes.
    for i, (truth, wcs) in enumerate(truths):
        joint = remote[(remote["name"] == f"exposure{i}") & (remote["method"] == "joint")]
        assert len(joint) == len(BANDS)
        assert np.all(np.abs(joint["dx"] - truth["dx"]) < 0.003), (joint["dx"], truth["dx"])
        assert np.all(np.abs(joint["dy"] - truth["dy"]) < 0.003), (joint["dy"], truth["dy"])
        row = remote_list[i]
        assert row["MJD_OBS"] == pytest.approx(truth["mjd_obs"])
        dra, ddec = _expected_sky_offsets(truth, wcs)
        cos_dec = np.cos(np.deg2rad(wcs.wcs.crval[1]))
        assert abs(row["RA_OFFSET"] - dra) * cos_dec * 3600 < 0.003, (row["RA_OFFSET"], dra)
        assert abs(row["DEC_OFFSET"] - ddec) * 3600 < 0.003, (row["DEC_OFFSET"], ddec)


def _assert_same_table(remote, local):
    """The same columns with the same values, bit for bit."""
    assert remote.colnames == local.colnames
    for name in local.colnames:
        if local[name].dtype.kind == "f":
            np.testing.assert_array_equal(remote[name], local[name], err_msg=name)
        else:
            assert list(remote[name]) == list(local[name]), name


def test_fit_photometry_on_the_scheduler_equals_local(tmp_path, scheduler):
    """The image command's --scheduler too: the same table as local workers."""
    from imphot_astropy.batch.tests.helpers import write_synthetic_field
    from imphot_astropy.scripts.fit_photometry import main as fit_photometry

    hst, muses, _ = write_synthetic_field(str(tmp_path), 2, shape=(48, 48), seed=9)
    local, remote = str(tmp_path / "local.ecsv"), str(tmp_path / "dask.ecsv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fit_photometry([hst] + muses + ["--nprocess", "1", "--table", local]) == 0
        assert fit_photometry([hst] + muses + ["--scheduler", scheduler,
                                               "--table", remote]) == 0
    local, remote = Table.read(local), Table.read(remote)
    local.sort(["name", "method"])
    remote.sort(["name", "method"])
    assert list(remote["name"]) == ["muse00", "muse01"]
    _assert_same_table(remote, local)
