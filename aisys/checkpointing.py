"""Checkpointing a chain of layers (Chen et al. 2016): the peak memory and recompute time of a choice of kept activations."""

import math


def _kept(n, kept):
    """The kept activations sorted, refused with the fix when they are not a valid choice for a chain of n."""
    kept = sorted(kept)
    if len(set(kept)) != len(kept) or not kept or kept[0] != 0 or kept[-1] >= n:
        raise ValueError(f"kept must be distinct activation indices in [0, {n}) that include 0 (the chain's input); "
                         f"got {kept[:8]}")
    return kept


def chain_memory(sizes, kept):
    """Peak bytes when only the activations in `kept` are stored in the forward pass and each segment (a kept
    activation up to the next) is recomputed in the backward pass: the kept activations up to a segment plus the
    segment's recomputed ones, at the worst segment."""
    kept = _kept(len(sizes), kept)
    ends = kept[1:] + [len(sizes)]
    return max(sum(sizes[k] for k in kept[:j + 1]) + sum(sizes[start + 1:end])
               for j, (start, end) in enumerate(zip(kept, ends)))


def recompute_time(costs, kept):
    """Extra forward time: every activation that is not kept is computed again once (costs[i] computes activation i)."""
    kept = set(_kept(len(costs), kept))
    return sum(c for i, c in enumerate(costs) if i not in kept)


def sqrt_memory_bound(n):
    """What sqrt(n) checkpointing promises on a chain of n equal activations: about 2 sqrt(n) of them at a time."""
    return 2 * math.ceil(math.sqrt(n)) + 1


def random_chain(rng, n, size_range=(1, 9), cost_range=(1, 10)):
    """(sizes, costs) of a chain of n activations: integer sizes (MiB, say) and integer forward costs, drawn from rng."""
    import torch

    sizes = torch.randint(*size_range, (n,), generator=rng).tolist()
    costs = [0] + torch.randint(*cost_range, (n - 1,), generator=rng).tolist()
    return sizes, costs
