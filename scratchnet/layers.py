"""Layers: each one states its forward pass, its backward pass and the math between them.

Conventions used throughout
---------------------------
* A batch is the first axis: ``x`` has shape (N, features).
* ``forward(x)`` computes the output and keeps, in explicitly named attributes, exactly
  what ``backward`` will need (the *cache*). The cache holds the arrays themselves, not
  copies, as NumPy code usually does: change x or the returned output in place between
  ``forward`` and ``backward`` and the gradient changes with it.
* ``backward(dL_dy)`` receives the gradient of a scalar loss L with respect to this
  layer's last output, and returns dL/d(input). It never modifies ``dL_dy``.
* **Parameter gradients are overwritten, never accumulated.** ``backward`` stores in
  ``param.grad`` the gradient for the batch of the last ``forward``, replacing what was
  there, so no reset is needed between steps. (PyTorch accumulates instead, hence its
  ``zero_grad()``.) A parameter must belong to one layer only: a shared one would keep
  only the last gradient written.

Checks: once, where the data comes in
-------------------------------------
``forward`` and ``backward`` below are the math alone. ``Module.__init_subclass__`` wraps
each class's own pair in the checks of ``scratchnet._checks``: bad input is refused with
a sentence, and an output that overflowed to NaN or infinity is a ``FloatingPointError``
naming the module. The math stays callable as ``forward_unchecked`` and
``backward_unchecked``: ``Sequential`` and ``train`` use it on arrays the network made
itself, so the checks run once per call of the whole model. A layer you write yourself
gets the same checks for free.
"""

from __future__ import annotations

import numpy as np

from scratchnet._checks import (
    POSITIVE_INT,
    as_generator,
    checked_backward,
    checked_forward,
    recorded_forward,
    require_float_dtype,
    require_modules,
    wrap_math_in_checks,
)
from scratchnet._state import checked_copies, copy_all
from scratchnet.functional import sigmoid_and_complement


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
    """Base class: ``module(x)`` is ``module.forward(x)``; parameters are listed in order.

    A subclass may declare ``dtype`` (what input is converted to; None keeps float32 and
    float64 input as it is) and ``in_features`` (the number of input columns it needs;
    None for any). The checks in the module docstring use both.
    """

    dtype = None
    in_features = None
    _output_spec = None  # (shape, dtype) of the last checked forward's output

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        wrap_math_in_checks(cls, checked_forward, checked_backward, recorded_forward)

    def __call__(self, x) -> np.ndarray:
        return self.forward(x)

    def forward(self, x) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dL_dy) -> np.ndarray:
        raise NotImplementedError

    forward_unchecked = forward
    backward_unchecked = backward

    @property
    def input_module(self) -> Module:
        """The module that receives this one's input: itself, or a Sequential's first."""
        return self

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """(name, Parameter) pairs in a fixed order; names like PyTorch's ("0.weight")."""
        return []

    def parameters(self) -> list[Parameter]:
        return [param for _, param in self.named_parameters()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter, by name: later training does not change it."""
        return {name: param.data.copy() for name, param in self.named_parameters()}

    def load_state_dict(self, state) -> None:
        """Copy a ``state_dict()`` into the parameters in place, after checking all of it."""
        copy_all(self.checked_state(state))

    def checked_state(self, state) -> list[tuple[np.ndarray, np.ndarray]]:
        """(parameter array, saved array) pairs, once every name, shape and dtype fits."""
        targets = {name: param.data for name, param in self.named_parameters()}
        return checked_copies(state, targets, "the model's parameters")


class Linear(Module):
    """Affine layer ``y = x @ W + b``.

    Shapes: x (N, in_features), W = ``weight.data`` (in_features, out_features),
    b = ``bias.data`` (out_features,), y (N, out_features).

    Initialisation (PyTorch's default for ``nn.Linear``): every entry of W and b is drawn
    independently from U(-k, k) with k = 1/sqrt(in_features), so its variance is
    k^2 / 3 = 1 / (3 in_features). W is drawn first, then b, from ``rng``.
    """

    def __init__(self, in_features: int, out_features: int, *, rng=None, dtype=np.float64):
        self.in_features = POSITIVE_INT.check(in_features, "in_features")
        self.out_features = POSITIVE_INT.check(out_features, "out_features")
        self.dtype = require_float_dtype(dtype)
        rng = as_generator(rng)
        bound = 1.0 / np.sqrt(self.in_features)
        weight = rng.uniform(-bound, bound, size=(self.in_features, self.out_features))
        bias = rng.uniform(-bound, bound, size=self.out_features)
        self.weight = Parameter(weight.astype(self.dtype))
        self.bias = Parameter(bias.astype(self.dtype))
        self.x = None  # cache: the last input, (N, in_features)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("weight", self.weight), ("bias", self.bias)]

    def forward(self, x) -> np.ndarray:
        """x (N, in_features) -> y = x @ W + b, (N, out_features). Caches x.

        Input of another dtype (integers, or float64 into a float32 layer) is converted
        to the layer's dtype.
        """
        self.x = x.astype(self.dtype, copy=False)  # the layer computes in its own dtype
        return self.x @ self.weight.data + self.bias.data

    def backward(self, dL_dy) -> np.ndarray:
        """dL_dy (N, out_features) -> dL_dx (N, in_features); sets W.grad and b.grad.

        Derivation, from y[n, j] = sum_i x[n, i] W[i, j] + b[j]:
            dL/dW[i, j] = sum_n dL/dy[n, j] * x[n, i]      ->  dL_dW = x.T @ dL_dy
            dL/db[j]    = sum_n dL/dy[n, j]                ->  dL_db = dL_dy.sum(axis=0)
            dL/dx[n, i] = sum_j dL/dy[n, j] * W[i, j]      ->  dL_dx = dL_dy @ W.T
        """
        self.weight.grad = self.x.T @ dL_dy
        # dL_dy.sum(axis=0), computed as ones(N) @ dL_dy: NumPy sums a narrow array down
        # its rows one short row at a time, 4 to 15 times slower than this product at
        # 8 or 16 columns (tests/test_layers.py proves the two equal).
        self.bias.grad = np.ones(len(dL_dy), dtype=dL_dy.dtype) @ dL_dy
        return dL_dy @ self.weight.data.T

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"dtype={self.dtype})"
        )


class ReLU(Module):
    """y = max(x, 0), elementwise; x and y of shape (N, features), same dtype.

    Convention: relu'(0) = 0 (the kink counts as inactive), as in PyTorch.
    """

    def __init__(self):
        self.y = None  # cache: the last output, (N, features); y > 0 exactly where x > 0

    def forward(self, x) -> np.ndarray:
        """x (N, features) -> y = max(x, 0), (N, features). Caches y."""
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, dL_dy) -> np.ndarray:
        """dL_dy (N, features) -> dL_dx = dL_dy * [x > 0], (N, features).

        relu'(x) is 1 where x > 0 and 0 elsewhere: the gradient passes where the unit was
        active and stops where it was not.
        """
        return dL_dy * (self.y > 0)

    def __repr__(self) -> str:
        return "ReLU()"


class Sigmoid(Module):
    """p = sigma(x) = 1 / (1 + exp(-x)), elementwise; x and p of shape (N, features).

    Computed without overflow for any finite x, with 1 - p alongside (see
    ``scratchnet.functional.sigmoid_and_complement``).
    """

    def __init__(self):
        # cache, each (N, features): the last output p and q = 1 - p, computed as sigma(-x)
        self.p = self.q = None

    def forward(self, x) -> np.ndarray:
        """x (N, features) -> p = sigma(x), (N, features). Caches p and q = 1 - p."""
        self.p, self.q = sigmoid_and_complement(x)
        return self.p

    def backward(self, dL_dp) -> np.ndarray:
        """dL_dp (N, features) -> dL_dx (N, features).

        Derivation: sigma'(x) = exp(-x) / (1 + exp(-x))^2 = sigma(x) (1 - sigma(x)), so
            dL_dx = dL_dp * p * (1 - p) = dL_dp * p * q
        with q = 1 - p cached by forward as sigma(-x): where p rounds to 1, the subtraction
        1 - p would give 0 and lose the whole gradient.
        """
        return dL_dp * self.p * self.q

    def __repr__(self) -> str:
        return "Sigmoid()"


class Sequential(Module):
    """Modules applied in order: forward left to right, backward right to left.

    Backward is the chain rule: each module turns dL/d(its output) into dL/d(its input),
    which is dL/d(output) of the module before it. ``len(model)``, ``model[0]`` and
    ``for module in model`` work as for a list; ``model.summary()`` tabulates it.
    """

    def __init__(self, *modules: Module):
        require_modules(modules, Module)
        self.modules = list(modules)

    def forward(self, x) -> np.ndarray:
        """x (N, in_features) -> the last module's output; each module caches its own."""
        for module in self.modules:
            x = module.forward_unchecked(x)
        return x

    def backward(self, dL_dy) -> np.ndarray:
        """dL_dy, of the last output's shape -> dL_dx, of the input's shape."""
        for module in reversed(self.modules):
            dL_dy = module.backward_unchecked(dL_dy)
        return dL_dy

    @property
    def input_module(self) -> Module:
        return self.modules[0].input_module

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [
            (f"{index}.{name}", param)
            for index, module in enumerate(self.modules)
            for name, param in module.named_parameters()
        ]

    def summary(self) -> str:
        """One line per module: its output width and parameter count; then the total.

        A module without ``out_features`` is taken to keep the width it receives, as the
        elementwise ReLU and Sigmoid do.
        """
        width = self.input_module.in_features
        lines = [f"{'module':<44}{'output width':>14}{'parameters':>12}"]
        for index, module in enumerate(self.modules):
            width = getattr(module, "out_features", width)
            count = sum(param.data.size for param in module.parameters())
            shown = "?" if width is None else str(width)
            lines.append(f"{f'({index}) {module!r}':<44}{shown:>14}{count:>12,}")
        total = sum(param.data.size for param in self.parameters())
        lines.append(f"{'total':<44}{'':>14}{total:>12,}")
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.modules)

    def __getitem__(self, index: int) -> Module:
        return self.modules[index]

    def __iter__(self):
        return iter(self.modules)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({index}): {module!r}" for index, module in enumerate(self.modules))
        return f"Sequential({inner}\n)"
