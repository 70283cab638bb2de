"""Draw a torch.fx dataflow graph with matplotlib: one box per node, layered by depth."""

import matplotlib.pyplot as plt

KIND_COLOURS = {"placeholder": "#cde4f7", "call_module": "#d9f2d0", "call_function": "#fde2c0",
                "call_method": "#f7d2e3", "get_attr": "#e6e6e6", "output": "#cde4f7"}


def node_label(node, modules):
    """A short label: the module class or function name under the node's name."""
    if node.op == "call_module":
        what = type(modules[node.target]).__name__
    elif node.op in ("call_function", "call_method"):
        what = getattr(node.target, "__name__", str(node.target))
    else:
        what = node.op
    return f"{node.name}\n{what}"


def layers(graph):
    """Each node's depth: the longest path from an input, so edges always point down."""
    depth = {}
    for node in graph.nodes:  # fx keeps nodes in topological order
        depth[node] = 1 + max((depth[a] for a in node.all_input_nodes), default=-1)
    return depth


def draw_graph(gm, ax=None, title=None):
    """Draw a GraphModule's dataflow graph top to bottom; returns the axes."""
    modules = dict(gm.named_modules())
    depth = layers(gm.graph)
    rows = {}
    for node, d in depth.items():
        rows.setdefault(d, []).append(node)
    width = max(len(r) for r in rows.values())
    if ax is None:
        _, ax = plt.subplots(figsize=(2.6 * width + 1, 0.75 * len(rows) + 0.5))
    pos = {}
    for d, nodes in rows.items():
        for i, node in enumerate(nodes):
            pos[node] = (i - (len(nodes) - 1) / 2, -d)
    for node in depth:
        for src in node.all_input_nodes:
            ax.annotate("", xy=pos[node], xytext=pos[src],
                        arrowprops=dict(arrowstyle="->", color="#555", shrinkA=13, shrinkB=13))
    for node, (x, y) in pos.items():
        ax.text(x, y, node_label(node, modules), ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round,pad=0.3", fc=KIND_COLOURS.get(node.op, "white"), ec="#444"))
    ax.set_xlim(-width / 2 - 0.2, width / 2 + 0.2)
    ax.set_ylim(-len(rows), 0.6)
    ax.axis("off")
    ax.set_title(title or f"dataflow graph of {type(gm).__name__} ({len(depth)} nodes)")
    return ax
