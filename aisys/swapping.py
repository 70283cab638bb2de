"""Swapping on a model of a device: a forward/backward schedule, a plan of copies to the host and back, simulated
step by step on one copy link; a plan that overflows memory or reads a tensor left on the host is refused naming the step."""

from dataclasses import dataclass, field


class SwapError(ValueError):
    """A swap plan that cannot run: the message names the step (also in .step) and the tensor."""

    def __init__(self, message, step=None):
        super().__init__(message)
        self.step = step


@dataclass(frozen=True)
class Swap:
    """Copy `tensor` to the host when step `out_after` ends (its bytes are freed once the copy lands) and start copying
    it back when step `back_at` is issued (its bytes are taken again then; a step that reads it waits for the copy)."""

    tensor: str
    out_after: int
    back_at: int


@dataclass
class Schedule:
    """Steps (operator times in seconds) run one after the other on a device with `memory` bytes and a copy link of
    `bandwidth` bytes/s; tensors: {name: (bytes, step that makes it, steps that read it)}, freed after their last reader."""

    times: list
    tensors: dict
    memory: int
    bandwidth: float

    def resident_without_swaps(self):
        """Bytes on the device at each step when nothing is swapped."""
        return [sum(b for b, made, uses in self.tensors.values() if made <= i <= max(uses, default=made))
                for i in range(len(self.times))]


@dataclass
class Run:
    """What a simulated plan did: per step its start, end, the wait before it and the bytes resident during it."""

    start: list = field(default_factory=list)
    end: list = field(default_factory=list)
    stall: list = field(default_factory=list)
    resident: list = field(default_factory=list)

    @property
    def total_stall(self):
        return sum(self.stall)


def _validate(schedule, plan):
    """Refuse swaps of unknown tensors, of tensors not yet made, back before out, overlapping, or away while read."""
    n = len(schedule.times)
    by_tensor = {}
    for s in plan:
        if s.tensor not in schedule.tensors:
            raise SwapError(f"swap of {s.tensor!r}: no such tensor in the schedule")
        size, made, uses = schedule.tensors[s.tensor]
        if not made <= s.out_after < s.back_at <= n:
            raise SwapError(f"swap of {s.tensor} out after step {s.out_after}, back at step {s.back_at}: {s.tensor} is "
                            f"made at step {made}, so need {made} <= out_after < back_at <= {n}")
        for u in uses:
            if s.out_after < u < s.back_at:
                raise SwapError(f"step {u} reads {s.tensor}, which is on the host then (out after step {s.out_after}, "
                                f"back at step {s.back_at}): bring it back at step {u} or earlier", step=u)
        by_tensor.setdefault(s.tensor, []).append(s)
    for name, swaps in by_tensor.items():
        swaps.sort(key=lambda s: s.out_after)
        for a, b in zip(swaps, swaps[1:]):
            if b.out_after < a.back_at:
                raise SwapError(f"two swaps of {name} overlap (steps {a.out_after}-{a.back_at} and {b.out_after}-{b.back_at})")
    return by_tensor


def simulate(schedule, plan):
    """Run the schedule with the swap plan (a list of Swap); returns a Run, or raises SwapError naming the first step
    that reads a tensor on the host or needs more bytes than the device has."""
    by_tensor = _validate(schedule, plan)
    outs, ins = {}, {}  # issue step -> swaps whose copy is requested when that step is issued
    for s in plan:
        outs.setdefault(s.out_after + 1, []).append(s)
        ins.setdefault(s.back_at, []).append(s)
    landed_out, landed_in = {}, {}
    run, link_free, now = Run(), 0.0, 0.0
    for i, t in enumerate(schedule.times):
        for kind, landed in (("out", landed_out), ("in", landed_in)):  # the link copies in request order, outs first
            for s in (outs if kind == "out" else ins).get(i, []):
                link_free = max(now, link_free) + schedule.tensors[s.tensor][0] / schedule.bandwidth
                landed[s] = link_free
        ready = []
        for name, swaps in by_tensor.items():
            back = [s for s in swaps if s.back_at <= i]
            if i in schedule.tensors[name][2] and back:
                ready.append(landed_in[max(back, key=lambda s: s.back_at)])
        start = max([now] + ready)
        resident, held = 0, []
        for name, (size, made, uses) in schedule.tensors.items():
            if not made <= i <= max(uses, default=made):
                continue
            away = any(s.out_after < i < s.back_at and landed_out.get(s, float("inf")) <= start
                       for s in by_tensor.get(name, []))
            if not away:
                resident += size
                held.append((size, name))
        if resident > schedule.memory:
            biggest = ", ".join(name for _, name in sorted(held, reverse=True)[:4])
            leaving = [name for _, name in held if any(s.out_after < i < s.back_at for s in by_tensor.get(name, []))]
            late = (f"; {', '.join(leaving[:4])} still on the link out (a swap frees its bytes only once its copy lands: "
                    "swap out earlier, or fewer tensors before it)") if leaving else ""
            raise SwapError(f"step {i} needs {resident} bytes on a device of {schedule.memory} (largest resident: "
                            f"{biggest}): swap more out before step {i}, or bring tensors back later{late}", step=i)
        run.start.append(start)
        run.stall.append(start - now)
        run.resident.append(resident)
        now = start + t
        run.end.append(now)
    return run


def resident_floor(schedule):
    """Bytes that no plan can move off the device at each step: a tensor is away only inside its longest unread gap,
    from when its copy out lands (copies issued as early as possible, queued on the link in that order) to when its
    copy back must start to land by the read after the gap (queued in reverse)."""
    start = [0.0]
    for t in schedule.times:
        start.append(start[-1] + t)
    gaps = []
    for name, (size, made, uses) in schedule.tensors.items():
        reads = [made, *sorted(uses)]
        first, last = max(zip(reads, reads[1:]), key=lambda ab: ab[1] - ab[0])
        if last - first > 1:
            gaps.append((first, last, size, name))
    landed, link = {}, 0.0
    for first, _, size, name in sorted(gaps):
        link = max(link, start[first + 1]) + size / schedule.bandwidth
        landed[name] = link
    latest, link = {}, float("inf")
    for _, last, size, name in sorted(gaps, key=lambda g: -g[1]):
        link = min(link, start[last]) - size / schedule.bandwidth
        latest[name] = link
    floor = schedule.resident_without_swaps()
    for i in range(len(schedule.times)):
        floor[i] -= sum(size for first, last, size, name in gaps
                        if first < i < last and landed[name] <= start[i] and latest[name] >= start[i + 1])
    return floor


def training_schedule(rng, layers=8, memory_fraction=0.6, copy_fraction=1.25, slack=0.5):
    """A forward/backward schedule of a chain: forward step i makes activation a{i}, read by step i + 1 and by the
    backward step of layer i; backward steps make gradients read by the next step. Copying all activations once takes
    copy_fraction of the forward time (so a plan that swaps every activation cannot hide its copies); the device holds
    memory_fraction of the peak without swapping, or more where the copies cannot free that much in time: the bytes
    no plan can move (resident_floor) plus `slack` of the rest, always under the peak."""
    import torch

    n = 2 * layers
    times = (torch.rand(n, generator=rng) * 2e-3 + 1e-3).tolist()
    tensors = {}
    for i in range(layers):
        size = int(torch.randint(1, 9, (1,), generator=rng)) * 2 ** 20
        tensors[f"a{i}"] = (size, i, [i + 1, n - 1 - i] if i + 1 < layers else [n - 1 - i])
    for j in range(layers, n - 1):
        tensors[f"g{j}"] = (2 ** 20, j, [j + 1])
    activation_bytes = sum(tensors[f"a{i}"][0] for i in range(layers))
    schedule = Schedule(times, tensors, 0, activation_bytes / (copy_fraction * sum(times[:layers])))
    peak, floor = max(schedule.resident_without_swaps()), max(resident_floor(schedule))
    schedule.memory = int(min(peak - 2 ** 20, max(peak * memory_fraction, floor + slack * (peak - floor))))
    return schedule
