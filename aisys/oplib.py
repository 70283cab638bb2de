"""Register torch.library custom operators without silently replacing one already registered."""

import itertools

import torch

_fresh = itertools.count()


class OperatorAlreadyDefined(RuntimeError):
    """A custom operator's name is taken in this process."""


def fresh_namespace(prefix="lab"):
    """A namespace no operator uses yet in this process, so that re-running a cell registers anew."""
    while True:
        ns = f"{prefix}_{next(_fresh)}"
        if not any(name.startswith(ns + "::") for name in torch._C._dispatch_get_all_op_names()):
            return ns


def custom_op(qualname, **kwargs):
    """torch.library.custom_op, refusing a name that is already registered (torch would silently replace it)."""
    if "::" not in qualname:
        raise ValueError(f"{qualname!r}: an operator's name is 'namespace::name'")
    if qualname in torch._C._dispatch_get_all_op_names():
        raise OperatorAlreadyDefined(
            f"the operator {qualname} is already registered in this process; registering it again would replace its "
            "kernel and drop its fake and autograd registrations: use a new name (or oplib.fresh_namespace()) or "
            "restart the kernel")
    return torch.library.custom_op(qualname, **kwargs)
