"""aisys.kernels with real Triton kernels (the interpreter on a CPU): guards catch what the interpreter lets through."""

import os

os.environ.setdefault("TRITON_INTERPRET", "1")  # before any kernel is defined, as aisys.setup() does

import pytest  # noqa: E402
import torch  # noqa: E402
import triton  # noqa: E402
import triton.language as tl  # noqa: E402

from aisys import kernels  # noqa: E402
from aisys.kernels import Guarded, check_guards  # noqa: E402
from aisys.checks import check  # noqa: E402

pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="interpreter behaviour; GPUs fault instead")


@triton.jit
def copy_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr, MASK_LOAD: tl.constexpr, MASK_STORE: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0) if MASK_LOAD else tl.load(x_ptr + offs)
    if MASK_STORE:
        tl.store(out_ptr + offs, x + 1, mask=mask)
    else:
        tl.store(out_ptr + offs, x + 1)


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_cols, BLOCK: tl.constexpr, MASK_LOAD: tl.constexpr):
    cols = tl.arange(0, BLOCK)
    row = tl.program_id(0)
    x = tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0) if MASK_LOAD else tl.load(x_ptr + row * n_cols + cols)
    tl.store(out_ptr + row, tl.sum(x, axis=0))


def run_copy(n, mask_load=True, mask_store=True, block=64):
    x = Guarded(torch.randn(n))
    out = Guarded.empty((n,), on=torch.device("cpu"))
    copy_kernel[(triton.cdiv(n, block),)](x.tensor, out.tensor, n, BLOCK=block, MASK_LOAD=mask_load, MASK_STORE=mask_store)
    return out, x


def test_a_correct_kernel_passes_the_guards():
    out, x = run_copy(100)
    check_guards(out, x)
    assert torch.equal(out.tensor, x.tensor + 1)


def test_a_store_without_mask_is_caught_as_a_write_past_the_output():
    out, x = run_copy(100, mask_store=False)
    assert out.overwritten() == 28
    with pytest.raises(AssertionError, match="wrote 28 elements past the ends of its output: mask your tl.store"):
        check_guards(out, x)


def test_a_load_without_mask_reads_the_canary():
    x = Guarded(torch.ones(3, 50))
    out = Guarded.empty((3,), on=torch.device("cpu"))
    row_sum_kernel[(3,)](x.tensor, out.tensor, 50, BLOCK=64, MASK_LOAD=False)
    with pytest.raises(AssertionError, match="read from beyond an input"):
        check_guards(out, x)
    row_sum_kernel[(3,)](x.tensor, out.tensor, 50, BLOCK=64, MASK_LOAD=True)
    check_guards(out, x)
    assert out.tensor.tolist() == [50.0, 50.0, 50.0]


def test_a_grid_too_small_leaves_nan():
    x = Guarded(torch.randn(100))
    out = Guarded.empty((100,), on=torch.device("cpu"))
    copy_kernel[(1,)](x.tensor, out.tensor, 100, BLOCK=64, MASK_LOAD=True, MASK_STORE=True)
    with pytest.raises(AssertionError, match="never written"):
        check_guards(out, x)


def test_an_error_inside_a_kernel_points_at_its_line(capsys):
    @triton.jit
    def broken(x_ptr, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        tl.store(x_ptr + offs, tl.load(x_ptr + offs) + undefined_name)  # noqa: F821

    @check("demo-kernel")
    def _():
        """runs a broken kernel"""
        broken[(1,)](torch.zeros(8), BLOCK=8)

    out = capsys.readouterr().out
    assert "FAIL [demo-kernel]" in out and "undefined_name" in out


def test_cpu_autotune_timer_returns_the_quantiles():
    times = kernels.cpu_autotune_timer(lambda: sum(range(1000)))
    assert len(times) == 3 and all(t > 0 for t in times)


def test_sweep_and_roofline():
    table = kernels.sweep({"add": lambda n: (lambda t=torch.ones(n): t + t)}, [1000, 2000], work=lambda n: 12 * n,
                          unit="GB/s", xlabel="n", plot=True)
    assert table.column("n") == [1000, 2000] and all(v > 0 for v in table.column("add"))
    ax = kernels.roofline({"op": (2.0, 1e9)}, peak_flops=1e11, peak_bandwidth=1e10)
    assert ax.get_xscale() == "log" and len(ax.collections) == 1


def test_peaks_are_positive_and_plausible():
    pk = kernels.peaks(n_gemm=256, copy_mib=8)
    assert pk["flops"] > 1e8 and pk["bandwidth"] > 1e8


def test_simd_reads_the_register_file_from_the_cpu_flags():
    assert kernels.simd(["fpu", "avx2", "avx512f"]) == {"isa": "AVX-512", "registers": 32, "lanes": 16}
    assert kernels.simd(["avx", "avx2", "fma"]) == {"isa": "AVX2", "registers": 16, "lanes": 8}
    assert kernels.simd(["fp", "asimd"]) == {"isa": "NEON", "registers": 32, "lanes": 4}
    here = kernels.simd()
    assert here["registers"] in (16, 32) and here["lanes"] in (4, 8, 16)


def test_a_sweep_leaves_out_a_kernel_that_needs_triton(capsys):
    from aisys.notriton import triton

    @triton.jit
    def kernel(x_ptr, n):
        pass

    table = kernels.sweep({"triton": lambda n: (lambda: kernel[(1,)](n)), "torch": lambda n: (lambda t=torch.ones(n): t + t)},
                          [100], work=lambda n: 4 * n, plot=False)
    assert table.columns == ["size", "torch"] and "Linux" in capsys.readouterr().out


def test_without_triton_kernels_define_and_launching_one_says_why():
    from aisys.notriton import TritonUnavailable, tl, triton

    @triton.autotune(configs=[triton.Config({"BLOCK": 8})], key=["n"], do_bench=None)
    @triton.jit
    def kernel(x_ptr, n, BLOCK: tl.constexpr, ACC: tl.constexpr):
        pass

    assert triton.cdiv(10, 4) == 3 and triton.next_power_of_2(33) == 64 and not triton.available
    with pytest.raises(TritonUnavailable, match="Linux or in WSL"):
        kernel[(1,)](None, 8, ACC=tl.float32)


def test_a_cpp_source_builds_once_and_runs_on_tensors(tmp_path, monkeypatch):
    from aisys import cpp

    if cpp.compiler() is None:
        pytest.skip("no C++ compiler")
    monkeypatch.setenv("AISYS_CACHE", str(tmp_path))
    source = 'extern "C" void twice(int n, const float* x, float* y) { for (int i = 0; i < n; ++i) y[i] = 2 * x[i]; }'
    lib = cpp.build(source, "twice")
    x, y = torch.arange(5.0), torch.zeros(5)
    lib.twice(5, cpp.floats(x), cpp.floats(y))
    assert y.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert len(list((tmp_path / "cpp").glob("twice-*.so"))) == 1
    cpp.build(source, "twice")  # cached: no second file
    assert len(list((tmp_path / "cpp").glob("twice-*.so"))) == 1
    with pytest.raises(cpp.BuildError, match="does not compile"):
        cpp.build("this is not C++", "broken")


def test_opcount_counts_products_and_their_traffic():
    import torch.nn.functional as F
    from aisys import opcount

    assert opcount.count(torch.matmul, (5, 7), (7, 3)) == (2 * 5 * 7 * 3, 4 * (35 + 21 + 15))
    flops, nbytes = opcount.count(lambda x, w: F.conv2d(x, w, padding=1), (2, 3, 8, 9), (4, 3, 3, 3))
    assert flops == 2 * 2 * 4 * 8 * 9 * 3 * 9 and nbytes == 4 * (2 * 3 * 72 + 4 * 27 + 2 * 4 * 72)
    att = lambda q, k, v: torch.softmax(q @ k.transpose(1, 2), -1) @ v  # the softmax adds no FLOPs and no traffic
    assert opcount.count(att, (2, 16, 8), (2, 16, 8), (2, 16, 8)) == (4 * 2 * 16 * 16 * 8, 4 * (4 * 2 * 16 * 8 + 2 * 2 * 256))


def test_grouped_order_loads_fewer_tiles_than_row_major_under_lru():
    from aisys import tilecache

    @triton.jit
    def grouped(pid, num_pid_m, num_pid_n, GROUP: tl.constexpr):
        width = GROUP * num_pid_n
        first_m = (pid // width) * GROUP
        size = min(num_pid_m - first_m, GROUP)
        return first_m + (pid % width) % size, (pid % width) // size

    order = tilecache.launch_order(grouped, 12, 12, 4)
    assert tilecache.tile_loads(tilecache.row_major(12, 12), 12, 12, 4, 24) == 12 * 4 + 144 * 4
    assert tilecache.tile_loads(order, 12, 12, 4, 24) == 3 * (16 + 48)
    with pytest.raises(ValueError, match="both get tile"):
        tilecache.check_order([(0, 0), (0, 0)], 1, 2)
    with pytest.raises(ValueError, match="outside"):
        tilecache.check_order([(0, 0), (1, 0)], 1, 2)
