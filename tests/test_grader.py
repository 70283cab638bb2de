"""The autograder against adversarial submissions made from a small fixture lab."""

import csv
import json
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.grade import grade
from grader.notebook import NotebookError
from tests.fixture_lab import build

FULL = 4


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    return build(tmp_path_factory.mktemp("fixture"))


def blank(lab):
    return nbformat.read(lab / "labs" / "ch00_fixture.ipynb", 4)


def solved(lab):
    return nbformat.read(lab / "solutions" / "ch00_fixture.ipynb", 4)


def cell_starting(nb, text):
    return next(i for i, c in enumerate(nb.cells) if c.source.startswith(text))


def run(root, nb, tmp_path, **kw):
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, path)
    kw.setdefault("cell_timeout", 20)
    return grade(path, solutions_dir=root / "solutions", cache_dir=root / "cache", **kw)


def statuses(report):
    return {c.id: c.status for c in report.checks}


def test_blank_scores_zero_with_hints(lab, tmp_path):
    r = run(lab, blank(lab), tmp_path)
    assert (r.score, r.max_score) == (0, FULL) and set(statuses(r).values()) == {"fail"}
    assert all("NotImplementedError" in c.feedback or "not defined" in c.feedback for c in r.checks)


def test_solution_scores_full(lab, tmp_path):
    r = run(lab, solved(lab), tmp_path)
    assert (r.score, r.max_score) == (FULL, FULL) and r.errors == []


def test_a_warning_on_stderr_changes_no_verdict(lab, tmp_path):
    nb = solved(lab)
    i = cell_starting(nb, "def scale")
    nb.cells[i].source = "import warnings\n" + nb.cells[i].source.replace(
        "    return x * k", "    warnings.warn('a warning the check does not ask about')\n    return x * k")
    r = run(lab, nb, tmp_path)
    assert (r.score, r.max_score) == (FULL, FULL) and r.errors == [], statuses(r)


def test_checks_edited_to_pass_or_deleted_change_nothing(lab, tmp_path):
    nb = blank(lab)
    for c in nb.cells:
        if "aisys" in c.metadata:
            c.source = "pass"
    assert run(lab, nb, tmp_path).score == 0
    nb = blank(lab)
    nb.cells = [c for c in nb.cells if "aisys" not in c.metadata]
    assert run(lab, nb, tmp_path).score == 0


def test_solution_with_checks_deleted_moved_or_duplicated_still_scores_full(lab, tmp_path):
    nb = solved(lab)
    checks = [c for c in nb.cells if "aisys" in c.metadata]
    nb.cells = checks[::-1] + [c for c in nb.cells if "aisys" not in c.metadata] + checks
    assert run(lab, nb, tmp_path).score == FULL
    nb.cells = [c for c in nb.cells if "aisys" not in c.metadata]
    assert run(lab, nb, tmp_path).score == FULL


CHEAT_COMPARISONS = '''import builtins, numpy, torch
torch.allclose = torch.equal = numpy.allclose = lambda *a, **k: True
_print = builtins.print
builtins.print = lambda *a, **k: _print(str(a[0]).replace("FAIL", "PASS").split("\\n")[0] if a else "", **k)
def scale(x, k): return x
def softmax(x): return x
def total_of(x, k): return 0'''


@pytest.mark.parametrize("where", ["top", "after imports"])
def test_replacing_allclose_and_print_scores_zero(lab, tmp_path, where):
    nb = blank(lab)
    at = 0 if where == "top" else cell_starting(nb, "import numpy") + 1
    nb.cells.insert(at, new_code_cell(CHEAT_COMPARISONS))
    r = run(lab, nb, tmp_path)
    assert r.score == 0, r.checks


def test_printing_the_stored_outputs_fails_under_a_new_seed(lab, tmp_path):
    stored = {c.metadata["aisys"]["check"]: c.outputs[0]["text"] for c in solved(lab).cells if "check" in c.metadata.get("aisys", {})}
    nb = blank(lab)
    nb.cells.insert(cell_starting(nb, "import numpy") + 1, new_code_cell(
        f"STORED = {stored!r}\ncheck = lambda cid: (lambda fn: print(STORED[cid], end=''))"))
    r = run(lab, nb, tmp_path, seed=3)
    assert r.seed == 3 and r.score == 0 and set(statuses(r).values()) == {"fail"}
    assert "differs from the reference" in r.checks[0].feedback


def test_infinite_loop_times_out_and_later_checks_still_run(lab, tmp_path):
    nb = solved(lab)
    nb.cells[cell_starting(nb, "def softmax")].source = "while True:\n    pass"
    r = run(lab, nb, tmp_path, cell_timeout=4)
    assert statuses(r) == {"fx-scale": "pass", "fx-softmax": "fail", "fx-total": "pass"}
    assert any("timed out after 4 s" in e for e in r.errors) and r.seconds < 60


def test_a_check_that_loops_reports_timeout(lab, tmp_path):
    nb = solved(lab)
    nb.cells[cell_starting(nb, "def scale")].source = "def scale(x, k):\n    while True:\n        pass"
    r = run(lab, nb, tmp_path, cell_timeout=4)
    assert statuses(r)["fx-scale"] == "timeout" and r.checks[0].feedback == "timed out after 4 s"
    assert statuses(r)["fx-softmax"] == "pass"


def test_dead_kernel_is_reported_and_the_rest_is_not_run(lab, tmp_path):
    nb = solved(lab)
    nb.cells[cell_starting(nb, "def softmax")].source = "import os\nos._exit(1)"
    r = run(lab, nb, tmp_path, cell_timeout=30)
    assert statuses(r) == {"fx-scale": "pass", "fx-softmax": "not run", "fx-total": "not run"}
    assert r.score == 2 and any("kernel died" in e for e in r.errors) and r.seconds < 30


def test_syntax_error_fails_what_depends_on_it(lab, tmp_path):
    nb = solved(lab)
    nb.cells[cell_starting(nb, "def scale")].source = "def scale(x, k) return x * k"
    r = run(lab, nb, tmp_path)
    assert statuses(r) == {"fx-scale": "fail", "fx-softmax": "pass", "fx-total": "fail"}
    assert any("SyntaxError" in e for e in r.errors) and "not defined" in r.checks[0].feedback


def test_memory_blow_up_is_stopped_by_the_limit(lab, tmp_path):
    nb = solved(lab)
    nb.cells.insert(cell_starting(nb, "def softmax"), new_code_cell("hog = bytearray(64 * 2**30)"))
    r = run(lab, nb, tmp_path, memory_gib=6)
    assert r.score == FULL and any("MemoryError" in e for e in r.errors)


def test_missing_answer_cell_is_named(lab, tmp_path):
    nb = solved(lab)
    del nb.cells[cell_starting(nb, "def softmax")]
    r = run(lab, nb, tmp_path)
    assert any("'def softmax(x):'" in e and "missing" in e for e in r.errors)
    assert statuses(r)["fx-softmax"] == "fail" and r.score == 3


def test_an_edited_or_outdated_given_cell_is_named_and_explains_a_differing_check(lab, tmp_path):
    nb = solved(lab)
    i = cell_starting(nb, "import numpy as np")
    nb.cells[i].source += "\nhidden_rng = lambda name: torch.Generator().manual_seed(1)  # an old helper"
    r = run(lab, nb, tmp_path)
    assert any("'import numpy as np'" in e and "outdated" in e and "download the lab again" in e for e in r.errors)
    differing = [c for c in r.checks if c.status == "fail"]
    assert differing and all("differs from the reference" in c.feedback and "since you downloaded" in c.feedback
                             for c in differing)


def test_lab_is_recognised_without_metadata_and_another_lab_is_refused(lab, tmp_path):
    nb = solved(lab)
    del nb.metadata["aisys"]
    for c in nb.cells:
        c.id = f"new-{c.id}"  # as if pasted into a fresh notebook: cells found by their first lines
    assert run(lab, nb, tmp_path).lab == "ch00_fixture"
    other = nbformat.read(lab / "labs" / "ch99_other.ipynb", 4)
    with pytest.raises(NotebookError, match="is a notebook of lab 'ch99_other', not 'ch00_fixture'"):
        run(lab, other, tmp_path, lab="ch00_fixture")


def cli(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=300)


def test_cli_malformed_file_exits_2_with_the_problem(lab, tmp_path):
    bad = tmp_path / "broken.ipynb"
    bad.write_text('{"cells": [')
    r = cli("grade", str(bad), "--solutions", str(lab / "solutions"))
    assert r.returncode == 2 and "broken.ipynb: not a readable Jupyter notebook" in r.stderr


def test_cli_grade_writes_the_documented_json(lab, tmp_path):
    path = tmp_path / "s.ipynb"
    nbformat.write(solved(lab), path)
    r = cli("grade", str(path), "--solutions", str(lab / "solutions"), "--json", str(tmp_path / "r.json"))
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert {"lab", "score", "max_score", "checks", "errors", "answers", "environment"} <= set(report)
    assert report["environment"]["device"] == "cpu" and report["environment"]["torch"].startswith("2.")
    assert set(report["checks"][0]) == {"id", "points", "max_points", "status", "feedback"}
    assert report["score"] == report["max_score"] == FULL
    assert (report["sandbox"], report["warnings"]) == ("bwrap", [])


def test_batch_of_mixed_submissions_writes_a_full_csv(lab, tmp_path):
    subs = tmp_path / "class"
    subs.mkdir()
    nbformat.write(solved(lab), subs / "alice.ipynb")
    nbformat.write(blank(lab), subs / "bob.ipynb")
    (subs / "carol.ipynb").write_text("not json at all")
    (subs / "dave.txt").write_text("my homework is in my other notebook")
    looping = solved(lab)
    looping.cells[cell_starting(looping, "def softmax")].source = "while True:\n    pass"
    nbformat.write(looping, subs / "erin.ipynb")
    dying = solved(lab)
    dying.cells[cell_starting(dying, "def softmax")].source = "import os\nos._exit(1)"
    nbformat.write(dying, subs / "frank.ipynb")
    out = tmp_path / "grades" / "grades.csv"
    r = cli("batch", str(subs), "--out", str(out), "--jobs", "2", "--timeout", "8", "--solutions", str(lab / "solutions"))
    assert r.returncode == 0, r.stderr
    rows = {row["student"]: row for row in csv.DictReader(out.open())}
    assert set(rows) == {"alice", "bob", "carol", "dave", "erin", "frank"}
    assert rows["alice"]["score"] == "4" and rows["bob"]["score"] == "0"
    assert "not a readable Jupyter notebook" in rows["carol"]["errors"] and "dave.txt" in rows["dave"]["errors"]
    assert rows["erin"]["score"] == "3" and "timed out" in rows["erin"]["errors"]
    assert rows["frank"]["score"] == "2" and "kernel died" in rows["frank"]["errors"]
    assert rows["alice"]["fx-scale"] == "2" and rows["bob"]["fx-scale"] == "0"
    assert json.loads((out.parent / "frank.json").read_text())["checks"][2]["status"] == "not run"
    assert rows["alice"]["unmarked"] == "fx-why-max" and rows["alice"]["fx-why-max"] == "" and rows["alice"]["total"] == "4"
    assert "<h2>Written answers</h2>" in (out.parent / "alice.html").read_text()


def answered(lab, text):
    nb = blank(lab)
    cell = next(c for c in nb.cells if c.metadata.get("aisys", {}).get("answer") == "fx-why-max")
    cell.source = cell.source.replace("YOUR ANSWER HERE", text)
    return nb


def test_written_answers_come_out_beside_the_model_answer_unmarked(lab, tmp_path):
    r = run(lab, answered(lab, "Because exp(1000) is inf."), tmp_path)
    (a,) = r.answers
    assert (a.id, a.max_points, a.points) == ("fx-why-max", 2, None)
    assert a.question.startswith("**Q1.** Why does softmax") and a.text == "Because exp(1000) is inf."
    assert "exp overflows" in a.model_answer and r.unmarked == ["fx-why-max"]
    assert run(lab, blank(lab), tmp_path).answers[0].text == ""


def test_marks_come_back_into_the_csv_totals_and_bad_marks_are_refused(lab, tmp_path):
    subs = tmp_path / "class"
    subs.mkdir()
    nbformat.write(answered(lab, "Overflow."), subs / "alice.ipynb")
    nbformat.write(answered(lab, "No idea."), subs / "bob.ipynb")
    marks, out = tmp_path / "marks.csv", tmp_path / "grades" / "grades.csv"
    marks.write_text("student,answer,points\nalice,fx-why-max,1.5\n")
    r = cli("batch", str(subs), "--out", str(out), "--marks", str(marks), "--solutions", str(lab / "solutions"))
    assert r.returncode == 0, r.stderr
    rows = {row["student"]: row for row in csv.DictReader(out.open())}
    assert (rows["alice"]["written"], rows["alice"]["unmarked"], rows["alice"]["total_max"]) == ("1.5", "", "6")
    assert (rows["bob"]["fx-why-max"], rows["bob"]["unmarked"]) == ("", "fx-why-max")  # never a silent zero
    assert json.loads((out.parent / "alice.json").read_text())["answers"][0]["points"] == 1.5
    for bad, says in [("carol,fx-why-max,1", "no submission of student 'carol'"),
                      ("alice,fx-typo,1", "'fx-typo' is not a written answer"),
                      ("alice,fx-why-max,3", "worth 0 to 2")]:
        marks.write_text(f"student,answer,points\n{bad}\n")
        r = cli("batch", str(subs), "--out", str(out), "--marks", str(marks), "--solutions", str(lab / "solutions"))
        assert r.returncode == 2 and "marks.csv, line 2" in r.stderr and says in r.stderr, r.stderr


def test_a_unique_prefix_names_a_lab(lab, tmp_path):
    nb = solved(lab)
    del nb.metadata["aisys"]
    assert run(lab, nb, tmp_path, lab="ch00").lab == "ch00_fixture"
    with pytest.raises(NotebookError, match="could be ch00_fixture or ch99_other"):
        run(lab, nb, tmp_path, lab="ch")


def with_slow_cell(lab, tmp_path, seconds):
    """A copy of the fixture's solutions whose lab holds a 4 s cell, with {"aisys": {"timeout": seconds}} when given."""
    root = tmp_path / "slow"
    (root / "solutions").mkdir(parents=True)
    nb = solved(lab)
    slow = new_code_cell("import time\ntime.sleep(4)", metadata={"aisys": {"timeout": seconds}} if seconds else {})
    nb.cells.insert(cell_starting(nb, "def softmax"), slow)
    nbformat.write(nb, root / "solutions" / "ch00_fixture.ipynb")  # the checks' stored outputs stay valid
    return root, nb


def test_a_cell_runs_under_its_own_timeout_from_the_solution_metadata(lab, tmp_path):
    root, nb = with_slow_cell(lab, tmp_path, 20)
    r = run(root, nb, tmp_path, cell_timeout=2)
    assert r.score == FULL and r.errors == []
    root, nb = with_slow_cell(lab, tmp_path / "plain", None)
    nb.cells[cell_starting(nb, "import time")].metadata["aisys"] = {"timeout": 20}  # the student's metadata is ignored
    r = run(root, nb, tmp_path, cell_timeout=2)
    assert any("'import time' timed out after 2 s" in e for e in r.errors), r.errors


def test_a_bad_cell_timeout_is_refused(lab):
    from grader.notebook import validate

    nb = solved(lab)
    nb.cells[1].metadata["aisys"] = {"timeout": "long"}
    with pytest.raises(NotebookError, match="cell 1: timeout 'long' must be a positive number"):
        validate(nb, lab / "solutions" / "ch00_fixture.ipynb")


def test_a_tampered_reference_cache_entry_is_remade(lab, tmp_path, monkeypatch):
    from grader import reference

    solution, cache = lab / "solutions" / "ch00_fixture.ipynb", tmp_path / "cache"
    made = reference.reference_outputs(solution, 5, cache)
    (entry,) = cache.glob("ch00_fixture-seed5-*.json")
    honest = json.loads(entry.read_text())
    poisoned = {**honest, "outputs": {cid: [{**outs[0], "text": "PASS [x] anything\n"}] for cid, outs in honest["outputs"].items()}}
    poisoned["mac"] = reference.hashlib.sha256(json.dumps(poisoned["outputs"]).encode()).hexdigest()  # a guessed signature
    entry.write_text(json.dumps(poisoned))
    assert reference.reference_outputs(solution, 5, cache) == made  # remade from the solution
    assert json.loads(entry.read_text()) == honest
    monkeypatch.setattr(reference, "run_notebook", lambda *a, **k: pytest.fail("an intact entry was remade"))
    assert reference.reference_outputs(solution, 5, cache) == made
