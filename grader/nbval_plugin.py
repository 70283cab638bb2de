"""pytest plugin loaded by the grader next to nbval: reports each cell's result to the grader, notices dead kernels.

All knowledge of nbval (its private kernel wait, its error texts) lives here; the grader reads only `status`.
"""

import ctypes
import json
import os
import resource
import time
from queue import Empty

import pytest

from grader.notebook import timeout_of

FD_VARIABLE = "AISYS_GRADER_FD"
LIMITS_VARIABLE = "AISYS_GRADER_LIMITS"  # "<data bytes>,<processes or 0>"
KERNEL_DIED = "the kernel died while running this cell (os._exit, a crash, or memory beyond the limit)"


def await_reply(self, msg_id, timeout=None):
    """nbval's wait for a cell's reply, but polling the kernel so that a dead one is reported at once."""
    deadline = None if timeout is None else time.monotonic() + float(timeout)
    while True:
        left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
        if left <= 0:
            raise Empty
        try:
            msg = self.get_message(stream="shell", timeout=left)
        except Empty:
            if not self.is_alive():
                raise RuntimeError(KERNEL_DIED) from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            if msg["content"]["status"] == "aborted":
                raise RuntimeError("Kernel aborted execution request")
            return


def without_stderr(compare):
    """nbval's output comparison on stdout alone: a warning the student's code prints to stderr changes no verdict."""
    def compare_outputs(self, test, ref, skip_compare=None):
        def keep(outputs):
            return [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        return compare(self, keep(test), keep(ref), skip_compare)
    return compare_outputs


def limit(spec):
    """Cap this process and the kernel it starts (data memory, processes); hide this process from the kernel's /proc."""
    if not spec:
        return
    data, processes = (int(v) for v in spec.split(","))
    resource.setrlimit(resource.RLIMIT_DATA, (data, data))
    if processes:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    try:  # not dumpable: the kernel, same user, cannot open this process's file descriptors (the result channel)
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
    except (OSError, AttributeError):
        pass


def pytest_configure(config):
    from nbval.kernel import RunningKernel
    from nbval.plugin import IPyNbCell

    RunningKernel.await_reply = await_reply
    IPyNbCell.compare_outputs = without_stderr(IPyNbCell.compare_outputs)
    fd = os.environ.pop(FD_VARIABLE, None)  # removed before the kernel starts, so it never learns the channel
    limit(os.environ.pop(LIMITS_VARIABLE, ""))
    config._aisys_out = os.fdopen(int(fd), "w", buffering=1) if fd else None


def status(outcome, message, errors):
    """What became of a cell: passed, not run, timeout, died, raised (an exception) or differs (output mismatch)."""
    if message.startswith("Kernel dead on test start"):
        return "not run"
    if outcome == "passed":
        return "passed"
    if message.startswith("Timeout of") or any(e.startswith("KeyboardInterrupt") for e in errors):
        return "timeout"
    if message == KERNEL_DIED:
        return "died"
    return "raised" if errors else "differs"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Run a cell under its own timeout from the graded notebook's metadata, when longer than --nbval-cell-timeout."""
    option = item.config.option
    default = option.nbval_cell_timeout
    own = timeout_of(item.cell) if hasattr(item, "cell") else None
    option.nbval_cell_timeout = item._aisys_timeout = max(float(default), float(own or 0))
    try:
        yield
    finally:
        option.nbval_cell_timeout = default


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    out = getattr(item.config, "_aisys_out", None)
    if out is None or not hasattr(item, "cell") or (report.when != "call" and not (report.failed or report.skipped)):
        return
    message = str(call.excinfo.value) if report.failed and call.excinfo is not None else ""
    outputs = item.test_outputs or []
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    errors = [f"{o['ename']}: {o['evalue']}".rstrip(": ") for o in outputs if o.get("output_type") == "error"]
    first = next((line.strip() for line in item.cell.source.splitlines() if line.strip()), "")
    record = {"cell": item.cell_num, "check": item.cell.get("metadata", {}).get("aisys", {}).get("check"),
              "first_line": first[:60], "status": status(report.outcome, message, errors), "text": text, "errors": errors,
              "seconds": round(report.duration, 3), "timeout": getattr(item, "_aisys_timeout", None)}
    out.write(json.dumps(record) + "\n")
