"""What a simulation measured: per-job times, cluster-wide figures, and Jain's fairness index."""

import numpy as np


def jain(values):
    """Jain's fairness index: 1 when all values are equal, 1/n when one value has everything."""
    x = np.asarray(values, dtype=float)
    return float(x.sum() ** 2 / (len(x) * (x ** 2).sum())) if len(x) and x.any() else 1.0


class Result:
    """The outcome of one simulation: finished jobs with their times, the utilisation timeline, GPU segments."""

    def __init__(self, sim, deadlock=None):
        self.policy, self.cluster = sim.policy_name, sim.cluster
        self.jobs = sim.finished
        self.unfinished = list(sim.waiting) + list(sim.running)
        self.deadlock = deadlock
        self.segments = sim.segments
        self.times, self.busy, self.allocated = (np.asarray(a, dtype=float) for a in sim.timeline)
        self.busy_integral, self.fragmentation_integral = sim.busy_integral, sim.fragmentation_integral
        self.end = sim.now

    def jct(self):
        """Job completion times (finish - submit), seconds, in finishing order."""
        return np.array([j.end_time - j.submit_time for j in self.jobs])

    def queue_delay(self):
        """Seconds from submission to first start."""
        return np.array([j.start_time - j.submit_time for j in self.jobs])

    def metrics(self, partial=False):
        """The figures the CLI prints and writes as JSON (seconds; utilization and fragmentation as fractions).
        A run that left jobs unfinished raises, unless partial=True (figures then cover finished jobs only)."""
        if not self.jobs:
            raise ValueError(f"policy {self.policy}: no job finished ({self.deadlock or 'empty trace'})")
        if self.unfinished and not partial:
            raise ValueError(f"policy {self.policy}: {len(self.unfinished)} job(s) never finished ({self.deadlock}); "
                             f"metrics over the finished ones only would mislead: fix the policy, or ask for "
                             f"metrics(partial=True)")
        jct, delay = self.jct(), self.queue_delay()
        start = min(j.submit_time for j in self.jobs + self.unfinished)
        makespan = self.end - start
        per_user = {}
        for j, t in zip(self.jobs, jct):
            per_user.setdefault(j.user, []).append(j.duration / t)
        gpu_time = self.cluster.total_gpus * makespan
        return {"policy": self.policy, "num_jobs": len(self.jobs), "avg_jct": float(jct.mean()),
                "p95_jct": float(np.percentile(jct, 95)), "avg_queue_delay": float(delay.mean()),
                "p95_queue_delay": float(np.percentile(delay, 95)), "makespan": float(makespan),
                "utilization": self.busy_integral / gpu_time if gpu_time else 0.0,
                "fairness": jain([np.mean(v) for v in per_user.values()]),
                "fragmentation": self.fragmentation_integral / gpu_time if gpu_time else 0.0,
                "preemptions": sum(j.preemptions for j in self.jobs), "unfinished": len(self.unfinished),
                "deadlock": self.deadlock}
