"""aisys.distributed.launch on real gloo process groups: results, output, and every way a rank can fail."""

import socket
import subprocess
import sys
import time

import psutil
import pytest

from aisys.distributed import RankError, launch, pick_backend

NOTEBOOK_CELL = '''
import os, time
import torch
import torch.distributed as dist

def total(rank, world_size, scale):
    t = torch.tensor([float(rank + 1)])
    dist.all_reduce(t)
    print(f"sum on rank {rank}: {t.item():g}")
    return t.item() * scale

def raises(rank, world_size):
    if rank == 1:
        raise ValueError("rank one is broken")
    dist.barrier()

def exits(rank, world_size):
    if rank == 0:
        os._exit(3)
    dist.barrier()

def slow_rank(rank, world_size, seconds):
    from aisys.distributed import timed
    return timed(lambda: time.sleep(seconds * (rank + 1)), repeat=3)

def hook_future(rank, world_size):
    from aisys.distributed import completed, rank_device
    return completed(torch.ones(2)).wait().tolist(), str(rank_device())

def hangs(rank, world_size):
    if rank == 1:
        time.sleep(3600)
    dist.all_reduce(torch.ones(1))
'''


@pytest.fixture(scope="module")
def cell():
    """Functions as a notebook defines them: in __main__, not importable, so they travel by value."""
    ns = {"__name__": "__main__"}
    exec(NOTEBOOK_CELL, ns)
    return ns


def ranks_left():
    """Rank processes still alive: children of the fork server (which itself stays, to start ranks quickly)."""
    return [c for p in psutil.Process().children() for c in p.children(recursive=True) if c.is_running()]


@pytest.mark.parametrize("world_size", [1, 2, 4])
def test_results_come_back_in_rank_order(cell, world_size, capsys):
    out = launch(cell["total"], world_size, 2.0, timeout=60)
    n = world_size * (world_size + 1) / 2
    assert out == [2 * n] * world_size
    printed = capsys.readouterr().out
    for r in range(world_size):
        assert f"[rank {r}] sum on rank {r}: {n:g}" in printed
    assert ranks_left() == []


def test_a_rank_that_raises_names_the_rank_and_its_traceback(cell):
    t0 = time.monotonic()
    with pytest.raises(RankError) as err:
        launch(cell["raises"], 3, timeout=30)
    msg = str(err.value)
    assert msg.startswith("rank 1 failed first") and "ValueError: rank one is broken" in msg and "Traceback" in msg
    assert err.value.rank == 1 and err.value.cause == "ValueError: rank one is broken"
    assert time.monotonic() - t0 < 30 and ranks_left() == []


def test_a_rank_that_exits_is_reported_with_its_exit_code(cell):
    with pytest.raises(RankError, match="rank 0 exited with code 3"):
        launch(cell["exits"], 2, timeout=30)
    assert ranks_left() == []


def test_a_rank_that_hangs_ends_within_the_timeout(cell):
    t0 = time.monotonic()
    with pytest.raises(RankError) as err:
        launch(cell["hangs"], 2, timeout=8)
    elapsed = time.monotonic() - t0
    assert "did not finish within 8 s" in str(err.value) or "failed first" in str(err.value)
    assert "rank 1" in str(err.value) and elapsed < 20 and ranks_left() == []
    assert err.value.deadlocked, "a hang is told apart from an exception (the checks name deadlocks with it)"


def test_a_rank_that_raises_is_not_a_deadlock(cell):
    with pytest.raises(RankError) as err:
        launch(cell["raises"], 2, timeout=30)
    assert not err.value.deadlocked
    assert RankError("x", 0, "RuntimeError: [gloo] Timed out waiting 10000ms for recv operation to complete").deadlocked


def test_a_port_in_use_is_refused_with_the_fix(cell):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(OSError, match=f"port {s.getsockname()[1]} on 127.0.0.1 is in use.*port=None"):
            launch(cell["total"], 2, 1.0, port=s.getsockname()[1])


@pytest.mark.parametrize("world_size", [0, 10_000, 2.5])
def test_a_world_size_that_makes_no_sense_is_refused(cell, world_size):
    with pytest.raises(ValueError, match="world_size="):
        launch(cell["total"], world_size, 1.0)


def test_backend_choice_without_enough_gpus_is_gloo():
    import torch

    if torch.cuda.device_count() < 2:
        assert pick_backend(2) == "gloo"


def test_launch_from_a_real_notebook_kernel(tmp_path):
    import nbclient
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[
        new_code_cell("import torch, torch.distributed as dist\nfrom aisys.distributed import launch"),
        new_code_cell("def gather(rank, world_size):\n    out = [None] * world_size\n"
                      "    dist.all_gather_object(out, rank * 10)\n    return out\n\nprint(launch(gather, 3))"),
    ])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "[[0, 10, 20], [0, 10, 20], [0, 10, 20]]" in text


def test_the_same_function_runs_under_torchrun(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(NOTEBOOK_CELL + "\nfrom aisys.distributed import run_under_torchrun\n"
                      "if __name__ == '__main__':\n    print(f'result {run_under_torchrun(total, 10.0)}\\n', end='')\n")
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                        str(script)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count("result 30.0") == 2, r.stdout


def test_run_under_torchrun_outside_torchrun_says_how(cell, monkeypatch):
    from aisys.distributed import run_under_torchrun

    for v in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(v, raising=False)
    with pytest.raises(RuntimeError, match="start this script with torchrun"):
        run_under_torchrun(cell["total"], 1.0)


def test_timed_is_ended_by_the_slowest_rank_and_agreed_by_all(cell):
    times = launch(cell["slow_rank"], 2, 0.02)
    assert times[0] == times[1], "every rank reports the same (slowest) time"
    assert 0.04 <= times[0] < 0.2


def test_completed_futures_and_the_rank_device_on_gloo(cell):
    assert launch(cell["hook_future"], 2) == [([1.0, 1.0], "cpu")] * 2


def test_an_unguarded_script_is_told_to_guard_its_launch(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text("from aisys.distributed import launch\n\ndef f(rank, world_size):\n    return rank\n\nlaunch(f, 2, timeout=20)\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "call launch under 'if __name__ == \"__main__\":'" in run.stderr


def test_shard_order_is_distributed_samplers_and_sharded_sgd_matches_it():
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DistributedSampler

    from aisys.distributed import shard_order, sharded_sgd

    shards = shard_order(11, 2, seed=5, epoch=1)
    assert sorted(shards[0] + shards[1]) == sorted(list(range(11)) + [shards[0][0]])  # padded to 12, like the sampler
    sampler = DistributedSampler(range(11), num_replicas=2, rank=1, shuffle=True, seed=5)
    sampler.set_epoch(1)
    assert shards[1] == list(sampler) and shard_order(11, 2, 5, 0) != shards
    # with one rank and one batch per epoch, sharded SGD is full-batch SGD on the shuffled (same) set
    torch.manual_seed(0)
    x, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    model, ref = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ref.load_state_dict(model.state_dict())
    got = sharded_sgd(model, x, y, 1, 2, 8, 0.5, seed=3)
    opt = torch.optim.SGD(ref.parameters(), lr=0.5)
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(ref(x), y).backward()
        opt.step()
    assert all(torch.allclose(got[k], ref.state_dict()[k], atol=1e-6) for k in got)


def test_a_bucket_stands_in_for_ddps_grad_bucket():
    import torch

    from aisys.distributed import Bucket

    t = torch.arange(3.0)
    b = Bucket(2, t)
    assert b.buffer() is t and b.index() == 2 and not b.is_last()


def test_a_rank_failure_keeps_an_exception_message_that_spans_lines():
    from aisys.distributed import _one_line

    why = ("raised Traceback (most recent call last):\n  File \"<cell>\", line 3, in run\n    dist.isend(g, 0)\n"
           "TypeError: isend(): argument 'tensor' must be Tensor,\n             but got <class 'NoneType'> instead.")
    assert _one_line(why) == "TypeError: isend(): argument 'tensor' must be Tensor, but got <class 'NoneType'> instead."
    assert _one_line("raised Traceback:\nValueError: one line") == "ValueError: one line"
    assert _one_line("exited with code 3") == "exited with code 3"
