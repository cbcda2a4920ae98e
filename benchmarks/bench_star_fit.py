"""Benchmark: the star fit and pixel-shifting corrections on the HDFS pair.

Each task runs in its own child process, so that its peak resident memory
(``ru_maxrss`` of the child, which includes the imported libraries) is its
own; the wall time is the median of ``--repeat`` runs after one warm-up run,
each run reading the FITS files again. The peer is MPDAF, run on the same
files in the same way:

- star fit: `fit_star_photometry` (a pixel-integrated Moffat fitted to the
  MUSE star and a filtered Moffat to the HST star, within 2") against two
  calls of MPDAF's ``Image.moffat_fit`` (circular Moffat plus background, on
  a 4" sub-image of each image), which is the per-image fit the MPDAF-based
  imphot made;
- shifting the pixels: ``apply_corrections(..., resample=True)`` (Fourier
  shift, flux, mask and variance) against MPDAF's ``Image.regrid`` onto the
  same grid moved by the same offset (Blackman anti-aliasing and spline
  interpolation of the data and variance);
- correcting CRPIX (``resample=False``), which has no MPDAF counterpart.

Run: ``python benchmarks/bench_star_fit.py [--repeat N] [--hdfs DIR]``
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import textwrap

STAR = (338.23763393, -60.55636994, 2.0)

SETUP = """
import json, resource, statistics, time, warnings
warnings.simplefilter("ignore")
H = {hst!r}; M = {muse!r}; STAR = {star!r}; REPEAT = {repeat}
"""

TASKS = {
    "ours: fit_star_photometry": """
from imphot_astropy import fit_star_photometry
def run():
    return fit_star_photometry(H, M, STAR)
""",
    "MPDAF: 2 x Image.moffat_fit": """
from mpdaf.obj import Image
def run():
    out = []
    for name in (M, H):
        image = Image(name)
        sub = image.subimage((STAR[1], STAR[0]), 2 * STAR[2])
        out.append(sub.moffat_fit(center=(STAR[1], STAR[0]), circular=True,
                                  fit_back=True, verbose=False))
    return out
""",
    "ours: apply_corrections resample=True": """
from types import SimpleNamespace
from imphot_astropy.corrections import apply_corrections
from imphot_astropy.fitting import FittedValue
fit = SimpleNamespace(dx=FittedValue(-0.0399), dy=FittedValue(0.1326),
                      scale=FittedValue(150.6), bg=FittedValue(0.0075), unit=None)
def run():
    return apply_corrections(M, fit, corrections="xy", resample=True)
""",
    "MPDAF: Image.regrid onto the shifted grid": """
import numpy as np
from mpdaf.obj import Image
def run():
    image = Image(M)
    ny, nx = image.shape
    # The content at pixel (x + sx, y + sy) moves to (x, y).
    sx, sy = -0.0399 / 0.2, 0.1326 / 0.2
    dec, ra = image.wcs.pix2sky([[sy, sx]])[0]
    return image.regrid((ny, nx), (dec, ra), (0.0, 0.0),
                        image.wcs.get_step(unit="arcsec"), unit_inc="arcsec")
""",
    "ours: apply_corrections resample=False": """
from types import SimpleNamespace
from imphot_astropy.corrections import apply_corrections
from imphot_astropy.fitting import FittedValue
fit = SimpleNamespace(dx=FittedValue(-0.0399), dy=FittedValue(0.1326),
                      scale=FittedValue(150.6), bg=FittedValue(0.0075), unit=None)
def run():
    return apply_corrections(M, fit, corrections="xy", resample=False)
""",
}

MEASURE = """
run()
walls = []
for _ in range(REPEAT):
    start = time.perf_counter()
    run()
    walls.append(time.perf_counter() - start)
print(json.dumps(dict(wall=statistics.median(walls),
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def measure(body, hst, muse, repeat):
    code = (SETUP.format(hst=hst, muse=muse, star=STAR, repeat=repeat)
            + textwrap.dedent(body) + MEASURE)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    default = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "hdfs"
    parser.add_argument("--hdfs", default=str(default))
    args = parser.parse_args()
    hdfs = pathlib.Path(args.hdfs)
    hst, muse = (str(hdfs / "HST-HDFS-on-MUSE-grid.fits"), str(hdfs / "IMAGE-HDFS-1.34.fits"))
    if not os.path.exists(muse):
        sys.exit(f"HDFS sample data not found in {hdfs}")
    results = {name: measure(body, hst, muse, args.repeat) for name, body in TASKS.items()}
    print(f"HDFS pair, star {STAR}, median of {args.repeat} runs (reading the files each time)")
    for name, figures in results.items():
        print(f"  {name:45s} wall {figures['wall']:.3f} s   peak RSS {figures['peak_mb']:.0f} MB")
    pairs = [("ours: fit_star_photometry", "MPDAF: 2 x Image.moffat_fit"),
             ("ours: apply_corrections resample=True",
              "MPDAF: Image.regrid onto the shifted grid")]
    for ours, peer in pairs:
        ratio = results[peer]["wall"] / results[ours]["wall"]
        memory = results[ours]["peak_mb"] / results[peer]["peak_mb"]
        print(f"  {ours} vs {peer}: {ratio:.2f}x the peer's speed, "
              f"{memory:.2f}x its peak memory")


if __name__ == "__main__":
    main()
