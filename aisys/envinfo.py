"""The environment table that the AI-System lab reports ask students to fill by hand."""

import importlib.metadata
import os
import platform

import psutil
import torch

from aisys.report import Table


def cpu_model():
    """The CPU's marketing name, from /proc/cpuinfo on Linux, else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_version(name):
    """The installed version of a distribution, or 'not installed'."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def gpu_rows():
    """GPU model, count and CUDA version, or words saying there is none."""
    if not torch.cuda.is_available():
        return [("GPU", "none (CPU only)"), ("GPU count", 0), ("CUDA", torch.version.cuda or "not in this torch build")]
    names = sorted({torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())})
    mem = torch.cuda.get_device_properties(0).total_memory / 2**30
    return [("GPU", f"{', '.join(names)} ({mem:.0f} GiB)"), ("GPU count", torch.cuda.device_count()),
            ("CUDA", torch.version.cuda)]


def env_report():
    """The environment table: CPU, memory, GPU, OS and the versions that decide a lab's numbers."""
    rows = [
        ("CPU", cpu_model()),
        ("CPU cores", f"{psutil.cpu_count(logical=False) or '?'} physical, {os.cpu_count()} logical"),
        ("Memory", f"{psutil.virtual_memory().total / 2**30:.1f} GiB"),
        *gpu_rows(),
        ("OS", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("Python", platform.python_version()),
        ("torch", torch.__version__),
        ("triton", package_version("triton")),
        ("nni", package_version("nni")),
    ]
    return Table("Environment", ["item", "value"], rows)
