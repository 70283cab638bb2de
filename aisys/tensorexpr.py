"""Tensor expressions with schedules (TVM style): compute definitions, schedule steps, loop nests lowered to C++, and spaces to tune.

A `Compute` says what to compute (axes, which of them reduce, one C++ statement); a `Schedule` records how
(split, reorder, tile, vectorize, unroll, parallel) as steps; lowering (the ch05b lab's exercise) turns the two
into a `LoopNest`, which `build` compiles (many nests in one C++ file) into `Kernel`s that run on tensors.
"""

import itertools
import math
import re
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from aisys import cpp
from aisys.bench import measure

# ----- what to compute -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Compute:
    """An operator as a loop body over named axes: spatial axes index the output, reduce axes are summed over."""

    name: str
    axes: tuple          # ((axis, extent), ...) in the default loop order
    reduce: tuple        # the names of the axes summed over
    inputs: tuple        # ((buffer, shape), ...)
    output: tuple        # (buffer, shape)
    body: str            # one C++ statement; {axis} stands for the axis' index expression
    flops: int
    reference: object = field(repr=False, compare=False)  # reference(*inputs) -> output (torch)

    def extent(self, axis):
        """The extent of an axis of the compute definition."""
        return dict(self.axes)[axis]

    def random_inputs(self, generator=None):
        """Random float32 inputs (a torch Generator makes them reproducible)."""
        return [torch.randn(shape, generator=generator) for _, shape in self.inputs]


def matmul(m, n, k):
    """C[i, j] = sum_k A[i, k] * B[k, j]."""
    return Compute(f"matmul_{m}x{n}x{k}", (("i", m), ("j", n), ("k", k)), ("k",),
                   (("A", (m, k)), ("B", (k, n))), ("C", (m, n)),
                   f"C[{{i}} * {n} + {{j}}] += A[{{i}} * {k} + {{k}}] * B[{{k}} * {n} + {{j}}];", 2 * m * n * k,
                   torch.matmul)


def conv2d(c_in, c_out, h, w, r):
    """Y[co, y, x] = sum_{ci, ry, rx} X[ci, y + ry, x + rx] * W[co, ci, ry, rx] (one image, stride 1, no padding)."""
    oh, ow = h - r + 1, w - r + 1
    return Compute(f"conv2d_{c_in}x{c_out}x{h}x{w}x{r}",
                   (("co", c_out), ("y", oh), ("x", ow), ("ci", c_in), ("ry", r), ("rx", r)), ("ci", "ry", "rx"),
                   (("X", (c_in, h, w)), ("W", (c_out, c_in, r, r))), ("Y", (c_out, oh, ow)),
                   f"Y[({{co}} * {oh} + {{y}}) * {ow} + {{x}}] += X[({{ci}} * {h} + {{y}} + {{ry}}) * {w} + {{x}} + {{rx}}]"
                   f" * W[(({{co}} * {c_in} + {{ci}}) * {r} + {{ry}}) * {r} + {{rx}}];",
                   2 * c_out * oh * ow * c_in * r * r, lambda x, wt: F.conv2d(x[None], wt)[0])


# ----- how to compute it: schedules and the loop nests they lower to ----------------------------------------------

class ScheduleError(ValueError):
    """An illegal schedule step; the message names the primitive and the loop."""

    def __init__(self, primitive, loop, why):
        super().__init__(f"{primitive} of loop '{loop}': {why}")
        self.primitive, self.loop = primitive, loop


class Schedule:
    """The steps of a schedule, recorded in order (TVM's primitives); legality is decided when it is lowered."""

    def __init__(self, compute):
        self.compute = compute
        self.steps = []

    def split(self, loop, factor, tail=False):
        """Split loop into loop_o (outer) and loop_i (inner, extent factor); tail=True guards a factor that does not divide."""
        if not isinstance(factor, int) or factor < 1:
            raise ValueError(f"split of loop '{loop}': the factor must be a positive int, got {factor!r}")
        self.steps.append(("split", loop, factor, bool(tail)))
        return f"{loop}_o", f"{loop}_i"

    def reorder(self, *loops):
        """Put the named loops, in this order, into the positions they occupy (the other loops stay)."""
        self.steps.append(("reorder", *loops))
        return self

    def tile(self, x, y, fx, fy, tail=False):
        """Split x by fx and y by fy, then reorder to x_o, y_o, x_i, y_i."""
        self.steps.append(("tile", x, y, fx, fy, bool(tail)))
        return f"{x}_o", f"{y}_o", f"{x}_i", f"{y}_i"

    def vectorize(self, loop):
        """Run the (innermost, spatial) loop in the CPU's vector lanes."""
        self.steps.append(("vectorize", loop))
        return self

    def unroll(self, loop):
        """Unroll the loop fully (small extents only)."""
        self.steps.append(("unroll", loop))
        return self

    def parallel(self, loop):
        """Run the iterations of the (outermost, spatial) loop on all cores."""
        self.steps.append(("parallel", loop))
        return self

    def __repr__(self):
        return " ; ".join(f"{s[0]}({', '.join(map(repr, s[1:]))})" for s in self.steps) or "(default order)"


@dataclass
class Loop:
    """One loop of a nest: its name, extent, the compute axis it walks, spatial or reduce, and an annotation."""

    name: str
    extent: int
    axis: str
    reduce: bool = False
    annotation: str = None   # None, "vectorize", "unroll" or "parallel"


@dataclass
class LoopNest:
    """Loops outermost first, each compute axis as a C++ expression of loop variables, and the guards a tail needs."""

    loops: list
    index: dict
    guards: list = field(default_factory=list)

    def names(self):
        """The loop names, outermost first."""
        return [loop.name for loop in self.loops]


def default_nest(compute):
    """The loop nest of a compute definition with no schedule: one loop per axis, in the definition's order."""
    return LoopNest([Loop(a, n, a, a in compute.reduce) for a, n in compute.axes], {a: a for a, _ in compute.axes})


def substitute(expression, name, replacement):
    """expression with the whole identifier `name` replaced (i_o stays i_o when i is replaced)."""
    return re.sub(rf"\b{re.escape(name)}\b", replacement, expression)


# ----- code generation ------------------------------------------------------------------------------------------

PREAMBLE = """#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

template <class F> static void parallel_for(int n, F body) {
  int t = std::max(1, std::min<int>(n, (int)std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int p = 1; p < t; ++p) pool.emplace_back(body, (int)((long)n * p / t), (int)((long)n * (p + 1) / t));
  body(0, n / t);
  for (auto& th : pool) th.join();
}
"""


def c_function(compute, nest, name):
    """The C++ function (extern "C") that runs a loop nest: zero the output, then the loops around the body."""
    expressions = [(f"the index of axis '{a}'", e) for a, e in nest.index.items()] + [("a guard", g) for g in nest.guards]
    for what, expression in expressions:
        stale = sorted(set(re.findall(r"[A-Za-z_]\w*", expression)) - set(nest.names()))
        if stale:
            raise ValueError(f"{what} ({expression}) uses {', '.join(map(repr, stale))}, which is not a loop of the nest "
                             f"(its loops are {', '.join(nest.names())}): when a split replaces a loop, substitute it in "
                             "the guards as well as in the index expressions")
    args = ", ".join([f"const float* __restrict__ {b}" for b, _ in compute.inputs] + [f"float* __restrict__ {compute.output[0]}"])
    body = compute.body.format(**{a: f"({e})" for a, e in nest.index.items()})
    if nest.guards:
        body = f"if ({' && '.join(f'({g})' for g in nest.guards)}) {body}"
    vectorised = any(loop.annotation == "vectorize" for loop in nest.loops)
    lines, pad = [], "  "
    parallel = nest.loops and nest.loops[0].annotation == "parallel"
    for depth, loop in enumerate(nest.loops):
        pad = "  " * (depth + 1 + bool(parallel))
        if loop.annotation == "vectorize":
            lines.append(f"{pad}#pragma GCC ivdep")
        elif loop.annotation == "unroll":
            lines.append(f"{pad}#pragma GCC unroll {loop.extent}")
        v = loop.name
        start, stop = ("lo", "hi") if depth == 0 and parallel else ("0", str(loop.extent))
        lines.append(f"{pad}for (int {v} = {start}; {v} < {stop}; ++{v}) {{")
    lines.append(f"{pad}  {body}")
    lines += ["  " * (d + 1 + bool(parallel)) + "}" for d in reversed(range(len(nest.loops)))]
    size = math.prod(compute.output[1])
    attribute = "" if vectorised else '__attribute__((optimize("no-tree-vectorize"))) '
    head = [f'extern "C" {attribute}void {name}({args}) {{', f"  std::memset({compute.output[0]}, 0, {size} * sizeof(float));"]
    if parallel:
        return "\n".join(head + [f"  parallel_for({nest.loops[0].extent}, [&](int lo, int hi) {{", *lines, "  });", "}"])
    return "\n".join(head + lines + ["}"])


class Kernel:
    """A compiled loop nest, called on torch tensors: kernel(*inputs) -> output (buffers padded, see __call__)."""

    def __init__(self, compute, nest, fn, source):
        self.compute, self.nest, self.fn, self.source = compute, nest, fn, source

    def __call__(self, *inputs):
        """The output; every buffer gets as much padding as it has data (NaN after each input, zeros after the
        output), so a nest that runs past an axis' extent reads NaN and its stray writes are caught instead of
        corrupting memory."""
        shape = self.compute.output[1]
        out = torch.zeros(2 * math.prod(shape))
        padded = [torch.cat([x.reshape(-1), torch.full((x.numel(),), float("nan"))]) for x in inputs]
        self.fn(*[cpp.floats(x) for x in padded], cpp.floats(out))
        if not out[math.prod(shape):].eq(0).all():
            raise AssertionError(f"the kernel wrote past the end of {self.compute.output[0]}: a loop runs beyond its "
                                 "axis' extent (a split whose factor does not divide needs its tail guarded)")
        return out[:math.prod(shape)].view(shape)

    def seconds(self, inputs, min_time=0.05):
        """Median wall-clock seconds of one call."""
        out = torch.empty(math.prod(self.compute.output[1]))
        held = [x.contiguous() for x in inputs]  # kept alive while the pointers are in use
        return measure(self.fn, *map(cpp.floats, held), cpp.floats(out), warmup=1, min_time=min_time).median

    def gflops(self, inputs, min_time=0.05):
        """Measured GFLOP/s."""
        return self.compute.flops / self.seconds(inputs, min_time) / 1e9


def build(compute, nests):
    """Compile loop nests of one compute into Kernels: one C++ file for all (one compiler run), cached by its text."""
    functions = [c_function(compute, nest, f"{compute.name}_{n}") for n, nest in enumerate(nests)]
    lib = cpp.build(PREAMBLE + "\n\n".join(functions), name="tensorexpr")
    kernels = []
    for n, (nest, source) in enumerate(zip(nests, functions)):
        fn = getattr(lib, f"{compute.name}_{n}")
        fn.restype = None
        kernels.append(Kernel(compute, nest, fn, source))
    return kernels


def max_error(kernel, inputs):
    """The largest absolute difference between a kernel's output and the compute's torch reference, relative to its scale."""
    want = kernel.compute.reference(*inputs)
    return ((kernel(*inputs) - want).abs().max() / want.abs().max().clamp_min(1e-6)).item()


# ----- schedule spaces, for tuners ---------------------------------------------------------------------------------

class Space:
    """A schedule space: knobs with their choices, and optionally program features of a config (for cost models)."""

    def __init__(self, knobs, program_features=None):
        self.knobs = {k: list(v) for k, v in knobs.items()}
        self.program_features = program_features
        self.cache = {}

    def __len__(self):
        return math.prod(len(v) for v in self.knobs.values())

    def configs(self):
        """Every config, as a dict knob -> value."""
        return [dict(zip(self.knobs, values)) for values in itertools.product(*self.knobs.values())]

    def key(self, config):
        """A hashable key of a config."""
        return tuple(config[k] for k in self.knobs)

    def sample(self, rng):
        """A config drawn uniformly (rng: a numpy Generator)."""
        return {k: v[rng.integers(len(v))] for k, v in self.knobs.items()}

    def neighbour(self, config, rng):
        """The config with one knob moved to an adjacent choice."""
        knob = list(self.knobs)[rng.integers(len(self.knobs))]
        choices = self.knobs[knob]
        at = choices.index(config[knob])
        step = rng.choice([s for s in (-1, 1) if 0 <= at + s < len(choices)] or [0])
        return {**config, knob: choices[at + step]}

    def features(self, config):
        """Each knob's position in its choices (0..1) and its square, products of pairs, one-hot of text choices, then
        program_features(config) if the space has them (cached per config)."""
        key = self.key(config)
        if key not in self.cache:
            pos = [choices.index(config[k]) / max(len(choices) - 1, 1) for k, choices in self.knobs.items()]
            text = [float(config[k] == c) for k, choices in self.knobs.items() if isinstance(choices[0], str) for c in choices]
            pairs = [a * b for a, b in itertools.combinations(pos, 2)]
            extra = self.program_features(config) if self.program_features else []
            self.cache[key] = np.array([1.0, *pos, *(p * p for p in pos), *pairs, *text, *extra])
        return self.cache[key]


def synthetic_space(rng, knobs=4, choices=5, noise=0.02):
    """A random space and a measure(configs) -> scores landscape (per-knob effects and one interaction, some noise)."""
    space = Space({f"k{n}": list(range(choices)) for n in range(knobs)})
    peak = rng.integers(choices, size=knobs)
    width = rng.uniform(0.8, 2.0, size=knobs)
    a, b = rng.choice(knobs, size=2, replace=False)
    coupling = rng.uniform(0.2, 0.5)

    def true(config):
        v = [config[f"k{n}"] for n in range(knobs)]
        score = -sum(((v[n] - peak[n]) / width[n]) ** 2 for n in range(knobs)) / knobs
        return float(np.exp(score - coupling * abs((v[a] - peak[a]) - (v[b] - peak[b]))))

    def measure_configs(configs):
        return [true(c) * (1 + noise * rng.standard_normal()) for c in configs]

    return space, measure_configs, max(true(c) for c in space.configs())


# ----- loop features, for cost models -------------------------------------------------------------------------------

L1_BYTES, L2_BYTES = 32 * 1024, 1024 * 1024


def accesses(compute):
    """{buffer: (axes it is indexed by, axes at unit stride)}, read from the compute's statement."""
    out = {}
    for buffer, index in re.findall(r"(\w+)\[([^\]]*)\]", compute.body):
        axes = tuple(dict.fromkeys(re.findall(r"\{(\w+)\}", index)))
        flat = index
        while re.search(r"\([^()]*\)", flat):
            flat = re.sub(r"\([^()]*\)", "P", flat)
        unit = tuple(a for term in flat.split("+") if "*" not in term for a in re.findall(r"\{(\w+)\}", term))
        out[buffer] = (axes, unit)
    return out


def footprint(compute, loops):
    """Bytes of every buffer touched while the given loops run (each axis spans the extents of its loops among them)."""
    span = {a: 1 for a, _ in compute.axes}
    for loop in loops:
        span[loop.axis] *= loop.extent
    return sum(4 * math.prod(min(span[a], compute.extent(a)) for a in axes) for axes, _ in accesses(compute).values())


def loop_features(compute, nest, levels=4):
    """Features of a loop nest a cost model can learn from (Ansor/AutoTVM style): the bytes the innermost 1..levels
    loops touch (log2, and whether they fit L1 and L2), the innermost loop's extent, annotations and the stride at
    which it walks each buffer (unit, none = reuse, or strided), and whether the body is guarded."""
    feats = []
    for depth in range(1, levels + 1):
        size = footprint(compute, nest.loops[-depth:])
        feats += [math.log2(size), float(size <= L1_BYTES), float(size <= L2_BYTES)]
    inner = nest.loops[-1]
    feats += [math.log2(inner.extent), float(inner.annotation == "vectorize"), float(inner.reduce),
              float(any(loop.annotation == "unroll" for loop in nest.loops)), float(nest.loops[0].annotation == "parallel"),
              float(bool(nest.guards))]
    for axes, unit in accesses(compute).values():
        feats += [float(inner.axis in unit), float(inner.axis not in axes), float(inner.axis in axes and inner.axis not in unit)]
    return np.array(feats)
