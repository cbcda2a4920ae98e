"""The ``solver`` keyword reaches the worker processes (issue 24's solver seam).

By name (a string) and as a `~imphot_astropy.fitting.solvers.Solver` object,
which the forkserver and spawn start methods pickle to the workers: the
results there are bit for bit those of direct calls with the same solver,
and record its name.
"""

import multiprocessing

import pytest
from astropy.modeling.fitting import DogBoxLSQFitter

from imphot_astropy.batch import FitImagePhotometryMP
from imphot_astropy.fitting.solvers import AstropyFitter, LevenbergMarquardt
from imphot_astropy.photometry import fit_image_photometry

from .compare import assert_identical

# Methods that pickle the keyword arguments to a new process.
PICKLING = [m for m in ("forkserver", "spawn") if m in multiprocessing.get_all_start_methods()]
SOLVERS = {
    "name": "levenberg-marquardt",
    "astropy object": AstropyFitter(DogBoxLSQFitter, maxiter=500),
    "package object": LevenbergMarquardt(max_iterations=50, decrement=1e-5, relative=True,
                                         name="a tuned Levenberg-Marquardt"),
}


@pytest.mark.parametrize("key", list(SOLVERS))
def test_the_solver_reaches_the_workers(field, key):
    kwargs = {"fix_beta": 2.5, "solver": SOLVERS[key]}
    files = field.muses[:2]
    direct = {m: fit_image_photometry(field.hst, m, **kwargs) for m in files}
    default = fit_image_photometry(field.hst, files[0], fix_beta=2.5)
    context = multiprocessing.get_context(PICKLING[0])
    with FitImagePhotometryMP(field.hst, files, kwargs, nworker=2,
                              mp_context=context) as fits:
        results = list(fits)
    assert sorted(r.filename for r in results) == sorted(files)
    for result in results:
        assert_identical(result, direct[result.filename])
        assert result.options["solver"] == direct[result.filename].options["solver"]
        assert result.options["solver"] != default.options["solver"]
