import matplotlib
import pytest

from aisys import dag

matplotlib.use("Agg")


def test_depth_is_the_longest_path_from_an_input():
    edges = [("x", "a"), ("x", "b"), ("a", "c"), ("b", "c"), ("c", "d"), ("x", "d")]
    assert dag.depths("xabcd", edges) == {"x": 0, "a": 1, "b": 1, "c": 2, "d": 3}


def test_depths_of_a_deep_chain_need_no_recursion():
    nodes = list(range(5000))
    assert dag.depths(nodes, list(zip(nodes, nodes[1:])))[4999] == 4999


def test_a_cycle_is_named():
    with pytest.raises(ValueError, match="cycle"):
        dag.depths("abc", [("a", "b"), ("b", "c"), ("c", "b")])


def test_draw_dag_draws_a_box_per_node_and_an_arrow_per_edge():
    ax = dag.draw_dag(["x", "y", "z"], [("x", "z"), ("y", "z")], labels={"z": "add"}, title="t")
    assert sorted(t.get_text() for t in ax.texts if t.get_text()) == ["add", "x", "y"]
    assert len([c for c in ax.get_children() if type(c).__name__ == "Annotation" and not c.get_text()]) == 2
    assert ax.get_title() == "t"


def test_too_many_nodes_are_refused():
    with pytest.raises(ValueError, match="too many"):
        dag.draw_dag(range(100), [], max_nodes=60)
