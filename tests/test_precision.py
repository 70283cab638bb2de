"""aisys.precision: the error bounds ch04's checks use hold for each precision and catch real mistakes (on the CPU)."""

import pytest
import torch
import torch.nn.functional as F

from aisys import precision as P


def test_dot_rounding_is_tf32_only_for_fp32_on_a_gpu():
    assert P.dot_rounding(torch.float32, "cpu") == "float32"
    assert P.dot_rounding(torch.float32, "cuda") == "tf32"
    assert P.dot_rounding(torch.float16, "cuda") == "float16"
    assert P.dot_rounding(torch.bfloat16, "cpu") == "bfloat16"


def test_round_to_tf32_keeps_ten_mantissa_bits_by_truncation():
    assert P.round_to(torch.tensor([1 + 2.0**-10]), "tf32").item() == 1 + 2.0**-10
    assert P.round_to(torch.tensor([1 + 2.0**-11 + 2.0**-12]), "tf32").item() == 1.0  # truncated, not rounded up
    x = torch.randn(10_000, generator=torch.Generator().manual_seed(0))
    rel = ((P.round_to(x, "tf32") - x.double()) / x.double()).abs()
    assert 2.0**-12 < rel.max().item() <= 2.0**-10
    assert torch.equal(P.round_to(x, "float16"), x.half().double())
    with pytest.raises(ValueError, match="unknown precision"):
        P.round_to(x, "fp8")


def operands(m, k, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(m, k, generator=g), torch.randn(k, n, generator=g)


def test_matmul_bound_grows_like_the_square_root_of_k():
    small = P.matmul_tolerance(*operands(32, 64, 32), "tf32").mean()
    large = P.matmul_tolerance(*operands(32, 4096, 32), "tf32").mean()
    assert 5 < (large / small).item() < 12  # sqrt(64) = 8


@pytest.mark.parametrize("m, k, n", [(24, 79, 88), (150, 149, 3), (1, 1000, 64)])
def test_matmul_bounds_hold_for_their_precision_and_are_tight_enough_to_tell_precisions_apart(m, k, n):
    a, b = operands(m, k, n, seed=k)
    exact = a.double() @ b.double()
    tf32 = P.round_to(a, "tf32") @ P.round_to(b, "tf32")
    assert P.excess(a @ b, exact, P.matmul_tolerance(a, b, "float32"))[1] <= 1
    assert P.excess(tf32, exact, P.matmul_tolerance(a, b, "tf32"))[1] <= 1
    assert P.excess(tf32, exact, P.matmul_tolerance(a, b, "float32"))[1] > 1  # fp32's bound would fail a TF32 GPU
    ah, bh = a.half(), b.half()
    half = (ah.float() @ bh.float()).half()
    assert P.excess(half, ah.double() @ bh.double(), P.matmul_tolerance(ah, bh, "float16", torch.float16))[1] <= 1


def test_matmul_bound_catches_a_dropped_last_step_of_k_even_in_tf32():
    a, b = operands(40, 79, 50)
    missing = a[:, :-1] @ b[:-1]
    assert P.excess(missing, a.double() @ b.double(), P.matmul_tolerance(a, b, "tf32"))[1] > 5


def attention_inputs(seq, negative=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(2, seq, 16, generator=g) for _ in range(3))
    return (q.abs() + 1, -(k.abs() + 1), v) if negative else (q, k, v)


def exact_attention(q, k, v):
    return torch.softmax(q.double() @ k.double().transpose(-1, -2) * q.shape[-1] ** -0.5, -1) @ v.double()


@pytest.mark.parametrize("negative", [False, True])
def test_attention_bounds_hold_for_their_precision_and_catch_unmasked_keys(negative):
    q, k, v = attention_inputs(106, negative)
    exact = exact_attention(q, k, v)
    r = lambda x: P.round_to(x, "tf32")
    tf32 = torch.softmax(r(q) @ r(k).transpose(-1, -2) * 0.25, -1)
    tf32 = r(tf32) @ r(v)
    assert P.excess(F.scaled_dot_product_attention(q, k, v), exact, P.attention_tolerance(q, k, v))[1] <= 1
    assert P.excess(tf32, exact, P.attention_tolerance(q, k, v, "tf32"))[1] <= 1
    assert P.excess(tf32, exact, P.attention_tolerance(q, k, v, "float32"))[1] > 1
    padded = F.scaled_dot_product_attention(q, F.pad(k, (0, 0, 0, 22)), F.pad(v, (0, 0, 0, 22)))  # keys past the end
    assert P.excess(padded, exact, P.attention_tolerance(q, k, v, "tf32"))[1] > 5
