"""aisys.serving: a real server process on a free port, spoken to by real HTTP clients (tritonclient, aiohttp, requests)."""

import json

import numpy as np
import pytest
import requests
import torch

from aisys.serving import (BatchPolicy, Decision, DynamicBatching, FirstCome, NoBatching, Scheduler, ServerProcess, Stream,
                           infer_url, output_array, request_json, run_load, save_version, simulate, simulate_models)


class Raises(BatchPolicy):
    """A broken batching policy: its requests must get 500, not take the server down."""

    def decide(self, now, waiting):
        raise RuntimeError("broken policy")


def tiny(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)).eval()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A repository with 'digits' versions 1 and 2 (ONNX Runtime) and 'torchy' (an exported program), served."""
    repo = tmp_path_factory.mktemp("repo")
    models = {1: tiny(1), 2: tiny(2)}
    for version, model in models.items():
        save_version(repo, "digits", version, model, torch.zeros(1, 1, 8, 8))
    save_version(repo, "torchy", 1, tiny(3), torch.zeros(2, 1, 8, 8), backend="pytorch")
    save_version(repo, "broken", 1, tiny(4), torch.zeros(1, 1, 8, 8))
    server = ServerProcess(repo, policies={"broken": Raises()}, max_body=64 * 1024)
    yield server, models, repo
    assert server.stop() == 0, server.log_tail()
    assert server.process.poll() is not None


def x_of(n, seed=0):
    return np.random.default_rng(seed).random((n, 1, 8, 8), dtype=np.float32)


def local(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def test_tritonclient_reads_health_metadata_and_infers_unchanged(served):
    import tritonclient.http as httpclient

    server, models, _ = served
    client = httpclient.InferenceServerClient(server.url.removeprefix("http://"))
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("digits")
    meta = client.get_model_metadata("digits")
    assert meta["inputs"][0] == {"name": "input", "datatype": "FP32", "shape": [-1, 1, 8, 8]}
    assert meta["versions"] == ["1", "2"]
    x = x_of(5)
    for binary in (True, False):
        inp = httpclient.InferInput("input", list(x.shape), "FP32")
        inp.set_data_from_numpy(x, binary_data=binary)
        out = httpclient.InferRequestedOutput("output", binary_data=binary)
        result = client.infer("digits", [inp], outputs=[out], model_version="1")
        np.testing.assert_allclose(result.as_numpy("output"), local(models[1], x), atol=1e-5)
    client.close()


def test_json_infer_names_the_version_and_the_pytorch_backend_agrees(served):
    server, models, _ = served
    x = x_of(3, seed=1)
    reply = requests.post(infer_url(server.url, "digits", 2), json=request_json("input", x, request_id="abc")).json()
    assert reply["model_version"] == "2" and reply["id"] == "abc"
    np.testing.assert_allclose(output_array(reply), local(models[2], x), atol=1e-5)
    reply = requests.post(infer_url(server.url, "torchy"), json=request_json("input", x)).json()
    np.testing.assert_allclose(output_array(reply), local(tiny(3), x), atol=1e-5)


BAD = {
    "malformed JSON": ("digits", b'{"inputs": [', 400, "malformed JSON"),
    "not an object": ("digits", b"[1, 2]", 400, "JSON object"),
    "wrong shape": ("digits", json.dumps(request_json("input", x_of(1).reshape(1, 64))).encode(), 400, "shape [1, 64]"),
    "wrong datatype": ("digits", json.dumps(request_json("input", x_of(1).astype(np.float64))).encode(), 400, "FP64"),
    "too few values": ("digits", json.dumps({"inputs": [{"name": "input", "shape": [1, 1, 8, 8], "datatype": "FP32",
                                                         "data": [0.5] * 10}]}).encode(), 400, "10 values"),
    "unknown input": ("digits", json.dumps({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}).encode(),
                      400, "unknown input 'x'"),
    "unknown model": ("nope", json.dumps(request_json("input", x_of(1))).encode(), 404, "unknown model 'nope'"),
    "over the size limit": ("digits", json.dumps(request_json("input", x_of(64))).encode(), 413, "limit"),
    "a policy that raises": ("broken", json.dumps(request_json("input", x_of(1))).encode(), 500, "broken policy"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_requests_get_the_protocol_error_and_the_server_keeps_serving(served, case):
    server, models, _ = served
    model, body, status, words = BAD[case]
    reply = requests.post(infer_url(server.url, model), data=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == status, reply.text
    assert words in reply.json()["error"]
    x = x_of(2)
    good = requests.post(infer_url(server.url, "digits", 1), json=request_json("input", x))
    assert good.status_code == 200
    np.testing.assert_allclose(output_array(good.json()), local(models[1], x), atol=1e-5)


def test_an_unknown_version_is_404_naming_the_loaded_ones(served):
    server, _, _ = served
    reply = requests.post(infer_url(server.url, "digits", 7), json=request_json("input", x_of(1)))
    assert reply.status_code == 404 and "loaded: [1, 2]" in reply.json()["error"]
    assert requests.get(f"{server.url}/v2/models/digits/versions/7/ready").status_code == 404


def test_promote_and_rollback_switch_the_default_version_while_serving(served):
    server, models, repo = served
    base = f"{server.url}/v2/repository/models/digits"
    default = lambda: requests.post(infer_url(server.url, "digits"), json=request_json("input", x_of(1))).json()["model_version"]
    assert default() == "2"
    assert requests.post(f"{base}/promote", json={"version": 1}).json()["version"] == "1"
    assert default() == "1"
    assert requests.post(f"{base}/rollback").json()["version"] == "2"
    assert default() == "2"
    assert requests.post(f"{base}/rollback").status_code == 400
    assert requests.post(f"{base}/promote", json={"version": 9}).status_code == 404
    save_version(repo, "digits", 3, tiny(5), torch.zeros(1, 1, 8, 8))
    assert requests.post(f"{base}/load").json()["versions"] == ["1", "2", "3"]
    assert requests.post(infer_url(server.url, "digits", 3), json=request_json("input", x_of(1))).status_code == 200


def test_metrics_count_requests_by_status_and_batch_sizes(served):
    server, _, _ = served
    requests.post(infer_url(server.url, "digits"), data=b"{", headers={"Content-Type": "application/json"})
    requests.post(infer_url(server.url, "digits"), json=request_json("input", x_of(1)))
    text = requests.get(f"{server.url}/metrics").text
    assert 'aisys_requests_total{code="400",model="digits"}' in text
    assert 'aisys_requests_total{code="200",model="digits"}' in text
    assert 'aisys_batch_size_count{model="digits"}' in text and "aisys_queue_seconds_bucket" in text


def test_open_and_closed_loop_load_lose_no_request(served):
    server, _, _ = served
    open_loop = run_load(server.url, "digits", x_of(1), rate=200, duration=0.5).summary()
    assert open_loop["failed"] == 0 and open_loop["requests"] > 50
    assert 0 < open_loop["p50_ms"] <= open_loop["p99_ms"]
    closed = run_load(server.url, "digits", x_of(1), clients=4, duration=0.5).summary()
    assert closed["failed"] == 0 and closed["throughput_rps"] > 0


def test_dynamic_batching_runs_full_batches_or_waits_at_most_the_delay():
    arrivals = [0.0, 0.001, 0.002, 0.003, 0.0035, 0.006, 0.100]
    replay = simulate(DynamicBatching(max_batch_size=4, max_delay=0.005), arrivals, cost=lambda n: 0.001)
    assert replay.sizes() == [4, 2, 1]
    assert [round(s, 4) for s, _, _ in replay.batches] == [0.003, 0.0085, 0.105]
    assert simulate(NoBatching(), arrivals, cost=lambda n: 0.001).sizes() == [1] * 7


def test_a_policy_that_waits_forever_or_takes_too_many_is_refused_with_a_reason():
    class Never(BatchPolicy):
        def decide(self, now, waiting):
            return Decision(0)

    class Greedy(BatchPolicy):
        def decide(self, now, waiting):
            return Decision(len(waiting) + 1)

    with pytest.raises(ValueError, match="waits forever"):
        simulate(Never(), [0.0, 1.0], cost=lambda n: 0.1)
    with pytest.raises(ValueError, match="take 2 of 1"):
        simulate(Greedy(), [0.0], cost=lambda n: 0.1)


def test_a_client_that_disconnects_mid_request_does_not_disturb_the_others(served):
    import socket

    server, models, _ = served
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"inputs\": [")
    x = x_of(2, seed=3)
    good = requests.post(infer_url(server.url, "digits", 1), json=request_json("input", x))
    assert good.status_code == 200
    np.testing.assert_allclose(output_array(good.json()), local(models[1], x), atol=1e-5)


def test_sigterm_answers_the_queued_requests_before_exiting(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    save_version(tmp_path, "digits", 1, tiny(1), torch.zeros(1, 1, 8, 8))
    server = ServerProcess(tmp_path, policies={"digits": DynamicBatching(max_batch_size=64, max_delay=1.0)})
    with ThreadPoolExecutor(4) as pool:
        replies = [pool.submit(requests.post, infer_url(server.url, "digits"), json=request_json("input", x_of(1, seed=i)))
                   for i in range(4)]
        import time

        time.sleep(0.3)  # the four wait in the queue for their batch (max_delay 1 s)
        assert server.stop() == 0, server.log_tail()
        assert [r.result().status_code for r in replies] == [200] * 4


def test_the_load_command_prints_percentiles_and_writes_json(served, tmp_path):
    import subprocess
    import sys

    server, _, _ = served
    out = tmp_path / "load.json"
    done = subprocess.run([sys.executable, "-m", "aisys.serving", "load", "--url", server.url, "--model", "digits",
                           "--rate", "100", "--duration", "0.5", "--malformed", "0.1", "--json", str(out)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "p99_ms=" in done.stdout
    summary = json.loads(out.read_text())
    assert summary["failed"] == 0 and summary["requests"] > 20 and summary["p50_ms"] <= summary["p99_ms"]


def test_malformed_requests_mixed_into_the_load_are_refused_and_no_valid_one_fails(served):
    server, _, _ = served
    for mode in ({"rate": 300}, {"clients": 4}):
        summary = run_load(server.url, "digits", x_of(1), duration=0.5, malformed=0.2, **mode).summary()
        assert summary["malformed"] > 5 and summary["malformed_refused"] == summary["malformed"], summary
        assert summary["failed"] == 0 and summary["requests"] > 20, summary


def test_simulate_tells_the_policy_each_batch_size_and_time():
    class Recorder(DynamicBatching):
        seen = []

        def observe(self, size, seconds):
            self.seen.append((size, round(seconds, 6)))

    policy = Recorder(max_batch_size=2, max_delay=0.001)
    simulate(policy, [0.0, 0.0, 0.0], cost=lambda n: 0.001 * n)
    assert policy.seen == [(2, 0.002), (1, 0.001)]


class FixedBatch(torch.nn.Module):
    """A version exported with its batch size baked in (reshape to 1 row): ONNX Runtime fails on any larger batch."""

    def __init__(self, seed):
        super().__init__()
        self.net = tiny(seed)

    def forward(self, x):
        return self.net(x.reshape(1, 64))


def test_a_canary_gets_its_exact_share_and_a_failing_canary_fails_no_request(tmp_path):
    save_version(tmp_path, "digits", 1, tiny(1), torch.zeros(1, 1, 8, 8))
    save_version(tmp_path, "digits", 2, FixedBatch(2), torch.zeros(1, 1, 8, 8))
    with ServerProcess(tmp_path) as server:
        base = f"{server.url}/v2/repository/models/digits"
        requests.post(f"{base}/promote", json={"version": 1})  # the newest version is served at start
        assert requests.post(f"{base}/canary", json={"version": 2, "weight": 1.5}).status_code == 400
        assert requests.post(f"{base}/canary", json={"version": 1, "weight": 0.5}).status_code == 400  # already served
        assert requests.post(f"{base}/canary", json={"version": 2, "weight": 0.25}).json()["canary"] == {"version": "2", "weight": 0.25}
        one, two = x_of(1), x_of(2, seed=4)
        answered = [requests.post(infer_url(server.url, "digits"), json=request_json("input", one)).json()["model_version"]
                    for _ in range(8)]
        assert answered.count("2") == 2, answered  # a quarter, in turn
        replies = [requests.post(infer_url(server.url, "digits"), json=request_json("input", two)) for _ in range(4)]
        assert [r.status_code for r in replies] == [200] * 4  # the canary failed one: the served version answered it
        assert [r.json()["model_version"] for r in replies] == ["1"] * 4
        np.testing.assert_allclose(output_array(replies[0].json()), local(tiny(1), two), atol=1e-5)
        window = requests.post(f"{base}/observations").json()
        assert window["2"]["requests"] == 3 and window["2"]["errors"] == 1, window
        assert window["1"]["requests"] == 10 and window["1"]["errors"] == 0 and len(window["1"]["latencies_ms"]) == 10
        assert requests.post(f"{base}/observations").json() == {}  # a new window
        assert requests.post(f"{base}/rollback").json() == {"name": "digits", "version": "1", "canary": None}
        assert requests.post(infer_url(server.url, "digits", 2), json=request_json("input", two)).status_code == 500  # named: no retry


def test_run_canary_promotes_or_rolls_back_as_the_verdict_says(tmp_path):
    save_version(tmp_path, "digits", 1, tiny(1), torch.zeros(1, 1, 8, 8))
    save_version(tmp_path, "digits", 2, tiny(2), torch.zeros(1, 1, 8, 8))
    with ServerProcess(tmp_path) as server:
        from concurrent.futures import ThreadPoolExecutor

        from aisys.serving import run_canary

        requests.post(f"{server.url}/v2/repository/models/digits/promote", json={"version": 1})

        seen = lambda windows: "promote" if sum(w.requests for w in windows) >= 5 else "wait"
        with ThreadPoolExecutor(1) as pool:
            load = pool.submit(run_load, server.url, "digits", x_of(1), rate=100, duration=1.0)
            outcome, windows = run_canary(server.url, "digits", 2, 0.5, seen, every=0.1, timeout=5)
            assert load.result().summary()["failed"] == 0
        assert outcome == "promoted" and sum(w.requests for w in windows) >= 5 and windows[-1].p99_ms > 0
        assert requests.post(infer_url(server.url, "digits"), json=request_json("input", x_of(1))).json()["model_version"] == "2"
        with pytest.raises(ValueError, match="return one of"):
            run_canary(server.url, "digits", 1, 0.5, lambda windows: "yes", every=0.05)
        with pytest.raises(ZeroDivisionError):
            run_canary(server.url, "digits", 1, 0.5, lambda windows: 1 / 0, every=0.05)
        outcome, windows = run_canary(server.url, "digits", 1, 0.5, lambda windows: "wait", every=0.05, timeout=0.1)
        assert outcome == "rolled back (no decision in time)" and windows[0].requests == 0 and np.isnan(windows[0].p99_ms)
        assert requests.post(f"{server.url}/v2/repository/models/digits/rollback").json()["version"] == "1"  # no canary left


class Later(BatchPolicy):
    """Waits `delay` after the oldest arrival, then runs everything (so two models' batches are ready together)."""

    def __init__(self, delay):
        self.delay = delay

    def decide(self, now, waiting):
        return Decision(len(waiting)) if now >= waiting[0] + self.delay else Decision(0, waiting[0] + self.delay)


class Tightest(Scheduler):
    """Static priority: the model with the smallest SLA first."""

    def pick(self, now, jobs):
        return min(range(len(jobs)), key=lambda i: jobs[i].sla)


def test_the_scheduler_picks_among_models_ready_together_on_the_simulated_device():
    streams = lambda: {"bulk": Stream([0.0, 0.001], 1.0, Later(0.002), lambda n: 0.010),  # both ready at t = 0.002
                       "chat": Stream([0.0005], 0.005, Later(0.0015), lambda n: 0.001)}
    fifo = simulate_models(FirstCome(), streams())  # the older batch first
    assert fifo["bulk"].batches == [(0.002, 0.012, [0, 1])] and fifo["chat"].batches[0][:2] == pytest.approx((0.012, 0.013))
    tight = simulate_models(Tightest(), streams())
    assert tight["chat"].batches[0][:2] == pytest.approx((0.002, 0.003)) and tight["bulk"].batches[0][0] == pytest.approx(0.003)

    class Bad(Scheduler):
        def pick(self, now, jobs):
            return len(jobs)

    with pytest.raises(ValueError, match="return the index"):
        simulate_models(Bad(), {"a": Stream([0.0], 1, NoBatching(), lambda n: 1), "b": Stream([0.0], 1, NoBatching(), lambda n: 1)})


def test_a_scheduler_reaches_the_server_and_one_that_raises_still_serves(tmp_path):
    class Raises(Scheduler):
        def pick(self, now, jobs):
            raise RuntimeError("broken scheduler")

    for name, sla in (("chat", 10), ("bulk", 1000)):
        save_version(tmp_path, name, 1, tiny(1), torch.zeros(1, 1, 8, 8),
                     batching={"policy": "dynamic", "max_batch_size": 8, "max_queue_delay_ms": 2}, sla_ms=sla)
        assert json.loads((tmp_path / name / "config.json").read_text())["sla_ms"] == sla
    for scheduler in (Tightest(), Raises()):
        with ServerProcess(tmp_path, scheduler=scheduler) as server:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(2) as pool:
                runs = [pool.submit(run_load, server.url, name, x_of(1), rate=300, duration=0.5, seed=i)
                        for i, name in enumerate(("chat", "bulk"))]
                assert [r.result().summary()["failed"] for r in runs] == [0, 0]
            assert ("broken scheduler" in server.log_tail()) == isinstance(scheduler, Raises)


def test_the_reference_rules_of_the_checks_do_what_the_lab_text_says():
    from aisys.serving import Job, Window
    from aisys.serving.rules import canary_rule, continuous_mistake, continuous_rule, edf_pick

    jobs = [Job("bulk", [0.0], 0.25), Job("chat", [0.125], 0.0625), Job("voice", [0.125], 0.0625)]
    assert edf_pick(jobs) == 1 and edf_pick(jobs, last_on_tie=True) == 2 and edf_pick(jobs, due="sla") == 1
    assert edf_pick(jobs, due="arrival") == 0 and edf_pick(jobs, latest=True) == 0
    kw = dict(max_error_rate=0.1, max_p99_ms=50, min_requests=10, healthy_windows=2)
    good, thin, idle, met = Window(20, 0, 10.0), Window(5, 5, 10.0), Window(0, 0, float("nan")), Window(20, 2, 50.0)
    assert [canary_rule(w, **kw) for w in ([good], [good, good], [good, thin], [good, idle], [met], [good, met])] == \
           ["wait", "promote", "wait", "wait", "wait", "promote"]
    assert canary_rule([thin], **kw, judge_thin=True) == "rollback" and canary_rule([good, idle], **kw, count_thin=True) == "promote"
    assert canary_rule([good, thin], **kw, count_thin=True) == "promote"  # a thin window counts as healthy, crossing or not
    assert canary_rule([met], **kw, at_threshold=True) == "rollback"
    assert canary_rule([thin, Window(20, 1, 10.0)], **kw) == "wait" and canary_rule([thin, Window(20, 1, 10.0)], **kw, cumulative=True) == "rollback"
    assert canary_rule([Window(20, 0, 60.0)], **kw) == "rollback" and canary_rule([Window(20, 0, 60.0)], **kw, errors_only=True) == "wait"

    class Request(tuple):
        arrival, prompt, output = property(lambda r: r[0]), property(lambda r: r[1]), property(lambda r: r[2])

    cost = lambda rows: 1.0 + rows
    lone = [Request((0.5, 3, 2))]
    assert continuous_rule(lone, 4, cost) == ([0.5 + 4.0 + 2.0], [1, 1])
    finish, steps = continuous_rule(lone, 4, cost, late_retire=True)
    assert steps == [1, 1, 1] and continuous_mistake(lone, 4, cost, finish, steps) == "late_retire"
    assert continuous_mistake(lone, 4, cost, *continuous_rule(lone, 4, cost, prefill_token=False)) == "prefill_token"
    assert continuous_mistake(lone, 4, cost, *continuous_rule(lone, 4, cost)) is None


def test_the_reference_rules_of_the_batching_and_packing_checks():
    from aisys.serving.rules import aimd_size, fewest_devices, greedy_packing, largest_batch, nearest_rank

    assert nearest_rank([3.0, 1.0, 2.0], 50) == 2.0 and nearest_rank([3.0, 1.0, 2.0], 100) == 3.0
    profile = {1: 0.001, 2: 0.0012, 4: 0.0016, 8: 0.0024}
    assert largest_batch(profile, 1000, 0.01) == (4, 0.003) and largest_batch(profile, 100, 0.001) is None
    assert aimd_size(8, 0.02, 0.01, 2, 0.5) == 4 and aimd_size(1, 0.02, 0.01, 2, 0.5) == 1 and aimd_size(8, 0.005, 0.01, 2, 0.5) == 10
    sizes = [0.5, 0.7, 0.5, 0.3]
    assert greedy_packing(sizes, [1, 0, 2, 3], 1.0) == [[1, 3], [0, 2]]
    assert greedy_packing([0.6, 0.5, 0.3], [0, 1, 2], 1.0, best=True) == [[0, 2], [1]]
    assert fewest_devices([0.4, 0.4, 0.3, 0.3, 0.3, 0.3], 1.0) == 2 and fewest_devices([0.6, 0.6], 1.0) == 2


def test_the_reference_rules_of_the_compression_checks():
    import torch.nn.functional as F

    from aisys.serving import digits_mlp
    from aisys.serving.rules import distillation, switched_off

    g = torch.Generator().manual_seed(0)
    s, t, y = torch.randn(4, 10, generator=g), torch.randn(4, 10, generator=g), torch.tensor([1, 2, 3, 4])
    kl = F.kl_div(F.log_softmax(s / 2, 1), F.softmax(t / 2, 1), reduction="batchmean")
    assert torch.allclose(distillation(s, t, y, 2.0, 0.7), 0.7 * 4 * kl + 0.3 * F.cross_entropy(s, y), atol=1e-6)
    mlp = digits_mlp(8).eval()
    x = torch.randn(3, 1, 8, 8, generator=g)
    with torch.no_grad():
        assert torch.allclose(switched_off([m for m in mlp if isinstance(m, torch.nn.Linear)], x, 8), mlp(x), atol=1e-6)
