"""UserError follows the ecosystem's convention for bad input: it is a ValueError."""

import pickle

import pytest

from imphot_astropy import UserError, WorkerError
from imphot_astropy.masking import parse_star


def test_user_error_is_a_value_error():
    assert issubclass(UserError, ValueError)
    assert not issubclass(WorkerError, ValueError)


def test_except_value_error_catches_bad_input():
    with pytest.raises(ValueError, match="star: the values must be finite"):
        parse_star((1.0, float("nan"), 2.0))


def test_user_error_keeps_its_message_and_pickles():
    err = pickle.loads(pickle.dumps(UserError("star: bad")))
    assert isinstance(err, ValueError) and str(err) == "star: bad" and err.message == "star: bad"


def test_worker_error_keeps_its_file_through_pickling():
    # Batch errors cross process boundaries (Dask, executors): the file stays named.
    err = pickle.loads(pickle.dumps(WorkerError("m.fits: bad", ["Traceback\n"],
                                                filename="m.fits")))
    assert (err.message, err.traceback, err.filename) == ("m.fits: bad", "Traceback\n",
                                                          "m.fits")
    assert WorkerError("bad", "").filename is None
