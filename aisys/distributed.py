"""Run a function on several torch.distributed ranks from a notebook cell, and get each rank's result back.

Functions defined in notebook cells cannot be pickled by reference for the spawn start method, so the function
and its arguments travel by value (cloudpickle) to processes forked from a fork server that has torch imported
(fast to start, and safe: no OpenMP or CUDA state is forked). Each rank's prints come back prefixed with its rank.
"""

import math
import os
import queue
import re
import socket
import sys
import time
import traceback
from datetime import timedelta

import cloudpickle
import torch
import torch.distributed as dist

MAX_RANKS_PER_CORE = 4


class RankError(RuntimeError):
    """One or more ranks failed (raised, exited or hung); the message names each rank and its cause."""

    def __init__(self, message, rank=None, cause=None):
        super().__init__(message)
        self.rank, self.cause = rank, cause  # the rank that failed first, and its cause in one line

    @property
    def deadlocked(self):
        """Whether the first failure was a hang: the launcher's deadline, or a collective's own timeout (gloo's
        "Timed out waiting ... for send/recv operation"), rather than an exception of the rank's own code."""
        why = (self.cause or "").lower()
        return "did not finish within" in why or "timed out" in why


def free_port(host="127.0.0.1"):
    """A TCP port that is free on host right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(port, host="127.0.0.1"):
    """Whether something already listens on (or holds) host:port."""
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def pick_backend(world_size):
    """NCCL when there is a GPU for every rank, else gloo (saying why when GPUs are there but too few)."""
    gpus = torch.cuda.device_count()
    if gpus >= world_size and gpus > 1:
        return "nccl"
    if gpus:
        print(f"aisys: {gpus} GPU(s) for {world_size} ranks: NCCL needs one GPU per rank, so this runs on gloo (CPU)")
    return "gloo"


def rank_device():
    """The device this rank computes on: its own GPU under NCCL, else the CPU."""
    if dist.is_initialized() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def completed(value):
    """A torch Future that already holds value (what a synchronous DDP communication hook returns)."""
    fut = torch.futures.Future()
    fut.set_result(value)
    return fut


class Bucket:
    """A stand-in for DDP's GradBucket, to call a communication hook directly: hook(state, Bucket(i, tensor)).

    buffer() is the flat gradient tensor the hook averages in place; index() the bucket's number."""

    def __init__(self, index, tensor):
        self._index, self._tensor = index, tensor

    def buffer(self):
        return self._tensor

    def index(self):
        return self._index

    def is_last(self):
        return False


def shard_order(n, world_size, seed=0, epoch=0):
    """The sample indices each rank takes, in order, in one epoch of a shuffling DistributedSampler over n samples
    (what the checks compare a student's loader with)."""
    from torch.utils.data import DistributedSampler

    shards = []
    for r in range(world_size):
        sampler = DistributedSampler(range(n), num_replicas=world_size, rank=r, shuffle=True, seed=seed)
        sampler.set_epoch(epoch)
        shards.append(list(sampler))
    return shards


def sharded_sgd(model, x, y, world_size, epochs, global_batch, lr, seed=0, reshuffle=True):
    """One process doing what data-parallel SGD on world_size ranks does with DistributedSampler shards: each step
    the mean of the ranks' mean cross-entropy losses. reshuffle=False deals every epoch as epoch 0. Returns the
    state dict (model is trained in place)."""
    import torch.nn.functional as F

    opt = torch.optim.SGD(model.parameters(), lr=lr)
    per_rank = global_batch // world_size
    for epoch in range(epochs):
        shards = shard_order(len(x), world_size, seed, epoch if reshuffle else 0)
        for i in range(0, len(shards[0]), per_rank):
            opt.zero_grad()
            losses = [F.cross_entropy(model(x[s[i:i + per_rank]]), y[s[i:i + per_rank]]) for s in shards]
            (sum(losses) / world_size).backward()
            opt.step()
    return model.state_dict()


def timed(fn, repeat=5, warmup=1):
    """Median seconds of fn() across repeats, each started together on every rank and ended by the slowest."""
    times = []
    for i in range(warmup + repeat):
        dist.barrier()
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available() and dist.get_backend() == "nccl":
            torch.cuda.synchronize()
        elapsed = torch.tensor([time.perf_counter() - start], device=rank_device())
        dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
        if i >= warmup:
            times.append(elapsed.item())
    return sorted(times)[len(times) // 2]


class _Stream:
    """A file-like sys.stdout/sys.stderr for a rank: whole lines go to the parent through the queue."""

    def __init__(self, q, rank, name):
        self.q, self.rank, self.name, self.buf = q, rank, name, ""

    def write(self, text):
        self.buf += text
        *lines, self.buf = self.buf.split("\n")
        for line in lines:
            self.q.put(("out", self.rank, self.name, line))
        return len(text)

    def flush(self):
        if self.buf:
            self.q.put(("out", self.rank, self.name, self.buf))
            self.buf = ""


def _rank_main(payload, rank, world_size, port, backend, timeout, q):
    """Body of one rank's process: join the group, run the function, report its result or its traceback."""
    sys.stdout, sys.stderr = _Stream(q, rank, "stdout"), _Stream(q, rank, "stderr")
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world_size),
                      LOCAL_RANK=str(rank))
    try:
        fn, args, kwargs = cloudpickle.loads(payload)
        if backend == "nccl":
            torch.cuda.set_device(rank)
        dist.init_process_group(backend, rank=rank, world_size=world_size, timeout=timedelta(seconds=timeout))
        result = fn(rank, world_size, *args, **kwargs)
        q.put(("result", rank, cloudpickle.dumps(result)))
    except BaseException:  # reported to the parent, which raises it in the notebook
        q.put(("error", rank, traceback.format_exc(), time.monotonic()))  # a clock all ranks share
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        if dist.is_initialized():
            dist.destroy_process_group()


def _context():
    """A fork-server multiprocessing context with torch preloaded."""
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["torch", "torch.distributed", "cloudpickle", "aisys.distributed"])
    return ctx


def launch(fn, world_size, *args, backend="gloo", timeout=60.0, port=None, prefix=True, **kwargs):
    """Run fn(rank, world_size, *args, **kwargs) on world_size ranks; return their results, ordered by rank."""
    limit = MAX_RANKS_PER_CORE * (os.cpu_count() or 1)
    if not isinstance(world_size, int) or not 1 <= world_size <= limit:
        raise ValueError(f"world_size={world_size!r}: use 1 to {limit} ranks on this machine's {os.cpu_count()} cores "
                         f"(more processes than that only fight over the CPUs)")
    if backend == "nccl" and torch.cuda.device_count() < world_size:
        raise ValueError(f"backend='nccl' needs a GPU per rank: {world_size} ranks, {torch.cuda.device_count()} GPUs; use backend='gloo'")
    if port is not None and port_in_use(port):
        raise OSError(f"port {port} on 127.0.0.1 is in use (another job, or a group that did not shut down): "
                      f"pass port=None to pick a free one")
    port = port or free_port()
    ctx = _context()
    q = ctx.Queue()
    payload = cloudpickle.dumps((fn, args, kwargs))
    procs = [ctx.Process(target=_rank_main, args=(payload, r, world_size, port, backend, timeout, q), daemon=True)
             for r in range(world_size)]
    for p in procs:
        p.start()
    results, errors, failed_at = {}, {}, {}
    deadline, grace = time.monotonic() + timeout, None
    try:
        while len(results) + len(errors) < world_size:
            try:
                kind, rank, *rest = q.get(timeout=0.2)
                if kind == "out":
                    stream, line = rest
                    print(f"[rank {rank}] {line}" if prefix else line, file=sys.stderr if stream == "stderr" else sys.stdout)
                elif kind == "result":
                    results[rank] = cloudpickle.loads(rest[0])
                else:
                    errors[rank] = "raised:\n" + rest[0]
                    failed_at[rank] = rest[1]
            except queue.Empty:
                for r, p in enumerate(procs):
                    if p.exitcode not in (None, 0) and r not in results and r not in errors:
                        errors[r] = f"exited with code {p.exitcode} before reporting a result" + _script_hint()
                        failed_at[r] = time.monotonic()
            pending = [r for r in range(world_size) if r not in results and r not in errors]
            if errors and grace is None:
                grace = time.monotonic() + 3  # peers blocked on a failed rank get a moment to report their own cause
            if grace is not None and time.monotonic() > grace:
                for r in pending:
                    errors[r] = f"was stopped: rank {min(failed_at, key=failed_at.get)} failed first"
            elif time.monotonic() > deadline:
                for r in pending:
                    errors[r] = f"did not finish within {timeout:g} s (hung in a collective, or waiting for a peer?)"
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
        for p in procs:
            p.join(timeout=10)
    if errors:
        # the earliest failure is the likely cause; the ranks it left behind fail after it (broken connections)
        first, *others = sorted(errors, key=lambda r: failed_at.get(r, math.inf))
        summary = [f"rank {r} {_one_line(errors[r])}" for r in others]
        raise RankError(f"rank {first} failed first ({len(errors)} of {world_size} ranks failed); rank {first} "
                        f"{errors[first]}" + ("\nthe others:\n  " + "\n  ".join(summary) if summary else ""),
                        rank=first, cause=_one_line(errors[first]))
    return [results[r] for r in range(world_size)]


def _script_hint():
    """When run from a script: the usual reason a rank dies at once (multiprocessing re-imports the script)."""
    main = sys.modules.get("__main__")
    if getattr(main, "__file__", None) and getattr(main, "__spec__", None) is None:
        return f" (in a script, call launch under 'if __name__ == \"__main__\":': each rank imports {os.path.basename(main.__file__)})"
    return ""


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit|Warning)\b.*:|^[A-Za-z_][\w.]*Error$")


def _one_line(why):
    """A rank's failure in one line: a traceback's exception (its message joined, if it spans lines), or the reason."""
    if not why.startswith("raised"):
        return why
    lines = why.strip().splitlines()
    start = max((i for i, line in enumerate(lines) if EXCEPTION_LINE.match(line)), default=len(lines) - 1)
    return " ".join(line.strip() for line in lines[start:])


def run_under_torchrun(fn, *args, backend=None, **kwargs):
    """In a script started by torchrun: join the group from its environment, run fn(rank, world_size, ...), leave."""
    missing = [v for v in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT") if v not in os.environ]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} not set: start this script with torchrun "
                           f"(torchrun --nproc-per-node 2 script.py), or call aisys.distributed.launch from Python")
    world_size = int(os.environ["WORLD_SIZE"])
    backend = backend or ("nccl" if torch.cuda.device_count() >= int(os.environ.get("LOCAL_WORLD_SIZE", world_size)) > 1 else "gloo")
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    dist.init_process_group(backend)
    try:
        return fn(dist.get_rank(), world_size, *args, **kwargs)
    finally:
        dist.destroy_process_group()
