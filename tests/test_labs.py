"""The lab notebooks as shipped: labs/ up to date, checks well formed, and no check passing on a blank notebook."""

import nbclient
import nbformat
import pytest

from grader.notebook import check_meta, checks, read, validate
from grader.release import stale
from tests.conftest import REPO

SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))
MIN_CHECKS = {"ch01_end_to_end.ipynb": 6}


def test_there_are_labs():
    assert SOLUTIONS, "no solution notebooks found"


def test_labs_are_generated_from_solutions():
    assert stale(REPO / "solutions", REPO / "labs") == [], "labs/ is stale: run 'make labs'"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_format_and_stored_check_outputs(path):
    nb = read(path)
    validate(nb, path)
    found = checks(nb)
    assert len(found) >= MIN_CHECKS.get(path.name, 1)
    assert path.stat().st_size < 200_000, "keep stored outputs small: 'make solutions' stores check outputs only"
    assert nb.cells[1].source.startswith("import aisys; aisys.setup()") or "aisys.setup()" in nb.cells[1].source
    for i, cid, _ in found:
        text = "".join(o.get("text", "") for o in nb.cells[i].outputs)
        # nbval compares only stored outputs: a check without one would pass whatever the student writes.
        assert text.startswith(f"PASS [{cid}]"), f"{path.name} cell {i} ({cid}) has no stored PASS output: run 'make solutions'"


@pytest.mark.notebook
@pytest.mark.parametrize("path", [REPO / "labs" / p.name for p in SOLUTIONS], ids=lambda p: p.stem)
def test_no_check_passes_on_the_blank_student_notebook(path):
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    verdicts = {}
    for cell in nb.cells:
        if (meta := check_meta(cell)) is not None:
            verdicts[meta["check"]] = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert verdicts
    for cid, text in verdicts.items():
        assert text.startswith(f"FAIL [{cid}]") and "hint:" in text, f"{cid} on the blank notebook printed {text!r}"
