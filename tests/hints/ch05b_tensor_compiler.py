"""Mistakes ch05b_tensor_compiler warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
    ("ch05b_tensor_compiler", "split that forgets its tail"): (
        "ch05b-split", [
            ('    if loop.extent % factor:\n        nest.guards.append(f"{value} < {loop.extent}")\n', ""),
        ], "no guard for its tail"),
    ("ch05b_tensor_compiler", "split that leaves the old loop in earlier guards"): (
        "ch05b-split", [
            ("    nest.guards = [substitute(g, name, value) for g in nest.guards]\n", ""),
        ], "substitute it in the guards as well"),
    ("ch05b_tensor_compiler", "split whose outer extent drops the tail"): (
        "ch05b-split", [
            ('outer = Loop(f"{name}_o", -(-loop.extent // factor), loop.axis, loop.reduce, None)',
             'outer = Loop(f"{name}_o", loop.extent // factor, loop.axis, loop.reduce, None)'),
        ], "the outer loop's extent is ceil(n / factor)"),
    ("ch05b_tensor_compiler", "split index without parentheses"): (
        "ch05b-split", [
            ('value = f"({name}_o * {factor} + {name}_i)"', 'value = f"{name}_o * {factor} + {name}_i"'),
        ], "in parentheses"),
    ("ch05b_tensor_compiler", "split with the inner loop outside"): (
        "ch05b-split", [
            ("nest.loops[at:at + 1] = [outer, inner]", "nest.loops[at:at + 1] = [inner, outer]"),
        ], "the outer loop (extent n / factor) comes first"),
    ("ch05b_tensor_compiler", "split index without the factor"): (
        "ch05b-split", [
            ('value = f"({name}_o * {factor} + {name}_i)"', 'value = f"({name}_o + {name}_i)"'),
        ], "outer * factor + inner"),
    ("ch05b_tensor_compiler", "reorder that moves the named loops to the front"): (
        "ch05b-reorder-tile", [
            ("    for position, loop in zip(at, moved):\n        nest.loops[position] = loop",
             "    nest.loops = moved + [l for l in nest.loops if l.name not in names]"),
        ], "the other loops keep their positions"),
    ("ch05b_tensor_compiler", "tile without its reorder"): (
        "ch05b-reorder-tile", [
            ('            reorder(nest, [f"{x}_o", f"{y}_o", f"{x}_i", f"{y}_i"], "tile")\n', ""),
        ], "a tile is two splits, then"),
    ("ch05b_tensor_compiler", "annotations on the innermost loop whatever the step names"): (
        "ch05b-annotate", [
            ("nest.loops[find(nest, args[0], primitive)].annotation = primitive", "nest.loops[-1].annotation = primitive"),
        ], "is legal but lower refused it"),
    ("ch05b_tensor_compiler", "a split that only refuses factors larger than the loop"): (
        "ch05b-illegal", [
            ("if loop.extent % factor and not tail:", "if factor > loop.extent:"),
        ], "does not divide"),
    ("ch05b_tensor_compiler", "a tile that ignores its tail"): (
        "ch05b-illegal", [
            ('split(nest, x, fx, tail, "tile")\n            split(nest, y, fy, tail, "tile")',
             'split(nest, x, fx, False, "tile")\n            split(nest, y, fy, False, "tile")'),
        ], "tail=True guards both splits of a tile"),
    ("ch05b_tensor_compiler", "a tile that checks only its first split"): (
        "ch05b-illegal", [
            ('split(nest, y, fy, tail, "tile")', 'split(nest, y, fy, True, "tile")'),
        ], "its second split does not divide"),
    ("ch05b_tensor_compiler", "a parallel reduction loop allowed"): (
        "ch05b-illegal", [
            ('if loop.annotation in ("vectorize", "parallel") and loop.reduce:',
             'if loop.annotation == "vectorize" and loop.reduce:'),
        ], "a parallel reduction loop"),
    ("ch05b_tensor_compiler", "split halves that forget they reduce"): (
        "ch05b-illegal", [
            ('outer = Loop(f"{name}_o", -(-loop.extent // factor), loop.axis, loop.reduce, None)',
             'outer = Loop(f"{name}_o", -(-loop.extent // factor), loop.axis)'),
            ('inner = Loop(f"{name}_i", factor, loop.axis, loop.reduce, None)', 'inner = Loop(f"{name}_i", factor, loop.axis)'),
        ], "both halves of a split reduction loop are reduction loops"),
    ("ch05b_tensor_compiler", "unroll refused at extent 64"): (
        "ch05b-illegal", [
            ("if loop.annotation == \"unroll\" and loop.extent > UNROLL_LIMIT:",
             "if loop.annotation == \"unroll\" and loop.extent >= UNROLL_LIMIT:"),
        ], "is legal but was refused"),
    ("ch05b_tensor_compiler", "an unknown loop that raises ValueError"): (
        "ch05b-illegal", [
            ("    if name not in names:\n        raise ScheduleError(primitive, name, f\"no such loop (the loops are {', '.join(names)})\")\n", ""),
        ], "raise ScheduleError(primitive, loop, why)"),
    ("ch05b_tensor_compiler", "a tile's error named after split"): (
        "ch05b-illegal", [
            ('split(nest, x, fx, tail, "tile")', "split(nest, x, fx, tail)"),
        ], "name the primitive of the step"),
    ("ch05b_tensor_compiler", "annotation rules checked when the step is applied, not after all steps"): (
        "ch05b-illegal", [
            ("            nest.loops[find(nest, args[0], primitive)].annotation = primitive\n",
             "            at = find(nest, args[0], primitive)\n"
             "            loop, last = nest.loops[at], len(nest.loops) - 1\n"
             "            loop.annotation = primitive\n"
             "            if ((primitive != 'unroll' and loop.reduce) or (primitive == 'vectorize' and at != last)\n"
             "                    or (primitive == 'parallel' and at != 0) or (primitive == 'unroll' and loop.extent > 64)):\n"
             "                raise ScheduleError(primitive, loop.name, 'illegal here')\n"),
            ("    for at, loop in enumerate(nest.loops):\n", "    for at, loop in enumerate([]):\n"),
        ], "then moved outward by a later reorder"),
    ("ch05b_tensor_compiler", "random search at a fixed stride from a random start"): (
        "ch05b-random", [
            ("            config = space.sample(rng)\n            if space.key(config) not in seen:",
             "            config = space.configs()[(len(seen) * 43 + start) % len(space)]\n"
             "            if space.key(config) not in seen:"),
            ("    seen, history = set(), []\n", "    seen, history = set(), []\n    start = int(rng.integers(len(space)))\n"),
        ], "not at a fixed stride"),
    ("ch05b_tensor_compiler", "random search that draws a config twice"): (
        "ch05b-random", [
            ("            if space.key(config) not in seen:\n                seen.add(space.key(config))\n                todo.append(config)",
             "            seen.add(space.key(config))\n            todo.append(config)"),
        ], "measured twice"),
    ("ch05b_tensor_compiler", "ridge regression without its ridge"): (
        "ch05b-tuner", [
            ("np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)", "np.linalg.solve(X.T @ X, X.T @ y)"),
        ], "add lam times the identity"),
    ("ch05b_tensor_compiler", "annealing that accepts every neighbour"): (
        "ch05b-tuner", [
            ("if predicted >= score or rng.random() < math.exp((predicted - score) / temperature):", "if True:"),
        ], "which is 0 when T is tiny"),
    ("ch05b_tensor_compiler", "annealing that records rejected proposals"): (
        "ch05b-tuner", [
            ("        predicted = predict(candidate)\n", "        predicted = predict(candidate)\n"
             "        visited[space.key(candidate)] = (predicted, candidate)\n"),
        ], "a rejected proposal is not visited"),
    ("ch05b_tensor_compiler", "annealing that never accepts a worse neighbour"): (
        "ch05b-tuner", [
            ("if predicted >= score or rng.random() < math.exp((predicted - score) / temperature):",
             "if predicted >= score:"),
        ], "close to 1 when T is huge"),
    ("ch05b_tensor_compiler", "cost model fitted to GFLOP/s"): (
        "ch05b-tuner", [
            ("ranks = np.argsort(np.argsort([s for _, s in history])) / len(history)",
             "ranks = np.array([s for _, s in history])"),
        ], "not to their ranks"),
    ("ch05b_tensor_compiler", "cost model fitted to log GFLOP/s"): (
        "ch05b-tuner", [
            ("ranks = np.argsort(np.argsort([s for _, s in history])) / len(history)",
             "ranks = np.log([s for _, s in history])"),
        ], "the scores themselves (or their log)"),
    ("ch05b_tensor_compiler", "ranks taken with one argsort"): (
        "ch05b-tuner", [
            ("ranks = np.argsort(np.argsort([s for _, s in history])) / len(history)",
             "ranks = np.argsort([s for _, s in history]) / len(history)"),
        ], "do not rise with the scores"),
    ("ch05b_tensor_compiler", "ranks not scaled to 0..1"): (
        "ch05b-tuner", [
            ("ranks = np.argsort(np.argsort([s for _, s in history])) / len(history)",
             "ranks = np.argsort(np.argsort([s for _, s in history])) * 1.0"),
        ], "scale them to 0..1"),
    ("ch05b_tensor_compiler", "cost model under a heavy ridge"): (
        "ch05b-tuner", [
            ("w = fit_ridge(np.array([space.features(c) for c, _ in history]), ranks)",
             "w = fit_ridge(np.array([space.features(c) for c, _ in history]), ranks, 10.0)"),
        ], "keep fit_ridge's default lam=0.01"),
    ("ch05b_tensor_compiler", "guided search that fits its model once"): (
        "ch05b-tuner", [
            ("        w = fit_ridge(np.array([space.features(c) for c, _ in history]), ranks)",
             "        w = w if len(history) > batch else fit_ridge(np.array([space.features(c) for c, _ in history]), ranks)"),
        ], "refit it after every batch"),
    ("ch05b_tensor_compiler", "guided search measuring the configs predicted worst"): (
        "ch05b-tuner", [
            ("sorted(candidates.items(), key=lambda kv: -kv[1][0])", "sorted(candidates.items(), key=lambda kv: kv[1][0])"),
        ], "is not what the model predicts best"),
    ("ch05b_tensor_compiler", "guided search that measures configs again"): (
        "ch05b-tuner", [
            ("key=lambda kv: -kv[1][0]) if k not in seen]", "key=lambda kv: -kv[1][0])]"),
        ], "measured twice"),
    ("ch05b_tensor_compiler", "guided search that ignores its model"): (
        "ch05b-tuner", [
            ("        predict = lambda c: float(space.features(c) @ w)", "        predict = lambda c: float(rng.random())"),
        ], "is not what the model predicts best"),
    ("ch05b_tensor_compiler", "guided search whose batch only walks near the best measured"): (
        "ch05b-tuner", [
            ("        predict = lambda c: float(space.features(c) @ w)", "        predict = lambda c: 0.0"),
        ], "let the model's predictions choose the batch"),
}
