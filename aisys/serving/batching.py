"""Batching policies: when to run which of a model's queued requests."""

from abc import ABC, abstractmethod
from typing import NamedTuple

import numpy as np


class Decision(NamedTuple):
    """Run the `take` oldest waiting requests now; or, with take 0, ask again at `wake` (None: at the next arrival)."""

    take: int
    wake: float | None = None


class BatchPolicy(ABC):
    """Decides, whenever the model is free, how many of the waiting requests to run as one batch."""

    @abstractmethod
    def decide(self, now, waiting):
        """`waiting`: arrival times of the queued requests, oldest first (never empty). Returns a Decision."""

    def observe(self, size, seconds):
        """Told after every batch: how many requests it ran and how long the model took (adaptive policies learn here)."""


class NoBatching(BatchPolicy):
    """One request per model call, as soon as the model is free."""

    def decide(self, now, waiting):
        return Decision(1)


class DynamicBatching(BatchPolicy):
    """Triton's rule: run when max_batch_size requests wait, or when the oldest has waited max_delay seconds."""

    def __init__(self, max_batch_size=32, max_delay=0.002):
        self.max_batch_size, self.max_delay = max_batch_size, max_delay

    def decide(self, now, waiting):
        if len(waiting) >= self.max_batch_size:
            return Decision(self.max_batch_size)
        if now >= waiting[0] + self.max_delay:
            return Decision(len(waiting))
        return Decision(0, waiting[0] + self.max_delay)


def from_config(batching):
    """The policy a model's config names: {"policy": "none"} or {"policy": "dynamic", "max_batch_size", "max_queue_delay_ms"}."""
    batching = batching or {"policy": "none"}
    if batching.get("policy", "none") == "none":
        return NoBatching()
    if batching["policy"] == "dynamic":
        return DynamicBatching(int(batching.get("max_batch_size", 32)), float(batching.get("max_queue_delay_ms", 2)) / 1000)
    raise ValueError(f"unknown batching policy {batching['policy']!r}: use 'none' or 'dynamic'")


def checked(decision, now, waiting):
    """A policy's decision, refused with a message when it cannot be carried out."""
    take, wake = decision if isinstance(decision, tuple) else (decision, None)
    if not isinstance(take, (int, np.integer)) or not 0 <= take <= len(waiting):
        raise ValueError(f"decide() asked to take {take!r} of {len(waiting)} waiting requests")
    if take == 0 and wake is not None and not wake > now:
        raise ValueError(f"decide() took nothing and asked to wake at {wake}, which is not after now ({now}): "
                         "take the requests, or wake later")
    return Decision(int(take), wake)
