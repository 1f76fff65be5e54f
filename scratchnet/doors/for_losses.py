"""The doors of the losses: their settings, and what ``loss_fn(input, y)`` and
``loss_fn.backward(dL_out)`` check before the math runs."""

from __future__ import annotations

import numbers

import numpy as np

from scratchnet.doors.values import (
    NON_NEGATIVE,
    POSITIVE,
    Number,
    as_float_array,
    as_upstream,
    require_binary_labels,
    require_finite,
    require_nonempty,
    require_probabilities,
)

REDUCTIONS = ("mean", "sum", "none")
ALPHA_MODES = ("constant", "per_class")
CLAMP = Number(low=0, high=0.5)  # FocalLoss's eps: p is clamped to [eps, 1 - eps]


def reduction(value) -> str:
    if value not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {value!r}")
    return value


def pos_weight(value) -> float | None:
    return None if value is None else POSITIVE.check(value, "pos_weight")


def focal_settings(alpha, gamma, alpha_mode: str) -> tuple:
    """(alpha, gamma, alpha_mode), checked: alpha in [0, 1] for "per_class", > 0 for
    "constant", or None for no alpha; gamma >= 0."""
    if alpha_mode not in ALPHA_MODES:
        raise ValueError(f"alpha_mode must be one of {ALPHA_MODES}, got {alpha_mode!r}")
    if alpha is None:
        return None, NON_NEGATIVE.check(gamma, "gamma"), alpha_mode
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a number or None, got {alpha!r}")
    if alpha_mode == "per_class" and not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1] with alpha_mode='per_class', got {alpha}")
    if alpha_mode == "constant" and not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be a positive number with alpha_mode='constant', got {alpha}")
    return float(alpha), NON_NEGATIVE.check(gamma, "gamma"), alpha_mode


def pair(loss, input, y) -> tuple[np.ndarray, np.ndarray]:
    """The input as a float array and y as 0/1 of its shape and dtype, or an error; labels
    (N,) next to an input (N, 1), as scikit-learn and pandas give them, are that column."""
    name = loss.input_name
    input = as_float_array(input, name)
    y = as_float_array(y, "y", dtype=input.dtype)
    if y.ndim == 1 and input.shape == (len(y), 1):
        y = y.reshape(input.shape)
    if input.shape != y.shape:
        raise ValueError(f"{name} and y must have the same shape, got {input.shape} and {y.shape}")
    require_nonempty(input, name)
    require_finite(input, name)
    require_binary_labels(y, "y")
    loss.check_input(input)
    return input, y


def loss_input(loss, input: np.ndarray) -> None:
    """Refuse probabilities outside [0, 1], and a clamp (``eps``, FocalLoss's) so small
    that 1 - eps rounds to 1 in the input's dtype."""
    if loss.input_name != "p":
        return
    require_probabilities(
        input, "p", "; pass logits to BCEWithLogitsLoss or FocalLossWithLogits instead"
    )
    eps = vars(loss).get("eps")
    one = input.dtype.type(1)
    if eps is not None and not one - input.dtype.type(eps) < one:
        raise ValueError(
            f"eps={eps:g} is too small for {input.dtype} probabilities: 1 - eps rounds "
            f"to 1; use eps >= {np.finfo(input.dtype).epsneg:.3g}"
        )


def dL_out(loss, grad_output):
    """The upstream gradient of a loss: a finite number; for reduction "none", also an
    array of the unreduced loss's shape, finite."""
    if loss.reduction == "none" and not isinstance(grad_output, numbers.Real):
        grad_output = as_upstream(grad_output, loss.y, "the unreduced loss")
        require_finite(grad_output, "grad_output")
        return grad_output
    if isinstance(grad_output, bool) or not isinstance(grad_output, numbers.Real):
        raise TypeError(
            f"grad_output must be a number for reduction {loss.reduction!r}, got {grad_output!r}"
        )
    if not np.isfinite(grad_output):
        raise ValueError(f"grad_output must be finite, got {grad_output}")
    return grad_output
