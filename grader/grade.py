"""Grade one submission: recognise its lab, assemble it with the official checks, run it, and score each check."""

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.assemble import OUTDATED, assemble, match, recognise
from aisys.protocol import PASS, parse, parse_environment
from grader.nbval_plugin import KERNEL_DIED
from grader.notebook import NotebookError, answers, checks, dumps, read, split_answer, student_answer, timeout_of
from grader.reference import reference_outputs
from grader.sandbox import MAX_PROCESSES, NO_SANDBOX, require
from grader.submission_run import run_cells

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
class Answer:
    """One written answer: the student's text beside the model answer; points stay None until an instructor marks it."""

    id: str
    question: str
    text: str
    model_answer: str
    max_points: float
    points: float = None


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
    answers: list = field(default_factory=list)
    environment: dict = field(default_factory=dict)  # where the notebook ran: device, GPU, CUDA, versions
    sandbox: str = "bwrap"  # bwrap, or none (--sandbox none)
    warnings: list = field(default_factory=list)  # about the grading itself (no sandbox); the score stands

    @property
    def written_score(self):
        """Points of the written answers an instructor has marked."""
        return sum(a.points for a in self.answers if a.points is not None)

    @property
    def written_max(self):
        """Points all written answers are worth, marked or not."""
        return sum(a.max_points for a in self.answers)

    @property
    def unmarked(self):
        """The ids of written answers no instructor has marked yet."""
        return [a.id for a in self.answers if a.points is None]

    def to_json(self):
        totals = {"written_score": self.written_score, "written_max": self.written_max,
                  "total": self.score + self.written_score, "total_max": self.max_score + self.written_max,
                  "unmarked": self.unmarked}
        return json.dumps({**asdict(self), **totals}, indent=2)


def load_solutions(folder):
    """{lab name: solution notebook} for every solution in a folder."""
    found = {p.stem: read(p) for p in sorted(Path(folder).glob("*.ipynb"))}
    if not found:
        raise NotebookError(f"{folder}: no solution notebooks to grade against")
    return found


DIFFERS = ("the check passed in your kernel, but its result on the hidden inputs differs from the reference: a "
           "wrong answer on other inputs, or a replaced comparison function")


def judge(record, cell_timeout):
    """(status, feedback) of a check from its cell's record."""
    if record is None or record["status"] == "not run":
        return "not run", "not reached: the kernel had died or grading stopped before this check"
    if record["status"] == "passed":
        return "pass", ""
    if record["status"] == "timeout":
        return "timeout", f"timed out after {record.get('timeout') or cell_timeout:g} s"
    if record["status"] == "died":
        return "error", KERNEL_DIED
    if record["status"] == "raised":
        return "error", "the check cell raised " + "; ".join(record["errors"])
    verdict = parse(record["text"])
    if verdict and verdict[0] == PASS:
        return "fail", DIFFERS
    if verdict:
        return "fail", verdict[2] or f"{verdict[1]} failed"
    return "fail", "the check printed no verdict"


def cell_problems(records, cell_timeout):
    """Report lines for student cells that timed out, killed the kernel or raised."""
    problems = []
    for r in records:
        if r["check"] is not None:
            continue
        cell = f"the cell starting {r['first_line']!r}"
        if r["status"] == "timeout":
            problems.append(f"{cell} timed out after {r.get('timeout') or cell_timeout:g} s (interrupted; later cells still ran)")
        elif r["status"] == "died":
            problems.append(f"{cell}: {KERNEL_DIED}")
        elif r["status"] == "raised":
            problems.append(f"{cell} raised {r['errors'][0]}")
    return problems


def written_answers(solution, submission):
    """The submission's written answers, each beside its question and model answer (unmarked)."""
    found = match(solution, submission)
    result = []
    for i, aid, points in answers(solution):
        asked, model = split_answer(solution.cells[i].source)
        text = student_answer(submission.cells[found[i]], asked) if i in found else ""
        result.append(Answer(aid, asked, text, model, points))
    return result


def grade(path, lab=None, seed=0, cell_timeout=60, solutions_dir=SOLUTIONS, cache_dir=CACHE, threads=None,
          memory_gib=8.0, total_timeout=1800, solutions=None, sandbox="bwrap", hide=(), max_processes=MAX_PROCESSES):
    """Grade the notebook at path and return its Report; NotebookError for unusable input, SandboxUnavailable."""
    t0 = time.monotonic()
    require(sandbox)
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
        budget = sum(max(cell_timeout, timeout_of(c) or 0) for c in graded.cells if c.cell_type == "code")
        limit = min(total_timeout, budget + 120)
        hidden = [path.parent, solutions_dir, cache_dir, *hide]  # other submissions, model answers, references
        records, stopped = run_cells(nb_path, seed, cell_timeout, limit, threads=threads, memory_gib=memory_gib,
                                     sandbox=sandbox, hide=hidden, max_processes=max_processes)
    by_check = {r["check"]: r for r in records if r["check"]}
    report = Report(lab=lab, submission=str(path), seed=seed, errors=errors + cell_problems(records, cell_timeout),
                    answers=written_answers(solution, submission), sandbox=sandbox,
                    warnings=[NO_SANDBOX] if sandbox == "none" else [],
                    environment=next((parse_environment(r["text"]) for r in records if r["cell"] == 0), {}))
    if stopped:
        report.errors.append(f"grading stopped after {limit:g} s in all")
    for _, cid, points in checks(solution):
        status, feedback = judge(by_check.get(cid), cell_timeout)
        if feedback == DIFFERS and any(OUTDATED in e for e in errors):
            feedback += "; or helper cells changed since you downloaded the lab (see the problems listed with your grade)"
        earned = points if status == "pass" else 0
        report.checks.append(CheckResult(cid, earned, points, status, feedback))
        report.score += earned
        report.max_score += points
    report.seconds = round(time.monotonic() - t0, 2)
    return report


def share_of_cores(jobs):
    """Threads each of `jobs` parallel gradings gets, so that they do not fight over cores."""
    return max(1, (os.cpu_count() or 1) // max(1, jobs))
