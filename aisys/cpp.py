"""Compile a small C++ source into a shared library (cached by its hash, about a second) and call it with ctypes."""

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

NO_COMPILER = ("no C++ compiler found: install one (Debian/Ubuntu: sudo apt-get install g++; macOS: xcode-select "
               "--install; conda: conda install gxx_linux-64; Windows: use WSL), then re-run this cell")


class BuildError(RuntimeError):
    """A source the compiler refused; the message holds the compiler's first errors."""


def compiler():
    """The C++ compiler to use ($CXX, else c++, g++ or clang++ on PATH), or None."""
    return os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")


def flags():
    """Optimise for this CPU: -march=native on x86, -mcpu=native on ARM (what -march means there differs)."""
    arch = "-mcpu=native" if platform.machine().lower() in ("arm64", "aarch64") else "-march=native"
    return ["-O3", arch, "-std=c++17", "-shared", "-fPIC"]


def cache_dir():
    """Where built libraries are kept ($AISYS_CACHE/cpp, else ~/.cache/aisys/cpp, else a temporary folder)."""
    folder = Path(os.environ.get("AISYS_CACHE", Path.home() / ".cache" / "aisys")) / "cpp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    folder = Path(tempfile.gettempdir()) / f"aisys-cpp-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def first_errors(text, lines=25):
    """The compiler's output cut to its first errors: the rest is usually their consequences."""
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[:lines] + (["..."] if len(kept) > lines else []))


def build(source, name="kernels", options=()):
    """The ctypes library compiled from source, with extra compiler flags in options (say -ffast-math); a source
    already built with the same flags is loaded from the cache."""
    cxx = compiler()
    if cxx is None:
        raise BuildError(NO_COMPILER)
    key = hashlib.sha256("\0".join([source, cxx, *flags(), *options]).encode()).hexdigest()[:16]
    lib = cache_dir() / f"{name}-{key}.so"
    if not lib.exists():
        with tempfile.TemporaryDirectory() as tmp:
            src, obj, out = Path(tmp) / f"{name}.cpp", Path(tmp) / f"{name}.o", Path(tmp) / lib.name
            src.write_text(source)
            # compile and link apart: linked with -ffast-math, g++ < 13 adds crtfastmath.o, which flushes denormals
            # to zero in the whole process that loads the library
            for step in ([cxx, *flags(), *options, "-c", str(src), "-o", str(obj)],
                         [cxx, *flags(), str(obj), "-o", str(out)]):
                done = subprocess.run(step, capture_output=True, text=True)
                if done.returncode != 0:
                    raise BuildError(f"{name}.cpp does not compile:\n{first_errors(done.stderr)}")
            os.replace(out, lib)  # atomic: a concurrent build never loads half a file
    return ctypes.CDLL(str(lib))


def floats(tensor):
    """A float* to a float32 CPU tensor's data (it must be contiguous and stay alive during the call)."""
    assert tensor.dtype.is_floating_point and tensor.element_size() == 4 and tensor.device.type == "cpu", \
        "C++ kernels here take float32 CPU tensors"
    assert tensor.is_contiguous(), "pass a contiguous tensor (call .contiguous() first)"
    return ctypes.cast(tensor.data_ptr(), ctypes.POINTER(ctypes.c_float))
