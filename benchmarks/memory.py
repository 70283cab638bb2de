"""The ch05a solution's memory planning and checkpointing against the issue's targets, on seeded random graphs.

Run: python benchmarks/memory.py [--nets 30] [--blocks 16]   (targets: arena within 10% of the peak-live bound on
each branching net, at least 2x below no reuse on a training graph; sqrt(n) checkpointing at least 2x less activation
memory for at most 1.5x the time; timings on 2 threads: close other heavy jobs)
"""

import argparse
import time
from pathlib import Path

import torch

from aisys.bench import interleaved
from aisys.compiler import (arena_bytes, branching_graph, fanout_graph, graph_dag, live_bytes, min_peak,
                            order_lifetimes, order_peak, training_graph)
from grader.notebook import run_definitions

SOLUTION = Path(__file__).resolve().parent.parent / "solutions" / "ch05a_graph_compiler.ipynb"


def plans(ns, label, graphs):
    """Print no reuse, one greedy pass, the planner and the bound of each (name, tensors); returns the worst ratios."""
    print(f"\n{label}\n{'graph':>38s} {'tensors':>7s} {'no reuse KiB':>12s} {'one pass':>9s} {'planned':>8s} "
          f"{'bound':>8s} {'planned/bound':>13s} {'no reuse/planned':>16s}")
    worst_bound, worst_reuse = 0.0, float("inf")
    for name, tensors in graphs:
        offsets = ns["assign_offsets"](tensors)
        by_size = sorted(tensors, key=lambda n: (-tensors[n][2], tensors[n][0]))
        one_pass = arena_bytes(tensors, ns["place"](tensors, by_size))
        arena, bound = arena_bytes(tensors, offsets), max(live_bytes(tensors))
        no_reuse = sum(b for *_, b in tensors.values())
        worst_bound, worst_reuse = max(worst_bound, arena / bound), min(worst_reuse, no_reuse / arena)
        print(f"{name:>38s} {len(tensors):7d} {no_reuse / 1024:12.0f} {one_pass / 1024:9.0f} {arena / 1024:8.0f} "
              f"{bound / 1024:8.0f} {arena / bound:13.3f} {no_reuse / arena:16.2f}")
    return worst_bound, worst_reuse


def checkpointing(ns, blocks, width=256, batch=256):
    """Peak saved activation MiB and ms per training step of a deep MLP for each strategy, timed round-robin as the
    notebook does, so that a burst of load lands on every strategy alike."""
    model = ns["deep_mlp"](blocks, width)
    x = torch.randn(batch, width, requires_grad=True)
    strategies = {"none": None, "sqrt(n)": ns["sqrt_checkpoints"](blocks), "every block": list(range(blocks))}
    timings = interleaved({name: lambda kept=kept: ns["train_step"](model, x, kept) for name, kept in strategies.items()},
                          repeat=20).timings
    rows = {}
    for name, kept in strategies.items():
        saved = ns["SavedBytes"](model.parameters())
        with torch.autograd.graph.saved_tensors_hooks(saved.pack, saved.unpack):
            ns["train_step"](model, x, kept)
        rows[name] = saved.peak / 2 ** 20, timings[name].median * 1e3
    base_mib, base_ms = rows["none"]
    print(f"\ncheckpointing a {blocks}-block MLP (width {width}, batch {batch}), {torch.get_num_threads()} threads\n"
          f"{'strategy':>12s} {'saved MiB':>9s} {'ms/step':>8s} {'memory /':>9s} {'time x':>7s}")
    for name, (mib, ms) in rows.items():
        print(f"{name:>12s} {mib:9.2f} {ms:8.2f} {base_mib / mib:9.2f} {ms / base_ms:7.2f}")
    return base_mib / rows["sqrt(n)"][0], rows["sqrt(n)"][1] / base_ms


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--nets", type=int, default=30, help="seeded random branching nets to plan")
    p.add_argument("--blocks", type=int, default=16, help="blocks of the checkpointed MLP")
    args = p.parse_args()
    t0 = time.perf_counter()
    ns = run_definitions(SOLUTION, "ch05a_solution")  # its planner, orders and checkpointing helpers
    torch.set_num_threads(2)
    nets = []
    for seed in range(args.nets):
        gm, x = branching_graph(torch.Generator().manual_seed(seed), blocks=4 + seed % 5)
        nets.append((f"branching net {seed}", ns["lifetimes"](gm, x)))
    net_bound, _ = plans(ns, "branching nets (residual and inception-like blocks)", nets)
    trainings = []
    for widths in ([64, 256, 256, 256, 10], [128, 512, 512, 512, 512, 512, 10], [32, 64, 128, 64, 32]):
        gm, inputs = training_graph(widths)
        dag = graph_dag(gm, *inputs)
        trainings.append((" x ".join(map(str, widths)), order_lifetimes(dag, list(dag))))
    train_bound, train_reuse = plans(ns, "MLP training steps (forward + backward, batch 64)", trainings)
    print(f"\n{'fan-out graph':>13s} {'breadth first KiB':>17s} {'memory_order':>12s} {'best':>6s}")
    for seed in range(6):
        dag = fanout_graph(torch.Generator().manual_seed(seed))
        given, mine = order_peak(dag, list(dag)), order_peak(dag, ns["memory_order"](dag))
        print(f"{seed:13d} {given / 1024:17.0f} {mine / 1024:12.0f} {min_peak(dag) / 1024:6.0f}")
    memory_cut, time_cost = checkpointing(ns, args.blocks)
    print(f"\ntargets ({time.perf_counter() - t0:.0f} s):")
    targets = [(net_bound <= 1.10, f"arena within 10% of the bound on every branching net: worst {net_bound:.3f}"),
               (train_reuse >= 2, f"training graphs at least 2x below no reuse: least {train_reuse:.2f}x "
                                  f"(worst planned / bound {train_bound:.3f})"),
               (memory_cut >= 2 and time_cost <= 1.5,
                f"sqrt(n) checkpointing: {memory_cut:.2f}x less activation memory for {time_cost:.2f}x the time")]
    for ok, text in targets:
        print(f"  {'met ' if ok else 'MISSED'} {text}")


if __name__ == "__main__":
    main()
