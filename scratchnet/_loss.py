"""What every loss shares: its reduction, and the checks of what a user passes it.

As for layers (see ``scratchnet.layers``), a loss's ``forward`` and ``backward`` are the
math alone: ``Loss.__init_subclass__`` wraps them in the checks below and keeps the math
as ``forward_unchecked`` and ``backward_unchecked``, which ``train`` calls once it has
checked its data.
"""

from __future__ import annotations

import functools
import inspect
import numbers

import numpy as np

from scratchnet._checks import (
    POSITIVE,
    arguments,
    as_float_array,
    as_grad_output,
    require_binary_labels,
    require_finite,
    require_nonempty,
    require_probabilities,
    wrap_math_in_checks,
)

REDUCTIONS = ("mean", "sum", "none")
ALPHA_MODES = ("constant", "per_class")
_LOGITS_HINT = "; pass logits to BCEWithLogitsLoss or FocalLossWithLogits instead"


class Loss:
    """Base class of the losses: ``loss(input, y)`` is ``loss.forward(input, y)``.

    ``input_name`` says what the loss takes: "p", probabilities in [0, 1], or "logits".
    """

    input_name = "p"

    def __init__(self, reduction: str = "mean"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction
        self.y = None  # cache: the labels of the last forward, shape of the input

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        wrap_math_in_checks(cls, _checked_forward, _checked_backward)

    def __call__(self, input, y):
        return self.forward(input, y)

    def reduce(self, l: np.ndarray):
        """L = mean(l) or sum(l) as a Python float, or l itself for reduction "none"."""
        if self.reduction == "mean":
            return float(np.mean(l))
        if self.reduction == "sum":
            return float(np.sum(l))
        return l

    def through_reduction(self, dL_out) -> np.ndarray:
        """dL/dl for each element l, from dL_out, the gradient of what follows the loss.

        "mean": L = sum(l) / n, so dL/dl = dL_out / n; "sum": dL_out; "none": dL_out
        elementwise. One number, the same for every element, is returned as a 0-d array
        of the labels' dtype, so that float32 stays float32.
        """
        if self.reduction == "none":
            return dL_out
        scale = dL_out / self.y.size if self.reduction == "mean" else dL_out
        return np.array(scale, dtype=self.y.dtype)

    def check_input(self, input: np.ndarray) -> None:
        """Refuse an input this loss cannot take: probabilities outside [0, 1]."""
        if self.input_name == "p":
            require_probabilities(input, "p", _LOGITS_HINT)


def checked_pos_weight(pos_weight) -> float | None:
    return None if pos_weight is None else POSITIVE.check(pos_weight, "pos_weight")


def checked_alpha(alpha, alpha_mode: str) -> float | None:
    if alpha_mode not in ALPHA_MODES:
        raise ValueError(f"alpha_mode must be one of {ALPHA_MODES}, got {alpha_mode!r}")
    if alpha is None:
        return None
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a number or None, got {alpha!r}")
    if alpha_mode == "per_class" and not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1] with alpha_mode='per_class', got {alpha}")
    if alpha_mode == "constant" and not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be a positive number with alpha_mode='constant', got {alpha}")
    return float(alpha)


def _checked_forward(forward):
    signature = inspect.signature(forward)  # once: binding is per call, reading is not

    @functools.wraps(forward)
    def checked_forward(self, *args, **kwargs):
        input, y = arguments(signature, self, args, kwargs)
        if type(self).forward is not checked_forward:  # a subclass calling super().forward
            return forward(self, input, y)  # the subclass's own entry has checked them
        input, y = _checked_pair(input, y, self.input_name)
        self.check_input(input)
        return forward(self, input, y)

    return checked_forward


def _checked_backward(backward):
    signature = inspect.signature(backward)

    @functools.wraps(backward)
    def checked_backward(self, *args, **kwargs):
        grad_output = (arguments(signature, self, args, kwargs) or [None])[0]
        if type(self).backward is not checked_backward:  # called as super().backward
            return backward(self, *([] if grad_output is None else [grad_output]))
        if self.y is None:
            raise ValueError(
                f"{type(self).__name__}.backward was called before forward; call forward first"
            )
        return backward(self, _checked_dL_out(self, grad_output))

    return checked_backward


def _checked_pair(input, y, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The input as a float array and y as 0/1 of the same shape and dtype, or an error.

    Labels of shape (N,) next to an input of shape (N, 1), as scikit-learn and pandas
    give them, are read as that column.
    """
    input = as_float_array(input, name)
    y = as_float_array(y, "y", dtype=input.dtype)
    if y.ndim == 1 and input.shape == (len(y), 1):
        y = y.reshape(input.shape)
    if input.shape != y.shape:
        raise ValueError(f"{name} and y must have the same shape, got {input.shape} and {y.shape}")
    require_nonempty(input, name)
    require_finite(input, name)
    require_binary_labels(y, "y")
    return input, y


def _checked_dL_out(loss: Loss, grad_output):
    """The upstream gradient: a finite number for "mean" and "sum" (1 when not given),
    an array of the unreduced loss's shape for "none" (ones when not given)."""
    dtype, shape = loss.y.dtype, loss.y.shape
    if loss.reduction == "none":
        if grad_output is None:
            return np.ones(shape, dtype=dtype)
        return as_grad_output(grad_output, shape, dtype, "the unreduced loss")
    if grad_output is None:
        return 1.0
    if isinstance(grad_output, bool) or not isinstance(grad_output, numbers.Real):
        raise TypeError(
            f"grad_output must be a number for reduction {loss.reduction!r}, got {grad_output!r}"
        )
    if not np.isfinite(grad_output):
        raise ValueError(f"grad_output must be finite, got {grad_output}")
    return grad_output
