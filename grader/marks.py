"""An instructor's marks for written answers: a CSV of (student, answer, points), checked before any grading."""

import csv
from pathlib import Path

from grader.notebook import NotebookError, answers

COLUMNS = ("student", "answer", "points")


def answer_points(solutions):
    """{answer id: max points} over every lab's written answers."""
    return {aid: points for nb in solutions.values() for _, aid, points in answers(nb)}


def read_marks(path, students, solutions):
    """{(student, answer id): points} from the CSV at path; every row is checked, errors name the row and the fix."""
    path = Path(path)
    try:
        rows = list(csv.DictReader(path.open(newline="", encoding="utf-8")))
    except FileNotFoundError:
        raise NotebookError(f"{path}: no such marks file") from None
    if not rows or any(c not in rows[0] for c in COLUMNS):
        raise NotebookError(f"{path}: a marks file needs the header '{','.join(COLUMNS)}' and one row per mark")
    limits, marks = answer_points(solutions), {}
    for n, row in enumerate(rows, 2):
        where = f"{path}, line {n}"
        student, aid = row["student"].strip(), row["answer"].strip()
        if student not in students:
            raise NotebookError(f"{where}: no submission of student {student!r} (students: {', '.join(sorted(students))})")
        if aid not in limits:
            raise NotebookError(f"{where}: {aid!r} is not a written answer of any lab (e.g. {', '.join(sorted(limits)[:5])})")
        try:
            points = float(row["points"])
        except (TypeError, ValueError):
            raise NotebookError(f"{where}: points {row['points']!r} is not a number") from None
        if not 0 <= points <= limits[aid]:
            raise NotebookError(f"{where}: {points:g} points for {aid!r}, which is worth 0 to {limits[aid]:g}")
        if (student, aid) in marks:
            raise NotebookError(f"{where}: {student}'s {aid!r} is marked twice: keep one row")
        marks[student, aid] = points
    return marks


def apply_marks(report, student, marks):
    """Put an instructor's marks into a report's written answers; unmarked ones stay None (never a silent zero)."""
    for a in report.answers:
        a.points = marks.get((student, a.id))
    return report
