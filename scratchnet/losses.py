"""Losses for binary classification, each with its gradient derived by hand.

Symbols used in every docstring and in the code
-----------------------------------------------
    y        the label, 0 or 1
    p        the predicted probability of class 1
    x        a logit, the input of the sigmoid: p = sigma(x)
    s        the label as a sign, 2y - 1: +1 for positives, -1 for negatives
    p_t      the probability given to the true class: p if y = 1, 1 - p if y = 0,
             so dp_t/dp = s; for a logit x, p_t = sigma(s x)
    z        s x, so that p_t = sigma(z)
    alpha_t  the weight of an example in the focal loss (see FocalLoss)
    w        pos_weight, the weight of the positive class in BCE (1 when not given)
    l        the loss of one element; L the reduced loss, l averaged or summed
    dL_out   the gradient of whatever follows the loss: 1 when L is the training loss

``value = loss_fn(p, y)``, then ``dL_dp = loss_fn.backward()``, of p's shape and dtype.
The losses on probabilities take p = sigma(x) from a ``Sigmoid`` layer, as in the article,
and must guard log(p) near 0 and 1; those on logits compute log p = log_sigmoid(x), finite
for any finite x. Each forward hands l to ``Loss.reduce``; each backward starts from
dL/dl, ``Loss.through_reduction`` (see ``_loss``).
"""

from __future__ import annotations

import functools

import numpy as np

from scratchnet._loss import Loss
from scratchnet.doors import for_losses as doors
from scratchnet.functional import log_sigmoid, sigmoid, sigmoid_and_complement

# log(p) is floored here, as PyTorch's BCELoss does, so that p = 0 or 1 gives a finite loss.
LOG_FLOOR = -100.0


class BCELoss(Loss):
    """Binary cross-entropy on probabilities: l = -(w y log p + (1 - y) log(1 - p)).

    p and y of one shape; w = ``pos_weight`` (PyTorch's name, 1 when not given) multiplies
    the loss of every positive.

    At p = 0 or p = 1 one log is -inf. As PyTorch's ``BCELoss`` documents, each log is
    floored at -100, so l <= 100 max(w, 1) and never inf or NaN:

        l = -(w y max(log p, -100) + (1 - y) max(log(1 - p), -100)).

    (In float32 the floor is about -87, see ``_log_floor``.) The gradient is the true
    derivative of this l: where a floor is active, its term is constant and contributes 0.
    log(1 - p) is computed as log1p(-p), which keeps every digit when p is tiny.
    """

    def __init__(self, reduction: str = "mean", *, pos_weight: float | None = None):
        super().__init__(reduction)
        self.pos_weight = doors.pos_weight(pos_weight)

    def forward(self, p, y):
        """p, y (same shape) -> L (float, or the array l for reduction "none"). Caches,
        each of the input's shape: y, p and its floored logs."""
        floor = _log_floor(p.dtype, _weight(self.pos_weight))
        with np.errstate(divide="ignore"):  # log(0) = -inf is expected here: it gets floored
            log_p = np.maximum(np.log(p), floor)
            log_1_minus_p = np.maximum(np.log1p(-p), floor)
        self.p, self.y, self.log_p, self.log_1_minus_p = p, y, log_p, log_1_minus_p
        w = _weight(self.pos_weight)
        l = -(w * y * log_p + (1 - y) * log_1_minus_p)
        return self.reduce(l)

    def backward(self, dL_out=1.0) -> np.ndarray:
        """dL_dp, shape and dtype of p.

        Derivation, term by term of l = -(w y log p + (1 - y) log(1 - p)):
            d/dp [-w y log p]             = -w y / p
            d/dp [-(1 - y) log(1 - p)]    = (1 - y) / (1 - p)
        each replaced by 0 where its log is floored (the floored term is constant). Then
            dL_dp = dL_dl * dl_dp.
        """
        dL_dl = self.through_reduction(dL_out)
        p, y, w = self.p, self.y, _weight(self.pos_weight)
        floor = _log_floor(p.dtype, w)
        dl_dp = _divide_where(-w * y, p, self.log_p > floor) + _divide_where(
            1 - y, 1 - p, self.log_1_minus_p > floor
        )
        return dL_dl * dl_dp

    def __repr__(self) -> str:
        return f"BCELoss({_pos_weight_repr(self)}reduction={self.reduction!r})"


class FocalLoss(Loss):
    """Focal loss on probabilities (Lin et al., 2017), by default exactly the article's.

        p_c = clamp(p, eps, 1 - eps)                       eps = 1e-7 by default
        p_t = p_c if y = 1 else 1 - p_c
        l   = -alpha_t (1 - p_t)^gamma log(p_t)

    (For y = 0 the code takes 1 - p_t = p_c and log p_t = log1p(-p_c) directly, the same
    numbers without the rounding of 1 - (1 - p_c): an easy negative's small p keeps every
    digit, and easy negatives are what focal loss is about.)

    The factor (1 - p_t)^gamma shrinks the loss of examples already classified well
    (p_t near 1), so the many easy negatives of an imbalanced set stop dominating.
    gamma = 0 gives cross-entropy back.

    ``alpha_mode``: "constant" (the article's) sets alpha_t = alpha for every example;
    "per_class" (the paper's) alpha for y = 1 and 1 - alpha for y = 0, so the paper's 0.25
    gives the rare positives the *smaller* weight. ``alpha=None``: alpha_t = 1.

    The clamp keeps log(p_t) finite at p = 0 or 1. Like any clamp, it has derivative 0
    where it is active (p < eps or p > 1 - eps), so those examples send back no gradient.
    (At exactly p = eps or 1 - eps the gradient passes, as with PyTorch's ``clamp``.)
    """

    def __init__(self, alpha: float | None = 0.25, gamma: float = 2.0, reduction: str = "mean",
                 *, alpha_mode: str = "constant", eps: float = 1e-7):  # fmt: skip
        super().__init__(reduction)
        self.alpha, self.gamma, self.alpha_mode = doors.focal_settings(alpha, gamma, alpha_mode)
        self.eps = doors.CLAMP.check(eps, "eps")

    def forward(self, p, y):
        """p, y (same shape) -> L (float, or the array l for reduction "none"). Caches,
        each of the input's shape: y, p, p_t, 1 - p_t, log p_t and alpha_t."""
        p_c = np.clip(p, self.eps, 1 - self.eps)
        positive = y == 1
        self.p, self.y = p, y
        self.p_t = np.where(positive, p_c, 1 - p_c)
        self.one_minus_p_t = np.where(positive, 1 - p_c, p_c)
        self.log_p_t = np.where(positive, np.log(p_c), np.log1p(-p_c))
        self.alpha_t = _alpha_t(self.alpha, self.alpha_mode, y)
        l = -self.alpha_t * self.one_minus_p_t**self.gamma * self.log_p_t
        return self.reduce(l)

    def backward(self, dL_out=1.0) -> np.ndarray:
        """dL_dp, shape and dtype of p.

        Derivation, by the chain rule through p_t and the clamp:
            dl/dp_t   = -alpha_t [ -gamma (1 - p_t)^(gamma - 1) log p_t + (1 - p_t)^gamma / p_t ]
                      =  alpha_t [  gamma (1 - p_t)^(gamma - 1) log p_t - (1 - p_t)^gamma / p_t ]
            dp_t/dp_c = s        (+1 if y = 1, -1 if y = 0)
            dp_c/dp   = 1 where eps <= p <= 1 - eps, 0 where the clamp is active
            dl_dp     = dl/dp_t * s * dp_c/dp
        1 - p_t >= eps > 0 after the clamp, so (1 - p_t)^(gamma - 1) is finite even for
        gamma < 1.
        """
        dL_dl = self.through_reduction(dL_out)
        p, p_t, alpha_t, gamma = self.p, self.p_t, self.alpha_t, self.gamma
        one_minus_p_t, log_p_t = self.one_minus_p_t, self.log_p_t
        dl_dp_t = alpha_t * (
            gamma * one_minus_p_t ** (gamma - 1) * log_p_t - one_minus_p_t**gamma / p_t
        )
        s = 2 * self.y - 1
        inside_clamp = (p >= self.eps) & (p <= 1 - self.eps)
        dl_dp = np.where(inside_clamp, dl_dp_t * s, 0)
        return dL_dl * dl_dp

    def __repr__(self) -> str:
        return f"FocalLoss({_focal_options_repr(self)}, eps={self.eps})"


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits x, with p = sigma(x):

        l = -(w y log sigma(x) + (1 - y) log sigma(-x)) = -w_t log_sigmoid(z)

    with w_t = w for positives and 1 for negatives (the second form because
    1 - sigma(x) = sigma(-x), and z = s x is x for y = 1, -x for y = 0). w is
    ``pos_weight``, as in ``BCELoss``. ``log_sigmoid`` is finite for every finite x, so no
    floor is needed.
    """

    input_name = "logits"

    def __init__(self, reduction: str = "mean", *, pos_weight: float | None = None):
        super().__init__(reduction)
        self.pos_weight = doors.pos_weight(pos_weight)

    def forward(self, logits, y):
        """x = logits, y (same shape) -> L (float, or the array l for "none"). Caches,
        each of the input's shape: y, z = s x and w_t."""
        w_t = 1 + (_weight(self.pos_weight) - 1) * y  # w where y = 1, 1 where y = 0
        self.y, self.z, self.w_t = y, (2 * y - 1) * logits, w_t
        return self.reduce(-w_t * log_sigmoid(self.z))

    def backward(self, dL_out=1.0) -> np.ndarray:
        """dL_dx, shape and dtype of the logits.

        Derivation: d/dz log sigma(z) = 1 - sigma(z) = sigma(-z) and dz/dx = s, so
            dl_dx = -w_t s sigma(-z),
        which for w = 1 is p - y: -(1 - p) for y = 1 and p for y = 0. That is why Sigmoid
        followed by BCE sends back (p - y) / N at the logits for the mean: the
        1 / (p (1 - p)) of BCE's gradient cancels the p (1 - p) of sigmoid's.

        Computing it as -s sigma(-z) rather than p - y avoids subtracting two nearly equal
        numbers: at x = 40 and y = 1, p - y rounds to 0 while -sigma(-40) = -4.2e-18
        keeps every digit.
        """
        dL_dl = self.through_reduction(dL_out)
        s = 2 * self.y - 1
        return dL_dl * -self.w_t * s * sigmoid(-self.z)

    def __repr__(self) -> str:
        return f"BCEWithLogitsLoss({_pos_weight_repr(self)}reduction={self.reduction!r})"


class FocalLossWithLogits(Loss):
    """Focal loss on logits x: the stable form of ``FocalLoss`` composed with ``Sigmoid``.

    With z = s x (so p_t = sigma(z) and 1 - p_t = sigma(-z)):

        l = -alpha_t sigma(-z)^gamma log_sigmoid(z)

    Every factor is finite for any finite x, and no clamp is needed, so nothing is cut
    off: examples at any confidence keep their (tiny) gradient. ``alpha`` and
    ``alpha_mode`` mean what they mean in ``FocalLoss``.
    """

    input_name = "logits"

    def __init__(self, alpha: float | None = 0.25, gamma: float = 2.0, reduction: str = "mean",
                 *, alpha_mode: str = "constant"):  # fmt: skip
        super().__init__(reduction)
        self.alpha, self.gamma, self.alpha_mode = doors.focal_settings(alpha, gamma, alpha_mode)

    def forward(self, logits, y):
        """x = logits, y (same shape) -> L (float, or the array l for "none"). Caches,
        each of the input's shape: y, z = s x and alpha_t."""
        z = (2 * y - 1) * logits
        alpha_t = _alpha_t(self.alpha, self.alpha_mode, y)
        self.y, self.z, self.alpha_t = y, z, alpha_t
        l = -alpha_t * sigmoid(-z) ** self.gamma * log_sigmoid(z)
        return self.reduce(l)

    def backward(self, dL_out=1.0) -> np.ndarray:
        """dL_dx, shape and dtype of the logits.

        Derivation: dp_t/dz = p_t (1 - p_t) and dz/dx = s. Multiplying FocalLoss's dl/dp_t
        by p_t (1 - p_t) cancels both of its dangerous divisions:
            dl/dz = dl/dp_t * p_t (1 - p_t)
                  = alpha_t [gamma (1 - p_t)^gamma p_t log p_t - (1 - p_t)^(gamma + 1)]
                  = alpha_t (1 - p_t)^gamma [gamma p_t log p_t - (1 - p_t)]
            dl_dx = s dl/dz
        which is the paper's appendix formula. No negative power is left, so it stays
        finite for gamma in (0, 1) where (1 - p_t)^(gamma - 1) alone would blow up.
        """
        dL_dl = self.through_reduction(dL_out)
        z, alpha_t, gamma = self.z, self.alpha_t, self.gamma
        p_t, one_minus_p_t = sigmoid_and_complement(z)
        log_p_t = log_sigmoid(z)
        dl_dz = alpha_t * one_minus_p_t**gamma * (gamma * p_t * log_p_t - one_minus_p_t)
        s = 2 * self.y - 1
        return dL_dl * s * dl_dz

    def __repr__(self) -> str:
        return f"FocalLossWithLogits({_focal_options_repr(self)})"


# --- what the losses above share ----------------------------------------------------------


@functools.cache
def _log_floor(dtype, w: float) -> float:
    """-100, or log(max(w, 1) * tiny) where that is higher, tiny being the smallest
    normal number of ``dtype``.

    The gradient divides by p: w / p for a positive. float32's tiny is 1.2e-38, only
    about 4 times below what 1 / tiny needs to stay under float32's largest number
    (3.4e38), so with a weight w the floor rises to log(w tiny) (-87.3 for w = 1), where
    w / p is at most 1 / tiny. In float64 it stays -100 for any sensible w.
    """
    return max(LOG_FLOOR, float(np.log(max(w, 1.0) * np.finfo(dtype).tiny)))


def _weight(pos_weight: float | None) -> float:
    """w: the weight of a positive example, 1 when no pos_weight is given."""
    return 1.0 if pos_weight is None else pos_weight


def _alpha_t(alpha, alpha_mode: str, y: np.ndarray) -> np.ndarray:
    """Each example's weight: alpha; or alpha for y = 1 and 1 - alpha for y = 0; or 1."""
    if alpha is None:
        return np.ones_like(y)
    if alpha_mode == "constant":
        return np.full_like(y, alpha)
    return np.where(y == 1, alpha, 1 - alpha).astype(y.dtype)


def _divide_where(numerator: np.ndarray, denominator: np.ndarray, where: np.ndarray) -> np.ndarray:
    """numerator / denominator where ``where`` holds, 0 elsewhere (and no division there)."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=where)


def _pos_weight_repr(loss) -> str:
    return "" if loss.pos_weight is None else f"pos_weight={loss.pos_weight}, "


def _focal_options_repr(loss) -> str:
    return (
        f"alpha={loss.alpha}, gamma={loss.gamma}, alpha_mode={loss.alpha_mode!r}, "
        f"reduction={loss.reduction!r}"
    )
