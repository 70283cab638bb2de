"""Trusted runs of solution notebooks (nbclient, no limits): refresh stored check outputs, make reference outputs."""

import os
from pathlib import Path

import nbclient
from nbclient.exceptions import CellExecutionError

from aisys.protocol import FAIL, parse
from grader.notebook import NotebookError, check_meta, dumps, read, timeout_of, validate, write_atomic


def run_notebook(nb, cwd, env=None, timeout=600, where="notebook"):
    """Execute nb in place in a fresh kernel started in cwd, with extra environment variables."""
    try:
        nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                timeout_func=lambda cell: max(timeout, timeout_of(cell) or 0),
                                resources={"metadata": {"path": str(cwd)}}).execute(env={**os.environ, **(env or {})})
    except CellExecutionError as e:
        raise NotebookError(f"{where}: a cell raised, so nothing was written. {e}") from None
    return nb


def check_outputs(nb):
    """{check id: outputs} of an executed notebook."""
    return {m["check"]: c.outputs for c in nb.cells if (m := check_meta(c))}


def failing(nb):
    """The verdict texts of checks that did not pass."""
    texts = ["".join(o.get("text", "") for o in outs if o.get("name") == "stdout") for outs in check_outputs(nb).values()]
    return [t for t in texts if (v := parse(t)) is None or v[0] == FAIL]


def refresh(path, timeout=600):
    """Execute the solution at path in its folder and keep only its check cells' outputs."""
    path = Path(path)
    nb = read(path)
    validate(nb, path)
    run_notebook(nb, path.parent, timeout=timeout, where=str(path))
    nb.metadata.get("language_info", {}).pop("version", None)  # no churn from the kernel's patch release
    nb.metadata.pop("widgets", None)  # progress bars' widget state: random ids, new on every run
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
            cell.execution_count = None  # inserting a cell renumbers nothing
            if check_meta(cell) is None:
                cell.outputs = []
    write_atomic(path, dumps(nb))
    return failing(nb)
