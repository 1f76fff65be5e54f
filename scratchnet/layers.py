"""Layers: each one states its forward pass, its backward pass and the math between them.

Conventions used throughout
---------------------------
* A batch is the first axis: ``x`` has shape (N, features).
* ``forward(x)`` computes the output and keeps, in explicitly named attributes, exactly
  what ``backward`` will need (the *cache*). The cache holds the arrays themselves, not
  copies, as NumPy code usually does: change x or the returned output in place between
  ``forward`` and ``backward`` and the gradient changes with it.
* ``backward(grad_output)`` receives dL/d(output), the gradient of a scalar loss L with
  respect to this layer's last output, and returns dL/d(input). It never modifies
  ``grad_output``.
* **Parameter gradients are overwritten, never accumulated.** ``backward`` stores in
  ``param.grad`` the gradient of the loss for the batch of the last ``forward``, replacing
  whatever was there. Calling ``backward`` twice after one ``forward`` therefore gives the
  same gradients twice, and no reset is needed between training steps. (PyTorch
  accumulates instead, which is why its loops call ``zero_grad()``; scratchnet's
  optimizers keep ``zero_grad()`` so the same loop reads the same in both.) A parameter
  must belong to one layer only: a shared one would keep only the last gradient written.
"""

from __future__ import annotations

import numpy as np

from scratchnet._checks import (
    as_generator,
    as_grad_output,
    as_samples,
    require_float_dtype,
    require_positive_int,
)
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
    """Base class: ``module(x)`` is ``module.forward(x)``; parameters are listed in order."""

    def __call__(self, x) -> np.ndarray:
        return self.forward(x)

    def forward(self, x) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output) -> np.ndarray:
        raise NotImplementedError

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """(name, Parameter) pairs in a fixed order; names like PyTorch's ("0.weight")."""
        return []

    def parameters(self) -> list[Parameter]:
        return [param for _, param in self.named_parameters()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter by name; see ``scratchnet.serialization``."""
        from scratchnet import serialization  # here: serialization imports this module

        return serialization.model_state(self)

    def load_state_dict(self, state) -> None:
        """Copy a ``state_dict()`` into the parameters in place, after checking all of it."""
        from scratchnet import serialization

        serialization.load_model_state(self, state)

    def _require_forward(self, cache) -> None:
        """Refuse backward before forward: ``cache`` is what forward saved, None until then."""
        if cache is None:
            raise ValueError(
                f"{type(self).__name__}.backward was called before forward: there is no "
                "cached input to differentiate at; call forward(x) first"
            )


class Linear(Module):
    """Affine layer ``y = x @ W + b``.

    Shapes: x (N, in_features), W = ``weight.data`` (in_features, out_features),
    b = ``bias.data`` (out_features,), y (N, out_features).

    Initialisation (PyTorch's default for ``nn.Linear``): every entry of W and b is drawn
    independently from U(-k, k) with k = 1/sqrt(in_features), so its variance is
    k^2 / 3 = 1 / (3 in_features). W is drawn first, then b, from ``rng``.
    """

    def __init__(self, in_features: int, out_features: int, *, rng=None, dtype=np.float64):
        self.in_features = require_positive_int(in_features, "in_features")
        self.out_features = require_positive_int(out_features, "out_features")
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

        Integer input is converted to the layer's dtype.
        """
        x = as_samples(x, "x", dtype=self.dtype)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"x must have {self.in_features} features (columns) for this Linear layer, "
                f"got shape {x.shape}"
            )
        self.x = x
        return x @ self.weight.data + self.bias.data

    def backward(self, grad_output) -> np.ndarray:
        """dL_dy (N, out_features) -> dL_dx (N, in_features); sets W.grad and b.grad.

        Derivation, from y[n, j] = sum_i x[n, i] W[i, j] + b[j]:
            dL/dW[i, j] = sum_n dL/dy[n, j] * x[n, i]      ->  dL_dW = x.T @ dL_dy
            dL/db[j]    = sum_n dL/dy[n, j]                ->  dL_db = dL_dy.sum(axis=0)
            dL/dx[n, i] = sum_j dL/dy[n, j] * W[i, j]      ->  dL_dx = dL_dy @ W.T
        """
        self._require_forward(self.x)
        dL_dy = as_grad_output(
            grad_output, (len(self.x), self.out_features), self.dtype, "the last output"
        )
        self.weight.grad = self.x.T @ dL_dy
        # dL_dy.sum(axis=0) written as ones(N) @ dL_dy, the same sum over the batch done by
        # BLAS: NumPy sums a narrow array down its rows one short row at a time, 10-20x slower.
        self.bias.grad = np.ones(len(dL_dy), dtype=self.dtype) @ dL_dy
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
        x = as_samples(x, "x")
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, grad_output) -> np.ndarray:
        """dL_dy (N, features) -> dL_dx = dL_dy * [x > 0], (N, features).

        relu'(x) is 1 where x > 0 and 0 elsewhere: the gradient passes where the unit was
        active and stops where it was not.
        """
        self._require_forward(self.y)
        dL_dy = as_grad_output(grad_output, self.y.shape, self.y.dtype, "the last output")
        return dL_dy * (self.y > 0)

    def __repr__(self) -> str:
        return "ReLU()"


class Sigmoid(Module):
    """p = sigma(x) = 1 / (1 + exp(-x)), elementwise; x and p of shape (N, features).

    Computed without overflow for any finite x (see ``scratchnet.functional.sigmoid``).
    """

    def __init__(self):
        # cache, each (N, features): the last output p and q = 1 - p, computed as sigma(-x)
        self.p = self.q = None

    def forward(self, x) -> np.ndarray:
        x = as_samples(x, "x")
        self.p, self.q = sigmoid_and_complement(x)
        return self.p

    def backward(self, grad_output) -> np.ndarray:
        """dL_dp (N, features) -> dL_dx (N, features).

        Derivation: sigma'(x) = exp(-x) / (1 + exp(-x))^2 = sigma(x) (1 - sigma(x)), so
            dL_dx = dL_dp * p * (1 - p) = dL_dp * p * q
        with q = 1 - p cached by forward as sigma(-x): where p rounds to 1, the subtraction
        1 - p would give 0 and lose the whole gradient.
        """
        self._require_forward(self.p)
        dL_dp = as_grad_output(grad_output, self.p.shape, self.p.dtype, "the last output")
        return dL_dp * self.p * self.q

    def __repr__(self) -> str:
        return "Sigmoid()"


class Sequential(Module):
    """Modules applied in order: forward left to right, backward right to left.

    Backward is the chain rule: each module turns dL/d(its output) into dL/d(its input),
    which is dL/d(output) of the module before it.
    """

    def __init__(self, *modules: Module):
        if not modules:
            raise ValueError("Sequential needs at least one module")
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
        self.modules = list(modules)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [
            (f"{index}.{name}", param)
            for index, module in enumerate(self.modules)
            for name, param in module.named_parameters()
        ]

    def forward(self, x) -> np.ndarray:
        for index, module in enumerate(self.modules):
            try:
                x = module.forward(x)
            except ValueError as error:
                _blame_overflow(error, x, index > 0, f"the output of module {index - 1}")
                raise
        return x

    def backward(self, grad_output) -> np.ndarray:
        last = len(self.modules) - 1
        for index in range(last, -1, -1):
            try:
                grad_output = self.modules[index].backward(grad_output)
            except ValueError as error:
                _blame_overflow(error, grad_output, index < last, f"module {index + 1}'s dL/dx")
                raise
        return grad_output

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({index}): {module!r}" for index, module in enumerate(self.modules))
        return f"Sequential({inner}\n)"


def _blame_overflow(error: ValueError, array, made_inside: bool, what: str) -> None:
    """Turn "must be finite" about an array the network made itself into what it is.

    The user's own input was checked by the first module; a NaN or infinity met later
    was produced by the numbers overflowing (weights grown too large, say), which is not
    a wrong argument but a ``FloatingPointError``.
    """
    if made_inside and not np.isfinite(array).all():
        raise FloatingPointError(
            f"{what} contains NaN or infinity: the numbers overflowed inside the network "
            "(a smaller learning rate or smaller weights may help)"
        ) from error
