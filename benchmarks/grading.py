"""Benchmark the autograder: the sandbox's cost per submission, its overhead over running a notebook, and batch
speed-up with --jobs 2.

    python benchmarks/grading.py [--copies 6] [--notebook solutions/ch01_end_to_end.ipynb] [--sandbox-only]
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grader.batch import batch
from grader.sandbox import prepare, wrap
from grader.solution_run import run_notebook
from grader.grade import grade


def seconds(fn, repeats):
    """The median wall time of fn() over repeats calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sandbox_overhead(nb_path, tmp, repeats):
    """Print what the sandbox adds: to starting a process, and to grading one submission (same notebook, same run)."""
    prepare(tmp)
    cmd = [sys.executable, "-c", "pass"]
    plain = seconds(lambda: subprocess.run(cmd, check=True), 20)
    boxed = seconds(lambda: subprocess.run(wrap(cmd, tmp), check=True), 20)
    print(f"sandbox start-up: python -c pass {plain * 1000:.0f} ms plain, {boxed * 1000:.0f} ms in bwrap: "
          f"{(boxed - plain) * 1000:.0f} ms per submission (median of 20)")
    runs = {"none": [], "bwrap": []}
    for _ in range(repeats):  # interleaved, so that a slow spell of the machine hits both alike
        for kind in runs:
            t0 = time.perf_counter()
            report = grade(nb_path, cache_dir=tmp / "cache", sandbox=kind)
            runs[kind].append(time.perf_counter() - t0)
            assert report.score == report.max_score, report
    none, bwrap = (statistics.median(runs[k]) for k in ("none", "bwrap"))
    print(f"{nb_path.name} graded: {none:.2f} s with --sandbox none, {bwrap:.2f} s in bwrap (median of {repeats}): "
          f"sandbox overhead {bwrap - none:+.2f} s per submission (target < 1 s)")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--notebook", default="solutions/ch01_end_to_end.ipynb")
    p.add_argument("--copies", type=int, default=6)
    p.add_argument("--repeats", type=int, default=3, help="gradings per sandbox kind for the overhead (default 3)")
    p.add_argument("--sandbox-only", action="store_true", help="measure the sandbox's overhead only")
    args = p.parse_args()
    nb_path = Path(args.notebook)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sandbox_overhead(nb_path, tmp, args.repeats)
        if args.sandbox_only:
            return
        t0 = time.perf_counter()
        run_notebook(nbformat.read(nb_path, 4), tmp)
        plain = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = grade(nb_path, cache_dir=tmp / "cache")
        graded = time.perf_counter() - t0
        print(f"one notebook: plain nbclient run {plain:.1f} s, graded {graded:.1f} s "
              f"(score {report.score:g}/{report.max_score:g}): grading overhead {graded - plain:.1f} s")
        subs = tmp / "class"
        subs.mkdir()
        for i in range(args.copies):
            shutil.copy(nb_path, subs / f"student{i}.ipynb")
        times = {}
        for jobs in (1, 2):
            t0 = time.perf_counter()
            reports = batch(subs, tmp / f"jobs{jobs}" / "grades.csv", jobs=jobs, cache_dir=tmp / "cache")
            times[jobs] = time.perf_counter() - t0
            full = sum(r.score == r.max_score for r in reports)
            print(f"batch --jobs {jobs}: {times[jobs]:.1f} s for {args.copies} notebooks ({full} at full marks)")
        print(f"ratio jobs 2 / jobs 1: {times[2] / times[1]:.2f} (target <= 0.65)")


if __name__ == "__main__":
    main()
