"""A load generator for the inference protocol: open-loop Poisson arrivals timed from each request's scheduled send
(no coordinated omission, as MLPerf's LoadGen does it) or a closed loop of N clients; throughput and latency percentiles."""

import asyncio
import gc
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import aiohttp
import numpy as np

from aisys.serving.tensors import request_json


def poisson_schedule(rate, duration, seed=0):
    """Send times (s) of a Poisson process of `rate` requests/s over [0, duration)."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / rate, int(rate * duration * 1.5) + 20)
    times = np.cumsum(gaps)
    return times[times < duration]


@dataclass
class LoadResult:
    """Per-request latency (s, from the scheduled send in open loop) and HTTP status, over `seconds` of wall time."""

    mode: str
    offered: float | None
    latency: np.ndarray
    status: np.ndarray
    seconds: float
    valid: np.ndarray = None  # False for the requests sent malformed on purpose

    def summary(self):
        """Throughput of successful valid requests and their p50/p95/p99 latency (ms, nearest rank); failures of valid ones."""
        valid = np.ones(len(self.status), dtype=bool) if self.valid is None else self.valid
        ok = self.latency[(self.status == 200) & valid]
        pct = lambda q: float(np.percentile(ok, q, method="inverted_cdf")) * 1000 if len(ok) else float("nan")
        return {"mode": self.mode, "offered_rps": self.offered, "requests": int(valid.sum()),
                "failed": int(((self.status != 200) & valid).sum()), "throughput_rps": len(ok) / self.seconds,
                "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
                "malformed": int((~valid).sum()), "malformed_refused": int(((self.status == 400) & ~valid).sum())}


async def _send(session, url, body):
    """POST one request; returns (seconds, status) with status 0 for a connection error."""
    start = time.perf_counter()
    try:
        async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
            await response.read()
            return time.perf_counter() - start, response.status
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return time.perf_counter() - start, 0


async def _open_loop(url, bodies, schedule, timeout):
    latency, status = np.zeros(len(schedule)), np.zeros(len(schedule), dtype=int)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(timeout)) as session:
        t0, sent = time.perf_counter() + 0.02, []

        async def one(i):
            _, status[i] = await _send(session, url, bodies[i])
            latency[i] = time.perf_counter() - (t0 + schedule[i])  # from the scheduled send: a late send counts

        for i in range(len(schedule)):  # each request's task starts at its send time: no backlog of timers to wake
            delay = t0 + schedule[i] - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent.append(asyncio.get_running_loop().create_task(one(i)))
        await asyncio.gather(*sent)
        return latency, status, time.perf_counter() - t0


async def _closed_loop(url, bodies, clients, duration, timeout):
    results = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(timeout)) as session:
        t0 = time.perf_counter()

        async def client():
            while time.perf_counter() - t0 < duration:
                i = len(results) % len(bodies)
                results.append((*await _send(session, url, bodies[i]), i))

        await asyncio.gather(*(client() for _ in range(clients)))
        seconds = time.perf_counter() - t0
    return np.array([r[0] for r in results]), np.array([r[1] for r in results], dtype=int), seconds, [r[2] for r in results]


def in_thread(coroutine):
    """Run a coroutine to the end on a fresh event loop in another thread (a notebook's loop is already running), with
    Python's cyclic garbage collector paused: a full collection of the caller's heap (torch's objects) would stall the
    load generator's clock for about 0.1 s and show as server latency."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coroutine).result()
    finally:
        if enabled:
            gc.enable()


def infer_url(url, model, version=None):
    """The infer endpoint of a model (and version) on a server."""
    return f"{url}/v2/models/{model}" + (f"/versions/{version}" if version is not None else "") + "/infer"


def run_load(url, model, example, rate=None, clients=None, duration=2.0, seed=0, timeout=30, version=None, malformed=0.0):
    """Offer load to a server: open loop at `rate` req/s (Poisson) or closed loop with `clients`; a LoadResult.

    A share `malformed` of the requests is sent as broken JSON (the server must refuse them and serve the rest)."""
    if (rate is None) == (clients is None):
        raise ValueError("give either rate= (open loop) or clients= (closed loop)")
    good = json.dumps(request_json("input", np.asarray(example))).encode()
    target = infer_url(url, model, version)
    schedule = poisson_schedule(rate, duration, seed) if rate is not None else np.zeros(1000)
    valid = np.random.default_rng(seed + 1).random(len(schedule)) >= malformed
    bodies = [good if v else good[: len(good) // 2] for v in valid]
    if rate is not None:
        latency, status, seconds = in_thread(_open_loop(target, bodies, schedule, timeout))
        return LoadResult("open", rate, latency, status, seconds, valid)
    latency, status, seconds, which = in_thread(_closed_loop(target, bodies, clients, duration, timeout))
    return LoadResult("closed", None, latency, status, seconds, valid[which])
