"""Each layer's backward pass proven against finite differences, plus a network by hand."""

import re
from decimal import Decimal

import numpy as np
import pytest
from helpers import KINK_MARGIN, PLANE_LABELS, PLANE_X, inputs_away_from_kinks, small_model

import scratchnet as sn
from scratchnet.article.experiment import article_network
from scratchnet.gradcheck import check_module, numerical_vjp

TOLERANCE = 1e-8


def assert_all_below(errors: dict, tolerance: float = TOLERANCE):
    worst = {name: error for name, error in errors.items() if not error <= tolerance}
    assert not worst, f"relative errors above {tolerance}: {worst}"


@pytest.mark.parametrize("batch", [1, 7, 500])
def test_linear_backward_matches_finite_differences(batch):
    rng = np.random.default_rng(1)
    layer = sn.Linear(5, 3, rng=rng)
    errors = check_module(layer, rng.standard_normal((batch, 5)), rng=rng)
    assert set(errors) == {"input", "weight", "bias"}
    assert_all_below(errors)


@pytest.mark.parametrize("batch", [1, 500])
def test_relu_backward_matches_finite_differences_away_from_kink(batch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, 6))
    x[np.abs(x) < KINK_MARGIN] += 2 * KINK_MARGIN
    assert_all_below(check_module(sn.ReLU(), x, rng=rng))


@pytest.mark.parametrize("batch", [1, 500])
def test_sigmoid_backward_matches_finite_differences(batch):
    rng = np.random.default_rng(3)
    x = 3 * rng.standard_normal((batch, 4))
    assert_all_below(check_module(sn.Sigmoid(), x, rng=rng))


@pytest.mark.parametrize("batch", [1, 500])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_whole_network_backward_matches_finite_differences(batch, seed):
    rng = np.random.default_rng(seed)
    model = article_network(rng)
    x = inputs_away_from_kinks(model, rng, batch)
    errors = check_module(model, x, rng=rng)
    expected = {"input"} | {f"{layer}.{name}" for layer in (0, 2, 4) for name in ("weight", "bias")}
    assert set(errors) == expected
    assert_all_below(errors)


def tiny_network() -> sn.Sequential:
    """2 inputs -> 2 ReLU units -> 1 sigmoid output, with weights chosen by hand."""
    model = sn.Sequential(sn.Linear(2, 2, rng=0), sn.ReLU(), sn.Linear(2, 1, rng=0), sn.Sigmoid())
    first, second = model.modules[0], model.modules[2]
    first.weight.data[...] = [[1.0, -1.0], [2.0, 1.0]]
    first.bias.data[...] = [0.0, -1.5]
    second.weight.data[...] = [[0.5], [-1.0]]
    second.bias.data[...] = [-0.5]
    return model


def test_tiny_network_by_hand():
    model = tiny_network()
    x = np.array([[1.0, 1.0]])
    # Forward:
    #   z1 = x @ W1 + b1 = [1*1 + 1*2 + 0, 1*(-1) + 1*1 - 1.5] = [3, -1.5]
    #   h  = relu(z1) = [3, 0]                         (the second unit is off)
    #   z2 = h @ W2 + b2 = 3*0.5 + 0*(-1) - 0.5 = 1
    #   p  = sigma(1) = 0.7310585786300049
    p = model.forward(x)
    assert p.shape == (1, 1)
    assert p[0, 0] == pytest.approx(0.7310585786300049, rel=1e-15)

    # Backward with dL/dp = 1, so every gradient below is dp/d(something):
    #   dL/dz2 = p (1 - p) = 0.19661193324148185
    #   dL/dW2 = h.T @ dL/dz2 = [[3 * 0.19661...], [0 * 0.19661...]] = [[0.5898357997244456], [0]]
    #   dL/db2 = 0.19661193324148185
    #   dL/dh  = dL/dz2 @ W2.T = [0.5, -1] * 0.19661... = [0.09830596662074093, -0.19661...]
    #   dL/dz1 = dL/dh * [z1 > 0] = [0.09830596662074093, 0]   (no gradient through the off unit)
    #   dL/dW1 = x.T @ dL/dz1 = [[0.0983..., 0], [0.0983..., 0]]
    #   dL/db1 = [0.09830596662074093, 0]
    #   dL/dx  = dL/dz1 @ W1.T = [0.0983...*1 + 0*(-1), 0.0983...*2 + 0*1] = [0.0983..., 0.1966...]
    dx = model.backward(np.ones((1, 1)))
    grads = {name: param.grad for name, param in model.named_parameters()}
    a, b = 0.09830596662074093, 0.19661193324148185
    np.testing.assert_allclose(grads["2.weight"], [[0.5898357997244456], [0.0]], rtol=1e-15)
    np.testing.assert_allclose(grads["2.bias"], [b], rtol=1e-15)
    np.testing.assert_allclose(grads["0.weight"], [[a, 0.0], [a, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(grads["0.bias"], [a, 0.0], rtol=1e-15)
    np.testing.assert_allclose(dx, [[a, b]], rtol=1e-15)


def test_parameters_are_listed_in_layer_order_with_matching_grad_shapes():
    model = article_network(np.random.default_rng(0))
    shapes = [param.data.shape for param in model.parameters()]
    assert shapes == [(2, 16), (16,), (16, 8), (8,), (8, 1), (1,)]
    for param in model.parameters():
        assert param.grad.shape == param.data.shape
        assert param.grad.dtype == param.data.dtype
    assert sn.ReLU().parameters() == [] and sn.Sigmoid().parameters() == []


def test_call_is_forward():
    rng = np.random.default_rng(0)
    model = article_network(rng)
    x = rng.standard_normal((10, 2))
    np.testing.assert_array_equal(model(x), model.forward(x))


def test_backward_overwrites_gradients_so_calling_it_twice_gives_the_same_result():
    rng = np.random.default_rng(4)
    model = article_network(rng)
    x = rng.standard_normal((20, 2))
    dp = rng.standard_normal((20, 1))
    model.forward(x)
    dx_first = model.backward(dp)
    first = [param.grad.copy() for param in model.parameters()]
    dx_second = model.backward(dp)
    np.testing.assert_array_equal(dx_first, dx_second)
    for before, param in zip(first, model.parameters()):
        np.testing.assert_array_equal(before, param.grad)


def test_backward_replaces_gradients_of_an_earlier_batch():
    rng = np.random.default_rng(5)
    layer = sn.Linear(3, 2, rng=rng)
    x_a, x_b = rng.standard_normal((4, 3)), rng.standard_normal((6, 3))
    dy_b = rng.standard_normal((6, 2))
    layer.forward(x_a)
    layer.backward(rng.standard_normal((4, 2)))
    layer.forward(x_b)
    layer.backward(dy_b)
    np.testing.assert_allclose(layer.weight.grad, x_b.T @ dy_b, rtol=1e-15)
    np.testing.assert_allclose(layer.bias.grad, dy_b.sum(axis=0), rtol=1e-15)


def test_backward_leaves_its_upstream_gradient_untouched():
    rng = np.random.default_rng(6)
    model = article_network(rng)
    model.forward(rng.standard_normal((9, 2)))
    dp = rng.standard_normal((9, 1))
    dp_before = dp.copy()
    model.backward(dp)
    np.testing.assert_array_equal(dp, dp_before)
    for layer in (sn.ReLU(), sn.Sigmoid(), sn.Linear(3, 3, rng=rng)):
        layer.forward(rng.standard_normal((5, 3)))
        dy = rng.standard_normal((5, 3))
        dy_before = dy.copy()
        layer.backward(dy)
        np.testing.assert_array_equal(dy, dy_before)


def test_relu_gradient_at_zero_is_zero():
    relu = sn.ReLU()
    relu.forward(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_finite_and_silent_for_extreme_inputs(dtype):
    x = np.array([[-1e4, -1000.0, -40.0, 0.0, 40.0, 1000.0, 1e4]], dtype=dtype)
    sigmoid = sn.Sigmoid()
    p = sigmoid.forward(x)  # any overflow warning would fail the test (filterwarnings=error)
    dx = sigmoid.backward(np.ones_like(x))
    assert p.dtype == dtype and dx.dtype == dtype
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(dx))
    assert np.all((p >= 0) & (p <= 1))
    assert p[0, 0] == 0.0 and p[0, 3] == 0.5 and p[0, -1] == 1.0


def test_sigmoid_is_correct_to_the_last_digits_on_both_sides_of_zero():
    x = [-30.0, -5.0, 0.5, 5.0, 30.0]
    exact = [float(1 / (1 + (-Decimal(value)).exp())) for value in x]  # 28 significant digits
    np.testing.assert_allclose(sn.Sigmoid().forward(np.array([x])), [exact], rtol=4e-16)


def test_sigmoid_gradient_keeps_its_digits_where_p_rounds_to_one():
    # At x = 40, p = 1.0 in float64 and 1 - p = 0, but sigma'(40) = 4.25e-18.
    sigmoid = sn.Sigmoid()
    sigmoid.forward(np.array([[40.0, -40.0, 20.0]]))
    exact = [float(Decimal(v).exp() / (1 + Decimal(v).exp()) ** 2) for v in (40, -40, 20)]
    np.testing.assert_allclose(sigmoid.backward(np.ones((1, 3))), [exact], rtol=1e-15)


def test_layers_cache_their_inputs_and_outputs_themselves_not_copies():
    x = np.random.default_rng(0).standard_normal((4, 3))
    linear, relu, sigmoid = sn.Linear(3, 2, rng=0), sn.ReLU(), sn.Sigmoid()
    linear.forward(x)
    assert linear.x is x  # the documented cache: the array itself
    assert relu.forward(x) is relu.y
    assert sigmoid.forward(x) is sigmoid.p


def test_a_model_prints_its_modules_in_order():
    model = sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU())
    assert repr(model) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=3, dtype=float64)\n  (1): ReLU()\n)"
    )


def test_a_module_without_a_backward_says_so_inside_a_model():
    class ForwardOnly(sn.Module):
        def forward(self, x):
            return x

    model = sn.Sequential(ForwardOnly(), sn.Linear(2, 1, rng=0))
    model(np.ones((3, 2)))
    with pytest.raises(NotImplementedError):
        model.backward(np.ones((3, 1)))


# --- Layers at their edges: which module an overflow names, Tanh, Parameter's repr ----------------


def linear(weight):
    """A Linear layer with the given weight (in_features, out_features) and no bias."""
    weight = np.array(weight, dtype=np.float64)
    layer = sn.Linear(*weight.shape, rng=0)
    layer.weight.data[...], layer.bias.data[...] = weight, 0.0
    return layer


# Module 1 multiplies its first column by 1e308: for x = [10, 1] that entry overflows to
# inf, the other stays finite. Module 3 adds the two columns: every entry is then inf.
def four_modules():
    return sn.Sequential(
        linear([[1, 0], [0, 1]]), linear([[1e308, 0], [0, 1]]), sn.ReLU(), linear([[1], [1]])
    )


def test_a_forward_overflow_names_the_first_module_whose_output_is_not_finite():
    with pytest.raises(FloatingPointError, match="^the output of module 1 contains NaN"):
        four_modules()([[10.0, 1.0]])


def test_a_forward_overflow_in_the_last_module_names_the_last_module():
    model = sn.Sequential(linear([[1, 0], [0, 1]]), sn.ReLU(), linear([[1e308], [1]]))
    with pytest.raises(FloatingPointError, match="^the output of module 2 contains NaN"):
        model([[10.0, 1.0]])


def test_a_backward_overflow_names_the_first_module_whose_dL_dx_is_not_finite():
    # Backward runs right to left: module 2 passes [10, 1] on, module 1 multiplies its
    # first entry by 1e308 (inf), module 0 mixes the two (inf everywhere).
    model = sn.Sequential(linear([[1, 1], [1, 1]]), linear([[1e308, 0], [0, 1]]), sn.ReLU())
    model([[1.0, 1e-300]])
    with pytest.raises(FloatingPointError, match="^module 1's dL/dx contains NaN"):
        model.backward([[10.0, 1.0]])


def test_a_backward_overflow_in_the_first_module_names_module_0():
    model = sn.Sequential(linear([[1e308, 0], [0, 1]]), sn.ReLU(), linear([[1, 0], [0, 1]]))
    model([[1e-300, 1.0]])
    with pytest.raises(FloatingPointError, match="^module 0's dL/dx contains NaN"):
        model.backward([[10.0, 1.0]])


def test_a_parameter_shows_its_shape_and_dtype():
    weight = sn.Parameter(np.zeros((2, 3), dtype=np.float32))
    assert weight.shape == (2, 3)
    assert repr(weight) == "Parameter(shape=(2, 3), dtype=float32)"


def test_one_entry_of_a_layers_output_overflowing_is_refused():
    with pytest.raises(FloatingPointError, match="^the output of Linear contains NaN or infinity"):
        linear([[1e308, 0], [0, 1]])([[10.0, 1.0]])  # [inf, 1]


def test_tanh_computes_tanh_and_sends_back_dL_dy_times_one_minus_y_squared():
    x = np.array([[-2.0, -0.3, 0.0], [0.4, 1.5, 3.0]])
    tanh, dL_dy = sn.Tanh(), np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    np.testing.assert_allclose(tanh(x), np.tanh(x), rtol=1e-15)
    np.testing.assert_allclose(tanh.backward(dL_dy), dL_dy * (1 - np.tanh(x) ** 2), rtol=1e-15)
    np.testing.assert_allclose(tanh.backward(dL_dy), numerical_vjp(np.tanh, x, dL_dy), rtol=1e-8)


class OverflowsOnce(sn.Module):
    """A forward that changes from call to call, as a dropout layer's does: its first
    output is infinite, every later one finite."""

    calls = 0

    def forward(self, x):
        self.calls += 1
        return x * (np.inf if self.calls == 1 else 1.0)


def test_an_overflow_a_rerun_cannot_find_again_still_says_the_output_overflowed():
    model = sn.Sequential(linear([[1.0]]), OverflowsOnce())
    with pytest.raises(FloatingPointError, match="^the output contains NaN or infinity"):
        model([[2.0]])


# --- Sequential as a container, and a model's modules run one by one ------------------------------


def test_sequential_has_a_length_indexing_and_iteration():
    model = small_model()
    assert len(model) == 4
    assert model[0] is model.modules[0] and model[-1] is model.modules[-1]
    assert list(model) == model.modules


def test_sequential_summary_lists_widths_and_parameter_counts():
    rng = np.random.default_rng(0)
    model = sn.Sequential(
        sn.Linear(2, 16, rng=rng), sn.ReLU(), sn.Linear(16, 8, rng=rng), sn.ReLU(),
        sn.Linear(8, 1, rng=rng), sn.Sigmoid(),
    )  # fmt: skip
    rows = [line.split() for line in model.summary().splitlines()[1:]]
    widths_and_counts = [(row[-2], row[-1]) for row in rows[:-1]]
    assert widths_and_counts == [
        ("16", "48"), ("16", "0"), ("8", "136"), ("8", "0"), ("1", "9"), ("1", "0"),
    ]  # fmt: skip
    assert rows[-1] == ["total", "193"]


def test_a_summary_shows_the_input_width_until_a_module_sets_one_and_a_question_mark_if_none():
    class Scale(sn.Module):  # declares its input width, sets no output width
        in_features = 2

        def forward(self, x):
            return 2 * x

    for first, shown in [(Scale(), "2"), (sn.ReLU(), "?")]:
        rows = sn.Sequential(first, sn.Linear(2, 1, rng=0)).summary().splitlines()
        assert rows[1].split()[-2:] == [shown, "0"] and rows[2].split()[-2:] == ["1", "3"]


def test_a_sequential_whose_widths_do_not_chain_is_refused_when_built():
    with pytest.raises(ValueError, match=r"module 1 \(Linear\(in_features=4.*takes 4 features, "
                       r"but module 0 gives 3"):  # fmt: skip
        sn.Sequential(sn.Linear(2, 3, rng=0), sn.Linear(4, 1, rng=0))
    sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU(), sn.Linear(3, 1, rng=0))  # chains: fine


def test_a_layer_keeps_its_dtype_wherever_it_sits_in_a_model():
    model = sn.Sequential(sn.ReLU(), sn.Linear(2, 1, rng=0, dtype=np.float32), sn.Sigmoid())
    p = model(PLANE_X)  # float64 in
    model.backward(np.ones_like(p))
    assert p.dtype == np.float32 and model[1].weight.grad.dtype == np.float32


def test_a_float32_linear_handed_a_float64_upstream_keeps_its_gradients_in_float32():
    layer = sn.Linear(2, 3, rng=0, dtype=np.float32)
    layer(PLANE_X)
    dL_dx = layer.backward(np.ones((len(PLANE_X), 3)))  # float64, as a learner may pass
    assert dL_dx.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32


def test_each_module_of_a_model_can_run_its_own_backward_after_the_models_forward():
    model = small_model()
    dL_dy = np.ones_like(model(PLANE_X))
    for module in reversed(model.modules):  # the chain rule, by hand
        dL_dy = module.backward(dL_dy)
    np.testing.assert_array_equal(dL_dy, model.backward(np.ones((40, 1))))


def test_a_model_checks_its_upstream_gradient_against_its_latest_forward_however_run():
    model = sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU())
    model(np.ones((1, 2)))
    model.forward(PLANE_X)  # 40 rows, through the raw math
    with pytest.raises(ValueError, match=r"grad_output must have the shape of the last output, "
                       r"\(40, 3\), got \(1, 3\)"):  # fmt: skip
        model.backward(np.ones((1, 3)))


def test_backward_takes_its_upstream_gradient_by_the_name_its_math_gives_it():
    linear, loss = sn.Linear(2, 1, rng=0), sn.BCELoss()
    y = linear(PLANE_X)
    np.testing.assert_array_equal(
        linear.backward(dL_dy=np.ones_like(y)), linear.backward(y * 0 + 1)
    )
    loss(np.full((40, 1), 0.5), PLANE_LABELS)
    np.testing.assert_array_equal(loss.backward(dL_out=2.0), 2 * loss.backward())
    with pytest.raises(TypeError):
        loss.backward(gradient=2.0)
# --- a learner's backward, named where it returns ------------------------------------------


class ForgotReturn(sn.Module):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dL_dy):
        dL_dx = dL_dy * (1 - self.y**2)  # noqa: F841 (the forgotten return is the bug)


class SummedTanh(ForgotReturn):
    def backward(self, dL_dy):
        return (dL_dy * (1 - self.y**2)).sum(axis=0)


class ListTanh(ForgotReturn):
    def backward(self, dL_dy):
        return (dL_dy * (1 - self.y**2)).tolist()


@pytest.mark.parametrize(
    ("layer", "found"),
    [(ForgotReturn, "None"), (SummedTanh, r"an array of shape \(4,\)"), (ListTanh, "a list")],
)
def test_sequential_backward_names_the_module_whose_backward_returned_no_gradient(layer, found):
    model = sn.Sequential(sn.Linear(2, 4, rng=0), layer(), sn.Linear(4, 1, rng=0))
    model(np.ones((3, 2)))
    with pytest.raises(ValueError) as raised:
        model.backward(np.ones((3, 1)))
    message = str(raised.value)
    assert re.match(rf"module 1, {layer.__name__}, returned {found} from backward", message)
    assert f"({__file__}, line " in message  # where the learner's backward is
    assert message.endswith("must return dL/dx, an array of the shape of its input, (3, 4)")


def test_a_helper_reading_a_cache_before_forward_gets_the_sentence_wherever_it_reads():
    def slope(layer):
        return 1 - layer.y**2

    class HelpedTanh(ForgotReturn):
        def backward(self, dL_dy):
            upstream = np.ones((2, 2))  # an array beside self: no truth value is ever asked
            return upstream * dL_dy * slope(self)

    with pytest.raises(ValueError, match="^HelpedTanh has no y yet: forward sets it, and has not"):
        HelpedTanh().backward(np.ones((2, 2)))
    with pytest.raises(AttributeError, match="HelpedTanh has no y yet"):
        slope(HelpedTanh())  # outside any backward, the same true sentence


class NaNTanh(ForgotReturn):
    def backward(self, dL_dy):
        return np.full_like(dL_dy, np.nan)


def test_a_gradient_gone_nan_is_named_once_by_the_module_that_made_it():
    model = sn.Sequential(sn.Linear(2, 4, rng=0), NaNTanh(), sn.Linear(4, 1, rng=0))
    model(np.ones((3, 2)))
    with pytest.raises(FloatingPointError) as raised:
        model.backward(np.ones((3, 1)))
    assert str(raised.value).startswith("module 1's dL/dx contains NaN or infinity")
    assert str(raised.value).count("NaN") == 1
    with pytest.raises(ValueError, match="^grad_output must be finite, but it contains NaN"):
        model.backward(np.full((3, 1), np.nan))  # handed in, not made: the upstream's fault
