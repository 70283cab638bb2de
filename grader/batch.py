"""Grade a folder of submissions (one per student, named by student id) in parallel, into a CSV gradebook."""

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.grade import CACHE, SOLUTIONS, Report, grade, load_solutions, share_of_cores
from grader.feedback import page
from grader.marks import apply_marks, read_marks
from grader.notebook import NotebookError, answers, checks, write_atomic
from grader.reference import reference_outputs
from grader.sandbox import require


def grade_one(path, solutions, jobs, **options):
    """A Report for one file; unusable input and grader faults become a report with an error, never an exception."""
    try:
        return grade(path, solutions=solutions, threads=share_of_cores(jobs), **options)
    except NotebookError as e:
        error = str(e)
    except Exception as e:  # one broken submission must never cost the rest of the class their grades
        error = f"grader error ({type(e).__name__}): {e}"
    return Report(lab="", submission=str(path), seed=options.get("seed", 0), errors=[error],
                  sandbox=options.get("sandbox", "bwrap"))


def write_reports(report, student, folder):
    """A student's JSON report and feedback page, written into folder."""
    write_atomic(folder / f"{student}.json", report.to_json())
    write_atomic(folder / f"{student}.html", page(report, student))


def batch(folder, out_csv, jobs=1, seed=0, solutions_dir=SOLUTIONS, cache_dir=CACHE, marks=None, sandbox="bwrap",
          **options):
    """Grade every file in folder; write the CSV and, per student, a JSON report and a feedback page beside it."""
    require(sandbox)  # refused for the whole class, before any grading, never one row at a time
    folder, out_csv = Path(folder), Path(out_csv)
    if not folder.is_dir():
        raise NotebookError(f"{folder}: not a folder of submissions")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    solutions = load_solutions(solutions_dir)
    marked = read_marks(marks, {p.stem for p in files}, solutions) if marks else {}  # refused before any grading
    for lab in solutions:  # made once, before the workers start, so that they never race to make them
        reference_outputs(Path(solutions_dir) / f"{lab}.ipynb", seed, cache_dir)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        reports = list(pool.map(lambda p: grade_one(p, solutions, jobs, seed=seed, solutions_dir=solutions_dir,
                                                    cache_dir=cache_dir, sandbox=sandbox, hide=[out_csv.parent],
                                                    **options), files))
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    for path, report in zip(files, reports):
        write_reports(apply_marks(report, path.stem, marked), path.stem, out_csv.parent)
    write_atomic(out_csv, gradebook([p.stem for p in files], reports, solutions))
    return reports


def gradebook(students, reports, solutions):
    """The CSV text: totals first, a column per check and per written answer (blank until marked), then problems."""
    check_ids = [cid for nb in solutions.values() for _, cid, _ in checks(nb)]
    answer_ids = [aid for nb in solutions.values() for _, aid, _ in answers(nb)]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["student", "lab", "score", "max_score", "written", "written_max", "total", "total_max",
                     *check_ids, *answer_ids, "unmarked", "errors"])
    for student, r in zip(students, reports):
        earned = {c.id: c.points for c in r.checks} | {a.id: a.points for a in r.answers}
        writer.writerow([student, r.lab, f"{r.score:g}", f"{r.max_score:g}", f"{r.written_score:g}",
                         f"{r.written_max:g}", f"{r.score + r.written_score:g}", f"{r.max_score + r.written_max:g}",
                         *["" if earned.get(i) is None else f"{earned[i]:g}" for i in check_ids + answer_ids],
                         " ".join(r.unmarked), " | ".join(r.errors)])
    return buf.getvalue()
