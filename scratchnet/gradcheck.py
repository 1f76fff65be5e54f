"""Gradient checking: compare a hand-written backward pass with finite differences.

For a scalar function f of an array x, the central difference

    D(h)[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)  =  df/dx[i] + c h^2 + O(h^4)

has error O(h^2), against O(h) for a one-sided difference. Its leading error term is
known up to the constant c, so two central differences cancel it (Richardson
extrapolation):

    df/dx[i]  ~=  (4 D(h)[i] - D(2h)[i]) / 3,        error O(h^4).

That is what this module computes. Why not the plain D(h)? The check compares each
entry of the gradient, and some entries are legitimately tiny (a hidden unit barely
active, paths that nearly cancel). D(h) needs h ~ 1e-6 to keep its h^2 error small, and
then the rounding of f itself (~1e-16 / 1e-6 = 1e-10) already exceeds 1e-8 of such an
entry. The fourth-order formula is accurate at h = 1e-3, where rounding costs only
~1e-13. Measured on the 2-16-8-1 network: plain D(1e-6) reaches relative errors near
1e-6, the extrapolation stays below 1e-8.

For an array-valued function y = f(x) and an upstream gradient dL_dy (what backward
receives), backward must return the vector-Jacobian product

    dL/dx[i] = sum_k dL_dy[k] * dy[k]/dx[i],

so each D(h) becomes sum_k dL_dy[k] * (f(x + h e_i) - f(x - h e_i))[k] / (2h).
Subtracting the two outputs elementwise *before* summing keeps rounding small: entries
of y that do not depend on x[i] cancel exactly. A random upstream gradient (rather than
all ones) makes sure no mistake can hide behind a symmetric sum.

Rules for a meaningful check: float64 throughout (in float32, rounding swamps the
difference), and no ReLU input within reach of its kink at 0: perturbing an entry by up
to 2h moves each ReLU input it feeds by up to 2h times the weights and inputs along the
way, and a difference across the kink measures neither side's slope. (The tests keep
every ReLU input at least 0.05 from 0.)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scratchnet._checks import as_generator
from scratchnet.layers import Module

DEFAULT_STEP = 1e-3


def relative_error(a, b) -> np.ndarray:
    """Elementwise |a - b| / max(|a| + |b|, 1e-12): 0 where both are 0, never a division by 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)


def max_relative_error(a, b) -> float:
    """The worst elementwise relative error between two arrays of the same shape."""
    if np.shape(a) != np.shape(b):
        raise ValueError(f"a and b must have the same shape, got {np.shape(a)} and {np.shape(b)}")
    return float(np.max(relative_error(a, b), initial=0.0))


def _central_differences(
    evaluate: Callable[[], object],
    x: np.ndarray,
    combine: Callable[[object, object], float],
    h: float,
) -> np.ndarray:
    """Estimate d(evaluate)/dx for each entry of ``x``, perturbing it in place and restoring it.

    ``combine(f_plus, f_minus)`` turns two evaluations into the numerator of D(step). The
    denominator is the step actually taken, (x + step) - (x - step) as stored in floating
    point, which removes the rounding of x + step from the estimate.
    """
    if x.dtype != np.float64:
        raise TypeError(f"gradient checks need a float64 array, got {x.dtype}")
    gradient = np.zeros_like(x)
    flat_x = x.reshape(-1)  # a view: writing into it perturbs x itself
    flat_gradient = gradient.reshape(-1)

    def central_difference(i: int, step: float) -> float:
        original = flat_x[i]
        flat_x[i] = original + step
        x_plus, f_plus = flat_x[i], evaluate()
        flat_x[i] = original - step
        x_minus, f_minus = flat_x[i], evaluate()
        flat_x[i] = original
        return combine(f_plus, f_minus) / (x_plus - x_minus)

    for i in range(flat_x.size):
        flat_gradient[i] = (4 * central_difference(i, h) - central_difference(i, 2 * h)) / 3
    return gradient


def numerical_gradient(f: Callable[[np.ndarray], float], x, h: float = DEFAULT_STEP) -> np.ndarray:
    """Numerical gradient of a scalar function ``f`` at ``x`` (any shape), in float64.

    ``x`` is copied; the caller's array is left untouched.
    """
    x = np.array(x, dtype=np.float64)
    return _central_differences(lambda: float(f(x)), x, lambda fp, fm: fp - fm, h)


def numerical_vjp(
    f: Callable[[np.ndarray], np.ndarray], x, grad_output, h: float = DEFAULT_STEP
) -> np.ndarray:
    """Numerical dL/dx[i] = sum_k dL_dy[k] * dy[k]/dx[i] for y = f(x) and dL_dy of y's shape.

    ``x`` is copied; the caller's array is left untouched.
    """
    x = np.array(x, dtype=np.float64)
    return _vjp_in_place(lambda: f(x), x, grad_output, h)


def _vjp_in_place(evaluate: Callable[[], np.ndarray], x: np.ndarray, grad_output, h: float):
    """``numerical_vjp`` for an ``evaluate()`` that reads ``x`` (perturbed in place) itself."""
    grad_output = np.asarray(grad_output, dtype=np.float64)
    return _central_differences(
        lambda: np.array(evaluate(), dtype=np.float64),
        x,
        lambda y_plus, y_minus: float(np.sum((y_plus - y_minus) * grad_output)),
        h,
    )


def check_module(module: Module, x, *, rng=None, h: float = DEFAULT_STEP) -> dict[str, float]:
    """Check ``module.backward`` against finite differences, for its input and every parameter.

    A random upstream gradient dL_dy ~ N(0, 1) of the output's shape is drawn from ``rng``.
    Returns the worst relative error for each tensor: key ``"input"`` for dL/dx and each
    parameter's name (``"weight"``, ``"0.bias"``, ...) for its gradient. The module is left
    as after ``forward(x)`` and ``backward(dL_dy)`` with its parameters unchanged.
    """
    rng = as_generator(rng)
    x = np.array(x, dtype=np.float64)
    named_parameters = module.named_parameters()
    for name, param in named_parameters:
        if param.data.dtype != np.float64:
            raise TypeError(
                f"gradient checks need float64 parameters; {name} is {param.data.dtype}"
            )

    y = module.forward(x)
    dL_dy = rng.standard_normal(y.shape)
    analytic = {"input": module.backward(dL_dy)}
    analytic.update((name, param.grad.copy()) for name, param in named_parameters)

    numerical = {"input": numerical_vjp(module.forward, x, dL_dy, h)}
    for name, param in named_parameters:
        numerical[name] = _vjp_in_place(lambda: module.forward(x), param.data, dL_dy, h)

    module.forward(x)
    module.backward(dL_dy)
    return {name: max_relative_error(analytic[name], numerical[name]) for name in analytic}
