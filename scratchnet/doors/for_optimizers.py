"""The doors of the optimizers: their parameters and settings when built, and the
gradients at each step."""

from __future__ import annotations

import math

import numpy as np

from scratchnet._module import Parameter
from scratchnet.doors.values import (
    DECAY_RATE,
    NON_NEGATIVE,
    POSITIVE,
    GradientError,
    GradientOverflow,
    Pair,
)

BETAS = Pair(DECAY_RATE, ("beta1", "beta2"))


def adam_settings(lr, betas, eps, weight_decay) -> tuple:
    """(lr, betas, eps, weight_decay), checked: lr > 0; betas, each in [0, 1); eps > 0 (at
    0, an entry whose gradient was 0 at every step, a dead ReLU unit's weight, would get
    0 / 0 = NaN); weight_decay >= 0."""
    return (
        POSITIVE.check(lr, "lr"),
        BETAS.check(betas, "betas"),
        POSITIVE.check(eps, "eps"),
        NON_NEGATIVE.check(weight_decay, "weight_decay"),
    )


def sgd_settings(lr, momentum) -> tuple:
    """(lr, momentum), checked: lr > 0, momentum in [0, 1)."""
    return POSITIVE.check(lr, "lr"), DECAY_RATE.check(momentum, "momentum")


def params(params) -> list:
    """``params`` as a list of distinct Parameters holding float arrays, or an error."""
    try:
        if hasattr(params, "named_parameters"):  # a model: iterable, but over its modules
            raise TypeError
        params = list(params)
    except TypeError:
        raise TypeError(
            "params must be an iterable of Parameters, such as model.parameters(), "
            f"got a {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError("params must not be empty: the optimizer would have nothing to update")
    first_index = {}
    for index, param in enumerate(params):
        if not isinstance(param, Parameter):
            raise TypeError(
                f"params must contain only Parameters, but params[{index}] is a "
                f"{type(param).__name__}"
            )
        data = param.data
        if not (isinstance(data, np.ndarray) and data.dtype.kind == "f"):
            found = f"dtype {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
            raise TypeError(
                f"params[{index}].data must be a floating-point NumPy array, got {found}"
            )
        earlier = first_index.setdefault(id(param), index)
        if earlier != index:
            raise ValueError(
                f"params must not contain the same Parameter twice: params[{earlier}] and "
                f"params[{index}] are one object, which would be updated twice per step"
            )
    return params


def gradients(params, weight_decay=None) -> list[np.ndarray]:
    """Every ``param.grad``, in order, once each has its parameter's shape (another could
    broadcast silently) and is finite (else training has diverged). For Adam
    (``weight_decay`` given), g^2 for g = grad + weight_decay * theta must not overflow
    either (above 1.8e19 in float32), or v would stay inf for good. One cheap test, g . g,
    is finite unless one of these fails or the squares overflow their sum; only a gradient
    that fails it is looked at entry by entry (a sum may overflow where no square does)."""
    grads = [np.asarray(param.grad) for param in params]
    for index, (param, grad) in enumerate(zip(params, grads)):
        if grad.shape != param.data.shape:
            raise GradientError(
                f"params[{index}].grad must have its parameter's shape "
                f"{param.data.shape}, got {grad.shape}"
            )
        grad = grad.astype(param.data.dtype, copy=False)  # squared as the buffers hold it
        g = grad + weight_decay * param.data if weight_decay else grad
        if not math.isfinite(np.vdot(g, g)):
            _require_usable(index, param, grad, g if weight_decay is not None else None)
    return grads


def _require_usable(index: int, param, grad: np.ndarray, g_to_square) -> None:
    if not np.isfinite(grad).all():
        raise GradientOverflow(
            f"the gradient of params[{index}] (shape {param.data.shape}) contains "
            "NaN or infinity, so training has diverged; no parameter was updated"
        )
    if g_to_square is None:
        return
    with np.errstate(over="ignore"):  # the overflow is what is looked for, and refused
        squares_fit = np.isfinite(g_to_square * g_to_square).all()
    if not squares_fit:
        raise GradientOverflow(
            f"the squared gradient of params[{index}] (shape {param.data.shape}) "
            f"overflows {param.data.dtype}, so training has diverged; no parameter "
            "was updated"
        )
