"""The release step: student notebooks in labs/ generated from the answered ones in solutions/."""

from pathlib import Path

from grader.notebook import (NotebookError, answer_meta, dumps, question, read, strip_solution, validate,
                             write_atomic)


def student_copy(nb, path):
    """The student's notebook: answers replaced by stubs, outputs and execution counts cleared."""
    validate(nb, path)
    nb = nb.copy()
    nb.cells = [cell.copy() for cell in nb.cells]
    for i, cell in enumerate(nb.cells):
        if answer_meta(cell):  # the student's copy keeps its question apart, so that a report can find the answer
            cell.metadata = {**cell.metadata, "aisys": {**answer_meta(cell), "question": question(cell)}}
        cell.source = strip_solution(cell.source, cell.cell_type, f"{path}, cell {i}")
        cell.metadata = {k: v for k, v in cell.metadata.items() if k not in ("execution", "collapsed", "scrolled")}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            parses(cell.source, f"{path}, cell {i}")
    return nb


def parses(source, where):
    """Refuse a stubbed cell that is no longer Python (an answer region cut through a statement)."""
    code = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        compile(code, where, "exec")
    except SyntaxError as e:
        raise NotebookError(f"{where}: the student copy does not parse ({e.msg}, line {e.lineno}): put "
                            f"'### BEGIN SOLUTION' / '### END SOLUTION' around whole statements, "
                            f"e.g. a function body, not part of an expression") from None


def plan(src_dir, dst_dir):
    """{target path: text} for every lab, and the stray labs/ notebooks with no solution; raises before any write."""
    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    sources = sorted(src_dir.glob("*.ipynb"))
    if not sources:
        raise NotebookError(f"{src_dir}: no solution notebooks (*.ipynb) found")
    targets = {dst_dir / p.name: dumps(student_copy(read(p), p)) for p in sources}
    strays = sorted(set(dst_dir.glob("*.ipynb")) - set(targets))
    return targets, strays


def stale(src_dir, dst_dir):
    """The labs/ files that differ from what the release step would write (missing, changed or stray)."""
    targets, strays = plan(src_dir, dst_dir)
    changed = [p for p, text in targets.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    return changed + strays


def release(src_dir, dst_dir):
    """Write every student copy; all notebooks are checked first, so one bad notebook writes nothing."""
    targets, strays = plan(src_dir, dst_dir)
    Path(dst_dir).mkdir(parents=True, exist_ok=True)
    written = []
    for path, text in targets.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text)
            written.append(path)
    for path in strays:
        path.unlink()
    return written, strays
