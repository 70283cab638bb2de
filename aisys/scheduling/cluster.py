"""A cluster of identical nodes with GPUs, CPUs and memory, and what is free on each."""

from bisect import bisect_left, insort


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
        self.by_free = [[] for _ in range(gpus_per_node + 1)]  # free GPU count -> its nodes, sorted by node number
        self.by_free[gpus_per_node] = list(range(nodes))

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
        """Re-bucket a node whose free GPU count changed (buckets stay sorted, so ties go to the lowest number)."""
        bucket = self.by_free[before]
        del bucket[bisect_left(bucket, node)]
        insort(self.by_free[after], node)

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

    def first_fit(self, free_counts, gpus, cpus=0.0, mem=0.0, skip=()):
        """The first node that fits the request on its own, trying nodes with free_counts free GPUs in that order and,
        within a count, the lowest node number first; None if none fits. Nodes in skip are passed over."""
        for free in free_counts:
            for node in self.by_free[free]:
                if node not in skip and self.fits(node, gpus, cpus, mem):
                    return node
        return None

    def best_fit(self, gpus, cpus=0.0, mem=0.0, skip=()):
        """The node with the fewest free GPUs that still fits the request on its own (lowest number on a tie), or None."""
        return self.first_fit(range(gpus, self.gpus_per_node + 1), gpus, cpus, mem, skip)

    def worst_fit(self, gpus, cpus=0.0, mem=0.0):
        """The node with the most free GPUs that fits the request on its own (lowest number on a tie), or None."""
        return self.first_fit(range(self.gpus_per_node, gpus - 1, -1), gpus, cpus, mem)

    def whole_nodes(self, count, cpus=0.0, mem=0.0):
        """The count lowest-numbered nodes with every GPU free and cpus CPUs and mem GB free on each, or None."""
        g = self.gpus_per_node
        nodes = [n for n in self.by_free[g] if self.fits(n, g, cpus, mem)][:count]
        return nodes if len(nodes) == count else None

    def place(self, num_gpus, cpus=0.0, mem=0.0):
        """A default placement {node: GPUs}: one node (best fit) when the job fits on a node, else whole free
        nodes plus a best fit for the rest; None when it does not fit now. CPUs and memory follow the GPUs."""
        g = self.gpus_per_node
        if num_gpus <= g:
            node = self.best_fit(num_gpus, cpus, mem)
            return None if node is None else {node: num_gpus}
        whole, rest = divmod(num_gpus, g)
        per_gpu_cpu, per_gpu_mem = cpus / num_gpus, mem / num_gpus
        nodes = self.whole_nodes(whole, g * per_gpu_cpu, g * per_gpu_mem)
        if nodes is None:
            return None
        placement = dict.fromkeys(nodes, g)
        if rest:
            node = self.best_fit(rest, rest * per_gpu_cpu, rest * per_gpu_mem, skip=placement)
            if node is None:
                return None
            placement[node] = rest
        return placement

    def unusable_free_gpus(self, smallest_demand):
        """Free GPUs on nodes where even the smallest waiting request does not fit (on one node)."""
        need = min(smallest_demand, self.gpus_per_node)
        return sum(free * len(self.by_free[free]) for free in range(1, need))
