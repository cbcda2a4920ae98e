"""Benchmark: an F606W image from a full-size MUSE cube, ours versus MPDAF.

Writes a synthetic 3681 x 320 x 320 float32 cube with DATA and STAT
extensions (3 GB, MUSE's wavelength grid 4749.75 A + 1.25 A steps, NaN
margins as in real cubes) to a temporary directory under /tmp, then, each
in a fresh child process, extracts the ACS/WFC F606W image with
``imphot_astropy.wideband.bandpass_image`` and with MPDAF's
``Cube.bandpass_image`` on the same filter curve, and prints the wall time
of open + extract and the peak resident memory of each child (ru_maxrss;
ours runs its workers as threads, so that is the sum over its workers).
The file is read once beforehand, so both read from the page cache.

Usage::

    python benchmarks/bench_wideband.py [--repeat 5] [--mpdaf-repeat 1]
        [--shape 3681 320 320] [--no-mpdaf] [--keep]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_cube(path, shape, block=64, seed=1):
    """Write a MUSE-like cube plane block by plane block (little memory)."""
    from astropy.io import fits

    nwave, ny, nx = shape
    rng = np.random.default_rng(seed)

    def header(name, bunit):
        h = fits.Header()
        h["XTENSION"] = "IMAGE"
        h["BITPIX"] = -32
        h["NAXIS"] = 3
        h["NAXIS1"], h["NAXIS2"], h["NAXIS3"] = nx, ny, nwave
        h["PCOUNT"], h["GCOUNT"] = 0, 1
        h["EXTNAME"] = name
        h["BUNIT"] = bunit
        h["CTYPE1"], h["CTYPE2"], h["CTYPE3"] = "RA---TAN", "DEC--TAN", "AWAV"
        h["CUNIT1"], h["CUNIT2"], h["CUNIT3"] = "deg", "deg", "Angstrom"
        h["CRVAL1"], h["CRVAL2"], h["CRVAL3"] = 53.16, -27.78, 4749.75
        h["CRPIX1"], h["CRPIX2"], h["CRPIX3"] = nx / 2, ny / 2, 1.0
        h["CD1_1"], h["CD1_2"], h["CD2_1"], h["CD2_2"] = -0.2 / 3600, 0.0, 0.0, 0.2 / 3600
        h["CD1_3"] = h["CD2_3"] = h["CD3_1"] = h["CD3_2"] = 0.0
        h["CD3_3"] = 1.25
        return h

    fits.PrimaryHDU().writeto(path, overwrite=True)
    sky = rng.gamma(2.0, 1.0, (ny, nx)).astype(np.float32)
    margin = np.zeros((ny, nx), bool)
    margin[: ny // 20, :] = True
    margin[:, -(nx // 20):] = True
    for name, bunit, scale in (("DATA", "10**(-20)*erg/s/cm**2/Angstrom", 1.0),
                               ("STAT", "10**(-40)*erg**2/s**2/cm**4/Angstrom**2", 0.05)):
        stream = fits.StreamingHDU(path, header(name, bunit))
        for start in range(0, nwave, block):
            n = min(block, nwave - start)
            planes = (sky * np.float32(scale)
                      * (1 + 0.3 * rng.random((n, ny, nx), dtype=np.float32)))
            planes[:, margin] = np.nan
            stream.write(planes)
        stream.close()


CHILD_OURS = r"""
import json, resource, sys, time, warnings
sys.path.insert(0, {repo!r})
import numpy as np
from imphot_astropy.wideband import bandpass_image
from imphot_astropy.bandpasses import hst_filter_bandpass
bp = hst_filter_bandpass("F606W")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    image = bandpass_image({path!r}, bp, nprocess={nprocess})
elapsed = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
np.save({out!r}, image.data)
print(json.dumps(dict(seconds=elapsed, cpu=cpu, baseline_mb=base,
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      planes=[image.meta["BPWMIN"], image.meta["BPWMAX"]])))
"""

CHILD_MPDAF = r"""
import json, logging, resource, sys, time, warnings
sys.path.insert(0, {repo!r})
import numpy as np
import astropy.units as u
from mpdaf.obj import Cube
from imphot_astropy.bandpasses import hst_filter_bandpass
logging.getLogger("mpdaf").setLevel(logging.ERROR)
bp = hst_filter_bandpass("F606W")
wave = bp.waveset.to_value(u.AA); thru = bp(bp.waveset).value
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    image = Cube({path!r}).bandpass_image(wave, thru)
elapsed = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
np.save({out!r}, image.data.filled(np.nan))
print(json.dumps(dict(seconds=elapsed, cpu=cpu, baseline_mb=base,
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def run_child(code):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def available_memory_mb():
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("inf")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=(3681, 320, 320))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mpdaf-repeat", type=int, default=1)
    parser.add_argument("--nprocess", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--no-mpdaf", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the cube file")
    options = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="bench_wideband_", dir="/tmp")
    path = os.path.join(workdir, "DATACUBE_bench.fits")
    try:
        t0 = time.perf_counter()
        write_cube(path, tuple(options.shape))
        size_gb = os.path.getsize(path) / 1e9
        print(f"cube {options.shape} float32 DATA+STAT, {size_gb:.2f} GB, "
              f"written in {time.perf_counter() - t0:.1f} s to {path}")
        with open(path, "rb") as handle:       # into the page cache
            while handle.read(1 << 24):
                pass

        needed_mb = 3.1 * size_gb * 1000      # MPDAF's 9.2 GB for a 3 GB cube
        run_mpdaf = not options.no_mpdaf
        if run_mpdaf and available_memory_mb() < needed_mb * 1.2:
            print(f"MPDAF skipped: it needs about {needed_mb / 1000:.1f} GB, only "
                  f"{available_memory_mb() / 1000:.1f} GB available; rerun with a "
                  "smaller --shape and scale")
            run_mpdaf = False

        # Interleave the runs, so that a change in the machine's load (it is
        # shared) affects both programs alike.
        ours = {n: [] for n in options.nprocess}
        mpdaf = []
        for i in range(max(options.repeat, options.mpdaf_repeat if run_mpdaf else 0)):
            if i < options.repeat:
                for nprocess in options.nprocess:
                    ours[nprocess].append(run_child(CHILD_OURS.format(
                        repo=REPO, path=path, nprocess=nprocess,
                        out=os.path.join(workdir, "ours.npy"))))
            if run_mpdaf and i < options.mpdaf_repeat:
                mpdaf.append(run_child(CHILD_MPDAF.format(
                    repo=REPO, path=path, out=os.path.join(workdir, "mpdaf.npy"))))

        def summary(label, runs):
            times = ", ".join(f"{r['seconds']:.3f}" for r in runs)
            print(f"{label}: median {statistics.median(r['seconds'] for r in runs):.3f} s "
                  f"(runs {times}); median CPU "
                  f"{statistics.median(r['cpu'] for r in runs):.3f} s; peak RSS "
                  f"{max(r['peak_mb'] for r in runs):.0f} MB (after imports "
                  f"{runs[0]['baseline_mb']:.0f} MB)")

        for nprocess, runs in ours.items():
            summary(f"imphot_astropy bandpass_image nprocess={nprocess}", runs)
        first = next(iter(ours.values()))[0]
        print(f"planes used: {first['planes'][0]:.1f}-{first['planes'][1]:.1f} Angstrom")
        if not mpdaf:
            return 0
        summary("MPDAF Cube.bandpass_image", mpdaf)
        mpdaf_time = statistics.median(r["seconds"] for r in mpdaf)
        mpdaf_cpu = statistics.median(r["cpu"] for r in mpdaf)
        mpdaf_peak = max(r["peak_mb"] for r in mpdaf)
        mpdaf_best = min(r["seconds"] for r in mpdaf)
        for nprocess, runs in ours.items():
            print(f"ours (nprocess={nprocess}) versus MPDAF: "
                  f"{mpdaf_time / statistics.median(r['seconds'] for r in runs):.1f}x faster "
                  f"(median wall; best runs {mpdaf_best / min(r['seconds'] for r in runs):.1f}x), "
                  f"{mpdaf_cpu / statistics.median(r['cpu'] for r in runs):.1f}x "
                  f"less CPU, {mpdaf_peak / max(r['peak_mb'] for r in runs):.1f}x less "
                  "peak memory")
        a = np.load(os.path.join(workdir, "ours.npy"))
        b = np.load(os.path.join(workdir, "mpdaf.npy"))
        both = np.isfinite(a) & np.isfinite(b)
        print(f"images: max |ours - MPDAF| / max |MPDAF| = "
              f"{np.abs(a[both] - b[both]).max() / np.abs(b[both]).max():.2e}; "
              f"median relative difference {np.median(np.abs(a[both] / b[both] - 1)):.2e}; "
              f"same NaN pixels: {bool(np.array_equal(np.isnan(a), np.isnan(b)))}")
    finally:
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
