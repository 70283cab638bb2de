"""aisys.compiler: planted graphs whose expected node counts torch's own passes reach, and the arena helpers."""

import torch
import torch.fx as fx
from torch import nn

from aisys.compiler import (ConvBN, ParallelLinears, arena_bytes, arena_conflict, branching_graph, differing_output,
                            live_bytes, node_count, planted_graph, snapshot)


def test_torchs_dead_code_elimination_reaches_the_count_planted_dead_code_promises():
    for seed in range(20):
        rng = torch.Generator().manual_seed(seed)
        p = planted_graph(rng, ("dce",))
        x = p.inputs(rng)
        gm = snapshot(p.gm)
        gm.graph.eliminate_dead_code()
        gm.recompile()
        assert node_count(gm) == p.expected < node_count(p.gm)
        assert differing_output(p.gm, gm, x) is None


def test_a_graph_with_every_kind_of_redundancy_is_valid_and_bigger_than_its_expected_count():
    for seed in range(20):
        rng = torch.Generator().manual_seed(seed)
        p = planted_graph(rng)
        p.gm.graph.lint()
        out = p.gm(*p.inputs(rng))
        assert all(torch.isfinite(t).all() for t in out)
        assert node_count(p.gm) > p.expected + 5


def test_the_same_seed_gives_the_same_graph():
    a, b = (planted_graph(torch.Generator().manual_seed(3)) for _ in range(2))
    assert a.gm.code == b.gm.code and a.expected == b.expected


def test_a_changed_output_is_found():
    rng = torch.Generator().manual_seed(0)
    p = planted_graph(rng, ("cse",))
    other = snapshot(p.gm)
    node = next(n for n in other.graph.nodes if n.op == "call_function")
    with other.graph.inserting_after(node):
        bumped = other.graph.call_function(torch.add, (node, 1.0))
    node.replace_all_uses_with(bumped, delete_user_cb=lambda u: u is not bumped)
    other.recompile()
    assert differing_output(p.gm, other, p.inputs(rng)) is not None


def test_arena_conflict_finds_overlapping_live_tensors_and_accepts_reuse():
    tensors = {"a": (0, 1, 100), "b": (1, 2, 50), "c": (2, 3, 100)}
    assert arena_conflict(tensors, {"a": 0, "b": 100, "c": 0}) is None  # c reuses a's bytes
    assert arena_conflict(tensors, {"a": 0, "b": 50, "c": 0}) == ("a", "b")
    assert arena_conflict(tensors, {"a": 0, "b": 100}) == ("c", None)
    assert arena_bytes(tensors, {"a": 0, "b": 100, "c": 0}) == 150
    assert live_bytes(tensors) == [100, 150, 150, 100]


def test_branching_graphs_run_and_vary_in_width():
    widths = set()
    for seed in range(5):
        gm, x = branching_graph(torch.Generator().manual_seed(seed))
        y = gm(x)
        assert y.shape[0] == x.shape[0]
        widths.add(y.shape[1])
    assert len(widths) > 1


def test_conv_bn_and_parallel_linears_trace_and_run():
    rng = torch.Generator().manual_seed(0)
    model = ConvBN(rng)
    assert not model.training
    x = torch.randn(2, 3, 8, 8)
    assert torch.allclose(fx.symbolic_trace(model)(x), model(x))
    lin = ParallelLinears(rng)
    calls = [n for n in fx.symbolic_trace(lin).graph.nodes if n.op == "call_module"]
    assert sum(isinstance(lin.get_submodule(n.target), nn.Linear) for n in calls) == sum(map(len, lin.sizes)) + 1
