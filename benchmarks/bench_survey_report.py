"""The survey report of 400 exposures: time to make it, and its size on disk.

Makes a synthetic survey table of 400 exposures in the 4 bands (as
``fit_cube_photometry --table`` writes it, `make_survey_table`, with an
offset jump and a seeing mismatch planted), writes it to an ECSV file with
the cubes' primary headers kept in memory, then times, in a fresh Python
process (imports included, as the ``survey_report`` command would pay
them), `survey_report` of it with the default worker processes (one per
core) and with one process. It prints the wall time, the folder's size and
its number of files, the CPU seconds of all its processes (the wall time
depends on what else the machine runs: the load average before each run is
printed), and checks the budget of issue 25: under 60 s on the 2-core
machine, under 50 MB.

Usage: python benchmarks/bench_survey_report.py [--exposures 400] [--nprocess 0 1]
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

_RUN = """
import sys, time
t0 = time.perf_counter()
from imphot_astropy.datasets import make_survey_table
from imphot_astropy.report import survey_report
table, headers, truth = make_survey_table({n}, offset_jumps={{7: (0.5, 0.0)}},
                                          seeing_mismatches={{100: 1.6}}, seed=1)
t1 = time.perf_counter()
survey_report(table, {out!r}, cubes=headers, nprocess={nprocess})
print(time.perf_counter() - t1, t1 - t0)
"""


def _size(directory):
    total, count = 0, 0
    for root, _, files in os.walk(directory):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
            count += 1
    return total, count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exposures", type=int, default=400)
    parser.add_argument("--nprocess", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    work = tempfile.mkdtemp(prefix="bench-survey-report-")
    ok = True
    try:
        print(f"survey report of {args.exposures} exposures, 4 bands, "
              f"{os.cpu_count()} cores")
        for nprocess in args.nprocess:
            out = os.path.join(work, f"report{nprocess}")
            load = os.getloadavg()[0]
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            result = subprocess.run([sys.executable, "-c", _RUN.format(
                n=args.exposures, out=out, nprocess=nprocess)], env=env, check=True,
                capture_output=True, text=True)
            wall = time.perf_counter() - start
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
            report, table = (float(v) for v in result.stdout.split())
            size, count = _size(out)
            within = wall < 60.0 and size < 50e6
            ok &= within or nprocess != 0
            print(f"  nprocess={nprocess}: {wall:5.1f} s wall (report {report:5.1f} s, "
                  f"imports and table {table:4.1f} s; {cpu:5.1f} CPU s in all processes; "
                  f"load average {load:.1f} before), {size / 1e6:5.1f} MB in {count} "
                  f"files{'' if nprocess else ' (default)'}: "
                  f"{'within' if within else 'OUTSIDE'} 60 s / 50 MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
