"""A submission's grading run: pytest + nbval in a child process under limits, each cell's result collected."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import psutil

from grader.nbval_plugin import FD_VARIABLE, LIMITS_VARIABLE
from grader.sandbox import MAX_PROCESSES, prepare, wrap
from aisys.protocol import SEED_VARIABLE


def kill_tree(pid):
    """Kill a process and every process under it (the kernel runs in a session of its own)."""
    try:
        procs = psutil.Process(pid).children(recursive=True) + [psutil.Process(pid)]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def run_cells(notebook, seed, cell_timeout, total_timeout, threads=None, memory_gib=8.0, sandbox="bwrap", hide=(),
              max_processes=MAX_PROCESSES):
    """Results per cell, as the plugin reported them, and whether the whole run hit total_timeout."""
    notebook = Path(notebook)
    read_end, write_end = os.pipe()
    # data memory (RLIMIT_DATA, not the address space, which hides CUDA) and, in a sandbox, processes: set by the
    # plugin in pytest before the kernel starts; a process count outside a user namespace would count the user's
    limits = f"{int(memory_gib * 2**30)},{max_processes if sandbox == 'bwrap' else 0}"
    env = {**os.environ, SEED_VARIABLE: str(seed), FD_VARIABLE: str(write_end), LIMITS_VARIABLE: limits,
           "PYTHONHASHSEED": "0"}
    if threads:
        env.update({v: str(threads) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    cmd = [sys.executable, "-m", "pytest", notebook.name, "--nbval-lax", "--nbval-current-env",
           f"--nbval-cell-timeout={cell_timeout}", "-p", "grader.nbval_plugin", "-p", "no:cacheprovider",
           "-o", "addopts=", "-q", "--rootdir", str(notebook.parent)]
    if sandbox == "bwrap":
        prepare(notebook.parent)
        cmd = wrap(cmd, notebook.parent, hide)
    proc = subprocess.Popen(cmd, cwd=notebook.parent, env=env, pass_fds=(write_end,), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    records = []

    def collect():
        with os.fdopen(read_end) as pipe:
            for line in pipe:
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    pass

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=total_timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        kill_tree(proc.pid)  # pytest, its kernel and anything they started
        proc.wait()
    reader.join(timeout=10)
    return records, timed_out
