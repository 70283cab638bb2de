"""Placement functions place(cluster, job) -> {node: GPUs} or None, for simulate(..., place=...): the baseline
that ch07's best fit is compared with."""


def worst_fit(cluster, job):
    """Spread placement: a job of up to a node's GPUs goes to the fitting node with the most free GPUs (lowest number
    on a tie); a larger job takes whole free nodes, lowest numbers first, when its GPUs are a multiple of a node's
    (each node holding an equal part of its CPUs and memory); None when it cannot be placed now."""
    g, n = cluster.gpus_per_node, job.num_gpus
    if n <= g:
        node = cluster.worst_fit(n, job.cpus, job.mem_gb)
        return None if node is None else {node: n}
    if n % g:
        return None
    nodes = cluster.whole_nodes(n // g, job.cpus * g / n, job.mem_gb * g / n)
    return None if nodes is None else dict.fromkeys(nodes, g)
