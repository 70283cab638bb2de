"""Build the notebook that is graded: the student's cells, with the official check cells re-inserted by id."""

import nbformat
from nbformat.v4 import new_code_cell

from grader.notebook import BEGIN, END, NotebookError, check_meta, has_solution, lab_of, new_check_cell, timeout_of

PREAMBLE = ("import aisys.checks  # inserted by the grader before any student code: "
            "the checks keep the original print, allclose and friends\naisys.checks.announce_environment()")


def skeleton(cell):
    """The first line of a solution cell outside its answer block: how a cell is recognised without its id."""
    inside = False
    for line in cell.source.splitlines():
        mark = line.strip()
        if mark == BEGIN:
            inside = True
        elif mark == END:
            inside = False
        elif mark and not inside:
            return mark
    return None


def match(solution, submission):
    """{solution cell index: submission cell index}: by cell id, else answer cells by their skeleton line."""
    sub_ids = {c.get("id"): j for j, c in enumerate(submission.cells) if c.get("id")}
    found = {}
    for i, cell in enumerate(solution.cells):
        if check_meta(cell) is not None:
            continue
        if cell.get("id") in sub_ids:
            found[i] = sub_ids[cell.id]
        elif has_solution(cell) and (line := skeleton(cell)):
            hits = [j for j, c in enumerate(submission.cells) if c.cell_type == cell.cell_type and line in c.source]
            if hits:
                found[i] = hits[0]
    return found


def coverage(solution, submission):
    """The share of a solution's non-check cells found in the submission."""
    own = [i for i, c in enumerate(solution.cells) if check_meta(c) is None]
    return len(match(solution, submission)) / max(1, len(own))


def resolve_lab(name, solutions):
    """The lab a --lab value names: its full name or a unique prefix of it (ch07 for ch07_scheduling)."""
    if name in solutions:
        return name
    found = [lab for lab in solutions if lab.startswith(name)]
    if len(found) == 1:
        return found[0]
    if found:
        raise NotebookError(f"--lab {name!r} could be {' or '.join(sorted(found))}: give more of the name")
    raise NotebookError(f"--lab {name!r} is not one of {sorted(solutions)}")


def recognise(submission, solutions, lab=None, where="submission"):
    """The lab of a submission: from its metadata, else the lab whose cells it holds; refuses another lab's notebook."""
    named = lab_of(submission)
    if named is not None and named not in solutions:
        raise NotebookError(f"{where} says it is lab {named!r}, which is not one of {sorted(solutions)}")
    if lab is not None:
        lab = resolve_lab(lab, solutions)
        if named not in (None, lab):
            raise NotebookError(f"{where} is a notebook of lab {named!r}, not {lab!r}: was the wrong file submitted?")
        if named is None and coverage(solutions[lab], submission) < 0.2:
            raise NotebookError(f"{where} does not look like lab {lab!r}: almost none of its cells are there")
        return lab
    if named is not None:
        return named
    best = max(solutions, key=lambda name: coverage(solutions[name], submission))
    if coverage(solutions[best], submission) < 0.5:
        raise NotebookError(f"cannot tell which lab {where} is (no lab in its metadata, cells match none): pass --lab")
    return best


def official_check(cell, outputs):
    """A copy of an official check cell carrying the reference outputs nbval compares against."""
    meta = check_meta(cell)
    c = new_check_cell(meta["check"], meta.get("points", 1), cell.source)
    if timeout_of(cell):
        c.metadata["aisys"]["timeout"] = timeout_of(cell)
    c.outputs = [nbformat.from_dict(o) for o in outputs]
    c.execution_count = 1
    return c


def changed_given_cells(solution, submission, matched):
    """Report lines for given code cells (no answer in them) whose code differs from the lab's: edited or outdated."""
    lines = []
    for i, j in sorted(matched.items()):
        given, theirs = solution.cells[i], submission.cells[j]
        if given.cell_type == "code" and not has_solution(given) and given.source.strip() != theirs.source.strip():
            first = next((line for line in given.source.splitlines() if line.strip()), "")
            lines.append(f"the given cell starting {first!r} (cell {i} of the lab) differs from the lab's current "
                         f"version: {OUTDATED}")
    return lines


OUTDATED = ("if you did not edit it, your copy of the lab is outdated: download the lab again and copy your answers "
            "into it, since a check may fail on the hidden inputs when its helper cells differ")


def assemble(solution, submission, reference):
    """The graded notebook and the problems found: student cells (checks removed, timeouts from the solution) plus official checks."""
    official_ids = {c.get("id") for c in solution.cells if check_meta(c) is not None}
    matched = match(solution, submission)
    timeouts = {j: timeout_of(solution.cells[i]) for i, j in matched.items() if timeout_of(solution.cells[i])}
    errors = [f"the answer cell starting {skeleton(c)!r} (cell {i} of the lab) is missing: restore it from the lab notebook"
              for i, c in enumerate(solution.cells) if has_solution(c) and i not in matched]
    errors += changed_given_cells(solution, submission, matched)
    after = {}  # submission cell index (or -1 for the top) -> official checks that follow it
    anchor = -1
    for i, cell in enumerate(solution.cells):
        if check_meta(cell) is None:
            anchor = matched.get(i, anchor)
        else:
            after.setdefault(anchor, []).append(official_check(cell, reference[check_meta(cell)["check"]]))
    cells = [new_code_cell(PREAMBLE)] + after.get(-1, [])
    for j, cell in enumerate(submission.cells):
        if check_meta(cell) is None and cell.get("id") not in official_ids:
            student = nbformat.from_dict(dict(cell))
            student.metadata = {"aisys": {"timeout": timeouts[j]}} if j in timeouts else {}  # the solution's, never the student's
            if student.cell_type == "code":
                student.outputs, student.execution_count = [], None
            cells.append(student)
        cells.extend(after.get(j, []))
    graded = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": solution.metadata.get("kernelspec", {}),
                                                               "aisys": {"lab": lab_of(solution)}})
    return graded, errors
