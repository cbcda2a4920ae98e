"""Fitting functions that misbehave on purpose, for the fault tests.

They are module-level so that worker processes can import them by name.
Each behaves like `fit_image_photometry` (or, for cubes, the survey's
`fit_cube_file`), except on MUSE files whose names contain a keyword.
"""

import os
import signal
import threading
import time

from imphot_astropy.photometry import fit_image_photometry

__all__ = ["fit_or_misbehave", "fit_cube_or_freeze"]


def fit_or_misbehave(hst, muse, **kwargs):
    """``fit_image_photometry``, except: a file named ``*die*`` kills its worker
    with SIGKILL, a file named ``*freeze*`` stops it with SIGSTOP (as a hung
    file system would leave it), a file named ``*sleep*`` takes 60 s, and a
    file named ``*unpicklable*`` returns a result that cannot be pickled."""
    name = os.path.basename(str(muse))
    if "unpicklable" in name:
        return threading.Lock()
    if "die" in name:
        os.kill(os.getpid(), signal.SIGKILL)
    if "freeze" in name:
        os.kill(os.getpid(), signal.SIGSTOP)
    if "sleep" in name:
        time.sleep(60)
    return fit_image_photometry(hst, muse, **kwargs)


def fit_cube_or_freeze(hst, cube, **kwargs):
    """The survey's ``fit_cube_file``, except that a cube named ``*freeze*``
    stops its worker with SIGSTOP (as a hung file system would leave it)."""
    from imphot_astropy.survey.cube_fit import fit_cube_file
    if "freeze" in os.path.basename(str(cube)):
        os.kill(os.getpid(), signal.SIGSTOP)
    return fit_cube_file(hst, cube, **kwargs)
