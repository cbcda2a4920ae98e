"""`release_free_memory` hands freed heap memory back (glibc), as the cube fit relies on."""

import subprocess
import sys
import textwrap

import pytest

from imphot_astropy.utils.memory import _malloc_trim, release_free_memory

# In a child process, a thread allocates 300 MB in 100 kB arrays (below
# glibc's mmap threshold, so they live in that thread's heap), each
# followed by a small array that is kept, and frees the large ones; the
# resident size is read before and after the release.
_CHILD = textwrap.dedent("""
    import threading
    import numpy as np
    from imphot_astropy.utils.memory import release_free_memory

    def rss_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    kept = []

    def churn():
        blocks = []
        for _ in range(3000):
            blocks.append(np.ones(12800))
            # A small array that stays, between the freed blocks: the heap
            # cannot shrink from its top, as after a fit.
            kept.append(np.ones(4))
        del blocks

    thread = threading.Thread(target=churn)
    thread.start()
    thread.join()
    before = rss_mb()
    release_free_memory()
    print(before, rss_mb())
""")


@pytest.mark.skipif(_malloc_trim() is None or not sys.platform.startswith("linux"),
                    reason="the C library has no malloc_trim (not glibc on Linux)")
def test_release_returns_a_threads_freed_blocks():
    done = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                          check=True)
    before, after = map(float, done.stdout.split())
    # 300 MB were freed; at least 200 MB of them must leave the process.
    assert before - after > 200.0, (before, after)


def test_release_says_whether_it_could_ask():
    assert release_free_memory() is (_malloc_trim() is not None)
