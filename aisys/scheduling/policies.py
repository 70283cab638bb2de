"""The one policy aisys ships (FIFO) and how a policy is found by name or as module:Class."""

import importlib

from aisys.scheduling.simulator import Policy


class FIFO(Policy):
    """First in, first out: start jobs in arrival order; stop at the first that does not fit (no skipping)."""

    name = "fifo"

    def schedule(self, sim):
        while sim.waiting:
            if not sim.start(next(iter(sim.waiting))):
                break


POLICIES = {"fifo": FIFO}


def load_policy(spec):
    """A policy instance from a registered name ('fifo') or 'module:Class' (the module importable from here)."""
    if spec.lower() in POLICIES:
        return POLICIES[spec.lower()]()
    if ":" not in spec:
        raise ValueError(f"unknown policy {spec!r}: use one of {', '.join(POLICIES)} or 'module:Class' "
                         f"(e.g. 'mypolicies:SRTF' for class SRTF in mypolicies.py)")
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ValueError(f"policy {spec!r}: cannot import module {module_name!r} ({e}); run from the folder that holds it "
                         f"or add that folder to PYTHONPATH") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Policy)):
        raise ValueError(f"policy {spec!r}: {module_name} has no Policy subclass named {class_name!r}")
    return cls()
