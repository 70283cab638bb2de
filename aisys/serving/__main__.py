"""python -m aisys.serving serve | load: the model server and its load generator for scripts."""

import argparse
import asyncio
import json
import sys

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m aisys.serving", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve a model repository over the KServe v2 REST protocol")
    serve.add_argument("--repo", help="model repository folder (default: the example repository, built on first use)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0: a free port (printed)")
    serve.add_argument("--max-body", type=int, help="largest request body in bytes (default 8 MiB)")
    serve.add_argument("--policies", help="a cloudpickled {'policies': {model: BatchPolicy} overriding the configs' batching, "
                       "'scheduler': a Scheduler picking among ready batches (None: first come, first served)}")
    load = sub.add_parser("load", help="offer load to a server and print throughput and latency percentiles")
    load.add_argument("--url", required=True, help="http://127.0.0.1:8000")
    load.add_argument("--model", required=True)
    load.add_argument("--rate", type=float, help="open loop: Poisson arrivals per second")
    load.add_argument("--clients", type=int, help="closed loop: concurrent clients")
    load.add_argument("--duration", type=float, default=5.0)
    load.add_argument("--seed", type=int, default=0)
    load.add_argument("--malformed", type=float, default=0.0, help="share of requests sent as broken JSON (must get 400)")
    load.add_argument("--json", help="also write the summary to this file")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return run_server(args)
    from aisys.serving.load import run_load

    if (args.rate is None) == (args.clients is None):
        parser.error("give either --rate (open loop) or --clients (closed loop)")
    example = np.zeros((1, *example_shape(args.url, args.model)), dtype=np.float32)
    summary = run_load(args.url, args.model, example, args.rate, args.clients, args.duration, args.seed,
                       malformed=args.malformed).summary()
    print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0 if summary["failed"] == 0 and summary["malformed_refused"] == summary["malformed"] else 1


def example_shape(url, model):
    """A model's input shape without the batch dimension, from its metadata."""
    import urllib.request

    with urllib.request.urlopen(f"{url}/v2/models/{model}", timeout=10) as response:
        return json.load(response)["inputs"][0]["shape"][1:]


def run_server(args):
    import torch

    from aisys.serving.models import example_repository
    from aisys.serving.server import MAX_BODY, serve

    torch.set_num_threads(1)
    chosen = {}
    if args.policies:
        import cloudpickle

        with open(args.policies, "rb") as f:
            chosen = cloudpickle.load(f)
    try:
        asyncio.run(serve(args.repo or example_repository(), args.host, args.port, chosen.get("policies"), args.max_body or MAX_BODY,
                          chosen.get("scheduler")))
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
