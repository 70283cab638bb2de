"""aisys.automl.nas: the model space, its shipped table and recipe, the weight-sharing supernet, the latency table."""

import numpy as np
import pytest
import torch

from aisys.automl import nas


@pytest.fixture(scope="module")
def table():
    return nas.load()


def path(supernet, x, arch):
    """A path through the supernet, as the lab's forward_path runs it."""
    h = supernet.stem(x, arch["width"])
    for i, cell in enumerate(supernet.cells):
        h = cell[arch[f"cell{i + 1}"]](h, arch["width"])
    return supernet.head(h)


def test_the_space_enumerates_every_architecture_once():
    archs = nas.architectures()
    assert len(archs) == len(nas.WIDTHS) * len(nas.OPS) ** nas.CELLS == len({nas.key(a) for a in archs})
    assert all(list(a) == list(nas.SPACE) for a in archs)


def test_the_shipped_table_holds_every_architecture_with_its_parameter_count(table):
    assert [nas.key(a) for a in table.archs] == [nas.key(a) for a in nas.architectures()]
    assert ((table.accuracies > 0) & (table.accuracies <= 1)).all() and (table.seconds > 0).all()
    for i in (0, 77, 249):
        assert table.params[i] == nas.parameters(table.archs[i])
    assert table.best == table.accuracies.max() > 0.98  # the best architectures classify digits well


def test_the_recipe_reproduces_rows_of_the_shipped_table(table):
    data = nas.digits_data()
    for arch in ({"width": 8, "cell1": "skip", "cell2": "maxpool", "cell3": "conv3x3"},
                 {"width": 8, "cell1": "sep3x3", "cell2": "skip", "cell3": "skip"}):
        acc, _ = nas.standalone(arch, data=data)
        assert abs(acc - table.accuracy(arch)) <= 2 / len(data[3]) + 1e-4, arch  # two images: other CPUs round differently


def test_a_look_up_outside_the_table_names_the_problem(table):
    with pytest.raises(KeyError, match="not in the table"):
        table.accuracy({"width": 32, "cell1": "skip", "cell2": "skip", "cell3": "skip"})
    with pytest.raises(KeyError, match="cell3"):
        table.accuracy({"width": 8, "cell1": "skip", "cell2": "skip"})
    with pytest.raises(ValueError, match="unknown operator"):
        nas.operator("conv7x7", 8)


def test_save_and_load_round_trip(table, tmp_path):
    nas.save(table, tmp_path / "t.csv")
    again = nas.load(tmp_path / "t.csv")
    assert [nas.key(a) for a in again.archs] == [nas.key(a) for a in table.archs]
    assert np.allclose(again.accuracies, table.accuracies) and (again.params == table.params).all()


def test_a_supernet_path_computes_what_the_stand_alone_net_computes_with_the_same_weights():
    torch.manual_seed(0)
    supernet = nas.SuperNet().eval()
    arch = {"width": 8, "cell1": "sep3x3", "cell2": "conv5x5", "cell3": "maxpool"}
    net = nas.Net(arch).eval()
    w = 8
    def copy(conv, slim, depthwise=False):
        conv.weight.data = slim.weight[:w].clone() if depthwise else slim.weight[:w, : conv.in_channels].clone()
        conv.bias.data = slim.bias[:w].clone()
    def copy_bn(bn, slim):
        bn.weight.data, bn.bias.data = slim.weight[:w].clone(), slim.bias[:w].clone()
    copy(net[0][0], supernet.stem.conv); copy_bn(net[0][1], supernet.stem.bn)
    sep, c5 = supernet.cells[0]["sep3x3"], supernet.cells[1]["conv5x5"]
    copy(net[1][0], sep.dw, depthwise=True); copy(net[1][1], sep.conv); copy_bn(net[1][2], sep.bn)
    copy(net[2][0], c5.conv); copy_bn(net[2][1], c5.bn)
    net[4][2].weight.data, net[4][2].bias.data = supernet.head.weight[:, :w].clone(), supernet.head.bias.clone()
    x = torch.randn(5, 1, 8, 8)
    assert torch.allclose(path(supernet, x, arch), net(x), atol=1e-5)


def test_a_narrow_path_trains_only_the_first_channels_of_the_shared_weights():
    supernet = nas.SuperNet()
    arch = {"width": 8, "cell1": "conv3x3", "cell2": "skip", "cell3": "skip"}
    path(supernet, torch.randn(4, 1, 8, 8), arch).sum().backward()
    grad = supernet.cells[0]["conv3x3"].conv.weight.grad
    assert grad[:8, :8].abs().sum() > 0 and grad[8:].abs().sum() == 0 and grad[:, 8:].abs().sum() == 0
    assert supernet.cells[0]["conv5x5"].conv.weight.grad is None  # an operator off the path gets no gradient


def test_recalibration_estimates_batch_norm_statistics_for_the_path_alone():
    supernet = nas.SuperNet()
    data = nas.digits_data()
    arch = {"width": 8, "cell1": "conv3x3", "cell2": "skip", "cell3": "skip"}
    acc = nas.path_accuracy(supernet, path, arch, data)
    bn = supernet.stem.bn
    x = data[0][:512]
    h = torch.nn.functional.conv2d(x, supernet.stem.conv.weight[:8], supernet.stem.conv.bias[:8], padding=1)
    assert torch.allclose(bn.running_mean[:8], h.mean((0, 2, 3)), atol=1e-5)  # the mean over 4 batches of 128
    assert (bn.running_mean[8:] == 0).all() and 0 <= acc <= 1 and not supernet.training


def test_predicted_latency_sums_the_parts_the_table_measured():
    lut = nas.latency_table(batch=2, repeat=3)
    assert set(lut) == {(p, w) for p in ("stem", "head", *nas.OPS) for w in nas.WIDTHS}
    assert all(s > 0 for s in lut.values()) and lut["skip", 8] < lut["conv5x5", 16]
    arch = {"width": 16, "cell1": "conv3x3", "cell2": "skip", "cell3": "maxpool"}
    assert nas.measured_latency(arch, batch=2, repeat=3) > 0


@pytest.mark.filterwarnings("ignore:.* is found to be not a nn.Module")  # NNI 3.0 on a newer torch
def test_nni_searches_the_same_space_and_keeps_its_files_in_the_folder_given(table, tmp_path):
    from nni.nas.strategy import RegularizedEvolution

    history = nas.nni_search(table.accuracy, RegularizedEvolution(population_size=4, sample_size=2, seed=0), 8, directory=tmp_path)
    assert len(history) == 8 and all(score == table.accuracy(arch) for arch, score in history)
    assert (tmp_path / "nni-experiments" / ".experiment").exists()  # NNI's experiment list, not in the home directory
