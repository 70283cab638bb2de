"""Floating-point precision of kernels: unit roundoffs, rounding emulation and error bounds derived from them."""

import torch

# The largest relative error of one rounding to each format: 2^-(mantissa bits + 1); TF32 is a whole unit in the last
# place, 2^-10, because tensor cores fed fp32 registers truncate the 13 low mantissa bits instead of rounding them.
UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "tf32": 2.0**-10, "float16": 2.0**-11, "bfloat16": 2.0**-8}
TF32_DROPPED_BITS = 13  # fp32 keeps 23 mantissa bits, TF32 10
SIGMAS = 6.0  # the bounds are this many standard deviations of the rounding noise: none of 10^6 elements exceeds it


def name(dtype):
    """'float32' for torch.float32, and so on."""
    return str(dtype).replace("torch.", "")


def dot_rounding(dtype, device):
    """What tl.dot rounds its inputs to: TF32 for fp32 on an NVIDIA GPU (Triton's default), else the inputs' own type."""
    on_gpu = torch.device(device).type == "cuda"
    return "tf32" if dtype == torch.float32 and on_gpu else name(dtype)


def round_to(x, precision):
    """x in `precision` as a GPU's dot sees it, returned as float64: rounded to nearest, or truncated for tf32."""
    if precision in ("float16", "bfloat16", "float32"):
        return x.to(getattr(torch, precision)).double()
    if precision != "tf32":
        raise ValueError(f"unknown precision {precision!r}: one of {', '.join(UNIT_ROUNDOFF)}")
    bits = x.float().contiguous().view(torch.int32)
    truncated = bits & ~((1 << TF32_DROPPED_BITS) - 1)
    return truncated.view(torch.float32).double()


def matmul_tolerance(a, b, rounding="float32", out_dtype=torch.float32, sigmas=SIGMAS):
    """Per-element bound on |a @ b - exact| when a dot rounds its inputs to `rounding`, sums in fp32 and stores out_dtype."""
    a, b = a.double(), b.double()
    products = ((a * a) @ (b * b)).sqrt()  # sqrt(sum_k (a_ik b_kj)^2): the size of the rounding noise
    k = a.shape[-1]
    exact = (a @ b).abs()
    # Rounding the inputs is noise of about u * products (plus a bias of up to u * |a @ b| when it truncates).
    inputs = UNIT_ROUNDOFF[rounding] * (sigmas * products + exact)
    # Summing in fp32 rounds each partial sum, which grows like sqrt(k) times a product: noise of ~ u32 sqrt(k) products.
    accumulation = sigmas * UNIT_ROUNDOFF["float32"] * k**0.5 * products
    return inputs + accumulation + UNIT_ROUNDOFF[name(out_dtype)] * exact


def attention_tolerance(q, k, v, rounding="float32", out_dtype=torch.float32, sigmas=SIGMAS):
    """Per-element bound on softmax(q k^T / sqrt(d)) v's error when its two dots round to `rounding` (batched q, k, v)."""
    q, k, v = q.double(), k.double(), v.double()
    scale = q.shape[-1] ** -0.5
    u = UNIT_ROUNDOFF[rounding]
    p = torch.softmax(scale * q @ k.transpose(-1, -2), -1)
    out = p @ v
    # Score (i, j) carries noise of variance u^2 scale^2 sum_d q_id^2 k_jd^2, which moves out_i by p_ij (v_j - out_i)
    # times it; the p @ v dot rounds p and v; the fp32 exp and rescaling add a few roundings per key.
    w = p * p * (scale * scale) * ((q * q) @ (k * k).transpose(-1, -2))
    spread = (w @ (v * v) - 2 * out * (w @ v) + out * out * w.sum(-1, keepdim=True)).clamp(min=0).sqrt()
    pv = ((p * p) @ (v * v)).sqrt()
    vmax = v.abs().amax(dim=(-2, -1), keepdim=True)
    arithmetic = 64 * UNIT_ROUNDOFF["float32"] * k.shape[-2] ** 0.5 * vmax
    return sigmas * u * (spread + pv) + arithmetic + UNIT_ROUNDOFF[name(out_dtype)] * out.abs()


def excess(got, want, tolerance):
    """(largest error, largest error / its tolerance): the second is <= 1 when got is within the bound."""
    err = (got.double() - want.double()).abs()
    return err.max().item(), (err / tolerance).max().item()
