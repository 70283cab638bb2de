"""Plot helpers for curves and bar charts, shared by every lab."""

import matplotlib.pyplot as plt


def axes(ax):
    """The given axes, or a fresh figure's."""
    if ax is None:
        _, ax = plt.subplots()
    return ax


def curves(series, xlabel="epoch", ylabel="", title="", ax=None, logy=False, x=None):
    """One line per {label: values}; x defaults to 1..n."""
    ax = axes(ax)
    for label, ys in series.items():
        xs = x if x is not None else range(1, len(ys) + 1)
        ax.plot(list(xs), list(ys), marker="o" if len(ys) <= 30 else None, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logy:
        ax.set_yscale("log")
    if len(series) > 1:
        ax.legend()
    return ax


def bars(values, errors=None, ylabel="", title="", ax=None, logy=False):
    """A bar per {label: value}, with optional {label: error} error bars."""
    ax = axes(ax)
    labels = list(values)
    yerr = [errors[k] for k in labels] if errors else None
    ax.bar(range(len(labels)), [values[k] for k in labels], yerr=yerr, capsize=3)
    ax.set_xticks(range(len(labels)), labels, rotation=30 if max(map(len, labels)) > 8 else 0, ha="right")
    ax.set(ylabel=ylabel, title=title)
    if logy:
        ax.set_yscale("log")
    return ax


def stacked_bars(shares, ylabel="share", title="", ax=None):
    """Stacked bars from {group: {part: value}}: e.g. the operator mix at each batch size."""
    ax = axes(ax)
    groups = list(shares)
    parts = sorted({p for g in groups for p in shares[g]}, key=lambda p: -sum(shares[g].get(p, 0) for g in groups))
    bottom = [0.0] * len(groups)
    for part in parts:
        heights = [shares[g].get(part, 0.0) for g in groups]
        ax.bar(range(len(groups)), heights, bottom=bottom, label=part)
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_xticks(range(len(groups)), [str(g) for g in groups])
    ax.set(ylabel=ylabel, title=title)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
    return ax


def gantt(spans, xlabel="time (s)", title="", ax=None, legend=True):
    """Bars on lanes from (lane, start, end, label) tuples: one colour per label, lanes top to bottom."""
    ax = axes(ax)
    lanes = list(dict.fromkeys(lane for lane, *_ in spans))
    colours = {}
    for lane, start, end, label in spans:
        first = label not in colours
        colour = colours.setdefault(label, f"C{len(colours) % 10}")
        ax.barh(lanes.index(lane), end - start, left=start, color=colour, edgecolor="white", linewidth=0.5,
                label=label if first else None)
    ax.set_yticks(range(len(lanes)), [str(lane) for lane in lanes])
    ax.invert_yaxis()
    ax.set(xlabel=xlabel, title=title)
    if legend:
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
    return ax
