"""Mistakes ch03_framework warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
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
    ("ch03_framework", "grad_check that checks only the first input"): (
        "ch03-gradcheck", [
            ("for k, v in enumerate(inputs):", "for k, v in enumerate(inputs[:1]):"),
        ], "for every element of every input"),
    ("ch03_framework", "grad_check that reports the absolute error"): (
        "ch03-gradcheck", [
            ("worst = max(worst, float(np.abs(leaves[k].grad - num).max() / max(1.0, np.abs(num).max())))",
             "worst = max(worst, float(np.abs(leaves[k].grad - num).max()))"),
        ], "that is the absolute error"),
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
        ], "your right_on_other does not match what the tool does: run the converted model on that very input"),
    ("ch03_framework", "control-flow row written down instead of measured"): (
        "ch03-control-flow", [
            ('    row("torch.fx.symbolic_trace", lambda: torch.fx.symbolic_trace(model))\n',
             '    rows.append(("torch.fx.symbolic_trace", False, None, None, False, False))\n'),
        ], "converts is False exactly when the conversion raised"),
    ("ch03_framework", "compiled graphs not counted with explain"): (
        "ch03-control-flow", [
            ('row("torch.compile", lambda: torch.compile(model, backend="eager"), lambda: explained(model))',
             'row("torch.compile", lambda: torch.compile(model, backend="eager"))'),
        ], "take graph_count and graph_break_count from torch._dynamo.explain"),
    ("ch03_framework", "scheduler on one thread"): (
        "ch03-scheduler", [
            ("concurrent.futures.ThreadPoolExecutor(workers)", "concurrent.futures.ThreadPoolExecutor(1)"),
        ], "as long as running them one after the other"),
    ("ch03_framework", "scheduler that never frees"): (
        "ch03-scheduler", [
            ("                if unread[i] == 0 and i not in keep:\n", "                if False:\n"),
        ], "should be dropped"),
}
