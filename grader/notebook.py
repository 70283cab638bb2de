"""The single-source notebook format: solution markers and check-cell metadata."""

import ast
import re
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_STUB = ["YOUR ANSWER HERE"]
CHECK_TAG = "nbval-check-output"
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


def checks(nb):
    """The (cell index, id, points) of every check cell, in order."""
    return [(i, m["check"], m.get("points", 1)) for i, c in enumerate(nb.cells) if (m := check_meta(c))]


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
        meta = check_meta(cell)
        if meta is None:
            continue
        where = f"{path}, cell {i}"
        cid, points = meta["check"], meta.get("points", 1)
        if not isinstance(cid, str) or not CHECK_ID.match(cid):
            raise NotebookError(f"{where}: check id {cid!r} must be lowercase letters, digits, '-' or '_'")
        if cid in seen:
            raise NotebookError(f"{where}: check id {cid!r} is also used by cell {seen[cid]}: ids must be unique")
        if not isinstance(points, (int, float)) or points <= 0:
            raise NotebookError(f"{where}: check {cid!r} has points {points!r}: give a positive number")
        if cell.cell_type != "code" or has_solution(cell):
            raise NotebookError(f"{where}: check {cid!r} must be a code cell without solution markers")
        if CHECK_TAG not in cell.metadata.get("tags", []):
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


EXPERIMENT_CALLS = ("launch(", "plt.", "plot.", "Table(", "display(")


def defines_only(source):
    """Whether a code cell only defines things (functions, classes, imports, data) and runs no experiment."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    loose = [ast.unparse(s) for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.ClassDef))]
    return not any(call in code for code in loose for call in EXPERIMENT_CALLS)


def definitions(nb):
    """The sources of a notebook's code cells that only define things, check cells left out (for benchmarks)."""
    graded = {i for i, _, _ in checks(nb)}
    return [c.source for i, c in enumerate(nb.cells) if c.cell_type == "code" and i not in graded and defines_only(c.source)]
