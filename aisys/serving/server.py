"""The model server: the Open Inference Protocol (KServe v2) REST API over aiohttp, a batching worker per model version, Prometheus metrics."""

import asyncio
import gc
import math
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from aisys.serving.batching import checked, from_config
from aisys.serving.models import Repository
from aisys.serving.scheduling import FirstCome, Job, checked_pick
from aisys.serving.tensors import HEADER_LENGTH, InferError, decode_inputs, encode_response, parse_request

MAX_BODY = 8 * 1024 * 1024  # bytes: a larger request body gets 413
WINDOW_LATENCIES = 100_000  # latencies kept per version and observation window


class Metrics:
    """The server's Prometheus metrics, in a registry of its own (several servers may share a process)."""

    def __init__(self):
        self.registry = CollectorRegistry()
        fast = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5)
        self.requests = Counter("aisys_requests", "Infer requests by model and HTTP status", ["model", "code"], registry=self.registry)
        self.queue = Histogram("aisys_queue_seconds", "Time a request waited for its batch", ["model"], buckets=fast, registry=self.registry)
        self.infer = Histogram("aisys_inference_seconds", "Time of one model call", ["model"], buckets=fast, registry=self.registry)
        self.latency = Histogram("aisys_request_seconds", "Time from arrival to response", ["model"], buckets=fast, registry=self.registry)
        self.batch = Histogram("aisys_batch_size", "Requests per model call", ["model"],
                               buckets=(1, 2, 4, 8, 16, 32, 64, 128), registry=self.registry)


@dataclass
class Pending:
    """A queued request: arrival time, inputs, rows, and the future its handler awaits."""

    arrival: float
    inputs: dict
    rows: int
    future: asyncio.Future = field(repr=False)


class Worker:
    """The queue of one model version, its batching policy and its SLA (the device runs its batches)."""

    def __init__(self, server, model, version, policy):
        self.server, self.model, self.version, self.policy = server, model, version, policy
        self.sla = float(model.config.get("sla_ms", math.inf)) / 1000
        self.queue = []

    def submit(self, inputs, rows):
        future = asyncio.get_running_loop().create_future()
        self.queue.append(Pending(asyncio.get_running_loop().time(), inputs, rows, future))
        self.server.device.arrived.set()
        return future

    async def run(self, batch):
        """One model call for a batch of requests; each gets its own rows of the outputs."""
        loop, metrics, name = asyncio.get_running_loop(), self.server.metrics, self.model.name
        start = loop.time()
        for p in batch:
            metrics.queue.labels(name).observe(start - p.arrival)
        metrics.batch.labels(name).observe(len(batch))
        inputs = {k: np.concatenate([p.inputs[k] for p in batch]) for k in batch[0].inputs}
        backend = self.model.backend_of(self.version)
        try:
            outputs = await loop.run_in_executor(self.server.executor, backend.run, inputs)
            rows = sum(p.rows for p in batch)
            bad = [k for k, v in outputs.items() if np.ndim(v) == 0 or len(v) != rows]
            if bad:
                raise ValueError(f"output(s) {bad} do not have the batch's {rows} rows")
        except Exception as e:  # the model failed: this batch's requests get 500, the server goes on
            self.fail(batch, InferError(500, f"model '{name}' version {self.version} failed: {type(e).__name__}: {e}"))
            return
        metrics.infer.labels(name).observe(loop.time() - start)
        try:
            self.policy.observe(len(batch), loop.time() - start)
        except Exception as e:  # a policy that fails to learn still serves
            print(f"model '{name}': the batching policy's observe() raised {type(e).__name__}: {e}", file=sys.stderr)
        offset = 0
        for p in batch:
            if not p.future.done():
                p.future.set_result({k: v[offset:offset + p.rows] for k, v in outputs.items()})
            offset += p.rows

    def fail(self, batch, error):
        for p in batch:
            if not p.future.done():
                p.future.set_exception(error)


class Device:
    """The one executor every model version shares: when it is free, each queue's policy says whether a batch is
    ready, and the scheduler picks which ready batch runs (FIFO by default, so one model cannot starve another)."""

    def __init__(self, server, scheduler):
        self.server, self.scheduler = server, scheduler or FirstCome()
        self.arrived = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self.loop())

    def ready(self, now):
        """(worker, take) for each queue with a batch ready now, and the times the others asked to be woken."""
        ready, wakes = [], []
        for worker in list(self.server.workers.values()):
            if not worker.queue:
                continue
            try:
                decision = checked(worker.policy.decide(now, [p.arrival for p in worker.queue]), now, worker.queue)
            except Exception as e:  # a broken policy fails its waiting requests, not the server
                worker.fail(worker.queue, InferError(500, f"the batching policy raised {type(e).__name__}: {e}"))
                worker.queue = []
                continue
            if decision.take:
                ready.append((worker, decision.take))
            elif decision.wake is not None:
                wakes.append(decision.wake)
        return ready, wakes

    def pick(self, now, ready):
        """The scheduler's choice among the ready batches (the first one if the scheduler raises)."""
        if len(ready) == 1:
            return 0
        jobs = [Job(w.model.name, [p.arrival for p in w.queue[:take]], w.sla) for w, take in ready]
        try:
            return checked_pick(self.scheduler.pick(now, jobs), jobs)
        except Exception as e:  # a broken scheduler still serves, first come first served
            print(f"the scheduler's pick() raised {type(e).__name__}: {e}", file=sys.stderr)
            return FirstCome().pick(now, jobs)

    async def loop(self):
        loop = asyncio.get_running_loop()
        while True:
            self.arrived.clear()
            now = loop.time()
            ready, wakes = self.ready(now)
            if ready:
                worker, take = ready[self.pick(now, ready)]
                batch, worker.queue = worker.queue[:take], worker.queue[take:]
                await worker.run(batch)
                continue
            try:
                await asyncio.wait_for(self.arrived.wait(), max(min(wakes) - now, 0) if wakes else None)
            except asyncio.TimeoutError:
                pass


class Server:
    """A repository served over HTTP: routes, a worker per model version, metrics."""

    def __init__(self, repo, policies=None, max_body=MAX_BODY, scheduler=None):
        self.repo = repo if isinstance(repo, Repository) else Repository(repo)
        self.policies = dict(policies or {})
        self.metrics, self.workers, self.max_body, self.windows = Metrics(), {}, max_body, {}
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="model")  # one model call at a time, like one device
        self.device = Device(self, scheduler)
        self.app = web.Application(client_max_size=max_body, middlewares=[self.errors])
        v2, m = "/v2", "/v2/models/{model}"
        self.app.add_routes([
            web.get(v2, self.server_metadata), web.get(v2 + "/health/live", self.live), web.get(v2 + "/health/ready", self.live),
            web.get(m, self.model_metadata), web.get(m + "/ready", self.model_ready), web.post(m + "/infer", self.infer),
            web.get(m + "/versions/{version}", self.model_metadata), web.get(m + "/versions/{version}/ready", self.model_ready),
            web.post(m + "/versions/{version}/infer", self.infer),
            web.post(v2 + "/repository/index", self.index), web.post(v2 + "/repository/models/{model}/load", self.load),
            web.post(v2 + "/repository/models/{model}/promote", self.promote),
            web.post(v2 + "/repository/models/{model}/rollback", self.rollback),
            web.post(v2 + "/repository/models/{model}/canary", self.canary),
            web.post(v2 + "/repository/models/{model}/observations", self.observations),
            web.get("/metrics", self.prometheus)])

    @web.middleware
    async def errors(self, request, handler):
        """Every refusal as the protocol's error object {"error": message}, never a traceback."""
        try:
            return await handler(request)
        except InferError as e:
            return web.json_response({"error": str(e)}, status=e.status)
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"error": f"request body over the server's limit of {self.max_body} bytes"}, status=413)
        except web.HTTPException as e:
            if e.status < 400:
                raise
            return web.json_response({"error": f"{e.reason}: {request.method} {request.path}"}, status=e.status)

    def worker(self, model, version):
        key = (model.name, version)
        if key not in self.workers:
            policy = self.policies.get(model.name) or from_config(model.config.get("batching"))
            self.workers[key] = Worker(self, model, version, policy)
        return self.workers[key]

    def target(self, request):
        """The model and version a request names (404 for an unknown one); with no version, the one its router picks."""
        model = self.repo.get(request.match_info["model"])
        version = request.match_info.get("version")
        if version is not None and not version.isdigit():
            raise InferError(404, f"model '{model.name}': version must be a number, got {version!r}")
        version = model.route() if version is None else int(version)
        model.backend_of(version)
        return model, version

    async def answer(self, model, version, inputs, rows, routed):
        """The outputs of a version; a canary that fails a routed request (500) is counted, and the served version answers it."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            outputs = await self.worker(model, version).submit(inputs, rows)
        except InferError as e:
            self.observe(model.name, version, loop.time() - start, failed=True)
            if not (routed and e.status == 500 and version != model.served):
                raise
            return await self.answer(model, model.served, inputs, rows, routed=False)
        self.observe(model.name, version, loop.time() - start, failed=False)
        return version, outputs

    def observe(self, name, version, seconds, failed):
        """Count a request in its version's current observation window."""
        window = self.windows.setdefault(name, {}).setdefault(version, {"requests": 0, "errors": 0, "latencies_ms": []})
        window["requests"] += 1
        window["errors"] += failed
        if len(window["latencies_ms"]) < WINDOW_LATENCIES:  # a window nobody reads stays bounded
            window["latencies_ms"].append(round(seconds * 1000, 3))

    async def server_metadata(self, request):
        return web.json_response({"name": "aisys", "version": "0.1.0", "extensions": ["binary_tensor_data", "model_repository"]})

    async def live(self, request):
        return web.json_response({"live": True})

    async def model_metadata(self, request):
        model, _ = self.target(request)
        return web.json_response(model.metadata())

    async def model_ready(self, request):
        self.target(request)
        return web.json_response({"ready": True})

    async def infer(self, request):
        start, name = asyncio.get_running_loop().time(), request.match_info["model"]
        try:
            model, version = self.target(request)
            body, options = parse_request(await request.read(), request.headers.get(HEADER_LENGTH))
            inputs = decode_inputs(body, options, model.expected_inputs())
            rows = {len(a) for a in inputs.values()}
            limit = model.config.get("max_batch_size", 0)
            if len(rows) != 1 or (limit and rows.pop() > limit):
                raise InferError(400, f"inputs must share one batch size of at most {limit} rows")
            routed = "version" not in request.match_info
            version, outputs = await self.answer(model, version, inputs, len(next(iter(inputs.values()))), routed)
            data, headers = encode_response(model.name, version, outputs, body)
        except InferError as e:
            self.metrics.requests.labels(name, str(e.status)).inc()
            raise
        except web.HTTPException as e:
            self.metrics.requests.labels(name, str(e.status)).inc()
            raise
        self.metrics.requests.labels(name, "200").inc()
        self.metrics.latency.labels(name).observe(asyncio.get_running_loop().time() - start)
        return web.Response(body=data, headers=headers)

    async def index(self, request):
        return web.json_response(self.repo.index())

    async def load(self, request):
        """Load new version folders of a model from disk while serving."""
        model = self.repo.get(request.match_info["model"])
        await asyncio.get_running_loop().run_in_executor(None, model.load)
        return web.json_response(model.metadata())

    async def promote(self, request):
        """Serve another version by default: body {"version": N}."""
        model = self.repo.get(request.match_info["model"])
        body, _ = parse_request(await request.read())
        if not isinstance(body.get("version"), int):
            raise InferError(400, 'promote needs {"version": <number>}')
        model.promote(body["version"])
        return web.json_response(self.traffic(model))

    async def rollback(self, request):
        """End a canary, or else serve the previous version again."""
        model = self.repo.get(request.match_info["model"])
        model.rollback()
        return web.json_response(self.traffic(model))

    async def canary(self, request):
        """Send a share of the traffic to another version: body {"version": N, "weight": w}, 0 < w < 1."""
        model = self.repo.get(request.match_info["model"])
        body, _ = parse_request(await request.read())
        weight = body.get("weight")
        if not isinstance(body.get("version"), int) or not isinstance(weight, (int, float)) or isinstance(weight, bool):
            raise InferError(400, 'canary needs {"version": <number>, "weight": <share between 0 and 1>}')
        model.start_canary(body["version"], float(weight))
        return web.json_response(self.traffic(model))

    async def observations(self, request):
        """Each version's requests, errors and latencies since the previous call (one window), then a new window."""
        model = self.repo.get(request.match_info["model"])
        windows = self.windows.pop(model.name, {})
        return web.json_response({str(v): w for v, w in sorted(windows.items())})

    def traffic(self, model):
        canary = None if model.canary is None else {"version": str(model.canary[0]), "weight": model.canary[1]}
        return {"name": model.name, "version": str(model.served), "canary": canary}

    async def prometheus(self, request):
        return web.Response(body=generate_latest(self.metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def serve(repo, host="127.0.0.1", port=8000, policies=None, max_body=MAX_BODY, scheduler=None):
    """Serve until SIGTERM or SIGINT; then stop accepting, answer what is queued, and return."""
    server = Server(repo, policies, max_body, scheduler)
    gc.collect()
    gc.freeze()  # torch's, onnxruntime's and the models' objects: a full collection of them stalls every request (~0.1 s)
    runner = web.AppRunner(server.app, access_log=None, handle_signals=False, shutdown_timeout=30)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]
    print(f"listening on http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    orphaned = asyncio.get_running_loop().create_task(watch_parent(stop))
    await stop.wait()
    orphaned.cancel()
    await runner.cleanup()  # waits for handlers in flight: their requests are answered first
    server.device.task.cancel()
    server.executor.shutdown()
    print("stopped", file=sys.stderr, flush=True)


async def watch_parent(stop, every=1.0):
    """Stop when the process that started this server is gone (a notebook kernel killed without cleaning up)."""
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(every)
    stop.set()


def policy_file_contents(policies, scheduler=None):
    """{"policies": {model: BatchPolicy}, "scheduler": Scheduler or None}, pickled by value (cloudpickle), so classes
    written in a notebook reach a server process."""
    import cloudpickle

    policies = dict(policies or {})
    objects = [*policies.values(), *([scheduler] if scheduler is not None else [])]
    modules = {sys.modules[type(p).__module__] for p in objects} - {sys.modules["__main__"]}
    modules = [m for m in modules if not m.__name__.startswith("aisys.")]  # a test module: the server cannot import it
    for module in modules:
        cloudpickle.register_pickle_by_value(module)
    try:
        return cloudpickle.dumps({"policies": policies, "scheduler": scheduler})
    finally:
        for module in modules:
            cloudpickle.unregister_pickle_by_value(module)
