"""Lab ch06's checks on the solution and on the mistakes the lab warns about: each fails with its hint."""

import pytest

from tests.conftest import REPO
from tests.lab_cells import check_output

LAB = REPO / "solutions" / "ch06_distributed.ipynb"

MISTAKES = {
    "ring wrong for ragged sizes": ("ch06-ring", [("chunks = list(t.view(-1).tensor_split(n))",
                                                   "chunks = list(t.view(-1).split(max(1, t.numel() // n)))[:n]")],
                                    "not a multiple of the world size"),
    "ring through dist.all_reduce": ("ch06-ring", [("    rank, n = dist.get_rank(), dist.get_world_size()\n    chunks",
                                                    "    dist.all_reduce(t)\n    return t\n    rank, n = dist.get_rank(), dist.get_world_size()\n    chunks")],
                                     "must be built from send/recv"),
    "gradients summed, not averaged": ("ch06-grad-average", [("            p.grad.div_(n)\n", "")], "divide by the world size"),
    "DDP without a distributed sampler": ("ch06-ddp", [("num_replicas=world_size, rank=rank, shuffle", "num_replicas=1, rank=0, shuffle")],
                                          "got the same samples"),
    "int8 not averaged": ("ch06-quantize", [("zip(qs, scales)) / n)", "zip(qs, scales)))")], "int8_hook: a gradient is off"),
    "top-k without error feedback": ("ch06-topk", [('    if state["error_feedback"]:\n        g[idx] = 0', '    if False:\n        g[idx] = 0')],
                                     "add the residual before top-k"),
    "SSP that waits too long": ("ch06-ps", [("if clock[w] - slowest <= staleness:", "if clock[w] - slowest <= 0:")], "within the bound"),
    "GPipe loss not divided by m": ("ch06-gpipe", [("out = F.mse_loss(out, targets[i]) / len(targets)", "out = F.mse_loss(out, targets[i])")],
                                    "divide each micro-batch loss by m"),
    "pipeline that deadlocks": ("ch06-1f1b", [("dist.recv(x, rank - 1)", "dist.recv(x, (rank + 1) % world_size)")], "the pipeline deadlocked"),
    "tensor parallel without the backward all-reduce": ("ch06-tensor-parallel", [("        grad = grad.clone()\n        dist.all_reduce(grad)\n        return grad",
                                                                                 "        return grad")], "f must all-reduce the gradient"),
}


@pytest.mark.notebook
@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_mistake_fails_its_check_with_the_hint(mistake):
    check_id, edits, hint = MISTAKES[mistake]
    out = check_output(LAB, check_id, edits)
    assert out.startswith(f"FAIL [{check_id}]") and hint in out, out


@pytest.mark.notebook
def test_the_checks_pass_on_the_solution_answers():
    assert check_output(LAB, "ch06-1f1b").startswith("PASS [ch06-1f1b]")
