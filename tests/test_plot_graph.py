import torch
import torch.fx
import torch.nn as nn

from aisys import graph, plot
from aisys.dag import depths


def test_curves_and_bars():
    ax = plot.curves({"a": [1, 2, 3], "b": [3, 2, 1]}, ylabel="y")
    assert len(ax.lines) == 2 and ax.get_legend() is not None
    ax = plot.bars({"x": 1.0, "y": 2.0}, errors={"x": 0.1, "y": 0.2})
    assert [p.get_height() for p in ax.patches] == [1.0, 2.0]


def test_stacked_bars_stack_to_the_total():
    ax = plot.stacked_bars({1: {"conv": 0.25, "mm": 0.75}, 64: {"conv": 0.5, "other": 0.5}})
    tops = {}
    for p in ax.patches:
        x = round(p.get_x() + p.get_width() / 2)
        tops[x] = max(tops.get(x, 0), p.get_y() + p.get_height())
    assert tops == {0: 1.0, 1: 1.0}


class Diamond(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 3), nn.Linear(3, 3)

    def forward(self, x):
        return torch.relu(self.a(x)) + self.b(x)


def test_layers_follow_the_longest_path():
    gm = torch.fx.symbolic_trace(Diamond())
    depth = {n.name: d for n, d in depths(list(gm.graph.nodes), graph.fx_edges(gm.graph)).items()}
    assert depth == {"x": 0, "a": 1, "b": 1, "relu": 2, "add": 3, "output": 4}


def test_draw_graph_draws_a_box_per_node_and_an_arrow_per_edge():
    gm = torch.fx.symbolic_trace(Diamond())
    ax = graph.draw_graph(gm)
    labels = [t.get_text() for t in ax.texts if t.get_text()]
    assert len(labels) == 6 and "a\nLinear" in labels and "relu\nrelu" in labels
    edges = sum(len(n.all_input_nodes) for n in gm.graph.nodes)
    assert len([c for c in ax.get_children() if type(c).__name__ == "Annotation" and not c.get_text()]) == edges


def test_gantt_puts_a_bar_per_span_on_its_lane_with_one_legend_entry_per_label():
    ax = plot.gantt([("gpu0", 0, 1, "job a"), ("gpu1", 0.5, 2, "job b"), ("gpu0", 1, 3, "job a")])
    bars = ax.patches
    assert [(b.get_x(), b.get_width(), b.get_y() + b.get_height() / 2) for b in bars] == [(0, 1, 0), (0.5, 1.5, 1), (1, 2, 0)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["job a", "job b"]
    assert bars[0].get_facecolor() == bars[2].get_facecolor() != bars[1].get_facecolor()
