"""Simulator speed: FIFO and the ch07 solution's SRTF and DRF on 100,000 jobs and 2,000 GPUs, and how cost grows.

Run: python benchmarks/scheduling.py [--policy FIFO,SRTF]  (one core is enough: the simulator is single-threaded)
"""

import argparse
import math
import time
from pathlib import Path

from aisys.bench import measure
from aisys.scheduling import FIFO, Cluster, simulate, synthetic
from grader.notebook import run_definitions

LOAD = 1.1
POLICIES = ("FIFO", "SRTF", "DRF")  # FIFO from aisys, the others from the ch07 solution
SOLUTION = Path(__file__).resolve().parent.parent / "solutions" / "ch07_scheduling.ipynb"


def solution_policies():
    """The policy classes the ch07 solution defines (its definition cells, run here)."""
    namespace = run_definitions(SOLUTION, "ch07_solution")
    return {"FIFO": FIFO, **{name: namespace[name] for name in POLICIES if name != "FIFO"}}


def timed(policy, jobs, cluster):
    """Seconds to simulate, and the run's metrics."""
    start = time.perf_counter()
    result = simulate(jobs, cluster, policy())
    return time.perf_counter() - start, result.metrics()


def chosen(names):
    """The policy names in a comma-separated list (any case), or an error that names the valid ones."""
    by_lower = {name.lower(): name for name in POLICIES}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n.lower() not in by_lower]
    if unknown or not wanted:
        raise ValueError(f"--policy {names!r}: unknown policy {', '.join(map(repr, unknown)) or '(none given)'}; "
                         f"choose from {', '.join(POLICIES)} (comma-separated)")
    return [by_lower[n.lower()] for n in wanted]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default=",".join(POLICIES),
                        help=f"comma-separated policies to time on 100,000 jobs, of {', '.join(POLICIES)} (default: all)")
    try:
        names = chosen(parser.parse_args(argv).policy)
    except ValueError as e:
        parser.error(str(e))
    policies = solution_policies()
    print(f"100,000 jobs (Philly-like, {LOAD:.0%} offered load: queues grow) on 250 nodes x 8 GPUs; targets: FIFO <= 20 s, "
          f"SRTF and DRF <= 60 s")
    jobs = synthetic(100_000, 2000, load=LOAD, seed=1)
    for name in names:
        seconds, m = timed(policies[name], jobs, Cluster(250, 8))
        print(f"  {name:5s} {seconds:6.1f} s   avg JCT {m['avg_jct'] / 3600:7.1f} h   utilisation {m['utilization']:.3f}   "
              f"preemptions {m['preemptions']}")
    print("\ncost against n log n: FIFO on the first n jobs of one 90%-load trace, same cluster, best of 3")
    jobs, base = synthetic(100_000, 2000, load=0.9, seed=2), None
    for n in (12_500, 25_000, 50_000, 100_000):
        seconds = measure(lambda: simulate(jobs[:n], Cluster(250, 8), FIFO()), warmup=0, repeat=3).best
        per = seconds / (n * math.log(n))
        base = base or per
        print(f"  n={n:7,d}  {seconds:6.2f} s   {per * 1e6:.2f} us per n log n   ({per / base:.2f}x the smallest)")


if __name__ == "__main__":
    main()
