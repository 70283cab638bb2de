"""Job traces: the CSV format, a loader for Microsoft's Philly job log, and a Philly-calibrated generator."""

import csv
import json
import math
import random
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REQUIRED = ("job_id", "submit_time", "duration", "num_gpus")
OPTIONAL = {"user": "default", "vc": "default", "cpus": 0.0, "mem_gb": 0.0}
SHIPPED = Path(__file__).resolve().parents[2] / "datasets" / "philly_synthetic.csv"
SHIPPED_RECIPE = "python -m aisys.scheduling generate --jobs 1000 --cluster-gpus 64 --load 0.9 --seed 0 --out {}"
PHILLY_GPU_MIX = {1: 0.70, 2: 0.10, 4: 0.15, 8: 0.05}  # share of jobs by GPUs asked for (Jeon et al., ATC'19)


class TraceError(ValueError):
    """A trace that cannot be simulated; the message names the file, row and field."""


@dataclass(eq=False, slots=True)
class Job:
    """One job of a trace, and the simulator's record of what happened to it (times in seconds)."""

    job_id: str
    submit_time: float
    duration: float
    num_gpus: int
    user: str = "default"
    vc: str = "default"
    cpus: float = 0.0
    mem_gb: float = 0.0
    row: int = 0  # the trace row it came from (1 = first data row), for error messages
    remaining: float = field(default=0.0, repr=False)  # seconds of work left when it last stopped or started
    start_time: float = field(default=None, repr=False)  # first start
    end_time: float = field(default=None, repr=False)
    run_since: float = field(default=None, repr=False)  # start of the current run, None while not running
    placement: dict = field(default_factory=dict, repr=False)  # node -> GPUs held (running or reserved)
    preemptions: int = field(default=0, repr=False)
    version: int = field(default=0, repr=False)  # bumped on every start/stop: stale completion events are skipped

    @property
    def gpu_seconds(self):
        """The GPU time the job needs."""
        return self.duration * self.num_gpus


def _number(text, kind, row, name, source):
    """A field parsed as int or float, or a TraceError naming it."""
    try:
        value = kind(float(text)) if kind is int else kind(text)
    except (TypeError, ValueError):
        raise TraceError(f"{source}, row {row}: {name}={text!r} is not a number") from None
    if not math.isfinite(value):
        raise TraceError(f"{source}, row {row}: {name}={text!r} is not a finite number")
    return value


def check_job(job, source):
    """Refuse values no simulation can use."""
    where = f"{source}, row {job.row} (job {job.job_id})"
    if job.duration <= 0:
        raise TraceError(f"{where}: duration {job.duration:g} s; durations must be positive")
    if job.submit_time < 0:
        raise TraceError(f"{where}: submit_time {job.submit_time:g} s is negative")
    if job.num_gpus < 1:
        raise TraceError(f"{where}: num_gpus={job.num_gpus}; every job needs at least one GPU")
    if job.cpus < 0 or job.mem_gb < 0:
        raise TraceError(f"{where}: cpus and mem_gb must not be negative")


def in_submit_order(jobs, source):
    """The jobs sorted by submit time (stable), with a warning when the trace was not."""
    if any(a.submit_time > b.submit_time for a, b in zip(jobs, jobs[1:])):
        warnings.warn(f"{source}: rows are not in submit_time order; sorted them", stacklevel=3)
        return sorted(jobs, key=lambda j: j.submit_time)
    return jobs


def load_csv(path):
    """Jobs from a CSV trace (columns job_id, submit_time, duration, num_gpus; optional user, vc, cpus, mem_gb)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise TraceError(f"{path}: missing column(s) {', '.join(missing)}; a trace needs {', '.join(REQUIRED)} "
                             f"(optional: {', '.join(OPTIONAL)}); see datasets/README.md")
        jobs, seen = [], set()
        for row, rec in enumerate(reader, start=1):
            job = Job(job_id=rec["job_id"], submit_time=_number(rec["submit_time"], float, row, "submit_time", path),
                      duration=_number(rec["duration"], float, row, "duration", path),
                      num_gpus=_number(rec["num_gpus"], int, row, "num_gpus", path),
                      user=rec.get("user") or OPTIONAL["user"], vc=rec.get("vc") or OPTIONAL["vc"],
                      cpus=_number(rec.get("cpus") or 0, float, row, "cpus", path),
                      mem_gb=_number(rec.get("mem_gb") or 0, float, row, "mem_gb", path), row=row)
            if job.job_id in seen:
                raise TraceError(f"{path}, row {row}: job_id {job.job_id!r} appears twice")
            seen.add(job.job_id)
            check_job(job, path)
            jobs.append(job)
    return in_submit_order(jobs, path)


def shipped():
    """The trace that ships in datasets/: 1000 Philly-like jobs for a 64-GPU cluster."""
    if not SHIPPED.exists():
        raise TraceError(f"{SHIPPED} is missing (aisys installed without the repository's datasets/?): make it with "
                         + SHIPPED_RECIPE.format(SHIPPED))
    return load_csv(SHIPPED)


def save_csv(jobs, path):
    """Write jobs in the CSV trace format."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*REQUIRED, *OPTIONAL])
        for j in jobs:
            w.writerow([j.job_id, f"{j.submit_time:.3f}", f"{j.duration:.3f}", j.num_gpus, j.user, j.vc, f"{j.cpus:g}", f"{j.mem_gb:g}"])


def _philly_time(text):
    """Seconds since the epoch from a Philly timestamp ('2017-10-03 18:36:01'), or None."""
    if not text or text == "None":
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").timestamp()


def load_philly(path):
    """Jobs from the Philly trace's cluster_job_log (JSON): GPUs of the first attempt, run time of all attempts.

    Jobs that never ran (no attempt with both times) are skipped with a warning; submit times start at 0."""
    try:
        with open(path, encoding="utf-8") as f:
            records = json.load(f)
    except json.JSONDecodeError as e:
        raise TraceError(f"{path}: not a Philly cluster_job_log (JSON): {e}") from None
    jobs, skipped = [], 0
    for row, rec in enumerate(records, start=1):
        attempts = [a for a in rec.get("attempts", []) if _philly_time(a.get("start_time")) and _philly_time(a.get("end_time"))]
        submitted = _philly_time(rec.get("submitted_time"))
        if not attempts or submitted is None:
            skipped += 1
            continue
        run = sum(_philly_time(a["end_time"]) - _philly_time(a["start_time"]) for a in attempts)
        gpus = sum(len(d.get("gpus", [])) for d in attempts[0].get("detail", []))
        if run <= 0 or gpus == 0:
            skipped += 1
            continue
        jobs.append(Job(job_id=str(rec["jobid"]), submit_time=submitted, duration=run, num_gpus=gpus,
                        user=rec.get("user") or "default", vc=rec.get("vc") or "default", row=row))
    if skipped:
        warnings.warn(f"{path}: skipped {skipped} job(s) that never ran or used no GPU", stacklevel=2)
    if not jobs:
        raise TraceError(f"{path}: no job with a start time, an end time and GPUs")
    jobs = in_submit_order(jobs, path)
    first = jobs[0].submit_time
    for j in jobs:
        j.submit_time -= first
    return jobs


def synthetic(num_jobs, cluster_gpus, load=0.9, seed=0, users=8, vcs=4, gpu_mix=None, node=(8, 64, 512)):
    """A Philly-like trace: Poisson arrivals at the given offered load, GPUs by Philly's mix, log-uniform
    durations (2 min to 10 h, plus a 5% tail of 10 h to 5 days), users by a Zipf law; each user's jobs ask for
    2-16 CPUs and 8-64 GB per GPU (a per-user profile), capped to what a node = (GPUs, CPUs, GB) holds."""
    rng = random.Random(seed)
    mix = gpu_mix or PHILLY_GPU_MIX
    sizes, weights = list(mix), list(mix.values())

    def duration():
        lo, hi = (36_000, 432_000) if rng.random() < 0.05 else (120, 36_000)
        return math.exp(rng.uniform(math.log(lo), math.log(hi)))

    specs = [(rng.choices(sizes, weights)[0], duration()) for _ in range(num_jobs)]
    rate = load * cluster_gpus / (sum(g * d for g, d in specs) / num_jobs)  # arrivals per second
    user_weights = [1 / (k + 1) for k in range(users)]
    profiles = [(rng.choice((2, 4, 8, 16)), rng.choice((8, 16, 32, 64))) for _ in range(users)]
    node_gpus, node_cpus, node_mem = node
    t, jobs = 0.0, []
    for i, (gpus, dur) in enumerate(specs):
        t += rng.expovariate(rate)
        u = rng.choices(range(users), user_weights)[0]
        nodes = math.ceil(gpus / node_gpus)
        jobs.append(Job(job_id=f"j{i}", submit_time=round(t, 3), duration=round(dur, 3), num_gpus=gpus,
                        user=f"u{u}", vc=f"vc{u % vcs}", cpus=min(gpus * profiles[u][0], nodes * node_cpus),
                        mem_gb=min(gpus * profiles[u][1], nodes * node_mem), row=i + 1))
    return jobs
