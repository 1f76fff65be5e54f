"""Property-based tests: for shapes, dtypes and values hypothesis chooses, gradients match
finite differences, nothing overflows into NaN, and the losses keep their documented laws.

Examples are derandomized (see conftest.py): every run tries the same ones. Shapes, dtypes
and options come from hypothesis; values for the gradient checks come from a NumPy
Generator seeded by hypothesis, kept where a relative-error check means something (away
from ReLU's kink and from the focal clamp). The finiteness properties take any finite
value hypothesis can produce, extremes included.
"""

import numpy as np
from helpers import KINK_MARGIN, inputs_away_from_kinks
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import scratchnet as sn
from scratchnet.gradcheck import check_module, numerical_gradient, numerical_vjp, relative_error

batch_sizes = st.integers(1, 64)
widths = st.integers(1, 32)
seeds = st.integers(0, 2**32 - 1)
float_dtypes = st.sampled_from([np.float32, np.float64])
gammas = st.floats(0.0, 5.0)
reductions = st.sampled_from(["mean", "sum", "none"])
alphas = st.sampled_from([(0.25, "constant"), (0.25, "per_class"), (0.75, "per_class")])

# Layers and per-element losses: the tolerance test_layers.py and test_losses.py use.
TOLERANCE = 1e-7
# A reduced loss L sums up to 64 x 32 terms, and its rounding, ~1e-16 |L|, becomes
# ~1e-13 |L| in a finite difference with h = 1e-3. One entry of dL/dp can be as small
# as alpha (1 - p_t)^gamma / n ~ 1e-9 with gamma = 5, so the relative error of such an
# entry can reach ~1e-6 (measured: 5e-7) without anything being wrong.
REDUCED_TOLERANCE = 2e-6
# A network of Sigmoids and ReLUs has gradient entries that nearly cancel along paths;
# measured over 60 random networks the worst relative error was 1e-7.
NETWORK_TOLERANCE = 1e-6


def finite_arrays(dtype, shape):
    """Any finite values of ``dtype``, down to the smallest and up to the largest."""
    elements = st.floats(allow_nan=False, allow_infinity=False, width=np.dtype(dtype).itemsize * 8)
    return hnp.arrays(dtype, shape, elements=elements)


def batch_shapes(max_width=32):
    return st.tuples(batch_sizes, st.integers(1, max_width))


@given(batch_sizes, widths, widths, seeds)
@settings(max_examples=15)
def test_linear_gradients_match_finite_differences(n, in_features, out_features, seed):
    rng = np.random.default_rng(seed)
    layer = sn.Linear(in_features, out_features, rng=rng)
    errors = check_module(layer, rng.standard_normal((n, in_features)), rng=rng)
    assert max(errors.values()) <= TOLERANCE, errors


@given(batch_shapes(), seeds, st.floats(0.1, 5.0))
def test_relu_gradient_matches_finite_differences_away_from_the_kink(shape, seed, scale):
    rng = np.random.default_rng(seed)
    magnitudes = KINK_MARGIN + scale * np.abs(rng.standard_normal(shape))
    x = rng.choice([-1.0, 1.0], size=shape) * magnitudes
    assert check_module(sn.ReLU(), x, rng=rng)["input"] <= TOLERANCE


@given(batch_shapes(), seeds, st.floats(0.1, 3.0))
def test_sigmoid_gradient_matches_finite_differences(shape, seed, scale):
    rng = np.random.default_rng(seed)
    x = scale * rng.standard_normal(shape)
    assert check_module(sn.Sigmoid(), x, rng=rng)["input"] <= TOLERANCE


@st.composite
def networks(draw):
    """A Sequential of 1 to 3 Linear layers with ReLU or Sigmoid between, maybe a Sigmoid last.

    Hidden widths stop at 16: with more ReLU units, rows whose every ReLU input is far
    from the kink become too rare to find by rejection.
    """
    rng = np.random.default_rng(draw(seeds))
    depth = draw(st.integers(1, 3))
    sizes = [
        draw(widths),
        *draw(st.lists(st.integers(1, 16), min_size=depth - 1, max_size=depth - 1)),
    ]
    sizes.append(draw(st.integers(1, 8)))
    modules = []
    for index in range(depth):
        modules.append(sn.Linear(sizes[index], sizes[index + 1], rng=rng))
        if index < depth - 1:
            modules.append(draw(st.sampled_from([sn.ReLU, sn.Sigmoid]))())
    if draw(st.booleans()):
        modules.append(sn.Sigmoid())
    return sn.Sequential(*modules)


@given(networks(), batch_sizes, seeds)
@settings(max_examples=12)
def test_sequential_of_random_depth_gradients_match_finite_differences(model, n, seed):
    rng = np.random.default_rng(seed)
    x = inputs_away_from_kinks(model, rng, n)
    errors = check_module(model, x, rng=rng)
    assert set(errors) == {"input", *(name for name, _ in model.named_parameters())}
    assert max(errors.values()) <= NETWORK_TOLERANCE, errors


@st.composite
def losses(draw):
    """Any of the four losses with any options, and inputs where its gradient is checkable:
    p in [0.1, 0.9] or logits in [-2, 2] (see the comment in test_losses.py)."""
    reduction, gamma, (alpha, alpha_mode) = draw(reductions), draw(gammas), draw(alphas)
    kind = draw(st.sampled_from(["BCE", "focal", "BCE logits", "focal logits"]))
    loss_fn = {
        "BCE": lambda: sn.BCELoss(reduction),
        "focal": lambda: sn.FocalLoss(alpha, gamma, reduction, alpha_mode=alpha_mode),
        "BCE logits": lambda: sn.BCEWithLogitsLoss(reduction),
        "focal logits": lambda: sn.FocalLossWithLogits(
            alpha, gamma, reduction, alpha_mode=alpha_mode
        ),
    }[kind]()
    low, high = (-2.0, 2.0) if "logits" in kind else (0.1, 0.9)
    return loss_fn, low, high


@given(losses(), st.one_of(batch_sizes.map(lambda n: (n,)), batch_shapes()), seeds)
@settings(max_examples=40)
def test_every_loss_gradient_matches_finite_differences(loss, shape, seed):
    loss_fn, low, high = loss
    rng = np.random.default_rng(seed)
    inputs = rng.uniform(low, high, size=shape)
    y = rng.integers(0, 2, size=shape)  # integer labels, as users pass them
    if loss_fn.reduction == "none":
        upstream = rng.standard_normal(shape)
        loss_fn(inputs, y)
        analytic = loss_fn.backward(upstream)
        numerical = numerical_vjp(lambda v: loss_fn(v, y), inputs, upstream)
        tolerance = TOLERANCE
    else:
        loss_fn(inputs, y)
        analytic = loss_fn.backward()
        numerical = numerical_gradient(lambda v: loss_fn(v, y), inputs)
        tolerance = REDUCED_TOLERANCE
    assert analytic.shape == inputs.shape
    assert np.max(relative_error(analytic, numerical)) <= tolerance


@given(float_dtypes.flatmap(lambda dtype: finite_arrays(dtype, batch_shapes())))
def test_sigmoid_is_finite_and_in_zero_one_for_any_finite_input(x):
    sigmoid = sn.Sigmoid()
    p = sigmoid.forward(x)
    dL_dx = sigmoid.backward(np.ones_like(x))
    assert p.dtype == x.dtype and dL_dx.dtype == x.dtype
    assert np.all((0 <= p) & (p <= 1))
    assert np.all(np.isfinite(dL_dx)) and np.all((0 <= dL_dx) & (dL_dx <= 0.25))


@given(
    float_dtypes.flatmap(lambda dtype: finite_arrays(dtype, batch_sizes.map(lambda n: (n, 1)))),
    seeds,
    gammas,
    alphas,
)
def test_logit_losses_are_finite_for_any_finite_logits(x, seed, gamma, alpha):
    # Per element ("none"): the mean of values near the float maximum can overflow the
    # sum NumPy forms on the way, which is a limit of the reduction, not of the loss.
    y = np.random.default_rng(seed).integers(0, 2, size=x.shape)
    for loss_fn in (
        sn.BCEWithLogitsLoss("none"),
        sn.FocalLossWithLogits(alpha[0], gamma, "none", alpha_mode=alpha[1]),
    ):
        per_element = loss_fn(x, y)
        dL_dx = loss_fn.backward()
        assert per_element.dtype == x.dtype and dL_dx.dtype == x.dtype
        assert np.all(np.isfinite(per_element)) and np.all(per_element >= 0), loss_fn
        assert np.all(np.isfinite(dL_dx)) and np.all(np.abs(dL_dx) <= 1), loss_fn


@given(
    hnp.arrays(np.float64, batch_shapes(), elements=st.floats(1e-7, 1 - 1e-7)),
    seeds,
    gammas,
    alphas,
)
def test_focal_loss_is_at_most_bce_for_alpha_at_most_one(p, seed, gamma, alpha):
    # alpha_t <= 1 and (1 - p_t)^gamma <= 1 multiply the same -log p_t; p stays inside the
    # clamp [1e-7, 1 - 1e-7], beyond which focal loss keeps the value at the bound.
    y = np.random.default_rng(seed).integers(0, 2, size=p.shape)
    focal = sn.FocalLoss(alpha[0], gamma, "none", alpha_mode=alpha[1])(p, y)
    assert np.all(focal <= sn.BCELoss("none")(p, y))
    x = np.log(p) - np.log1p(-p)  # the logits of p
    focal_logits = sn.FocalLossWithLogits(alpha[0], gamma, "none", alpha_mode=alpha[1])(x, y)
    assert np.all(focal_logits <= sn.BCEWithLogitsLoss("none")(x, y))


@given(
    hnp.arrays(np.float64, batch_shapes(), elements=st.floats(1e-7, 1 - 1e-7)),
    seeds,
    reductions,
)
def test_focal_with_gamma_zero_and_no_alpha_is_bce_in_value_and_gradient(p, seed, reduction):
    y = np.random.default_rng(seed).integers(0, 2, size=p.shape)
    focal, bce = sn.FocalLoss(None, 0.0, reduction), sn.BCELoss(reduction)
    np.testing.assert_allclose(focal(p, y), bce(p, y), rtol=1e-14)
    np.testing.assert_allclose(focal.backward(), bce.backward(), rtol=1e-14)
    x = np.log(p) - np.log1p(-p)
    focal_logits, bce_logits = (
        sn.FocalLossWithLogits(None, 0.0, reduction),
        sn.BCEWithLogitsLoss(reduction),
    )
    np.testing.assert_allclose(focal_logits(x, y), bce_logits(x, y), rtol=1e-14)
    # Different formulas for the same gradient: -s sigma(-z) and p - y. The second cancels
    # for a confident right answer (p = 0.999, y = 1 keeps 13 digits), so it gets an
    # absolute allowance of a few roundings of p as well.
    np.testing.assert_allclose(
        focal_logits.backward(), bce_logits.backward(), rtol=1e-13, atol=4 * np.finfo(float).eps
    )


@given(
    st.sampled_from([sn.Linear(3, 4, rng=0), sn.ReLU(), sn.Sigmoid()]),
    float_dtypes,
    batch_sizes,
    seeds,
)
def test_layers_keep_float_dtypes_and_convert_integers(layer, dtype, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(n, 3))
    assert layer(x).dtype == np.float64  # integers become float64 at the front door
    x = rng.standard_normal((n, 3)).astype(dtype)
    y = layer(x)
    expected = np.float64 if isinstance(layer, sn.Linear) else dtype  # Linear: its own dtype
    assert y.dtype == expected and np.all(np.isfinite(y))
    assert layer.backward(np.ones_like(y)).dtype == expected
