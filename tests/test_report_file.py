"""The lab report a student hands in: made in a real kernel from tables, displayed plots and saved written answers."""

import re

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from grader.notebook import new_answer_cell
from grader.release import student_copy

CELLS = [
    "import aisys; aisys.setup(quiet=True)\nimport matplotlib.pyplot as plt\nfrom aisys.report import Table, save",
    "fig, ax = plt.subplots(); ax.plot([1, 2, 3]); ax.set_title('Loss against steps'); plt.show()",
    "done = Table('Throughput', ['batch', 'samples/s'], [(1, 10.0), (32, 250.0)])",
    "def unanswered():\n    raise NotImplementedError()",
    "save('report.html', [lambda: done, lambda: never_made, lambda: unanswered()], title='ch00 report', "
    "notebook='lab.ipynb')",
]


def run_lab(tmp_path, answer):
    nb = new_notebook(cells=[new_code_cell(src) for src in CELLS], metadata={"aisys": {"lab": "lab"}})
    nb.cells.insert(3, new_answer_cell("q-batch", 2, "**Q1.** Why does batch 32 win?", "Fixed costs per step."))
    nb = student_copy(nb, "lab.ipynb")  # as released in labs/
    nb.cells[3].source = nb.cells[3].source.replace("YOUR ANSWER HERE", answer)
    nbformat.write(nb, tmp_path / "lab.ipynb")  # the saved notebook the report reads the answers from
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return "".join(o.get("text", "") for o in nb.cells[-1].outputs), (tmp_path / "report.html").read_text()


def test_the_report_holds_tables_plots_and_answers_and_names_what_is_missing(tmp_path):
    said, page = run_lab(tmp_path, "Per-step **overhead** is paid once per `batch`.\n\n- one\n- <script>x</script>")
    assert "missing: name 'never_made' is not defined: run the section that makes it first" in said
    assert "missing: an exercise it needs is not answered yet" in said
    assert "report written to report.html: 1 tables, 1 plots, 1/1 written answers (as last saved)" in said
    assert "<b>Environment</b>" in page and "<b>Throughput</b>" in page and "250" in page
    assert re.search(r"<img src='data:image/png;base64,[A-Za-z0-9+/=]{200,}' alt='Loss against steps'>", page)
    assert "<strong>Q1.</strong> Why does batch 32 win?" in page
    assert "Per-step <strong>overhead</strong> is paid once per <code>batch</code>." in page  # markdown rendered
    assert "<li>one</li>" in page and "<script>" not in page and "&lt;script&gt;" in page  # raw HTML escaped
    assert "Fixed costs per step" not in page  # the model answer never reaches a student's report


def test_an_unanswered_question_is_listed_as_such(tmp_path):
    said, page = run_lab(tmp_path, "YOUR ANSWER HERE")
    assert "0/1 written answers" in said and "not answered yet" in page


def test_the_notebook_is_found_from_what_jupyterlab_tells_the_kernel(tmp_path, monkeypatch):
    from aisys.report import default_notebook

    (tmp_path / "lab.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", "labs/lab.ipynb")  # relative to the server's root, the kernel runs in labs/
    assert default_notebook() == "lab.ipynb"
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "lab.ipynb"))
    assert default_notebook() == str(tmp_path / "lab.ipynb")
    monkeypatch.delenv("JPY_SESSION_NAME")
    assert default_notebook() is None
