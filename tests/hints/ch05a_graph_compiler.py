"""Mistakes ch05a_graph_compiler warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
    ("ch05a_graph_compiler", "DCE walking forwards"): (
        "ch05-dce", [
            ("    for node in reversed(list(gm.graph.nodes)):\n        if node.op not in",
             "    for node in list(gm.graph.nodes):\n        if node.op not in"),
        ], "walk the graph backwards"),
    ("ch05a_graph_compiler", "DCE that removes an unread input"): (
        "ch05-dce", [
            ('if node.op not in ("placeholder", "output") and not node.users:',
             'if node.op != "output" and not node.users:'),
        ], "keep every placeholder"),
    ("ch05a_graph_compiler", "DCE by torch's own pass"): (
        "ch05-dce", [
            ("    for node in reversed(list(gm.graph.nodes)):\n        if node.op not in",
             "    gm.graph.eliminate_dead_code()\n    for node in reversed(list(gm.graph.nodes)):\n        if node.op not in"),
        ], "write the backward walk yourself"),
    ("ch05a_graph_compiler", "DCE by torch's own pass, bound before the check"): (
        "ch05-dce", [
            ("def dce(gm):", "ede = fx.Graph.eliminate_dead_code\n\n\ndef dce(gm):"),
            ("    for node in reversed(list(gm.graph.nodes)):\n        if node.op not in",
             "    ede(gm.graph)\n    for node in reversed(list(gm.graph.nodes)):\n        if node.op not in"),
        ], "write the backward walk yourself"),
    ("ch05a_graph_compiler", "CSE key without keyword arguments"): (
        "ch05-cse", [
            ("key = (node.op, node.target, repr(args), repr(sorted(node.kwargs.items())))",
             "key = (node.op, node.target, repr(args))"),
        ], "keyword arguments"),
    ("ch05a_graph_compiler", "CSE that leaves the replaced nodes"): (
        "ch05-cse", [
            ("            node.replace_all_uses_with(seen[key])\n            gm.graph.erase_node(node)\n        else:\n            seen[key] = node",
             "            node.replace_all_uses_with(seen[key])\n        else:\n            seen[key] = node"),
        ], "erase the replaced nodes"),
    ("ch05a_graph_compiler", "CSE that ignores commutativity"): (
        "ch05-cse", [
            ("if node.target in (operator.add, operator.mul):", "if False:"),
        ], "add and mul are commutative"),
    ("ch05a_graph_compiler", "CSE that treats sub as commutative"): (
        "ch05-cse", [
            ("if node.target in (operator.add, operator.mul):", "if node.target in (operator.add, operator.mul, operator.sub):"),
        ], "sub is not commutative"),
    ("ch05a_graph_compiler", "simplify treating 0 - x as x"): (
        "ch05-simplify", [
            ("            same = a[0] if is_const(a[1], 0) else None\n        elif node.target is operator.truediv:",
             "            same = a[0] if is_const(a[1], 0) else a[1] if is_const(a[0], 0) else None\n        elif node.target is operator.truediv:"),
        ], "0 - x and 1 - x are not identities"),
    ("ch05a_graph_compiler", "simplify that only sees the constant on the right"): (
        "ch05-simplify", [
            ("same = a[0] if is_const(a[1], 1) else a[1] if is_const(a[0], 1) else None",
             "same = a[0] if is_const(a[1], 1) else None"),
        ], "either side"),
    ("ch05a_graph_compiler", "simplify without removing dead nodes"): (
        "ch05-simplify", [
            ("            gm.graph.erase_node(node)\n    return dce(gm)", "            gm.graph.erase_node(node)\n    gm.recompile()\n    return gm"),
        ], "remove the nodes that became dead"),
    ("ch05a_graph_compiler", "simplify that misses relu(relu(x))"): (
        "ch05-simplify", [
            ("            elif node.target is torch.relu:\n                same = a[0]\n", ""),
        ], "relu(relu(x))"),
    ("ch05a_graph_compiler", "constant folding that forgets folded results"): (
        "ch05-fold", [
            ("            const[folded] = value\n", ""),
        ], "fold in graph order"),
    ("ch05a_graph_compiler", "constant folding that leaves the parameters"): (
        "ch05-fold", [
            ("            const[folded] = value\n    return dce(gm)", "            const[folded] = value\n    gm.recompile()\n    return gm"),
        ], "remove the nodes nobody uses after folding"),
    ("ch05a_graph_compiler", "a pipeline without simplify"): (
        "ch05-pipeline", [
            ("return dce(cse(simplify(fold_constants(gm))))", "return dce(cse(fold_constants(gm)))"),
        ], "run all four passes"),
    ("ch05a_graph_compiler", "conv-BN folding without eps"): (
        "ch05-conv-bn", [
            ("scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)", "scale = bn.weight / torch.sqrt(bn.running_var)"),
        ], "mind eps"),
    ("ch05a_graph_compiler", "conv-BN folding that drops the conv's bias"): (
        "ch05-conv-bn", [
            ("bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)",
             "bias = torch.zeros_like(bn.running_mean)"),
        ], "the conv's own bias"),
    ("ch05a_graph_compiler", "conv-BN folding into a conv another node reads"): (
        "ch05-conv-bn", [
            ("\n                and len(prev.users) == 1):", "):"),
        ], "only when the batch norm is the conv's only user"),
    ("ch05a_graph_compiler", "merged linears split into equal parts"): (
        "ch05-merge-linears", [
            ('parts = gm.graph.call_function(torch.split, (out, sizes), {"dim": -1})',
             'parts = gm.graph.call_function(torch.split, (out, sizes[0]), {"dim": -1})'),
        ], "its own slice of the merged output"),
    ("ch05a_graph_compiler", "linears merged by width instead of by input"): (
        "ch05-merge-linears", [
            ("groups.setdefault(node.args[0], []).append(node)",
             "groups.setdefault(modules[node.target].in_features, []).append(node)"),
        ], "merge only layers that read the same node"),
    ("ch05a_graph_compiler", "a lifetime that ends at the first reader"): (
        "ch05-lifetimes", [
            ("last = max((step[u] for u in n.users), default=step[n])", "last = min((step[u] for u in n.users), default=step[n])"),
        ], "lives until its last reader runs"),
    ("ch05a_graph_compiler", "lifetimes of the parameters"): (
        "ch05-lifetimes", [
            ('        if n.op in ("placeholder", "call_function", "call_method", "call_module"):\n            meta',
             '        if n.op != "output":\n            meta'),
        ], "leave out parameters"),
    ("ch05a_graph_compiler", "bytes as if every tensor were float32"): (
        "ch05-lifetimes", [
            ("tensors[n.name] = (step[n], last, meta.shape.numel() * meta.dtype.itemsize)",
             "tensors[n.name] = (step[n], last, meta.shape.numel() * 4)"),
        ], "the element size"),
    ("ch05a_graph_compiler", "a peak that leaves out the last step"): (
        "ch05-lifetimes", [
            ("        for t in range(s, e + 1):\n            live[t] += size\n    return max(live)",
             "        for t in range(s, e):\n            live[t] += size\n    return max(live)"),
        ], "its first and last steps included"),
    ("ch05a_graph_compiler", "constant folding by torch's const_fold"): (
        "ch05-fold", [
            ("    const = {}\n    for node in list(gm.graph.nodes):\n        if node.op == \"get_attr\":",
             "    from torch.fx.experimental.const_fold import split_const_subgraphs\n\n    return split_const_subgraphs(gm)\n    const = {}\n    for node in list(gm.graph.nodes):\n        if node.op == \"get_attr\":"),
        ], "fold the nodes yourself"),
    ("ch05a_graph_compiler", "conv + batch norm by torch's fuser"): (
        "ch05-conv-bn", [
            ("    modules = dict(gm.named_modules())\n    for node in list(gm.graph.nodes):\n        if node.op != \"call_module\" or not isinstance(modules[node.target], nn.BatchNorm2d)",
             "    from torch.fx.experimental.optimization import fuse\n    return fuse(gm)\n    modules = dict(gm.named_modules())\n    for node in list(gm.graph.nodes):\n        if node.op != \"call_module\" or not isinstance(modules[node.target], nn.BatchNorm2d)"),
        ], "compute the folded weight and bias yourself"),
    ("ch05a_graph_compiler", "lifetimes by the check's reference"): (
        "ch05-lifetimes", [
            ("    ShapeProp(gm).propagate(*inputs)\n    step = {n: i for i, n in enumerate(gm.graph.nodes)}",
             "    ShapeProp(gm).propagate(*inputs)\n    return compiler.interpreter_lifetimes(gm)\n    step = {n: i for i, n in enumerate(gm.graph.nodes)}"),
        ], "walk gm.graph.nodes yourself"),
    ("ch05a_graph_compiler", "peak by the check's reference"): (
        "ch05-lifetimes", [
            ('    """The largest number of bytes live at one step."""\n',
             '    """The largest number of bytes live at one step."""\n    return max(live_bytes(tensors))\n'),
        ], "sum the bytes live at each step yourself"),
    ("ch05a_graph_compiler", "offsets without reuse"): (
        "ch05-offsets", [
            ("for m in offsets\n                      if tensors[m][0] <= e and s <= tensors[m][1])", "for m in offsets)"),
        ], "reuse the bytes of dead tensors"),
    ("ch05a_graph_compiler", "offsets that let tensors meeting at one step overlap"): (
        "ch05-offsets", [
            ("if tensors[m][0] <= e and s <= tensors[m][1])", "if tensors[m][0] < e and s < tensors[m][1])"),
        ], "are live at the same step"),
    ("ch05a_graph_compiler", "offsets placed in order of creation"): (
        "ch05-offsets", [
            ("return min((place(tensors, o) for o in orders)", "return min((place(tensors, o) for o in [list(tensors)])"),
        ], "place the largest tensors first"),
    ("ch05a_graph_compiler", "offsets from one greedy pass"): (
        "ch05-offsets", [
            ("return min((place(tensors, o) for o in orders)", "return min((place(tensors, o) for o in orders[:1])"),
        ], "try more placement orders"),
    ("ch05a_graph_compiler", "an order chosen greedily, one node at a time"): (
        "ch05-order", [
            ("""    frontier = {frozenset(): (0, [])}  # set of nodes run -> (best peak to reach it, an order reaching it)
    for _ in range(len(dag)):""",
             """    done, order = set(), []
    while len(order) < len(dag):
        ready = [v for v in dag if v not in done and all(a in done for a in dag[v][1])]
        freed = lambda v: sum(dag[a][0] for a in set(dag[v][1]) if users[a] <= done | {v})
        v = min(ready, key=lambda v: dag[v][0] - freed(v))
        done.add(v)
        order.append(v)
    return order
    frontier = {frozenset(): (0, [])}
    for _ in range(len(dag)):"""),
        ], "finish one branch before starting another"),
    ("ch05a_graph_compiler", "an order that finishes the branches in the listed order"): (
        "ch05-order", [
            ("    users = {v: set() for v in dag}\n    for v, (_, ins) in dag.items():\n        for a in ins:\n            users[a].add(v)\n    frontier",
             "    return sorted(dag, key=lambda v: (v != 'x', v == 'join', v))\n    frontier"),
        ], "mind which branch goes first"),
    ("ch05a_graph_compiler", "the given order, branches side by side"): (
        "ch05-order", [
            ("    users = {v: set() for v in dag}\n    for v, (_, ins) in dag.items():\n        for a in ins:\n            users[a].add(v)\n    frontier",
             "    return list(dag)\n    frontier"),
        ], "finish one branch before starting another"),
    ("ch05a_graph_compiler", "an order by size that ignores the edges"): (
        "ch05-order", [
            ("    users = {v: set() for v in dag}\n    for v, (_, ins) in dag.items():\n        for a in ins:\n            users[a].add(v)\n    frontier",
             "    return sorted(dag, key=lambda v: dag[v][0])\n    frontier"),
        ], "must be topological"),
    ("ch05a_graph_compiler", "a training graph planned without reuse"): (
        "ch05-training-plan", [
            ("for m in offsets\n                      if tensors[m][0] <= e and s <= tensors[m][1])", "for m in offsets)"),
        ], "less than 2x saved"),
    ("ch05a_graph_compiler", "sqrt checkpoints without the input"): (
        "ch05-sqrt-checkpoints", [
            ("return list(range(0, n, math.ceil(math.sqrt(n))))", "return list(range(math.ceil(math.sqrt(n)), n, math.ceil(math.sqrt(n))))"),
        ], "is always kept"),
    ("ch05a_graph_compiler", "sqrt checkpoints that keep sqrt(n) activations per segment of n"): (
        "ch05-sqrt-checkpoints", [
            ("return list(range(0, n, math.ceil(math.sqrt(n))))", "return list(range(0, n, math.ceil(n / 2)))"),
        ], "a checkpoint every ceil(sqrt(n))"),
    ("ch05a_graph_compiler", "sqrt checkpoints with sqrt(n) rounded down"): (
        "ch05-sqrt-checkpoints", [
            ("return list(range(0, n, math.ceil(math.sqrt(n))))", "return list(range(0, n, math.isqrt(n)))"),
        ], "round sqrt(n) up"),
    ("ch05a_graph_compiler", "sqrt checkpoints with k activations between two checkpoints"): (
        "ch05-sqrt-checkpoints", [
            ("return list(range(0, n, math.ceil(math.sqrt(n))))", "return list(range(0, n, math.ceil(math.sqrt(n)) + 1))"),
        ], "not k + 1"),
    ("ch05a_graph_compiler", "checkpoint DP that forgets the bytes kept so far"): (
        "ch05-checkpoint-dp", [
            ("if kept_bytes + size_sum[j] - size_sum[i + 1] > budget:", "if size_sum[j] - size_sum[i + 1] > budget:"),
            ("if kept_bytes + size_sum[n] - size_sum[i + 1] <= budget:", "if size_sum[n] - size_sum[i + 1] <= budget:"),
        ], "the bytes kept so far"),
    ("ch05a_graph_compiler", "checkpoint DP that keeps the first plan reaching a state"): (
        "ch05-checkpoint-dp", [
            ("if key not in best or value[0] < best[key][0]:", "if key not in best:"),
        ], "keep the cheapest"),
    ("ch05a_graph_compiler", "swaps brought back only when read"): (
        "ch05-swap-plan", [
            ("while back - 1 > max(out + 1, k) and", "while False and"),
            ("if run.stall[step] <= 0 or not waiting:", "if True:"),
        ], "early enough"),
    ("ch05a_graph_compiler", "every activation swapped, each back a step before its reader"): (
        "ch05-swap-plan", [
            ("    plan = {}\n    for _ in range(8 * len(schedule.tensors)):",
             "    return [Swap(a, uses[0], uses[-1] - 1) for a, (_, _, uses) in schedule.tensors.items() if len(uses) > 1]\n"
             "    plan = {}\n    for _ in range(8 * len(schedule.tensors)):"),
        ], "swap only what the device needs"),
    ("ch05a_graph_compiler", "swaps out before the last forward reader"): (
        "ch05-swap-plan", [
            ("options.append((after[0] - before[-1], size, name, before[-1], after[0]))",
             "options.append((after[-1] - before[0], size, name, before[0], after[-1]))"),
        ], "on the host"),
    ("ch05a_graph_compiler", "chains that run through a fork"): (
        "ch05-chains", [
            ("if current and current[-1] is prev and len(prev.users) == 1:", "if current and current[-1] is prev:"),
        ], "the last one has no other user"),
    ("ch05a_graph_compiler", "chains of one node"): (
        "ch05-chains", [
            ("            if len(current) >= 2:\n                chains.append(current)\n            current = [node]",
             "            chains.append(current)\n            current = [node]"),
        ], "a chain of one node fuses nothing"),
    ("ch05a_graph_compiler", "generated code that swaps a number to the right"): (
        "ch05-codegen", [
            ('left, right = (value, f"{float(b)!r}f") if isinstance(a, fx.Node) else (f"{float(a)!r}f", value)',
             'left, right = (value, f"{float(b if isinstance(a, fx.Node) else a)!r}f")'),
        ], "c - x is not x - c"),
    ("ch05a_graph_compiler", "generated code with one loop per operator"): (
        "ch05-codegen", [
            ('lines.append(f"        const float t{k} = {expr};  // {node.name}")',
             'lines.append(f"    }}\\n    for (long i = 0; i < n; ++i) {{\\n        const float t{k} = {expr};")'),
        ], "fusion means ONE kernel"),
    ("ch05a_graph_compiler", "a graph break kept: the if on a tensor"): (
        "ch05-graph-breaks", [
            ("    h = torch.where(h.mean() > 0, torch.relu(h) * 2, torch.sigmoid(h) - 1)\n",
             "    h = torch.relu(h) * 2 if h.mean() > 0 else torch.sigmoid(h) - 1\n"),
        ], "Dynamo still breaks your function into 2 graphs"),
    ("ch05a_graph_compiler", "a graph break kept: a Python float"): (
        "ch05-graph-breaks", [
            ("    return torch.tanh(h / h.abs().max()).sum(dim=1)\n    ### END SOLUTION",
             "    return torch.tanh(h / float(h.abs().max())).sum(dim=1)\n    ### END SOLUTION"),
        ], "float()/.item() end a graph"),
    ("ch05a_graph_compiler", "one branch only"): (
        "ch05-graph-breaks", [
            ("    h = torch.where(h.mean() > 0, torch.relu(h) * 2, torch.sigmoid(h) - 1)\n",
             "    h = torch.relu(h) * 2\n"),
        ], "where mean(x @ w) is negative or zero: keep both branches"),
    ("ch05a_graph_compiler", "a branch chosen per element"): (
        "ch05-graph-breaks", [
            ("    h = torch.where(h.mean() > 0, torch.relu(h) * 2, torch.sigmoid(h) - 1)\n",
             "    h = torch.where(h > 0, torch.relu(h) * 2, torch.sigmoid(h) - 1)\n"),
        ], "not per element"),
}
