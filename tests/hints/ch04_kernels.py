"""Mistakes ch04_kernels warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
    ("ch04_kernels", "FLOPs counted as multiply-adds"): (
        "ch04-costs", [
            ("return 2 * m * n * k, 4 * (m * k + k * n + m * n)",
             "return m * n * k, 4 * (m * k + k * n + m * n)"),
        ], "a multiply-add is 2 FLOPs"),
    ("ch04_kernels", "bytes counted in elements"): (
        "ch04-costs", [
            ("return 2 * m * n * k, 4 * (m * k + k * n + m * n)",
             "return 2 * m * n * k, m * k + k * n + m * n"),
        ], "an fp32 element is 4 bytes"),
    ("ch04_kernels", "a register block that spills"): (
        "ch04-register-block", [
            ("mr = (registers - nv - 1) // nv",
             "mr = registers // nv"),
        ], "it would spill"),
    ("ch04_kernels", "a micro-kernel that stores its whole block"): (
        "ch04-micro", [
            ("for (int i = 0; i < mr; ++i)\n        for (int j = 0; j < nr; ++j)",
             "for (int i = 0; i < MR; ++i)\n        for (int j = 0; j < NR; ++j)"),
        ], "outside its"),
    ("ch04_kernels", "a micro-kernel that overwrites C"): (
        "ch04-micro", [
            ("c[i * ldc + j] += acc",
             "c[i * ldc + j] = acc"),
        ], "must add into C"),
    ("ch04_kernels", "a packed GEMM whose edge blocks write past C"): (
        "ch04-cpp-gemm", [
            ("for (int i = 0; i < mr; ++i)\n        for (int j = 0; j < nr; ++j)",
             "for (int i = 0; i < MR; ++i)\n        for (int j = 0; j < NR; ++j)"),
        ], "past the ends of C"),
    ("ch04_kernels", "a scalar micro-kernel"): (
        "ch04-cpp-speed", [
            ("        vf bv[NV];\n        for (int v = 0; v < NV; ++v) bv[v] = *(const vf*)(b + p * NR + v * VF);\n"
             "        for (int i = 0; i < MR; ++i) {\n            const float ai = a[p * MR + i];\n"
             "            for (int v = 0; v < NV; ++v) acc[i][v] += ai * bv[v];\n        }\n",
             ""),
            ("        for (int j = 0; j < nr; ++j) c[i * ldc + j] += acc[i][j / VF][j % VF];",
             "        for (int j = 0; j < nr; ++j) {\n            float s = 0;\n"
             "            for (int p = 0; p < kc; ++p) s += a[p * MR + i] * b[p * NR + j];\n"
             "            c[i * ldc + j] += s;\n        }"),
        ], "one float at a time"),
    ("ch04_kernels", "im2col with height and width swapped"): (
        "ch04-im2col", [
            ("return out.reshape(n, c_out, h_out, w_out)",
             "return out.reshape(n, c_out, w_out, h_out)"),
        ], "height and width are swapped"),
    ("ch04_kernels", "vector add without a store mask"): (
        "ch04-add", [
            ("+ tl.load(y_ptr + offs, mask=mask), mask=mask)",
             "+ tl.load(y_ptr + offs, mask=mask))"),
        ], "past the ends of its output"),
    ("ch04_kernels", "softmax without subtracting the max"): (
        "ch04-softmax", [
            ("e = tl.exp(x - tl.max(x, axis=0))",
             "e = tl.exp(x)"),
        ], "subtract the row max"),
    ("ch04_kernels", "softmax padding loaded as 0"): (
        "ch04-softmax", [
            ('mask=mask, other=-float("inf"))',
             "mask=mask, other=0.0)"),
        ], "padding lanes of the block"),
    ("ch04_kernels", "matmul without masking the K loop"): (
        "ch04-matmul", [
            ("mask=(rm[:, None] < M) & ((k0 + rk)[None, :] < K), other=0.0)",
             "mask=rm[:, None] < M, other=0.0)"),
            ("mask=((k0 + rk)[:, None] < K) & (rn[None, :] < N), other=0.0)",
             "mask=rn[None, :] < N, other=0.0)"),
        ], "beyond an input"),
    ("ch04_kernels", "matmul that skips the last partial step of K"): (
        "ch04-matmul", [
            ("for k0 in range(0, K, BK):", "for k0 in range(0, K - K % BK, BK):"),
        ], "the last step of the K loop"),
    ("ch04_kernels", "row-major tile order"): (
        "ch04-grouping", [
            ("    width = GROUP * num_pid_n\n    first_m = (pid // width) * GROUP\n"
             "    group_size = min(num_pid_m - first_m, GROUP)\n"
             "    return first_m + (pid % width) % group_size, (pid % width) // group_size",
             "    return pid // num_pid_n, pid % num_pid_n"),
        ], "do not reuse"),
    ("ch04_kernels", "grouped order without a short last group"): (
        "ch04-grouping", [
            ("group_size = min(num_pid_m - first_m, GROUP)",
             "group_size = GROUP"),
        ], "outside the"),
    ("ch04_kernels", "layer norm variance over the padding"): (
        "ch04-layernorm", [
            ("diff = tl.where(mask, x - mean, 0.0)",
             "diff = x - mean"),
        ], "keep masked lanes out of the variance"),
    ("ch04_kernels", "attention without masking padded keys"): (
        "ch04-attention", [
            ('        s = tl.where(rn[None, :] < seq, s, -float("inf"))\n',
             ""),
        ], "must be -inf"),
    ("ch04_kernels", "attention without rescaling"): (
        "ch04-attention", [
            ("acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)",
             "acc = acc + tl.dot(p.to(v.dtype), v)"),
        ], "rescale acc and l_i"),
    ("ch04_kernels", "attention whose p @ v mixes fp32 and fp16"): (
        "ch04-attention", [
            ("tl.dot(p.to(v.dtype), v)", "tl.dot(p, v)"),
        ], "convert p to v's type"),
    ("ch04_kernels", "matmul that converts its tiles to fp32"): (
        "ch04-linear-grad", [
            ("mask=(rm[:, None] < M) & ((k0 + rk)[None, :] < K), other=0.0)",
             "mask=(rm[:, None] < M) & ((k0 + rk)[None, :] < K), other=0.0).to(tl.float32)"),
            ("mask=((k0 + rk)[:, None] < K) & (rn[None, :] < N), other=0.0)",
             "mask=((k0 + rk)[:, None] < K) & (rn[None, :] < N), other=0.0).to(tl.float32)"),
        ], "float64"),
    ("ch04_kernels", "bias gradient averaged"): (
        "ch04-linear-grad", [
            ("grad.sum(0), None",
             "grad.mean(0), None"),
        ], "the gradient of the bias differs"),
    ("ch04_kernels", "weight gradient missing"): (
        "ch04-mlp", [
            ("ctx.mm(grad.t(), x), grad.sum(0)",
             "None, grad.sum(0)"),
        ], "check the backward"),
}
