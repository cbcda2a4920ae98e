"""Throughput of FitImagePhotometryMP: 16 full-field exposures, 1 vs 2 workers.

Writes 16 synthetic 300x300 MUSE exposures of one field (DATA and STAT
extensions; seeing, flux scale, pointing and noise differ) and the HST
image of the field on their grid, under /tmp (kept for later runs), then
times, each in a fresh Python process:

* ``direct``: the sequential loop a user would write, one
  ``fit_image_photometry`` call per file with the HST image read once
  (BLAS limited to one thread, as in the workers);
* ``mp N``: ``FitImagePhotometryMP`` with N workers, a first batch ("cold":
  worker start included) and a second batch in the same process ("warm"),
  with the default start method (fork, since the benchmark is
  single-threaded) and with ``forkserver`` (what a threaded caller gets).

It prints medians over the repeats, the ratio of 2 workers to 1, the
per-file overhead of the iterator beyond the fit itself, and the peak
resident memory of each run summed over its processes (psutil polling).
There is no peer in this benchmark: the MPDAF-based imphot, whose
FitImagePhotometryMP this replaces, is not installable from PyPI, and MPDAF
itself has no photometry fit; the baseline is the direct sequential loop.

Usage: python benchmarks/bench_batch.py [--repeats 3] [--files 16] [--size 300]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def _field_dir(nfiles, size):
    return os.path.join("/tmp", f"imphot-bench-batch-{nfiles}x{size}")


def make_field(nfiles, size):
    """Write (or reuse) the HST file and the MUSE files of one synthetic field."""
    from imphot_astropy.datasets.synthetic import make_synthetic_pair, random_sky
    from imphot_astropy.batch.tests.helpers import write_hst_fits, write_muse_fits
    directory = _field_dir(nfiles, size)
    done = os.path.join(directory, "complete")
    muses = [os.path.join(directory, f"muse{i:02d}.fits") for i in range(nfiles)]
    hst_path = os.path.join(directory, "hst.fits")
    if os.path.exists(done):
        return hst_path, muses
    os.makedirs(directory, exist_ok=True)
    shape = (size, size)
    sky = random_sky(shape, n_galaxies=size // 2, n_stars=6, seed=7)
    for i, path in enumerate(muses):
        hst, muse, _ = make_synthetic_pair(
            shape=shape, sources=sky, seed=100 + i, oversample=3,
            fwhm=0.55 + 0.015 * i, scale=1.1 + 0.01 * i, bg=0.01 * (i % 4),
            dx=0.05 * ((i % 5) - 2), dy=0.04 * ((i % 3) - 1))
        if i == 0:
            write_hst_fits(hst, hst_path)
        write_muse_fits(muse, path)
    open(done, "w").close()
    return hst_path, muses


# ---- what runs in the child process ----------------------------------------------

def child_direct(hst_path, muses):
    from imphot_astropy.batch.tasks import limit_blas_threads
    from imphot_astropy.io import read_image
    from imphot_astropy.photometry import fit_image_photometry
    limit_blas_threads(1)
    start = time.perf_counter()
    hst = read_image(hst_path, "hst")
    for path in muses:
        fit_image_photometry(hst, path)
    return {"seconds": time.perf_counter() - start}


def child_mp(hst_path, muses, nworker, method):
    import multiprocessing
    from imphot_astropy.batch import FitImagePhotometryMP
    context = None if method == "default" else multiprocessing.get_context(method)
    times, task_seconds = [], []
    for _ in range(2):  # cold, then warm
        start = time.perf_counter()
        with FitImagePhotometryMP(hst_path, muses, nworker=nworker,
                                  mp_context=context) as fits:
            results = list(fits)
            stats = fits.worker_stats
        times.append(time.perf_counter() - start)
        task_seconds.append(sum(s["seconds"] for s in stats.values()))
        assert len(results) == len(muses) and not any(isinstance(r, Exception)
                                                      for r in results)
    return {"cold": times[0], "warm": times[1], "task_seconds_warm": task_seconds[1]}


def read_only(hst, muse):
    """A stand-in for a fitter that does everything a fit does but fit: it
    reads the MUSE file and returns a result of the size of a real one."""
    from imphot_astropy.io import read_image
    image = read_image(muse, "muse")
    return {"name": image.name, "payload": b"x" * 2400}


def child_overhead(hst_path, muses, repeat=4):
    """The iterator's own cost per file: read_only through 1 worker vs direct."""
    from imphot_astropy.batch import FitPhotometryMP
    from imphot_astropy.io import read_image
    files = muses * repeat
    start = time.perf_counter()
    hst = read_image(hst_path, "hst")
    for path in files:
        read_only(hst, path)
    direct = time.perf_counter() - start
    times = []
    for _ in range(2):  # the second batch has warm caches, as the first has not
        start = time.perf_counter()
        with FitPhotometryMP(read_only, hst_path, files, nworker=1) as results:
            assert len(list(results)) == len(files)
        times.append(time.perf_counter() - start)
    return {"per_file_direct": direct / len(files), "per_file_mp": times[1] / len(files)}


# ---- the parent: runs children, polls their memory ---------------------------------

def _tree_rss(pid):
    import psutil
    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([REPO] + [p for p in [env.get("PYTHONPATH")] if p])
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child"] + args,
                            stdout=subprocess.PIPE, env=env, text=True)
    peak = 0
    cpu_before, start = _children_cpu(), time.perf_counter()
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.05)
    out = proc.stdout.read()
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = peak / 2**20
    # CPU time of the child and of its workers (they are waited for), over
    # its wall time: the cores it actually got, whatever else ran meanwhile.
    result["cores_used"] = (_children_cpu() - cpu_before) / (time.perf_counter() - start)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        kind, nfiles, size = options.child[0], int(options.child[1]), int(options.child[2])
        hst_path, muses = make_field(nfiles, size)
        if kind == "direct":
            result = child_direct(hst_path, muses)
        elif kind == "overhead":
            result = child_overhead(hst_path, muses)
        else:
            result = child_mp(hst_path, muses, int(options.child[3]), options.child[4])
        print(json.dumps(result))
        return

    sys.path.insert(0, REPO)
    start = time.perf_counter()
    make_field(options.files, options.size)
    print(f"field: {options.files} exposures of {options.size}x{options.size} pixels "
          f"({time.perf_counter() - start:.1f} s to make or find), cores: {os.cpu_count()}, "
          f"load average: {os.getloadavg()[0]:.1f}")
    common = [str(options.files), str(options.size)]
    runs = {"direct": [], "overhead": []}
    configs = [(n, m) for m in ("default", "forkserver") for n in (1, 2)]
    for config in configs:
        runs[config] = []
    for repeat in range(options.repeats):
        runs["direct"].append(run_child(["direct"] + common))
        runs["overhead"].append(run_child(["overhead"] + common))
        for nworker, method in configs:
            runs[(nworker, method)].append(
                run_child(["mp"] + common + [str(nworker), method]))
        print(f"repeat {repeat + 1}/{options.repeats} done "
              f"(load average {os.getloadavg()[0]:.1f})", flush=True)

    def med(rows, key):
        return statistics.median(row[key] for row in rows)

    nfiles = options.files
    direct = med(runs["direct"], "seconds")
    print(f"\nmedians (and minima) over {options.repeats} repeats; 'cores' is the CPU "
          "time of a run's processes over its wall time")
    print(f"{'run':28s} {'cold (s)':>14s} {'warm (s)':>14s} {'peak RSS (MB)':>14s} "
          f"{'cores':>6s}")
    print(f"{'direct loop, 1 process':28s} {direct:6.2f} ({min(r['seconds'] for r in runs['direct']):5.2f}) "
          f"{'':>14s} {med(runs['direct'], 'peak_rss_mb'):14.0f} "
          f"{med(runs['direct'], 'cores_used'):6.2f}")
    for nworker, method in configs:
        rows = runs[(nworker, method)]
        print(f"{f'{nworker} worker(s), {method}':28s} "
              f"{med(rows, 'cold'):6.2f} ({min(r['cold'] for r in rows):5.2f}) "
              f"{med(rows, 'warm'):6.2f} ({min(r['warm'] for r in rows):5.2f}) "
              f"{med(rows, 'peak_rss_mb'):14.0f} "
              # Fork-server workers are not children of the run: their CPU time
              # is not counted in it.
              + (f"{med(rows, 'cores_used'):6.2f}" if method != "forkserver" else "   n/a"))
    # Runs of 1 and 2 workers are made back to back in each repeat, so that
    # both see about the same load from other programs: the ratio of each
    # pair, then their median.
    for method in ("default", "forkserver"):
        one, two = runs[(1, method)], runs[(2, method)]
        for phase in ("cold", "warm"):
            ratios = [b[phase] / a[phase] for a, b in zip(one, two)]
            print(f"ratio 2 workers / 1 worker, {method}, {phase}: median "
                  f"{statistics.median(ratios):.3f}, of minima "
                  f"{min(b[phase] for b in two) / min(a[phase] for a in one):.3f}, each "
                  f"repeat {' '.join(f'{r:.2f}' for r in ratios)}")
    one = runs[(1, "default")]
    overheads = [(a["warm"] - d["seconds"]) / nfiles for a, d in zip(one, runs["direct"])]
    in_task = [(a["task_seconds_warm"] - d["seconds"]) / nfiles
               for a, d in zip(one, runs["direct"])]
    print(f"per-file overhead beyond the fit (1 worker, warm, minus the direct loop): "
          f"median {statistics.median(overheads) * 1e3:.1f} ms, of minima "
          f"{(min(a['warm'] for a in one) - min(d['seconds'] for d in runs['direct'])) / nfiles * 1e3:.1f} ms, "
          f"per fit {direct / nfiles * 1e3:.0f} ms (median); inside the worker's task: "
          f"{statistics.median(in_task) * 1e3:.1f} ms")
    mp_cost = [r["per_file_mp"] - r["per_file_direct"] for r in runs["overhead"]]
    print(f"the iterator's own cost per file, measured without the fit (a stand-in that "
          f"reads the MUSE file and returns a result-sized object; 1 worker, "
          f"{4 * nfiles} files): median {statistics.median(mp_cost) * 1e3:.2f} ms "
          f"(reading the file: {med(runs['overhead'], 'per_file_direct') * 1e3:.2f} ms, "
          "in both)")


if __name__ == "__main__":
    main()
