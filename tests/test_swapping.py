"""aisys.swapping: a swap plan simulated on a device model; overflows and reads from the host name the step."""

import pytest
import torch

from aisys.swapping import Schedule, Swap, SwapError, simulate, training_schedule

MIB = 2 ** 20


def small():
    """Four steps: a (2 MiB) made at 0 and read at 3; b, c (1 MiB) in between; the device holds 3 MiB."""
    tensors = {"a": (2 * MIB, 0, [3]), "b": (MIB, 1, [2]), "c": (MIB, 2, [3])}
    return Schedule([1.0, 1.0, 1.0, 1.0], tensors, 3 * MIB, 2 * MIB)  # a copy of a takes 1 s


def test_without_swaps_the_step_that_overflows_is_named():
    with pytest.raises(SwapError, match="step 2 needs 4194304 bytes") as error:
        simulate(small(), [])
    assert error.value.step == 2


def test_a_swap_that_lands_in_time_fits_and_does_not_stall():
    run = simulate(small(), [Swap("a", 0, 3)])
    assert run.resident == [2 * MIB, 3 * MIB, 2 * MIB, 3 * MIB]
    assert run.total_stall == 1.0  # a is copied back when step 3 is issued: step 3 waits one copy
    run = simulate(Schedule([1.0, 1.0, 1.0, 1.0], {**small().tensors}, 4 * MIB, 2 * MIB), [Swap("a", 0, 2)])
    assert run.total_stall == 0.0


def test_reading_a_tensor_left_on_the_host_names_the_step():
    with pytest.raises(SwapError, match="step 3 reads a, which is on the host") as error:
        simulate(small(), [Swap("a", 0, 4)])
    assert error.value.step == 3
    with pytest.raises(SwapError, match="no such tensor"):
        simulate(small(), [Swap("z", 0, 2)])


def test_a_swap_out_frees_memory_only_once_its_copy_lands():
    slow = small()
    slow.bandwidth = MIB / 2  # a takes 4 s to copy out: still resident at step 2
    with pytest.raises(SwapError, match="step 2"):
        simulate(slow, [Swap("a", 0, 3)])


def test_training_schedules_overflow_without_swapping_and_are_reproducible():
    a, b = (training_schedule(torch.Generator().manual_seed(1)) for _ in range(2))
    assert a.tensors == b.tensors and a.memory == b.memory
    assert max(a.resident_without_swaps()) > a.memory
    with pytest.raises(SwapError):
        simulate(a, [])


def test_an_overflow_names_the_tensors_whose_copy_out_has_not_landed():
    slow = small()
    slow.bandwidth = MIB / 2
    with pytest.raises(SwapError, match="a still on the link out"):
        simulate(slow, [Swap("a", 0, 3)])


def test_the_floor_is_what_the_best_timed_copies_leave_and_the_device_sits_between_it_and_the_peak():
    from aisys.swapping import resident_floor

    s = small()  # a's copy out lands 1 s after step 0, its copy back must start 1 s before step 3: away at no step
    assert resident_floor(s) == s.resident_without_swaps()
    s = Schedule([1.0] * 6, {"a": (2 * MIB, 0, [5])}, 2 * MIB, 8 * MIB)  # copies of a take 0.25 s
    assert resident_floor(s) == [2 * MIB, 2 * MIB, 0, 0, 2 * MIB, 2 * MIB]  # out by step 2, back issued at step 4
    for seed in range(10):
        t = training_schedule(torch.Generator().manual_seed(seed))
        peak = max(t.resident_without_swaps())
        assert max(resident_floor(t)) <= t.memory < peak


def test_swapping_every_activation_a_step_or_two_before_its_reader_stalls_on_the_slow_link():
    for seed in range(10):
        t = training_schedule(torch.Generator().manual_seed(seed), layers=10)
        for early in (1, 2):
            plan = [Swap(a, uses[0], uses[-1] - early) for a, (_, _, uses) in t.tensors.items() if len(uses) > 1]
            try:
                stalled = simulate(t, plan).total_stall > 0.1 * sum(t.times)
            except SwapError:
                stalled = True
            assert stalled
