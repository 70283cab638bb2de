import subprocess
import sys

import pytest
import torch

from aisys.envinfo import env_report
from aisys.report import Table


def test_table_text_is_aligned_and_formats_floats():
    t = Table("T", ["name", "value"], [("a", 1.234567), ("long name", 2)])
    lines = str(t).splitlines()
    assert lines[0] == "T"
    assert lines[1].startswith("name       value")
    assert "1.235" in lines[3] and lines[4].startswith("long name  2")


def test_table_html_escapes_and_has_every_cell():
    html = Table("<T>", ["a", "b"], [("<x>", 3)])._repr_html_()
    assert "&lt;x&gt;" in html and "&lt;T&gt;" in html and html.count("<td") == 2


def test_table_rejects_a_short_row():
    with pytest.raises(ValueError, match="has 1 cells, expected 2"):
        Table("T", ["a", "b"], [("only",)])


def test_table_column_and_dict():
    t = Table("T", ["k", "v"], [("x", 1), ("y", 2)])
    assert t.column("v") == [1, 2] and t.as_dict() == {"x": 1, "y": 2}


def test_env_report_names_the_versions_that_decide_results():
    env = env_report().as_dict()
    for key in ["CPU", "CPU cores", "Memory", "GPU", "GPU count", "OS", "Python", "torch", "triton", "nni", "CUDA"]:
        assert key in env, key
    assert env["torch"] == torch.__version__
    assert env["GPU count"] == torch.cuda.device_count()


def test_env_command_prints_the_table():
    out = subprocess.run([sys.executable, "-m", "aisys", "env"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("Environment") and torch.__version__ in out
