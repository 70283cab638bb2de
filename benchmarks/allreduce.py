"""The ch06a solution's ring all-reduce against gloo's all_reduce and a naive one, 4 ranks, interleaved timing.

Run: python benchmarks/allreduce.py [--numel 16777216] [--ranks 4] [--repeat 7]   (target: ring >= 0.8x gloo)
"""

import argparse
from pathlib import Path

from aisys.distributed import launch
from grader.notebook import run_definitions

SOLUTION = Path(__file__).resolve().parent.parent / "solutions" / "ch06a_data_parallel.ipynb"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--numel", type=int, default=16 * 2**20)
    p.add_argument("--ranks", type=int, default=4)
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args()
    namespace = run_definitions(SOLUTION)
    race = launch(namespace["race_all_reduce"], args.ranks, args.numel, args.repeat, timeout=600)[0]
    base = race["dist.all_reduce"]
    print(f"all-reduce of {args.numel:,} float32 on {args.ranks} gloo ranks (median of {args.repeat}, interleaved)")
    for name, seconds in race.items():
        print(f"  {name:24s} {seconds * 1e3:8.1f} ms   {4 * args.numel / seconds / 1e9:6.2f} GB/s   {base / seconds:5.2f}x gloo")


if __name__ == "__main__":
    main()
