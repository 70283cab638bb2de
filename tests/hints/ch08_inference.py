"""Mistakes ch08_inference warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
    ("ch08_inference", "a client that ignores the status"): (
        "ch08-client", [
            ("    if reply.status_code != 200:\n        raise InferError(reply.status_code, reply.json().get(\"error\", reply.text))\n",
             ""),
        ], "raise InferError(status, message) on a non-200 reply"),
    ("ch08_inference", "a client that invents the status"): (
        "ch08-client", [
            ("raise InferError(reply.status_code,", "raise InferError(400,"),
        ], "pass the HTTP status of the reply"),
    ("ch08_inference", "a batcher that waits for more than a full batch"): (
        "ch08-batcher", [
            ("if len(waiting) >= self.max_batch_size:", "if len(waiting) > self.max_batch_size:"),
        ], "run as soon as max_batch_size requests wait"),
    ("ch08_inference", "a batcher that takes everything when the batch is full"): (
        "ch08-batcher", [
            ("            return Decision(self.max_batch_size)\n", "            return Decision(len(waiting))\n"),
        ], "never take more than max_batch_size"),
    ("ch08_inference", "a batcher timed from the newest request"): (
        "ch08-batcher", [
            ("deadline = waiting[0] + self.max_delay", "deadline = waiting[-1] + self.max_delay"),
        ], "oldest request"),
    ("ch08_inference", "a batcher that never waits"): (
        "ch08-batcher-sla", [
            ("        return Decision(0, deadline)\n", "        return Decision(len(waiting))\n"),
        ], "the rule runs"),
    ("ch08_inference", "a percentile one rank too high"): (
        "ch08-percentile", [
            ("rank = math.ceil(q / 100 * len(ordered))", "rank = int(q / 100 * len(ordered)) + 1"),
        ], "ceil(q/100 * n)-th smallest"),
    ("ch08_inference", "an interpolated percentile"): (
        "ch08-percentile", [
            ("    ordered = sorted(samples)\n", "    return float(np.percentile(samples, q))\n"),
        ], "nearest rank does not interpolate"),
    ("ch08_inference", "an SLA that forgets the batch ahead"): (
        "ch08-sla-batch", [
            ("if fill + 2 * seconds <= sla and", "if fill + seconds <= sla and"),
        ], "a request may wait for the batch ahead"),
    ("ch08_inference", "an SLA batch that does not keep up"): (
        "ch08-sla-batch", [
            ("if fill + 2 * seconds <= sla and seconds <= b / rate:", "if fill + 2 * seconds <= sla:"),
        ], "keeps up"),
    ("ch08_inference", "a symmetric scale of 128 steps"): (
        "ch08-quant-symmetric", [
            ("scale = torch.clamp(m, min=1e-12) / 127", "scale = torch.clamp(m, min=1e-12) / 128"),
        ], "max|w| / 127"),
    ("ch08_inference", "per-channel scales over the wrong dimension"): (
        "ch08-quant-symmetric", [
            ("m = w.abs().amax(dim=1, keepdim=True)", "m = w.abs().amax(dim=0, keepdim=True)"),
        ], "one scale per output channel (row)"),
    ("ch08_inference", "truncating instead of rounding"): (
        "ch08-quant-symmetric", [
            ("q = torch.clamp(torch.round(w / scale), -127, 127)", "q = torch.clamp(torch.trunc(w / scale), -127, 127)"),
        ], "round to nearest"),
    ("ch08_inference", "a zero point that is not an integer"): (
        "ch08-quant-asymmetric", [
            ("zero_point = int(min(max(round(-lo / scale), 0), 255))", "zero_point = min(max(-lo / scale, 0), 255)"),
        ], "round it to an integer"),
    ("ch08_inference", "an int8 model that is a copy"): (
        "ch08-int8-model", [
            ("    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8)\n",
             "    import shutil\n    shutil.copy(src, dst)\n"),
        ], "quantise the weights to 8 bits"),
}
MISTAKES.update({
    ("ch08_inference", "magnitude pruning by signed value"): (
        "ch08-prune-magnitude", [
            ("mask[w.abs().flatten().argsort()[:k]] = False", "mask[w.flatten().argsort()[:k]] = False"),
        ], "smallest magnitude |w|"),
    ("ch08_inference", "structured pruning of the weakest units"): (
        "ch08-prune-structured", [
            ("kept = w.norm(dim=1).topk(keep).indices", "kept = w.norm(dim=1).topk(keep, largest=False).indices"),
        ], "largest L2 norm"),
    ("ch08_inference", "structured pruning that leaves the next layer whole"): (
        "ch08-prune-structured", [
            ("            w = w[:, kept]\n", "            pass\n"),
        ], "slice the next layer's input columns"),
    ("ch08_inference", "low rank from the smallest singular values"): (
        "ch08-low-rank", [
            ("first.weight.copy_(S[:rank, None] * Vh[:rank])", "first.weight.copy_(S[-rank:, None] * Vh[-rank:])"),
            ("second.weight.copy_(U[:, :rank])", "second.weight.copy_(U[:, -rank:])"),
        ], "keep the largest singular values"),
    ("ch08_inference", "low rank without the bias"): (
        "ch08-low-rank", [
            ("        second.bias.copy_(linear.bias.detach())\n", "        second.bias.zero_()\n"),
        ], "copy the bias"),
    ("ch08_inference", "distillation without T squared"): (
        "ch08-distill-loss", [
            ("return alpha * T * T * soft", "return alpha * soft"),
        ], "multiply the soft term by T^2"),
    ("ch08_inference", "distillation with the KL reversed"): (
        "ch08-distill-loss", [
            ("F.kl_div(F.log_softmax(student_logits / T, dim=1), F.softmax(teacher_logits / T, dim=1)",
             "F.kl_div(F.log_softmax(teacher_logits / T, dim=1), F.softmax(student_logits / T, dim=1)"),
        ], "KL(teacher || student)"),
    ("ch08_inference", "an ONNX export with a fixed batch"): (
        "ch08-onnx", [
            (',\n                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})', ")"),
        ], "dynamic batch dimension"),
})
MISTAKES.update({
    ("ch08_inference", "first fit in arrival order"): (
        "ch08-pack-heuristics", [
            ("    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):\n        for b, free in enumerate(room):",
             "    for i in range(len(sizes)):\n        for b, free in enumerate(room):"),
        ], "sort the models by size, largest first"),
    ("ch08_inference", "best fit into the emptiest device"): (
        "ch08-pack-heuristics", [
            ("b = min(fits, key=lambda b: room[b])", "b = max(fits, key=lambda b: room[b])"),
        ], "the least room left"),
    ("ch08_inference", "an optimum that is only first-fit"): (
        "ch08-pack-optimal", [
            ("    place(0, [], [])\n", ""),
        ], "search every assignment"),
})
MISTAKES.update({
    ("ch08_inference", "a KV cache that keeps only the first keys"): (
        "ch08-kv-cache", [
            ('    cache["k"], cache["v"] = k, v\n', '    cache.setdefault("k", k)\n    cache.setdefault("v", v)\n'),
        ], "append the new keys and values to the cache"),
    ("ch08_inference", "a KV cache with the plain causal mask"): (
        "ch08-kv-cache", [
            (".tril(total - new)", ".tril()"),
        ], "a new token attends to every cached position"),
})
MISTAKES.update({
    ("ch08_inference", "AIMD with an additive decrease"): (
        "ch08-aimd", [
            ("self.size = max(1, int(self.size * self.factor))", "self.size = max(1, self.size - self.step)"),
        ], "cut the size to int(size * factor)"),
    ("ch08_inference", "AIMD with a multiplicative increase"): (
        "ch08-aimd", [
            ("            self.size += self.step\n", "            self.size = self.size * 2\n"),
        ], "grow the size by step"),
})
MISTAKES.update({
    ("ch08_inference", "a batcher that is the library's"): (
        "ch08-batcher", [
            ("class DynamicBatcher(BatchPolicy):", "from aisys.serving import DynamicBatching\n\n\nclass DynamicBatcher(DynamicBatching):"),
            ("    def decide(self, now, waiting):\n        ### BEGIN SOLUTION", "    def unused(self, now, waiting):\n        ### BEGIN SOLUTION"),
        ], "subclass BatchPolicy and write decide() yourself"),
    ("ch08_inference", "an asymmetric range without 0"): (
        "ch08-quant-asymmetric", [
            ("    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)\n    scale", "    lo, hi = float(x.min()), float(x.max())\n    scale"),
        ], "include 0 in the range"),
    ("ch08_inference", "an asymmetric range without 0 and an unclamped zero point"): (
        "ch08-quant-asymmetric", [
            ("    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)\n    scale", "    lo, hi = float(x.min()), float(x.max())\n    scale"),
            ("zero_point = int(min(max(round(-lo / scale), 0), 255))", "zero_point = int(round(-lo / scale))"),
        ], "include 0 in the range"),
    ("ch08_inference", "structured pruning by the norms of the full rows"): (
        "ch08-prune-structured", [
            ("kept = w.norm(dim=1).topk(keep).indices", "kept = lin.weight.detach().norm(dim=1).topk(keep).indices"),
        ], "after the previous layer's pruning"),
})
MISTAKES.update({
    ("ch08_inference", "continuous batching that admits only into an empty batch"): (
        "ch08-continuous-rules", [
            ("        room = max_batch - len(running)\n", "        room = 0 if running else max_batch\n"),
        ], "admit waiting requests at every step while the batch has room"),
    ("ch08_inference", "continuous batching that never retires a request"): (
        "ch08-continuous-rules", [
            ("        running = [r for r in running if r[1] < requests[r[0]].output]\n", ""),
        ], "is retired"),
    ("ch08_inference", "continuous batching whose prefill step yields no token"): (
        "ch08-continuous-rules", [
            ("running += [[i, 0] for i in admitted]", "running += [[i, -1] for i in admitted]"),
        ], "yields its first token"),
    ("ch08_inference", "continuous batching that charges one row per prompt"): (
        "ch08-continuous-rules", [
            ("sum(requests[i].prompt for i in admitted)", "len(admitted)"),
        ], "prefill processes every prompt token"),
    ("ch08_inference", "continuous batching that finishes a request when its last step starts"): (
        "ch08-continuous-trace", [
            ("                finish[r[0]] = t\n", "                finish[r[0]] = t - step_seconds(len(running))\n"),
        ], "a request finishes at the end of the step"),
})
MISTAKES.update({
    ("ch08_inference", "EDF as a fixed priority by SLA"): (
        "ch08-edf", [
            ("jobs[i].arrivals[0] + jobs[i].sla)\n        ### END", "jobs[i].sla)\n        ### END"),
        ], "not the smallest SLA"),
    ("ch08_inference", "EDF timed from the newest request"): (
        "ch08-edf", [
            ("jobs[i].arrivals[0] + jobs[i].sla)\n        ### END", "jobs[i].arrivals[-1] + jobs[i].sla)\n        ### END"),
        ], "not its newest's"),
    ("ch08_inference", "EDF that is FIFO"): (
        "ch08-edf", [
            ("jobs[i].arrivals[0] + jobs[i].sla)\n        ### END", "jobs[i].arrivals[0])\n        ### END"),
        ], "not the oldest arrival"),
})
MISTAKES.update({
    ("ch08_inference", "a canary that divides before it counts"): (
        "ch08-canary", [
            ("if judged(windows[-1]) and crosses(windows[-1]):", "if crosses(windows[-1]) and judged(windows[-1]):"),
        ], "look at a window's request count before its error rate"),
    ("ch08_inference", "a canary rolled back on a thin window"): (
        "ch08-canary", [
            ("if judged(windows[-1]) and crosses(windows[-1]):", "if windows[-1].requests and crosses(windows[-1]):"),
        ], "do not roll back on it"),
    ("ch08_inference", "a canary promoted on thin windows"): (
        "ch08-canary", [
            ("all(judged(w) and not crosses(w) for w in recent)", "all(w.requests == 0 or not crosses(w) for w in recent)"),
        ], "does not count toward promotion"),
    ("ch08_inference", "a canary watched for errors only"): (
        "ch08-canary", [
            ("w.errors / w.requests > max_error_rate or w.p99_ms > max_p99_ms", "w.errors / w.requests > max_error_rate"),
        ], "a slow canary is rolled back too"),
    ("ch08_inference", "a canary rolled back at its threshold"): (
        "ch08-canary", [
            ("w.errors / w.requests > max_error_rate or", "w.errors / w.requests >= max_error_rate or"),
        ], "not when it is met"),
})
MISTAKES.update({
    ("ch08_inference", "continuous batching that retires a request one step late"): (
        "ch08-continuous-rules", [
            ("running = [r for r in running if r[1] < requests[r[0]].output]", "running = [r for r in running if r[1] <= requests[r[0]].output]"),
        ], "retired one step late"),
    ("ch08_inference", "continuous batching that retires a request one step late, on the stream"): (
        "ch08-continuous-trace", [
            ("running = [r for r in running if r[1] < requests[r[0]].output]", "running = [r for r in running if r[1] <= requests[r[0]].output]"),
        ], "retired one step late"),
    ("ch08_inference", "EDF that breaks a tie for the later batch"): (
        "ch08-edf", [
            ("        return min(range(len(jobs)), key=lambda i: jobs[i].arrivals[0] + jobs[i].sla)\n",
             "        best = 0\n        for i, job in enumerate(jobs):\n"
             "            if job.arrivals[0] + job.sla <= jobs[best].arrivals[0] + jobs[best].sla:\n                best = i\n"
             "        return best\n"),
        ], "on a tie run the one that comes first in jobs"),
    ("ch08_inference", "EDF that runs the latest deadline"): (
        "ch08-edf", [
            ("return min(range(len(jobs)), key=lambda i: jobs[i].arrivals[0] + jobs[i].sla)",
             "return max(range(len(jobs)), key=lambda i: jobs[i].arrivals[0] + jobs[i].sla)"),
        ], "you ran the batch due last"),
    ("ch08_inference", "a canary judged on its cumulative error rate"): (
        "ch08-canary", [
            ("if judged(windows[-1]) and crosses(windows[-1]):",
             "if judged(windows[-1]) and crosses(Window(sum(w.requests for w in windows), sum(w.errors for w in windows), windows[-1].p99_ms)):"),
        ], "not the errors of all windows so far"),
})
MISTAKES.update({
    ("ch08_inference", "a batcher that delegates to the library's rule"): (
        "ch08-batcher", [
            ("        return Decision(0, deadline)\n        ### END SOLUTION",
             "        return Decision(0, deadline)\n        ### END SOLUTION\n\n\n"
             "DynamicBatcher.decide = lambda self, now, waiting: DynamicBatching.decide(self, now, waiting)"),
        ], "calls aisys.serving.DynamicBatching.decide"),
    ("ch08_inference", "choose_batch that is the reference answer"): (
        "ch08-sla-batch", [
            ("    return best\n    ### END SOLUTION", "    return best\n    ### END SOLUTION\n\n\n"
             "from aisys.serving import rules\n\nchoose_batch = rules.largest_batch"),
        ], "called aisys.serving.rules.largest_batch"),
    ("ch08_inference", "an ONNX export that is the library's"): (
        "ch08-onnx", [
            ('"output": {0: "batch"}})\n    ### END SOLUTION', '"output": {0: "batch"}})\n    ### END SOLUTION\n\n\nto_onnx = export'),
        ], "called aisys.serving.export"),
    ("ch08_inference", "a canary verdict that is the reference answer"): (
        "ch08-canary", [
            ('    return "wait"\n    ### END SOLUTION', '    return "wait"\n    ### END SOLUTION\n\n\n'
             "from aisys.serving import rules\n\ncanary_verdict = rules.canary_rule"),
        ], "called aisys.serving.rules.canary_rule"),
    ("ch08_inference", "a canary that counts thin windows as healthy"): (
        "ch08-canary", [
            ("all(judged(w) and not crosses(w) for w in recent)", "all(not judged(w) or not crosses(w) for w in recent)"),
        ], "does not count toward promotion"),
    ("ch08_inference", "first fit that lists each device's models by index"): (
        "ch08-pack-heuristics", [
            ("    return bins\n    ### END SOLUTION\n\n\ndef best_fit_decreasing",
             "    return [sorted(b) for b in bins]\n    ### END SOLUTION\n\n\ndef best_fit_decreasing"),
        ], "list each device's models in the order they were put in"),
    ("ch08_inference", "first fit that breaks ties by the larger index"): (
        "ch08-pack-heuristics", [
            ("    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):\n        for b, free in enumerate(room):",
             "    for i in sorted(range(len(sizes)), key=lambda i: (sizes[i], i), reverse=True):\n        for b, free in enumerate(room):"),
        ], "break ties between equal sizes by index, smaller first"),
    ("ch08_inference", "continuous batching that counts the admitted requests twice"): (
        "ch08-continuous-rules", [
            ("        t += step_seconds(len(running) + sum(requests[i].prompt for i in admitted))\n"
             "        running += [[i, 0] for i in admitted]  # [request, tokens so far]\n",
             "        running += [[i, 0] for i in admitted]  # [request, tokens so far]\n"
             "        t += step_seconds(len(running) + sum(requests[i].prompt for i in admitted))\n"),
        ], "you counted the admitted request twice"),
})
