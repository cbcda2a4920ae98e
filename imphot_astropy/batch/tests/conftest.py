"""Fixtures of the batch tests: one small synthetic field written to FITS files,
and a guard that aborts a hung test with its stacks instead of hanging the suite."""

import faulthandler
import os
import types

import pytest

from .helpers import write_synthetic_field


@pytest.fixture(autouse=True)
def no_hang():
    """Dump the stacks and abort rather than hang the suite forever."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def field(tmp_path_factory):
    """An HST file and 8 MUSE exposures (60x60) of one synthetic field."""
    directory = tmp_path_factory.mktemp("field")
    hst, muses, truths = write_synthetic_field(str(directory), 8, shape=(60, 60))
    return types.SimpleNamespace(directory=str(directory), hst=hst, muses=muses,
                                 truths=truths)


@pytest.fixture(scope="session")
def corrupt_muse(field):
    """A MUSE 'FITS' file cut short in its header."""
    path = os.path.join(field.directory, "muse-corrupt.fits")
    with open(field.muses[0], "rb") as good, open(path, "wb") as bad:
        bad.write(good.read(1000))
    return path
