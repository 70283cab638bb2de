"""SPOILER: the reference answers of lab ch08's exercises, as its checks compute them, with the variants that name a
student's mistake.

The checks call these instead of spelling the rules out in a visible cell of the student copy, and fail an answer that
calls them (aisys.checks.forbidden): write your own from the lab's text.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F


def nearest_rank(samples, q):
    """The nearest-rank q-th percentile of samples (NumPy's inverted CDF)."""
    return float(np.percentile(samples, q, method="inverted_cdf"))


def largest_batch(profile, rate, sla):
    """(B, max_delay) for the largest B of profile {n: seconds} that keeps up at rate and meets sla with the batch ahead, or None."""
    fits = [(n, (n - 1) / rate) for n, s in sorted(profile.items()) if (n - 1) / rate + 2 * s <= sla and s <= n / rate]
    return fits[-1] if fits else None


def aimd_size(size, seconds, slo, step, factor):
    """The batch size after a batch that took `seconds`: int(size * factor) (at least 1) above slo, else size + step."""
    return max(1, int(size * factor)) if seconds > slo else size + step


def greedy_packing(sizes, order, capacity, best=False):
    """Devices (lists of model indices) of first fit (best=False) or best fit (best=True) with the models taken in `order`."""
    bins, room = [], []
    for i in order:
        fits = [b for b, free in enumerate(room) if sizes[i] <= free + 1e-12]
        if fits:
            b = min(fits, key=lambda b: (room[b], b)) if best else fits[0]
            bins[b].append(i)
            room[b] -= sizes[i]
        else:
            bins.append([i])
            room.append(capacity - sizes[i])
    return bins


def fewest_devices(sizes, capacity):
    """The fewest devices that hold models of these sizes, by trying every assignment (small instances)."""
    ordered = sorted(sizes, reverse=True)

    def fits(i, room):
        if i == len(ordered):
            return True
        for b in range(len(room)):
            if ordered[i] <= room[b] + 1e-12 and room[b] not in room[:b]:
                room[b] -= ordered[i]
                if fits(i + 1, room):
                    return True
                room[b] += ordered[i]
        return False

    upper = len(greedy_packing(sizes, sorted(range(len(sizes)), key=lambda i: -sizes[i]), capacity))
    for k in range(math.ceil(sum(sizes) / capacity - 1e-9), upper):
        if fits(0, [capacity] * k):
            return k
    return upper


def edf_pick(jobs, due="oldest", last_on_tie=False, latest=False):
    """The index of the ready batch earliest deadline first runs (due: "oldest" or "newest" request's arrival + SLA,
    "sla" or "arrival" alone; last_on_tie: the last of equal keys, not the first; latest: the largest key)."""
    key = {"oldest": lambda j: j.arrivals[0] + j.sla, "newest": lambda j: j.arrivals[-1] + j.sla,
           "sla": lambda j: j.sla, "arrival": lambda j: j.arrivals[0]}[due]
    sign = -1 if latest else 1
    order = sorted(range(len(jobs)), key=lambda i: (sign * key(jobs[i]), -i if last_on_tie else i))
    return order[0]


def edf_tied(jobs):
    """Whether two or more ready batches share the earliest deadline."""
    deadlines = [j.arrivals[0] + j.sla for j in jobs]
    return deadlines.count(min(deadlines)) > 1


def canary_rule(windows, max_error_rate, max_p99_ms, min_requests, healthy_windows,
                judge_thin=False, count_thin=False, errors_only=False, at_threshold=False, cumulative=False):
    """The verdict after the latest window ("rollback", "promote" or "wait"). Variants: judge_thin rolls back on a
    window with requests but fewer than min_requests, count_thin counts a window with fewer than min_requests as
    healthy toward promotion, errors_only ignores p99, at_threshold rolls back at a threshold met, cumulative takes
    the error rate of all windows so far."""
    def crosses(w, errors, requests):
        above = (lambda v, limit: v >= limit) if at_threshold else (lambda v, limit: v > limit)
        return above(errors / requests, max_error_rate) or (not errors_only and above(w.p99_ms, max_p99_ms))

    def errors_of(k):
        counted = windows[:k + 1] if cumulative else windows[k:k + 1]
        return sum(w.errors for w in counted), sum(w.requests for w in counted)

    def bad(k):
        errors, requests = errors_of(k)
        return requests > 0 and crosses(windows[k], errors, requests)

    last = len(windows) - 1
    if (windows[last].requests >= min_requests or judge_thin and windows[last].requests) and bad(last):
        return "rollback"
    recent = range(max(0, last + 1 - healthy_windows), last + 1)
    healthy = lambda k: not bad(k) if windows[k].requests >= min_requests else count_thin
    if len(recent) == healthy_windows and all(healthy(k) for k in recent):
        return "promote"
    return "wait"


def continuous_rule(requests, max_batch, step_seconds, late_retire=False, prefill_token=True):
    """Each request's finish time and the sequences in each step under iteration-level batching. Variants:
    late_retire keeps a finished sequence in the batch for one more step; prefill_token=False makes the admitting
    step yield no token."""
    finish, steps, t, nxt, waiting, running = [None] * len(requests), [], 0.0, 0, [], {}
    while nxt < len(requests) or waiting or running:
        while nxt < len(requests) and requests[nxt].arrival <= t:
            waiting.append(nxt)
            nxt += 1
        if not waiting and not running:
            t = requests[nxt].arrival
            continue
        new = waiting[:max_batch - len(running)]
        del waiting[:len(new)]
        t += step_seconds(len(running) + sum(requests[i].prompt for i in new))
        running.update(dict.fromkeys(new, 0 if prefill_token else -1))
        steps.append(len(running))
        for i in list(running):
            running[i] += 1
            if running[i] == requests[i].output:
                finish[i] = t
            if running[i] >= requests[i].output + late_retire:
                del running[i]
    return finish, steps


def continuous_mistake(requests, max_batch, step_seconds, finish, steps):
    """The variant of continuous_rule that gives these finish times and steps ("late_retire", "prefill_token"), or None."""
    for variant in ({"late_retire": True}, {"prefill_token": False}):
        want_finish, want_steps = continuous_rule(requests, max_batch, step_seconds, **variant)
        if list(steps) == want_steps and all(f is not None and abs(f - w) < 1e-9 for f, w in zip(finish, want_finish)):
            return next(iter(variant))
    return None


def distillation(student_logits, teacher_logits, labels, T, alpha, t_squared=True):
    """Hinton's loss: alpha T^2 KL(softmax(t/T) || softmax(s/T)) (batch mean) + (1 - alpha) CE(s, y); without T^2 if not t_squared."""
    p = F.softmax(teacher_logits / T, 1)
    kl = (p * (p.log() - F.log_softmax(student_logits / T, 1))).sum(1).mean()
    return alpha * (T * T if t_squared else 1) * kl + (1 - alpha) * F.cross_entropy(student_logits, labels)


def switched_off(linears, x, keep, after_pruning=True):
    """An MLP's output (its Linear layers, ReLU between) with all but the `keep` units of largest incoming weight norm
    zeroed in each hidden layer; norms on the columns left by the previous layer's pruning, or on the full rows."""
    h, masks = x.flatten(1), []
    with torch.no_grad():
        for i, lin in enumerate(linears):
            w = lin.weight if not masks else lin.weight * masks[-1]
            h = h @ w.T + lin.bias
            if i < len(linears) - 1:
                m = torch.zeros(w.shape[0], dtype=torch.bool)
                m[(w if after_pruning else lin.weight).norm(dim=1).topk(keep).indices] = True
                masks.append(m)
                h = torch.relu(h) * m
    return h
