"""aisys.tensorexpr (code generation, kernels, spaces, loop features) and the ch05b solution's lowering and tuners."""

import math

import numpy as np
import pytest
import torch

from aisys.tensorexpr import (Loop, LoopNest, Schedule, ScheduleError, Space, accesses, build, conv2d, default_nest,
                              footprint, loop_features, matmul, max_error, synthetic_space)
from grader.notebook import definitions, read
from tests.conftest import REPO


@pytest.fixture(scope="module")
def solution():
    """The ch05b solution's definition cells, run in one namespace (lower, the searches, the tuning space)."""
    namespace = {"__name__": "ch05b_solution", "display": print}
    for source in definitions(read(REPO / "solutions" / "ch05b_tensor_compiler.ipynb")):
        exec(source, namespace)
    return namespace


def split_nest(m, f):
    """A matmul nest with i split by f by hand, guarded when f does not divide m."""
    nest = LoopNest([Loop("i_o", -(-m // f), "i"), Loop("k", 8, "k", True), Loop("i_i", f, "i"), Loop("j", 8, "j")],
                    {"i": f"(i_o * {f} + i_i)", "j": "j", "k": "k"})
    if m % f:
        nest.guards.append(f"(i_o * {f} + i_i) < {m}")
    return nest


def test_hand_built_nests_compute_what_pytorch_computes():
    mm = matmul(10, 8, 8)
    annotated = split_nest(10, 5)
    annotated.loops[0].annotation, annotated.loops[-1].annotation = "parallel", "vectorize"
    kernels = build(mm, [default_nest(mm), split_nest(10, 5), split_nest(10, 3), annotated])
    inputs = mm.random_inputs(torch.Generator().manual_seed(0))
    assert [max_error(k, inputs) < 1e-5 for k in kernels] == [True] * 4
    assert "parallel_for" in kernels[3].source and "no-tree-vectorize" in kernels[2].source
    conv = conv2d(3, 4, 8, 9, 3)
    (kernel,) = build(conv, [default_nest(conv)])
    assert max_error(kernel, conv.random_inputs()) < 1e-5


def test_a_wrong_index_is_seen_as_an_error_and_a_stray_write_is_caught():
    mm = matmul(10, 8, 8)
    wrong = split_nest(10, 5)
    wrong.index["i"] = "(i_o + i_i)"
    unguarded = split_nest(10, 3)
    unguarded.guards = []
    inputs = mm.random_inputs()
    bad, overrun = build(mm, [wrong, unguarded])
    assert max_error(bad, inputs) > 0.1
    with pytest.raises(AssertionError, match="wrote past the end of C"):
        overrun(*inputs)


def test_a_name_that_is_not_a_loop_is_refused_before_compiling():
    stale = split_nest(10, 3)
    stale.guards = ["(i * 3 + i_i) < 10"]
    with pytest.raises(ValueError, match="a guard .* uses 'i', which is not a loop of the nest"):
        build(matmul(10, 8, 8), [stale])


def test_accesses_footprints_and_loop_features_follow_the_statement():
    mm = matmul(64, 32, 16)
    assert accesses(mm) == {"C": (("i", "j"), ("j",)), "A": (("i", "k"), ("k",)), "B": (("k", "j"), ("j",))}
    assert accesses(conv2d(3, 4, 8, 9, 3))["X"] == (("ci", "y", "ry", "x", "rx"), ("x", "rx"))
    nest = default_nest(mm)
    assert footprint(mm, nest.loops[-1:]) == 4 * (1 + 16 + 16)  # one C, a row of A, a column of B
    assert footprint(mm, nest.loops) == 4 * (64 * 32 + 64 * 16 + 16 * 32)
    features = loop_features(mm, nest)
    assert features.shape == (4 * 3 + 6 + 3 * 3,) and np.isfinite(features).all()
    assert features[-6:-3].tolist() == [1.0, 0.0, 0.0]  # the innermost loop k walks A at unit stride


def test_schedule_steps_and_errors_name_the_primitive_and_the_loop():
    s = Schedule(matmul(8, 8, 8))
    assert s.split("i", 4) == ("i_o", "i_i")
    s.reorder("i_o", "j").vectorize("i_i")
    assert s.steps == [("split", "i", 4, False), ("reorder", "i_o", "j"), ("vectorize", "i_i")]
    with pytest.raises(ValueError, match="positive int"):
        s.split("j", 0)
    e = ScheduleError("tile", "j", "why")
    assert (e.primitive, e.loop, str(e)) == ("tile", "j", "tile of loop 'j': why")


def test_a_space_enumerates_samples_and_steps_to_adjacent_choices():
    space = Space({"a": [1, 2, 4], "b": ["x", "y"]}, program_features=lambda c: [c["a"]])
    assert len(space) == 6 == len({space.key(c) for c in space.configs()})
    rng = np.random.default_rng(0)
    for _ in range(50):
        c = space.sample(rng)
        n = space.neighbour(c, rng)
        moved = [k for k in c if c[k] != n[k]]
        assert len(moved) <= 1 and all(abs(space.knobs[k].index(c[k]) - space.knobs[k].index(n[k])) == 1 for k in moved)
    assert space.features({"a": 4, "b": "y"})[-1] == 4 and space.features({"a": 4, "b": "y"}) is space.cache[(4, "y")]


def test_a_synthetic_space_reports_its_optimum():
    space, measure, best = synthetic_space(np.random.default_rng(3), knobs=3, choices=4, noise=0.0)
    assert math.isclose(best, max(measure(space.configs())))


def test_the_solution_lowers_several_schedules_to_correct_code(solution):
    lower = solution["lower"]
    mm, conv = matmul(20, 24, 12), conv2d(3, 4, 9, 10, 3)
    schedules = []
    s = Schedule(mm); s.tile("i", "j", 5, 8); s.split("k", 5, tail=True); s.reorder("k_o", "k_i", "i_i", "j_i")
    s.vectorize("j_i"); schedules.append(s)
    s = Schedule(mm); s.reorder("k", "i", "j"); s.split("j", 7, tail=True); s.unroll("j_i"); schedules.append(s)
    s = Schedule(mm); s.split("i", 4); s.reorder("i_o", "k", "i_i", "j"); s.vectorize("j").parallel("i_o"); schedules.append(s)
    kernels = build(mm, [lower(mm, s) for s in schedules])
    inputs = mm.random_inputs()
    assert [max_error(k, inputs) < 1e-5 for k in kernels] == [True] * 3
    assert lower(mm, schedules[0]).names() == ["i_o", "j_o", "k_o", "k_i", "i_i", "j_i"]
    s = Schedule(conv); s.split("x", 3, tail=True); s.reorder("co", "ci", "ry", "rx", "y", "x_o", "x_i"); s.vectorize("x_i")
    (kernel,) = build(conv, [lower(conv, s)])
    assert max_error(kernel, conv.random_inputs()) < 1e-5


@pytest.mark.parametrize("steps, primitive, loop", [
    ([("split", "i", 7, False)], "split", "i"),
    ([("tile", "i", "j", 4, 5, False)], "tile", "j"),
    ([("reorder", "k", "q")], "reorder", "q"),
    ([("split", "i", 4, False), ("vectorize", "i")], "vectorize", "i"),
    ([("reorder", "k", "i", "j"), ("parallel", "k")], "parallel", "k"),
    ([("vectorize", "k")], "vectorize", "k"),
    ([("unroll", "i")], "unroll", "i"),
])
def test_the_solution_refuses_illegal_schedules_naming_the_primitive_and_the_loop(solution, steps, primitive, loop):
    s = Schedule(matmul(72, 12, 8))
    s.steps = steps
    with pytest.raises(ScheduleError) as e:
        solution["lower"](s.compute, s)
    assert (e.value.primitive, e.value.loop) == (primitive, loop) and f"{primitive} of loop '{loop}'" in str(e.value)


def test_the_solution_tuners_find_the_best_of_a_tiny_space(solution):
    space = Space({"a": [0, 1, 2, 3], "b": [0, 1, 2]})
    score = {space.key(c): 1.0 + c["a"] * (2 - abs(c["b"] - 1)) for c in space.configs()}
    measure = lambda configs: [score[space.key(c)] for c in configs]
    best = max(score.values())
    for search in (solution["random_search"], solution["model_guided_search"]):
        history = search(space, measure, len(space), np.random.default_rng(0), batch=4)
        assert len({space.key(c) for c, _ in history}) == len(space) and max(s for _, s in history) == best
    found = solution["model_guided_search"](space, measure, 8, np.random.default_rng(1), batch=4)
    assert max(s for _, s in found) == best
