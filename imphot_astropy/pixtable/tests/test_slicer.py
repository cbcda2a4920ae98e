"""Slice numbering schemes."""

import numpy as np
import pytest

from imphot_astropy.exceptions import UserError
from imphot_astropy.pixtable import Slicer

ALL = np.arange(1, 49)


def test_published_examples():
    # Examples of the MUSE numbering document, as MPDAF's Slicer quotes them.
    assert Slicer.ccd2sky(4) == 10
    assert Slicer.sky2ccd(10) == 4
    assert Slicer.optical2sky((2, 12)) == 25
    assert Slicer.sky2optical(25) == (2, 12)
    assert Slicer.optical2ccd((2, 12)) == 27
    assert Slicer.ccd2optical(27) == (2, 12)


def test_ccd_sky_is_a_permutation_and_inverse():
    sky = Slicer.ccd2sky(ALL)
    assert sorted(sky.tolist()) == ALL.tolist()
    assert np.array_equal(Slicer.sky2ccd(sky), ALL)
    assert np.array_equal(Slicer.ccd2sky(Slicer.sky2ccd(ALL)), ALL)


def test_optical_round_trip_and_ranges():
    stack, within = Slicer.sky2optical(ALL)
    assert set(stack.tolist()) == {1, 2, 3, 4}
    assert set(within.tolist()) == set(range(1, 13))
    assert np.array_equal(Slicer.optical2sky((stack, within)), ALL)
    # Sky slices run top to bottom: stack 4 first, slices 12 down to 1.
    assert Slicer.sky2optical(1) == (4, 12)
    assert Slicer.sky2optical(48) == (1, 1)
    assert np.array_equal(Slicer.optical2ccd(Slicer.ccd2optical(ALL)), ALL)


def test_stacks_partition_the_slices():
    slices = [Slicer.stack_ccd_slices(s) for s in (1, 2, 3, 4)]
    assert sorted(np.concatenate(slices).tolist()) == ALL.tolist()
    for stack, members in zip((1, 2, 3, 4), slices):
        assert len(members) == 12
        assert set(Slicer.ccd2optical(members)[0].tolist()) == {stack}


@pytest.mark.parametrize("call", [
    lambda: Slicer.ccd2sky(0), lambda: Slicer.ccd2sky(49),
    lambda: Slicer.sky2ccd([1, 50]), lambda: Slicer.sky2optical(1.5),
    lambda: Slicer.optical2sky((5, 1)), lambda: Slicer.optical2sky((1, 13)),
    lambda: Slicer.optical2sky(3), lambda: Slicer.stack_ccd_slices(0)])
def test_invalid_numbers(call):
    with pytest.raises(UserError):
        call()
