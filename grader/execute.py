"""Run a solution notebook and store the outputs nbval compares (check cells only, so files stay small)."""

from pathlib import Path

import nbclient
from nbclient.exceptions import CellExecutionError

from grader.notebook import NotebookError, check_meta, dumps, read, validate, write_atomic


def refresh(path, timeout=600):
    """Execute the solution at path in its folder and keep only its check cells' outputs."""
    path = Path(path)
    nb = read(path)
    validate(nb, path)
    try:
        nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as e:
        raise NotebookError(f"{path}: a cell raised, so nothing was written. {e}") from None
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
            if check_meta(cell) is None:
                cell.outputs, cell.execution_count = [], None
    write_atomic(path, dumps(nb))
    failed = [o.text for c in nb.cells if check_meta(c) for o in c.outputs
              if o.get("name") == "stdout" and "FAIL [" in o.get("text", "")]
    return failed
