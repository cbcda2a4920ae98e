"""Giving freed memory back to the operating system between phases of work.

A fit allocates and frees many arrays of a few MB (padded images, their
transforms, Jacobians). glibc's allocator keeps much of what is freed for
later use instead of returning it, and keeps it per thread: memory freed by
the threads that fit the bands of a cube in parallel is not reused by the
main thread's joint fit, which then takes new memory. In the 4-band cube
benchmark (``benchmarks/bench_cube_photometry.py``), measured 2026-12-07:
the single-band fits leave 360 MB resident of which 68 MB are free blocks;
the peak of the joint fit after them was 512 MB, and 446-458 MB once the
free blocks were handed back first (418 MB with a single allocator arena).

No Python library exposes this, so `release_free_memory` calls glibc's
``malloc_trim`` through ctypes; elsewhere (macOS, musl) it does nothing.
"""

import ctypes
import ctypes.util
import functools

__all__ = ["release_free_memory"]


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory():
    """Return the C heap's free memory to the operating system, where possible.

    Call it between phases of a long computation, after worker threads
    finish. It frees nothing that is in use:
    only the pages of blocks already freed, in every thread's heap, are
    handed back. It costs about a millisecond.

    Returns
    -------
    released : bool
        True if the C library could be asked (glibc), else False.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.ones(2**22); del a
    >>> release_free_memory() in (True, False)
    True
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
