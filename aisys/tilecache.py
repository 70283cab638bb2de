"""An LRU model of a GPU's L2 cache: replay the order in which a tiled matmul's programs run, count tile loads."""

from collections import OrderedDict


class LRU:
    """A cache of `capacity` entries that evicts the least recently used one; counts hits and misses."""

    def __init__(self, capacity):
        self.capacity, self.entries, self.hits, self.misses = capacity, OrderedDict(), 0, 0

    def access(self, key):
        """Touch key; True on a hit, False on a miss (it is loaded, evicting the oldest entry when full)."""
        if key in self.entries:
            self.entries.move_to_end(key)
            self.hits += 1
            return True
        self.misses += 1
        self.entries[key] = None
        if len(self.entries) > self.capacity:
            self.entries.popitem(last=False)
        return False


def row_major(num_pid_m, num_pid_n):
    """The naive order: program pid computes tile (pid // num_pid_n, pid % num_pid_n)."""
    return [(pid // num_pid_n, pid % num_pid_n) for pid in range(num_pid_m * num_pid_n)]


def check_order(order, num_pid_m, num_pid_n):
    """Raise ValueError unless order (one (pid_m, pid_n) per program) covers every tile of C exactly once."""
    tiles = [tuple(int(v) for v in t) for t in order]
    want = {(m, n) for m in range(num_pid_m) for n in range(num_pid_n)}
    outside = [t for t in tiles if t not in want]
    if outside:
        raise ValueError(f"program {tiles.index(outside[0])} gets tile {outside[0]}, outside the "
                         f"{num_pid_m} x {num_pid_n} grid of tiles")
    seen = {}
    for pid, t in enumerate(tiles):
        if t in seen:
            raise ValueError(f"programs {seen[t]} and {pid} both get tile {t}, so some tile is never computed")
        seen[t] = pid
    if len(seen) != len(want):
        raise ValueError(f"{len(want) - len(seen)} tiles of C get no program")
    return tiles


def tile_loads(order, num_pid_m, num_pid_n, k_tiles, capacity):
    """Tiles of A and B loaded from memory when the programs run one after another in `order`, through an LRU
    cache of `capacity` tiles; program (m, n) reads A's tiles (m, 0..k_tiles-1) and B's tiles (0..k_tiles-1, n)."""
    cache = LRU(capacity)
    for m, n in check_order(order, num_pid_m, num_pid_n):
        for k in range(k_tiles):
            cache.access(("A", m, k))
            cache.access(("B", k, n))
    return cache.misses


_ORDER_KERNEL = None


def launch_order(tile_fn, num_pid_m, num_pid_n, group):
    """The (pid_m, pid_n) that a @triton.jit tile_fn(pid, num_pid_m, num_pid_n, GROUP) gives each program,
    read by launching it (compiled on a GPU, interpreted on a CPU) in a kernel that only records its answer."""
    global _ORDER_KERNEL
    import torch

    try:
        import triton
        import triton.language as tl
    except ImportError:
        from aisys.notriton import TritonUnavailable

        raise TritonUnavailable("the tile order (a Triton function)") from None

    if _ORDER_KERNEL is None:
        @triton.jit
        def order_kernel(out_ptr, num_pid_m, num_pid_n, TILE: tl.constexpr, GROUP: tl.constexpr):
            pid = tl.program_id(0)
            pid_m, pid_n = TILE(pid, num_pid_m, num_pid_n, GROUP)
            tl.store(out_ptr + 2 * pid, pid_m)
            tl.store(out_ptr + 2 * pid + 1, pid_n)

        _ORDER_KERNEL = order_kernel
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out = torch.full((num_pid_m * num_pid_n, 2), -1, dtype=torch.int32, device=dev)
    _ORDER_KERNEL[(num_pid_m * num_pid_n,)](out, num_pid_m, num_pid_n, TILE=tile_fn, GROUP=group)
    return [tuple(t) for t in out.cpu().tolist()]
