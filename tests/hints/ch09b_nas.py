"""Mistakes ch09b_nas warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
    ("ch09b_nas", "sample_arch that never draws the last option"): (
        "ch09b-sample", [
            ('spec["_value"][int(rng.integers(len(spec["_value"])))]', 'spec["_value"][int(rng.integers(len(spec["_value"]) - 1))]'),
        ], "every option must be possible"),
    ("ch09b_nas", "sample_arch with one draw for every choice"): (
        "ch09b-sample", [
            ('    return {name: spec["_value"][int(rng.integers(len(spec["_value"])))] for name, spec in space.items()}',
             '    i = int(rng.integers(60))\n    return {name: spec["_value"][i % len(spec["_value"])] for name, spec in space.items()}'),
        ], "draw each choice independently"),
    ("ch09b_nas", "mutate that may redraw the same option"): (
        "ch09b-evolution", [
            ('others = [v for v in space[name]["_value"] if v != arch[name]]', 'others = list(space[name]["_value"])'),
        ], "change exactly one choice, to another of its options"),
    ("ch09b_nas", "mutate that changes the parent"): (
        "ch09b-evolution", [
            ("    child = dict(arch)\n", "    child = arch\n"),
        ], "leave the parent as it was"),
    ("ch09b_nas", "evolution that removes the worst member"): (
        "ch09b-evolution", [
            ("            alive.pop(0)", "            alive.remove(min(alive, key=lambda h: h[1]))"),
        ], "remove the oldest member after each child, not the worst"),
    ("ch09b_nas", "evolution whose tournament draws with replacement"): (
        "ch09b-evolution", [
            ("size=sample_size, replace=False)", "size=sample_size, replace=True)"),
        ], "without replacement"),
    ("ch09b_nas", "evolution whose parent is the best of the whole population (tournament ignored)"): (
        "ch09b-evolution", [
            ("parent = max((alive[i] for i in picks), key=lambda h: h[1])", "parent = max(alive, key=lambda h: h[1])"),
        ], "not the best of the whole population"),
    ("ch09b_nas", "evolution that never ages (keeps every trial)"): (
        "ch09b-evolution", [
            ("        if len(alive) > population:\n            alive.pop(0)\n", ""),
        ], "drop the oldest after each child"),
    ("ch09b_nas", "evolution that mutates a random member of the tournament"): (
        "ch09b-evolution", [
            ("parent = max((alive[i] for i in picks), key=lambda h: h[1])", "parent = alive[int(rng.choice(picks))]"),
        ], "not a random one"),
    ("ch09b_nas", "a supernet path that ignores the width"): (
        "ch09b-path", [
            ('    width = arch["width"]\n    h = supernet.stem(x, width)', '    width = 16\n    h = supernet.stem(x, width)'),
        ], "pass the path's width"),
    ("ch09b_nas", "a supernet path whose cells ignore the width"): (
        "ch09b-path", [
            ('        h = cell[arch[f"cell{i + 1}"]](h, width)', '        h = cell[arch[f"cell{i + 1}"]](h, 16)'),
        ], "to every cell too"),
    ("ch09b_nas", "a supernet path that sums every operator (a mixture, not a path)"): (
        "ch09b-path", [
            ('        h = cell[arch[f"cell{i + 1}"]](h, width)', "        h = sum(op(h, width) for op in cell.values())"),
        ], "run only the chosen operator of each cell"),
    ("ch09b_nas", "SPOS that samples one path per epoch"): (
        "ch09b-spos", [
            ("            path = sample_arch(SPACE, rng)\n", ""),
            ("        supernet.train()\n", "        supernet.train()\n        path = sample_arch(SPACE, rng)\n"),
        ], "sample a new path for every batch"),
    ("ch09b_nas", "SPOS without an optimiser step"): (
        "ch09b-spos", [
            ("            opt.step()\n", ""),
        ], "take an optimiser step"),
    ("ch09b_nas", "SPOS that never zeroes the gradients"): (
        "ch09b-spos", [
            ("            opt.zero_grad()\n", ""),
        ], "zero the gradients"),
    ("ch09b_nas", "Kendall's tau-a, which ignores ties"): (
        "ch09b-kendall", [
            ("    return (concordant - discordant) / math.sqrt((concordant + discordant + ties_a) * (concordant + discordant + ties_b))",
             "    return (concordant - discordant) / (len(a) * (len(a) - 1) / 2)"),
        ], "tau-b"),
    ("ch09b_nas", "a latency prediction without the stem and the head"): (
        "ch09b-latency", [
            ('    return lut["stem", w] + sum(lut[arch[f"cell{i + 1}"], w] for i in range(nas.CELLS)) + lut["head", w]',
             '    return sum(lut[arch[f"cell{i + 1}"], w] for i in range(nas.CELLS))'),
        ], "include the stem and the head"),
    ("ch09b_nas", "a latency penalty inside the budget too"): (
        "ch09b-latency", [
            ("(latency / budget) ** (0.0 if latency <= budget else beta)", "(latency / budget) ** beta"),
        ], "inside the budget the objective is the accuracy alone"),
}
