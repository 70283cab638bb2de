import os

import matplotlib
import torch

import aisys


def test_setup_seeds_so_runs_repeat(capsys):
    aisys.setup(seed=3)
    a = torch.rand(4)
    aisys.setup(seed=3)
    b = torch.rand(4)
    aisys.setup(seed=4)
    c = torch.rand(4)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_setup_says_what_it_chose_in_one_line(capsys, monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    device = aisys.setup()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and f"device {device.type}" in out[0]
    if not torch.cuda.is_available():
        assert device.type == "cpu"
        assert os.environ["TRITON_INTERPRET"] == "1" and "interpreter" in out[0]
    assert matplotlib.rcParams["axes.grid"] is True


def test_setup_quiet_prints_nothing(capsys):
    aisys.setup(quiet=True)
    assert capsys.readouterr().out == ""
