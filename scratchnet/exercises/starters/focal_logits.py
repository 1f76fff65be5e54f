"""Exercise focal_logits: write FocalLossWithLogits.backward, the gradient at the logits.

Read first: docs/tour.md, section "Losses", the paragraph From logits.
Check it:   python -m scratchnet.exercises check focal_logits

FocalLossWithLogits is the lesson's class (scratchnet/losses.py), with its constructor
and forward given. The check compares your backward with finite differences for the
reductions "mean", "sum" and "none" and both alpha modes ("constant", "per_class"), in
float64 and float32, then with a case worked by hand, and makes sure backward changes
nothing it is given. Not graded: per-example weights.
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


def alpha_t_of(alpha, alpha_mode, y):
    """Each example's weight: alpha; or alpha for y = 1 and 1 - alpha for y = 0; or 1."""
    if alpha is None:
        return np.ones_like(y)
    if alpha_mode == "constant":
        return np.full_like(y, alpha)
    return np.where(y == 1, alpha, 1 - alpha).astype(y.dtype)


class FocalLossWithLogits(Loss):
    """Focal loss on logits x. With z = s x (s = 2y - 1), p_t = sigma(z) and
    1 - p_t = sigma(-z):

        l = -alpha_t sigma(-z)^gamma log_sigmoid(z)

    alpha and alpha_mode mean what they mean in FocalLoss.
    """

    input_name = "logits"

    def __init__(self, alpha=0.25, gamma=2.0, reduction="mean", *, alpha_mode="constant"):
        super().__init__(reduction)
        self.alpha, self.alpha_mode, self.gamma = alpha, alpha_mode, gamma

    def forward(self, logits, y):
        """x = logits, y (same shape) -> L (float, or the array l for reduction
        "none"). Caches, each of the input's shape: y, z = s x and alpha_t."""
        z = (2 * y - 1) * logits
        alpha_t = alpha_t_of(self.alpha, self.alpha_mode, y)
        self.y, self.z, self.alpha_t = y, z, alpha_t
        return self.reduce(-alpha_t * sigmoid(-z) ** self.gamma * log_sigmoid(z))

    def backward(self, dL_out=1.0):
        """dL_dx, of the logits' shape and dtype."""
        # The derivation to carry out:
        # 1. Start from dl/dp_t, which the focal exercise derived.
        # 2. dp_t/dz = p_t (1 - p_t): multiply, and simplify until no division and no
        #    negative power of (1 - p_t) is left.
        # 3. dz/dx = s = 2y - 1.
        # 4. Compute p_t, 1 - p_t and log p_t from the cached z with the functions above:
        #    never 1 - p_t as a subtraction.
        # 5. The chain rule through the reduction: dL/dl is self.through_reduction(dL_out).
        # 6. Return dL/dl * dl/dx, a new array of x's shape.
        raise NotImplementedError(
            "FocalLossWithLogits.backward is yours to write: follow the steps above it"
        )
