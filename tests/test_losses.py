"""The losses' gradients proven against finite differences, and their documented properties."""

import itertools
import math

import numpy as np
import pytest
from helpers import PLANE_LABELS

import scratchnet as sn
from scratchnet.gradcheck import max_relative_error, numerical_gradient, numerical_vjp

REDUCTIONS = ["mean", "sum", "none"]
GAMMAS = [0.0, 0.5, 1.0, 2.0, 5.0]
ALPHAS = [  # (alpha, alpha_mode): the article's, the paper's both ways, and no alpha
    (0.25, "constant"),
    (0.25, "per_class"),
    (0.75, "per_class"),
    (None, "constant"),
]
TOLERANCE = 1e-7


def labels(rng, shape):
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    y.flat[:2] = [0.0, 1.0]  # both classes present, always
    return y


# Gradient checks need every entry of the gradient to stand well above the finite
# differences' own error. Two things shrink an entry: a reduced loss L sums n terms, so
# rounding L costs ~1e-16 |L| / h ~ 1e-14 on every entry; and focal loss makes the
# gradient of an easy example tiny on purpose, ~(1 - p_t)^gamma. Keeping p_t in about
# [0.1, 0.9] keeps every entry above ~1e-6 with gamma = 5. (p near 0 or 1 has its own
# tests below, for finiteness and for the clamp.)
def probabilities_away_from_the_clamp(rng, shape):
    return rng.uniform(0.1, 0.9, size=shape)


def logits(rng, shape):
    return rng.uniform(-2, 2, size=shape)


def assert_backward_matches_finite_differences(loss_fn, inputs, y, rng):
    """Analytic dL/d(input) against finite differences, with a random upstream gradient.
    Returns the analytic gradient."""
    if loss_fn.reduction == "none":
        upstream = rng.standard_normal(inputs.shape)
        loss_fn.forward(inputs, y)
        analytic = loss_fn.backward(upstream)
        numerical = numerical_vjp(lambda v: loss_fn.forward(v, y), inputs, upstream)
    else:
        upstream = float(rng.standard_normal())
        loss_fn.forward(inputs, y)
        analytic = loss_fn.backward(upstream)
        numerical = numerical_gradient(lambda v: upstream * loss_fn.forward(v, y), inputs)
    assert analytic.shape == inputs.shape and analytic.dtype == inputs.dtype
    assert max_relative_error(analytic, numerical) <= TOLERANCE
    return analytic


@pytest.mark.parametrize("shape", [(16,), (16, 1)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_gradient_matches_finite_differences(reduction, shape):
    rng = np.random.default_rng(0)
    p, y = probabilities_away_from_the_clamp(rng, shape), labels(rng, shape)
    assert_backward_matches_finite_differences(sn.BCELoss(reduction), p, y, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_gradient_matches_finite_differences(reduction):
    rng = np.random.default_rng(1)
    x, y = logits(rng, (16, 1)), labels(rng, (16, 1))
    assert_backward_matches_finite_differences(sn.BCEWithLogitsLoss(reduction), x, y, rng)


FOCAL_CASES = list(itertools.product(REDUCTIONS, ALPHAS, GAMMAS))
ALPHA_GAMMA_CASES = list(itertools.product(ALPHAS, GAMMAS))


@pytest.mark.parametrize(("reduction", "alpha", "gamma"), FOCAL_CASES)
def test_focal_gradient_matches_finite_differences(reduction, alpha, gamma):
    rng = np.random.default_rng(2)
    p, y = probabilities_away_from_the_clamp(rng, (16, 1)), labels(rng, (16, 1))
    loss_fn = sn.FocalLoss(alpha[0], gamma, reduction, alpha_mode=alpha[1])
    assert_backward_matches_finite_differences(loss_fn, p, y, rng)


@pytest.mark.parametrize(("reduction", "alpha", "gamma"), FOCAL_CASES)
def test_focal_with_logits_gradient_matches_finite_differences(reduction, alpha, gamma):
    rng = np.random.default_rng(3)
    x, y = logits(rng, (16, 1)), labels(rng, (16, 1))
    loss_fn = sn.FocalLossWithLogits(alpha[0], gamma, reduction, alpha_mode=alpha[1])
    assert_backward_matches_finite_differences(loss_fn, x, y, rng)


def test_worked_values_from_the_article():
    # The article's two mistakes: a positive at p = 0.3 and a negative at p = 0.7 both
    # cost BCE -log(0.3) = 1.2039728043259361.
    bce = sn.BCELoss(reduction="none")
    np.testing.assert_allclose(bce([0.3, 0.7], [1, 0]), [1.2039728043259361] * 2, rtol=1e-15)
    # Focal, the article's form: 0.25 * (1 - 0.3)^2 * 1.2039728... = 0.25 * 0.49 * 1.20397...
    focal = sn.FocalLoss(alpha=0.25, gamma=2.0, reduction="none")
    np.testing.assert_allclose(focal([0.3, 0.7], [1, 0]), [0.14748666852992717] * 2, rtol=1e-14)
    # The paper's form weighs the same two mistakes 0.25 (positive) and 0.75 (negative).
    paper = sn.FocalLoss(alpha=0.25, gamma=2.0, reduction="none", alpha_mode="per_class")
    np.testing.assert_allclose(
        paper([0.3, 0.7], [1, 0]), [0.14748666852992717, 3 * 0.14748666852992717], rtol=1e-14
    )


def test_reductions_relate_as_documented():
    rng = np.random.default_rng(4)
    p, y = probabilities_away_from_the_clamp(rng, (30, 1)), labels(rng, (30, 1))
    for make in (sn.BCELoss, lambda r: sn.FocalLoss(reduction=r)):
        per_element = make("none")(p, y)
        assert per_element.shape == (30, 1)
        assert isinstance(make("mean")(p, y), float)
        assert make("sum")(p, y) == pytest.approx(per_element.sum(), rel=1e-14)
        assert make("mean")(p, y) == pytest.approx(per_element.mean(), rel=1e-14)


def test_focal_with_gamma_zero_and_no_alpha_is_bce_in_value_and_gradient():
    rng = np.random.default_rng(5)
    p, y = probabilities_away_from_the_clamp(rng, (50, 1)), labels(rng, (50, 1))
    focal, bce = sn.FocalLoss(alpha=None, gamma=0.0), sn.BCELoss()
    assert focal(p, y) == pytest.approx(bce(p, y), rel=1e-14)
    np.testing.assert_allclose(focal.backward(), bce.backward(), rtol=1e-14)

    x = logits(rng, (50, 1))
    focal_logits, bce_logits = sn.FocalLossWithLogits(alpha=None, gamma=0.0), sn.BCEWithLogitsLoss()
    assert focal_logits(x, y) == pytest.approx(bce_logits(x, y), rel=1e-14)
    # Computed by different formulas, (1 - p_t)^0 (0 - (1 - p_t)) s against p - y: a few ulps.
    np.testing.assert_allclose(focal_logits.backward(), bce_logits.backward(), rtol=1e-13)


@pytest.mark.parametrize(("alpha", "gamma"), ALPHA_GAMMA_CASES)
def test_focal_over_bce_is_alpha_t_times_the_modulating_factor(alpha, gamma):
    rng = np.random.default_rng(6)
    p, y = probabilities_away_from_the_clamp(rng, (200, 1)), labels(rng, (200, 1))
    focal = sn.FocalLoss(alpha[0], gamma, "none", alpha_mode=alpha[1])(p, y)
    bce = sn.BCELoss("none")(p, y)
    p_t = np.where(y == 1, p, 1 - p)
    if alpha[0] is None:
        alpha_t = 1.0
    elif alpha[1] == "constant":
        alpha_t = alpha[0]
    else:
        alpha_t = np.where(y == 1, alpha[0], 1 - alpha[0])
    np.testing.assert_allclose(focal / bce, alpha_t * (1 - p_t) ** gamma, rtol=1e-13)
    assert np.all(focal <= bce)  # every alpha here is <= 1


@pytest.mark.parametrize(("alpha", "gamma"), ALPHA_GAMMA_CASES)
def test_logit_losses_equal_probability_losses_composed_with_sigmoid(alpha, gamma):
    rng = np.random.default_rng(7)
    x, y = logits(rng, (60, 1)), labels(rng, (60, 1))
    sigmoid = sn.Sigmoid()
    p = sigmoid.forward(x)
    pairs = [
        (
            sn.FocalLoss(alpha[0], gamma, alpha_mode=alpha[1]),
            sn.FocalLossWithLogits(alpha[0], gamma, alpha_mode=alpha[1]),
        ),
        (sn.BCELoss(), sn.BCEWithLogitsLoss()),
    ]
    for on_probabilities, on_logits in pairs:
        assert on_logits(x, y) == pytest.approx(on_probabilities(p, y), rel=1e-12)
        chained = sigmoid.backward(on_probabilities.backward())
        np.testing.assert_allclose(on_logits.backward(), chained, rtol=1e-10, atol=1e-300)


def test_sigmoid_then_bce_sends_p_minus_y_over_n_to_the_logits():
    rng = np.random.default_rng(8)
    x, y = logits(rng, (25, 1)), labels(rng, (25, 1))
    sigmoid, bce = sn.Sigmoid(), sn.BCELoss()
    p = sigmoid.forward(x)
    bce.forward(p, y)
    dL_dx = sigmoid.backward(bce.backward())
    np.testing.assert_allclose(dL_dx, (p - y) / 25, rtol=1e-12)
    with_logits = sn.BCEWithLogitsLoss()
    with_logits.forward(x, y)
    np.testing.assert_allclose(with_logits.backward(), (p - y) / 25, rtol=1e-14)


def test_the_article_clamp_gives_zero_gradient_outside_its_range():
    p = np.array([0.0, 1e-9, 1e-7, 0.5, 1 - 1e-7, 1 - 1e-9, 1.0])
    y = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    focal = sn.FocalLoss(reduction="none")
    l = focal.forward(p, y)
    dL_dp = focal.backward()
    clamped = np.array([True, True, False, False, False, True, True])
    np.testing.assert_array_equal(dL_dp[clamped], 0.0)
    assert np.all(dL_dp[~clamped] != 0)  # at the bounds themselves the gradient passes
    # The clamped examples all cost what p = 1e-7 costs: 0.25 (1 - 1e-7)^2 (-log 1e-7).
    worst = 0.25 * (1 - 1e-7) ** 2 * -math.log(1e-7)
    np.testing.assert_allclose(l[[0, 1, 5, 6]], worst, rtol=1e-9)


def test_bce_floors_each_log_at_minus_100_with_the_matching_zero_gradient():
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-30])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    bce = sn.BCELoss(reduction="none")
    np.testing.assert_array_equal(bce.forward(p, y), [100.0, 100.0, 0.0, 0.0, -math.log(1e-30)])
    dL_dp = bce.backward()
    np.testing.assert_array_equal(dL_dp[:2], [0.0, 0.0])  # floored: the loss is flat there
    np.testing.assert_array_equal(dL_dp[2:4], [1.0, -1.0])  # right answers: -y/p or (1-y)/(1-p)
    assert dL_dp[4] == pytest.approx(-1e30, rel=1e-15)  # log(1e-30) = -69: not floored


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_every_loss_is_finite_and_silent_at_the_extremes(dtype, gamma):
    # Any warning (overflow, divide by zero, invalid value) fails the test.
    x = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4] * 2, dtype=dtype)
    y = np.array([0.0] * 7 + [1.0] * 7, dtype=dtype)
    p = np.array([0.0, 0.0, 1e-30, 0.5, 1.0 - 1e-7, 1.0, 1.0] * 2, dtype=dtype)
    cases = [
        (sn.BCEWithLogitsLoss("none"), x),
        (sn.FocalLossWithLogits(0.25, gamma, "none"), x),
        (sn.FocalLossWithLogits(0.25, gamma, "none", alpha_mode="per_class"), x),
        (sn.BCELoss("none"), p),
        (sn.FocalLoss(0.25, gamma, "none"), p),
    ]
    for loss_fn, inputs in cases:
        l = loss_fn.forward(inputs, y)
        grad = loss_fn.backward()
        assert l.dtype == dtype and grad.dtype == dtype, loss_fn
        assert np.all(np.isfinite(l)) and np.all(np.isfinite(grad)), loss_fn
        assert np.all(l >= 0), loss_fn


def test_bce_with_logits_gradient_keeps_its_digits_where_p_minus_y_would_cancel():
    bce = sn.BCEWithLogitsLoss("none")
    bce.forward(np.array([40.0, -40.0, 0.5]), np.array([1.0, 0.0, 1.0]))
    # p - y = -(1 - sigma(40)) = -sigma(-40) = -exp(-40) / (1 + exp(-40))
    tiny = math.exp(-40) / (1 + math.exp(-40))
    np.testing.assert_allclose(bce.backward(), [-tiny, tiny, -1 / (1 + math.exp(0.5))], rtol=1e-15)


def test_logit_losses_stay_exact_where_probabilities_would_round_to_one():
    # At x = 40, sigma(x) rounds to 1.0 in float64, but -log sigma(-40) is still 40.
    x, y = np.array([40.0, -1e4]), np.array([0.0, 1.0])
    np.testing.assert_allclose(sn.BCEWithLogitsLoss("none")(x, y), [40.0, 1e4], rtol=1e-15)
    focal = sn.FocalLossWithLogits(alpha=None, gamma=2.0, reduction="none")
    np.testing.assert_allclose(focal(x, y), [40.0, 1e4], rtol=1e-15)
    np.testing.assert_allclose(focal.backward(), [1.0, -1.0], rtol=1e-15)


def test_float32_input_gives_float32_gradient():
    p = np.array([[0.2], [0.9]], dtype=np.float32)
    y = np.array([[1], [0]])  # integer labels are accepted
    for loss_fn in (sn.BCELoss(), sn.FocalLoss()):
        assert isinstance(loss_fn(p, y), float)
        assert loss_fn.backward().dtype == np.float32


def test_reprs_name_every_option():
    assert repr(sn.FocalLoss()) == (
        "FocalLoss(alpha=0.25, gamma=2.0, alpha_mode='constant', reduction='mean', eps=1e-07)"
    )
    assert repr(sn.BCEWithLogitsLoss("sum")) == "BCEWithLogitsLoss(reduction='sum')"
    assert repr(sn.BCELoss(pos_weight=8.3)) == "BCELoss(pos_weight=8.3, reduction='mean')"
    assert repr(sn.FocalLossWithLogits(None, 0.5, "none", alpha_mode="per_class")) == (
        "FocalLossWithLogits(alpha=None, gamma=0.5, alpha_mode='per_class', reduction='none')"
    )


def test_bce_keeps_the_digits_of_a_tiny_p_for_negatives():
    # l = -log(1 - p) = p + p^2/2 + ...: for p = 1e-9 that is 1.0000000005e-09, which
    # 1 - p (rounded first) would get wrong in the 8th digit, log1p(-p) does not.
    bce = sn.BCELoss("none")
    np.testing.assert_allclose(bce([1e-9], [0]), [-math.log1p(-1e-9)], rtol=1e-15)
    p32 = np.array([1e-6], dtype=np.float32)
    np.testing.assert_allclose(bce(p32, [0]), [-math.log1p(-float(p32[0]))], rtol=1e-6)


def test_bce_in_float32_floors_where_the_gradient_would_overflow():
    # sigma(-92) = 1.1e-40 is subnormal in float32: -y/p = -9e39 would be -inf. The floor
    # rises to log(1.2e-38) = -87.3 there, and the gradient under a floor is 0.
    p = np.array([1.1e-40, 1e-30], dtype=np.float32)
    bce = sn.BCELoss("none")
    l = bce.forward(p, np.array([1.0, 1.0]))
    dL_dp = bce.backward()
    np.testing.assert_allclose(l, [-math.log(np.finfo(np.float32).tiny), 69.07755], rtol=1e-6)
    assert dL_dp[0] == 0.0 and np.isfinite(dL_dp[1])


def test_a_pos_weight_below_one_keeps_float32s_floor_at_log_tiny():
    # Only a weight above 1 raises the floor (w / p must stay finite); 0.5 does not lower it.
    p = np.array([0.0], dtype=np.float32)
    l = sn.BCELoss("none", pos_weight=0.5).forward(p, np.array([1.0]))
    np.testing.assert_allclose(l, [-0.5 * math.log(np.finfo(np.float32).tiny)], rtol=1e-6)


@pytest.mark.parametrize(
    ("dtype", "p", "rtol"), [(np.float64, 1e-5, 1e-14), (np.float32, 1e-3, 1e-6)]
)
def test_focal_keeps_the_digits_of_an_easy_negative(dtype, p, rtol):
    # y = 0: p_t = 1 - p and 1 - p_t = p exactly, so l = -alpha p^gamma log1p(-p).
    p = np.array([p], dtype=dtype)
    focal = sn.FocalLoss(alpha=0.25, gamma=2.0, reduction="none")
    l = focal.forward(p, np.array([0.0]))
    p64 = float(p[0])
    np.testing.assert_allclose(l, [-0.25 * p64**2 * math.log1p(-p64)], rtol=rtol)
    # dl/dp = -dl/dp_t = -alpha [gamma p log(1 - p) - p^2 / (1 - p)]
    expected = -0.25 * (2 * p64 * math.log1p(-p64) - p64**2 / (1 - p64))
    np.testing.assert_allclose(focal.backward(), [expected], rtol=rtol)


# --- pos_weight: PyTorch's weight of the positive class, l = -(w y log p + (1 - y) log(1 - p))


@pytest.mark.parametrize("pos_weight", [0.5, 8.3, 69.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_bce_gradients_match_finite_differences(reduction, pos_weight):
    rng = np.random.default_rng(11)
    p, x, y = (
        probabilities_away_from_the_clamp(rng, (16, 1)),
        logits(rng, (16, 1)),
        labels(rng, (16, 1)),
    )
    for loss_fn, inputs in [
        (sn.BCELoss(reduction, pos_weight=pos_weight), p),
        (sn.BCEWithLogitsLoss(reduction, pos_weight=pos_weight), x),
    ]:
        assert_backward_matches_finite_differences(loss_fn, inputs, y, rng)


@pytest.mark.parametrize("make", [sn.BCELoss, sn.BCEWithLogitsLoss])
def test_pos_weight_of_one_is_the_unweighted_loss_bit_for_bit(make):
    rng = np.random.default_rng(12)
    inputs = probabilities_away_from_the_clamp(rng, (32, 1))
    y = labels(rng, (32, 1))
    plain, weighted = make("none"), make("none", pos_weight=1.0)
    np.testing.assert_array_equal(plain(inputs, y), weighted(inputs, y))
    np.testing.assert_array_equal(plain.backward(), weighted.backward())


@pytest.mark.parametrize("make", [sn.BCELoss, sn.BCEWithLogitsLoss])
def test_pos_weight_multiplies_the_loss_and_gradient_of_positives_only(make):
    rng = np.random.default_rng(13)
    inputs = probabilities_away_from_the_clamp(rng, (32, 1))
    y = labels(rng, (32, 1))
    plain, weighted = make("none"), make("none", pos_weight=69.0)
    w_t = np.where(y == 1, 69.0, 1.0)
    np.testing.assert_allclose(weighted(inputs, y), w_t * plain(inputs, y), rtol=1e-15)
    np.testing.assert_allclose(weighted.backward(), w_t * plain.backward(), rtol=1e-15)


def test_weighted_bce_from_logits_equals_weighted_bce_of_the_sigmoid():
    rng = np.random.default_rng(14)
    x, y = logits(rng, (32, 1)), labels(rng, (32, 1))
    p = 1 / (1 + np.exp(-x))
    from_logits = sn.BCEWithLogitsLoss("none", pos_weight=8.3)(x, y)
    np.testing.assert_allclose(from_logits, sn.BCELoss("none", pos_weight=8.3)(p, y), rtol=1e-12)


def test_weighted_bce_from_logits_is_finite_and_keeps_its_digits_far_out():
    x = np.array([[-1e4], [1e4], [40.0], [-40.0]])
    y = np.array([[1.0], [0.0], [1.0], [0.0]])
    loss_fn = sn.BCEWithLogitsLoss("none", pos_weight=69.0)
    l = loss_fn(x, y)
    np.testing.assert_allclose(l.ravel()[:2], [69.0 * 1e4, 1e4], rtol=1e-15)
    # l = w log(1 + e^-40) ~= w e^-40 for the confident positive: every digit kept
    np.testing.assert_allclose(l.ravel()[2:], [69.0 * math.exp(-40), math.exp(-40)], rtol=1e-15)
    dl_dx = loss_fn.backward()
    np.testing.assert_allclose(dl_dx.ravel(), [-69.0, 1.0, -69.0 * math.exp(-40), math.exp(-40)])


@pytest.mark.parametrize("bad", [0, -1.0, np.nan, np.inf])
def test_pos_weight_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError, match="pos_weight must be a positive finite number"):
        sn.BCELoss(pos_weight=bad)
    with pytest.raises(TypeError, match="pos_weight must be a positive number, got '2'"):
        sn.BCEWithLogitsLoss(pos_weight="2")


def test_focal_loss_with_logits_defaults_are_the_articles_alpha_and_gamma():
    loss_fn = sn.FocalLossWithLogits()
    assert (loss_fn.alpha, loss_fn.gamma, loss_fn.alpha_mode, loss_fn.reduction) == (
        0.25, 2.0, "constant", "mean",
    )  # fmt: skip
    x, y = np.array([[0.3], [-1.2]]), np.array([[1.0], [0.0]])
    explicit = sn.FocalLossWithLogits(0.25, 2.0, "mean", alpha_mode="constant")
    assert loss_fn(x, y) == explicit(x, y)


def test_a_clamp_too_fine_for_float32_is_fine_in_float64():
    # 1 - 1e-8 < 1 in float64, so p = 1 is clamped below 1 and log(1 - p) stays finite.
    # (In float32 it rounds to 1 and is refused: see the battery of error messages.)
    focal = sn.FocalLoss(eps=1e-8)
    assert np.isfinite(focal(np.array([0.5, 1.0]), np.array([1.0, 0.0])))
    assert np.isfinite(focal.backward()).all()


# --- Losses at their edges: float32 end to end, backward's default upstream gradient --------------


LOSSES = [sn.BCELoss, sn.FocalLoss, sn.BCEWithLogitsLoss, sn.FocalLossWithLogits]


@pytest.mark.parametrize("make", LOSSES, ids=lambda make: make.__name__)
def test_float32_in_gives_float32_losses_and_gradients_out(make):
    inputs = np.array([[0.2], [0.7], [0.999]], dtype=np.float32)
    y = np.array([[0.0], [1.0], [1.0]], dtype=np.float32)
    loss_fn = make(reduction="none")
    assert loss_fn(inputs, y).dtype == np.float32
    assert loss_fn.backward(np.ones((3, 1), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("make", LOSSES, ids=lambda make: make.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_a_reduced_loss_is_a_python_float_and_a_numpy_upstream_keeps_float32(make, reduction):
    # The value is a Python float whatever the dtype; dL/dl is a 0-d array of the labels'
    # dtype, so even a float64 NumPy scalar upstream leaves the gradient in float32 (a bare
    # np.float64 would promote it).
    inputs = np.array([[0.2], [0.7], [0.999]], dtype=np.float32)
    y = np.array([[0.0], [1.0], [1.0]], dtype=np.float32)
    loss_fn = make(reduction=reduction)
    assert type(loss_fn(inputs, y)) is float
    assert loss_fn.backward(np.float64(2.0)).dtype == np.float32


@pytest.mark.parametrize("make", LOSSES, ids=lambda make: make.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_backward_with_no_argument_is_the_gradient_of_the_loss_itself(make, reduction):
    # dL_out defaults to 1: backward() is dL/d(input) of the number forward returned,
    # which is what training steps on (a default of 2 would double every step of SGD).
    inputs = np.array([[0.2], [0.7], [0.4], [0.9]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    loss_fn = make(reduction=reduction)
    loss_fn(inputs, y)
    analytic = loss_fn.backward()
    numerical = numerical_gradient(lambda v: loss_fn.forward(v, y), inputs)
    np.testing.assert_allclose(analytic, numerical, rtol=1e-7)


class SquaredError(sn.Loss):
    """A loss of one's own, l = (p - y)^2, that averages by itself instead of calling
    reduce, and lets through_reduction turn dL_out into dL/dl."""

    def forward(self, p, y):
        self.p, self.y = p, y
        return float(np.mean((p - y) ** 2))

    def backward(self, dL_out=1.0):
        return self.through_reduction(dL_out) * 2 * (self.p - self.y)


def test_a_loss_of_ones_own_may_reduce_by_itself_and_still_use_through_reduction():
    loss_fn = SquaredError()
    p, y = np.array([[0.2], [0.9]]), np.array([[0.0], [1.0]])
    assert loss_fn(p, y) == pytest.approx((0.04 + 0.01) / 2)
    np.testing.assert_allclose(loss_fn.backward(), [[0.2], [-0.1]])


@pytest.mark.parametrize("make", [sn.FocalLoss, sn.FocalLossWithLogits])
def test_whole_numbers_given_as_options_are_read_and_shown_as_floats(make):
    loss_fn = make(alpha=1, gamma=2, alpha_mode="per_class")
    assert type(loss_fn.alpha) is float and type(loss_fn.gamma) is float
    assert repr(loss_fn).startswith(f"{make.__name__}(alpha=1.0, gamma=2.0, alpha_mode='per_class'")


@pytest.mark.parametrize("alpha", [0, 1])
def test_a_per_class_alpha_may_put_all_the_weight_on_one_class(alpha):
    p, y = np.array([[0.3], [0.6]]), np.array([[1.0], [0.0]])
    per_element = sn.FocalLoss(alpha=alpha, alpha_mode="per_class", reduction="none")(p, y)
    assert (per_element[:, 0] > 0).tolist() == [alpha == 1, alpha == 0]  # alpha for y = 1


# --- Label vectors, and weighted BCE in float32 ---------------------------------------------------


@pytest.mark.parametrize("make", [sn.BCELoss, sn.FocalLoss])
def test_losses_read_a_label_vector_next_to_a_column_of_p(make):
    p = np.linspace(0.1, 0.9, 40).reshape(-1, 1)
    column, vector = make(), make()
    assert column(p, PLANE_LABELS.reshape(-1, 1)) == vector(p, PLANE_LABELS)
    np.testing.assert_array_equal(column.backward(), vector.backward())


def test_weighted_bce_in_float32_is_finite_and_silent_where_p_is_tiny():
    p = np.array([[2e-38], [0.5]], dtype=np.float32)
    y = np.array([[1.0], [0.0]], dtype=np.float32)
    for pos_weight in (8.3, 69.0):
        loss = sn.BCELoss(pos_weight=pos_weight)
        assert np.isfinite(loss(p, y))  # warnings are errors in these tests
        assert np.isfinite(loss.backward()).all()
