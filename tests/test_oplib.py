import pytest
import torch

from aisys import oplib


def test_fresh_namespaces_differ():
    assert oplib.fresh_namespace("t") != oplib.fresh_namespace("t")


def test_an_operator_registers_once_and_a_second_registration_is_refused():
    ns = oplib.fresh_namespace("test")

    @oplib.custom_op(f"{ns}::double", mutates_args=())
    def double(x: torch.Tensor) -> torch.Tensor:
        return x * 2

    assert torch.equal(double(torch.ones(2)), torch.full((2,), 2.0))
    with pytest.raises(oplib.OperatorAlreadyDefined, match=f"{ns}::double is already registered"):
        oplib.custom_op(f"{ns}::double", mutates_args=())(lambda x: x)
    assert torch.equal(getattr(torch.ops, ns).double(torch.ones(1)), torch.full((1,), 2.0))  # not replaced


def test_a_name_without_namespace_is_refused():
    with pytest.raises(ValueError, match="namespace::name"):
        oplib.custom_op("double", mutates_args=())
