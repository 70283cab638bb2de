"""The GPU check on a machine without a GPU: it says so and exits 2 (the suite itself never needs a GPU)."""

import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: make gpu-check runs for real")
def test_gpu_check_without_a_gpu_says_so_and_exits_2():
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_check.py")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and "gpu-check needs an NVIDIA GPU" in r.stderr and "sees none" in r.stderr
