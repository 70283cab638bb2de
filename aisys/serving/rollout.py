"""A canary rollout: a new version gets a share of a model's traffic, is watched window by window, then promoted or rolled back."""

import json
import math
import time
import urllib.request
from typing import NamedTuple

import numpy as np

VERDICTS = ("promote", "rollback", "wait")


class Window(NamedTuple):
    """What a canary version saw in one observation window: requests, errors (500s) and p99 latency (ms; nan if none)."""

    requests: int
    errors: int
    p99_ms: float


def _post(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def window_of(observed):
    """A Window from one version's entry of the server's observations ({} when it saw no request)."""
    latencies = observed.get("latencies_ms", [])
    p99 = float(np.percentile(latencies, 99, method="inverted_cdf")) if latencies else math.nan
    return Window(int(observed.get("requests", 0)), int(observed.get("errors", 0)), p99)


def run_canary(url, model, version, weight, verdict, every=0.25, timeout=10.0):
    """Send a share `weight` of a model's traffic (requests naming no version) to `version`; after each window of
    `every` seconds ask verdict(windows) for "promote", "rollback" or "wait", and do it. Past `timeout` seconds without
    a decision the canary is rolled back. Returns (what was done, the windows seen)."""
    base = f"{url}/v2/repository/models/{model}"
    _post(f"{base}/observations")  # start a fresh window
    _post(f"{base}/canary", {"version": int(version), "weight": weight})
    windows, start = [], time.monotonic()
    while True:
        time.sleep(every)
        windows.append(window_of(_post(f"{base}/observations").get(str(version), {})))
        try:
            decision = verdict(list(windows))
        except BaseException:  # a verdict that raises (or an interrupt) leaves no canary behind
            _post(f"{base}/rollback")
            raise
        if decision not in VERDICTS:
            _post(f"{base}/rollback")
            raise ValueError(f"verdict() returned {decision!r}: return one of {VERDICTS} (the canary was rolled back)")
        if decision == "promote":
            _post(f"{base}/promote", {"version": int(version)})
            return "promoted", windows
        if decision == "rollback" or time.monotonic() - start > timeout:
            _post(f"{base}/rollback")
            return "rolled back" if decision == "rollback" else "rolled back (no decision in time)", windows
