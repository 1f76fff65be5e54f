"""The doors of the layers: what ``module(x)`` checks, what ``Sequential`` refuses, and
the sentences for a forward or backward pass that cannot go on."""

from __future__ import annotations

import dis

import numpy as np

from scratchnet.doors.values import (
    POSITIVE_INT,
    GradientError,
    GradientOverflow,
    as_float_array,
    as_generator,
    as_samples,
    require_finite,
    require_float_dtype,
)


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
    """What ``__getattr__`` raises for an attribute that was never set.

    Python calls ``__getattr__`` only then. A name that a forward of ``owner``'s class
    assigns (``self.y = ...``) is a cache that forward fills: wherever it is read, forward
    has not run yet. Any other name is a plain missing attribute (a typo, say), and gets
    Python's own sentence.
    """
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


def linear_settings(in_features, out_features, rng, dtype) -> tuple:
    """Linear's arguments, checked: (in_features, out_features, a Generator, a dtype)."""
    return (
        POSITIVE_INT.check(in_features, "in_features"),
        POSITIVE_INT.check(out_features, "out_features"),
        as_generator(rng),
        require_float_dtype(dtype),
    )


def sequence(modules) -> list:
    """The modules as a list, once none is missing, repeated or misfit: no modules, a
    non-module (a class, say), one module in two places, and neighbours whose widths do
    not fit are refused."""
    if not modules:
        raise ValueError("Sequential needs at least one module")
    width, giver = None, None  # the width the modules so far hand on, and who fixed it
    for index, module in enumerate(modules):
        if not _is_module(module):
            found = (
                f"the class {module.__name__}; create one: {module.__name__}()"
                if isinstance(module, type)
                else f"a {type(module).__name__}"
            )
            raise TypeError(
                f"Sequential's modules must be scratchnet modules; module {index} is {found}"
            )
        if any(module is earlier for earlier in modules[:index]):
            raise ValueError(
                f"module {index} ({module!r}) already appears earlier in this Sequential; "
                "each place needs its own module, because each caches its own forward pass"
            )
        takes = module.input_module.in_features
        if takes is not None and width is not None and takes != width:
            raise ValueError(
                f"module {index} ({module!r}) takes {takes} features, but module {giver} "
                f"gives {width}"
            )
        if getattr(module, "out_features", None) is not None:
            width, giver = module.out_features, index
    return list(modules)


def _is_module(value) -> bool:
    """A scratchnet Module, known by what only Module gives (this door cannot import it)."""
    return not isinstance(value, type) and all(
        callable(getattr(value, name, None)) for name in ("forward", "backward", "parameters")
    ) and hasattr(value, "input_module")


def model_grad_output(model, dL_dy) -> np.ndarray:
    """The upstream gradient of a model, as an array of its last output's shape and dtype.
    Whether it is finite is tested once, at the end of the backward pass."""
    dL_dy = as_float_array(dL_dy, "grad_output", dtype=model.y.dtype)
    if dL_dy.shape != model.y.shape:
        raise GradientError(
            f"grad_output must have the shape of the last output, {model.y.shape}, "
            f"got {dL_dy.shape}"
        )
    return dL_dy


def returned_gradient(model, index: int, dL_dx, dL_dy: np.ndarray) -> np.ndarray:
    """What module ``index``'s backward returned, once it is an array of that module's
    input shape; after module 0, also finite.

    Checked at each module, so that a backward that forgot its ``return``, or summed
    what it should not, is named where it returned, not in the next module's matmul.
    Finiteness is tested once, at the end: a NaN in dL_dy, or one a module made, reaches
    dL_dx through every module that multiplies by its upstream gradient.
    """
    shape = model.shapes[index]
    if not isinstance(dL_dx, np.ndarray) or dL_dx.shape != shape:
        module = model.modules[index]
        name, code = type(module).__name__, type(module).backward.__code__
        found = (
            f"an array of shape {dL_dx.shape}"
            if isinstance(dL_dx, np.ndarray)
            else "None" if dL_dx is None else f"a {type(dL_dx).__name__}"
        )
        raise GradientError(
            f"module {index}, {name}, returned {found} from backward ({code.co_filename}, "
            f"line {code.co_firstlineno}); backward must return dL/dx, an array of the "
            f"shape of its input, {shape}"
        )
    if index == 0 and not np.isfinite(dL_dx).all():
        require_finite(dL_dy, "grad_output", GradientError)
        raise overflow(where_not_finite(model, None, dL_dy), GradientOverflow)
    return dL_dx


def where_not_finite(model, x, dL_dy=None) -> str:
    """The first output to go NaN or infinite ("the output of module 2", "module 1's
    dL/dx"), found by running a Sequential's modules again one at a time: forward from
    ``x``, or backward from ``dL_dy`` when it is given. Any other module is named whole."""
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
