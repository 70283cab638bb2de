"""Draw a torch.fx dataflow graph with matplotlib: one box per node, layered by depth."""

from aisys.dag import draw_dag

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


def fx_edges(graph):
    """The (input node, node) edges of a torch.fx graph."""
    return [(src, node) for node in graph.nodes for src in node.all_input_nodes]


def draw_graph(gm, ax=None, title=None):
    """Draw a GraphModule's dataflow graph top to bottom (one box per node, coloured by kind); returns the axes."""
    modules = dict(gm.named_modules())
    nodes = list(gm.graph.nodes)
    return draw_dag(nodes, fx_edges(gm.graph), labels={n: node_label(n, modules) for n in nodes},
                    colours={n: KIND_COLOURS.get(n.op, "white") for n in nodes}, ax=ax, max_nodes=None,
                    title=title or f"dataflow graph of {type(gm).__name__} ({len(nodes)} nodes)")
