"""Graphs for the ch05 compiler lab (random torch.fx graphs with planted redundancy, branching nets, arena checks) and
the references ch05a's checks hold answers against (live_bytes, interpreter_lifetimes, order_lifetimes, min_peak):
off limits to the answers, which the checks fail when they call them."""

import copy
import operator
from dataclasses import dataclass, field

import torch
import torch.fx as fx
from torch import nn

UNARY = [torch.relu, torch.sin, torch.tanh, torch.sigmoid, operator.neg]
BINARY = [operator.add, operator.mul, operator.sub]
IDENTITIES = ["x*1", "1*x", "x+0", "0+x", "x-0", "x/1", "t(t(x))", "-(-x)"]
COMMUTATIVE = {operator.add, operator.mul}


@dataclass
class Planted:
    """A random graph, what a correct pass leaves of it (node count), and the shapes of its inputs."""

    gm: fx.GraphModule
    expected: int
    shapes: list
    planted: dict = field(default_factory=dict)

    def inputs(self, rng):
        """Random float64 inputs for the graph's placeholders, drawn from rng."""
        return [torch.randn(*s, generator=rng, dtype=torch.float64) for s in self.shapes]


def _int(rng, lo, hi):
    """A random integer in [lo, hi)."""
    return int(torch.randint(lo, hi, (1,), generator=rng))


def _pick(rng, seq):
    """A random element of seq."""
    return seq[_int(rng, 0, len(seq))]


class _Builder:
    """Grows a graph of n x n float64 tensors without redundancy: no duplicate, dead, foldable or identity node."""

    def __init__(self, rng, n, inputs):
        self.rng, self.n = rng, n
        self.root, self.g = nn.Module(), fx.Graph()
        self.inputs = [self.g.placeholder(f"x{i}") for i in range(inputs)]
        self.live, self.keys, self.params = list(self.inputs), set(), 0

    def param(self, scale=1.0):
        """A new n x n buffer of the root module and its get_attr node."""
        name = f"w{self.params}"
        self.params += 1
        self.root.register_buffer(name, torch.randn(self.n, self.n, generator=self.rng, dtype=torch.float64) * scale)
        return self.g.get_attr(name)

    def recent(self):
        """A live node, most often one of the last few (so graphs grow deep, not only wide)."""
        pool = self.live[-4:] if float(torch.rand(1, generator=self.rng)) < 0.7 else self.live
        return _pick(self.rng, pool)

    def key(self, target, args, kwargs):
        """What makes two nodes the same computation (commutative arguments sorted)."""
        names = tuple(a.name if isinstance(a, fx.Node) else repr(a) for a in args)
        if target in COMMUTATIVE:
            names = tuple(sorted(names))
        return target, names, tuple(sorted(kwargs.items()))

    def op(self, target, args, kwargs=None):
        """Add a call node unless an equal one exists; returns it or None."""
        kwargs = kwargs or {}
        k = self.key(target, args, kwargs)
        if k in self.keys:
            return None
        self.keys.add(k)
        node = self.g.call_function(target, tuple(args), kwargs)
        self.live.append(node)
        return node

    def grow(self):
        """One random operator on live nodes (never one that a simplification could remove)."""
        a = self.recent()
        kind = _int(self.rng, 0, 6)
        if kind == 0:
            f = _pick(self.rng, UNARY)
            if a.op == "call_function" and a.target is f and f in (torch.relu, operator.neg):
                return None
            return self.op(f, (a,))
        if kind == 1:
            return self.op(_pick(self.rng, BINARY), (a, _pick(self.rng, self.live)))
        if kind == 2:
            return self.op(torch.matmul, (a, self.param(self.n ** -0.5)))
        if kind == 3:  # look-alikes of identities that are not identities
            target, args = _pick(self.rng, [(operator.sub, (0.0, a)), (operator.mul, (a, 2.0)), (operator.add, (a, 1.0)),
                                            (operator.truediv, (a, 2.0)), (operator.sub, (1, a))])
            return self.op(target, args)
        if kind == 4:
            f = _pick(self.rng, [torch.softmax, torch.cumsum])
            return self.op(f, (a,), {"dim": _int(self.rng, 0, 2)})
        if a.op == "call_function" and a.target is torch.t:
            return None
        return self.op(torch.t, (a,))

    def sinks(self):
        """Live call nodes and inputs without users: the graph's outputs."""
        return [n for n in self.live if not n.users]

    def finish(self):
        """Close the graph with every sink as an output."""
        self.g.output(tuple(self.sinks()))


def clean_graph(rng, n_ops=12, n=6, inputs=2, unused=0):
    """A random graph with nothing for the passes to remove (each operator reaches an output); the last `unused`
    inputs are read by nothing yet."""
    b = _Builder(rng, n, inputs + unused)
    b.live = b.live[:inputs]
    while len(b.live) - inputs < n_ops:
        b.grow()
    return b


def _calls(b):
    """The builder's call nodes that are not inputs."""
    return [n for n in b.live if n.op == "call_function"]


def _plant_identity(b, v, kind):
    """Insert an identity chain after v and move v's users onto it; returns the nodes inserted."""
    g = b.g
    users = list(v.users)
    with g.inserting_after(v):
        if kind == "t(t(x))":
            first = g.call_function(torch.t, (v,))
            with g.inserting_after(first):
                new = [first, g.call_function(torch.t, (first,))]
        elif kind == "-(-x)":
            first = g.call_function(operator.neg, (v,))
            with g.inserting_after(first):
                new = [first, g.call_function(operator.neg, (first,))]
        else:
            target = {"*": operator.mul, "+": operator.add, "-": operator.sub, "/": operator.truediv}[kind[1]]
            const = 1 if "1" in kind else 0
            args = (const, v) if kind[0].isdigit() else (v, _pick(b.rng, [const, float(const)]))
            new = [g.call_function(target, args)]
    for u in users:
        u.replace_input_with(v, new[-1])
    return new


def _plant_duplicate(b, v):
    """A copy of v (same operator and arguments) that takes over some of v's users; returns it."""
    users = list(v.users)
    with b.g.inserting_after(v):
        dup = b.g.call_function(v.target, v.args, dict(v.kwargs))
    for i, u in enumerate(users):
        if i == 0 or float(torch.rand(1, generator=b.rng)) < 0.5:
            u.replace_input_with(v, dup)
    return dup


def _plant_dead(b, length):
    """A chain of operators on live nodes whose result nobody uses; returns its nodes."""
    g = b.g
    out = next(n for n in g.nodes if n.op == "output")
    new, a = [], b.recent()
    with g.inserting_before(out):
        for _ in range(length):
            f = _pick(b.rng, UNARY + BINARY)
            args = (a,) if f in UNARY else (a, _pick(b.rng, b.live + new))
            a = g.call_function(f, args)
            new.append(a)
    return new


def _plant_constant(b, v):
    """A subgraph of parameters only (w @ v.t() and friends) added to v's value; returns its nodes."""
    g = b.g
    users = list(v.users)
    with g.inserting_after(v):
        w1 = g.get_attr(_new_buffer(b))
        with g.inserting_after(w1):
            w2 = g.get_attr(_new_buffer(b))
        with g.inserting_after(w2):
            wt = g.call_function(torch.t, (w2,))
        with g.inserting_after(wt):
            c = g.call_function(torch.matmul, (w1, wt))
        nodes, last = [w1, w2, wt, c], c
        for _ in range(_int(b.rng, 0, 3)):
            f = _pick(b.rng, [torch.tanh, torch.sigmoid])
            with g.inserting_after(last):
                last = g.call_function(f, (last,))
            nodes.append(last)
        with g.inserting_after(last):
            use = g.call_function(operator.add, (v, last))
    for u in users:
        u.replace_input_with(v, use)
    return nodes


def _new_buffer(b):
    """Name of a new n x n buffer on the builder's root module."""
    name = f"c{b.params}"
    b.params += 1
    b.root.register_buffer(name, torch.randn(b.n, b.n, generator=b.rng, dtype=torch.float64) * b.n ** -0.5)
    return name


def planted_graph(rng, kinds=("simplify", "cse", "dce", "fold"), n_ops=12, n=6, plants=3):
    """A clean random graph with redundancy of the given kinds planted in it, and the node count once removed."""
    b = clean_graph(rng, n_ops, n, unused=int("dce" in kinds))  # an input only dead code reads: it stays
    b.finish()
    removable, planted = 0, {}
    calls = [v for v in _calls(b)]
    if "fold" in kinds:
        for _ in range(max(1, plants // 2)):
            nodes = _plant_constant(b, _pick(rng, calls))
            removable += len(nodes) - 1  # the subgraph becomes one get_attr
            planted.setdefault("fold", []).append([x.name for x in nodes])
    if "cse" in kinds:
        for _ in range(plants):
            v = _pick(rng, calls)
            dup = _plant_duplicate(b, v)
            removable += 1
            planted.setdefault("cse", []).append(dup.name)
            users = [u for u in dup.users if u.op == "call_function" and u.users]
            if users and float(torch.rand(1, generator=rng)) < 0.5:  # a duplicate of a duplicate's user
                u = users[0]  # u with v in place of dup: after CSE it is u itself, so one of u's users may read it
                with b.g.inserting_after(u):
                    twin = b.g.call_function(u.target, tuple(v if a is dup else a for a in u.args), dict(u.kwargs))
                next(iter(u.users)).replace_input_with(u, twin)
                removable += 1
                planted["cse"].append(twin.name)
    if "simplify" in kinds:
        for _ in range(plants):
            v = _pick(rng, calls)
            choices = IDENTITIES + (["relu(relu(x))"] if v.target is torch.relu else [])
            kind = _pick(rng, choices)
            if kind == "relu(relu(x))":
                users = list(v.users)
                with b.g.inserting_after(v):
                    r = b.g.call_function(torch.relu, (v,))
                for u in users:
                    u.replace_input_with(v, r)
                new = [r]
            else:
                new = _plant_identity(b, v, kind)
            removable += len(new)
            planted.setdefault("simplify", []).append(kind)
    if "dce" in kinds:
        for _ in range(plants):
            new = _plant_dead(b, _int(rng, 1, 4))
            removable += len(new)
        with b.g.inserting_before(next(n for n in b.g.nodes if n.op == "output")):
            b.g.call_function(operator.mul, (b.inputs[-1], _pick(rng, _calls(b))))
        removable += 1
        planted["dce"] = removable
    b.g.lint()
    gm = fx.GraphModule(b.root, b.g)
    shapes = [(n, n)] * len(b.inputs)
    return Planted(gm, len(gm.graph.nodes) - removable, shapes, planted)


def node_count(gm):
    """Nodes of a GraphModule's graph, placeholders and output included."""
    return len(gm.graph.nodes)


def outputs(gm, inputs):
    """The graph's outputs on inputs, as a flat list of tensors."""
    with torch.no_grad():
        out = gm(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def differing_output(reference, candidate, inputs, **tolerance):
    """Index of the first output of candidate that differs from reference's on inputs, or None (-1: count differs)."""
    want, got = outputs(reference, inputs), outputs(candidate, inputs)
    if len(want) != len(got):
        return -1
    for i, (w, g) in enumerate(zip(want, got)):
        if w.shape != g.shape or not torch.allclose(w, g, **tolerance):
            return i
    return None


def snapshot(gm):
    """A deep copy of a GraphModule: a pass may change its input in place."""
    return copy.deepcopy(gm)


def branching_graph(rng, batch=16, blocks=6):
    """A random net of matmul layers in chain, residual and inception-like blocks (widths vary); returns (gm, input)."""
    b = _Builder(rng, 1, 1)
    g = b.g

    def layer(h, width_in, width_out):
        name = f"w{b.params}"
        b.params += 1
        b.root.register_buffer(name, torch.randn(width_in, width_out, generator=rng) * width_in ** -0.5)
        return g.call_function(torch.relu, (g.call_function(torch.matmul, (h, g.get_attr(name))),))

    def width():
        return 16 * _int(rng, 1, 17)

    x_width = width()
    h, w = b.inputs[0], x_width
    for _ in range(blocks):
        kind = _int(rng, 0, 3)
        if kind == 0:  # a layer
            out = width()
            h, w = layer(h, w, out), out
        elif kind == 1:  # residual
            inner = width()
            h = g.call_function(operator.add, (h, layer(layer(h, w, inner), inner, w)))
        else:  # inception: 2-4 branches of one or two layers, concatenated
            branches, total = [], 0
            for _ in range(_int(rng, 2, 5)):
                mid = width()
                out = layer(h, w, mid)
                if _int(rng, 0, 2):
                    mid2 = width()
                    out, mid = layer(out, mid, mid2), mid2
                branches.append(out)
                total += mid
            h, w = g.call_function(torch.cat, (branches,), {"dim": 1}), total
    g.output(h)
    return fx.GraphModule(b.root, g), torch.randn(batch, x_width, generator=rng)


class ConvBN(nn.Module):
    """Random conv + batch-norm blocks in eval mode: some convs with bias, one conv whose output a skip also reads,
    and one batch norm after a ReLU (neither of the last two may be folded)."""

    def __init__(self, rng, channels=3):
        super().__init__()
        widths = [channels] + [4 * _int(rng, 1, 5) for _ in range(3)]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1, bias=bool(_int(rng, 0, 2)))
                                   for a, b in zip(widths, widths[1:]))
        self.bns = nn.ModuleList(nn.BatchNorm2d(b) for b in widths[1:])
        self.skip_conv = nn.Conv2d(widths[-1], widths[-1], 1)
        self.skip_bn = nn.BatchNorm2d(widths[-1])
        self.after_relu = nn.BatchNorm2d(widths[-1])
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=rng) * 0.5)
            for bn in [*self.bns, self.skip_bn, self.after_relu]:
                bn.running_mean.copy_(torch.randn(bn.num_features, generator=rng))
                bn.running_var.copy_(torch.rand(bn.num_features, generator=rng) * 2 + 0.1)
                bn.eps = float(torch.rand(1, generator=rng)) * 0.5 + 1e-3
        self.eval()

    def forward(self, x):
        for conv, bn in zip(self.convs, self.bns):
            x = torch.relu(bn(conv(x)))
        s = self.skip_conv(x)
        return self.after_relu(torch.relu(self.skip_bn(s) + s))


class ParallelLinears(nn.Module):
    """Groups of nn.Linear layers that read the same input (Q, K, V style), with different widths and biases."""

    def __init__(self, rng, d=8):
        super().__init__()
        self.sizes = [[4 * _int(rng, 1, 5) for _ in range(_int(rng, 2, 5))] for _ in range(2)]
        self.first = nn.ModuleList(nn.Linear(d, w, bias=bool(_int(rng, 0, 2))) for w in self.sizes[0])
        self.second = nn.ModuleList(nn.Linear(self.sizes[0][0], w, bias=bool(_int(rng, 0, 2))) for w in self.sizes[1])
        self.alone = nn.Linear(d, d)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=rng) * 0.5)

    def forward(self, x):
        outs = [lin(x) for lin in self.first]
        h = torch.relu(outs[0])
        return (*outs[1:], *[lin(h) for lin in self.second], self.alone(torch.tanh(x)))


def arena_conflict(tensors, offsets):
    """The first two tensors live at the same step whose [offset, offset + bytes) ranges overlap, or None."""
    missing = sorted(set(tensors) - set(offsets))
    if missing:
        return (missing[0], None)
    items = sorted(tensors.items(), key=lambda kv: offsets[kv[0]])
    for i, (a, (s1, e1, b1)) in enumerate(items):
        for b, (s2, e2, b2) in items[i + 1:]:
            if offsets[b] >= offsets[a] + b1:
                break
            if s1 <= e2 and s2 <= e1:
                return (a, b)
    return None


def arena_bytes(tensors, offsets):
    """The arena's size: the highest end of a placed tensor."""
    return max(offsets[n] + size for n, (_, _, size) in tensors.items())


def live_bytes(tensors):
    """Bytes live at each step, a tensor counted from the step that makes it to its last reader's step."""
    live = [0] * (max(e for _, e, _ in tensors.values()) + 1)
    for s, e, size in tensors.values():
        for t in range(s, e + 1):
            live[t] += size
    return live


def plot_arena(tensors, offsets, ax=None, title="Memory plan"):
    """Each tensor as a box: steps it lives across, bytes it holds at its offset; the arena and the bound as lines."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(10, 4))[1]
    for i, (name, (s, e, size)) in enumerate(tensors.items()):
        ax.add_patch(plt.Rectangle((s - 0.45, offsets[name] / 1024), e - s + 0.9, size / 1024,
                                   facecolor=plt.cm.tab20(i % 20), edgecolor="black", linewidth=0.5, alpha=0.8))
    ax.axhline(arena_bytes(tensors, offsets) / 1024, color="black", label="arena")
    ax.axhline(max(live_bytes(tensors)) / 1024, color="red", linestyle="--", label="peak live (lower bound)")
    ax.set(xlim=(-1, max(e for _, e, _ in tensors.values()) + 1), ylim=(0, arena_bytes(tensors, offsets) / 1024 * 1.05),
           xlabel="step (node in execution order)", ylabel="offset (KiB)", title=title)
    ax.legend(loc="upper right")
    return ax


class LiveBytes(fx.Interpreter):
    """Runs a graph and records in .live the bytes of the values the interpreter holds at each step (its own frees)."""

    def run(self, *args):
        self.live, self.params = [], set()
        return super().run(*args)

    def run_node(self, n):
        result = super().run_node(n)
        if n.op == "get_attr":
            self.params.add(n)
        held = [v for k, v in self.env.items() if k not in self.params and isinstance(v, torch.Tensor)]
        if n.op not in ("get_attr", "output") and isinstance(result, torch.Tensor):
            held.append(result)
        self.live.append(sum(v.numel() * v.element_size() for v in held))
        return result


def interpreter_lifetimes(gm):
    """{name: (first step, last step, bytes)} of a graph ShapeProp has run on, from torch.fx.Interpreter's last uses."""
    last = {n: user for user, ns in fx.Interpreter(gm).user_to_last_uses.items() for n in ns}
    step = {n: i for i, n in enumerate(gm.graph.nodes)}
    sizes = {n: n.meta["tensor_meta"].shape.numel() * n.meta["tensor_meta"].dtype.itemsize for n in gm.graph.nodes
             if n.op in ("placeholder", "call_function", "call_method", "call_module")}
    return {n.name: (step[n], step[last.get(n, n)], size) for n, size in sizes.items()}


def graph_dag(gm, *inputs):
    """{name: (bytes, [names of the tensors it reads])} for the placeholders and operators of an fx graph, in its order;
    parameters (get_attr) are left out, and a node that returns several tensors counts their bytes together."""
    from torch.fx.passes.shape_prop import ShapeProp

    if inputs:
        ShapeProp(gm).propagate(*inputs)
    dag = {}
    for n in gm.graph.nodes:
        if n.op in ("placeholder", "call_function", "call_method", "call_module"):
            meta = n.meta.get("tensor_meta")
            if meta is None:
                raise ValueError(f"node {n.name} has no tensor_meta: pass the graph's inputs (or run ShapeProp first)")
            metas = [meta] if hasattr(meta, "shape") else meta  # TensorMetadata, or a tuple of them
            size = sum(m.shape.numel() * m.dtype.itemsize for m in metas if hasattr(m, "shape"))
            dag[n.name] = (size, [a.name for a in n.all_input_nodes if a.op != "get_attr"])
    return dag


def _users(dag):
    """{name: set of the names that read it}."""
    users = {v: set() for v in dag}
    for v, (_, ins) in dag.items():
        for a in ins:
            users[a].add(v)
    return users


def order_lifetimes(dag, order):
    """{name: (first step, last step, bytes)} when the DAG runs in `order`: a tensor lives from its step to its last
    reader's; one nobody reads (an output) lives to the end. Refuses an order that is not topological."""
    if sorted(order) != sorted(dag):
        missing, extra = sorted(set(dag) - set(order)), sorted(set(order) - set(dag))
        repeated = sorted({v for v in order if list(order).count(v) > 1})
        raise ValueError(f"the order must hold every node once: missing {missing[:3]}, unknown {extra[:3]}, "
                         f"repeated {repeated[:3]}")
    step = {v: i for i, v in enumerate(order)}
    for v in order:
        late = [a for a in dag[v][1] if step[a] > step[v]]
        if late:
            raise ValueError(f"{v} runs at step {step[v]} before its input {late[0]} (step {step[late[0]]}): "
                             "the order must be topological")
    users = _users(dag)
    return {v: (step[v], max((step[u] for u in users[v]), default=len(order)), dag[v][0]) for v in order}


def order_peak(dag, order):
    """Peak live bytes of the DAG run in `order`."""
    return max(live_bytes(order_lifetimes(dag, order)))


def min_peak(dag):
    """Check reference for ch05a's Exercise 9 (off limits to answers): the lowest peak live bytes of any topological
    order of the DAG (not the order), by exhaustive search over the sets of nodes already run (memoised)."""
    import functools

    users, names = _users(dag), list(dag)

    @functools.lru_cache(maxsize=None)
    def best(done):
        if len(done) == len(names):
            return 0
        live = sum(dag[v][0] for v in done if not users[v] or not users[v] <= done)
        return min(max(best(done | {v}), live + dag[v][0])
                   for v in names if v not in done and all(a in done for a in dag[v][1]))

    return best(frozenset())


def fanout_graph(rng, branches=(3, 6), depth=(2, 4)):
    """A DAG (as graph_dag gives) whose order matters: an input feeds branches that widen, then narrow again, joined
    at the end; nodes listed breadth first (every branch's first layer, then every second layer...)."""
    kib = 1024
    dag = {"x": (_int(rng, 2, 9) * kib, [])}
    levels, ends = [], []
    for b in range(_int(rng, *branches)):
        prev, chain = "x", []
        for d in range(_int(rng, *depth)):
            name = f"b{b}_{d}"
            wide = d < _int(rng, 1, 3)
            dag[name] = (_int(rng, 8, 33) * kib if wide else _int(rng, 1, 5) * kib, [prev])
            chain.append(name)
            prev = name
        levels.append(chain)
        ends.append(prev)
    join = {"join": (_int(rng, 2, 9) * kib, ends)}
    order = ["x"] + [c[d] for d in range(max(map(len, levels))) for c in levels if d < len(c)] + ["join"]
    dag.update(join)
    return {v: dag[v] for v in order}


def training_graph(widths, batch=64, seed=0):
    """One training step of an MLP (forward, mean-squared loss, backward to every weight and bias) traced by make_fx
    into one fx graph of aten operators; returns (gm, inputs): x, y, then the parameters."""
    from torch.fx.experimental.proxy_tensor import make_fx

    rng = torch.Generator().manual_seed(seed)
    params = []
    for a, b in zip(widths, widths[1:]):
        params += [torch.randn(a, b, generator=rng) * a ** -0.5, torch.zeros(b)]
    params = [p.requires_grad_() for p in params]

    def step(x, y, *params):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = torch.relu(h)
        return torch.autograd.grad(((h - y) ** 2).mean(), params)

    inputs = [torch.randn(batch, widths[0], generator=rng), torch.randn(batch, widths[-1], generator=rng), *params]
    return make_fx(step)(*inputs), inputs
