"""Fixtures of the batch tests: one small synthetic field written to FITS files."""

import os
import types

import pytest

from .helpers import write_synthetic_field


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
