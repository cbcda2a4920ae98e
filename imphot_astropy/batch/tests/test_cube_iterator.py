"""FitCubePhotometryMP: exposure cubes in worker processes, with a per-cube time limit.

No mock: a worker stops itself with SIGSTOP on a cube named ``*freeze*``
(as a hung file system leaves a process: it never answers), through the
fitter of `faulty_fitters`, which otherwise is the survey's own. A FIFO
given as a cube is refused at once by the cube reader (it has no size), so
it costs an error without a wait.
"""

import os
import shutil
import signal
import sys
import textwrap
import time
import warnings

import pytest

from imphot_astropy.batch import FitCubePhotometryMP
from imphot_astropy.datasets import make_exposure_cube, random_sky, write_exposure_cube
from imphot_astropy.exceptions import UserError, WorkerError
from imphot_astropy.survey import fit_cube_photometry

from . import processes

BAND = "F775W"
OFFSETS = [(0.05, -0.04), (-0.08, 0.03)]   # the true (dx, dy) of each cube, arcsec
KWARGS = {"fix_beta": 2.5, "psf_nodes": 1}
# The parent: starts a 2-worker batch on two cubes that stop their workers,
# prints the worker pids, then waits to be killed.
PARENT = textwrap.dedent("""
    import sys
    from imphot_astropy.batch.tests.test_cube_iterator import FreezingCubeFits

    if __name__ == "__main__":
        band, hst, *cubes = sys.argv[1:]
        fits = FreezingCubeFits(cubes, {band: hst}, nworker=2)
        print(" ".join(str(pid) for pid in fits.worker_pids), flush=True)
        next(fits)
""")

# Generous for a 40x40x20 cube (about 1 s in a worker), and short enough
# for a test that waits for it once.
TIMEOUT = 15.0


class FreezingCubeFits(FitCubePhotometryMP):
    """The cube iterator with a fitter that stops its worker on ``*freeze*`` cubes."""

    _cube_fitter = "imphot_astropy.batch.tests.faulty_fitters:fit_cube_or_freeze"


@pytest.fixture(scope="module")
def cubes(tmp_path_factory):
    d = tmp_path_factory.mktemp("cubes")
    sky = random_sky((40, 40), seed=7)
    paths = []
    for i, (dx, dy) in enumerate(OFFSETS):
        cube, hst, truth = make_exposure_cube(shape=(40, 40), nplanes=20, filters=(BAND,),
                                              dx=dx, dy=dy, seed=30 + i, sources=sky)
        paths.append(str(d / f"cube{i}.fits"))
        write_exposure_cube(cube, paths[-1])
    hst_path = str(d / "hst.fits")
    hst[BAND].write(hst_path)
    return d, paths, {BAND: hst_path}


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(signal, "SIGSTOP"),
                    reason="needs named pipes and SIGSTOP (POSIX)")
def test_a_stalled_cube_costs_one_error_and_the_others_are_fitted(cubes):
    d, paths, hst_images = cubes
    fifo, stalled = str(d / "fifo.fits"), str(d / "freeze.fits")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    shutil.copy(paths[0], stalled)
    files = [paths[0], stalled, fifo, paths[1]]
    start = time.monotonic()
    with FreezingCubeFits(files, hst_images, KWARGS, nworker=2, timeout=TIMEOUT) as fits:
        items = list(fits)
        stats = dict(fits.worker_stats)
    elapsed = time.monotonic() - start
    errors = sorted((i for i in items if isinstance(i, WorkerError)),
                    key=lambda e: e.filename)
    assert len(items) == 4 and [e.filename for e in errors] == [fifo, stalled]
    assert fifo in errors[0].message
    assert f"time limit (timeout) of {TIMEOUT:g} s" in errors[1].message
    # Killed at the limit, not much later.
    assert TIMEOUT <= elapsed < TIMEOUT + 60
    results = sorted((i for i in items if i not in errors), key=lambda r: r.filename)
    assert [r.filename for r in results] == paths
    # The fitted cubes give the numbers of a direct call, and the truth.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = fit_cube_photometry(paths[0], hst_images, nprocess=1, **KWARGS)
    assert results[0].dx.value == direct.dx.value
    assert results[0].fsf.fwhm_coeffs == pytest.approx(direct.fsf.fwhm_coeffs, rel=0,
                                                       abs=0)
    for result, (dx, dy) in zip(results, OFFSETS):
        assert abs(result.dx.value - dx) < max(4 * result.dx.stdev, 0.01)
        assert abs(result.dy.value - dy) < max(4 * result.dy.stdev, 0.01)
    # Three outcomes (two results, the FIFO's error) counted for the
    # workers that returned them; the killed worker is gone.
    assert sum(s["files"] for s in stats.values()) == 3
    assert all(s["seconds"] > 0 and s["hst_reads"] == 0 for s in stats.values())
    pid = int(errors[1].message.split("(pid ")[1].split(")")[0])
    assert processes.wait_until_gone({pid}, timeout=5.0) == set()


def test_arguments_are_checked(cubes):
    d, paths, hst_images = cubes
    with pytest.raises(UserError, match=r"hst_images\['F606W'\]: the file .* does not"):
        FitCubePhotometryMP(paths, {"F606W": str(d / "missing.fits")})
    with pytest.raises(UserError, match="hst_images: expected a dict"):
        FitCubePhotometryMP(paths, str(d / "hst.fits"))
    with pytest.raises(UserError, match="cube_filenames: expected a list"):
        FitCubePhotometryMP(paths[0], hst_images)
    with pytest.raises(UserError, match="kwargs: 'hst_images' is given"):
        FitCubePhotometryMP(paths, hst_images, {"hst_images": hst_images})
    with pytest.raises(UserError, match="timeout: expected a positive number"):
        FitCubePhotometryMP(paths, hst_images, timeout=0)
    # The generic iterator takes no HST file (for a function that reads its
    # own inputs, as the cube fit does); the image iterators need one.
    from imphot_astropy.batch import FitImagePhotometryMP
    with pytest.raises(UserError, match="hst_filename: expected the HST image's file"):
        FitImagePhotometryMP(None, paths)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as executor:
        with pytest.raises(UserError, match="timeout: only for local worker processes"):
            FitCubePhotometryMP(paths, hst_images, executor=executor, timeout=5)


def test_on_an_executor_relative_names_and_default_threads(cubes, monkeypatch):
    """An executor runs the same task; each cube's band fits get one thread."""
    from concurrent.futures import ThreadPoolExecutor
    d, paths, hst_images = cubes
    monkeypatch.chdir(d)
    names = [os.path.basename(p) for p in paths]
    with ThreadPoolExecutor(1) as executor, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with FitCubePhotometryMP(names, hst_images, KWARGS, executor=executor) as fits:
            assert fits.kwargs["nprocess"] == 1 and len(fits) == 2
            results = list(fits)
    assert sorted(r.filename for r in results) == sorted(names)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process checks read /proc")
def test_workers_die_with_their_killed_parent(cubes, tmp_path):
    """Even stopped ones (SIGSTOP), when the parent is killed with SIGKILL."""
    d, paths, hst_images = cubes
    frozen = [str(tmp_path / f"freeze{i}.fits") for i in range(2)]
    for path in frozen:
        shutil.copy(paths[0], path)
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    with processes.batch_parent(script, [BAND, hst_images[BAND], *frozen]) as (parent,
                                                                             workers):
        assert len(workers) == 2
        deadline = time.monotonic() + 60
        while not all(processes.state(pid) == "T" for pid in workers):
            assert time.monotonic() < deadline, "the workers never stopped"
            time.sleep(0.1)
        parent.kill()
        parent.wait(timeout=10)
    assert processes.wait_until_gone(workers, timeout=5.0) == set()
