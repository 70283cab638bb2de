"""Placement functions place(cluster, job) -> {node: GPUs} or None, for simulate(..., place=...): the baseline
that ch07's best fit is compared with."""


def worst_fit(cluster, job):
    """Spread placement: a job of up to a node's GPUs goes to the fitting node with the most free GPUs (lowest number
    on a tie); a larger job takes whole free nodes, lowest numbers first, when its GPUs are a multiple of a node's
    (each node holding an equal part of its CPUs and memory); None when it cannot be placed now."""
    g, n = cluster.gpus_per_node, job.num_gpus
    if n <= g:
        best = None
        for node in range(cluster.nodes):
            if cluster.fits(node, n, job.cpus, job.mem_gb) and (best is None or cluster.free_gpus[node] > cluster.free_gpus[best]):
                best = node
        return None if best is None else {best: n}
    if n % g:
        return None
    parts = n // g
    cpus, mem = job.cpus / parts, job.mem_gb / parts
    free = [node for node in range(cluster.nodes) if cluster.free_gpus[node] == g and cluster.fits(node, g, cpus, mem)]
    return dict.fromkeys(free[:parts], g) if len(free) >= parts else None
