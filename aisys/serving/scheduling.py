"""Batches of several models on one device: the scheduler that picks the next one, and a simulated clock to replay it."""

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from aisys.serving.batching import Decision, checked


class Job(NamedTuple):
    """A batch ready to run: its model, its requests' arrival times (oldest first) and the model's SLA in seconds."""

    model: str
    arrivals: list
    sla: float


class Scheduler(ABC):
    """Picks, whenever the device is free, which ready batch runs next (one per model with a batch ready)."""

    @abstractmethod
    def pick(self, now, jobs):
        """`jobs`: the ready batches (never empty). Returns the index of the one to run."""


class FirstCome(Scheduler):
    """FIFO across models: the batch whose oldest request arrived first."""

    def pick(self, now, jobs):
        return min(range(len(jobs)), key=lambda i: jobs[i].arrivals[0])


def checked_pick(index, jobs):
    """A scheduler's pick, refused with a message when it is not an index into jobs."""
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool) or not 0 <= index < len(jobs):
        raise ValueError(f"pick() returned {index!r}: return the index (0 to {len(jobs) - 1}) of the job to run")
    return int(index)


class Stream(NamedTuple):
    """One model's part of a simulated run: sorted arrival times, SLA (s), batching policy, and cost(n) of a batch of n."""

    arrivals: list
    sla: float
    policy: object
    cost: object


@dataclass
class Replay:
    """What a policy did on an arrival trace: batches as (start, end, request indices) and each request's latency."""

    batches: list
    latency: np.ndarray

    def sizes(self):
        return [len(ids) for _, _, ids in self.batches]


def simulate_models(scheduler, streams):
    """Replay several models' arrivals on one device (a simulated clock): each model's policy forms its batches, the
    scheduler picks which ready batch runs when the device is free. Returns {model: Replay}."""
    names = list(streams)
    arrivals = {n: [float(a) for a in streams[n].arrivals] for n in names}
    nxt, queue = dict.fromkeys(names, 0), {n: [] for n in names}
    replays = {n: Replay([], np.zeros(len(arrivals[n]))) for n in names}
    t = 0.0
    while any(nxt[n] < len(arrivals[n]) or queue[n] for n in names):
        ready, wakes = [], []
        for n in names:
            while nxt[n] < len(arrivals[n]) and arrivals[n][nxt[n]] <= t:
                queue[n].append(nxt[n])
                nxt[n] += 1
            if queue[n]:
                decision = checked(streams[n].policy.decide(t, [arrivals[n][j] for j in queue[n]]), t, queue[n])
                if decision.take:
                    ready.append((n, decision.take))
                elif decision.wake is not None:
                    wakes.append(decision.wake)
        if ready:
            jobs = [Job(n, [arrivals[n][j] for j in queue[n][:take]], streams[n].sla) for n, take in ready]
            n, take = ready[checked_pick(scheduler.pick(t, jobs), jobs) if len(jobs) > 1 else 0]
            ids, queue[n] = queue[n][:take], queue[n][take:]
            end = t + streams[n].cost(len(ids))
            streams[n].policy.observe(len(ids), end - t)
            replays[n].batches.append((t, end, ids))
            replays[n].latency[ids] = end - np.asarray(arrivals[n])[ids]
            t = end
            continue
        t = min([arrivals[n][nxt[n]] for n in names if nxt[n] < len(arrivals[n])] + wakes, default=math.inf)
        if t == math.inf:
            waiting = sum(len(q) for q in queue.values())
            raise ValueError(f"the policy waits forever with {waiting} requests waiting and none to come: "
                             "run them, or return a wake time")
    return replays


def simulate(policy, arrivals, cost):
    """Replay sorted arrival times on one model worker whose batch of n takes cost(n) seconds (a simulated clock)."""
    return simulate_models(FirstCome(), {"model": Stream(arrivals, math.inf, policy, cost)})["model"]
