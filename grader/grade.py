"""Grade one submission: recognise its lab, assemble it with the official checks, run it, and score each check."""

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.assemble import assemble, recognise
from grader.nbval_plugin import KERNEL_DIED
from grader.notebook import NotebookError, checks, dumps, read
from grader.reference import reference_outputs
from grader.run import run_cells

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
CACHE = REPO / ".grader-cache"


@dataclass
class CheckResult:
    """One check's outcome: points earned out of max_points, a status and feedback for the student."""

    id: str
    points: float
    max_points: float
    status: str  # pass | fail | error | timeout | not run
    feedback: str = ""


@dataclass
class Report:
    """A graded submission, as written to JSON and to the CSV row."""

    lab: str
    submission: str
    seed: int
    score: float = 0
    max_score: float = 0
    checks: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self):
        return json.dumps(asdict(self), indent=2)


def load_solutions(folder):
    """{lab name: solution notebook} for every solution in a folder."""
    found = {p.stem: read(p) for p in sorted(Path(folder).glob("*.ipynb"))}
    if not found:
        raise NotebookError(f"{folder}: no solution notebooks to grade against")
    return found


def hint(text):
    """The hint lines a failed check printed (or its first line)."""
    lines = text.strip().splitlines()
    hints = [l.strip()[len("hint: "):] for l in lines if l.strip().startswith("hint: ")]
    return " ".join(hints) or (lines[0] if lines else "")


def judge(record, cell_timeout):
    """(status, feedback) of a check from its cell's record."""
    if record is None or record["message"].startswith("Kernel dead on test start"):
        return "not run", "not reached: the kernel had died or grading stopped before this check"
    if record["outcome"] == "passed":
        return "pass", ""
    msg = record["message"]
    if msg.startswith("Timeout of") or "KeyboardInterrupt" in " ".join(record["errors"]):
        return "timeout", f"timed out after {cell_timeout:g} s"
    if msg == KERNEL_DIED:
        return "error", msg
    if record["errors"]:
        return "error", "the check cell raised " + "; ".join(record["errors"])
    if record["text"].startswith("PASS ["):
        return "fail", ("the check passed in your kernel, but its result on the hidden inputs differs from the "
                        "reference: a wrong answer on other inputs, or a replaced comparison function")
    return "fail", hint(record["text"]) or msg


def cell_problems(records, cell_timeout):
    """Report lines for student cells that timed out, killed the kernel or raised."""
    problems = []
    for r in records:
        if r["check"] is not None or r["outcome"] == "passed":
            continue
        cell = f"the cell starting {r['first_line']!r}"
        if r["message"].startswith("Timeout of"):
            problems.append(f"{cell} timed out after {cell_timeout:g} s (interrupted; later cells still ran)")
        elif r["message"] == KERNEL_DIED:
            problems.append(f"{cell}: {KERNEL_DIED}")
        elif r["errors"]:
            problems.append(f"{cell} raised {r['errors'][0]}")
    return problems


def grade(path, lab=None, seed=0, cell_timeout=60, solutions_dir=SOLUTIONS, cache_dir=CACHE, threads=None,
          memory_gib=8.0, total_timeout=1800, solutions=None):
    """Grade the notebook at path and return its Report; NotebookError for unusable input."""
    t0 = time.monotonic()
    path = Path(path)
    submission = read(path)
    solutions = solutions or load_solutions(solutions_dir)
    lab = recognise(submission, solutions, lab, where=str(path))
    solution = solutions[lab]
    reference = reference_outputs(Path(solutions_dir) / f"{lab}.ipynb", seed, cache_dir)
    graded, errors = assemble(solution, submission, reference)
    with tempfile.TemporaryDirectory(prefix=f"aisys-grade-{path.stem}-") as scratch:
        nb_path = Path(scratch) / f"{lab}.ipynb"
        nb_path.write_text(dumps(graded))
        limit = min(total_timeout, sum(c.cell_type == "code" for c in graded.cells) * cell_timeout + 120)
        records, stopped = run_cells(nb_path, seed, cell_timeout, limit, threads=threads, memory_gib=memory_gib)
    by_check = {r["check"]: r for r in records if r["check"]}
    report = Report(lab=lab, submission=str(path), seed=seed, errors=errors + cell_problems(records, cell_timeout))
    if stopped:
        report.errors.append(f"grading stopped after {limit:g} s in all")
    for _, cid, points in checks(solution):
        status, feedback = judge(by_check.get(cid), cell_timeout)
        earned = points if status == "pass" else 0
        report.checks.append(CheckResult(cid, earned, points, status, feedback))
        report.score += earned
        report.max_score += points
    report.seconds = round(time.monotonic() - t0, 2)
    return report


def share_of_cores(jobs):
    """Threads each of `jobs` parallel gradings gets, so that they do not fight over cores."""
    return max(1, (os.cpu_count() or 1) // max(1, jobs))
