"""Grade a folder of submissions (one per student, named by student id) in parallel, into a CSV gradebook."""

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.grade import CACHE, SOLUTIONS, Report, grade, load_solutions, share_of_cores
from grader.notebook import NotebookError, checks, write_atomic
from grader.reference import reference_outputs


def grade_one(path, solutions, jobs, **options):
    """A Report for one file; unusable input and grader faults become a report with an error, never an exception."""
    try:
        return grade(path, solutions=solutions, threads=share_of_cores(jobs), **options)
    except NotebookError as e:
        return Report(lab="", submission=str(path), seed=options.get("seed", 0), errors=[str(e)])
    except Exception as e:  # one broken submission must never cost the rest of the class their grades
        return Report(lab="", submission=str(path), seed=options.get("seed", 0),
                      errors=[f"grader error ({type(e).__name__}): {e}"])


def batch(folder, out_csv, jobs=1, seed=0, solutions_dir=SOLUTIONS, cache_dir=CACHE, **options):
    """Grade every file in folder; write the CSV and a JSON report per student beside it; return the reports."""
    folder, out_csv = Path(folder), Path(out_csv)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    solutions = load_solutions(solutions_dir)
    for lab in solutions:  # made once, before the workers start, so that they never race to make them
        reference_outputs(Path(solutions_dir) / f"{lab}.ipynb", seed, cache_dir)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        reports = list(pool.map(lambda p: grade_one(p, solutions, jobs, seed=seed, solutions_dir=solutions_dir,
                                                    cache_dir=cache_dir, **options), files))
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    for path, report in zip(files, reports):
        write_atomic(out_csv.parent / f"{path.stem}.json", report.to_json())
    check_ids = [cid for nb in solutions.values() for _, cid, _ in checks(nb)]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["student", "lab", "score", "max_score", *check_ids, "errors"])
    for path, report in zip(files, reports):
        earned = {c.id: c.points for c in report.checks}
        writer.writerow([path.stem, report.lab, f"{report.score:g}", f"{report.max_score:g}",
                         *[f"{earned[cid]:g}" if cid in earned else "" for cid in check_ids], " | ".join(report.errors)])
    write_atomic(out_csv, buf.getvalue())
    return reports
