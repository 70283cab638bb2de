"""Draw any dataflow graph given as nodes and edges (an autograd graph, a hand-built static graph)."""

import matplotlib.pyplot as plt


def depths(nodes, edges):
    """Each node's depth: the longest path to it from a node without inputs (iterative, so deep graphs work)."""
    preds = {n: [] for n in nodes}
    succs = {n: [] for n in nodes}
    for src, dst in edges:
        preds[dst].append(src)
        succs[src].append(dst)
    waiting = {n: len(preds[n]) for n in nodes}
    ready = [n for n in nodes if waiting[n] == 0]
    depth = {n: 0 for n in ready}
    while ready:
        n = ready.pop()
        for m in succs[n]:
            depth[m] = max(depth.get(m, 0), depth[n] + 1)
            waiting[m] -= 1
            if waiting[m] == 0:
                ready.append(m)
    stuck = [n for n in nodes if waiting[n] > 0]
    if stuck:
        raise ValueError(f"the graph has a cycle through {stuck[0]!r}: a dataflow graph must be acyclic")
    return depth


def draw_dag(nodes, edges, labels=None, colours=None, ax=None, title=None, max_nodes=60):
    """Draw a DAG top to bottom, one box per node (label from labels, fill from colours); returns the axes."""
    nodes = list(nodes)
    if max_nodes is not None and len(nodes) > max_nodes:
        raise ValueError(f"{len(nodes)} nodes is too many to read in one drawing (max_nodes={max_nodes}): draw a smaller model")
    depth = depths(nodes, edges)
    rows = {}
    for n in nodes:
        rows.setdefault(depth[n], []).append(n)
    width = max(len(r) for r in rows.values())
    if ax is None:
        _, ax = plt.subplots(figsize=(min(2.2 * width + 1, 16), 0.7 * len(rows) + 0.6))
    pos = {n: (i - (len(r) - 1) / 2, -d) for d, r in rows.items() for i, n in enumerate(r)}
    for src, dst in edges:
        ax.annotate("", xy=pos[dst], xytext=pos[src],
                    arrowprops=dict(arrowstyle="->", color="#555", shrinkA=12, shrinkB=12))
    for n, (x, y) in pos.items():
        ax.text(x, y, (labels or {}).get(n, str(n)), ha="center", va="center", fontsize=7,
                bbox=dict(boxstyle="round,pad=0.3", fc=(colours or {}).get(n, "#fde2c0"), ec="#444"))
    ax.set_xlim(-width / 2 - 0.2, width / 2 + 0.2)
    ax.set_ylim(-len(rows), 0.6)
    ax.axis("off")
    ax.set_title(title or f"dataflow graph ({len(nodes)} nodes, {len(edges)} edges)")
    return ax
