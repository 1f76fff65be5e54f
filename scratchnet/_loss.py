"""What every loss shares: its reduction, and the checks of what a user passes it.

As for layers (see ``scratchnet.layers``), ``loss_fn(input, y)`` is the front door that
checks its arguments, then calls ``forward``; ``forward`` and ``backward`` are the math.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from scratchnet.doors.modules import missing_attribute
from scratchnet.doors.values import (
    POSITIVE,
    as_float_array,
    as_grad_output,
    require_binary_labels,
    require_finite,
    require_nonempty,
    require_probabilities,
    require_weights,
)

REDUCTIONS = ("mean", "sum", "none")
ALPHA_MODES = ("constant", "per_class")
_LOGITS_HINT = "; pass logits to BCEWithLogitsLoss or FocalLossWithLogits instead"


class Loss:
    """Base class of the losses: ``loss(input, y, sample_weight=None)`` checks them, then
    calls ``forward``.

    ``input_name`` says what the loss takes: "p", probabilities in [0, 1], or "logits".
    ``forward`` caches ``y``, the labels, with the input's shape. ``sample_weight`` (sw in
    the formulas), when given, weighs each element's loss l (see ``reduce``); it has y's
    shape, or (N,) next to y of shape (N, 1), and is passed to ``forward`` only if given.
    """

    input_name = "p"
    sample_weight = None  # the last forward's weights, cached by reduce; None for none

    def __init__(self, reduction: str = "mean"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def __call__(self, input, y, sample_weight=None):
        input, y = self.check(input, y)
        if sample_weight is None:
            return self.forward(input, y)
        require_takes_sample_weight(self)
        return self.forward(input, y, _checked_sample_weight(sample_weight, y))

    def check(self, input, y) -> tuple[np.ndarray, np.ndarray]:
        """The front door's checks: (input, y) as float arrays of one shape, or an error."""
        input, y = _checked_pair(input, y, self.input_name)
        self.check_input(input)
        return input, y

    def __getattr__(self, name: str):
        # Python asks only for attributes never set: a cache forward has not filled yet?
        return missing_attribute(self, name)

    def reduce(self, l: np.ndarray, sample_weight: np.ndarray | None = None):
        """L from the elementwise losses l, each weighted by sw = sample_weight:

            "mean"  L = sum(sw l) / sum(sw)     a Python float
            "sum"   L = sum(sw l)               a Python float
            "none"  the array sw l

        Without weights sw = 1, and "mean" is sum(l) / n, n the number of elements. A
        weighted mean divides by sum(sw), so an integer sw = k counts an element k times:
        the same L as repeating it k times. sw is cached for ``through_reduction``.
        """
        self.sample_weight = sw = sample_weight
        weighted = l if sw is None else sw * l
        if self.reduction == "mean":
            return float(np.mean(l) if sw is None else np.sum(weighted) / np.sum(sw))
        if self.reduction == "sum":
            return float(np.sum(weighted))
        return weighted

    def through_reduction(self, dL_out) -> np.ndarray:
        """dL/dl for each element l, from dL_out, the gradient of what follows the loss.

        sum(sw) does not depend on the input, so each l_i enters L once, times a constant:
            "mean"  L = sum(sw l) / sum(sw)  ->  dL/dl_i = dL_out sw_i / sum(sw)
            "sum"   L = sum(sw l)            ->  dL/dl_i = dL_out sw_i
            "none"  L_i = sw_i l_i           ->  dL/dl_i = dL_out_i sw_i
        Without weights (sw = 1): dL_out / n, dL_out, and dL_out elementwise; one number,
        the same for every element, is then returned as a 0-d array of the labels' dtype,
        so that float32 stays float32 (sw has the labels' dtype already). dL_out is
        checked first.
        """
        dL_out, sw = _checked_dL_out(self, dL_out), self.sample_weight
        if sw is not None:
            return dL_out * sw / np.sum(sw) if self.reduction == "mean" else dL_out * sw
        if isinstance(dL_out, np.ndarray):  # one gradient per element, for "none"
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


def require_takes_sample_weight(loss_fn) -> None:
    """Refuse weights for a loss whose forward has no ``sample_weight`` to take them."""
    if "sample_weight" not in inspect.signature(loss_fn.forward).parameters:
        raise TypeError(
            f"loss_fn.forward takes no sample_weight, so {type(loss_fn).__name__} cannot "
            "weight rows; give it a sample_weight=None argument, or leave sample_weight out"
        )


def _checked_sample_weight(sample_weight, y: np.ndarray) -> np.ndarray:
    """The weights as an array of y's shape and dtype: finite, >= 0 and not all 0.

    A weight vector (N,) next to y of shape (N, 1) is read as that column, as y is.
    """
    sw = as_float_array(sample_weight, "sample_weight", dtype=y.dtype)
    if sw.ndim == 1 and y.shape == (len(sw), 1):
        sw = sw.reshape(y.shape)
    if sw.shape != y.shape:
        raise ValueError(f"sample_weight must have y's shape {y.shape}, got {sw.shape}")
    require_weights(sw, "sample_weight")
    return sw


def _checked_dL_out(loss: Loss, grad_output):
    """The upstream gradient: a finite number, the same for every element; for reduction
    "none", also an array of the unreduced loss's shape."""
    if loss.reduction == "none" and not isinstance(grad_output, numbers.Real):
        grad_output = as_grad_output(grad_output, loss.y.shape, loss.y.dtype, "the unreduced loss")
        require_finite(grad_output, "grad_output")
        return grad_output
    if isinstance(grad_output, bool) or not isinstance(grad_output, numbers.Real):
        raise TypeError(
            f"grad_output must be a number for reduction {loss.reduction!r}, got {grad_output!r}"
        )
    if not np.isfinite(grad_output):
        raise ValueError(f"grad_output must be finite, got {grad_output}")
    return grad_output
