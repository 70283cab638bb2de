"""Mistakes ch01_end_to_end warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
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
    ("ch01_end_to_end", "throughput from the fastest step"): (
        "ch01-throughput", [
            ("return timing.rate(batch_size)",
             "return batch_size / timing.best"),
        ], "the fastest step"),
    ("ch01_end_to_end", "throughput from the mean step"): (
        "ch01-throughput", [
            ("return timing.rate(batch_size)",
             "return batch_size / statistics.mean(timing.samples)"),
        ], "the mean step time"),
}
