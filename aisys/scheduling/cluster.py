"""A cluster of identical nodes with GPUs, CPUs and memory, and what is free on each."""


class Cluster:
    """Free GPUs, CPUs and memory per node; nodes are also bucketed by free GPUs for fast best-fit placement."""

    def __init__(self, nodes, gpus_per_node, cpus_per_node=None, mem_per_node=None):
        if nodes < 1 or gpus_per_node < 1:
            raise ValueError(f"a cluster needs at least one node and one GPU per node (got {nodes} x {gpus_per_node})")
        self.nodes, self.gpus_per_node = nodes, gpus_per_node
        self.cpus_per_node = cpus_per_node if cpus_per_node is not None else 8 * gpus_per_node
        self.mem_per_node = mem_per_node if mem_per_node is not None else 64 * gpus_per_node
        self.free_gpus = [gpus_per_node] * nodes
        self.free_cpus = [float(self.cpus_per_node)] * nodes
        self.free_mem = [float(self.mem_per_node)] * nodes
        self.by_free = [dict() for _ in range(gpus_per_node + 1)]  # free GPU count -> {node: None}, in node order
        self.by_free[gpus_per_node] = dict.fromkeys(range(nodes))

    @property
    def total_gpus(self):
        """GPUs in the cluster."""
        return self.nodes * self.gpus_per_node

    @property
    def capacity(self):
        """Total (GPUs, CPUs, memory GB)."""
        return self.total_gpus, self.nodes * self.cpus_per_node, self.nodes * self.mem_per_node

    def fits(self, node, gpus, cpus=0.0, mem=0.0):
        """Whether node has gpus GPUs, cpus CPUs and mem GB free."""
        return self.free_gpus[node] >= gpus and self.free_cpus[node] >= cpus - 1e-9 and self.free_mem[node] >= mem - 1e-9

    def _move(self, node, before, after):
        """Re-bucket a node whose free GPU count changed."""
        del self.by_free[before][node]
        self.by_free[after][node] = None

    def take(self, node, gpus, cpus=0.0, mem=0.0):
        """Mark resources on node as used."""
        before = self.free_gpus[node]
        self.free_gpus[node] = before - gpus
        self.free_cpus[node] -= cpus
        self.free_mem[node] -= mem
        if gpus:
            self._move(node, before, before - gpus)

    def give(self, node, gpus, cpus=0.0, mem=0.0):
        """Return resources on node."""
        before = self.free_gpus[node]
        self.free_gpus[node] = before + gpus
        self.free_cpus[node] += cpus
        self.free_mem[node] += mem
        if gpus:
            self._move(node, before, before + gpus)

    def best_fit(self, gpus, cpus=0.0, mem=0.0):
        """The node with the fewest free GPUs that still fits the request on its own, or None."""
        for free in range(gpus, self.gpus_per_node + 1):
            for node in self.by_free[free]:
                if self.fits(node, gpus, cpus, mem):
                    return node
        return None

    def place(self, num_gpus, cpus=0.0, mem=0.0):
        """A default placement {node: GPUs}: one node (best fit) when the job fits on a node, else whole free
        nodes plus a best fit for the rest; None when it does not fit now. CPUs and memory follow the GPUs."""
        g = self.gpus_per_node
        if num_gpus <= g:
            node = self.best_fit(num_gpus, cpus, mem)
            return None if node is None else {node: num_gpus}
        whole, rest = divmod(num_gpus, g)
        per_gpu_cpu, per_gpu_mem = cpus / num_gpus, mem / num_gpus
        free_nodes = [n for n in self.by_free[g] if self.fits(n, g, g * per_gpu_cpu, g * per_gpu_mem)][: whole + 1]
        if len(free_nodes) < whole:
            return None
        placement = dict.fromkeys(free_nodes[:whole], g)
        if rest:
            node = next((n for free in range(rest, g + 1) for n in self.by_free[free]
                         if n not in placement and self.fits(n, rest, rest * per_gpu_cpu, rest * per_gpu_mem)), None)
            if node is None:
                return None
            placement[node] = rest
        return placement

    def unusable_free_gpus(self, smallest_demand):
        """Free GPUs on nodes where even the smallest waiting request does not fit (on one node)."""
        need = min(smallest_demand, self.gpus_per_node)
        return sum(free * len(self.by_free[free]) for free in range(1, need))
