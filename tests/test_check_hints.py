"""Each lab's checks on the mistakes the lab warns about: each fails with its hint, the solution passes."""

import runpy

import pytest

from grader.notebook import checks, read
from tests.conftest import REPO
from tests.lab_cells import LabKernel

# (lab, mistake): (check id, [(text in the solution, what the mistake writes instead)], words the hint must say),
# one module per lab in tests/hints/, so that labs written side by side do not edit one file.
MISTAKES = {key: value for module in sorted((REPO / "tests" / "hints").glob("ch*.py"))
            for key, value in runpy.run_path(str(module))["MISTAKES"].items()}
SOLUTION_PASSES = ("ch06b_model_parallel", "the solution, run this way"), ("ch06-1f1b", [], "PASS [ch06-1f1b]")


def in_cell_order():
    """The mistakes by lab, each lab's in the order of their checks, so that one kernel per lab only moves forward."""
    order = {lab: {cid: i for i, cid, _ in checks(read(REPO / "solutions" / f"{lab}.ipynb"))}
             for lab in {lab for lab, _ in MISTAKES}}
    cases = [*MISTAKES.items(), SOLUTION_PASSES]
    return [pytest.param(lab, mistake, check_id, edits, hint, id=f"{lab}-{mistake}".replace(" ", "-"),
                         marks=pytest.mark.xdist_group(lab))
            for (lab, mistake), (check_id, edits, hint) in sorted(cases, key=lambda c: (c[0][0], order[c[0][0]][c[1][0]]))]


@pytest.fixture(scope="module")
def kernels():
    """The kernel of the lab under test (one at a time: a new lab stops the last one's)."""
    held = {}

    def kernel_of(lab):
        if lab not in held:
            for old in held.values():
                old.close()
            held.clear()
            held[lab] = LabKernel(REPO / "solutions" / f"{lab}.ipynb")
        return held[lab]

    yield kernel_of
    for kernel in held.values():
        kernel.close()


@pytest.mark.notebook
@pytest.mark.parametrize("lab, mistake, check_id, edits, hint", in_cell_order())
def test_a_mistake_fails_its_check_with_the_hint(kernels, lab, mistake, check_id, edits, hint):
    out = kernels(lab).check_output(check_id, edits)
    verdict = "PASS" if not edits else "FAIL"
    assert out.startswith(f"{verdict} [{check_id}]") and hint in out, out


def test_every_lab_has_hints_tested_on_real_mistakes():
    labs = {path.stem for path in (REPO / "solutions").glob("*.ipynb")}
    tested = {lab for lab, _ in MISTAKES}
    assert labs <= tested, f"labs whose hints no real mistake tests (add tests/hints/<lab>.py): {sorted(labs - tested)}"
