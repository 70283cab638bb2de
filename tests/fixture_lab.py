"""A tiny lab in the workbook's format, built by the grader tests so that they stay fast."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.solution_run import refresh
from grader.notebook import new_answer_cell, new_check_cell
from grader.release import release


check_cell = new_check_cell


FIXTURE = [
    new_markdown_cell("# Fixture lab: scale and softmax"),
    new_code_cell("import aisys; aisys.setup()"),
    new_code_cell("import numpy as np\nimport torch\nfrom aisys.checks import check, hidden_rng"),
    new_code_cell("def scale(x, k):\n    \"\"\"x times k.\"\"\"\n    ### BEGIN SOLUTION\n    return x * k\n    ### END SOLUTION"),
    check_cell("fx-scale", 2, '''@check("fx-scale")
def _():
    """scale multiplies every element by k"""
    rng = hidden_rng("fx-scale")
    x, k = torch.randint(-9, 9, (5,), generator=rng), int(torch.randint(2, 7, (1,), generator=rng))
    got = scale(x, k)
    assert torch.equal(got, x * k), f"scale(x, {k}) gave {got.tolist()}, expected {(x * k).tolist()}"
    return got.tolist()'''),
    new_code_cell("def softmax(x):\n    \"\"\"Row softmax, stable for large inputs.\"\"\"\n    ### BEGIN SOLUTION\n"
                  "    e = torch.exp(x - x.max(dim=-1, keepdim=True).values)\n    return e / e.sum(dim=-1, keepdim=True)\n"
                  "    ### END SOLUTION"),
    check_cell("fx-softmax", 1, '''@check("fx-softmax")
def _():
    """softmax matches torch.softmax, even for large inputs"""
    x = torch.randn(4, 7, generator=hidden_rng("fx-softmax")) * 100
    got = softmax(x)
    assert torch.allclose(got, torch.softmax(x, -1), atol=1e-6), "rows differ from torch.softmax: subtract the row max before exp"
    assert np.allclose(got.sum(-1).numpy(), 1.0), "rows must sum to 1"
    return got.argmax(-1).tolist()'''),
    new_answer_cell("fx-why-max", 2, "**Q1.** Why does softmax subtract the row max before `exp`?",
                    "exp overflows to inf for inputs above about 88 in float32; subtracting the max changes nothing."),
    new_code_cell("def total_of(x, k):\n    \"\"\"The sum of scale(x, k), as an int.\"\"\"\n    ### BEGIN SOLUTION\n"
                  "    return int(scale(x, k).sum())\n    ### END SOLUTION"),
    check_cell("fx-total", 1, '''@check("fx-total")
def _():
    """total_of sums the scaled tensor"""
    rng = hidden_rng("fx-total")
    x, k = torch.randint(-9, 9, (6,), generator=rng), int(torch.randint(2, 7, (1,), generator=rng))
    got = total_of(x, k)
    assert isinstance(got, int) and got == int((x * k).sum()), f"total_of gave {got!r}, expected {int((x * k).sum())}"
    return got'''),
]


def build(root):
    """solutions/ and labs/ under root holding the fixture lab (and a second, unrelated lab); returns root."""
    solutions = root / "solutions"
    solutions.mkdir(parents=True)
    nbformat.write(new_notebook(cells=FIXTURE, metadata={"aisys": {"lab": "ch00_fixture"},
                                                        "kernelspec": {"name": "python3", "display_name": "Python 3"}}),
                   solutions / "ch00_fixture.ipynb")
    other = [new_code_cell("import aisys; aisys.setup()"),
             new_code_cell("def two():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"),
             check_cell("other-two", 1, '@check("other-two")\ndef _():\n    """two is 2"""\n    assert two() == 2\n    return 2')]
    other[-1].source = "from aisys.checks import check\n" + other[-1].source
    nbformat.write(new_notebook(cells=other, metadata={"aisys": {"lab": "ch99_other"},
                                                       "kernelspec": {"name": "python3", "display_name": "Python 3"}}),
                   solutions / "ch99_other.ipynb")
    for nb in sorted(solutions.glob("*.ipynb")):
        assert refresh(nb) == [], f"the fixture solution {nb.name} fails its own checks"
    release(solutions, root / "labs")
    return root
