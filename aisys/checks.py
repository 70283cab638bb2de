"""Self-checks for lab notebooks: one verdict line per check and, on failure, a hint that names the mistake.

A check runs the student's code on hidden inputs drawn from the grading seed (AISYS_CHECK_SEED, 0 by default)
and returns the values it verified; the PASS line carries a fingerprint of them. The grader compares that line,
outside the kernel, with the one the solution prints under the same seed, so a check cannot be passed by
printing a stored answer or by replacing the comparison functions the check uses.
"""

import builtins
import contextlib
import hashlib
import os
import sys
import traceback

import numpy
import torch

from aisys.protocol import FAIL, PASS, SEED_VARIABLE, environment_line, verdict_line

_print = builtins.print
ORIGINALS = {  # what a check relies on, as it was when aisys was imported (before any student code ran)
    "print": (builtins, "print", builtins.print),
    "torch.allclose": (torch, "allclose", torch.allclose),
    "torch.equal": (torch, "equal", torch.equal),
    "numpy.allclose": (numpy, "allclose", numpy.allclose),
    "numpy.testing.assert_allclose": (numpy.testing, "assert_allclose", numpy.testing.assert_allclose),
}


def hidden_seed():
    """The seed hidden inputs are drawn from: the grader sets it per grading run."""
    return int(os.environ.get(SEED_VARIABLE, "0"))


def hidden_rng(check_id):
    """A torch Generator for one check's hidden inputs, from the grading seed and the check id."""
    salt = int(hashlib.sha256(check_id.encode()).hexdigest()[:8], 16)
    return torch.Generator().manual_seed(hidden_seed() * 1_000_003 + salt)


def fingerprint(value):
    """A short, stable digest of the values a check verified (ints, strings, tuples, lists, dicts)."""
    return hashlib.sha256(repr(value).encode()).hexdigest()[:10]


def tampered():
    """The names of functions that checks rely on and that were replaced since aisys was imported."""
    return [name for name, (owner, attr, original) in ORIGINALS.items() if getattr(owner, attr, None) is not original]


@contextlib.contextmanager
def forbidden(function, why):
    """Within the block, any call of the Python function fails with why, however the caller bound it (an alias, a
    from-import): a profile hook watches for its code object (for checks that ask for the student's own algorithm)."""
    code, previous = function.__code__, sys.getprofile()

    def hook(frame, event, arg):
        if event == "call" and frame.f_code is code:
            raise AssertionError(why)
        if callable(previous):  # nested blocks: the outer one still watches
            previous(frame, event, arg)

    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(previous)


def verdict(check_id, description, error=None, verified=None):
    """The line a check prints: stable for given hidden inputs on success (nbval compares it), a hint on failure."""
    if error is not None:
        return verdict_line(FAIL, check_id, description, hint=error)
    return verdict_line(PASS, check_id, description, fingerprint=None if verified is None else fingerprint(verified))


def chain(exc):
    """An exception and the ones it was raised from (Triton's interpreter wraps errors from kernels)."""
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def explain(exc):
    """A hint from an exception: an assertion's own message, else what went wrong and where to look."""
    if isinstance(exc, AssertionError) and exc.args:
        return str(exc.args[0])
    if any(isinstance(e, NotImplementedError) for e in chain(exc)) or "NotImplementedError" in str(exc):
        return "an answer above still raises NotImplementedError: replace '# YOUR CODE HERE' with your code and run it"
    if getattr(exc, "cause", None):  # a distributed.RankError: what the first failing rank said
        return f"rank {exc.rank}: {exc.cause.removeprefix('AssertionError: ')}"
    if isinstance(exc, NameError):
        return f"{exc}: run the cells above this one (or define it) first"
    frames = traceback.extract_tb(exc.__traceback__)
    library = ("site-packages", "/lib/python", os.path.dirname(__file__))
    own = [f for f in frames if not any(part in f.filename for part in library)] or frames
    where = own[-1]  # the student's own code (a notebook cell or kernel), not library internals
    line = f": {where.line}" if where.line else ""
    return f"{type(exc).__name__}: {exc} (line {where.lineno} of {where.name}{line})"


def check(check_id):
    """Decorator that runs a check function at once and prints its verdict; the docstring describes the check."""

    def run(fn):
        description = (fn.__doc__ or fn.__name__).strip().splitlines()[0]
        verified, error = None, None
        replaced = tampered()
        if replaced:
            error = f"{', '.join(replaced)} was replaced in this kernel; checks need the originals: restart the kernel"
        else:
            try:
                verified = fn()
            except Exception as exc:  # a check reports every failure as a hint, never stops the notebook
                error = explain(exc)
        _print(verdict(check_id, description, error, verified))
        return error is None

    return run


def announce_environment():
    """Print where a graded notebook runs (device, GPU, versions), so that its report can say so."""
    from aisys.envinfo import env_report

    table = env_report().as_dict()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    _print(environment_line({"device": device, **{k: str(table[k]) for k in ("GPU", "CUDA", "Python", "torch", "triton")}}))
