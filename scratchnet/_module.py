"""The base of every layer: ``Parameter``, and ``Module`` with its front door ``module(x)``
(see ``scratchnet.layers``)."""

from __future__ import annotations

import numpy as np

from scratchnet.doors import for_modules as doors
from scratchnet.doors.state import model_state


class Parameter:
    """A trainable array ``data`` and ``grad``, dL/d(data), of the same shape and dtype."""

    def __init__(self, data: np.ndarray):
        self.data = data
        self.grad = np.zeros_like(data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: ``module(x)`` checks x, then calls ``forward``; parameters are found."""

    dtype = None  # what input is converted to; None keeps float32 and float64 as they are
    in_features = None  # the number of input columns needed; None for any shape

    def __call__(self, x, *args, **kwargs) -> np.ndarray:
        x = doors.module_input(self, x)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused in words
            y = self.forward(x, *args, **kwargs)
        return doors.module_output(self, x, y)

    def forward(self, x) -> np.ndarray:
        raise NotImplementedError(
            f"{type(self).__name__} has no forward: write {type(self).__name__}.forward(self, x)"
        )

    def backward(self, dL_dy) -> np.ndarray:
        raise NotImplementedError(
            f"{type(self).__name__} has no backward: write "
            f"{type(self).__name__}.backward(self, dL_dy), returning dL_dx"
        )

    def __getattr__(self, name: str):
        # Python asks only for attributes never set: a cache forward has not filled yet?
        return doors.missing_attribute(self, name)

    @property
    def input_module(self) -> Module:
        """The module that receives this one's input: itself, or a Sequential's first."""
        return self

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """(name, Parameter) pairs, in the order the attributes were first set; a module
        held in an attribute lends its own, prefixed as in PyTorch ("linear.weight")."""
        pairs = []
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                pairs.append((name, value))
            elif isinstance(value, Module):
                pairs += [(f"{name}.{inner}", param) for inner, param in value.named_parameters()]
        return pairs

    def parameters(self) -> list[Parameter]:
        return [param for _, param in self.named_parameters()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter, by name: later training does not change it."""
        return {name: param.data.copy() for name, param in self.named_parameters()}

    def load_state_dict(self, state) -> None:
        """Copy a ``state_dict()`` into the parameters in place, once all of it is checked."""
        for target, saved in model_state(self, state):
            target[...] = saved

    def __repr__(self) -> str:
        shapes = (f"{name}: {param.data.shape}" for name, param in self.named_parameters())
        return f"{type(self).__name__}({', '.join(shapes)})"
