"""Benchmark the autograder: its overhead over running a notebook, and batch speed-up with --jobs 2.

    python benchmarks/grading.py [--copies 6] [--notebook solutions/ch01_end_to_end.ipynb]
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from grader.batch import batch
from grader.solution_run import run_notebook
from grader.grade import grade


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--notebook", default="solutions/ch01_end_to_end.ipynb")
    p.add_argument("--copies", type=int, default=6)
    args = p.parse_args()
    nb_path = Path(args.notebook)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
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
