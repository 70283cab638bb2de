"""Each lab's checks on the mistakes the lab warns about: each fails with its hint, the solution passes."""

import pytest

from tests.conftest import REPO
from tests.lab_cells import check_output

# (lab, mistake): (check id, [(text in the solution, what the mistake writes instead)], words the hint must say)
MISTAKES = {
    ("ch06_distributed", "ring wrong for ragged sizes"): (
        "ch06-ring", [
            ("chunks = list(t.view(-1).tensor_split(n))",
             "chunks = list(t.view(-1).split(max(1, t.numel() // n)))[:n]"),
        ], "not a multiple of the world size"),
    ("ch06_distributed", "ring through dist.all_reduce"): (
        "ch06-ring", [
            ("    rank, n = dist.get_rank(), dist.get_world_size()\n    chunks",
             "    dist.all_reduce(t)\n    return t\n    rank, n = dist.get_rank(), dist.get_world_size()\n    chunks"),
        ], "must be built from send/recv"),
    ("ch06_distributed", "gradients summed, not averaged"): (
        "ch06-grad-average", [
            ("            p.grad.div_(n)\n",
             ""),
        ], "divide by the world size"),
    ("ch06_distributed", "DDP without a distributed sampler"): (
        "ch06-ddp", [
            ("num_replicas=world_size, rank=rank, shuffle",
             "num_replicas=1, rank=0, shuffle"),
        ], "got the same samples"),
    ("ch06_distributed", "int8 not averaged"): (
        "ch06-quantize", [
            ("zip(qs, scales)) / n)",
             "zip(qs, scales)))"),
        ], "int8_hook: a gradient is off"),
    ("ch06_distributed", "top-k without error feedback"): (
        "ch06-topk", [
            ("    if state[\"error_feedback\"]:\n        g[idx] = 0",
             "    if False:\n        g[idx] = 0"),
        ], "add the residual before top-k"),
    ("ch06_distributed", "SSP that waits too long"): (
        "ch06-ps", [
            ("if clock[w] - slowest <= staleness:",
             "if clock[w] - slowest <= 0:"),
        ], "within the bound"),
    ("ch06_distributed", "GPipe loss not divided by m"): (
        "ch06-gpipe", [
            ("out = F.mse_loss(out, targets[i]) / len(targets)",
             "out = F.mse_loss(out, targets[i])"),
        ], "divide each micro-batch loss by m"),
    ("ch06_distributed", "pipeline that deadlocks"): (
        "ch06-1f1b", [
            ("dist.recv(x, rank - 1)",
             "dist.recv(x, (rank + 1) % world_size)"),
        ], "the pipeline deadlocked"),
    ("ch06_distributed", "tensor parallel without the backward all-reduce"): (
        "ch06-tensor-parallel", [
            ("        grad = grad.clone()\n        dist.all_reduce(grad)\n        return grad",
             "        return grad"),
        ], "f must all-reduce the gradient"),
    ("ch07_scheduling", "SJF by arrival"): (
        "ch07-sjf", [
            ("sorted(sim.waiting, key=lambda j: j.duration)",
             "list(sim.waiting)"),
        ], "start the shortest waiting job"),
    ("ch07_scheduling", "a policy that over-allocates a node"): (
        "ch07-sjf", [
            ("            sim.start(job)\n",
             "            sim.start(job, {0: job.num_gpus})\n"),
        ], "on node 0, which has 0 GPUs"),
    ("ch07_scheduling", "SJF that stops at the first job that does not fit"): (
        "ch07-sjf-no-blocking", [
            ("            sim.start(job)\n",
             "            if not sim.start(job):\n                break\n"),
        ], "do not stop at the first that does not fit"),
    ("ch07_scheduling", "SRTF that never preempts"): (
        "ch07-srtf", [
            ("while free < job.num_gpus and self.running:",
             "while False:"),
        ], "never preempts"),
    ("ch07_scheduling", "LAS without demotion"): (
        "ch07-las", [
            ("key=lambda j: (self.queue(sim, j), j.submit_time)",
             "key=lambda j: j.submit_time"),
        ], "demote jobs past the threshold"),
    ("ch07_scheduling", "gang scheduling that allocates partially"): (
        "ch07-gang", [
            ("    if sum(cluster.free_gpus) < num_gpus:\n        return None\n",
             ""),
            ("        if need == 0:\n            return placement\n",
             "        if need == 0:\n            break\n    return placement or None\n"),
        ], "return None when the cluster cannot hold all of it"),
    ("ch07_scheduling", "DRF on raw amounts"): (
        "ch07-dominant-share", [
            ("return max(u / c for u, c in zip(usage, capacity))",
             "return max(usage)"),
        ], "not the raw amounts"),
    ("ch07_scheduling", "DRF that forgets completions"): (
        "ch07-drf-policy", [
            ("            self.usage[job.user][r] -= amount",
             "            pass"),
        ], "update usage on start and on completion"),
    ("ch07_scheduling", "capacity without reclaiming"): (
        "ch07-capacity", [
            ("                node = reclaimable_node(job)\n",
             "                node = None\n"),
        ], "preempt borrowed jobs to reclaim"),
    ("ch07_scheduling", "capacity that preempts borrowers on any node"): (
        "ch07-capacity", [
            ("                node = reclaimable_node(job)\n                if node is None:\n"
             "                    continue  # stopping borrowers would not make it fit on one node: stop none\n"
             "                for victim in [j for j in reversed(self.borrowed) if j.vc != job.vc and node in j.placement]:",
             "                for victim in [j for j in reversed(self.borrowed) if j.vc != job.vc]:"),
        ], "a useless preemption"),
    ("ch07_scheduling", "LAS that reads the duration"): (
        "ch07-las", [
            ("key=lambda j: (self.queue(sim, j), j.submit_time)",
             "key=lambda j: j.duration"),
        ], "a LAS policy may not know a job's duration"),
    ("ch07_scheduling", "LAS that preempts within a queue"): (
        "ch07-las", [
            ("key=lambda j: (self.queue(sim, j), j.submit_time)",
             "key=lambda j: (self.queue(sim, j), sim.attained(j), j.submit_time)"),
        ], "run in arrival order and do not preempt each other"),
    ("ch07_scheduling", "DRF that stops at the first blocked user"): (
        "ch07-drf", [
            ("            if all(used[r] + demands[u][r] <= capacity[r] + 1e-9 for r in range(len(capacity))):",
             "            if not all(used[r] + demands[u][r] <= capacity[r] + 1e-9 for r in range(len(capacity))):\n"
             "                return tasks\n            if True:"),
        ], "stopped at the first user that was blocked"),
    ("ch07_scheduling", "placement that ignores CPUs"): (
        "ch07-placement", [
            ("cluster.fits(node, n, job.cpus, job.mem_gb)]\n        return {min",
             "cluster.free_gpus[node] >= n]\n        return {min"),
        ], "where GPUs, CPUs and memory fit"),
}


@pytest.mark.notebook
@pytest.mark.parametrize("lab, mistake", MISTAKES, ids=lambda v: v.replace(" ", "-"))
def test_a_mistake_fails_its_check_with_the_hint(lab, mistake):
    check_id, edits, hint = MISTAKES[lab, mistake]
    out = check_output(REPO / "solutions" / f"{lab}.ipynb", check_id, edits)
    assert out.startswith(f"FAIL [{check_id}]") and hint in out, out


@pytest.mark.notebook
def test_a_check_run_this_way_passes_on_the_solution():
    assert check_output(REPO / "solutions" / "ch06_distributed.ipynb", "ch06-1f1b").startswith("PASS [ch06-1f1b]")
