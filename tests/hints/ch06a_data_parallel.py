"""Mistakes ch06a_data_parallel warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
    ("ch06a_data_parallel", "alpha-beta fit that lets large messages decide"): (
        "ch06-alpha-beta", [
            ("rows = np.stack([np.ones_like(b), b], axis=1) / t[:, None]",
             "rows = np.stack([np.ones_like(b), b], axis=1)"),
            ("np.linalg.lstsq(rows, np.ones_like(t), rcond=None)",
             "np.linalg.lstsq(rows, t, rcond=None)"),
        ], "weight each point so that its relative error counts"),
    ("ch06a_data_parallel", "alpha and beta swapped"): (
        "ch06-alpha-beta", [
            ("return float(alpha), float(beta)",
             "return float(beta), float(alpha)"),
        ], "return (alpha, beta)"),
    ("ch06a_data_parallel", "alpha-beta through two points"): (
        "ch06-alpha-beta", [
            ("(alpha, beta), *_ = np.linalg.lstsq(rows, np.ones_like(t), rcond=None)",
             "beta = (t[-1] - t[0]) / (b[-1] - b[0]); alpha = t[0] - beta * b[0]"),
        ], "fit all the points, not two of them"),
    ("ch06a_data_parallel", "alpha-beta weighted by 1/t squared"): (
        "ch06-alpha-beta", [
            ("np.linalg.lstsq(rows, np.ones_like(t), rcond=None)",
             "np.linalg.lstsq(rows / t[:, None], 1 / t, rcond=None)"),
        ], "divide each row (and the right-hand side) by t once"),
    ("ch06a_data_parallel", "ring without the all-gather phase"): (
        "ch06-ring", [
            ("        requests.append(dist.isend(chunks[send], right))\n        dist.recv(chunks[recv], left)\n",
             "        pass\n"),
        ], "the all-gather phase is missing"),
    ("ch06a_data_parallel", "ring wrong for ragged sizes"): (
        "ch06-ring", [
            ("chunks = list(t.view(-1).tensor_split(n))",
             "chunks = list(t.view(-1).split(max(1, t.numel() // n)))[:n]"),
        ], "not a multiple of the world size"),
    ("ch06a_data_parallel", "ring split with chunk"): (
        "ch06-ring", [
            ("chunks = list(t.view(-1).tensor_split(n))",
             "chunks = list(t.view(-1).chunk(n))"),
        ], "split with tensor_split"),
    ("ch06a_data_parallel", "ring through dist.all_reduce"): (
        "ch06-ring", [
            ("    rank, n = dist.get_rank(), dist.get_world_size()\n    chunks",
             "    dist.all_reduce(t)\n    return t\n    rank, n = dist.get_rank(), dist.get_world_size()\n    chunks"),
        ], "must be built from send/recv"),
    ("ch06a_data_parallel", "ring with a blocking send"): (
        "ch06-ring", [
            ("        request = dist.isend(chunks[send], right)\n",
             "        dist.send(chunks[send], right)\n"),
            ("        request.wait()\n    requests = []",
             "    requests = []"),
        ], "the ring deadlocked"),
    ("ch06a_data_parallel", "gradients summed, not averaged"): (
        "ch06-grad-average", [
            ("            p.grad.div_(n)\n",
             ""),
        ], "divide by the world size"),
    ("ch06a_data_parallel", "DDP without a distributed sampler"): (
        "ch06-ddp", [
            ("num_replicas=world_size, rank=rank, shuffle",
             "num_replicas=1, rank=0, shuffle"),
        ], "got the same samples"),
    ("ch06a_data_parallel", "sampler built without the seed"): (
        "ch06-ddp", [
            ("shuffle=True, seed=seed)",
             "shuffle=True)"),
        ], "the sampler ignores the seed"),
    ("ch06a_data_parallel", "DDP without set_epoch"): (
        "ch06-ddp", [
            ("        sampler.set_epoch(epoch)\n",
             ""),
        ], "never told which epoch"),
    ("ch06a_data_parallel", "int8 not averaged"): (
        "ch06-quantize", [
            ("zip(qs, scales)) / n)",
             "zip(qs, scales)))"),
        ], "not the average: divide by the world size"),
    ("ch06a_data_parallel", "int8 by truncation"): (
        "ch06-quantize", [
            ("q = torch.round(t / scale).to(torch.int8)",
             "q = (t / scale).to(torch.int8)"),
        ], "casting to int8 truncates toward zero"),
    ("ch06a_data_parallel", "int8 summed with its own scale"): (
        "ch06-quantize", [
            ("    dist.all_gather(qs, q)\n    dist.all_gather(scales, scale)\n",
             "    dist.all_reduce(q)\n    qs, scales = [q] * n, [scale] * n\n"),
        ], "only with that rank's own scale"),
    ("ch06a_data_parallel", "top-k sum not divided by the world size"): (
        "ch06-topk", [
            ("return completed(t.div_(n))",
             "return completed(t)"),
        ], "not the average: divide by the world size"),
    ("ch06a_data_parallel", "top-k by signed value"): (
        "ch06-topk", [
            ("idx = g.abs().topk(k).indices",
             "idx = g.topk(k).indices"),
        ], "largest magnitude (grad.abs().topk(k))"),
    ("ch06a_data_parallel", "top-k without error feedback"): (
        "ch06-topk", [
            ("    if state[\"error_feedback\"]:\n        g[idx] = 0",
             "    if False:\n        g[idx] = 0"),
        ], "add the residual before top-k"),
}
