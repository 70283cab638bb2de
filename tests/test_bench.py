import time

import pytest

from aisys import bench


def test_timing_statistics():
    t = bench.Timing("x", [1.0, 2.0, 3.0, 4.0, 100.0])
    assert t.median == 3.0 and t.best == 1.0
    assert t.spread == pytest.approx(2.0)  # IQR: 4 - 2
    assert t.rate(6) == 2.0


def test_measure_warms_up_then_repeats():
    calls = []
    t = bench.measure(lambda: calls.append(1), warmup=3, repeat=5)
    assert len(calls) == 8 and len(t.samples) == 5


def test_measure_runs_until_min_time():
    t = bench.measure(time.sleep, 0.01, warmup=0, min_time=0.05)
    assert 4 <= len(t.samples) <= 7
    assert t.median >= 0.01


def test_measure_rejects_bad_counts():
    with pytest.raises(ValueError, match="repeat >= 1"):
        bench.measure(lambda: None, repeat=0)


def test_compare_ranks_a_slow_candidate_below_the_baseline():
    cmp = bench.compare({"fast": lambda: None, "slow": lambda: time.sleep(0.005)}, repeat=5, warmup=1)
    assert cmp.speedup("slow") < 0.2 and cmp.speedup("fast") == 1.0
    table = cmp.table()
    assert table.column("candidate") == ["fast", "slow"]
    ax = cmp.plot()
    assert len(ax.patches) == 2


def test_compare_unknown_baseline():
    with pytest.raises(KeyError, match="baseline 'nope'"):
        bench.Comparison([bench.Timing("a", [1.0])], baseline="nope")


def test_interleaved_times_every_candidate_in_turn():
    order = []
    cmp = bench.interleaved({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, repeat=3, warmup=1)
    assert order == ["a", "b"] + ["a", "b"] * 3
    assert [len(t.samples) for t in cmp.timings.values()] == [3, 3] and cmp.baseline == "a"
