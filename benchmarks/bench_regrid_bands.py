"""Benchmark: regridding four HST bands onto one MUSE exposure's grid, ours versus MPDAF's.

The regridding step of ``bench_cube_photometry.py``, alone: the same four
raw HST images (0.06" pixels, 1106 x 1106, one shared WCS as drizzled
mosaics of one field have, electrons/s) regridded and rescaled onto the
same 320 x 320 MUSE grid (written here as a small cube of a few planes:
only its header is used). Each run is a fresh child process (imports not
timed, as in the other benchmarks) that does, for each band in turn,

- ours: as `fit_cube_photometry` does, ``regrid_hst_bands_like_muse({band:
  file}, cube)`` (the HST files read through memory maps; the arrays of the
  four bands, which share a grid, sampled by one ``reproject_interp`` call,
  so its MUSE-to-HST pixel mapping is computed once), then
  ``rescale_hst_like_muse`` for each band; with ``--per-band`` (or for a
  ``--repo`` without that function), ``regrid_hst_like_muse(file, cube)``
  then ``rescale_hst_like_muse`` band by band;
- the established tool (``../shared/peers/imphot``, MPDAF, in the venv
  ``~/.venvs/imphot-peer``): ``Image(file)``, ``regrid_hst_like_muse`` and
  ``rescale_hst_like_muse`` onto an MPDAF image of the cube's grid.

It prints the median total time (and each band's, band by band), the
median CPU time, the ratio to the peer, and each child's peak resident
memory (ru_maxrss).

Measured 2026-11-29 on the shared 2-core machine (load 5-6), 3 runs each:
ours 0.60 s for the first band (which computes the pixel mapping), then
0.35, 0.27, 0.24 s (sum 1.45 s, peak 144 MB); MPDAF 2.54, 2.01, 1.71,
2.05 s (sum 8.31 s, 335 MB): 5.7x. The version before the shared mapping
and the pruned FFTs (``--repo`` on commit f37a23e), in the same session:
0.87, 0.92, 0.93, 0.90 s (sum 3.63 s; MPDAF 7.16 s in that run: 2.0x).

Measured 2026-12-07 (the shared machine at load 8-12, 11 runs of each,
alternating) against the version before reproject sampled the bands
(commit 9a72251, its own mapping cache): ours, the four bands in one
call, median CPU 0.645 s against 0.634 s (+2%), wall 0.88 s against
1.05 s (noise dominates the wall times), peak RSS 199 MB against 174 MB
(the bands' filtered cut-outs are held together for the one call); band
by band (``--per-band``, reproject's mapping computed for each band)
0.763 s of CPU (+20%), 185 MB.

Usage::

    python benchmarks/bench_regrid_bands.py [--repeat 3] [--peer-repeat 3]
        [--no-peer] [--keep] [--per-band] [--repo DIR]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_cube_photometry import (BANDS, PEER, PEER_PYTHON, run_child,  # noqa: E402
                                   peer_available, write_inputs_in_child)

CHILD_OURS = r"""
import json, resource, sys, time, warnings
sys.path.insert(0, {repo!r})
from imphot_astropy import preparation
from imphot_astropy.preparation import (regrid_hst_like_muse, rescale_hst_like_muse,
                                        read_muse_reference)
import scipy.ndimage, scipy.fft
try:
    import reproject  # imported lazily by the package; not timed, as in the cube benchmark
except ImportError:
    pass
together = hasattr(preparation, "regrid_hst_bands_like_muse") and not {per_band!r}
seconds = {{}}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    t0, c0 = time.perf_counter(), time.process_time()
    if together:
        # As fit_cube_photometry does: the bands sampled in one call, then rescaled.
        images = preparation.regrid_hst_bands_like_muse({hst!r}, {cube!r})
        regridded = time.perf_counter()
        for band in {hst!r}:
            rescale_hst_like_muse(images[band], {cube!r}, inplace=True, filter_name=band)
    else:
        for band, path in {hst!r}.items():
            t1 = time.perf_counter()
            image = regrid_hst_like_muse(path, {cube!r}, inplace=False, filter_name=band)
            image = rescale_hst_like_muse(image, {cube!r}, inplace=True, filter_name=band)
            seconds[band] = time.perf_counter() - t1
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps(dict(seconds=seconds, total=total, cpu=cpu, together=together,
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""

CHILD_PEER = r"""
import json, logging, resource, sys, time, warnings
from mpdaf.obj import Cube, Image
import imphot
logging.getLogger("mpdaf").setLevel(logging.ERROR)
seconds = {{}}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    muse = Cube({cube!r})[0, :, :]
    for band, path in {hst!r}.items():
        t0 = time.perf_counter()
        hst = Image(path)
        imphot.regrid_hst_like_muse(hst, muse, inplace=True)
        imphot.rescale_hst_like_muse(hst, muse, inplace=True)
        seconds[band] = time.perf_counter() - t0
print(json.dumps(dict(seconds=seconds, total=sum(seconds.values()),
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def _summary(label, runs):
    totals = [r["total"] for r in runs]
    total = statistics.median(totals)
    if all(r["seconds"] for r in runs):
        medians = {b: statistics.median(r["seconds"][b] for r in runs) for b in BANDS}
        how = "median s per band " + ", ".join(f"{b} {medians[b]:.3f}" for b in BANDS)
    else:
        how = "the four bands in one call"
    cpu = (f"median CPU {statistics.median(r['cpu'] for r in runs):.3f} s; "
           if all("cpu" in r for r in runs) else "")
    print(f"{label}: {how}; median total {total:.3f} s (runs "
          f"{', '.join(f'{t:.3f}' for t in totals)}); {cpu}"
          f"peak RSS {max(r['peak_mb'] for r in runs):.0f} MB ({len(runs)} runs)")
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-repeat", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the files")
    parser.add_argument("--per-band", action="store_true",
                        help="regrid band by band with regrid_hst_like_muse, even "
                             "where regrid_hst_bands_like_muse exists")
    parser.add_argument("--repo", default=REPO,
                        help="the directory holding the imphot_astropy to time (an "
                             "earlier version, to compare)")
    options = parser.parse_args(argv)
    run_peer = not options.no_peer and peer_available()
    workdir = tempfile.mkdtemp(prefix="bench_regrid_bands_", dir="/tmp")
    try:
        cube, hst = write_inputs_in_child(workdir, (8, 320, 320))
        print(f"4 HST images of 1106 x 1106 0.06\" pixels onto a 320 x 320 MUSE grid "
              f"({workdir})")
        env = dict(os.environ, PYTHONPATH=PEER)
        ours, peer = [], []
        for i in range(max(options.repeat, options.peer_repeat if run_peer else 0)):
            if i < options.repeat:
                ours.append(run_child(sys.executable,
                                      CHILD_OURS.format(repo=options.repo, cube=cube, hst=hst,
                                                        per_band=options.per_band)))
            if run_peer and i < options.peer_repeat:
                peer.append(run_child(PEER_PYTHON, CHILD_PEER.format(cube=cube, hst=hst),
                                      env=env))
        total = _summary("imphot_astropy regrid + rescale", ours)
        if peer:
            peer_total = _summary("established tool (MPDAF) regrid + rescale", peer)
            print(f"speed-up (sum of the peer's medians / ours): {peer_total / total:.1f}x")
    finally:
        if options.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
