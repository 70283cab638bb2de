"""The lab notebooks as shipped: labs/ up to date, checks well formed, blank copies scoring 0 and solutions full marks."""

import pytest

from grader.grade import grade
from grader.notebook import answers, checks, read, validate
from grader.release import stale
from tests.conftest import REPO

SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))
MIN_CHECKS = {"ch01_end_to_end.ipynb": 6, "ch03_framework.ipynb": 12,
              "ch04_kernels.ipynb": 14, "ch06a_data_parallel.ipynb": 7,
              "ch05a_graph_compiler.ipynb": 17,
              "ch05b_tensor_compiler.ipynb": 6,
              "ch06b_model_parallel.ipynb": 6,
              "ch07_scheduling.ipynb": 10,
              "ch09a_hpo.ipynb": 12,
              "ch09b_nas.ipynb": 6,
              "ch08_inference.ipynb": 21}


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


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_a_lab_asks_for_written_answers_and_ends_with_the_report(path):
    nb = read(path)
    assert len(answers(nb)) >= 3, f"{path.name}: ask two or three questions after each measured section"
    last = [c for c in nb.cells if c.cell_type == "code"][-1].source
    assert "report.save(" in last, f"{path.name}: the last code cell must write the report with aisys.report.save"


@pytest.mark.notebook
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_graded_blank_lab_scores_zero_and_solution_full_marks(path, tmp_path):
    blank = grade(REPO / "labs" / path.name, cache_dir=tmp_path)
    assert blank.max_score > 0 and blank.score == 0
    for c in blank.checks:  # every check fails, and says why
        assert c.status == "fail" and c.feedback, c
    solved = grade(path, cache_dir=tmp_path)
    assert solved.score == solved.max_score and solved.errors == [], solved
