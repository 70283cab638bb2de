"""Mistakes ch09a_hpo warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
    ("ch09a_hpo", "loguniform sampled uniformly"): (
        "ch09-sample", [
            ("x = float(math.exp(rng.uniform(math.log(v[0]), math.log(v[1]))))", "x = float(rng.uniform(v[0], v[1]))"),
        ], "sample uniformly in log space"),
    ("ch09a_hpo", "randint with the upper bound included"): (
        "ch09-sample", [
            ("int(rng.integers(v[0], v[1]))", "int(rng.integers(v[0], v[1] + 1))"),
        ], "excludes the upper bound"),
    ("ch09a_hpo", "quniform not rounded"): (
        "ch09-sample", [
            ('config[name] = x if kind == "uniform" else float(min(max(round(x / v[2]) * v[2], v[0]), v[1]))',
             "config[name] = x"),
        ], "round to a multiple of q"),
    ("ch09a_hpo", "qloguniform not rounded"): (
        "ch09-sample", [
            ('config[name] = x if kind == "loguniform" else float(min(max(round(x / v[2]) * v[2], v[0]), v[1]))',
             "config[name] = x"),
        ], "then round to a multiple of q"),
    ("ch09a_hpo", "normal drawn as a uniform value"): (
        "ch09-sample", [
            ("config[name] = float(rng.normal(v[0], v[1]))", "config[name] = float(rng.uniform(v[0], v[1]))"),
        ], "centred on mu"),
    ("ch09a_hpo", "normal drawn uniformly within one sigma"): (
        "ch09-sample", [
            ("config[name] = float(rng.normal(v[0], v[1]))", "config[name] = float(rng.uniform(v[0] - v[1], v[0] + v[1]))"),
        ], "not a uniform one"),
    ("ch09a_hpo", "normal folded to its absolute value"): (
        "ch09-sample", [
            ("config[name] = float(rng.normal(v[0], v[1]))", "config[name] = float(abs(rng.normal(v[0], v[1])))"),
        ], "symmetric about it"),
    ("ch09a_hpo", "normal with the variance as its scale"): (
        "ch09-sample", [
            ("config[name] = float(rng.normal(v[0], v[1]))", "config[name] = float(rng.normal(v[0], v[1] ** 2))"),
        ], "not the variance"),
    ("ch09a_hpo", "choice that favours the middle options"): (
        "ch09-sample", [
            ("config[name] = v[int(rng.integers(len(v)))]", "config[name] = v[int(round(rng.uniform(0, len(v) - 1)))]"),
        ], "each must be equally likely"),
    ("ch09a_hpo", "randint that rounds a uniform value"): (
        "ch09-sample", [
            ("config[name] = int(rng.integers(v[0], v[1]))", "config[name] = int(round(rng.uniform(v[0], v[1] - 1)))"),
        ], "each must be equally likely"),
    ("ch09a_hpo", "sample that accepts an unknown type"): (
        "ch09-sample", [
            ('            raise ValueError(f"{name}: unknown _type {kind!r}")', "            config[name] = None"),
        ], "must raise ValueError naming the parameter"),
    ("ch09a_hpo", "quniform not clipped"): (
        "ch09-sample", [
            ('config[name] = x if kind == "uniform" else float(min(max(round(x / v[2]) * v[2], v[0]), v[1]))',
             'config[name] = x if kind == "uniform" else float(round(x / v[2]) * v[2])'),
        ], "clip to [low, high] after rounding"),
    ("ch09a_hpo", "quniform rounded down"): (
        "ch09-sample", [
            ('config[name] = x if kind == "uniform" else float(min(max(round(x / v[2]) * v[2], v[0]), v[1]))',
             'config[name] = x if kind == "uniform" else float(min(max(math.floor(x / v[2]) * v[2], v[0]), v[1]))'),
        ], "round to the nearest multiple of q, not down or up"),
    ("ch09a_hpo", "qloguniform rounded up"): (
        "ch09-sample", [
            ('config[name] = x if kind == "loguniform" else float(min(max(round(x / v[2]) * v[2], v[0]), v[1]))',
             'config[name] = x if kind == "loguniform" else float(min(max(math.ceil(x / v[2]) * v[2], v[0]), v[1]))'),
        ], "round to the nearest multiple of q, not down or up"),
    ("ch09a_hpo", "loguniform grid evenly spaced in value"): (
        "ch09-grid", [
            ("np.geomspace(v[0], v[1], points)", "np.linspace(v[0], v[1], points)"),
        ], "evenly in log space"),
    ("ch09a_hpo", "TPE that minimises accuracy"): (
        "ch09-tpe-table", [
            ("ranked = sorted(history, key=lambda h: -h[1])", "ranked = sorted(history, key=lambda h: h[1])"),
        ], "the good group must be the highest scores"),
    ("ch09a_hpo", "TPE that never leaves its random start"): (
        "ch09-tpe-table", [
            ("config = sample(space, rng) if t < n_startup else", "config = sample(space, rng) if True else"),
        ], "mean regret after 30 trials"),
    ("ch09a_hpo", "TPE without a density for numeric parameters"): (
        "ch09-tpe-synthetic", [
            ("self.mu = np.array([to_unit(spec, x) for x in values])", "self.mu = np.array([])"),
        ], "numeric parameters need a density"),
    ("ch09a_hpo", "mutate that changes the parent"): (
        "ch09-evolution", [
            ("    child = dict(config)\n", "    child = config\n"),
        ], "return a copy"),
    ("ch09a_hpo", "evolution that removes the worst member"): (
        "ch09-evolution", [
            ("            alive.pop(0)", "            alive.remove(min(alive, key=lambda h: h[1]))"),
        ], "remove the oldest member after each child, not the worst"),
    ("ch09a_hpo", "evolution that samples members with replacement"): (
        "ch09-evolution", [
            ("size=sample_size, replace=False)", "size=sample_size, replace=True)"),
        ], "without replacement"),
    ("ch09a_hpo", "evolution that mutates a random sampled member"): (
        "ch09-evolution", [
            ("parent = max((alive[i] for i in picks), key=lambda h: h[1])", "parent = alive[int(rng.choice(picks))]"),
        ], "not a random one"),
    ("ch09a_hpo", "evolution that mutates the worst sampled member"): (
        "ch09-evolution", [
            ("parent = max((alive[i] for i in picks), key=lambda h: h[1])", "parent = min((alive[i] for i in picks), key=lambda h: h[1])"),
        ], "not the worst"),
    ("ch09a_hpo", "Hyperband's s_max from a floating-point log"): (
        "ch09-brackets", [
            ("    s_max = 0\n    while eta ** (s_max + 1) <= R:\n        s_max += 1\n", "    s_max = int(math.log(R, eta))\n"),
        ], "compute s_max with integers"),
    ("ch09a_hpo", "successive halving that retrains from scratch"): (
        "ch09-successive-halving", [
            ("spent += (epochs - done) * len(alive)", "spent += epochs * len(alive)"),
        ], "continues training"),
    ("ch09a_hpo", "successive halving that promotes the worst"): (
        "ch09-successive-halving", [
            ("scored.sort(key=lambda cs: -cs[1])", "scored.sort(key=lambda cs: cs[1])"),
        ], "you promoted the lowest instead"),
    ("ch09a_hpo", "Hyperband that returns the last bracket's winner"): (
        "ch09-hyperband", [
            ("        if acc > best_acc:\n            best, best_acc = config, acc", "        best, best_acc = config, acc"),
        ], "return the best over all brackets' winners"),
    ("ch09a_hpo", "Hyperband that returns the first bracket's winner"): (
        "ch09-hyperband", [
            ("        if acc > best_acc:\n", "        if best is None:\n"),
        ], "return the best over all brackets' winners"),
    ("ch09a_hpo", "Hyperband that reuses one pool of configurations"): (
        "ch09-hyperband", [
            ("    best, best_acc, spent = None, -math.inf, 0\n", "    best, best_acc, spent = None, -math.inf, 0\n    pool = [sample(space, rng) for _ in range(R)]\n"),
            ("        configs = [sample(space, rng) for _ in range(rungs[0][0])]\n", "        configs = pool[: rungs[0][0]]\n"),
        ], "does not reuse one pool"),
    ("ch09a_hpo", "median stop on the last value"): (
        "ch09-median-stop", [
            ("max(curve[:t]) < np.median(", "curve[t - 1] < np.median("),
        ], "compare its best result so far"),
    ("ch09a_hpo", "median stop that counts stopped trials"): (
        "ch09-median-stop", [
            ("        if stop is None:\n            completed.append(curve)\n        stops.append(stop)",
             "        completed.append(curve)\n        stops.append(stop)"),
        ], "stopped trials do not count as completed"),
    ("ch09a_hpo", "median stop that averages the whole curves"): (
        "ch09-median-stop", [
            ("np.median([np.mean(c[:t]) for c in completed])", "np.median([np.mean(c) for c in completed])"),
        ], "average only their first"),
    ("ch09a_hpo", "curve fit that predicts the last result"): (
        "ch09-curve-fit", [
            ("    b, a = np.polyfit(np.log(np.arange(1, len(prefix) + 1)), prefix, 1)\n    return float(a + b * math.log(T))",
             "    return float(prefix[-1])"),
        ], "extrapolate to the last epoch T"),
    ("ch09a_hpo", "curve fit with a straight line in t"): (
        "ch09-curve-fit", [
            ("np.polyfit(np.log(np.arange(1, len(prefix) + 1)), prefix, 1)", "np.polyfit(np.arange(1, len(prefix) + 1), prefix, 1)"),
            ("return float(a + b * math.log(T))", "return float(a + b * T)"),
        ], "fit against ln t"),
    ("ch09a_hpo", "curve fit evaluated at the current epoch"): (
        "ch09-curve-fit", [
            ("return float(a + b * math.log(T))", "return float(a + b * math.log(len(prefix)))"),
        ], "evaluate it at the last epoch T"),
    ("ch09a_hpo", "curve fit that stops above best plus the margin"): (
        "ch09-curve-fit", [
            ("< best - margin:", "< best + margin:"),
        ], "not best + margin"),
    ("ch09a_hpo", "curve fit whose best counts stopped trials"): (
        "ch09-curve-fit", [
            ("        if stop is None:\n            best = curve[-1] if best is None else max(best, curve[-1])",
             "        best = curve[-1] if best is None else max(best, curve[-1])"),
        ], "only completed trials set the best"),
    ("ch09a_hpo", "a custom tuner that drops the results NNI sends"): (
        "ch09-custom-tuner", [
            ("        self.history.append((dict(parameters), float(score)))\n", "        pass\n"),
        ], "record every result that receive_trial_result gets"),
    ("ch09a_hpo", "a custom tuner that ignores the trials a resume imports"): (
        "ch09-custom-tuner", [
            ('        for trial in data:\n            self.receive_trial_result(None, trial["parameter"], trial["value"])\n', "        pass\n"),
        ], "replays its finished trials through import_data"),
    ("ch09a_hpo", "curve fit that takes the best intermediate result as a trial's final"): (
        "ch09-curve-fit", [
            ("best = curve[-1] if best is None else max(best, curve[-1])", "best = max(curve) if best is None else max(best, max(curve))"),
        ], "not its highest intermediate one"),
}
