"""The early-stopping rules of lab ch09a as its checks compute them, with the variants that name a student's mistake.

The checks call these instead of spelling the rules out in a visible cell (where they would be the answer).
"""

import numpy as np


def log_fit(prefix, T, x=np.log):
    """The least-squares fit of a + b x(t) to prefix (t = 1..len(prefix)), evaluated at t = T."""
    b, a = np.polyfit(x(np.arange(1, len(prefix) + 1)), prefix, 1)
    return float(a + b * x(np.float64(T)))


def curve_fit_rule(curves, start, margin, predict=log_fit, sign=-1, stopped_count=False, peak=False):
    """Stop steps of the curve-fitting rule (sign=+1: best + margin; stopped_count: stopped trials set the best;
    peak: a trial's highest result counts as its final)."""
    best, stops = None, []
    for curve in curves:
        T, stop = len(curve), None
        for t in range(start, T):
            if best is not None and predict(curve[:t], T) < best + sign * margin:
                stop = t
                break
        if stop is None or stopped_count:
            final = max(curve) if peak else curve[-1]
            best = final if best is None else max(best, final)
        stops.append(stop)
    return stops


def median_rule(curves, start, latest=False, whole=False):
    """Stop steps of the median rule (latest: the trial's latest result; whole: the completed trials' whole curves)."""
    completed, stops = [], []
    for curve in curves:
        stop = None
        for t in range(start, len(curve) + 1):
            mine = curve[t - 1] if latest else max(curve[:t])
            if completed and mine < np.median([np.mean(c if whole else c[:t]) for c in completed]):
                stop = t
                break
        if stop is None:
            completed.append(curve)
        stops.append(stop)
    return stops


def median_view(curves, stops, curve, step):
    """What the median rule compares at `step` for `curve` after the trials `curves` (stopped at `stops`): the trial's
    best so far, the completed trials' median running average, and how many trials completed."""
    completed = [c for c, s in zip(curves, stops) if s is None]
    median = float(np.median([np.mean(c[:step]) for c in completed])) if completed else None
    return max(curve[:step]), median, len(completed)
