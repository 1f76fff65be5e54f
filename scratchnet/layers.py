"""Layers: each one states its forward pass, its backward pass and the math between them.

x is (N, features): a batch on the first axis. ``backward(dL_dy)`` returns dL/d(input) and
**overwrites** each ``param.grad``; ``module(x)`` checks x (``scratchnet.doors``), then
calls ``forward``. The conventions in full (the cache, dL_dy): docs/tour.md, "Layers".
"""

from __future__ import annotations

import numpy as np

from scratchnet._module import Module, Parameter
from scratchnet.doors import for_layers as doors
from scratchnet.functional import sigmoid_and_complement


class Linear(Module):
    """Affine layer ``y = x @ W + b``.

    Shapes: x (N, in_features), W = ``weight.data`` (in_features, out_features),
    b = ``bias.data`` (out_features,), y (N, out_features). Cache: ``x``.

    Initialisation (PyTorch's default for ``nn.Linear``): every entry of W and b is drawn
    independently from U(-k, k) with k = 1/sqrt(in_features), so its variance is
    k^2 / 3 = 1 / (3 in_features). W is drawn first, then b, from ``rng``.
    """

    def __init__(self, in_features: int, out_features: int, *, rng=None, dtype=np.float64):
        self.in_features, self.out_features, rng, self.dtype = doors.linear_settings(
            in_features, out_features, rng, dtype
        )
        bound = 1.0 / np.sqrt(self.in_features)
        weight = rng.uniform(-bound, bound, size=(self.in_features, self.out_features))
        bias = rng.uniform(-bound, bound, size=self.out_features)
        self.weight = Parameter(weight.astype(self.dtype))
        self.bias = Parameter(bias.astype(self.dtype))

    def forward(self, x) -> np.ndarray:
        """x (N, in_features) -> y = x @ W + b, (N, out_features). Caches x, in the
        layer's dtype."""
        self.x = x.astype(self.dtype, copy=False)  # the layer computes in its own dtype
        return self.x @ self.weight.data + self.bias.data

    def backward(self, dL_dy) -> np.ndarray:
        """dL_dy (N, out_features) -> dL_dx (N, in_features); sets W.grad and b.grad.

        Derivation, from y[n, j] = sum_i x[n, i] W[i, j] + b[j]:
            dL/dW[i, j] = sum_n dL/dy[n, j] * x[n, i]      ->  dL_dW = x.T @ dL_dy
            dL/db[j]    = sum_n dL/dy[n, j]                ->  dL_db = dL_dy.sum(axis=0)
            dL/dx[n, i] = sum_j dL/dy[n, j] * W[i, j]      ->  dL_dx = dL_dy @ W.T
        """
        dL_dy = dL_dy.astype(self.dtype, copy=False)  # gradients in the layer's own dtype
        self.weight.grad = self.x.T @ dL_dy
        # dL_dy.sum(axis=0) as ones(N) @ dL_dy: 4 to 15 times faster at 8 or 16 columns,
        # and equal (tests/test_performance.py proves it).
        self.bias.grad = np.ones(len(dL_dy), dtype=dL_dy.dtype) @ dL_dy
        return dL_dy @ self.weight.data.T

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"dtype={self.dtype})"
        )


class ReLU(Module):
    """y = max(x, 0), elementwise; x and y (N, features). relu'(0) = 0, as in PyTorch."""

    def forward(self, x) -> np.ndarray:
        """x (N, features) -> y = max(x, 0), (N, features). Caches y: y > 0 where x > 0."""
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, dL_dy) -> np.ndarray:
        """dL_dy (N, features) -> dL_dx = dL_dy * [x > 0], (N, features).

        relu'(x) is 1 where x > 0 and 0 elsewhere: the gradient passes where the unit was
        active and stops where it was not.
        """
        return dL_dy * (self.y > 0)


class Sigmoid(Module):
    """p = sigma(x) = 1 / (1 + exp(-x)), elementwise; x and p (N, features). Computed
    without overflow, with 1 - p alongside (``functional.sigmoid_and_complement``)."""

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


class Tanh(Module):
    """y = tanh(x) = (e^x - e^-x) / (e^x + e^-x), elementwise; x and y (N, features)."""

    def forward(self, x) -> np.ndarray:
        """x (N, features) -> y = tanh(x), (N, features). Caches y."""
        self.y = np.tanh(x)
        return self.y

    def backward(self, dL_dy) -> np.ndarray:
        """dL_dy (N, features) -> dL_dx (N, features).

        Derivation: tanh'(x) = 1 - tanh(x)^2 (the quotient rule on the definition), so
            dL_dx = dL_dy * (1 - y^2)
        from the cached output alone.
        """
        return dL_dy * (1 - self.y**2)


class Sequential(Module):
    """Modules applied in order: forward left to right, backward right to left.
    ``len(model)``, ``model[0]`` and ``for module in model`` work as for a list."""

    def __init__(self, *modules: Module):
        self.modules = doors.sequence(modules)

    def forward(self, x) -> np.ndarray:
        """x (N, in_features) -> the last module's output, y. Caches y and ``shapes``:
        shapes[i] is module i's input shape, which its backward's dL/dx must have."""
        self.shapes = []
        for module in self.modules:
            self.shapes.append(x.shape)
            x = module.forward(x)
        self.y = x
        return x

    def backward(self, dL_dy) -> np.ndarray:
        """dL_dy, of the last output's shape -> dL_dx, of the input's shape.

        The chain rule, right to left: module i turns dL/d(its output) into dL/d(its input),
        the dL/d(output) of module i - 1. The door names a module whose backward returns
        no such array, or a gradient gone NaN.
        """
        dL_dx = dL_dy = doors.model_grad_output(self, dL_dy)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused in words
            for index in reversed(range(len(self.modules))):
                dL_dx = self.modules[index].backward(dL_dx)
                dL_dx = doors.returned_gradient(self, index, dL_dx, dL_dy)
        return dL_dx

    @property
    def input_module(self) -> Module:
        return self.modules[0].input_module

    @property
    def out_features(self) -> int | None:
        """The width the last module that sets one hands on; None if none does."""
        widths = [getattr(module, "out_features", None) for module in self.modules]
        return next((width for width in reversed(widths) if width is not None), None)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [(f"{index}.{name}", param) for index, module in enumerate(self.modules)
                for name, param in module.named_parameters()]  # fmt: skip

    def summary(self) -> str:
        """One line per module: its output width (the width it receives, without
        ``out_features``) and parameter count; then the total."""
        width = self.input_module.in_features
        lines = [f"{'module':<44}{'output width':>14}{'parameters':>12}"]
        for index, module in enumerate(self.modules):
            width = getattr(module, "out_features", None) or width
            count = sum(param.data.size for param in module.parameters())
            shown = "?" if width is None else str(width)
            one_line = " ".join(repr(module).split())  # a nested Sequential prints on many
            lines.append(f"{f'({index}) {one_line}':<44}{shown:>14}{count:>12,}")
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
