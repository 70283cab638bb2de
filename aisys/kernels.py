"""Run, check and benchmark kernels the same way on CPU (Triton's interpreter) and GPU (compiled Triton)."""

import platform
import subprocess

import torch

from aisys.bench import Timing, measure
from aisys.report import Table

CANARY = 12345.0  # fills the padding around guarded tensors: big enough to spoil any result it leaks into


def device():
    """Where kernels run: the CUDA GPU when there is one, else the CPU (Triton interprets there)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def bench(fn, name="kernel", min_time=0.2):
    """Time a zero-argument kernel launch: triton's do_bench on a GPU, the aisys harness on the CPU."""
    if device().type == "cuda":
        from triton.testing import do_bench

        return Timing(name, [t / 1e3 for t in do_bench(fn, return_mode="all")])
    return measure(fn, name=name, warmup=1, min_time=min_time)


def cpu_autotune_timer(kernel_call, quantiles=(0.5, 0.2, 0.8)):
    """A timer for @triton.autotune under the interpreter (its default one needs a GPU): ms at the quantiles."""
    import statistics

    samples = [t * 1e3 for t in measure(kernel_call, warmup=1, repeat=3).samples]
    return [statistics.quantiles(samples, n=100, method="inclusive")[max(0, int(q * 100) - 1)] for q in quantiles]


def autotune_timer():
    """The do_bench to give @triton.autotune: its own on a GPU (None), the CPU timer under the interpreter."""
    return None if device().type == "cuda" else cpu_autotune_timer


def peaks(n_gemm=None, copy_mib=None):
    """Measured peaks of this device: GEMM FLOP/s (torch.matmul) and memory bandwidth (a copy), as a dict."""
    dev = device()
    gpu = dev.type == "cuda"
    n = n_gemm or (8192 if gpu else 1024)
    dtype = torch.float16 if gpu else torch.float32
    a, b = torch.randn(n, n, device=dev, dtype=dtype), torch.randn(n, n, device=dev, dtype=dtype)
    flops = bench(lambda: a @ b, "matmul").rate(2 * n**3)
    src = torch.empty((copy_mib or (1024 if gpu else 64)) * 2**20 // 4, device=dev)
    dst = torch.empty_like(src)
    bandwidth = bench(lambda: dst.copy_(src), "copy").rate(2 * src.numel() * 4)  # read + write
    return {"flops": flops, "bandwidth": bandwidth, "dtype": str(dtype).replace("torch.", "")}


# name, vector registers, fp32 lanes per register; the first whose feature this CPU has
SIMD = [("avx512f", "AVX-512", 32, 16), ("avx2", "AVX2", 16, 8), ("asimd", "NEON", 32, 4), ("neon", "NEON", 32, 4)]


def cpu_features():
    """This CPU's feature flags, lowercased: /proc/cpuinfo on Linux, sysctl on macOS, empty where neither answers."""
    try:
        with open("/proc/cpuinfo") as f:
            return {w.lower() for line in f if line.lower().startswith(("flags", "features")) for w in line.split(":", 1)[1].split()}
    except OSError:
        pass
    if platform.system() == "Darwin":
        if platform.machine() == "arm64":
            return {"asimd"}
        try:
            out = subprocess.run(["sysctl", "-n", "machdep.cpu.features", "machdep.cpu.leaf7_features"],
                                 capture_output=True, text=True, timeout=5).stdout
            return {w.lower() for w in out.split()}  # e.g. AVX2 and AVX512F in leaf7_features
        except (OSError, subprocess.SubprocessError):
            return set()
    return set()


def simd(features=None):
    """This CPU's fp32 vector registers as {'isa', 'registers', 'lanes'}: how many there are and floats in each."""
    features = cpu_features() if features is None else {f.lower() for f in features}
    for flag, isa, registers, lanes in SIMD:
        if flag in features:
            return {"isa": isa, "registers": registers, "lanes": lanes}
    if platform.machine().lower() in ("arm64", "aarch64"):
        return {"isa": "NEON", "registers": 32, "lanes": 4}
    return {"isa": "SSE", "registers": 16, "lanes": 4}  # every x86-64 CPU has 16 xmm registers of 4 floats


def roofline(points, peak_flops, peak_bandwidth, ax=None, title="Roofline"):
    """Plot the roofline min(peak, intensity x bandwidth) and {name: (FLOP/byte, achieved FLOP/s)} on it."""
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _, ax = plt.subplots()
    lo = min([0.05] + [p[0] / 4 for p in points.values()])
    hi = max([1e3] + [p[0] * 4 for p in points.values()])
    x = np.logspace(np.log10(lo), np.log10(hi), 200)
    ax.plot(x, np.minimum(peak_flops, x * peak_bandwidth) / 1e9, color="black", label="roofline")
    ax.axvline(peak_flops / peak_bandwidth, color="grey", ls=":", label="ridge point")
    for name, (intensity, achieved) in points.items():
        ax.scatter([intensity], [achieved / 1e9], zorder=3)
        ax.annotate(name, (intensity, achieved / 1e9), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity (FLOP / byte)", ylabel="GFLOP/s", title=title)
    ax.legend(loc="lower right")
    return ax


def sweep(candidates, sizes, work, unit="GB/s", xlabel="size", title="", plot=True):
    """perf_report-style sweep: {name: make(size) -> zero-arg fn}, work(size) in bytes or FLOPs; Table (and plot)."""
    from aisys.notriton import TritonUnavailable

    scale = {"GB/s": 1e9, "GFLOP/s": 1e9, "TFLOP/s": 1e12}[unit]
    rates = {name: [] for name in candidates}
    for size in sizes:
        for name, make in list(candidates.items()):
            try:
                rates[name].append(bench(make(size), name).rate(work(size)) / scale)
            except TritonUnavailable as e:  # a Triton kernel on a machine without Triton: sweep the others
                print(f"{name}: skipped ({e})")
                candidates = {k: v for k, v in candidates.items() if k != name}
                del rates[name]
    table = Table(title or f"{unit} by {xlabel}", [xlabel, *candidates],
                  [(s, *[rates[n][i] for n in candidates]) for i, s in enumerate(sizes)])
    if plot:
        from aisys.plot import curves

        curves(rates, x=sizes, xlabel=xlabel, ylabel=unit, title=title, logy=True)
    return table


class Guarded:
    """A tensor inside a larger buffer whose padding holds a canary: catches unmasked reads and writes past the end."""

    def __init__(self, tensor, pad=4096):
        flat = tensor.detach().contiguous().reshape(-1)
        self.pad, self.n = pad, flat.numel()
        self.buffer = torch.full((self.n + 2 * pad,), CANARY, dtype=flat.dtype, device=flat.device)
        self.buffer[pad:pad + self.n] = flat
        self.tensor = self.buffer[pad:pad + self.n].view(tensor.shape)

    @classmethod
    def empty(cls, shape, dtype=torch.float32, on=None, pad=4096):
        """A guarded output: NaN inside (so unwritten elements show), canaries around."""
        return cls(torch.full(shape, float("nan"), dtype=dtype, device=on or device()), pad)

    def overwritten(self):
        """How many padding elements a kernel changed (writes before the start or past the end)."""
        before = self.buffer[:self.pad] != CANARY
        after = self.buffer[self.pad + self.n:] != CANARY
        return int(before.sum() + after.sum())


def check_guards(output, *inputs):
    """Assert a guarded kernel run kept inside its tensors; the messages are the hints students see."""
    written = output.overwritten()
    assert written == 0, f"the kernel wrote {written} elements past the ends of its output: mask your tl.store"
    for g in (output, *inputs):
        assert g.overwritten() == 0, "the kernel wrote into an input's padding: check the store's pointers and mask"
    out = output.tensor
    assert not torch.isnan(out).any(), "some outputs were never written (NaN left in them): does the grid cover every element?"
    leaked = (out.abs() >= CANARY / 2).any() if out.is_floating_point() else False
    assert not leaked, "outputs hold values read from beyond an input (the canary): mask your tl.load and give other=0"
