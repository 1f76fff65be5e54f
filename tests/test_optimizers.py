"""Adam and SGD follow PyTorch's documented update rules, checked by hand and on a quadratic."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.layers import Parameter


def parameter(values, dtype=np.float64) -> Parameter:
    return Parameter(np.array(values, dtype=dtype))


def test_two_adam_steps_match_the_rule_worked_by_hand():
    theta = parameter([1.0])
    adam = sn.Adam([theta], lr=0.1, betas=(0.9, 0.999), eps=1e-8)

    # Step 1, t = 1, gradient 2:
    #   m = 0.9 * 0 + 0.1 * 2 = 0.2             m_hat = 0.2 / (1 - 0.9)     = 2
    #   v = 0.999 * 0 + 0.001 * 2^2 = 0.004     v_hat = 0.004 / (1 - 0.999) = 4
    #   theta = 1 - 0.1 * 2 / (sqrt(4) + 1e-8) = 1 - 0.1 * (1 - 5e-9) = 0.9000000005
    theta.grad = np.array([2.0])
    adam.step()
    assert adam.step_count == 1
    np.testing.assert_allclose(adam.exp_avg[0], [0.2], rtol=1e-14)
    np.testing.assert_allclose(adam.exp_avg_sq[0], [0.004], rtol=1e-14)
    np.testing.assert_allclose(theta.data, [0.9000000005], rtol=1e-15)

    # Step 2, t = 2, gradient -1:
    #   m = 0.9 * 0.2 + 0.1 * (-1) = 0.08                m_hat = 0.08 / (1 - 0.81) = 8 / 19
    #   v = 0.999 * 0.004 + 0.001 * 1 = 0.004996         v_hat = 0.004996 / (1 - 0.998001)
    #                                                          = 4996 / 1999
    #   theta = 0.9000000005 - 0.1 * (8 / 19) / (sqrt(4996 / 1999) + 1e-8)
    #         = 0.9000000005 - 0.1 * 0.42105263... / 1.58090152... = 0.87336629...
    theta.grad = np.array([-1.0])
    adam.step()
    assert adam.step_count == 2
    np.testing.assert_allclose(adam.exp_avg[0], [0.08], rtol=1e-13)
    np.testing.assert_allclose(adam.exp_avg_sq[0], [0.004996], rtol=1e-13)
    expected = 0.9000000005 - 0.1 * (8 / 19) / (np.sqrt(4996 / 1999) + 1e-8)
    np.testing.assert_allclose(theta.data, [expected], rtol=1e-13)
    np.testing.assert_allclose(theta.data, [0.8733662967], rtol=1e-10)


def test_first_adam_step_moves_each_entry_by_lr_against_its_gradient_whatever_its_size():
    # At t = 1, m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps).
    theta = parameter([0.0, 0.0, 0.0, 0.0])
    adam = sn.Adam([theta], lr=0.01)
    theta.grad = np.array([1e3, -1e-3, 5.0, 0.0])
    adam.step()
    np.testing.assert_allclose(theta.data, [-0.01, 0.01, -0.01, 0.0], rtol=1e-5)


def test_adam_reaches_the_minimum_of_a_badly_scaled_quadratic():
    # f(theta) = sum(a * (theta - c)^2) / 2, with curvatures a spanning two decades;
    # its gradient is a * (theta - c) and its minimum is theta = c.
    a = np.array([1.0, 10.0, 0.1])
    c = np.array([3.0, -1.0, 0.5])
    theta = parameter([0.0, 0.0, 0.0])
    adam = sn.Adam([theta], lr=0.1)
    for _ in range(1000):
        theta.grad = a * (theta.data - c)
        adam.step()
    np.testing.assert_allclose(theta.data, c, atol=1e-10)


def test_adam_weight_decay_adds_weight_decay_times_theta_to_the_gradient():
    # Rule: g = grad + weight_decay * theta. So Adam with weight decay on gradient G
    # must move theta exactly as Adam without it on gradient G + weight_decay * theta.
    weight_decay = 0.3
    decayed = parameter([2.0, -1.0])
    by_hand = parameter([2.0, -1.0])
    adam_decayed = sn.Adam([decayed], lr=0.05, weight_decay=weight_decay)
    adam_by_hand = sn.Adam([by_hand], lr=0.05)
    for gradient in ([0.5, 0.0], [-1.0, 2.0], [0.25, -0.5]):
        decayed.grad = np.array(gradient)
        by_hand.grad = np.array(gradient) + weight_decay * by_hand.data
        adam_decayed.step()
        adam_by_hand.step()
        np.testing.assert_array_equal(decayed.data, by_hand.data)


def test_adam_weight_decay_alone_shrinks_theta_by_lr_on_the_first_step():
    # grad = 0, theta = 2, weight_decay = 0.5: g = 0.5 * 2 = 1, and the first step is lr.
    theta = parameter([2.0])
    adam = sn.Adam([theta], lr=0.1, weight_decay=0.5)
    theta.grad = np.array([0.0])
    adam.step()
    np.testing.assert_allclose(theta.data, [2.0 - 0.1 * 1 / (1 + 1e-8)], rtol=1e-15)


def test_sgd_without_momentum_steps_by_lr_times_gradient():
    # theta = [1, -2] - 0.1 * [0.5, 1] = [0.95, -2.1]; then - 0.1 * [-1, 0] = [1.05, -2.1]
    theta = parameter([1.0, -2.0])
    sgd = sn.SGD([theta], lr=0.1)
    theta.grad = np.array([0.5, 1.0])
    sgd.step()
    np.testing.assert_allclose(theta.data, [0.95, -2.1], rtol=1e-15)
    theta.grad = np.array([-1.0, 0.0])
    sgd.step()
    np.testing.assert_allclose(theta.data, [1.05, -2.1], rtol=1e-15)


def test_sgd_with_momentum_matches_the_rule_worked_by_hand():
    theta = parameter([1.0, -2.0])
    sgd = sn.SGD([theta], lr=0.1, momentum=0.9)
    # Step 1: b = g = [0.5, 1];  theta = [1, -2] - 0.1 * [0.5, 1] = [0.95, -2.1]
    theta.grad = np.array([0.5, 1.0])
    sgd.step()
    np.testing.assert_allclose(sgd.momentum_buffer[0], [0.5, 1.0], rtol=1e-15)
    np.testing.assert_allclose(theta.data, [0.95, -2.1], rtol=1e-15)
    # Step 2: b = 0.9 * [0.5, 1] + [-1, 0] = [-0.55, 0.9]
    #         theta = [0.95, -2.1] - 0.1 * [-0.55, 0.9] = [1.005, -2.19]
    theta.grad = np.array([-1.0, 0.0])
    sgd.step()
    np.testing.assert_allclose(sgd.momentum_buffer[0], [-0.55, 0.9], rtol=1e-14)
    np.testing.assert_allclose(theta.data, [1.005, -2.19], rtol=1e-14)
    assert sgd.step_count == 2


@pytest.mark.parametrize(
    ("make_optimizer", "state_names"),
    [
        (lambda params: sn.Adam(params, lr=0.01), ["exp_avg", "exp_avg_sq"]),
        (lambda params: sn.SGD(params, lr=0.01, momentum=0.9), ["momentum_buffer"]),
    ],
    ids=["Adam", "SGD"],
)
def test_float32_parameters_and_their_state_stay_float32(make_optimizer, state_names):
    model = sn.Sequential(sn.Linear(3, 2, rng=0, dtype=np.float32))
    optimizer = make_optimizer(model.parameters())
    weight_array = model.modules[0].weight.data
    x = np.random.default_rng(1).standard_normal((5, 3))
    for _ in range(3):
        y = model.forward(x)
        model.backward(np.ones_like(y))
        optimizer.step()
    for param in model.parameters():
        assert param.data.dtype == np.float32
    for name in state_names:
        assert all(array.dtype == np.float32 for array in getattr(optimizer, name))
    # In place: the layer still holds the array the optimizer updated.
    assert model.modules[0].weight.data is weight_array


def test_float32_parameter_stays_float32_even_with_a_float64_gradient():
    theta = parameter([1.0, 2.0], dtype=np.float32)
    adam = sn.Adam([theta], lr=0.1)
    theta.grad = np.array([0.5, -0.5], dtype=np.float64)
    adam.step()
    assert theta.data.dtype == adam.exp_avg[0].dtype == adam.exp_avg_sq[0].dtype == np.float32
    np.testing.assert_allclose(theta.data, [0.9, 2.1], rtol=1e-6)


def test_a_step_changes_what_the_layer_computes():
    layer = sn.Linear(2, 1, rng=0)
    x = np.array([[1.0, 2.0]])
    before = layer.forward(x)
    layer.backward(np.ones((1, 1)))
    sn.SGD(layer.parameters(), lr=0.1).step()
    # dL/dW = x.T, dL/db = 1, so y drops by 0.1 * (1^2 + 2^2 + 1) = 0.6.
    np.testing.assert_allclose(layer.forward(x), before - 0.6, rtol=1e-12)


def test_zero_grad_sets_every_gradient_to_zeros_of_its_parameters_shape_and_dtype():
    model = sn.Sequential(
        sn.Linear(3, 4, rng=0, dtype=np.float32), sn.ReLU(), sn.Linear(4, 1, rng=1)
    )
    y = model.forward(np.ones((2, 3)))
    model.backward(np.ones_like(y))
    assert any(np.any(param.grad != 0) for param in model.parameters())
    sn.Adam(model.parameters()).zero_grad()
    for param in model.parameters():
        assert param.grad.shape == param.data.shape
        assert param.grad.dtype == param.data.dtype
        assert not np.any(param.grad)


# What these errors say is asserted in test_bad_input_battery.py, with every other message.
@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_a_non_finite_gradient_raises_and_changes_nothing(bad_value):
    first, second = parameter([1.0, 2.0]), parameter([3.0])
    adam = sn.Adam([first, second], lr=0.1)
    first.grad, second.grad = np.array([1.0, 1.0]), np.array([1.0])
    adam.step()
    saved = [first.data.copy(), second.data.copy(), *map(np.copy, adam.exp_avg + adam.exp_avg_sq)]

    second.grad = np.array([bad_value])
    with pytest.raises(FloatingPointError):
        adam.step()
    after = [first.data, second.data, *adam.exp_avg, *adam.exp_avg_sq]
    for before_array, after_array in zip(saved, after):
        np.testing.assert_array_equal(before_array, after_array)
    assert adam.step_count == 1


def adam(**overrides):
    return sn.Adam(**{"params": [parameter([1.0])], **overrides})


def sgd(**overrides):
    return sn.SGD(**{"params": [parameter([1.0])], "lr": 0.1, **overrides})


def test_the_boundary_values_that_are_allowed_are_accepted():
    adam(betas=(0.0, 0.0), eps=1e-300, weight_decay=0.0)
    sgd(momentum=0.0)


def test_params_may_be_any_iterable_such_as_a_generator():
    layer = sn.Linear(2, 3, rng=0)
    optimizer = sn.Adam(param for param in layer.parameters())
    assert optimizer.params == [layer.weight, layer.bias]


def test_adam_refuses_a_squared_gradient_that_overflows_and_changes_nothing():
    # 2e19 is a finite float32, but its square is not: v would be inf and freeze the entry.
    theta = sn.Parameter(np.zeros(2, dtype=np.float32))
    theta.grad = np.array([2e19, 1.0], dtype=np.float32)
    adam = sn.Adam([theta], lr=0.1)
    with pytest.raises(FloatingPointError):
        adam.step()
    assert adam.step_count == 0
    np.testing.assert_array_equal(theta.data, [0.0, 0.0])
    np.testing.assert_array_equal(adam.exp_avg_sq[0], [0.0, 0.0])


def test_adams_default_learning_rate_is_pytorchs_1e_3():
    theta = sn.Parameter(np.array([1.0, -1.0]))
    theta.grad = np.array([0.5, -2.0])
    sn.Adam([theta]).step()  # the first step moves every entry by lr against its gradient
    np.testing.assert_allclose(theta.data, [1.0 - 1e-3, -1.0 + 1e-3], rtol=1e-7)


def test_a_weight_decay_of_exactly_one_is_applied_not_ignored():
    decayed, plain = sn.Parameter(np.array([2.0])), sn.Parameter(np.array([2.0]))
    decayed.grad = np.array([0.0])
    plain.grad = np.array([0.0 + 1.0 * 2.0])  # g = grad + 1 * theta, by hand
    sn.Adam([decayed], lr=0.1, weight_decay=1.0).step()
    sn.Adam([plain], lr=0.1).step()
    np.testing.assert_array_equal(decayed.data, plain.data)
    assert decayed.data[0] < 2.0


def test_zero_grad_replaces_a_gradient_of_another_dtype_with_the_parameters_own():
    theta = sn.Parameter(np.ones(3, dtype=np.float32))
    theta.grad = np.ones(3, dtype=np.float64)
    sn.SGD([theta], lr=0.1).zero_grad()
    assert theta.grad.dtype == np.float32 and not theta.grad.any()


def test_a_new_optimizer_is_one_class_that_assigns_and_names_its_settings():
    from scratchnet.doors.for_optimizers import gradients
    from scratchnet.doors.values import POSITIVE
    from scratchnet.optimizers import Optimizer

    class GradientDescent(Optimizer):
        """theta = theta - lr * grad: settings, no buffers."""

        settings = ("lr",)

        def __init__(self, params, lr):
            super().__init__(params)
            self.lr = POSITIVE.check(lr, "lr")

        def step(self):
            for param, grad in zip(self.params, gradients(self.params)):
                param.data -= self.lr * grad

    theta = sn.Parameter(np.array([1.0, 2.0]))
    theta.grad = np.array([0.5, -0.5])
    optimizer = GradientDescent([theta], lr=0.1)
    optimizer.step()
    np.testing.assert_allclose(theta.data, [0.95, 2.05])
    state = optimizer.state_dict()
    assert set(state) == {"type", "step_count", "lr"}
    GradientDescent([theta], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="lr must be a positive finite number, got 0"):
        GradientDescent([theta], lr=0)


# --- Optimizers at their edges: how they print, one of your own without a step --------------------


def two_parameters():
    return [sn.Parameter(np.zeros((2, 3))), sn.Parameter(np.zeros(3))]


def test_optimizers_print_their_parameter_count_and_every_setting():
    assert repr(sn.Adam(two_parameters(), lr=0.01)) == (
        "Adam(2 parameters, lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0)"
    )
    assert repr(sn.SGD(two_parameters(), lr=0.1, momentum=0.9)) == (
        "SGD(2 parameters, lr=0.1, momentum=0.9)"
    )


def test_an_optimizer_of_your_own_without_a_step_says_so_instead_of_doing_nothing():
    class Frozen(sn.Optimizer):
        pass

    params = two_parameters()
    with pytest.raises(
        NotImplementedError, match=r"^Frozen has no step: write Frozen.step\(self\)"
    ):
        Frozen(params).step()


def test_an_optimizer_of_your_own_that_declares_nothing_saves_its_type_and_step_count():
    class Frozen(sn.Optimizer):  # no settings, no buffers: the base class's empty ones
        pass

    optimizer = Frozen(two_parameters())
    state = optimizer.state_dict()
    assert set(state) == {"type", "step_count"} and str(state["type"]) == "Frozen"
    optimizer.load_state_dict(state)


@pytest.mark.parametrize("make", [sn.Adam, lambda params: sn.SGD(params, lr=0.1)])
def test_one_nan_among_finite_gradient_entries_is_refused_and_changes_nothing(make):
    theta = sn.Parameter(np.array([1.0, 2.0, 3.0]))
    optimizer = make([theta])
    theta.grad = np.array([0.5, np.nan, -0.5])
    with pytest.raises(FloatingPointError, match="contains NaN or infinity"):
        optimizer.step()
    np.testing.assert_array_equal(theta.data, [1.0, 2.0, 3.0])
    assert optimizer.step_count == 0


@pytest.mark.parametrize("make", [sn.Adam, lambda params: sn.SGD(params, lr=0.1)])
def test_a_gradient_written_as_a_plain_list_is_used_as_an_array(make):
    # A learner's backward may store a list: the step reads it as the array it stands for.
    theta, reference = sn.Parameter(np.array([1.0, 2.0])), sn.Parameter(np.array([1.0, 2.0]))
    theta.grad, reference.grad = [0.5, -0.5], np.array([0.5, -0.5])
    make([theta]).step()
    make([reference]).step()
    np.testing.assert_array_equal(theta.data, reference.data)
    assert not np.array_equal(theta.data, [1.0, 2.0])


# --- Adam's overflow checks in float32 ------------------------------------------------------------


def test_adam_refuses_a_float64_gradient_whose_square_overflows_its_float32_parameter():
    theta = sn.Parameter(np.ones(2, dtype=np.float32))
    theta.grad = np.array([1e21, 0.0])  # finite in float64; squared, not in float32
    adam = sn.Adam([theta])
    with np.errstate(over="ignore"), pytest.raises(FloatingPointError, match="squared gradient"):
        adam.step()
    assert not adam.exp_avg_sq[0].any() and adam.step_count == 0


def test_adam_squares_the_weight_decayed_gradient_before_it_steps():
    theta = sn.Parameter(np.array([1e19], dtype=np.float32))
    theta.grad = np.array([1e19], dtype=np.float32)  # g = grad + 1 * theta = 2e19; g^2 overflows
    with np.errstate(over="ignore"), pytest.raises(FloatingPointError, match="squared gradient"):
        sn.Adam([theta], weight_decay=1.0).step()
def test_adam_refuses_a_huge_parameter_whose_decayed_gradient_squares_past_float32():
    # A small gradient, a huge parameter: g = grad + weight_decay * theta = 2e19 + 1, whose
    # square overflows float32. Adam must square g as it will, decay included.
    theta = sn.Parameter(np.array([2e19, 1.0], dtype=np.float32))
    theta.grad = np.array([1.0, 1.0], dtype=np.float32)
    before = theta.data.copy()
    with pytest.raises(FloatingPointError, match=r"squared gradient of params\[0\]"):
        sn.Adam([theta], weight_decay=1.0).step()
    np.testing.assert_array_equal(theta.data, before)
    sn.Adam([theta]).step()  # without decay, g = 1 squares fine
