"""The benchmark harness: warm-up, repeats, median and spread, CUDA synchronisation."""

import statistics
import time
from dataclasses import dataclass, field

import torch

from aisys.report import Table


def synchronize():
    """Wait for queued GPU work, so a timer measures the kernel and not its launch."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


@dataclass
class Timing:
    """Wall-clock seconds of repeated calls, summarised by median and interquartile range."""

    name: str
    samples: list = field(repr=False)

    @property
    def median(self):
        return statistics.median(self.samples)

    @property
    def spread(self):
        """Interquartile range in seconds (0 with fewer than 2 samples)."""
        if len(self.samples) < 2:
            return 0.0
        q = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q[2] - q[0]

    @property
    def best(self):
        return min(self.samples)

    def rate(self, work):
        """Work per second at the median time (samples/s, FLOP/s, bytes/s: whatever work counts)."""
        return work / self.median

    def __str__(self):
        return f"{self.name}: {self.median * 1e3:.3f} ms median ± {self.spread * 1e3:.3f} ms IQR ({len(self.samples)} runs)"


def measure(fn, *args, name=None, warmup=2, repeat=None, min_time=0.2, max_repeat=1000, **kwargs):
    """Time fn(*args, **kwargs): warm up, then repeat `repeat` times or until min_time seconds have run."""
    if warmup < 0 or (repeat is not None and repeat < 1):
        raise ValueError(f"warmup must be >= 0 and repeat >= 1, got warmup={warmup}, repeat={repeat}")
    for _ in range(warmup):
        fn(*args, **kwargs)
    synchronize()
    samples = []
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn(*args, **kwargs)
        synchronize()
        samples.append(time.perf_counter() - t0)
        if repeat is not None:
            if len(samples) >= repeat:
                break
        elif len(samples) >= max_repeat or (len(samples) >= 3 and time.perf_counter() - started >= min_time):
            break
    return Timing(name or getattr(fn, "__name__", "fn"), samples)


class Comparison:
    """Timings of several candidates for the same job, with a baseline to compare against."""

    def __init__(self, timings, baseline=None):
        self.timings = {t.name: t for t in timings}
        self.baseline = baseline or next(iter(self.timings))
        if self.baseline not in self.timings:
            raise KeyError(f"baseline {self.baseline!r} is not one of {list(self.timings)}")

    def speedup(self, name):
        """How many times faster `name` is than the baseline (median over median)."""
        return self.timings[self.baseline].median / self.timings[name].median

    def table(self, title="Timings"):
        """Median, spread and speed-up over the baseline, one row per candidate."""
        rows = [(n, t.median * 1e3, t.spread * 1e3, self.speedup(n)) for n, t in self.timings.items()]
        return Table(title, ["candidate", "median ms", "IQR ms", f"x vs {self.baseline}"], rows)

    def plot(self, ax=None, title="Timings"):
        """Bar chart of median times with interquartile error bars."""
        from aisys.plot import bars

        ms = {n: t.median * 1e3 for n, t in self.timings.items()}
        err = {n: t.spread * 1e3 for n, t in self.timings.items()}
        return bars(ms, errors=err, ylabel="median time (ms)", title=title, ax=ax)


def compare(candidates, *args, baseline=None, **measure_kwargs):
    """Measure each callable in {name: fn} on the same arguments; return a Comparison."""
    timings = [measure(fn, *args, name=name, **measure_kwargs) for name, fn in candidates.items()]
    return Comparison(timings, baseline=baseline)


def interleaved(candidates, *args, repeat=15, warmup=1):
    """Like compare, but timing the candidates round-robin, so that all of them see the same machine load."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn(*args)
    samples = {name: [] for name in candidates}
    for _ in range(repeat):
        for name, fn in candidates.items():
            synchronize()
            t0 = time.perf_counter()
            fn(*args)
            synchronize()
            samples[name].append(time.perf_counter() - t0)
    return Comparison([Timing(name, s) for name, s in samples.items()])
