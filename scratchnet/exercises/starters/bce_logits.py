"""Exercise bce_logits: write BCEWithLogitsLoss.backward, the gradient at the logits.

Read first: docs/tour.md, section "Losses", the paragraphs BCE and From logits.
Check it:   python -m scratchnet.exercises check bce_logits

BCEWithLogitsLoss is the lesson's class (scratchnet/losses.py), with its constructor and
forward given. The check compares your backward with finite differences for the
reductions "mean", "sum" and "none", in float64 and float32, then with cases worked by
hand (a logit of 40 among them), and makes sure backward changes nothing it is given.
Not graded: pos_weight (in w_t below) and per-example weights; your backward may take
w_t = 1.
"""

import numpy as np

from scratchnet import Loss


def sigmoid(x):
    """sigma(x) = 1 / (1 + exp(-x)), computed from exp(-|x|), which never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def log_sigmoid(x):
    """log sigma(x) = min(x, 0) - log(1 + exp(-|x|)), finite for every finite x."""
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits x, p = sigma(x):

        l = -(w y log sigma(x) + (1 - y) log sigma(-x)) = -w_t log_sigmoid(z)

    with z = s x, s = 2y - 1 (the label as a sign), and w_t = w for positives, 1 for
    negatives. Shapes: x and y the same, (N,) or (N, 1).
    """

    input_name = "logits"

    def __init__(self, reduction="mean", *, pos_weight=None):
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, logits, y):
        """x = logits, y (same shape) -> L (float, or the array l for reduction
        "none"). Caches, each of the input's shape: y, z = s x and w_t."""
        w = 1.0 if self.pos_weight is None else self.pos_weight
        w_t = 1 + (w - 1) * y  # w where y = 1, 1 where y = 0
        self.y, self.z, self.w_t = y, (2 * y - 1) * logits, w_t
        return self.reduce(-w_t * log_sigmoid(self.z))

    def backward(self, dL_out=1.0):
        """dL_dx, of the logits' shape and dtype."""
        # The derivation to carry out, for l = -w_t log sigma(z) with z = s x:
        # 1. d/dz log sigma(z): differentiate, then write it with sigma alone (1 - sigma(z)
        #    is sigma(-z)).
        # 2. dz/dx = s: the chain rule gives dl/dx.
        # 3. Check it against p - y for y = 1 and y = 0 (with w_t = 1). Then compute it as
        #    you derived it, not as p - y: at x = 40, p rounds to 1 and p - y to 0.
        # 4. The chain rule through the reduction: dL/dl is self.through_reduction(dL_out).
        # 5. Return dL/dl * dl/dx, a new array of x's shape.
        raise NotImplementedError(
            "BCEWithLogitsLoss.backward is yours to write: follow the steps above it"
        )
