"""aisys.checkpointing: the memory and recompute time of kept activations on a chain."""

import pytest

from aisys.checkpointing import chain_memory, recompute_time, sqrt_memory_bound


def test_keeping_everything_holds_the_whole_chain_and_recomputes_nothing():
    sizes, costs = [3, 1, 4, 1, 5], [0, 2, 7, 1, 8]
    assert chain_memory(sizes, range(5)) == 14
    assert recompute_time(costs, range(5)) == 0


def test_a_segment_needs_the_checkpoints_before_it_plus_its_own_recomputed_activations():
    sizes, costs = [3, 1, 4, 1, 5], [0, 2, 7, 1, 8]
    # segments [0, 1, 2] and [3, 4]: max(3 + (1 + 4), 3 + 1 + 5)
    assert chain_memory(sizes, [0, 3]) == 9
    assert recompute_time(costs, [0, 3]) == 2 + 7 + 8
    assert chain_memory(sizes, [0]) == 14 and recompute_time(costs, [0]) == 18


def test_sqrt_checkpoints_of_equal_activations_fit_the_promised_bound():
    for n in (9, 16, 100):
        k = int(n ** 0.5)
        assert chain_memory([1] * n, list(range(0, n, k))) <= sqrt_memory_bound(n) < n


def test_a_choice_without_the_input_or_out_of_range_is_refused():
    with pytest.raises(ValueError, match="include 0"):
        chain_memory([1, 1, 1], [1, 2])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        recompute_time([0, 1, 1], [0, 3])
