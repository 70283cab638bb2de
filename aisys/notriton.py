"""Stand-ins for triton and triton.language where Triton is not installed (it ships for Linux only).

Kernels still define (so the cells around them run); launching one raises TritonUnavailable, which says why.
"""

import math

WHY = ("Triton is not installed here: it ships for Linux only (with or without a GPU). Run the Triton sections "
       "on Linux or in WSL on Windows; the CPU sections of the lab run here.")


class TritonUnavailable(RuntimeError):
    """A Triton kernel was launched on a machine without Triton."""

    def __init__(self, what="this kernel"):
        super().__init__(f"cannot run {what}: {WHY}")


class _Kernel:
    """A kernel that was defined without Triton: indexing it with a grid and calling it raises."""

    def __init__(self, fn):
        self.fn, self.__name__, self.__doc__ = fn, getattr(fn, "__name__", "kernel"), getattr(fn, "__doc__", None)

    def __getitem__(self, grid):
        def launch(*args, **kwargs):
            raise TritonUnavailable(f"the Triton kernel {self.__name__}")
        return launch

    def __call__(self, *args, **kwargs):
        raise TritonUnavailable(f"the Triton function {self.__name__}")


class _Anything:
    """A placeholder for any triton.language name used at definition time (tl.constexpr, tl.float32, ...)."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, name):
        return _Anything(f"{self._name}.{name}")

    def __call__(self, *args, **kwargs):
        raise TritonUnavailable(self._name)

    def __repr__(self):
        return f"<{self._name}: Triton is not installed>"


class _Triton:
    """The few names of the triton module that a lab uses outside kernels."""

    available = False

    @staticmethod
    def jit(fn=None, **options):
        return _Kernel(fn) if fn is not None else _Kernel

    @staticmethod
    def autotune(*args, **kwargs):
        return lambda kernel: kernel

    @staticmethod
    def heuristics(*args, **kwargs):
        return lambda kernel: kernel

    @staticmethod
    def Config(*args, **kwargs):
        return (args, kwargs)

    @staticmethod
    def cdiv(a, b):
        return -(-a // b)

    @staticmethod
    def next_power_of_2(n):
        return 1 << max(0, math.ceil(math.log2(n))) if n > 0 else 1

    def __getattr__(self, name):
        return _Anything(f"triton.{name}")


triton = _Triton()
tl = _Anything("triton.language")
