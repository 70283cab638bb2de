"""The ch05b solution's tuners on a real matmul space: model-guided and random search against the exhaustive best and torch.matmul.

Run: python benchmarks/tuning.py [--size 128] [--trials 32] [--seeds 3]   (target: tuned within 10% of exhaustive)
"""

import argparse
import time
from pathlib import Path

import numpy as np

from aisys.tensorexpr import Space, loop_features, matmul
from grader.notebook import run_definitions

SOLUTION = Path(__file__).resolve().parent.parent / "solutions" / "ch05b_tensor_compiler.ipynb"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--size", type=int, default=128, help="M = N = K of the matmul")
    p.add_argument("--trials", type=int, default=32)
    p.add_argument("--seeds", type=int, default=3)
    args = p.parse_args()
    ns = run_definitions(SOLUTION, "ch05b_solution")
    mm = matmul(args.size, args.size, args.size)
    space = Space(ns["tune_space"].knobs,
                  program_features=lambda config: loop_features(mm, ns["lower"](mm, ns["tiled"](mm, config))))
    t0 = time.perf_counter()
    kernels = ns["kernels_of"](mm, space, ns["tiled"])
    inputs = mm.random_inputs()
    print(f"{len(space)} schedules of a {args.size}^3 matmul built in {time.perf_counter() - t0:.1f} s "
          f"(2-core runs: close other heavy jobs)")

    def measure(configs):
        return [kernels[space.key(c)].gflops(inputs, min_time=0.01) for c in configs]

    t0 = time.perf_counter()
    exhaustive = dict(zip(map(space.key, space.configs()), measure(space.configs())))
    print(f"exhaustive: {len(space)} trials in {time.perf_counter() - t0:.1f} s, best {max(exhaustive.values()):.1f} GFLOP/s")
    best_key = max(exhaustive, key=exhaustive.get)
    found = {}
    for name in ("random_search", "model_guided_search"):
        for seed in range(args.seeds):
            history = ns[name](space, measure, args.trials, np.random.default_rng(seed))
            found[name, seed] = max(history, key=lambda h: h[1])[0]
    # Re-measure every winner interleaved with the exhaustive best and torch.matmul, so that load hits all alike.
    candidates = {"exhaustive best": best_key, **{f"{n} seed {s}": space.key(c) for (n, s), c in found.items()}}
    samples = {name: [] for name in [*candidates, "torch.matmul, 1 thread", "torch.matmul, 2 threads"]}
    config = {key: dict(zip(space.knobs, key)) for key in candidates.values()}
    for _ in range(5):
        for name, key in candidates.items():
            samples[name] += measure([config[key]])
        for threads in (1, 2):
            samples[f"torch.matmul, {threads} thread{'s' * (threads > 1)}"].append(ns["torch_gflops"](mm, threads, 0.01))
    base = float(np.median(samples["exhaustive best"]))
    print(f"\n{'schedule':28s} {'config':44s} {'GFLOP/s':>8s} {'/ exhaustive':>12s}")
    for name, values in samples.items():
        label = str(config[candidates[name]]) if name in candidates else "MKL"
        print(f"{name:28s} {label:44s} {np.median(values):8.1f} {np.median(values) / base:12.2f}")
    guided = [np.median(samples[f"model_guided_search seed {s}"]) / base for s in range(args.seeds)]
    plain = [np.median(samples[f"random_search seed {s}"]) / base for s in range(args.seeds)]
    print(f"\nmodel-guided search ({args.trials} of {len(space)} trials): {min(guided):.2f}-{max(guided):.2f} of the "
          f"exhaustive best over {args.seeds} seeds; random search {min(plain):.2f}-{max(plain):.2f}")


if __name__ == "__main__":
    main()
