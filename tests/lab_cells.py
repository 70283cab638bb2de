"""Run one check of a solution notebook on an edited answer: the definitions above it, the edit, then the check."""

import nbformat
from nbclient import NotebookClient

from grader.notebook import checks, definitions, read


def check_output(path, check_id, edits=(), timeout=300):
    """The text the check prints after the cells that define things run, with each (old, new) edit applied."""
    nb = read(path)
    target = next(i for i, cid, _ in checks(nb) if cid == check_id)
    check_source = nb.cells[target].source
    nb.cells = nb.cells[:target]
    cells = [nbformat.v4.new_code_cell(source) for source in [*definitions(nb), check_source]]
    for old, new in edits:
        hits = [c for c in cells if old in c.source]
        assert len(hits) == 1, f"the edit {old!r} matches {len(hits)} cells"
        hits[0].source = hits[0].source.replace(old, new)
    run = nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)
    NotebookClient(run, timeout=timeout, kernel_name="python3", allow_errors=True).execute()
    return "".join(o.get("text", "") for o in run.cells[-1].outputs)
