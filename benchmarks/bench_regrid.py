"""Benchmark: regridding a 10 000 x 10 000 HST mosaic onto a MUSE grid.

Writes a synthetic 10 000 x 10 000 float32 HST image (0.03" pixels, TAN
WCS, 400 MB: noise, galaxy-like blobs, and a zero-valued blank margin as
in real mosaics) and a 320 x 320 MUSE image (0.2" pixels, north up or
rotated by ``--rotation`` degrees, lying inside the mosaic) to a temporary
directory under /tmp. Then,
each in a fresh child process, regrids the HST image onto the MUSE grid

- with ``imphot_astropy.preparation.regrid_hst_like_muse(path, muse)``;
- with MPDAF as the MPDAF-based imphot did: ``Image(path)``, mask the
  zeros, ``align_with_image(muse, cutoff=0.0, flux=True, inplace=True)``,

and prints the wall time of read + regrid and the peak resident memory of
the child (``ru_maxrss``: includes the interpreter and imports; the
resident memory after imports is printed too). The file is read once
beforehand, so both read it from the page cache. Medians over repeats.

Usage::

    python benchmarks/bench_regrid.py [--repeat 3] [--mpdaf-repeat 3]
        [--size 10000] [--muse 320] [--rotation 0] [--no-mpdaf] [--keep]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RA, DEC = 53.16, -27.78


def tan_header(shape, scale, rotation=0.0):
    from astropy.io import fits

    theta = np.deg2rad(rotation)
    step = scale / 3600.0
    header = fits.Header()
    header["CTYPE1"], header["CTYPE2"] = "RA---TAN", "DEC--TAN"
    header["CUNIT1"], header["CUNIT2"] = "deg", "deg"
    header["CRVAL1"], header["CRVAL2"] = RA, DEC
    header["CRPIX1"], header["CRPIX2"] = (shape[1] + 1) / 2, (shape[0] + 1) / 2
    header["CD1_1"], header["CD1_2"] = -step * np.cos(theta), step * np.sin(theta)
    header["CD2_1"], header["CD2_2"] = step * np.sin(theta), step * np.cos(theta)
    return header


def write_hst(path, size, block=500, seed=1):
    """Write the mosaic block of rows by block of rows (little memory)."""
    from astropy.io import fits

    rng = np.random.default_rng(seed)
    header = fits.Header()
    header["SIMPLE"] = True
    header["BITPIX"] = -32
    header["NAXIS"] = 2
    header["NAXIS1"], header["NAXIS2"] = size, size
    header.update(tan_header((size, size), 0.03))
    header["BUNIT"] = "ELECTRONS/S"
    header["FILTER"] = "F775W"
    stream = fits.StreamingHDU(path, header)
    xx = np.arange(size)
    blobs = rng.uniform(0, size, (size // 20, 2))
    for start in range(0, size, block):
        rows = np.arange(start, start + block)[:, None]
        image = rng.normal(0.0, 0.01, (block, size)).astype(np.float32)
        near = blobs[np.abs(blobs[:, 1] - (start + block / 2)) < block / 2 + 30]
        for bx, by in near:
            image += np.float32(0.5) * np.exp(-((xx - bx) ** 2 + (rows - by) ** 2) / 18.0
                                              ).astype(np.float32)
        image[:, : size // 25] = 0.0            # blank margin, as in mosaics
        stream.write(image)
    stream.close()


def write_muse(path, size, rotation):
    from astropy.io import fits

    header = tan_header((size, size), 0.2, rotation=rotation)
    header["BUNIT"] = "10**(-20)*erg/s/cm**2/Angstrom"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((size, size), np.float32),
                                                   header, name="DATA")]).writeto(path)


CHILD_PREAMBLE = r"""
import json, resource, sys, time, warnings
sys.path.insert(0, {repo!r})
warnings.simplefilter("ignore")
import numpy as np
"""

CHILD_OURS = CHILD_PREAMBLE + r"""
from imphot_astropy.preparation import regrid_hst_like_muse
import reproject, scipy.fft, astropy.wcs
rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
out = regrid_hst_like_muse({hst!r}, {muse!r})
elapsed = time.perf_counter() - start
print(json.dumps(dict(seconds=elapsed, maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      rss_imports_kb=rss_imports, valid=int((~out.mask).sum()),
                      total=float(np.nansum(out.data)))))
"""

CHILD_MPDAF = CHILD_PREAMBLE + r"""
from mpdaf.obj import Image
rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
hst = Image({hst!r})
muse = Image({muse!r})
np.ma.masked_inside(hst.data, -1e-10, 1e-10, copy=False)
out = hst.align_with_image(muse, cutoff=0.0, flux=True, inplace=True)
elapsed = time.perf_counter() - start
print(json.dumps(dict(seconds=elapsed, maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      rss_imports_kb=rss_imports, valid=int((~out.mask).sum()),
                      total=float(out.data.sum()))))
"""


def run_child(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def summarise(name, runs):
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = statistics.median(r["maxrss_kb"] for r in runs) / 1024
    imports = statistics.median(r["rss_imports_kb"] for r in runs) / 1024
    each = ", ".join(f"{r['seconds']:.3f}" for r in runs)
    print(f"{name:>15}: {seconds:7.3f} s (median of {len(runs)}: "
          f"{each}), peak RSS {peak:7.1f} MB "
          f"({imports:.1f} MB after imports), {runs[0]['valid']} valid pixels, "
          f"sum {runs[0]['total']:.6g}")
    return seconds, peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mpdaf-repeat", type=int, default=3)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--muse", type=int, default=320)
    parser.add_argument("--rotation", type=float, default=0.0,
                        help="rotation of the MUSE grid on the sky (degrees)")
    parser.add_argument("--no-mpdaf", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the files in /tmp")
    options = parser.parse_args(argv)
    directory = tempfile.mkdtemp(prefix="bench_regrid_", dir="/tmp")
    try:
        hst = os.path.join(directory, "hst.fits")
        muse = os.path.join(directory, "muse.fits")
        print(f"writing a {options.size} x {options.size} float32 HST image and a "
              f"{options.muse} x {options.muse} MUSE image rotated by "
              f"{options.rotation:g} deg in {directory}")
        write_hst(hst, options.size)
        write_muse(muse, options.muse, options.rotation)
        with open(hst, "rb") as stream:          # into the page cache for both
            while stream.read(1 << 24):
                pass
        ours = [run_child(CHILD_OURS.format(repo=REPO, hst=hst, muse=muse))
                for _ in range(options.repeat)]
        ours_s, ours_mb = summarise("imphot_astropy", ours)
        if not options.no_mpdaf:
            theirs = [run_child(CHILD_MPDAF.format(repo=REPO, hst=hst, muse=muse))
                      for _ in range(options.mpdaf_repeat)]
            mpdaf_s, mpdaf_mb = summarise("MPDAF", theirs)
            print(f"ratio MPDAF/ours: time {mpdaf_s / ours_s:.2f}x, "
                  f"peak memory {mpdaf_mb / ours_mb:.2f}x "
                  f"(targets: >= 2x and >= 3x)")
    finally:
        if options.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory)


if __name__ == "__main__":
    main()
