"""The single-source notebook format: solution markers and check-cell metadata."""

import re
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_STUB = ["YOUR ANSWER HERE"]
CHECK_TAG = "nbval-check-output"
DEFINITIONS_TAG = "definitions"  # a code cell that only defines things: benchmarks and hint tests re-run it
CHECK_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class NotebookError(ValueError):
    """A notebook that breaks the format; the message names the file, the cell and the fix."""


def read(path):
    """Read a notebook, with a clear error when the file is not one."""
    path = Path(path)
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise NotebookError(f"{path}: no such file") from None
    except Exception as e:  # nbformat raises several JSON and validation errors
        raise NotebookError(f"{path}: not a readable Jupyter notebook ({type(e).__name__}: {e})") from None


def check_meta(cell):
    """A check cell's {'id', 'points'} from its metadata, or None for other cells."""
    meta = cell.get("metadata", {}).get("aisys", {})
    return meta if "check" in meta else None


def timeout_of(cell):
    """The seconds a cell may run by its metadata {"aisys": {"timeout": s}} (a long experiment), or None."""
    return cell.get("metadata", {}).get("aisys", {}).get("timeout")


def checks(nb):
    """The (cell index, id, points) of every check cell, in order."""
    return [(i, m["check"], m.get("points", 1)) for i, c in enumerate(nb.cells) if (m := check_meta(c))]


def new_check_cell(check_id, points, source):
    """A check cell in the workbook's format (the one writer of it: the release step, the grader and tests use it)."""
    return nbformat.v4.new_code_cell(source, metadata={"aisys": {"check": check_id, "points": points},
                                                       "tags": [CHECK_TAG]})


def new_answer_cell(answer_id, points, asked, model):
    """A written-answer cell: the question, then the model answer between solution markers."""
    return nbformat.v4.new_markdown_cell(f"{asked}\n\n{BEGIN}\n{model}\n{END}",
                                         metadata={"aisys": {"answer": answer_id, "points": points}})


def answer_meta(cell):
    """A written-answer cell's {'answer', 'points'} from its metadata, or None for other cells."""
    meta = cell.get("metadata", {}).get("aisys", {})
    return meta if "answer" in meta else None


def answers(nb):
    """The (cell index, id, points) of every written-answer cell, in order."""
    return [(i, m["answer"], m.get("points", 1)) for i, c in enumerate(nb.cells) if (m := answer_meta(c))]


def strip_solution(source, cell_type, where):
    """The source with every BEGIN/END SOLUTION block replaced by the stub; unbalanced markers raise."""
    out, inside, begin_line = [], False, None
    lines = source.splitlines()
    for n, line in enumerate(lines, 1):
        mark = line.strip()
        if mark == BEGIN:
            if inside:
                raise NotebookError(f"{where}, line {n}: '{BEGIN}' inside a solution opened at line {begin_line}: "
                                    f"close the first one with '{END}'")
            inside, begin_line = True, n
            indent = line[: len(line) - len(line.lstrip())]
            stub = CODE_STUB if cell_type == "code" else MARKDOWN_STUB
            out.extend(indent + s for s in stub)
        elif mark == END:
            if not inside:
                raise NotebookError(f"{where}, line {n}: '{END}' without a '{BEGIN}' before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise NotebookError(f"{where}, line {begin_line}: '{BEGIN}' is never closed: add '{END}' after the answer")
    return "\n".join(out)


def has_solution(cell):
    """Whether a cell holds a solution block."""
    return any(line.strip() == BEGIN for line in cell.source.splitlines())


def split_answer(source):
    """(the text outside solution blocks, the text inside them) of a cell's source."""
    outside, inside, within = [], [], False
    for line in source.splitlines():
        mark = line.strip()
        if mark in (BEGIN, END):
            within = mark == BEGIN
        else:
            (inside if within else outside).append(line)
    return "\n".join(outside).strip(), "\n".join(inside).strip()


def question(cell):
    """A written-answer cell's question: its text outside the model answer."""
    return split_answer(cell.source)[0]


def student_answer(cell, asked):
    """What a student wrote in an answer cell: its text without the question's lines and the stub."""
    asked_lines = {line.strip() for line in asked.splitlines() if line.strip()}
    kept = [line for line in cell.source.splitlines()
            if line.strip() not in asked_lines and line.strip() not in MARKDOWN_STUB]
    return "\n".join(kept).strip()


def lab_of(nb):
    """The lab a notebook belongs to, from its metadata (None when it does not say)."""
    return nb.metadata.get("aisys", {}).get("lab")


def validate(nb, path):
    """Refuse a solution whose format is broken: lab name, check ids, duplicates, points, answers inside checks."""
    if lab_of(nb) != Path(path).stem:
        raise NotebookError(f"{path}: the notebook metadata must name its lab, {{\"aisys\": {{\"lab\": \"{Path(path).stem}\"}}}} "
                            f"(it says {lab_of(nb)!r})")
    seen = {}
    for i, cell in enumerate(nb.cells):
        seconds = timeout_of(cell)
        if seconds is not None and (cell.cell_type != "code" or isinstance(seconds, bool)
                                    or not isinstance(seconds, (int, float)) or seconds <= 0):
            raise NotebookError(f"{path}, cell {i}: timeout {seconds!r} must be a positive number of seconds on a code cell")
        meta = check_meta(cell) or answer_meta(cell)
        if meta is None:
            continue
        where = f"{path}, cell {i}"
        kind = "check" if check_meta(cell) else "answer"
        cid, points = meta[kind], meta.get("points", 1)
        if not isinstance(cid, str) or not CHECK_ID.match(cid):
            raise NotebookError(f"{where}: {kind} id {cid!r} must be lowercase letters, digits, '-' or '_'")
        if cid in seen:
            raise NotebookError(f"{where}: {kind} id {cid!r} is also used by cell {seen[cid]}: ids must be unique")
        if not isinstance(points, (int, float)) or points <= 0:
            raise NotebookError(f"{where}: {kind} {cid!r} has points {points!r}: give a positive number")
        if kind == "answer":
            if cell.cell_type != "markdown" or not has_solution(cell) or not question(cell):
                raise NotebookError(f"{where}: answer {cid!r} must be a markdown cell holding the question, then a "
                                    f"model answer between '{BEGIN}' and '{END}'")
        elif cell.cell_type != "code" or has_solution(cell):
            raise NotebookError(f"{where}: check {cid!r} must be a code cell without solution markers")
        elif CHECK_TAG not in cell.metadata.get("tags", []):
            raise NotebookError(f"{where}: check {cid!r} lacks the '{CHECK_TAG}' tag, so nbval would never compare it")
        seen[cid] = i


def dumps(nb):
    """A notebook as the exact text it is stored as (so stale copies compare byte for byte)."""
    return nbformat.writes(nb) + "\n"


def write_atomic(path, text):
    """Write text to path through a temporary file, so a crash never leaves half a notebook."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def definitions(nb):
    """The sources of a notebook's cells tagged as definitions (for benchmarks and hint tests), in order."""
    return [c.source for c in nb.cells if c.cell_type == "code" and DEFINITIONS_TAG in c.metadata.get("tags", [])]


def run_definitions(path, name="__main__"):
    """A fresh namespace in which a notebook's definitions cells have run (how benchmarks use a solution's code)."""
    namespace = {"__name__": name, "display": print}
    for source in definitions(read(path)):
        exec(source, namespace)
    return namespace
