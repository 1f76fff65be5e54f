"""Wrong answers to the exercises, as a learner would write them, each with a piece of the
hint its check must give. Each class keeps the lesson's forward and gets backward wrong
in one way; each list follows the catalogue of its exercise's grader.
"""

from types import SimpleNamespace

import numpy as np

import scratchnet as sn
from scratchnet.functional import sigmoid

# --- relu -----------------------------------------------------------------------------------


class ReLUDroppedUpstream(sn.ReLU):
    def backward(self, dL_dy):
        return (self.y > 0).astype(dL_dy.dtype)


class ReLUMaskFromGreaterOrEqual(sn.ReLU):
    def backward(self, dL_dy):
        return dL_dy * (self.y >= 0)


class ReLUTimesOutput(sn.ReLU):
    def backward(self, dL_dy):
        return dL_dy * self.y


class ReLUMaskOfUpstream(sn.ReLU):
    def backward(self, dL_dy):
        return dL_dy * (dL_dy > 0)


class ReLUInvertedMask(sn.ReLU):
    def backward(self, dL_dy):
        return dL_dy * (self.y <= 0)


class ReLUPassesAtTheKink(sn.ReLU):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, dL_dy):
        return dL_dy * (self.x >= 0)


class ReLUSignFlipped(sn.ReLU):
    def backward(self, dL_dy):
        return -dL_dy * (self.y > 0)


class ReLUInPlace(sn.ReLU):
    def backward(self, dL_dy):
        dL_dy *= self.y > 0
        return dL_dy


class ReLUOffByOne(sn.ReLU):
    def backward(self, dL_dy):
        return dL_dy * (self.y > 0) + 1


RELU = [
    (ReLUDroppedUpstream, "the input gradient ignores dL_dy"),
    (ReLUMaskFromGreaterOrEqual, "the input gradient is dL_dy unchanged everywhere"),
    (ReLUTimesOutput, "the input gradient is dL_dy times the output y"),
    (ReLUMaskOfUpstream, "the input gradient is masked where dL_dy > 0"),
    (ReLUInvertedMask, "the mask is inverted"),
    (ReLUPassesAtTheKink, "relu'(0) = 0"),
    (ReLUSignFlipped, "the input gradient has the right size but the wrong sign"),
    (ReLUInPlace, "backward changed dL_dy in place"),
    (ReLUOffByOne, "the input gradient is wrong (relative error"),  # in no catalogue
]

# --- sigmoid ----------------------------------------------------------------------------------


class SigmoidDroppedUpstream(sn.Sigmoid):
    def backward(self, dL_dp):
        return self.p * self.q


class SigmoidOnlyP(sn.Sigmoid):
    def backward(self, dL_dp):
        return dL_dp * self.p


class SigmoidOnlyOneMinusP(sn.Sigmoid):
    def backward(self, dL_dp):
        return dL_dp * self.q


class SigmoidOneMinusPSubtracted(sn.Sigmoid):
    def backward(self, dL_dp):
        return dL_dp * self.p * (1 - self.p)


class SigmoidSignFlipped(sn.Sigmoid):
    def backward(self, dL_dp):
        return -dL_dp * self.p * self.q


class SigmoidChangesItsCache(sn.Sigmoid):
    def backward(self, dL_dp):
        self.p *= self.q  # p q, computed in the cache's own array
        return dL_dp * self.p


class SigmoidHalved(sn.Sigmoid):
    def backward(self, dL_dp):
        return dL_dp * self.p * self.q / 2


SIGMOID = [
    (SigmoidDroppedUpstream, "the input gradient ignores dL_dy"),
    (SigmoidOnlyP, "the factor 1 - p (the cached q) is missing"),
    (SigmoidOnlyOneMinusP, "the factor p is missing"),
    (SigmoidOneMinusPSubtracted, "the input gradient is 0 at x = 40"),
    (SigmoidSignFlipped, "the input gradient has the right size but the wrong sign"),
    (SigmoidChangesItsCache, "the input gradient changed on a second backward"),
    (SigmoidHalved, "the input gradient is half what it should be"),
]

# --- linear -----------------------------------------------------------------------------------


class LinearWith(sn.Linear):
    """The lesson's Linear, with each gradient computed by a method a mistake replaces."""

    def backward(self, dL_dy):
        self.weight.grad = self.weight_gradient(dL_dy)
        self.bias.grad = self.bias_gradient(dL_dy)
        return self.input_gradient(dL_dy)

    def weight_gradient(self, dL_dy):
        return self.x.T @ dL_dy

    def bias_gradient(self, dL_dy):
        return dL_dy.sum(axis=0)

    def input_gradient(self, dL_dy):
        return dL_dy @ self.weight.data.T


class LinearBiasNotSummed(LinearWith):
    def bias_gradient(self, dL_dy):
        return dL_dy


class LinearBiasOneRow(LinearWith):
    def bias_gradient(self, dL_dy):
        return dL_dy[0]


class LinearBiasWrongAxis(LinearWith):
    def bias_gradient(self, dL_dy):
        return dL_dy.sum(axis=1)


class LinearBiasMean(LinearWith):
    def bias_gradient(self, dL_dy):
        return dL_dy.mean(axis=0)


class LinearBiasDroppedUpstream(LinearWith):
    def bias_gradient(self, dL_dy):
        return np.ones_like(dL_dy).sum(axis=0)


class LinearBiasFloat64(LinearWith):
    def bias_gradient(self, dL_dy):
        return np.ones(len(dL_dy)) @ dL_dy


class LinearBiasKeptAsARow(LinearWith):
    def bias_gradient(self, dL_dy):
        return dL_dy.sum(axis=0, keepdims=True)


class LinearWeightTransposed(LinearWith):
    def weight_gradient(self, dL_dy):
        return dL_dy.T @ self.x


class LinearWeightOverN(LinearWith):
    def weight_gradient(self, dL_dy):
        return self.x.T @ dL_dy / len(dL_dy)


class LinearWeightDroppedUpstream(LinearWith):
    def weight_gradient(self, dL_dy):
        return self.x.T @ np.ones_like(dL_dy)


class LinearWeightFirstExample(LinearWith):
    def weight_gradient(self, dL_dy):
        return np.outer(self.x[0], dL_dy[0])


class LinearWeightAccumulated(LinearWith):
    def backward(self, dL_dy):
        self.weight.grad += self.x.T @ dL_dy
        self.bias.grad = dL_dy.sum(axis=0)
        return dL_dy @ self.weight.data.T


class LinearInputTransposed(LinearWith):
    def input_gradient(self, dL_dy):
        return dL_dy @ self.weight.data


class LinearInputDroppedUpstream(LinearWith):
    def input_gradient(self, dL_dy):
        return np.ones_like(dL_dy) @ self.weight.data.T


class LinearInputIsUpstream(LinearWith):
    def input_gradient(self, dL_dy):
        return dL_dy


class LinearInputSignFlipped(LinearWith):
    def input_gradient(self, dL_dy):
        return -dL_dy @ self.weight.data.T


class LinearReturnsNothing(LinearWith):
    def input_gradient(self, dL_dy):
        return None


LINEAR = [
    (LinearBiasNotSummed, "the bias gradient is dL_dy itself, one row per example"),
    (LinearBiasOneRow, "the bias gradient is one row's"),
    (LinearBiasWrongAxis, "the bias gradient is dL_dy summed over axis 1"),
    (LinearBiasMean, "the bias gradient is the batch mean"),
    (LinearBiasDroppedUpstream, "the bias gradient ignores dL_dy"),
    (LinearBiasFloat64, "the bias gradient is float64 for float32 input"),
    (LinearBiasKeptAsARow, "the bias gradient has shape (1, 3); it must have shape (3,)"),
    (LinearWeightTransposed, "the weight gradient is transposed"),
    (LinearWeightOverN, "the weight gradient is divided by the batch size N"),
    (LinearWeightDroppedUpstream, "the weight gradient ignores dL_dy"),
    (LinearWeightFirstExample, "the weight gradient uses only the first example"),
    (LinearWeightAccumulated, "the weight gradient doubled on a second backward"),
    (LinearInputTransposed, "the input gradient is dL_dy @ W: a transposed product"),
    (LinearInputDroppedUpstream, "the input gradient ignores dL_dy"),
    (LinearInputIsUpstream, "the input gradient is dL_dy itself"),
    (LinearInputSignFlipped, "the input gradient has the right size but the wrong sign"),
    (LinearReturnsNothing, "the input gradient is None"),
]

# --- the losses -------------------------------------------------------------------------------


class Reduced:
    """The chain rule through the reduction done right; ``local`` is dl/d(input)."""

    def backward(self, dL_out=1.0):
        return self.through_reduction(dL_out) * self.local()


def bce_local(loss):
    return -loss.y / loss.p + (1 - loss.y) / (1 - loss.p)


class BCEWrongSignOfSecondTerm(Reduced, sn.BCELoss):
    def local(self):
        return -self.y / self.p - (1 - self.y) / (1 - self.p)


class BCEOnlyPositives(Reduced, sn.BCELoss):
    def local(self):
        return -self.y / self.p


class BCEOnlyNegatives(Reduced, sn.BCELoss):
    def local(self):
        return (1 - self.y) / (1 - self.p)


class BCEPMinusY(Reduced, sn.BCELoss):
    def local(self):
        return self.p - self.y


class BCENoReduction(sn.BCELoss):
    def backward(self, dL_out=1.0):
        return bce_local(self)


class BCEMeanWithoutOneOverN(sn.BCELoss):
    def backward(self, dL_out=1.0):
        return dL_out * bce_local(self)


class BCEDroppedUpstream(sn.BCELoss):
    def backward(self, dL_out=1.0):
        n = self.y.size if self.reduction == "mean" else 1
        return bce_local(self) / n


class BCESumOverN(sn.BCELoss):
    def backward(self, dL_out=1.0):
        n = self.y.size if self.reduction != "none" else 1
        return dL_out * bce_local(self) / n


class BCENotFloored(Reduced, sn.BCELoss):
    def local(self):
        return bce_local(self)


BCE = [
    (BCEWrongSignOfSecondTerm, "the wrong sign on the (1 - y) term"),
    (BCEOnlyPositives, "dL_dp has only the y log p term"),
    (BCEOnlyNegatives, "dL_dp has only the (1 - y) log(1 - p) term"),
    (BCEPMinusY, "dL_dp is p - y"),
    (BCENoReduction, "without the chain rule through the reduction"),
    (BCEMeanWithoutOneOverN, "n times too large for reduction 'mean'"),
    (BCEDroppedUpstream, "dL_dp ignores dL_out"),
    (BCESumOverN, "divided by n for reduction 'sum'"),
    (BCENotFloored, "dL_dp holds NaN or infinity at p = 0 or p = 1"),
]


class BCELogitsNoSign(Reduced, sn.BCEWithLogitsLoss):
    def local(self):
        return -sigmoid(-self.z)


class BCELogitsSigmaOfZ(Reduced, sn.BCEWithLogitsLoss):
    def local(self):
        return -(2 * self.y - 1) * sigmoid(self.z)


class BCELogitsGradientAtP(Reduced, sn.BCEWithLogitsLoss):
    def local(self):
        p = sigmoid((2 * self.y - 1) * self.z)
        return -self.y / p + (1 - self.y) / (1 - p)


class BCELogitsPMinusY(Reduced, sn.BCEWithLogitsLoss):
    def local(self):
        return sigmoid((2 * self.y - 1) * self.z) - self.y


class BCELogitsSignFlipped(Reduced, sn.BCEWithLogitsLoss):
    def local(self):
        return self.y - sigmoid((2 * self.y - 1) * self.z)


BCE_LOGITS = [
    (BCELogitsNoSign, "the sign s = 2y - 1 is missing"),
    (BCELogitsSigmaOfZ, "uses sigma(z) where sigma(-z) belongs"),
    (BCELogitsGradientAtP, "dL_dx is dl/dp, the gradient BCELoss gives"),
    (BCELogitsPMinusY, "dL_dx is 0 at x = 40"),
    (BCELogitsSignFlipped, "dL_dx has the right size but the wrong sign"),
]


class FocalWith(Reduced, sn.FocalLoss):
    """The lesson's focal gradient in pieces a mistake replaces: weight * (focal + log)."""

    def local(self):
        inside = (self.p >= self.eps) & (self.p <= 1 - self.eps)
        dl_dp_t = self.weight() * (self.focal_term() + self.log_term())
        return np.where(inside, dl_dp_t * self.sign(), 0)

    def weight(self):
        return self.alpha_t

    def focal_term(self):
        return self.gamma * self.one_minus_p_t ** (self.gamma - 1) * self.log_p_t

    def log_term(self):
        return -(self.one_minus_p_t**self.gamma) / self.p_t

    def sign(self):
        return 2 * self.y - 1


class FocalNoSign(FocalWith):
    def sign(self):
        return 1


class FocalInnerDerivativeMissed(FocalWith):
    def focal_term(self):
        return -super().focal_term()


class FocalOnlyTheLogDifferentiated(FocalWith):
    def focal_term(self):
        return 0


class FocalOnlyThePowerDifferentiated(FocalWith):
    def log_term(self):
        return 0


class FocalNoAlpha(FocalWith):
    def weight(self):
        return 1


class FocalAlphaForEveryExample(FocalWith):
    def weight(self):
        return self.alpha


class FocalClampIgnored(Reduced, sn.FocalLoss):
    def local(self):
        dl_dp_t = self.alpha_t * (
            self.gamma * self.one_minus_p_t ** (self.gamma - 1) * self.log_p_t
            - self.one_minus_p_t**self.gamma / self.p_t
        )
        return dl_dp_t * (2 * self.y - 1)


class FocalMeanWithoutOneOverN(FocalWith):
    def backward(self, dL_out=1.0):
        return dL_out * self.local()


FOCAL = [
    (FocalNoSign, "dL_dp has the wrong sign for the negatives"),
    (FocalInnerDerivativeMissed, "misses the inner derivative of 1 - p_t"),
    (FocalOnlyTheLogDifferentiated, "differentiates -log p_t but not"),
    (FocalOnlyThePowerDifferentiated, "differentiates (1 - p_t)^gamma but not -log p_t"),
    (FocalNoAlpha, "dL_dp is missing alpha_t"),
    (FocalAlphaForEveryExample, "uses alpha for every example"),
    (FocalClampIgnored, "dL_dp is not 0 where the clamp is active"),
    (FocalMeanWithoutOneOverN, "n times too large for reduction 'mean'"),
]


class FocalLogitsWith(Reduced, sn.FocalLossWithLogits):
    def local(self):
        p_t, one_minus_p_t = sigmoid(self.z), sigmoid(-self.z)
        log_p_t = np.log(p_t)
        return (
            self.sign()
            * self.weight()
            * one_minus_p_t**self.gamma
            * (self.inner() * self.gamma * p_t * log_p_t - one_minus_p_t)
        )

    def sign(self):
        return 2 * self.y - 1

    def weight(self):
        return self.alpha_t

    def inner(self):
        return 1


class FocalLogitsNoSign(FocalLogitsWith):
    def sign(self):
        return 1


class FocalLogitsNoAlpha(FocalLogitsWith):
    def weight(self):
        return 1


class FocalLogitsAlphaForEveryExample(FocalLogitsWith):
    def weight(self):
        return self.alpha


class FocalLogitsInnerDerivativeMissed(FocalLogitsWith):
    def inner(self):
        return -1


class FocalLogitsStoppedAtP_t(Reduced, sn.FocalLossWithLogits):
    def local(self):
        p_t = sigmoid(self.z)
        dl_dp_t = self.alpha_t * (
            self.gamma * (1 - p_t) ** (self.gamma - 1) * np.log(p_t) - (1 - p_t) ** self.gamma / p_t
        )
        return (2 * self.y - 1) * dl_dp_t


class FocalLogitsDroppedUpstream(FocalLogitsWith):
    def backward(self, dL_out=1.0):
        n = self.y.size if self.reduction == "mean" else 1
        return self.local() / n


FOCAL_LOGITS = [
    (FocalLogitsNoSign, "dL_dx has the wrong sign for the negatives"),
    (FocalLogitsStoppedAtP_t, "dL_dx is dl/dp_t times s"),
    (FocalLogitsInnerDerivativeMissed, "dL_dx misses the inner derivative of 1 - p_t"),
    (FocalLogitsNoAlpha, "dL_dx is missing alpha_t"),
    (FocalLogitsAlphaForEveryExample, "uses alpha for every example"),
    (FocalLogitsDroppedUpstream, "dL_dx ignores dL_out"),
]

# --- adam -------------------------------------------------------------------------------------


class AdamWith(sn.Optimizer):
    """Adam as a learner writes it from the starter, with the pieces a mistake replaces."""

    buffers = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.exp_avg, self.exp_avg_sq = self.zeros(), self.zeros()

    def step(self):
        self.step_count += 1
        beta1, beta2 = self.betas
        for param, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq):
            g = param.grad
            self.update_moments(m, v, g, beta1, beta2)
            m_hat, v_hat = self.corrected(m, v, self.step_count)
            param.data -= self.lr * m_hat / self.denominator(v_hat)

    def update_moments(self, m, v, g, beta1, beta2):
        m[...] = beta1 * m + (1 - beta1) * g
        v[...] = beta2 * v + (1 - beta2) * g**2

    def corrected(self, m, v, t):
        beta1, beta2 = self.betas
        return m / (1 - beta1**t), v / (1 - beta2**t)

    def denominator(self, v_hat):
        return np.sqrt(v_hat) + self.eps


class AdamNoBiasCorrection(AdamWith):
    def corrected(self, m, v, t):
        return m, v


class AdamStepCountAfter(AdamWith):
    def step(self):
        self.step_count -= 1  # so that the update below sees t - 1, as if counted after
        super().step()
        self.step_count += 1


class AdamMomentsRebound(AdamWith):
    def update_moments(self, m, v, g, beta1, beta2):
        m = beta1 * m + (1 - beta1) * g  # a new local array: the stored one stays 0
        v = beta2 * v + (1 - beta2) * g**2
        self._local = (m, v)

    def corrected(self, m, v, t):
        return super().corrected(*self._local, t)


class AdamEpsInsideTheRoot(AdamWith):
    def denominator(self, v_hat):
        return np.sqrt(v_hat + self.eps)


class AdamGradientNotSquared(AdamWith):
    def update_moments(self, m, v, g, beta1, beta2):
        m[...] = beta1 * m + (1 - beta1) * g
        v[...] = beta2 * v + (1 - beta2) * g


class AdamBetasSwapped(AdamWith):
    def update_moments(self, m, v, g, beta1, beta2):
        m[...] = (1 - beta1) * m + beta1 * g
        v[...] = (1 - beta2) * v + beta2 * g**2


class AdamUphill(AdamWith):
    def denominator(self, v_hat):
        return -(np.sqrt(v_hat) + self.eps)


class AdamWritesIntoTheGradient(AdamWith):
    def update_moments(self, m, v, g, beta1, beta2):
        g *= 1.0 - beta1  # (1 - beta1) g, computed in the gradient's own array
        m[...] = beta1 * m + g
        v[...] = beta2 * v + (1 - beta2) * (g / (1 - beta1)) ** 2


class AdamOwnFloat64Moments(AdamWith):
    """Moments of its own, made without dtype=, and a parameter rebound, not updated."""

    def step(self):
        self.step_count += 1
        beta1, beta2 = self.betas
        t = self.step_count
        if t == 1:
            self.moments = [(np.zeros(p.data.shape), np.zeros(p.data.shape)) for p in self.params]
        for param, (m, v) in zip(self.params, self.moments):
            m[...] = beta1 * m + (1 - beta1) * param.grad
            v[...] = beta2 * v + (1 - beta2) * param.grad**2
            update = self.lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + self.eps)
            param.data = param.data - update


ADAM = [
    (AdamNoBiasCorrection, "as if without the bias correction"),
    (AdamStepCountAfter, "the step count must be incremented before the bias correction"),
    (AdamMomentsRebound, "exp_avg and exp_avg_sq do not carry over"),
    (AdamEpsInsideTheRoot, "eps is inside the square root"),
    (AdamGradientNotSquared, "averages g instead of g^2"),
    (AdamBetasSwapped, "beta and 1 - beta are swapped"),
    (AdamUphill, "the parameters move up the gradient"),
    (AdamWritesIntoTheGradient, "step changed params[0].grad"),
    (AdamOwnFloat64Moments, "params[0] became float64 at step 1"),
]

# --- tanh -------------------------------------------------------------------------------------


class TanhForgotTheSquare(sn.Tanh):
    def backward(self, dL_dy):
        return dL_dy * (1 - self.y)


class TanhOfTheInput(sn.Tanh):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, dL_dy):
        return dL_dy * (1 - self.x**2)


class TanhDroppedUpstream(sn.Tanh):
    def backward(self, dL_dy):
        return 1 - self.y**2


class TanhForwardIsTheInput(sn.Tanh):
    def forward(self, x):
        self.y = x
        return x

    def backward(self, dL_dy):
        return dL_dy


class TanhDoubled(sn.Tanh):
    def backward(self, dL_dy):
        return 2 * dL_dy * (1 - self.y**2)


TANH = [
    (TanhForgotTheSquare, "the square is missing"),
    (TanhOfTheInput, "the derivative is 1 - y^2 with y = tanh(x), the output"),
    (TanhDroppedUpstream, "the input gradient ignores dL_dy"),
    (TanhForwardIsTheInput, "the output of forward is wrong"),
    (TanhDoubled, "the input gradient is twice what it should be"),
]

# --- network ----------------------------------------------------------------------------------


def lesson_parts():
    """Each exercise's file as the lesson answers it: the answer key."""
    from scratchnet.article.experiment import article_network

    return {
        "relu": SimpleNamespace(ReLU=sn.ReLU),
        "sigmoid": SimpleNamespace(Sigmoid=sn.Sigmoid),
        "linear": SimpleNamespace(Linear=sn.Linear),
        "bce": SimpleNamespace(BCELoss=sn.BCELoss),
        "bce_logits": SimpleNamespace(BCEWithLogitsLoss=sn.BCEWithLogitsLoss),
        "focal": SimpleNamespace(FocalLoss=sn.FocalLoss),
        "focal_logits": SimpleNamespace(FocalLossWithLogits=sn.FocalLossWithLogits),
        "adam": SimpleNamespace(Adam=sn.Adam),
        "tanh": SimpleNamespace(Tanh=sn.Tanh),
        "network": SimpleNamespace(article_network=article_network, train=learners_train),
    }


def learners_train(model, loss_fn, optimizer, X, y, epochs):
    """The loop as the starter asks for it."""
    history = []
    for _ in range(epochs):
        p = model.forward(X)
        history.append(loss_fn(p, y))
        model.backward(loss_fn.backward())
        optimizer.step()
    return history


def network_of(linear):
    """article_network, built with another Linear class."""

    def article_network(rng):
        return sn.Sequential(
            linear(2, 16, rng=rng), sn.ReLU(), linear(16, 8, rng=rng), sn.ReLU(),
            linear(8, 1, rng=rng), sn.Sigmoid(),
        )  # fmt: skip

    return article_network


def network_without_second_relu(rng):
    return sn.Sequential(
        sn.Linear(2, 16, rng=rng), sn.ReLU(), sn.Linear(16, 8, rng=rng),
        sn.Linear(8, 1, rng=rng), sn.Sigmoid(),
    )  # fmt: skip


def network_seeding_each_layer(rng):
    return sn.Sequential(
        sn.Linear(2, 16, rng=0), sn.ReLU(), sn.Linear(16, 8, rng=1), sn.ReLU(),
        sn.Linear(8, 1, rng=2), sn.Sigmoid(),
    )  # fmt: skip


def train_recording_after_the_step(model, loss_fn, optimizer, X, y, epochs):
    history = []
    for _ in range(epochs):
        loss_fn(model.forward(X), y)
        model.backward(loss_fn.backward())
        optimizer.step()
        history.append(loss_fn(model.forward(X), y))
    return history


def train_without_a_step(model, loss_fn, optimizer, X, y, epochs):
    history = []
    for _ in range(epochs):
        history.append(loss_fn(model.forward(X), y))
        model.backward(loss_fn.backward())
    return history


def with_parts(**replaced):
    """The answer key's files with some replaced: network functions, or whole files."""
    parts = lesson_parts()
    network = parts["network"]
    for name, value in replaced.items():
        if name in ("article_network", "train"):
            network = SimpleNamespace(**{**vars(network), name: value})
        else:
            parts[name] = value
    parts["network"] = network
    return parts


NETWORK = [
    (lambda: with_parts(article_network=network_without_second_relu), "it holds Linear, ReLU"),
    (lambda: with_parts(article_network=network_seeding_each_layer), "the weights differ"),
    (lambda: with_parts(train=train_recording_after_the_step), "each loss is the next epoch's"),
    (lambda: with_parts(train=train_without_a_step), "the loss never changes"),
    (
        lambda: with_parts(
            linear=SimpleNamespace(Linear=LinearBiasMean),
            article_network=network_of(LinearBiasMean),
        ),
        "the curves part at epoch 2",
    ),
]
