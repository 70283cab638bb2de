"""One call at the top of every lab: seeds, device, Triton mode, plot defaults."""

import os
import random

import numpy as np
import torch


def seed_everything(seed):
    """Seed Python, NumPy and torch (CPU and CUDA) so that runs repeat."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device():
    """The device labs run on: the first CUDA GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def plot_defaults():
    """Readable, small inline figures that stay light in a notebook file."""
    import matplotlib

    matplotlib.rcParams.update({
        "figure.figsize": (6.0, 3.6),
        "figure.dpi": 80,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
    })


def setup(seed=0, quiet=False):
    """Seed everything, choose the device, put Triton in interpreter mode without a GPU; return the device."""
    seed_everything(seed)
    device = pick_device()
    if device.type == "cpu":
        os.environ["TRITON_INTERPRET"] = "1"
    plot_defaults()
    from aisys.report import capture_figures

    capture_figures()
    if not quiet:
        if device.type == "cuda":
            where = f"GPU {torch.cuda.get_device_name(0)} (Triton compiles for it)"
        else:
            where = f"CPU, {torch.get_num_threads()} threads (no CUDA GPU: Triton runs in its interpreter)"
        print(f"aisys: seed {seed}, device {device.type}: {where}")
    return device
