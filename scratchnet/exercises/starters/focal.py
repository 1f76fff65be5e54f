"""Exercise focal: write FocalLoss.backward, the article's loss, clamp included.

Read first: docs/tour.md, section "Losses", the paragraph Focal loss.
Check it:   python -m scratchnet.exercises check focal

FocalLoss is the lesson's class (scratchnet/losses.py), with its constructor and forward
given. The check compares your backward with finite differences for the reductions
"mean", "sum" and "none" and both alpha modes ("constant", "per_class"), in float64 and
float32, then with cases worked by hand (the article's; p where the clamp is active),
and makes sure backward changes nothing it is given. Not graded: per-example weights.
"""

import numpy as np

from scratchnet import Loss


def alpha_t_of(alpha, alpha_mode, y):
    """Each example's weight: alpha; or alpha for y = 1 and 1 - alpha for y = 0; or 1."""
    if alpha is None:
        return np.ones_like(y)
    if alpha_mode == "constant":
        return np.full_like(y, alpha)
    return np.where(y == 1, alpha, 1 - alpha).astype(y.dtype)


class FocalLoss(Loss):
    """Focal loss on probabilities (Lin et al., 2017), by default exactly the article's.

        p_c = clamp(p, eps, 1 - eps)
        p_t = p_c if y = 1 else 1 - p_c
        l   = -alpha_t (1 - p_t)^gamma log(p_t)

    alpha_mode "constant" (the article's): alpha_t = alpha for every example.
    alpha_mode "per_class" (the paper's): alpha_t = alpha for y = 1, 1 - alpha for y = 0.
    """

    def __init__(self, alpha=0.25, gamma=2.0, reduction="mean", *, alpha_mode="constant",
                 eps=1e-7):  # fmt: skip
        super().__init__(reduction)
        self.alpha, self.alpha_mode, self.gamma, self.eps = alpha, alpha_mode, gamma, eps

    def forward(self, p, y):
        """p, y (same shape) -> L (float, or the array l for reduction "none"). Caches,
        each of the input's shape: y, p (before the clamp), p_t, 1 - p_t, log p_t and
        alpha_t."""
        p_c = np.clip(p, self.eps, 1 - self.eps)
        positive = y == 1
        self.p, self.y = p, y
        self.p_t = np.where(positive, p_c, 1 - p_c)
        self.one_minus_p_t = np.where(positive, 1 - p_c, p_c)  # 1 - p_t, without rounding
        self.log_p_t = np.where(positive, np.log(p_c), np.log1p(-p_c))
        self.alpha_t = alpha_t_of(self.alpha, self.alpha_mode, y)
        l = -self.alpha_t * self.one_minus_p_t**self.gamma * self.log_p_t  # noqa: E741
        return self.reduce(l)

    def backward(self, dL_out=1.0):
        """dL_dp, of p's shape and dtype."""
        # The derivation to carry out, by the chain rule through p_t and the clamp:
        # 1. dl/dp_t: l is a product of -alpha_t, (1 - p_t)^gamma and log p_t; use the
        #    product rule, and mind the derivative of 1 - p_t.
        # 2. dp_t/dp_c: +1 for y = 1 and -1 for y = 0, the sign s = 2y - 1.
        # 3. dp_c/dp: the clamp is flat where it is active, p < eps or p > 1 - eps.
        # 4. dl/dp is the product of the three, using what forward cached.
        # 5. The chain rule through the reduction: dL/dl is self.through_reduction(dL_out).
        # 6. Return dL/dl * dl/dp, a new array of p's shape.
        raise NotImplementedError("FocalLoss.backward is yours to write: follow the steps above it")
