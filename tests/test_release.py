import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.notebook import NotebookError, checks, new_check_cell, strip_solution
from grader.release import release, stale, student_copy


def check_cell(cid, points=1, source="print('PASS')"):
    return new_check_cell(cid, points, source)


def solution_nb(body="x = 1", lab="ch00_demo"):
    answer = new_code_cell(f"def f():\n    ### BEGIN SOLUTION\n    {body}\n    return x\n    ### END SOLUTION")
    answer.outputs = [new_output("stream", name="stdout", text="secret output\n")]
    answer.execution_count = 3
    return new_notebook(metadata={"aisys": {"lab": lab}}, cells=[
        new_markdown_cell("# Lab"),
        answer,
        new_markdown_cell("Explain.\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
        check_cell("demo-check", 2),
    ])


def write(path, nb):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_strip_solution_keeps_indentation_and_the_rest():
    src = "def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION\nprint(f)"
    assert strip_solution(src, "code", "nb") == "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()\nprint(f)"
    assert strip_solution("a\n### BEGIN SOLUTION\nb\n### END SOLUTION", "markdown", "nb") == "a\nYOUR ANSWER HERE"


@pytest.mark.parametrize("src, message", [
    ("### BEGIN SOLUTION\nx\n### BEGIN SOLUTION\n### END SOLUTION", "line 3: '### BEGIN SOLUTION' inside a solution opened at line 1"),
    ("x\n### END SOLUTION", "line 2: '### END SOLUTION' without"),
    ("a\n### BEGIN SOLUTION\nx", "line 2: '### BEGIN SOLUTION' is never closed"),
])
def test_unbalanced_markers_name_the_place(src, message):
    with pytest.raises(NotebookError, match=message):
        strip_solution(src, "code", "ch00.ipynb, cell 4")


def test_student_copy_hides_answers_and_outputs_keeps_checks():
    nb = student_copy(solution_nb(), "ch00_demo.ipynb")
    answer, md, chk = nb.cells[1], nb.cells[2], nb.cells[3]
    assert "x = 1" not in answer.source and "raise NotImplementedError()" in answer.source
    assert answer.outputs == [] and answer.execution_count is None
    assert md.source == "Explain.\nYOUR ANSWER HERE"
    assert chk.metadata["aisys"] == {"check": "demo-check", "points": 2}
    assert checks(nb) == [(3, "demo-check", 2)]


def test_release_round_trip_then_up_to_date(tmp_path):
    write(tmp_path / "solutions" / "ch00_demo.ipynb", solution_nb())
    written, _ = release(tmp_path / "solutions", tmp_path / "labs")
    assert [p.name for p in written] == ["ch00_demo.ipynb"]
    lab = nbformat.read(tmp_path / "labs" / "ch00_demo.ipynb", 4)
    assert "secret output" not in nbformat.writes(lab) and "x = 1" not in nbformat.writes(lab)
    assert stale(tmp_path / "solutions", tmp_path / "labs") == []
    assert release(tmp_path / "solutions", tmp_path / "labs") == ([], [])


def test_stale_after_a_solution_changes_or_a_stray_lab(tmp_path):
    src, dst = tmp_path / "solutions", tmp_path / "labs"
    write(src / "ch00_demo.ipynb", solution_nb())
    release(src, dst)
    nb = solution_nb()
    nb.cells[0].source = "# Lab, edited"
    write(src / "ch00_demo.ipynb", nb)
    assert stale(src, dst) == [dst / "ch00_demo.ipynb"]
    release(src, dst)
    write(dst / "ch99_gone.ipynb", solution_nb(lab="ch99_gone"))
    assert stale(src, dst) == [dst / "ch99_gone.ipynb"]


def test_one_bad_notebook_writes_nothing(tmp_path):
    src, dst = tmp_path / "solutions", tmp_path / "labs"
    write(src / "ch00_good.ipynb", solution_nb(lab="ch00_good"))
    bad = solution_nb(lab="ch01_bad")
    bad.cells[1].source = "### BEGIN SOLUTION\nx = 1"
    write(src / "ch01_bad.ipynb", bad)
    with pytest.raises(NotebookError, match=r"ch01_bad.ipynb, cell 1, line 1: .* never closed"):
        release(src, dst)
    assert not dst.exists()


@pytest.mark.parametrize("mutate, message", [
    (lambda nb: nb.metadata.pop("aisys"), "metadata must name its lab"),
    (lambda nb: nb.cells.append(check_cell("demo-check")), "also used by cell 3"),
    (lambda nb: nb.cells.append(check_cell("Bad Id")), "must be lowercase"),
    (lambda nb: nb.cells.append(check_cell("zero", points=0)), "give a positive number"),
    (lambda nb: nb.cells[3].metadata.pop("tags"), "lacks the 'nbval-check-output' tag"),
    (lambda nb: nb.cells.append(check_cell("leak", source="### BEGIN SOLUTION\nx\n### END SOLUTION")), "without solution markers"),
])
def test_malformed_checks_are_refused(mutate, message):
    nb = solution_nb()
    mutate(nb)
    with pytest.raises(NotebookError, match=message):
        student_copy(nb, "ch00_demo.ipynb")


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True)


def test_cli_check_fails_on_stale_labs_and_names_the_fix(tmp_path, repo):
    write(tmp_path / "solutions" / "ch00_demo.ipynb", solution_nb())
    r = run_cli("release", "solutions", "labs", "--check", cwd=tmp_path)
    assert r.returncode == 1 and "stale" in r.stderr and "make labs" in r.stderr
    assert run_cli("release", "solutions", "labs", cwd=tmp_path).returncode == 0
    assert run_cli("release", "solutions", "labs", "--check", cwd=tmp_path).returncode == 0


def test_cli_refuses_a_file_that_is_not_a_notebook(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "ch00_broken.ipynb").write_text("{ not json")
    r = run_cli("release", "solutions", "labs", cwd=tmp_path)
    assert r.returncode == 2 and "ch00_broken.ipynb: not a readable Jupyter notebook" in r.stderr
    assert not (tmp_path / "labs").exists()


def test_an_answer_region_inside_an_expression_is_refused():
    nb = solution_nb()
    nb.cells[1].source = "TABLE = {\n    ### BEGIN SOLUTION\n    'a': 1,\n    ### END SOLUTION\n}"
    with pytest.raises(NotebookError, match="cell 1: the student copy does not parse.*whole statements"):
        student_copy(nb, "ch00_demo.ipynb")


def test_magics_do_not_count_as_syntax_errors():
    nb = solution_nb()
    nb.cells[1].source = "%matplotlib inline\n!ls\n" + nb.cells[1].source
    assert "%matplotlib inline" in student_copy(nb, "ch00_demo.ipynb").cells[1].source


def test_definitions_are_the_cells_tagged_so_in_order():
    from grader.notebook import DEFINITIONS_TAG, definitions

    nb = solution_nb()
    tagged = lambda src: new_code_cell(src, metadata={"tags": [DEFINITIONS_TAG]})
    nb.cells += [tagged("import math\nN = 3"), new_code_cell("results = launch(g, 2)"), tagged("def g():\n    return 1")]
    assert definitions(nb) == ["import math\nN = 3", "def g():\n    return 1"]
