"""Mistakes ch06b_model_parallel warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
    ("ch06b_model_parallel", "SSP that waits too long"): (
        "ch06-ps", [
            ("if clock[w] - slowest <= staleness:",
             "if clock[w] - slowest <= 0:"),
        ], "within the bound"),
    ("ch06b_model_parallel", "server that releases the wrong worker"): (
        "ch06-ps", [
            ("                dist.send(params, w)\n                gaps",
             "                dist.send(params, src)\n                gaps"),
        ], "a second time before that worker pushed another gradient"),
    ("ch06b_model_parallel", "server whose bound is strict (never releases under BSP)"): (
        "ch06-ps", [
            ("if clock[w] - slowest <= staleness:",
             "if clock[w] - slowest < staleness:"),
        ], "waited for parameters that were never sent"),
    ("ch06b_model_parallel", "1F1B without warm-up"): (
        "ch06-schedules", [
            ("    warmup = min(p - rank - 1, m)\n",
             "    warmup = 0\n"),
        ], "expected p - rank - 1"),
    ("ch06b_model_parallel", "GPipe loss not divided by m"): (
        "ch06-gpipe", [
            ("out = F.mse_loss(out, targets[i]) / len(targets)",
             "out = F.mse_loss(out, targets[i])"),
        ], "divide each micro-batch loss by m"),
    ("ch06b_model_parallel", "pipeline that deadlocks"): (
        "ch06-1f1b", [
            ("dist.recv(x, rank - 1)",
             "dist.recv(x, (rank + 1) % world_size)"),
        ], "the pipeline deadlocked"),
    ("ch06b_model_parallel", "1F1B with blocking sends"): (
        "ch06-1f1b", [
            ("                sends.append((dist.isend(payload, rank + 1), payload))\n",
             "                dist.send(payload, rank + 1)\n"),
            ("                sends.append((dist.isend(x.grad, rank - 1), x.grad))\n",
             "                dist.send(x.grad, rank - 1)\n"),
        ], "a blocking dist.send returns only once the receiver has posted"),
    ("ch06b_model_parallel", "f without the backward all-reduce"): (
        "ch06-megatron-fg", [
            ("        grad = grad.clone()\n        dist.all_reduce(grad)\n        return grad",
             "        return grad"),
        ], "its backward all-reduces"),
    ("ch06b_model_parallel", "g that all-reduces its input in place"): (
        "ch06-megatron-fg", [
            ("        x = x.clone()\n        dist.all_reduce(x)\n        return x",
             "        dist.all_reduce(x)\n        return x"),
        ], "g (ReduceFromParallel) changed its input"),
    ("ch06b_model_parallel", "f whose backward all-reduces the handed gradient in place"): (
        "ch06-megatron-fg", [
            ("        grad = grad.clone()\n        dist.all_reduce(grad)\n        return grad",
             "        dist.all_reduce(grad)\n        return grad"),
        ], "f's backward changed the gradient tensor it was handed"),
    ("ch06b_model_parallel", "tensor parallel without the backward all-reduce"): (
        "ch06-tensor-parallel", [
            ("        grad = grad.clone()\n        dist.all_reduce(grad)\n        return grad",
             "        return grad"),
        ], "f must all-reduce the gradient"),
    ("ch06b_model_parallel", "tensor parallel with its own parameter names"): (
        "ch06-tensor-parallel", [
            ("        self.w1 = nn.Parameter(",
             "        self.fc1_weight = nn.Parameter("),
            ("F.linear(CopyToParallel.apply(x), self.w1, self.b1)",
             "F.linear(CopyToParallel.apply(x), self.fc1_weight, self.b1)"),
        ], "the contract names them w1, b1, w2, b2"),
}
