"""Benchmark: cutting a large MUSE pixel table, ours versus MPDAF, and
measuring a star's PSF on its unresampled samples.

A synthetic 5e7-row pixel table (image format, 1.4 GB, written to /tmp and
kept for later runs) is cut with a 2" circle around a star and a 100 A
wavelength range, by ``imphot_astropy.pixtable.PixTable.extract`` and by
MPDAF's ``mpdaf.drs.PixTable.extract``. Each cut runs in a fresh child
process, from opening the file to the returned table, so that its peak
resident memory (the child's ``VmHWM``, which counts the pages of the file
it maps as well as the memory it allocates) is its own. The file is read
once beforehand so that both start with it in the page cache, and the runs
alternate between the two implementations.

The star fit, ``fit_pixtable_star`` (Moffat + background on the samples
within 2" of the star, 4 wavelength slices over 5000-9000 A, FWHM linear in
wavelength), is timed the same way, from opening the file, against the
guide's recipe with MPDAF (``extract`` then a Gaussian fitted with
``scipy.optimize.leastsq`` to the samples of the same range).

Usage::

    python benchmarks/bench_pixtable.py [--nrows 50000000] [--repeat 3]
        [--file /tmp/imphot_bench_pixtable_5e7.fits]

Prints each run, then the medians and the ratios (MPDAF / ours).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

# Run from a checkout: import the package next to this script.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

LAMBDA_RANGE = (6000.0, 6100.0)
RADIUS_ARCSEC = 2.0
STAR_RANGE = (5000.0, 9000.0)
STAR_SLICES = 4


def _child(tool, filename, dec, ra):
    """Run one extraction (or star fit) and print its figures as JSON."""
    import numpy as np
    if tool in ("ours-star", "mpdaf-star"):
        return _child_star(tool, filename, dec, ra)
    if tool == "ours":
        from imphot_astropy.pixtable import PixTable
    else:
        from mpdaf.drs import PixTable
    baseline = _peak_rss_mb()
    start = time.perf_counter()
    pix = PixTable(filename)
    sub = pix.extract(sky=(dec, ra, RADIUS_ARCSEC, "C"), lbda=LAMBDA_RANGE)
    elapsed = time.perf_counter() - start
    peak = _peak_rss_mb()
    origin = np.asarray(sub.get_origin(), dtype=np.int64)
    lbda = np.asarray(sub.get_lambda(), dtype=np.float64)
    print(json.dumps({"tool": tool, "seconds": elapsed, "rows": sub.nrows,
                      "peak_mb": peak, "import_mb": baseline,
                      "origin_sum": int(origin.sum()),
                      "lambda_sum": float(lbda.sum())}))


def _child_star(tool, filename, dec, ra):
    """Fit the star, ours or the guide's recipe with MPDAF."""
    baseline = _peak_rss_mb()
    start = time.perf_counter()
    if tool == "ours-star":
        from imphot_astropy.fitting import fit_pixtable_star
        from imphot_astropy.pixtable import PixTable
        fit = fit_pixtable_star(PixTable(filename), (ra, dec, RADIUS_ARCSEC),
                                lbda=STAR_RANGE, nslices=STAR_SLICES,
                                fwhm_model="linear")
        rows = int(fit["nsamples"].sum() + fit["nrejected"].sum())
        fwhm = [round(float(v), 4) for v in fit["fwhm"].value]
    else:
        fwhm, rows = _mpdaf_guide_fit(filename, dec, ra)
    elapsed = time.perf_counter() - start
    print(json.dumps({"tool": tool, "seconds": elapsed, "rows": rows,
                      "peak_mb": _peak_rss_mb(), "import_mb": baseline,
                      "fwhm": fwhm}))


def _mpdaf_guide_fit(filename, dec, ra):
    """The recipe of MPDAF's pixel-table guide: extract the star, fit a
    circular Gaussian to the samples with scipy.optimize.leastsq."""
    import warnings
    import numpy as np
    from scipy.optimize import leastsq
    from mpdaf.drs import PixTable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sub = PixTable(filename).extract(
            sky=(dec, ra, RADIUS_ARCSEC, "C"), lbda=STAR_RANGE)
    y, x = sub.get_pos_sky()[::-1]
    data = sub.get_data()
    lbda = sub.get_lambda()
    edges = np.linspace(*STAR_RANGE, STAR_SLICES + 1)
    fwhm = []
    for low, high in zip(edges[:-1], edges[1:]):
        k = (lbda >= low) & (lbda < high)
        dx = (x[k] - ra) * 3600 * np.cos(np.radians(dec))
        dy = (y[k] - dec) * 3600

        def residual(p, dx=dx, dy=dy, values=data[k]):
            peak, x0, y0, sigma, bg = p
            return values - bg - peak * np.exp(
                -((dx - x0) ** 2 + (dy - y0) ** 2) / (2 * sigma ** 2))
        p0 = [data[k].max(), 0.0, 0.0, 0.7 / 2.355, np.median(data[k])]
        fwhm.append(round(float(abs(leastsq(residual, p0)[0][3]) * 2.3548),
                          4))
    return fwhm, int(sub.nrows)


def _peak_rss_mb():
    """Peak resident memory of this process, in MB.

    ``VmHWM`` of /proc is the high-water mark of this process's own memory
    since it started (exec); ``ru_maxrss`` would also count the parent's
    memory at the time of the fork.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ensure_table(filename, nrows):
    from imphot_astropy.datasets import make_synthetic_pixtable
    from imphot_astropy.pixtable import PixTable
    if os.path.exists(filename):
        try:
            if PixTable(filename).nrows == nrows:
                return
        except Exception:       # a broken leftover: write it again
            pass
    print(f"writing {nrows} rows to {filename} ...", flush=True)
    start = time.perf_counter()
    make_synthetic_pixtable(filename, nrows=nrows, projection="projected",
                            save_as_ima=True, seed=0)
    print(f"  written in {time.perf_counter() - start:.1f} s, "
          f"{os.path.getsize(filename) / 1e9:.2f} GB", flush=True)


def _warm_cache(filename):
    with open(filename, "rb", buffering=0) as f:
        while f.read(1 << 24):
            pass


def _run_child(tool, filename, dec, ra):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, __file__, "--child", tool, filename, repr(dec),
         repr(ra)], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nrows", type=float, default=5e7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file", default="/tmp/imphot_bench_pixtable_5e7.fits")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        tool, filename, dec, ra = args.child
        _child(tool, filename, float(dec), float(ra))
        return 0

    from imphot_astropy.datasets import SyntheticPixTable, SYNTHETIC_STARS
    nrows = int(args.nrows)
    _ensure_table(args.file, nrows)
    east, north, _ = SYNTHETIC_STARS[0]
    ra, dec = SyntheticPixTable(nrows).sky_position(east, north)
    ra, dec = float(ra), float(dec)
    print(f"table: {args.file}, {nrows} rows, "
          f"{os.path.getsize(args.file) / 1e9:.2f} GB")
    print(f"cut: {RADIUS_ARCSEC}\" circle at RA {ra:.6f} Dec {dec:.6f}, "
          f"lambda {LAMBDA_RANGE[0]:g}-{LAMBDA_RANGE[1]:g} A")
    _warm_cache(args.file)
    results = {"ours": [], "mpdaf": []}
    for run in range(args.repeat):
        order = ("mpdaf", "ours") if run % 2 else ("ours", "mpdaf")
        for tool in order:
            result = _run_child(tool, args.file, dec, ra)
            results[tool].append(result)
            print(f"run {run + 1} {tool:5s}: {result['seconds']:.3f} s, "
                  f"peak RSS {result['peak_mb']:.0f} MB (after imports "
                  f"{result['import_mb']:.0f} MB), {result['rows']} rows",
                  flush=True)
    summary = {}
    for tool, runs in results.items():
        summary[tool] = (statistics.median(r["seconds"] for r in runs),
                         statistics.median(r["peak_mb"] for r in runs))
    ours, mpdaf = summary["ours"], summary["mpdaf"]
    same = all(r["rows"] == results["mpdaf"][0]["rows"]
               and r["origin_sum"] == results["mpdaf"][0]["origin_sum"]
               for r in results["ours"])
    print(f"median ours : {ours[0]:.3f} s, peak RSS {ours[1]:.0f} MB")
    print(f"median MPDAF: {mpdaf[0]:.3f} s, peak RSS {mpdaf[1]:.0f} MB")
    print(f"speed-up (MPDAF time / ours): {mpdaf[0] / ours[0]:.2f}x; "
          f"memory ratio (ours / MPDAF peak RSS): {ours[1] / mpdaf[1]:.3f}")
    print("same rows selected: " + ("yes" if same else "NO"))
    _star_fits(args, dec, ra)
    return 0


def _star_fits(args, dec, ra):
    """Time the star fit against the guide's recipe with MPDAF."""
    print(f"star fit: {RADIUS_ARCSEC}\" radius, lambda {STAR_RANGE[0]:g}-"
          f"{STAR_RANGE[1]:g} A in {STAR_SLICES} slices")
    results = {"ours-star": [], "mpdaf-star": []}
    for run in range(args.repeat):
        order = (("mpdaf-star", "ours-star") if run % 2
                 else ("ours-star", "mpdaf-star"))
        for tool in order:
            result = _run_child(tool, args.file, dec, ra)
            results[tool].append(result)
            print(f"run {run + 1} {tool:10s}: {result['seconds']:.3f} s, "
                  f"peak RSS {result['peak_mb']:.0f} MB, {result['rows']} "
                  f"rows, FWHM {result['fwhm']}", flush=True)
    ours, mpdaf = ((statistics.median(r["seconds"] for r in results[t]),
                    statistics.median(r["peak_mb"] for r in results[t]))
                   for t in ("ours-star", "mpdaf-star"))
    print(f"median star fit, ours (Moffat, linear FWHM): {ours[0]:.3f} s, "
          f"peak RSS {ours[1]:.0f} MB")
    print(f"median star fit, MPDAF guide (Gaussian leastsq): "
          f"{mpdaf[0]:.3f} s, peak RSS {mpdaf[1]:.0f} MB")
    print(f"star fit: MPDAF time / ours {mpdaf[0] / ours[0]:.2f}x; "
          f"ours / MPDAF peak RSS {ours[1] / mpdaf[1]:.3f}")


if __name__ == "__main__":
    sys.exit(main())
