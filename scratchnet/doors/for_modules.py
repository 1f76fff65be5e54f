"""The doors every module shares: what ``module(x)`` checks and refuses, and what a
cache read before forward says (for the losses too)."""

from __future__ import annotations

import dis

import numpy as np

from scratchnet.doors.values import as_samples


class CalledBeforeForward(ValueError, AttributeError):
    """A cache that only forward sets was read before forward ran. A ValueError, as every
    misuse is here; an AttributeError too, as Python expects of a missing attribute."""


def module_input(module, x) -> np.ndarray:
    """x as the first module takes it: finite numbers of its ``dtype``, (N, in_features)
    where it declares ``in_features``."""
    first = module.input_module
    return as_samples(x, "x", first.dtype, first.in_features, type(first).__name__)


def module_output(module, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """y, once it is finite; else a FloatingPointError naming the module that overflowed."""
    if not np.isfinite(y).all():
        raise overflow(where_not_finite(module, x))
    return y


def missing_attribute(owner, name: str):
    """What ``__getattr__`` raises for an attribute never set (Python calls it only then): a
    name some forward of ``owner``'s class assigns is a cache, so forward has not run yet;
    any other name (a typo, say) gets Python's own sentence."""
    kind = type(owner).__name__
    if name in _assigned_by_forward(type(owner)):
        raise CalledBeforeForward(f"{kind} has no {name} yet: forward sets it, and has not run")
    raise AttributeError(f"{kind!r} object has no attribute {name!r}")


def _assigned_by_forward(kind: type) -> set[str]:
    """The attribute names that some ``forward`` in ``kind``'s classes assigns."""
    forwards = (vars(each).get("forward") for each in kind.__mro__)
    return {
        instruction.argval
        for forward in forwards
        if hasattr(forward, "__code__")
        for instruction in dis.get_instructions(forward)
        if instruction.opname == "STORE_ATTR"
    }


def where_not_finite(model, x, dL_dy=None) -> str:
    """The first output of a Sequential's modules, rerun one at a time, to go NaN or
    infinite: forward from ``x`` ("the output of module 2"), or backward from ``dL_dy``
    ("module 1's dL/dx"). Any other module is named whole."""
    modules = getattr(model, "modules", None)
    if not isinstance(modules, list):
        return f"the output of {type(model).__name__}"
    with np.errstate(over="ignore", invalid="ignore"):
        if dL_dy is None:
            for index, module in enumerate(modules):
                x = module.forward(x)
                if not np.isfinite(x).all():
                    return f"the output of module {index}"
        else:
            for index in reversed(range(len(modules))):
                dL_dy = modules[index].backward(dL_dy)
                if not np.isfinite(dL_dy).all():
                    return f"module {index}'s dL/dx"
    return "the output"  # a forward that changes between calls may be finite on a rerun


def overflow(where: str, kind: type = FloatingPointError) -> FloatingPointError:
    return kind(
        f"{where} contains NaN or infinity: the numbers overflowed inside the network "
        "(a smaller learning rate or smaller weights may help)"
    )
