"""python -m aisys.scheduling simulate | generate: the simulator for scripts."""

import argparse
import json
import sys

from aisys.scheduling import Cluster, TraceError, load_csv, load_philly, load_policy, save_csv, simulate, synthetic
from aisys.scheduling.simulator import PolicyError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m aisys.scheduling", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="replay a trace under a policy; print the metrics")
    sim.add_argument("--trace", required=True, help="a CSV trace (see datasets/README.md) or a Philly cluster_job_log (.json)")
    sim.add_argument("--nodes", type=int, required=True)
    sim.add_argument("--gpus-per-node", type=int, required=True)
    sim.add_argument("--cpus-per-node", type=float)
    sim.add_argument("--mem-per-node", type=float, help="GB")
    sim.add_argument("--policy", default="fifo", help="a name (fifo) or module:Class")
    sim.add_argument("--json", help="also write the metrics to this file")
    gen = sub.add_parser("generate", help="write a synthetic Philly-like trace")
    gen.add_argument("--jobs", type=int, required=True)
    gen.add_argument("--cluster-gpus", type=int, required=True, help="GPUs the load is computed for")
    gen.add_argument("--load", type=float, default=0.9, help="offered load: GPU-seconds asked / GPU-seconds available")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            save_csv(synthetic(args.jobs, args.cluster_gpus, args.load, args.seed), args.out)
            print(f"wrote {args.jobs} jobs to {args.out}")
            return 0
        jobs = load_philly(args.trace) if args.trace.endswith(".json") else load_csv(args.trace)
        cluster = Cluster(args.nodes, args.gpus_per_node, args.cpus_per_node, args.mem_per_node)
        result = simulate(jobs, cluster, load_policy(args.policy))
    except FileNotFoundError as e:
        print(f"error: {e.filename}: no such file", file=sys.stderr)
        return 2
    except (TraceError, PolicyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    m = result.metrics(partial=True) if result.jobs else {"policy": result.policy, "num_jobs": 0, "deadlock": result.deadlock}
    for key, value in m.items():
        print(f"{key:>16}: {value:.6g}" if isinstance(value, float) else f"{key:>16}: {value}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(m, f, indent=2)
    if result.unfinished:
        print(f"warning: {len(result.unfinished)} job(s) did not finish: {result.deadlock}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
