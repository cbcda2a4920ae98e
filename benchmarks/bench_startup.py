"""Start-up time: ``import imphot_astropy`` and ``fit_photometry --help``.

Each command runs in a fresh Python process, several times; every round
runs every command once, in turn, so that all of them see the same machine
load. The reference is the import of what any astropy image program needs,
``import astropy.nddata, astropy.wcs, astropy.io.fits``, timed in the same
rounds, and so is a bare interpreter (``python -c pass``), the floor that
no package can go under. The script prints, per command, the median wall
time, its excess over the reference and over the floor, the median CPU time
(user + system; less sensitive than wall time to other programs sharing the
machine) and the median peak resident memory of the process.

``fit_photometry --help`` is timed in two forms: the installed console
script (if one is on the PATH) and ``python -m
imphot_astropy.scripts.fit_photometry --help``. Both run with this checkout
first on PYTHONPATH, so that an editable install pointing at another
checkout is not what gets measured (the script says which package it
imported).

Goals (issue 12): ``fit_photometry --help`` under 0.3 s; ``import
imphot_astropy`` within 0.1 s of the astropy reference. There is no peer
run: the MPDAF-based imphot imports all of MPDAF and its commands build
their parsers after importing it; ``--peer`` adds ``import imphot`` from the
peer virtual environment, when it exists, for scale.

Usage: python benchmarks/bench_startup.py [--repeats 9] [--peer]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PEER_PYTHON = os.path.expanduser("~/.venvs/imphot-peer/bin/python")
PEER_SOURCE = "/work/shared/peers/imphot"

BASELINE = "import astropy.nddata, astropy.wcs, astropy.io.fits"


def _environment(pythonpath):
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(
        [pythonpath] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def _run_once(argv, env):
    """Wall time (s), CPU time (s) and peak resident memory (MiB) of one child."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    # wait4 gives this child's own resource usage (its peak RSS), which
    # getrusage(RUSAGE_CHILDREN) would merge with every other child's.
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}):\n{error}")
    # ru_maxrss is in KiB on Linux.
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _commands(include_peer):
    """(label, argv, env) of every command to time; the reference first."""
    env = _environment(REPO)
    python = sys.executable
    commands = [
        ("astropy reference", [python, "-c", BASELINE], env),
        ("python -c pass (interpreter floor)", [python, "-c", "pass"], env),
        ("import imphot_astropy", [python, "-c", "import imphot_astropy"], env),
        ("python -m ...fit_photometry --help",
         [python, "-m", "imphot_astropy.scripts.fit_photometry", "--help"], env),
    ]
    console = shutil.which("fit_photometry")
    if console:
        commands.append(("fit_photometry --help (console script)",
                         [console, "--help"], env))
    if include_peer and os.path.exists(PEER_PYTHON):
        commands.append(("peer: import imphot (MPDAF)",
                         [PEER_PYTHON, "-c", "import imphot"], _environment(PEER_SOURCE)))
    return commands, console


def _imported_from(env):
    probe = "import imphot_astropy, os; print(os.path.dirname(imphot_astropy.__file__))"
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9,
                        help="rounds of runs; medians are over them (default: 9)")
    parser.add_argument("--peer", action="store_true",
                        help="also time 'import imphot' in the peer environment")
    options = parser.parse_args(argv)

    commands, console = _commands(options.peer)
    print(f"imphot_astropy imported from: {_imported_from(commands[0][2])}")
    if console:
        print(f"console script: {console}")
    else:
        print("console script: none on the PATH (only the python -m form is timed)")
    for label, argv_, env in commands:  # warm the file cache and .pyc files
        _run_once(argv_, env)

    times = {label: [] for label, _, _ in commands}
    cpu = {label: [] for label, _, _ in commands}
    memory = {label: [] for label, _, _ in commands}
    for _ in range(options.repeats):
        for label, argv_, env in commands:
            elapsed, cpu_time, peak = _run_once(argv_, env)
            times[label].append(elapsed)
            cpu[label].append(cpu_time)
            memory[label].append(peak)

    reference = statistics.median(times[commands[0][0]])
    floor = statistics.median(times[commands[1][0]])
    print(f"\nmedians over {options.repeats} rounds (each command once per round, "
          f"fresh process)\n")
    print(f"{'command':44s} {'time (s)':>9s} {'- reference':>12s} {'- floor':>9s} "
          f"{'CPU (s)':>8s} {'peak RSS (MiB)':>15s}")
    for label, _, _ in commands:
        median = statistics.median(times[label])
        print(f"{label:44s} {median:9.3f} {median - reference:+12.3f} "
              f"{median - floor:+9.3f} {statistics.median(cpu[label]):8.3f} "
              f"{statistics.median(memory[label]):15.1f}")

    imported = statistics.median(times["import imphot_astropy"])
    helps = [statistics.median(times[label]) for label in times if "--help" in label]
    print(f"\ngoal: import imphot_astropy within 0.1 s of the reference: "
          f"{imported - reference:+.3f} s -> {'met' if imported - reference <= 0.1 else 'NOT met'}")
    print(f"goal: fit_photometry --help under 0.3 s: {max(helps):.3f} s (slowest form) -> "
          f"{'met' if max(helps) < 0.3 else 'NOT met'} ({max(helps) - floor:+.3f} s over a "
          f"bare interpreter, which is {floor:.3f} s on this machine now)")
    help_cpu = max(statistics.median(cpu[label]) for label in cpu if "--help" in label)
    print(f"      CPU time of fit_photometry --help: {help_cpu:.3f} s "
          f"({'under' if help_cpu < 0.3 else 'over'} 0.3 s)")


if __name__ == "__main__":
    main()
