"""Exercise bce: write BCELoss.backward, the gradient from probabilities.

Read first: docs/tour.md, section "Losses", the paragraph BCE.
Check it:   python -m scratchnet.exercises check bce

BCELoss is the lesson's class (scratchnet/losses.py), with its constructor and forward
given. The check compares your backward with finite differences for the reductions
"mean", "sum" and "none", in float64 and float32, then with cases worked by hand (p = 0
and p = 1 among them), and makes sure backward changes nothing it is given.
Not graded: pos_weight (w below) and per-example weights; your backward may take w = 1.
Carrying w through once everything passes is a good extra step.
"""

import numpy as np

from scratchnet import Loss

LOG_FLOOR = -100.0  # log(p) is floored here, as PyTorch's BCELoss does


def log_floor(dtype, w=1.0):
    """-100, or higher in float32 (-87.3 for w = 1), where w / p would overflow."""
    return max(LOG_FLOOR, float(np.log(max(w, 1.0) * np.finfo(dtype).tiny)))


class BCELoss(Loss):
    """Binary cross-entropy on probabilities: l = -(w y log p + (1 - y) log(1 - p)),
    each log floored at log_floor(p.dtype). Shapes: p and y the same, (N,) or (N, 1)."""

    def __init__(self, reduction="mean", *, pos_weight=None):
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, p, y):
        """p, y (same shape) -> L (float, or the array l for reduction "none"). Caches,
        each of the input's shape: y, p and its floored logs."""
        w = 1.0 if self.pos_weight is None else self.pos_weight
        floor = log_floor(p.dtype, w)
        with np.errstate(divide="ignore"):  # log(0) = -inf is expected here: it gets floored
            log_p = np.maximum(np.log(p), floor)
            log_1_minus_p = np.maximum(np.log1p(-p), floor)
        self.p, self.y, self.log_p, self.log_1_minus_p = p, y, log_p, log_1_minus_p
        l = -(w * y * log_p + (1 - y) * log_1_minus_p)  # noqa: E741 (l: the element's loss)
        return self.reduce(l)

    def backward(self, dL_out=1.0):
        """dL_dp, of p's shape and dtype."""
        # The derivation to carry out, term by term of l = -(y log p + (1 - y) log(1 - p)):
        # 1. d/dp of -y log p.
        # 2. d/dp of -(1 - y) log(1 - p): mind the derivative of 1 - p (the chain rule).
        # 3. Where forward floored a log (self.log_p or self.log_1_minus_p equal to the
        #    floor), that term is a constant: its derivative is 0 there. Compute no 0 / 0:
        #    np.divide(a, b, out=np.zeros_like(a), where=mask) divides only where mask holds.
        # 4. The chain rule through the reduction: dL/dl is self.through_reduction(dL_out)
        #    (dL_out / n for "mean", dL_out for "sum", dL_out itself for "none").
        # 5. Return dL/dl * dl/dp, a new array of p's shape.
        raise NotImplementedError("BCELoss.backward is yours to write: follow the steps above it")
