"""What every loss shares: the front door ``loss(input, y)`` and the reduction.

As for layers (see ``scratchnet.layers``), ``loss_fn(input, y)`` checks its arguments
(``scratchnet.doors.for_losses``), then calls ``forward``; ``forward`` and ``backward`` are
the math.
"""

from __future__ import annotations

import numpy as np

from scratchnet.doors import for_losses as doors
from scratchnet.doors.for_modules import missing_attribute


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
        self.reduction = doors.reduction(reduction)

    def __call__(self, input, y, sample_weight=None):
        input, y, weights = doors.loss_arguments(self, input, y, sample_weight)
        return self.forward(input, y, **weights)

    def check_input(self, input: np.ndarray) -> None:
        """The door's check of the input alone: probabilities in [0, 1] for "p"."""
        doors.loss_input(self, input)

    def __getattr__(self, name: str):
        return missing_attribute(self, name)  # never set: a cache forward has not filled?

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
        dL_out, sw = doors.dL_out(self, dL_out), self.sample_weight
        if sw is not None:
            return dL_out * sw / np.sum(sw) if self.reduction == "mean" else dL_out * sw
        if isinstance(dL_out, np.ndarray):  # one gradient per element, for "none"
            return dL_out
        scale = dL_out / self.y.size if self.reduction == "mean" else dL_out
        return np.array(scale, dtype=self.y.dtype)
