"""Each lab's checks on the mistakes the lab warns about: each fails with its hint, the solution passes."""

import pytest

from tests.conftest import REPO
from tests.lab_cells import check_output

# (lab, mistake): (check id, [(text in the solution, what the mistake writes instead)], words the hint must say)
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
            ("acc = acc * alpha[:, None] + tl.dot(p, v)",
             "acc = acc + tl.dot(p, v)"),
        ], "rescale acc and l_i"),
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
    ("ch01_end_to_end", "parameter reads counted as operators"): (
        "ch01-graph", [
            ("        elif node.op == \"call_method\":\n            counts[node.target] += 1",
             "        elif node.op == \"call_method\":\n            counts[node.target] += 1\n"
             "        elif node.op == \"get_attr\":\n            counts[node.target] += 1"),
        ], "a get_attr node"),
    ("ch01_end_to_end", "CNN without the first ReLU"): (
        "ch01-cnn", [
            ("x = F.relu(self.conv1(x))", "x = self.conv1(x)"),
        ], "the table's order differs at step 2: it has relu where yours has conv2"),
    ("ch01_end_to_end", "CNN with average pooling"): (
        "ch01-cnn", [
            ("self.pool = nn.AdaptiveMaxPool2d(4)", "self.pool = nn.AdaptiveAvgPool2d(4)"),
        ], "the table asks for max pooling"),
    ("ch01_end_to_end", "fc1 sized for an unpooled input"): (
        "ch01-cnn", [
            ("self.fc1 = nn.Linear(32 * 4 * 4, 64)",
             "self.fc1 = nn.Linear(32 * 8 * 8, 64)"),
        ], "the table gives 38,282"),
    ("ch01_end_to_end", "CNN that forgets to pool"): (
        "ch01-cnn", [
            ("x = torch.flatten(self.pool(x), 1)",
             "x = torch.flatten(x, 1)"),
        ], "pool to 4x4 before flattening"),
    ("ch01_end_to_end", "a learning rate too small to train"): (
        "ch01-accuracy", [
            ("epochs=EPOCHS, lr=3e-3)",
             "epochs=EPOCHS, lr=1e-6)"),
        ], "< 0.90"),
    ("ch01_end_to_end", "a method's name read as a function's"): (
        "ch01-graph", [
            ("counts[node.target] += 1",
             "counts[node.target.__name__] += 1"),
        ], "target is the method's name"),
    ("ch01_end_to_end", "modules counted by attribute name"): (
        "ch01-graph", [
            ("counts[type(gm.get_submodule(node.target)).__name__] += 1",
             "counts[node.target] += 1"),
        ], "by their attribute"),
    ("ch01_end_to_end", "inputs and output counted as operators"): (
        "ch01-graph", [
            ('elif node.op == "call_method":',
             "else:"),
        ], "are not operators"),
    ("ch01_end_to_end", "one FLOP per multiply-add"): (
        "ch01-flops", [
            ("total += 2 * out.numel()",
             "total += out.numel()"),
        ], "1 FLOP per multiply-add"),
    ("ch01_end_to_end", "convolution FLOPs without groups"): (
        "ch01-flops", [
            ("(module.in_channels // module.groups)",
             "module.in_channels"),
        ], "what the convolution would cost without groups"),
    ("ch01_end_to_end", "hooks left registered"): (
        "ch01-flops", [
            ("        for h in handles:\n            h.remove()\n",
             "        pass\n"),
        ], "hooks are still registered"),
    ("ch01_end_to_end", "top ops ranked by total time"): (
        "ch01-top-ops", [
            ("key=lambda e: e.self_cpu_time_total, reverse=True)[:k]",
             "key=lambda e: e.cpu_time_total, reverse=True)[:k]"),
        ], "you rank by total time"),
    ("ch01_end_to_end", "top ops in microseconds"): (
        "ch01-top-ops", [
            ("e.self_cpu_time_total / 1e3, e.count) for e in events]",
             "e.self_cpu_time_total, e.count) for e in events]"),
        ], "in microseconds"),
    ("ch01_end_to_end", "top ops cheapest first"): (
        "ch01-top-ops", [
            (", reverse=True)[:k]",
             ")[:k]"),
        ], "not in decreasing order"),
    ("ch01_end_to_end", "throughput in steps per second"): (
        "ch01-throughput", [
            ("return timing.rate(batch_size)",
             "return timing.rate(1)"),
        ], "that is steps per second"),
    ("ch01_end_to_end", "throughput as seconds per sample"): (
        "ch01-throughput", [
            ("return timing.rate(batch_size)",
             "return timing.median / batch_size"),
        ], "divide the samples a step processes"),
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
    ("ch06a_data_parallel", "ring wrong for ragged sizes"): (
        "ch06-ring", [
            ("chunks = list(t.view(-1).tensor_split(n))",
             "chunks = list(t.view(-1).split(max(1, t.numel() // n)))[:n]"),
        ], "not a multiple of the world size"),
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
    ("ch06a_data_parallel", "int8 summed with its own scale"): (
        "ch06-quantize", [
            ("    dist.all_gather(qs, q)\n    dist.all_gather(scales, scale)\n",
             "    dist.all_reduce(q)\n    qs, scales = [q] * n, [scale] * n\n"),
        ], "only with that rank's own scale"),
    ("ch06a_data_parallel", "top-k without error feedback"): (
        "ch06-topk", [
            ("    if state[\"error_feedback\"]:\n        g[idx] = 0",
             "    if False:\n        g[idx] = 0"),
        ], "add the residual before top-k"),
    ("ch06b_model_parallel", "SSP that waits too long"): (
        "ch06-ps", [
            ("if clock[w] - slowest <= staleness:",
             "if clock[w] - slowest <= 0:"),
        ], "within the bound"),
    ("ch06b_model_parallel", "server that releases the wrong worker"): (
        "ch06-ps", [
            ("                dist.send(params, w)\n                gaps",
             "                dist.send(params, src)\n                gaps"),
        ], "deadlocked"),
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
    ("ch06b_model_parallel", "f without the backward all-reduce"): (
        "ch06-megatron-fg", [
            ("        grad = grad.clone()\n        dist.all_reduce(grad)\n        return grad",
             "        return grad"),
        ], "its backward all-reduces"),
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
    ("ch07_scheduling", "LAS that stops at the first job that does not fit"): (
        "ch07-las", [
            ("            if job.num_gpus <= free:\n                chosen.add(job)\n                free -= job.num_gpus\n",
             "            if job.num_gpus > free:\n                break\n            chosen.add(job)\n            free -= job.num_gpus\n"),
        ], "keep walking the queues past a job that does not fit"),
    ("ch07_scheduling", "best fit delegated to the cluster's own placement"): (
        "ch07-placement", [
            ("    g, n = cluster.gpus_per_node, job.num_gpus\n    if n <= g:\n        fits = [node",
             "    return cluster.place(job.num_gpus, job.cpus, job.mem_gb)\n    g, n = cluster.gpus_per_node, job.num_gpus\n    if n <= g:\n        fits = [node"),
        ], "choose the node yourself"),
    ("ch07_scheduling", "DRF that ends the round at the first refused user"): (
        "ch07-drf-policy", [
            ("            else:\n                refused.add(user)", "            else:\n                return"),
        ], "stayed waiting after DRF's round"),
    ("ch07_scheduling", "SJF by arrival"): (
        "ch07-sjf", [
            ("sorted(sim.waiting, key=lambda j: j.duration)",
             "list(sim.waiting)"),
        ], "start the shortest waiting job"),
    ("ch07_scheduling", "a policy that over-allocates a node"): (
        "ch07-sjf", [
            ("            sim.start(job)\n",
             "            sim.start(job, {0: job.num_gpus})\n"),
        ], "on node 0, which has 0 GPUs"),
    ("ch07_scheduling", "SJF that stops at the first job that does not fit"): (
        "ch07-sjf-no-blocking", [
            ("            sim.start(job)\n",
             "            if not sim.start(job):\n                break\n"),
        ], "do not stop at the first that does not fit"),
    ("ch07_scheduling", "SRTF that never preempts"): (
        "ch07-srtf", [
            ("while free < job.num_gpus and self.running:",
             "while False:"),
        ], "never preempts"),
    ("ch07_scheduling", "LAS without demotion"): (
        "ch07-las", [
            ("key=lambda j: (self.queue(sim, j), j.submit_time)",
             "key=lambda j: j.submit_time"),
        ], "demote jobs past the threshold"),
    ("ch07_scheduling", "gang scheduling that allocates partially"): (
        "ch07-gang", [
            ("    if sum(cluster.free_gpus) < num_gpus:\n        return None\n",
             ""),
            ("        if need == 0:\n            return placement\n",
             "        if need == 0:\n            break\n    return placement or None\n"),
        ], "return None when the cluster cannot hold all of it"),
    ("ch07_scheduling", "DRF on raw amounts"): (
        "ch07-dominant-share", [
            ("return max(u / c for u, c in zip(usage, capacity))",
             "return max(usage)"),
        ], "not the raw amounts"),
    ("ch07_scheduling", "DRF that forgets completions"): (
        "ch07-drf-policy", [
            ("            self.usage[job.user][r] -= amount",
             "            pass"),
        ], "update usage on start and on completion"),
    ("ch07_scheduling", "capacity without reclaiming"): (
        "ch07-capacity", [
            ("                node = reclaimable_node(job)\n",
             "                node = None\n"),
        ], "preempt borrowed jobs to reclaim"),
    ("ch07_scheduling", "capacity that preempts borrowers on any node"): (
        "ch07-capacity", [
            ("                node = reclaimable_node(job)\n                if node is None:\n"
             "                    continue  # stopping borrowers would not make it fit on one node: stop none\n"
             "                for victim in [j for j in reversed(self.borrowed) if j.vc != job.vc and node in j.placement]:",
             "                for victim in [j for j in reversed(self.borrowed) if j.vc != job.vc]:"),
        ], "a useless preemption"),
    ("ch07_scheduling", "capacity that reclaims a node by its GPUs alone"): (
        "ch07-capacity", [
            ("if gpus >= job.num_gpus and cpus >= job.cpus - 1e-9 and mem >= job.mem_gb - 1e-9:",
             "if gpus >= job.num_gpus:"),
        ], "(GPUs, CPUs and memory)"),
    ("ch07_scheduling", "LAS that reads the duration"): (
        "ch07-las", [
            ("key=lambda j: (self.queue(sim, j), j.submit_time)",
             "key=lambda j: j.duration"),
        ], "a LAS policy may not know a job's duration"),
    ("ch07_scheduling", "LAS that preempts within a queue"): (
        "ch07-las", [
            ("key=lambda j: (self.queue(sim, j), j.submit_time)",
             "key=lambda j: (self.queue(sim, j), sim.attained(j), j.submit_time)"),
        ], "run in arrival order and do not preempt each other"),
    ("ch07_scheduling", "DRF that stops at the first blocked user"): (
        "ch07-drf", [
            ("            if all(used[r] + demands[u][r] <= capacity[r] + 1e-9 for r in range(len(capacity))):",
             "            if not all(used[r] + demands[u][r] <= capacity[r] + 1e-9 for r in range(len(capacity))):\n"
             "                return tasks\n            if True:"),
        ], "stopped at the first user that was blocked"),
    ("ch07_scheduling", "placement that ignores CPUs"): (
        "ch07-placement", [
            ("cluster.fits(node, n, job.cpus, job.mem_gb)]\n        return {min",
             "cluster.free_gpus[node] >= n]\n        return {min"),
        ], "where GPUs, CPUs and memory fit"),
    ("ch03_framework", "unbroadcast that keeps stretched axes"): (
        "ch03-unbroadcast", [
            ("        if n == 1 and grad.shape[axis] != 1:\n            grad = grad.sum(axis=axis, keepdims=True)\n",
             "        pass\n"),
        ], "keep the axes of size 1"),
    ("ch03_framework", "unbroadcast that averages"): (
        "ch03-unbroadcast", [
            ("        grad = grad.sum(axis=0)\n", "        grad = grad.mean(axis=0)\n"),
        ], "the sum over every copy of it"),
    ("ch03_framework", "mul without unbroadcast"): (
        "ch03-ops", [
            ("return unbroadcast(g * b.data, a.shape), unbroadcast(g * a.data, b.shape)",
             "return g * b.data, g * a.data"),
        ], "the backward of 'mul' returned a gradient of shape"),
    ("ch03_framework", "sub that forgets the sign"): (
        "ch03-ops", [
            ("return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)",
             "return unbroadcast(g, a.shape), unbroadcast(g, b.shape)"),
        ], "'sub' on inputs of shapes [(3, 4), (3, 4)]: the gradient of input 1 differs"),
    ("ch03_framework", "matmul without transposes"): (
        "ch03-ops", [
            ("return g @ b.data.T, a.data.T @ g", "return g @ b.data, a.data @ g"),
        ], "'matmul' on inputs of shapes"),
    ("ch03_framework", "sum that forgets the reduced axis"): (
        "ch03-ops", [
            ("        if axis is not None and not keepdims:\n            g = np.expand_dims(g, axis)\n"
             "        return (np.broadcast_to(g, a.shape),)",
             "        return (np.broadcast_to(g, a.shape),)"),
        ], "'sum' on inputs of shapes"),
    ("ch03_framework", "transpose undone with the same permutation"): (
        "ch03-ops", [
            ("g.transpose(None if axes is None else np.argsort(axes))", "g.transpose(axes)"),
        ], "'transpose' on inputs of shapes [(2, 3, 4)]"),
    ("ch03_framework", "backward that overwrites at fan-out"): (
        "ch03-backward", [
            ("grads[id(p)] = grads[id(p)] + pg if id(p) in grads else pg", "grads[id(p)] = pg"),
        ], "must get the sum of the gradients of all its uses"),
    ("ch03_framework", "recursive topological sort"): (
        "ch03-backward", [
            ("    order, seen, stack = [], set(), [(root, False)]\n", "    order, seen, stack = [], set(), []\n"
             "    def visit(t):\n        if id(t) not in seen:\n            seen.add(id(t))\n"
             "            for p in t.parents:\n                visit(p)\n            order.append(t)\n    visit(root)\n"),
        ], "without recursion"),
    ("ch03_framework", "leaves that do not accumulate"): (
        "ch03-backward", [
            ("t.grad = g if t.grad is None else t.grad + g", "t.grad = g"),
        ], "a second backward should add into .grad"),
    ("ch03_framework", "backward in topological instead of reverse order"): (
        "ch03-backward", [
            ("    for t in reversed(topological_order(self)):", "    for t in topological_order(self):"),
        ], "the leaf got no gradient"),
    ("ch03_framework", "one-sided differences"): (
        "ch03-gradcheck", [
            ("        x[i] = old - eps\n        down = f(x)\n", "        down = f(x)\n"),
            ("grad[i] = (up - down) / (2 * eps)", "x[i] = old\n        grad[i] = (up - down) / eps"),
        ], "that is the error of a one-sided difference"),
    ("ch03_framework", "numerical_grad that leaves x perturbed"): (
        "ch03-gradcheck", [
            ("        x[i] = old\n        grad[i] = (up - down) / (2 * eps)", "        grad[i] = (up - down) / (2 * eps)"),
        ], "numerical_grad changed its input x"),
    ("ch03_framework", "grad_check that never compares"): (
        "ch03-gradcheck", [
            ("worst = max(worst, float(np.abs(leaves[k].grad - num).max() / max(1.0, np.abs(num).max())))",
             "worst = max(worst, float(np.abs(num - num).max()))"),
        ], "for an operator whose backward is wrong"),
    ("ch03_framework", "cross-entropy without the max shift"): (
        "ch03-mlp", [
            ("    z = logits - logits.data.max(axis=1, keepdims=True)\n", "    z = logits\n"),
        ], "exp overflowed"),
    ("ch03_framework", "cross-entropy summed over the batch"): (
        "ch03-mlp", [
            ("return -(log_probs * one_hot).sum(axis=1).mean()", "return -(log_probs * one_hot).sum(axis=1).sum()"),
        ], "the mean over the batch"),
    ("ch03_framework", "cross-entropy partly computed in NumPy"): (
        "ch03-mlp", [
            ("log_probs = z - z.exp().sum(axis=1, keepdims=True).log()",
             "log_probs = z - Tensor(np.log(np.exp(z.data).sum(axis=1, keepdims=True)))"),
        ], "build it from the framework's operators only"),
    ("ch03_framework", "dual product rule with one term"): (
        "ch03-jacobian", [
            ("return Dual(self.val * v, self.dot * v + self.val * d)", "return Dual(self.val * v, self.dot * d)"),
        ], "Dual's * gives the derivative"),
    ("ch03_framework", "reverse Jacobian that lets .grad accumulate"): (
        "ch03-jacobian", [
            ("        leaf.grad = None\n        y.backward(seed)", "        y.backward(seed)"),
        ], "does .grad accumulate"),
    ("ch03_framework", "reverse Jacobian with a forward pass per row"): (
        "ch03-jacobian", [
            ("        leaf.grad = None\n        y.backward(seed)", "        leaf.grad = None\n        y = f(leaf)\n        y.backward(seed)"),
        ], "reverse mode takes one forward pass"),
    ("ch03_framework", "static run without dead-code removal"): (
        "ch03-graph-run", [
            ('    """Execute the nodes the outputs need, in topological order, freeing each value after its last use."""\n'
             "    ### BEGIN SOLUTION\n    order = schedule(graph, outputs)",
             '    """Execute the nodes the outputs need, in topological order, freeing each value after its last use."""\n'
             "    ### BEGIN SOLUTION\n    order = schedule(graph, graph.nodes)"),
        ], "you also ran nodes no output depends on"),
    ("ch03_framework", "static run that never frees"): (
        "ch03-graph-run", [
            ("        if not keep_all:\n", "        if False:\n"),
        ], "you never free anything"),
    ("ch03_framework", "schedule blind to cycles"): (
        "ch03-graph-errors", [
            ("elif state.get(child) == 1:", "elif False:"),
        ], "schedule returned on a graph with a cycle"),
    ("ch03_framework", "feeds not checked"): (
        "ch03-graph-errors", [
            ("            if node.name not in feeds:\n", "            if False:\n"),
        ], "instead of a GraphError naming the placeholder"),
    ("ch03_framework", "kernel shapes not checked"): (
        "ch03-graph-errors", [
            ("            value = GRAPH_OPS[node.op].kernel(*(env[i] for i in node.inputs))\n            if np.shape(value) != node.shape:",
             "            value = GRAPH_OPS[node.op].kernel(*(env[i] for i in node.inputs))\n            if False:"),
        ], "check every kernel's output shape"),
    ("ch03_framework", "autograd walk that lists a node twice"): (
        "ch03-autograd-graph", [
            ("            if nxt not in seen:\n                seen.add(nxt)\n                stack.append(nxt)",
             "            stack.append(nxt)"),
        ], "is listed once"),
    ("ch03_framework", "autograd walk into None"): (
        "ch03-autograd-graph", [
            ("            if nxt is None:\n                continue\n", ""),
        ], "not a node"),
    ("ch03_framework", "saved elements counted as bytes"): (
        "ch03-autograd-graph", [
            ("total += t.numel() * t.element_size()", "total += t.numel()"),
        ], "that is the number of elements, not bytes"),
    ("ch03_framework", "fake kernel of the wrong shape"): (
        "ch03-custom-op", [
            ("    return torch.empty_like(x)\n", "    return torch.empty(x.shape[0])\n"),
        ], "the fake kernel gives shape"),
    ("ch03_framework", "swish backward without beta"): (
        "ch03-custom-op", [
            ("return grad * (s + ctx.beta * x * s * (1 - s)), None", "return grad * (s + x * s * (1 - s)), None"),
        ], "the autograd formula does not match"),
    ("ch03_framework", "cond with the branches swapped"): (
        "ch03-control-flow", [
            ("lambda x: torch.sin(x) * 2, lambda x: torch.cos(x) - 1, (x,))",
             "lambda x: torch.cos(x) - 1, lambda x: torch.sin(x) * 2, (x,))"),
        ], "GateCond differs from Gate"),
    ("ch03_framework", "converted models tested on the traced input only"): (
        "ch03-control-flow", [
            ("for x in (x_trace, x_other)]", "for x in (x_trace, x_trace)]"),
        ], "a trace records the branch the example input took"),
    ("ch03_framework", "scheduler on one thread"): (
        "ch03-scheduler", [
            ("concurrent.futures.ThreadPoolExecutor(workers)", "concurrent.futures.ThreadPoolExecutor(1)"),
        ], "as long as running them one after the other"),
    ("ch03_framework", "scheduler that never frees"): (
        "ch03-scheduler", [
            ("                if unread[i] == 0 and i not in keep:\n", "                if False:\n"),
        ], "should be dropped"),
}


@pytest.mark.notebook
@pytest.mark.parametrize("lab, mistake", MISTAKES, ids=lambda v: v.replace(" ", "-"))
def test_a_mistake_fails_its_check_with_the_hint(lab, mistake):
    check_id, edits, hint = MISTAKES[lab, mistake]
    out = check_output(REPO / "solutions" / f"{lab}.ipynb", check_id, edits)
    assert out.startswith(f"FAIL [{check_id}]") and hint in out, out


@pytest.mark.notebook
def test_a_check_run_this_way_passes_on_the_solution():
    assert check_output(REPO / "solutions" / "ch06b_model_parallel.ipynb", "ch06-1f1b").startswith("PASS [ch06-1f1b]")
