"""aisys.automl: the shipped HPO table and its recipe."""

import numpy as np
import pytest

from aisys.automl import tabular


@pytest.fixture(scope="module")
def table():
    return tabular.load()


def test_the_shipped_table_holds_every_configuration_of_its_space_once(table):
    sizes = [len(spec["_value"]) for spec in tabular.SPACE.values()]
    assert len(table.configs) == np.prod(sizes) == len(table.index)
    assert table.curves.shape == (len(table.configs), tabular.EPOCHS)
    assert ((table.curves >= 0) & (table.curves <= 1)).all() and (table.seconds > 0).all()


def test_the_recipe_reproduces_rows_of_the_shipped_table(table):
    data = tabular.digits_split()
    for i in (0, 97, 250, len(table.configs) - 1):
        curve = tabular.mlp_curve(table.configs[i], tabular.EPOCHS, data=data)
        assert np.allclose(curve, table.curves[i], atol=1e-4), table.configs[i]


def test_a_look_up_reads_the_curve_at_the_epoch_asked(table):
    config = table.configs[5]
    assert table.accuracy(config, 3) == table.curve(config)[2] == table.curves[5, 2]
    assert table.accuracy(config) == table.curves[5, -1]
    assert table.best == table.curves[:, -1].max()


def test_a_look_up_outside_the_table_names_the_problem(table):
    config = dict(table.configs[0], lr=0.5)
    with pytest.raises(KeyError, match="not in the table"):
        table.accuracy(config)
    with pytest.raises(ValueError, match="epochs must be 1..27"):
        table.accuracy(table.configs[0], 0)


def test_save_and_load_round_trip(table, tmp_path):
    path = tmp_path / "t.csv"
    tabular.save(table, path)
    again = tabular.load(path)
    assert again.configs == table.configs and np.allclose(again.curves, table.curves, atol=1e-4)
