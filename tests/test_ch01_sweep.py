"""Lab ch01's batch-size sweep measures on the device it is given: the model and its batches go there together.

A GPU is not needed: the notebook's `device` is set to one the sweep must not touch (PyTorch's "meta" device, where
nothing can run), and the sweep is asked for the CPU. A batch made on `device` instead of the model's device fails.
"""

import nbformat
import pytest
from nbclient import NotebookClient

from grader.notebook import definitions, read
from tests.conftest import REPO

RUN = '''device = torch.device("meta")  # as if the notebook ran on another device than the one measured
BATCH_SIZES, ROUNDS = [1, 4], 1
results = sweep(SmallCNN(), torch.device("cpu"))
print(sorted(results), all(r["samples/s"] > 0 for r in results.values()))'''


@pytest.mark.notebook
def test_the_sweep_puts_model_and_batches_on_the_device_it_measures():
    nb = read(REPO / "solutions" / "ch01_end_to_end.ipynb")
    cells = [nbformat.v4.new_code_cell(source) for source in [*definitions(nb), RUN]]
    run = nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)
    NotebookClient(run, timeout=300, kernel_name="python3", allow_errors=True).execute()
    outputs = run.cells[-1].outputs
    text = "".join(o.text if o.get("name") == "stdout" else f"{o.ename}: {o.evalue}" if o.output_type == "error" else ""
                   for o in outputs)
    assert text.strip() == "[1, 4] True", text
