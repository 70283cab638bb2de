"""torch.profiler around a few steps of any workload (CPU always, CUDA when a GPU is present)."""

import torch
from torch.profiler import ProfilerActivity, profile


def activities():
    """The profiler activities this machine supports."""
    acts = [ProfilerActivity.CPU]
    if torch.cuda.is_available():
        acts.append(ProfilerActivity.CUDA)
    return acts


def profile_steps(step, steps=5, warmup=2):
    """Call step() `warmup` times unprofiled, then `steps` times under the profiler; return the profiler."""
    for _ in range(warmup):
        step()
    with profile(activities=activities()) as prof:
        for _ in range(steps):
            step()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
    return prof
