"""Lab ch07's checks on the mistakes the lab warns about: each fails with its hint."""

import pytest

from tests.conftest import REPO
from tests.lab_cells import check_output

LAB = REPO / "solutions" / "ch07_scheduling.ipynb"

MISTAKES = {
    "SJF by arrival": ("ch07-sjf", [("sorted(sim.waiting, key=lambda j: j.duration)", "list(sim.waiting)")], "start the shortest waiting job"),
    "a policy that over-allocates a node": ("ch07-sjf", [("            sim.start(job)\n", "            sim.start(job, {0: job.num_gpus})\n")],
                                            "on node 0, which has 0 GPUs"),
    "SRTF that never preempts": ("ch07-srtf", [("while free < job.num_gpus and self.running:", "while False:")], "never preempts"),
    "LAS without demotion": ("ch07-las", [("key=lambda j: (self.queue(sim, j), j.submit_time)", "key=lambda j: j.submit_time")],
                             "demote jobs past the threshold"),
    "gang scheduling that allocates partially": ("ch07-gang", [("    if sum(cluster.free_gpus) < num_gpus:\n        return None\n", ""),
                                                               ("        if need == 0:\n            return placement\n",
                                                                "        if need == 0:\n            break\n    return placement or None\n")],
                                                 "return None when the cluster cannot hold all of it"),
    "DRF on raw amounts": ("ch07-dominant-share", [("return max(u / c for u, c in zip(usage, capacity))", "return max(usage)")], "not the raw amounts"),
    "DRF that forgets completions": ("ch07-drf-policy", [("            self.usage[job.user][r] -= amount", "            pass")],
                                     "update usage on start and on completion"),
    "capacity without reclaiming": ("ch07-capacity", [("                if not victims:\n                    break", "                break")],
                                    "preempt borrowed jobs to reclaim"),
    "placement that ignores CPUs": ("ch07-placement", [("cluster.fits(node, n, job.cpus, job.mem_gb)]\n        return {min", "cluster.free_gpus[node] >= n]\n        return {min")],
                                    "where GPUs, CPUs and memory fit"),
}


@pytest.mark.notebook
@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_mistake_fails_its_check_with_the_hint(mistake):
    check_id, edits, hint = MISTAKES[mistake]
    out = check_output(LAB, check_id, edits)
    assert out.startswith(f"FAIL [{check_id}]") and hint in out, out
