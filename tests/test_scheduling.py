"""The cluster simulator: queueing theory, exact accounting, policies' powers and limits, traces and the CLI."""

import json
import random
import subprocess
import sys

import numpy as np
import pytest

from aisys.scheduling import (FIFO, Cluster, DurationHidden, Job, Policy, PolicyError, TraceError, jain, load_csv,
                              load_philly, load_policy, save_csv, simulate, synthetic, worst_fit)
from tests.conftest import REPO

SHIPPED = REPO / "datasets" / "philly_synthetic.csv"


def jobs_of(*specs):
    """Jobs from (submit, duration, gpus[, user]) tuples."""
    return [Job(f"j{i}", s[0], s[1], s[2], user=s[3] if len(s) > 3 else "u", row=i + 1) for i, s in enumerate(specs)]


def test_fifo_on_one_gpu_matches_the_pollaczek_khinchine_formula():
    rng, lam, n = random.Random(7), 0.7, 200_000
    t, specs = 0.0, []
    for _ in range(n):
        t += rng.expovariate(lam)
        specs.append((t, rng.uniform(0.5, 1.5), 1))
    result = simulate(jobs_of(*specs), Cluster(1, 1), FIFO())
    es, es2 = 1.0, 1.0 + 1 / 12  # uniform(0.5, 1.5): mean 1, second moment 1 + variance
    rho = lam * es
    pk = lam * es2 / (2 * (1 - rho)) + es  # mean time in system of M/G/1
    assert result.metrics()["avg_jct"] == pytest.approx(pk, rel=0.03)


def test_every_gpu_second_is_accounted_for_and_no_gpu_is_shared():
    jobs = synthetic(600, 32, load=1.2, seed=3)
    result = simulate(jobs, Cluster(4, 8), FIFO())
    assert len(result.jobs) == 600 and not result.unfinished
    assert result.busy_integral == pytest.approx(sum(j.gpu_seconds for j in result.jobs), rel=1e-9)
    assert all(j.end_time - j.start_time == pytest.approx(j.duration) for j in result.jobs)
    assert result.busy.max() <= 32
    per_gpu = {}
    for job, node, slot, start, end in result.segments:
        per_gpu.setdefault((node, slot), []).append((start, end))
    for spans in per_gpu.values():
        spans.sort()
        assert all(a_end <= b_start + 1e-9 for (_, a_end), (b_start, _) in zip(spans, spans[1:]))
    m = result.metrics()
    assert 0 < m["utilization"] <= 1 and m["makespan"] >= max(j.end_time for j in result.jobs) - jobs[0].submit_time - 1e-6


def test_fifo_blocks_at_the_head_of_the_line():
    result = simulate(jobs_of((0, 10, 4), (1, 10, 8), (2, 1, 1)), Cluster(1, 8), FIFO())
    ends = {j.job_id: j.end_time for j in result.jobs}
    assert ends["j2"] > ends["j1"] == 20  # the 1-GPU job waited behind the 8-GPU one although 4 GPUs were free


class ShortestFirstPreemptive(Policy):
    """A small SRTF for the tests: whenever something changes, run the shortest remaining jobs that fit."""

    def schedule(self, sim):
        for job in sorted(sim.running, key=sim.remaining, reverse=True):
            if any(sim.remaining(w) < sim.remaining(job) for w in sim.waiting):
                sim.preempt(job)
        for job in sorted(sim.waiting, key=sim.remaining):
            sim.start(job)


def test_preempted_jobs_keep_their_progress():
    result = simulate(jobs_of((0, 10, 1), (2, 1, 1), (3, 1, 1)), Cluster(1, 1), ShortestFirstPreemptive())
    by = {j.job_id: j for j in result.jobs}
    assert by["j0"].preemptions == 1 and by["j0"].end_time == pytest.approx(12)
    assert by["j1"].end_time == pytest.approx(3) and by["j2"].end_time == pytest.approx(4)
    assert result.busy_integral == pytest.approx(12)


class RoundRobinGPUs(Policy):
    """No gang scheduling: hand out free GPUs one at a time to the waiting jobs in turn."""

    def schedule(self, sim):
        progress = True
        while progress:
            progress = False
            for job in list(sim.waiting):
                node = next((n for n in range(sim.cluster.nodes) if sim.cluster.free_gpus[n]), None)
                if node is not None and job in sim.waiting:
                    sim.reserve(job, {node: 1})
                    progress = True


def test_partial_allocation_deadlocks_and_is_reported():
    result = simulate(jobs_of((0, 5, 8), (0, 5, 8)), Cluster(2, 4), RoundRobinGPUs())
    assert result.jobs == [] and len(result.unfinished) == 2
    assert "partial-allocation deadlock" in result.deadlock and "4 of 8" in result.deadlock
    with pytest.raises(ValueError, match="no job finished"):
        result.metrics()


class Greedy(Policy):
    """Starts every waiting job on node 0, whatever is free there."""

    name = "greedy"

    def schedule(self, sim):
        for job in list(sim.waiting):
            sim.start(job, {0: job.num_gpus})


def test_a_policy_that_over_allocates_a_node_is_stopped_with_its_decision():
    with pytest.raises(PolicyError, match=r"policy greedy tried to start job j1 with 4 GPUs.* on node 0, which has 2 GPUs"):
        simulate(jobs_of((0, 5, 6), (1, 5, 4)), Cluster(2, 8), Greedy())


def test_policies_cannot_act_on_jobs_that_are_not_waiting_or_running():
    class Twice(Policy):
        def schedule(self, sim):
            for job in list(sim.waiting):
                sim.start(job)
                sim.start(job)

    with pytest.raises(PolicyError, match="which is running"):
        simulate(jobs_of((0, 1, 1)), Cluster(1, 1), Twice())


def test_ticks_call_the_policy_between_events():
    calls = []

    class Ticker(FIFO):
        tick = 2.0

        def schedule(self, sim):
            calls.append(sim.now)
            super().schedule(sim)

    simulate(jobs_of((0, 7, 1)), Cluster(1, 1), Ticker())
    assert calls == [0, 2, 4, 6, 7]


class Blind(Policy):
    """Least attained service first, without durations: preempts for the job with the least service."""

    name = "blind"
    knows_durations = False
    tick = 1.0

    def __init__(self, peek=None):
        self.peek, self.seen = peek, []

    def on_arrival(self, sim, job):
        self.seen.append(("arrival", job.job_id, job in sim.waiting))

    def on_completion(self, sim, job):
        self.seen.append(("completion", job.job_id, job.end_time))

    def schedule(self, sim):
        if self.peek:
            self.peek(sim)
        for job in sorted([*sim.running, *sim.waiting], key=lambda j: (sim.attained(j), j.submit_time))[1:]:
            if job in sim.running:
                sim.preempt(job)
        for job in sorted(sim.waiting, key=lambda j: (sim.attained(j), j.submit_time)):
            sim.start(job)


def test_a_policy_that_does_not_know_durations_sees_jobs_without_them():
    policy = Blind()
    result = simulate(jobs_of((0, 3, 1), (1, 1, 1)), Cluster(1, 1), policy)
    assert {j.job_id: j.end_time for j in result.jobs} == {"j0": 4.0, "j1": 2.0}  # attained service, not durations
    assert ("arrival", "j1", True) in policy.seen and ("completion", "j1", 2.0) in policy.seen
    for peek in (lambda sim: [j.duration for j in sim.waiting], lambda sim: [sim.remaining(j) for j in sim.waiting],
                 lambda sim: [j.remaining for j in sim.jobs], lambda sim: [j.gpu_seconds for j in sim.waiting]):
        with pytest.raises(DurationHidden, match="a LAS policy may not know a job's duration: policy blind"):
            simulate(jobs_of((0, 3, 1)), Cluster(1, 1), Blind(peek))
    with pytest.raises(AttributeError, match="may not set job.duration"):
        simulate(jobs_of((0, 3, 1)), Cluster(1, 1), Blind(lambda sim: setattr(next(iter(sim.waiting)), "duration", 1)))


def test_a_placement_function_places_what_the_policy_starts():
    jobs = jobs_of((0, 10, 1), (0, 10, 1), (0, 10, 1), (1, 10, 8))
    spread = simulate(jobs, Cluster(4, 8), FIFO(), place=worst_fit)
    nodes = {s[0]: s[1] for s in spread.segments}
    assert [nodes[f"j{i}"] for i in range(3)] == [0, 1, 2] and nodes["j3"] == 3  # spread; the 8-GPU job gets node 3
    packed = simulate(jobs, Cluster(4, 8), FIFO())
    assert len({s[1] for s in packed.segments if s[0] != "j3"}) == 1  # the default packs them on one node

    def wrong(cluster, job):
        return {0: job.num_gpus + 1}

    with pytest.raises(PolicyError, match="placement wrong .under policy fifo. started job j0 with 2 GPUs"):
        simulate(jobs_of((0, 1, 1)), Cluster(1, 8), FIFO(), place=wrong)

    def busy_node(cluster, job):
        return {0: job.num_gpus}

    with pytest.raises(PolicyError, match=r"placement busy_node \(under policy fifo\) tried to start job j1 with 8 GPUs"):
        simulate(jobs_of((0, 5, 4), (1, 5, 8)), Cluster(2, 8), FIFO(), place=busy_node)


def test_worst_fit_spreads_and_takes_whole_nodes_for_big_jobs():
    c = Cluster(3, 8)
    c.take(0, 2)
    c.take(1, 6)
    assert worst_fit(c, Job("a", 0, 1, 2)) == {2: 2}
    assert worst_fit(c, Job("b", 0, 1, 16)) is None  # only node 2 is whole
    assert worst_fit(c, Job("c", 0, 1, 12)) is None  # not a multiple of the node size
    c.give(0, 2)
    assert worst_fit(c, Job("d", 0, 1, 16, cpus=64)) == {0: 8, 2: 8}
    assert worst_fit(c, Job("e", 0, 1, 1, cpus=200)) is None


def test_best_fit_breaks_ties_by_the_lowest_node_number_whatever_order_nodes_changed_in():
    c = Cluster(4, 8)
    for node in (3, 2, 0):  # three nodes reach 4 free GPUs, node 3 first
        c.take(node, 4)
    assert c.best_fit(2) == 0 and c.place(2) == {0: 2}
    assert c.worst_fit(2) == 1
    c.take(1, 8)
    assert c.worst_fit(2) == 0  # a tie of 4 free GPUs on nodes 0, 2 and 3
    for node in (3, 2, 0, 1):  # every node whole again, node 3 first
        c.give(node, 8 if node == 1 else 4)
    assert c.place(20) == {0: 8, 1: 8, 2: 4} and c.whole_nodes(2) == [0, 1]
    assert c.best_fit(1, cpus=65) is None


def test_fragmentation_counts_free_gpus_no_waiting_job_can_use():
    result = simulate(jobs_of((0, 10, 3), (0, 10, 3), (0, 1, 2)), Cluster(2, 4), FIFO())
    # for 10 s the 2-GPU job waits while each node has 1 free GPU: 2 unusable GPUs of 8
    assert result.fragmentation_integral == pytest.approx(2 * 10)


def test_jain_index():
    assert jain([1, 1, 1]) == pytest.approx(1) and jain([1, 0, 0, 0]) == pytest.approx(0.25)


def test_synthetic_traces_follow_philly_and_repeat_with_the_seed():
    jobs = synthetic(20_000, 1000, load=0.8, seed=1)
    share = {g: sum(j.num_gpus == g for j in jobs) / len(jobs) for g in (1, 2, 4, 8)}
    assert share == pytest.approx({1: 0.70, 2: 0.10, 4: 0.15, 8: 0.05}, abs=0.01)
    offered = sum(j.gpu_seconds for j in jobs) / (1000 * jobs[-1].submit_time)
    assert offered == pytest.approx(0.8, rel=0.1)
    durations = np.array([j.duration for j in jobs])
    assert durations.min() >= 120 and np.percentile(durations, 99) > 36_000  # a long tail
    assert [j.duration for j in synthetic(50, 64, seed=4)] == [j.duration for j in synthetic(50, 64, seed=4)]


def write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("body, message", [
    ("job_id,submit_time,num_gpus\na,0,1\n", "missing column\\(s\\) duration"),
    ("job_id,submit_time,duration,num_gpus\na,0,10,1\nb,1,-5,1\n", "row 2 \\(job b\\): duration -5 s"),
    ("job_id,submit_time,duration,num_gpus\na,0,ten,1\n", "row 1: duration='ten' is not a number"),
    ("job_id,submit_time,duration,num_gpus\na,0,1,0\n", "row 1 \\(job a\\): num_gpus=0"),
    ("job_id,submit_time,duration,num_gpus\na,0,1,1\na,1,1,1\n", "row 2: job_id 'a' appears twice"),
])
def test_bad_traces_name_the_row_and_the_field(tmp_path, body, message):
    with pytest.raises(TraceError, match=message):
        load_csv(write(tmp_path / "t.csv", body))


def test_a_job_larger_than_the_cluster_is_refused_with_its_row(tmp_path):
    jobs = load_csv(write(tmp_path / "t.csv", "job_id,submit_time,duration,num_gpus\na,0,1,4\nbig,1,1,16\n"))
    with pytest.raises(TraceError, match="row 2 \\(job big\\): asks for 16 GPUs but the cluster has 8"):
        simulate(jobs, Cluster(1, 8), FIFO())


def test_an_unsorted_trace_is_sorted_with_a_warning(tmp_path):
    path = write(tmp_path / "t.csv", "job_id,submit_time,duration,num_gpus,user\na,5,1,1,x\nb,1,1,2,y\n")
    with pytest.warns(UserWarning, match="not in submit_time order; sorted"):
        jobs = load_csv(path)
    assert [j.job_id for j in jobs] == ["b", "a"] and jobs[0].user == "y"


def test_csv_round_trip(tmp_path):
    jobs = synthetic(30, 16, seed=2)
    save_csv(jobs, tmp_path / "t.csv")
    back = load_csv(tmp_path / "t.csv")
    assert [(j.job_id, j.num_gpus, j.user, j.vc, j.cpus) for j in back] == [(j.job_id, j.num_gpus, j.user, j.vc, j.cpus) for j in jobs]
    assert [j.duration for j in back] == pytest.approx([j.duration for j in jobs], abs=1e-3)


def test_philly_job_log(tmp_path):
    def attempt(start, end, gpus):
        return {"start_time": start, "end_time": end, "detail": [{"ip": "m1", "gpus": [f"gpu{i}" for i in range(gpus)]}]}

    log = [
        {"status": "Pass", "vc": "vc1", "jobid": "application_1", "user": "alice", "submitted_time": "2017-10-03 18:00:00",
         "attempts": [attempt("2017-10-03 18:00:10", "2017-10-03 18:10:10", 4)]},
        {"status": "Killed", "vc": "vc2", "jobid": "application_2", "user": "bob", "submitted_time": "2017-10-03 18:05:00",
         "attempts": [attempt("2017-10-03 18:06:00", "2017-10-03 18:07:00", 1), attempt("2017-10-03 18:08:00", "2017-10-03 18:09:30", 1)]},
        {"status": "Failed", "vc": "vc2", "jobid": "application_3", "user": "bob", "submitted_time": "2017-10-03 18:06:00",
         "attempts": [{"start_time": "None", "end_time": "None", "detail": []}]},
    ]
    path = tmp_path / "cluster_job_log"
    path.write_text(json.dumps(log))
    with pytest.warns(UserWarning, match="skipped 1 job"):
        jobs = load_philly(path)
    assert [(j.job_id, j.submit_time, j.duration, j.num_gpus, j.user, j.vc) for j in jobs] == [
        ("application_1", 0.0, 600.0, 4, "alice", "vc1"), ("application_2", 300.0, 150.0, 1, "bob", "vc2")]
    with pytest.raises(TraceError, match="not a Philly cluster_job_log"):
        load_philly(write(tmp_path / "bad.json", "{oops"))


def test_policies_by_name_or_module_and_unknown_ones(tmp_path, monkeypatch):
    assert isinstance(load_policy("FIFO"), FIFO)
    (tmp_path / "mypolicies.py").write_text("from aisys.scheduling import FIFO\nclass Mine(FIFO):\n    name = 'mine'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_policy("mypolicies:Mine").name == "mine"
    with pytest.raises(ValueError, match="unknown policy 'srtf': use one of fifo or 'module:Class'"):
        load_policy("srtf")
    with pytest.raises(ValueError, match="no Policy subclass named 'Nope'"):
        load_policy("mypolicies:Nope")


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "aisys.scheduling", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_simulates_the_shipped_trace_and_writes_json(tmp_path):
    out = tmp_path / "m.json"
    run = cli("simulate", "--trace", str(SHIPPED), "--nodes", "8", "--gpus-per-node", "8", "--policy", "fifo", "--json", str(out))
    assert run.returncode == 0, run.stderr
    m = json.loads(out.read_text())
    assert {"avg_jct", "p95_jct", "avg_queue_delay", "makespan", "utilization", "num_jobs"} <= set(m)
    assert m["num_jobs"] == len(load_csv(SHIPPED)) and f"{m['avg_jct']:.6g}" in run.stdout


def test_cli_errors_name_the_problem(tmp_path):
    bad = write(tmp_path / "t.csv", "job_id,submit_time,duration\na,0,1\n")
    run = cli("simulate", "--trace", str(bad), "--nodes", "1", "--gpus-per-node", "8")
    assert run.returncode == 2 and "missing column(s) num_gpus" in run.stderr
    run = cli("simulate", "--trace", str(SHIPPED), "--nodes", "1", "--gpus-per-node", "8", "--policy", "nope")
    assert run.returncode == 2 and "unknown policy 'nope'" in run.stderr


def test_cli_generate_then_simulate_a_user_policy(tmp_path):
    assert cli("generate", "--jobs", "40", "--cluster-gpus", "16", "--seed", "5", "--out", str(tmp_path / "g.csv")).returncode == 0
    (tmp_path / "pol.py").write_text("from aisys.scheduling import FIFO\nclass Mine(FIFO):\n    name = 'mine'\n")
    run = cli("simulate", "--trace", "g.csv", "--nodes", "2", "--gpus-per-node", "8", "--policy", "pol:Mine", cwd=tmp_path)
    assert run.returncode == 0 and "policy: mine" in run.stdout and "num_jobs: 40" in run.stdout


def test_the_benchmark_refuses_an_unknown_policy_and_names_the_valid_ones():
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "scheduling.py"), "--policy", "fifo,LAS"],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 2 and "unknown policy 'LAS'; choose from FIFO, SRTF, DRF" in run.stderr, run.stderr


def test_metrics_of_a_run_with_unfinished_jobs_are_refused_unless_asked_for():
    result = simulate(jobs_of((0, 1, 1), (2, 5, 8), (2, 5, 8)), Cluster(2, 4), RoundRobinGPUs())
    assert [j.job_id for j in result.jobs] == ["j0"] and len(result.unfinished) == 2
    with pytest.raises(ValueError, match="2 job\\(s\\) never finished .*partial-allocation deadlock.*metrics\\(partial=True\\)"):
        result.metrics()
    partial = result.metrics(partial=True)
    assert partial["num_jobs"] == 1 and partial["unfinished"] == 2


def test_a_job_whose_cpus_fit_no_node_is_refused_with_its_row():
    jobs = [Job("cpu-hungry", 0, 10, 2, cpus=80, row=7)]
    with pytest.raises(TraceError, match="row 7 \\(job cpu-hungry\\): asks for 80 CPUs .* more than 1 node\\(s\\) of 64 CPUs"):
        simulate(jobs, Cluster(4, 8), FIFO())


def test_the_shipped_trace_is_what_its_recipe_makes(tmp_path, monkeypatch):
    from aisys.scheduling import shipped, trace

    recipe = trace.SHIPPED_RECIPE.format(tmp_path / "again.csv").split()[3:]
    assert cli(*recipe).returncode == 0
    assert (tmp_path / "again.csv").read_text() == SHIPPED.read_text()
    assert len(shipped()) == 1000
    monkeypatch.setattr(trace, "SHIPPED", tmp_path / "gone.csv")
    with pytest.raises(TraceError, match="gone.csv is missing .* make it with python -m aisys.scheduling generate"):
        shipped()


def test_plots_draw_every_segment_and_one_line_per_policy():
    import matplotlib

    matplotlib.use("Agg")
    from aisys.scheduling import plots

    results = {"FIFO": simulate(jobs_of((0, 10, 4), (1, 10, 8), (2, 1, 1)), Cluster(1, 8), FIFO()),
               "SRTF": simulate(jobs_of((0, 10, 1), (2, 1, 1)), Cluster(1, 1), ShortestFirstPreemptive())}
    ax = plots.occupancy(results["FIFO"])
    assert len(ax.patches) == 4 + 8 + 1  # one bar per GPU a job held
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"n0.g{i}" for i in range(8)]
    assert len(plots.jct_cdf(results).get_lines()) == 2
    lines = plots.utilization(results).get_lines()
    assert [max(line.get_ydata()) for line in lines] == [1.0, 1.0]


def test_a_policy_without_schedule_cannot_be_made():
    class Empty(Policy):
        pass

    with pytest.raises(TypeError, match="abstract method 'schedule'|abstract method schedule"):
        Empty()
