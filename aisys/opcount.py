"""FLOPs and bytes of an operator, counted by running it on meta tensors (shapes only: no memory, no time)."""

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import FlopCounterMode


class _Traffic(TorchDispatchMode):
    """Bytes read and written by the ops that do FLOPs (products, convolutions)."""

    def __init__(self, counted):
        super().__init__()
        self.counted, self.bytes = counted, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func.overloadpacket in self.counted:
            tensors = [t for t in tree_flatten((args, kwargs, out))[0] if isinstance(t, torch.Tensor)]
            self.bytes += sum(t.numel() * t.element_size() for t in tensors)
        return out


def count(fn, *shapes, dtype=torch.float32):
    """(FLOPs, bytes) of fn on tensors of these shapes: FLOPs as torch's FlopCounterMode counts them, bytes as the
    inputs and outputs of every product or convolution, each moved once (elementwise ops in between count as fused)."""
    tensors = [torch.empty(*s, device="meta", dtype=dtype) for s in shapes]
    flops = FlopCounterMode(display=False)
    traffic = _Traffic(set(flops.flop_registry))
    with flops, traffic:
        fn(*tensors)
    return flops.get_total_flops(), traffic.bytes
