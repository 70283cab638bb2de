"""The event-driven cluster simulator: jobs arrive, a policy starts, preempts and places them, time advances to
the next arrival, completion or tick, and every GPU-second is accounted for."""

import abc
import dataclasses
import gc
import heapq
import math

from aisys.scheduling.metrics import Result
from aisys.scheduling.trace import TraceError


class PolicyError(RuntimeError):
    """A policy asked for something the cluster cannot do; the message names the policy, job and resources."""


class DurationHidden(AttributeError):
    """A policy that does not know durations (knows_durations = False) read a job's duration or remaining time."""


HIDDEN = ("duration", "remaining", "gpu_seconds")


class JobView:
    """A job as a policy that does not know durations sees it: every field but duration and remaining time."""

    __slots__ = ("job", "_policy")

    def __init__(self, job, policy):
        self.job, self._policy = job, policy

    def __getattr__(self, name):
        if name in HIDDEN:
            raise DurationHidden(
                f"a LAS policy may not know a job's duration: policy {self._policy} has knows_durations = False, so "
                f"job.{name} is hidden (use sim.attained(job), the service the job has had so far)")
        return getattr(self.job, name)

    def __setattr__(self, name, value):
        if name in JobView.__slots__:
            object.__setattr__(self, name, value)
        else:
            raise AttributeError(f"job {self.job.job_id} is the simulator's record: a policy may not set job.{name}")

    def __repr__(self):
        j = self.job
        return f"JobView({j.job_id!r}, submit_time={j.submit_time!r}, num_gpus={j.num_gpus!r}, user={j.user!r}, vc={j.vc!r})"


class _Views:
    """A live, read-only view of the simulator's waiting or running jobs (a dict of Jobs) as JobViews."""

    __slots__ = ("jobs", "view")

    def __init__(self, jobs, view):
        self.jobs, self.view = jobs, view

    def __iter__(self):
        view = self.view
        return (view(j) for j in list(self.jobs))

    def __len__(self):
        return len(self.jobs)

    def __bool__(self):
        return bool(self.jobs)

    def __contains__(self, job):
        return getattr(job, "job", job) in self.jobs


class BlindSimulator:
    """The simulator as a policy with knows_durations = False sees it: jobs as JobViews, no remaining times."""

    def __init__(self, sim):
        self._sim, self._views = sim, {}
        self.waiting, self.running = _Views(sim.waiting, self.view), _Views(sim.running, self.view)
        self.finished = _Views(sim.finished, self.view)

    def view(self, job):
        """The one JobView of job."""
        v = self._views.get(job)
        if v is None:
            v = self._views[job] = JobView(job, self._sim.policy_name)
        return v

    def __getattr__(self, name):
        if name == "jobs":
            return [self.view(j) for j in self._sim.jobs]
        return getattr(self._sim, name)

    def remaining(self, job):
        """Hidden: a policy that does not know durations cannot know the remaining time either."""
        return self.view(getattr(job, "job", job)).remaining

    def attained(self, job):
        return self._sim.attained(getattr(job, "job", job))

    def held(self, job):
        return self._sim.held(getattr(job, "job", job))

    def start(self, job, placement=None):
        return self._sim.start(getattr(job, "job", job), placement)

    def reserve(self, job, placement):
        return self._sim.reserve(getattr(job, "job", job), placement)

    def preempt(self, job):
        return self._sim.preempt(getattr(job, "job", job))


class Policy(abc.ABC):
    """A scheduling policy: schedule(sim) runs after each batch of simultaneous events (and every `tick` seconds
    when tick is set) and starts, preempts or reserves jobs through the simulator."""

    name = None
    tick = None
    knows_durations = True  # False: the policy sees jobs without duration or remaining time (JobView), as a real
    #                         scheduler does; reading them raises DurationHidden

    def on_arrival(self, sim, job):
        """A job entered sim.waiting (hook for policies that keep their own queues)."""

    def on_completion(self, sim, job):
        """A job finished."""

    @abc.abstractmethod
    def schedule(self, sim):
        """Decide: sim.start(job[, placement]), sim.preempt(job), sim.reserve(job, placement)."""


class Simulator:
    """One run of a policy over a trace on a cluster; the policy reads the state below and calls the methods."""

    def __init__(self, jobs, cluster, policy, place=None):
        self.cluster, self.policy, self.place = cluster, policy, place
        self.policy_name = policy.name or type(policy).__name__
        self.jobs = [dataclasses.replace(j, remaining=j.duration, placement={}) for j in jobs]
        total_gpus = cluster.total_gpus
        for j in self.jobs:
            if j.num_gpus < 1:
                raise TraceError(f"row {j.row} (job {j.job_id}): asks for {j.num_gpus} GPUs; every job needs at least one")
            if j.num_gpus > total_gpus:
                raise TraceError(f"row {j.row} (job {j.job_id}): asks for {j.num_gpus} GPUs but the cluster has "
                                 f"{total_gpus} ({cluster.nodes} nodes x {cluster.gpus_per_node}): it could never run")
            span = math.ceil(j.num_gpus / cluster.gpus_per_node)  # nodes it needs at least
            if j.cpus > span * cluster.cpus_per_node or j.mem_gb > span * cluster.mem_per_node:
                raise TraceError(f"row {j.row} (job {j.job_id}): asks for {j.cpus:g} CPUs and {j.mem_gb:g} GB with "
                                 f"{j.num_gpus} GPUs, more than {span} node(s) of {cluster.cpus_per_node:g} CPUs and "
                                 f"{cluster.mem_per_node:g} GB hold: it could never run")
        if any(a.submit_time > b.submit_time for a, b in zip(self.jobs, self.jobs[1:])):
            self.jobs.sort(key=lambda j: j.submit_time)
        self.now = 0.0
        self.waiting = {}  # job -> None, in the order jobs (re-)entered the queue
        self.running = {}
        self.finished = []
        self.busy_gpus = 0  # GPUs of running jobs
        self.reserved_gpus = 0  # GPUs held by waiting jobs (partial allocations)
        self._events = []  # (time, seq, job, version): completions
        self._seq = 0
        self._sizes = {}  # GPUs asked -> number of waiting jobs
        self._slots = [list(range(cluster.gpus_per_node - 1, -1, -1)) for _ in range(cluster.nodes)]
        self._open = {}  # job -> [segment indices] while it holds GPUs
        self.segments = []  # [job_id, node, gpu slot, start, end]
        self.timeline = ([], [], [])  # times, busy GPUs, allocated GPUs (after each scheduling round)
        self.busy_integral = self.fragmentation_integral = 0.0
        # what the policy is handed: this simulator, or a view without durations for a policy that may not know them
        self.face = self if policy.knows_durations else BlindSimulator(self)

    # --- what a policy may ask -------------------------------------------------------------------------------
    def remaining(self, job):
        """Seconds of work the job still needs, now."""
        return job.remaining - (self.now - job.run_since) if job.run_since is not None else job.remaining

    def attained(self, job):
        """Seconds of service the job has had so far."""
        return job.duration - self.remaining(job)

    def held(self, job):
        """GPUs the job holds now (all of them when running, part when reserved)."""
        return sum(job.placement.values())

    # --- what a policy may do --------------------------------------------------------------------------------
    def start(self, job, placement=None):
        """Run a waiting job on placement {node: GPUs} (with what it has reserved), or on the default placement (the
        simulator's place(cluster, job) function when it has one, else best fit); return False when placement is None
        and the job does not fit now."""
        self._must_wait(job, "start")
        need = job.num_gpus - self.held(job)
        chooser = f"policy {self.policy_name}"
        if placement is None:
            if self.place is not None and need == job.num_gpus:
                placement = self.place(self.cluster, job)
                chooser = f"placement {getattr(self.place, '__name__', self.place)} (under policy {self.policy_name})"
            else:
                placement = self.cluster.place(need, job.cpus * need / job.num_gpus, job.mem_gb * need / job.num_gpus)
            if placement is None:
                return False
        if sum(placement.values()) != need:
            raise PolicyError(f"{chooser} started job {job.job_id} with {sum(placement.values())} GPUs "
                              f"{placement} (+{self.held(job)} reserved) but it needs {job.num_gpus}")
        self._take(job, placement, "start", chooser)
        self._run(job)
        return True

    def reserve(self, job, placement):
        """Hold GPUs {node: GPUs} for a waiting job without running it; it runs once it holds all it needs."""
        self._must_wait(job, "reserve GPUs for")
        if self.held(job) + sum(placement.values()) > job.num_gpus:
            raise PolicyError(f"policy {self.policy_name} reserved {sum(placement.values())} more GPUs for job "
                              f"{job.job_id}, which holds {self.held(job)} and needs {job.num_gpus}")
        self._take(job, placement, "reserve GPUs for")
        self.reserved_gpus += sum(placement.values())
        if self.held(job) == job.num_gpus:
            self.reserved_gpus -= job.num_gpus
            self._run(job)

    def preempt(self, job):
        """Stop a running job; it keeps its progress (checkpointed) and waits again at the end of the queue."""
        if job not in self.running:
            raise PolicyError(f"policy {self.policy_name} preempted job {job.job_id}, which is not running")
        job.remaining = self.remaining(job)
        job.run_since = None
        job.preemptions += 1
        job.version += 1
        del self.running[job]
        self.busy_gpus -= job.num_gpus
        self._release(job)
        self._enqueue(job)

    # --- bookkeeping ------------------------------------------------------------------------------------------
    def _must_wait(self, job, verb):
        if job not in self.waiting:
            state = "running" if job in self.running else "finished" if job.end_time is not None else "not yet submitted"
            raise PolicyError(f"policy {self.policy_name} tried to {verb} job {job.job_id}, which is {state}")

    def _take(self, job, placement, verb, who=None):
        """Check a whole placement against what is free, then take it; who chose it is named on error."""
        c, who = self.cluster, who or f"policy {self.policy_name}"
        for node, gpus in placement.items():
            if not (isinstance(node, int) and 0 <= node < c.nodes) or not isinstance(gpus, int) or gpus < 1:
                raise PolicyError(f"{who} tried to {verb} job {job.job_id} on {placement}: nodes are "
                                  f"0..{c.nodes - 1} and GPU counts positive integers")
            cpus, mem = job.cpus * gpus / job.num_gpus, job.mem_gb * gpus / job.num_gpus
            if not c.fits(node, gpus, cpus, mem):
                raise PolicyError(f"{who} tried to {verb} job {job.job_id} with {gpus} GPUs, {cpus:g} CPUs, "
                                  f"{mem:g} GB on node {node}, which has {c.free_gpus[node]} GPUs, {c.free_cpus[node]:g} CPUs, "
                                  f"{c.free_mem[node]:g} GB free at t={self.now:g}")
        for node, gpus in placement.items():
            c.take(node, gpus, job.cpus * gpus / job.num_gpus, job.mem_gb * gpus / job.num_gpus)
            job.placement[node] = job.placement.get(node, 0) + gpus
            opened = self._open.setdefault(job, [])
            for _ in range(gpus):
                opened.append(len(self.segments))
                self.segments.append([job.job_id, node, self._slots[node].pop(), self.now, None])

    def _release(self, job):
        """Give back every GPU the job holds."""
        for node, gpus in job.placement.items():
            self.cluster.give(node, gpus, job.cpus * gpus / job.num_gpus, job.mem_gb * gpus / job.num_gpus)
        for i in self._open.pop(job, []):
            seg = self.segments[i]
            seg[4] = self.now
            self._slots[seg[1]].append(seg[2])
        job.placement = {}

    def _run(self, job):
        del self.waiting[job]
        self._count(job, -1)
        self.running[job] = None
        self.busy_gpus += job.num_gpus
        job.run_since = self.now
        if job.start_time is None:
            job.start_time = self.now
        job.version += 1
        self._seq += 1
        heapq.heappush(self._events, (self.now + job.remaining, self._seq, job, job.version))

    def _enqueue(self, job):
        self.waiting[job] = None
        self._count(job, +1)

    def _count(self, job, delta):
        n = self._sizes.get(job.num_gpus, 0) + delta
        if n:
            self._sizes[job.num_gpus] = n
        else:
            del self._sizes[job.num_gpus]

    def _finish(self, job):
        job.remaining, job.run_since, job.end_time = 0.0, None, self.now
        del self.running[job]
        self.busy_gpus -= job.num_gpus
        self._release(job)
        self.finished.append(job)
        face = self.face
        self.policy.on_completion(face, job if face is self else face.view(job))

    def _advance(self, t):
        """Account for the time from now to t, then move the clock."""
        dt = t - self.now
        if dt > 0:
            self.busy_integral += self.busy_gpus * dt
            if self._sizes:
                self.fragmentation_integral += self.cluster.unusable_free_gpus(min(self._sizes)) * dt
        self.now = t

    def run(self):
        """Simulate until every job has finished (or nothing can change any more); return the Result."""
        collecting = gc.isenabled()
        gc.disable()  # the run makes no reference cycles; the cyclic collector would rescan every job, O(n^2) in all
        try:
            return self._loop()
        finally:
            if collecting:
                gc.enable()

    def _loop(self):
        """The event loop."""
        jobs, n, i = self.jobs, len(self.jobs), 0
        tick = self.policy.tick
        next_tick = tick if tick else math.inf
        events, deadlock = self._events, None
        face = self.face
        arrived = self.policy.on_arrival if face is self else lambda sim, job: self.policy.on_arrival(sim, face.view(job))
        times, busy, allocated = self.timeline
        while True:
            t = min(jobs[i].submit_time if i < n else math.inf, events[0][0] if events else math.inf)
            ticked = tick is not None and (self.waiting or self.running) and next_tick <= t
            if ticked:
                t = next_tick
            if t == math.inf:
                break
            self._advance(t)
            while events and events[0][0] <= t:
                _, _, job, version = heapq.heappop(events)
                if version == job.version:
                    self._finish(job)
            while i < n and jobs[i].submit_time <= t:
                self._enqueue(jobs[i])
                arrived(face, jobs[i])
                i += 1
            if tick is not None:
                while next_tick <= t:
                    next_tick += tick
            self.policy.schedule(face)
            times.append(t)
            busy.append(self.busy_gpus)
            allocated.append(self.busy_gpus + self.reserved_gpus)
            if not self.running and i == n and self.waiting and (tick is None or ticked):
                held = [j for j in self.waiting if j.placement]
                deadlock = (f"at t={t:g} no job runs, none will arrive and {len(self.waiting)} wait"
                            + (f"; {len(held)} of them hold part of their GPUs (e.g. job {held[0].job_id}: "
                               f"{self.held(held[0])} of {held[0].num_gpus}): a partial-allocation deadlock" if held else ""))
                break
        return Result(self, deadlock)


def simulate(jobs, cluster, policy, place=None):
    """Run policy over jobs on cluster; return the Result (metrics, timeline, segments). place(cluster, job), when
    given, chooses {node: GPUs} for every job the policy starts without a placement of its own (None: it does not
    fit now); without it the simulator places by best fit."""
    return Simulator(jobs, cluster, policy, place).run()
