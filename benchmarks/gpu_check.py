"""The GPU check: every solution graded on the GPU by the real grader (full marks, or exit 1), then the ch04
solution's kernels against the vendor libraries at GPU sizes. Without a CUDA GPU it says so and exits 2.

Run: make gpu-check   (or: python benchmarks/gpu_check.py [--skip-grading] [--out build/gpu-check])
"""

import argparse
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"


def no_gpu():
    """Why this machine cannot run the check, or None when it can."""
    if torch.cuda.is_available():
        return None
    build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "a CPU-only build"
    return (f"gpu-check needs an NVIDIA GPU, and torch {torch.__version__} ({build}) sees none: run it on a machine "
            f"with a GPU and its driver (nvidia-smi lists the card); the CPU is covered by 'make test'")


def grade_all(out):
    """Grade every solution with the real grader; the problems found (not full marks, or not graded on the GPU)."""
    import shutil

    from grader.batch import batch
    from grader.sandbox import probe

    problems = []
    notebooks = out / "notebooks"  # the notebooks only: reports and model files lie beside them in solutions/
    shutil.rmtree(notebooks, ignore_errors=True)
    notebooks.mkdir(parents=True)
    for path in SOLUTIONS.glob("*.ipynb"):
        shutil.copy(path, notebooks)
    reason = probe()  # the solutions are trusted: without bubblewrap they are graded unsandboxed, and that is said
    if reason:
        print(f"grading without the sandbox: {reason}")
    for r in batch(notebooks, out / "grades.csv", jobs=1, sandbox="none" if reason else "bwrap"):
        lab, where = Path(r.submission).stem, r.environment.get("device")
        print(f"{lab:24s} {r.score:g} / {r.max_score:g}  on {where} ({r.environment.get('GPU')})  {r.seconds:.0f} s")
        if r.score < r.max_score or r.errors:
            failed = [f"{c.id}: {c.feedback}" for c in r.checks if c.status != "pass"]
            problems.append(f"{lab}: {r.score:g} / {r.max_score:g}; " + "; ".join(failed + r.errors))
        if where != "cuda":
            problems.append(f"{lab} was graded on {where}: the graded kernel did not see the GPU")
    return problems


def ch04_kernels():
    """The ch04 solution's definitions, run in a fresh namespace (its kernels, compiled for the GPU)."""
    from grader.notebook import run_definitions

    return run_definitions(SOLUTIONS / "ch04_kernels.ipynb")


def row(name, size, ours, theirs, work, unit):
    """One benchmark row: both rates and their ratio, or the error that stopped ours."""
    from aisys.kernels import bench

    scale = 1e12 if unit == "TFLOP/s" else 1e9
    base = bench(theirs).rate(work) / scale
    try:
        mine = bench(ours).rate(work) / scale
    except Exception as e:  # a kernel that fails on this GPU is a finding, reported in the table
        return (name, size, f"failed: {type(e).__name__}: {str(e)[:80]}", f"{base:.0f}", "-", unit)
    return (name, size, f"{mine:.0f}", f"{base:.0f}", f"{mine / base:.2f}", unit)


def benchmarks(ns):
    """The ch04 rows of the GPU table: matmul, softmax, add, layer norm, attention against torch."""
    import torch.nn.functional as F

    from aisys.report import Table

    dev, rows = "cuda", []
    for n in (1024, 2048, 4096):
        a, b = (torch.randn(n, n, device=dev, dtype=torch.float16) for _ in range(2))
        rows.append(row("matmul fp16", f"{n}^3", lambda: ns["matmul"](a, b), lambda: a @ b, 2 * n**3, "TFLOP/s"))
    a, b = (torch.randn(4096, 4096, device=dev, dtype=torch.bfloat16) for _ in range(2))
    rows.append(row("matmul bf16", "4096^3", lambda: ns["matmul"](a, b), lambda: a @ b, 2 * 4096**3, "TFLOP/s"))
    for cols in (1024, 4096, 16384):
        x = torch.randn(4096, cols, device=dev)
        rows.append(row("softmax fp32", f"4096x{cols}", lambda: ns["softmax"](x), lambda: torch.softmax(x, -1),
                        2 * x.numel() * 4, "GB/s"))
    x, y = torch.randn(2**26, device=dev), torch.randn(2**26, device=dev)
    rows.append(row("add fp32", "2^26", lambda: ns["add"](x, y), lambda: x + y, 3 * x.numel() * 4, "GB/s"))
    for cols in (1024, 8192):
        x, w, bias = torch.randn(4096, cols, device=dev), torch.randn(cols, device=dev), torch.randn(cols, device=dev)
        rows.append(row("layer norm fp32", f"4096x{cols}", lambda: ns["layernorm"](x, w, bias),
                        lambda: F.layer_norm(x, (cols,), w, bias), 2 * x.numel() * 4, "GB/s"))
    for dtype in (torch.float32, torch.float16):
        for s in (1024, 4096):
            q, k, v = (torch.randn(32, s, 64, device=dev, dtype=dtype) for _ in range(3))
            rows.append(row(f"attention {str(dtype)[6:]}", f"32x{s}x64", lambda: ns["attention"](q, k, v),
                            lambda: F.scaled_dot_product_attention(q, k, v), 4 * 32 * s * s * 64, "TFLOP/s"))
    title = (f"ch04 kernels on {torch.cuda.get_device_name(0)} (torch {torch.__version__}, "
             f"triton {__import__('triton').__version__}): the solution against torch")
    return Table(title, ["kernel", "size", "ours", "torch", "ratio", "unit"], rows)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default=str(REPO / "build" / "gpu-check"), help="where the grades and reports go")
    p.add_argument("--skip-grading", action="store_true", help="only the benchmark table")
    args = p.parse_args()
    reason = no_gpu()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    import aisys

    aisys.setup()
    problems = [] if args.skip_grading else grade_all(Path(args.out))
    print(benchmarks(ch04_kernels()))
    for problem in problems:
        print(f"FAIL {problem}")
    print("gpu-check: " + ("every solution scored full marks on the GPU" if not problems else f"{len(problems)} problems"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
