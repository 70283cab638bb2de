"""Plots of simulations: GPU occupancy as a Gantt chart, JCT CDFs per policy, utilisation over time."""

import numpy as np

from aisys import plot


def occupancy(result, ax=None, max_lanes=64):
    """Which job held which GPU when: one lane per GPU (the first max_lanes), one colour per job."""
    g = result.cluster.gpus_per_node
    shown = sorted((s for s in result.segments if s[1] * g + s[2] < max_lanes), key=lambda s: (s[1], s[2], s[3]))
    lanes = [(f"n{node}.g{slot}", start, result.end if end is None else end, job) for job, node, slot, start, end in shown]
    return plot.gantt(lanes, xlabel="time (s)", title=f"GPU occupancy: {result.policy}", ax=ax, legend=len(result.jobs) <= 12)


def jct_cdf(results, ax=None, logx=True):
    """The CDF of job completion time for each {name: Result}."""
    ax = plot.axes(ax)
    for name, result in results.items():
        jct = np.sort(result.jct())
        ax.step(jct, np.arange(1, len(jct) + 1) / len(jct), where="post", label=name)
    ax.set(xlabel="job completion time (s)", ylabel="fraction of jobs", title="JCT CDF")
    if logx:
        ax.set_xscale("log")
    ax.legend()
    return ax


def utilization(results, ax=None):
    """Busy GPUs / all GPUs over time for each {name: Result}."""
    ax = plot.axes(ax)
    for name, result in results.items():
        ax.step(result.times, result.busy / result.cluster.total_gpus, where="post", label=name)
    ax.set(xlabel="time (s)", ylabel="GPU utilisation", title="Utilisation over time", ylim=(0, 1.05))
    ax.legend()
    return ax
