"""The doors of the layers: Linear's settings, what ``Sequential`` refuses, and the
sentences for a backward pass that cannot go on."""

from __future__ import annotations

import numpy as np

from scratchnet._module import Module
from scratchnet.doors.for_modules import overflow, where_not_finite
from scratchnet.doors.values import (
    POSITIVE_INT,
    GradientError,
    GradientOverflow,
    as_generator,
    as_upstream,
    kind_of,
    require_finite,
    require_float_dtype,
)


def linear_settings(in_features, out_features, rng, dtype) -> tuple:
    """Linear's arguments, checked: (in_features, out_features, a Generator, a dtype)."""
    return (
        POSITIVE_INT.check(in_features, "in_features"),
        POSITIVE_INT.check(out_features, "out_features"),
        as_generator(rng),
        require_float_dtype(dtype),
    )


def sequence(modules) -> list:
    """The modules as a list, once there is one, each a module (not a class, say), none in
    two places, and neighbours' widths fit."""
    if not modules:
        raise ValueError("Sequential needs at least one module")
    width, giver = None, None  # the width the modules so far hand on, and who fixed it
    for index, module in enumerate(modules):
        if not isinstance(module, Module):
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


def model_grad_output(model, dL_dy) -> np.ndarray:
    """The upstream gradient of a model, as an array of its last output's shape and dtype.
    Whether it is finite is tested once, at the end of the backward pass."""
    return as_upstream(dL_dy, model.y, "the last output", GradientError)


def returned_gradient(model, index: int, dL_dx, dL_dy: np.ndarray) -> np.ndarray:
    """What module ``index``'s backward returned, once it is an array of its input's shape,
    so a backward that forgot its ``return`` is named where it returned, not in the next
    module's matmul. Finiteness is tested once, after module 0: a NaN in dL_dy, or one a
    module made, reaches dL_dx through every module that multiplies by its upstream gradient.
    """
    shape = model.shapes[index]
    if not isinstance(dL_dx, np.ndarray) or dL_dx.shape != shape:
        module = model.modules[index]
        name, code = type(module).__name__, type(module).backward.__code__
        raise GradientError(
            f"module {index}, {name}, returned {kind_of(dL_dx)} from backward ({code.co_filename}, "
            f"line {code.co_firstlineno}); backward must return dL/dx, an array of the "
            f"shape of its input, {shape}"
        )
    if index == 0 and not np.isfinite(dL_dx).all():
        require_finite(dL_dy, "grad_output", GradientError)
        raise overflow(where_not_finite(model, None, dL_dy), GradientOverflow)
    return dL_dx
