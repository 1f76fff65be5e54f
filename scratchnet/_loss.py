"""What every loss shares: the front door ``loss(input, y)``, which checks its arguments
(``scratchnet.doors.for_losses``) and calls ``forward``, and the reduction."""

from __future__ import annotations

import numpy as np

from scratchnet.doors import for_losses as doors
from scratchnet.doors.for_modules import missing_attribute


class Loss:
    """Base class of the losses: ``loss(input, y)`` checks them, then calls ``forward``.

    ``input_name`` says what the loss takes: "p", probabilities in [0, 1], or "logits".
    ``forward`` caches ``y``, the labels, with the input's shape.
    """

    input_name = "p"

    def __init__(self, reduction: str = "mean"):
        self.reduction = doors.reduction(reduction)

    def __call__(self, input, y):
        return self.forward(*doors.pair(self, input, y))

    def check_input(self, input: np.ndarray) -> None:
        """The door's check of the input alone: probabilities in [0, 1] for "p"."""
        doors.loss_input(self, input)

    def __getattr__(self, name: str):
        return missing_attribute(self, name)  # never set: a cache forward has not filled?

    def reduce(self, l: np.ndarray):
        """L from the elementwise losses l, n of them:
            "mean"  L = sum(l) / n
            "sum"   L = sum(l)
            "none"  the array l
        a Python float for "mean" and "sum"."""
        if self.reduction == "mean":
            return float(np.mean(l))
        if self.reduction == "sum":
            return float(np.sum(l))
        return l

    def through_reduction(self, dL_out) -> np.ndarray:
        """dL/dl for each element l, from dL_out, the gradient of what follows the loss.

        Each l_i enters L once:
            "mean"  L = sum(l) / n  ->  dL/dl_i = dL_out / n
            "sum"   L = sum(l)      ->  dL/dl_i = dL_out
            "none"  L_i = l_i       ->  dL/dl_i = dL_out_i
        One number, the same for every element, is returned as a 0-d array of the labels'
        dtype, so that float32 stays float32. dL_out is checked first.
        """
        dL_out = doors.dL_out(self, dL_out)
        if isinstance(dL_out, np.ndarray):  # one gradient per element, for "none"
            return dL_out
        scale = dL_out / self.y.size if self.reduction == "mean" else dL_out
        return np.array(scale, dtype=self.y.dtype)
