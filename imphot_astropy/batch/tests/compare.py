"""Bit-for-bit comparison of photometry results."""

import struct

__all__ = ["assert_identical"]

_PARAMETERS = ("scale", "bg", "dx", "dy", "fwhm", "beta", "dra", "ddec")


def _bits(value):
    return None if value is None else struct.pack("<d", value)


def assert_identical(got, expected):
    """Assert that two results (or pairs of results) are equal bit for bit."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_identical(g, e)
        return
    assert type(got) is type(expected)
    assert (got.method, got.name, got.filename) == (expected.method, expected.name,
                                                   expected.filename)
    for name in _PARAMETERS:
        g, e = getattr(got, name), getattr(expected, name)
        assert (_bits(g.value), _bits(g.stdev), g.fixed) == \
            (_bits(e.value), _bits(e.stdev), e.fixed), name
    assert _bits(got.rms_error) == _bits(expected.rms_error)
    for name in ("rchi",):
        if hasattr(expected, name):
            assert _bits(getattr(got, name)) == _bits(getattr(expected, name))
    assert got.fit_report == expected.fit_report
