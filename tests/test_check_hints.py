"""Each lab's checks on the mistakes the lab warns about: each fails with its hint, the solution passes."""

import runpy

import pytest

from tests.conftest import REPO
from tests.lab_cells import check_output

# (lab, mistake): (check id, [(text in the solution, what the mistake writes instead)], words the hint must say),
# one module per lab in tests/hints/, so that labs written side by side do not edit one file.
MISTAKES = {key: value for module in sorted((REPO / "tests" / "hints").glob("ch*.py"))
            for key, value in runpy.run_path(str(module))["MISTAKES"].items()}


@pytest.mark.notebook
@pytest.mark.parametrize("lab, mistake", MISTAKES, ids=lambda v: v.replace(" ", "-"))
def test_a_mistake_fails_its_check_with_the_hint(lab, mistake):
    check_id, edits, hint = MISTAKES[lab, mistake]
    out = check_output(REPO / "solutions" / f"{lab}.ipynb", check_id, edits)
    assert out.startswith(f"FAIL [{check_id}]") and hint in out, out


@pytest.mark.notebook
def test_a_check_run_this_way_passes_on_the_solution():
    assert check_output(REPO / "solutions" / "ch06b_model_parallel.ipynb", "ch06-1f1b").startswith("PASS [ch06-1f1b]")


def test_every_lab_has_hints_tested_on_real_mistakes():
    labs = {path.stem for path in (REPO / "solutions").glob("*.ipynb")}
    tested = {lab for lab, _ in MISTAKES}
    assert labs <= tested, f"labs whose hints no real mistake tests (add tests/hints/<lab>.py): {sorted(labs - tested)}"
