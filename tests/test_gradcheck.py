"""The gradient checker itself: exact on known derivatives, and it catches wrong backwards."""

import dataclasses

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.commands.gradcheck_command import RETRIES, check_drawn, format_table
from scratchnet.gradcheck import (
    FLOAT64,
    KINK_MARGIN,
    ONE_SIDED_KINK,
    PRECISIONS,
    Precision,
    TensorCheck,
    _tensor_check,
    check_gradients,
    check_loss,
    check_module,
    coarsest,
    first_failing_module,
    inputs_away_from_kinks,
    max_relative_error,
    near_kink,
    numerical_gradient,
    numerical_vjp,
    relative_error,
)


def test_relative_error_never_divides_by_zero():
    np.testing.assert_array_equal(relative_error([0.0, 1.0], [0.0, 1.0]), [0.0, 0.0])
    assert relative_error(1.0, -1.0) == 1.0
    assert relative_error(1e-13, 0.0) == pytest.approx(0.1)  # floor of 1e-12 in the denominator
    assert max_relative_error(np.zeros(0), np.zeros(0)) == 0.0


def test_numerical_gradient_of_a_known_function():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    gradient = numerical_gradient(lambda v: np.sum(np.sin(v) * v**2), x)
    exact = np.cos(x) * x**2 + 2 * x * np.sin(x)
    assert max_relative_error(gradient, exact) < 1e-10


def test_numerical_gradient_leaves_its_input_untouched():
    x = np.array([1.0, 2.0])
    numerical_gradient(lambda v: np.sum(v**3), x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_vjp_of_a_known_function():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(5)
    upstream = rng.standard_normal(5)
    vjp = numerical_vjp(np.tanh, x, upstream)
    assert max_relative_error(vjp, upstream * (1 - np.tanh(x) ** 2)) < 1e-10


class SignFlippedInput(sn.Linear):
    def backward(self, grad_output):
        return -super().backward(grad_output)


class BiasGradientDropped(sn.Linear):
    def backward(self, grad_output):
        grad_input = super().backward(grad_output)
        self.bias.grad = np.zeros_like(self.bias.grad)
        return grad_input


class TransposeMissing(sn.Linear):
    def backward(self, grad_output):
        grad_input = super().backward(grad_output)
        self.weight.grad = self.weight.grad.T  # square layer: right shape, wrong entries
        return grad_input


class SigmoidWithoutOneMinusP(sn.Sigmoid):
    def backward(self, grad_output):
        return grad_output * self.p


@pytest.mark.parametrize(
    ("broken", "tensor"),
    [
        (SignFlippedInput(3, 3, rng=0), "input"),
        (BiasGradientDropped(3, 3, rng=0), "bias"),
        (TransposeMissing(3, 3, rng=0), "weight"),
        (SigmoidWithoutOneMinusP(), "input"),
    ],
)
def test_the_checker_catches_a_wrong_backward(broken, tensor):
    rng = np.random.default_rng(1)
    errors = check_module(broken, rng.standard_normal((4, 3)), rng=rng)
    assert errors[tensor] > 1e-2
    assert all(error < 1e-8 for name, error in errors.items() if name != tensor)


def test_the_checker_finds_a_broken_layer_inside_a_network():
    rng = np.random.default_rng(2)
    model = sn.Sequential(sn.Linear(3, 3, rng=rng), sn.Sigmoid(), TransposeMissing(3, 3, rng=rng))
    errors = check_module(model, rng.standard_normal((5, 3)), rng=rng)
    assert errors["2.weight"] > 1e-2
    assert errors["0.weight"] < 1e-8


def test_check_module_leaves_parameters_unchanged():
    rng = np.random.default_rng(3)
    layer = sn.Linear(3, 2, rng=rng)
    before = [param.data.copy() for param in layer.parameters()]
    check_module(layer, rng.standard_normal((4, 3)), rng=rng)
    for old, param in zip(before, layer.parameters()):
        np.testing.assert_array_equal(old, param.data)


def test_max_relative_error_is_the_largest_not_the_smallest():
    assert max_relative_error([1.0, 1.0, 1.0], [1.0, 3.0, 1.5]) == 0.5  # 2 / 4, not 0 or 0.2


def test_relative_error_is_the_difference_over_the_sum_of_sizes_above_a_floor():
    assert relative_error(3.0, 1.0) == 0.5
    assert relative_error(1.0, 0.0) == 1.0
    assert relative_error(1e-3, 0.0, floor=1e-2) == pytest.approx(0.1)
    assert relative_error(0.75, 0.25, floor=1.0) == 0.5  # |a| + |b| equal to the floor


# --- what a tensor's status means --------------------------------------------------------


def judged(analytic, estimate, kink):
    """The row ``check_gradients`` makes of these values, in float64."""
    return _tensor_check("t", analytic, FLOAT64, "float64", np.array(estimate), np.array(kink))


def test_a_tensor_passes_up_to_its_tolerance_and_fails_above_it():
    # 10000001 against 9999999 is a relative error of 2 / 2e7 = 1e-7 exactly
    assert judged([10000001.0], [9999999.0], [False]) == TensorCheck("t", 1e-7, 1e-7, "pass")
    above = judged([10000002.0], [9999999.0], [False])
    assert above.status == "FAIL" and above.error == pytest.approx(1.5e-7)


def test_a_failure_reports_the_worst_entry_that_is_not_near_a_kink():
    # errors 0, 7/11 (near a kink), 1/13 and 1/81
    kink = [[False, True], [False, False]]
    row = judged([[1.0, 2.0], [3.0, 4.0]], [[1.0, 9.0], [3.5, 4.1]], kink)
    assert row.status == "FAIL" and row.error == pytest.approx(7 / 11)  # the worst, kink or not
    assert row.detail == "at [1, 0] backward gives 3, finite differences 3.5"


def test_failing_only_near_kinks_is_inconclusive_never_passed():
    row = judged([1.0, 0.0], [0.5, 0.0], [True, False])
    assert row.status == "inconclusive" and row.error == pytest.approx(1 / 3)
    assert row.detail == "at [0] the finite differences disagree, as across a kink"
    assert judged([1.0], [1.0], [True]).status == "pass"  # a suspected kink, yet they agree


def test_a_kink_is_suspected_just_above_each_threshold():
    # relative disagreements 2 / 20000 = 1e-4 (D(h) against D(2h)) and 2 / 20 = 0.1 (slopes)
    def suspected(d_h, d_2h, right, left):
        return bool(near_kink(np.array([d_h]), np.array([d_2h]), np.array([right]),
                              np.array([left]), FLOAT64)[0])  # fmt: skip

    assert FLOAT64.kink == 1e-4 and ONE_SIDED_KINK == 0.1
    assert not suspected(10001.0, 9999.0, 1.0, 1.0)
    assert suspected(10002.0, 9999.0, 1.0, 1.0)
    assert not suspected(1.0, 1.0, 11.0, 9.0)
    assert suspected(1.0, 1.0, 11.0, 8.9)


@pytest.mark.parametrize("at", [0.0, 1e-8, 1e-4, -1e-4, 1e-3, 1.5e-3, -1.5e-3])
def test_an_input_on_or_near_relus_kink_is_inconclusive(at):
    (row,) = check_gradients(sn.ReLU(), np.array([[at, 1.0, -1.0]]), rng=0)
    assert row.status == "inconclusive" and row.error > 1e-2


class WrongSteepParabola(sn.Module):
    """y = x + 75 x^2, smooth but curved: its one-sided slopes at 0 differ by 0.075 (h = 1e-3)."""

    def forward(self, x):
        self.x = x
        return x + 75 * x**2

    def backward(self, dL_dy):
        return 2 * dL_dy * (1 + 150 * self.x)  # wrong: twice the slope


def test_a_curved_but_smooth_function_is_not_mistaken_for_a_kink():
    (row,) = check_gradients(WrongSteepParabola(), np.zeros((1, 2)), rng=0)
    assert row.status == "FAIL"


class ReLU32(sn.ReLU):
    dtype = np.float32


@pytest.mark.parametrize("at", [0.0, 5e-3, 1.5e-2])
def test_a_float32_input_on_or_near_a_kink_is_inconclusive(at):
    (row,) = check_gradients(ReLU32(), np.array([[at, 1.0, -1.0]]), rng=0)
    assert (row.dtype, row.status) == ("float32", "inconclusive")


def test_an_input_beyond_two_steps_from_the_kink_passes_and_a_wrong_relu_fails():
    class Doubled(sn.ReLU):
        def backward(self, dL_dy):
            return 2 * super().backward(dL_dy)

    x = np.array([[2.5e-3, 1.0, -1.0]])
    assert check_gradients(sn.ReLU(), x, rng=0)[0].status == "pass"
    assert check_gradients(Doubled(), x, rng=0)[0].status == "FAIL"


# --- float32 -----------------------------------------------------------------------------


class Tanh32(sn.Module):
    dtype = np.float32

    def forward(self, x):
        self.y = np.tanh(x.astype(np.float32))
        return self.y

    def backward(self, dL_dy):
        return dL_dy * (1 - self.y**2)


class SlightlyWrongTanh(Tanh32):
    def backward(self, dL_dy):
        return dL_dy * (1 - self.y**2) * np.float32(1.05)  # 5% off: 2.4% relative error


def test_each_dtype_has_its_step_and_tolerance():
    assert PRECISIONS[np.dtype(np.float64)] == Precision(1e-3, 1e-7, 1e-12, 1e-4)
    assert PRECISIONS[np.dtype(np.float32)] == Precision(1e-2, 1e-2, 1e-2, 1e-2)
    assert coarsest(np.float64, np.float32, np.int64) == ("float32", PRECISIONS[np.dtype("f4")])
    assert coarsest(np.float64, np.int64) == ("float64", FLOAT64)  # an integer output, say
    with pytest.raises(TypeError, match="gradient checks know float64 and float32, not float16"):
        coarsest(np.float32, np.float16)


def test_a_correct_float32_layer_passes_and_a_wrong_one_fails():
    x = np.random.default_rng(0).standard_normal((5, 3))
    (row,) = check_gradients(Tanh32(), x, rng=0)
    assert (row.status, row.dtype, row.tolerance) == ("pass", "float32", 1e-2)
    assert 1e-7 < row.error < 1e-3  # measured in float32: far from float64's 1e-12
    (wrong,) = check_gradients(SlightlyWrongTanh(), x, rng=0)
    assert wrong.status == "FAIL" and 0.02 < wrong.error < 0.03


class DeclaredTanh32(sn.Module):
    """Leaves the conversion to float32 to whoever calls it, as the front door does."""

    dtype = np.float32

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dL_dy):
        assert dL_dy.dtype == np.float32  # the output's dtype, as training would give it
        return dL_dy * (1 - self.y**2)


class TransposedWeight(sn.Module):
    """y = x @ W with W stored transposed: an array that is not C-contiguous."""

    def __init__(self):
        self.w = sn.Parameter(np.arange(1.0, 7.0).reshape(2, 3).T)

    def forward(self, x):
        self.x = x
        return x @ self.w.data

    def backward(self, dL_dy):
        self.w.grad = self.x.T @ dL_dy
        return dL_dy @ self.w.data.T


def test_a_parameter_in_any_memory_layout_is_perturbed_in_place():
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert [row.status for row in check_gradients(TransposedWeight(), x, rng=0)] == ["pass"] * 2


def test_the_input_is_converted_to_the_dtype_a_layer_declares():
    (row,) = check_gradients(DeclaredTanh32(), [[0.5, -1.0, 2.0]], rng=0)  # a list will do
    assert (row.dtype, row.status) == ("float32", "pass")


def test_float32_parameters_are_checked_the_same_way():
    rng = np.random.default_rng(1)
    layer = sn.Linear(3, 3, rng=rng, dtype=np.float32)
    rows = check_gradients(layer, rng.standard_normal((4, 3)), rng=rng)
    assert [(row.tensor, row.dtype, row.status) for row in rows] == [
        ("input", "float32", "pass"), ("weight", "float32", "pass"), ("bias", "float32", "pass"),
    ]  # fmt: skip
    broken = TransposeMissing(3, 3, rng=0, dtype=np.float32)
    statuses = [row.status for row in check_gradients(broken, rng.standard_normal((4, 3)))]
    assert statuses == ["pass", "FAIL", "pass"]


def test_a_float64_layer_keeps_the_strict_tolerance():
    class SlightlyWrongSigmoid(sn.Sigmoid):
        def backward(self, dL_dp):
            return super().backward(dL_dp) * (1 + 1e-6)

    x = np.random.default_rng(2).standard_normal((4, 3))
    (row,) = check_gradients(SlightlyWrongSigmoid(), x, rng=0)
    assert (row.status, row.dtype, row.tolerance) == ("FAIL", "float64", 1e-7)


def test_a_float32_loss_is_checked_in_float32():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.1, 0.9, size=(16, 1)).astype(np.float32)
    y = np.tile([[0.0], [1.0]], (8, 1))
    (row,) = check_loss(sn.BCELoss(), p, y, rng=rng)
    assert (row.tensor, row.dtype, row.status) == ("dL/dp", "float32", "pass")
    (row,) = check_loss(sn.BCEWithLogitsLoss(), p.astype(np.float64), y, rng=rng)
    assert (row.tensor, row.dtype, row.status) == ("dL/dlogits", "float64", "pass")


class HalvedFocal(sn.FocalLoss):
    def backward(self, dL_out=1.0):
        return super().backward(dL_out) / 2


def test_a_wrong_loss_backward_fails_and_the_loss_is_left_as_for_its_inputs():
    p = np.linspace(0.2, 0.8, 6).reshape(-1, 1)
    y = np.array([[0.0], [1.0]] * 3)
    loss = HalvedFocal()
    (row,) = check_loss(loss, p, y, rng=0)
    assert row.status == "FAIL" and row.error == pytest.approx(1 / 3)
    fresh = HalvedFocal()
    fresh(p, y)
    np.testing.assert_array_equal(loss.backward(), fresh.backward())  # its cache: p_t, ...


class MeanUpstreamBCE(sn.BCELoss):
    """Wrong for reduction "none": uses the mean of the upstream gradient everywhere."""

    def backward(self, dL_out=1.0):
        return super().backward(np.full_like(dL_out, np.mean(dL_out)))


def test_an_unreduced_loss_gets_an_upstream_gradient_of_its_shape():
    p = np.linspace(0.2, 0.8, 6).reshape(-1, 1)
    y = np.array([[0.0], [1.0]] * 3)
    assert check_loss(sn.BCELoss(reduction="none"), p, y, rng=0)[0].status == "pass"
    assert check_loss(MeanUpstreamBCE(reduction="none"), p, y, rng=0)[0].status == "FAIL"


def test_check_results_are_frozen():
    row = TensorCheck("input", 0.0, 1e-7, "pass")
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.status = "FAIL"
    with pytest.raises(dataclasses.FrozenInstanceError):
        FLOAT64.tolerance = 1.0


# --- what the check leaves behind, and what it refuses -----------------------------------


class InPlaceTanh(sn.Module):
    def forward(self, x):
        self.y = np.tanh(x, out=x)
        return self.y

    def backward(self, dL_dy):
        return dL_dy * (1 - self.y**2)


def test_a_forward_that_writes_into_its_input_fails_and_the_callers_x_is_untouched():
    x = np.array([[0.5, -0.25, 1.0]])
    rows = check_gradients(InPlaceTanh(), x, rng=0)
    assert [(row.tensor, row.status, row.detail) for row in rows] == [
        ("input", "FAIL", "forward modified its input")
    ]
    np.testing.assert_array_equal(x, [[0.5, -0.25, 1.0]])


def caches(model):
    """Every array a model's modules hold: caches, parameters and their gradients."""
    held = [value for module in [model, *model] for value in vars(module).values()]
    held += [array for param in model.parameters() for array in (param.data, param.grad)]
    return [value.copy() for value in held if isinstance(value, np.ndarray)]


@pytest.mark.parametrize("last", [sn.Linear, TransposeMissing])  # passing, then failing
def test_the_model_is_left_as_after_one_pass_at_x(last):
    def model():
        rng = np.random.default_rng(7)
        return sn.Sequential(
            sn.Linear(3, 3, rng=rng), sn.Sigmoid(), last(3, 3, rng=rng), sn.Sigmoid()
        )

    x = np.random.default_rng(8).standard_normal((4, 3))
    checked = model()
    rows = check_gradients(checked, x, rng=9)
    assert any(row.status == "FAIL" for row in rows) == (last is TransposeMissing)
    twin = model()
    twin.forward(x)
    twin.backward(np.random.default_rng(9).standard_normal((4, 3)))  # the first draw
    for after, expected in zip(caches(checked), caches(twin), strict=True):
        np.testing.assert_array_equal(after, expected)


def test_a_network_names_the_first_module_that_fails_on_its_own():
    rng = np.random.default_rng(4)
    model = sn.Sequential(sn.Linear(3, 3, rng=rng), SigmoidWithoutOneMinusP(),
                          TransposeMissing(3, 3, rng=rng))  # fmt: skip
    x = rng.standard_normal((5, 3))
    assert first_failing_module(model, x, rng=0).startswith("module 1, ")
    rows = check_gradients(model, x, rng=0)
    assert [row.status for row in rows] == ["FAIL", "FAIL", "FAIL", "FAIL", "pass"]
    said = [row.detail.endswith("is the first to fail on its own") for row in rows]
    assert said == [True, False, False, False, False]  # once, on the first failing row


class Shift(sn.Module):
    def forward(self, x):
        return x + 10.0

    def backward(self, dL_dy):
        return dL_dy


class SquareWrongAboveFive(sn.Module):
    """y = x^2, whose backward is right below 5 and 1.5 times too large above it."""

    def forward(self, x):
        self.x = x
        return x**2

    def backward(self, dL_dy):
        return dL_dy * np.where(self.x < 5, 2, 3) * self.x


def test_each_module_is_checked_at_the_input_the_modules_before_it_give_it():
    x = np.random.default_rng(6).uniform(-1, 1, (4, 2))  # the square is wrong only at x + 10
    assert check_module(SquareWrongAboveFive(), x, rng=0)["input"] < 1e-8
    assert first_failing_module(sn.Sequential(Shift(), SquareWrongAboveFive()), x, rng=0) == (
        "module 1, SquareWrongAboveFive(), is the first to fail on its own"
    )


def test_a_module_is_named_when_any_one_of_its_tensors_fails():
    rng = np.random.default_rng(7)  # TransposeMissing: its weight fails, its input and bias pass
    model = sn.Sequential(sn.Linear(3, 3, rng=rng), TransposeMissing(3, 3, rng=rng))
    assert first_failing_module(model, rng.standard_normal((5, 3)), rng=0).startswith("module 1, ")


def test_a_network_whose_modules_each_pass_says_so():
    class SkipsItsMiddle(sn.Sequential):
        def backward(self, dL_dy):
            return self.modules[0].backward(self.modules[2].backward(dL_dy))

    rng = np.random.default_rng(5)
    model = SkipsItsMiddle(sn.Linear(3, 3, rng=rng), sn.Sigmoid(), sn.Linear(3, 3, rng=rng))
    x = rng.standard_normal((5, 3))
    assert first_failing_module(model, x, rng=0) == (
        "no module fails on its own: check how the model chains them"
    )


def test_the_input_is_checked_at_the_front_door_first():
    with pytest.raises(ValueError, match="x must have 3 columns|3 features"):
        check_gradients(sn.Linear(3, 1, rng=0), np.ones((2, 4)))
    with pytest.raises(TypeError, match="module must be a scratchnet Module.*got a BCELoss"):
        check_module(sn.BCELoss(), np.full((2, 1), 0.5))


# --- inputs the checker draws ------------------------------------------------------------


def counted(statuses):
    """A check returning rows of these statuses in turn, and the list of draws it saw."""
    draws = []

    def check(x):
        draws.append(x)
        return [TensorCheck(str(i), 0.0, 1e-7, status) for i, status in enumerate(statuses.pop(0))]

    return check, draws


@pytest.mark.parametrize(
    ("statuses", "draws", "final"),
    [
        ([["pass"]], 1, ["pass"]),
        ([["FAIL", "inconclusive"]], 1, ["FAIL", "inconclusive"]),
        ([["inconclusive"], ["pass", "inconclusive"], ["pass", "pass"]], 3, ["pass", "pass"]),
        ([["inconclusive"]] * 4, 4, ["inconclusive"]),
    ],
)
def test_an_inconclusive_check_is_drawn_again_at_most_three_times(statuses, draws, final):
    check, seen = counted(statuses)
    numbers = iter(range(10))
    rows = check_drawn(check, lambda: next(numbers))
    assert RETRIES == 3 and seen == list(range(draws))
    assert [row.status for row in rows] == final


def test_inputs_away_from_kinks_keep_every_relu_input_beyond_the_margin():
    rng = np.random.default_rng(6)
    model = sn.Sequential(sn.Linear(2, 8, rng=rng), sn.ReLU(), sn.Linear(8, 1, rng=rng))
    x = inputs_away_from_kinks(model, rng, 30)
    assert x.shape == (30, 2) and KINK_MARGIN == 0.05
    assert np.abs(model[0].forward(x)).min() > KINK_MARGIN


def test_inputs_away_from_kinks_gives_up_after_a_hundred_draws_with_a_sentence():
    stuck = sn.Sequential(sn.Linear(2, 1, rng=0), sn.ReLU())
    stuck[0].weight.data[:] = 0.0
    stuck[0].bias.data[:] = 0.0  # its ReLU input is 0 whatever the input
    rng, twin = np.random.default_rng(0), np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"^found only 0 of 3 inputs whose every ReLU input is "
                       r"0\.05 or more from 0 \(a unit whose input never strays that far, say\); "
                       r"try a smaller margin$"):  # fmt: skip
        inputs_away_from_kinks(stuck, rng, 3)
    for _ in range(100):
        twin.standard_normal((12, 2))
    assert rng.standard_normal() == twin.standard_normal()  # exactly 100 draws of 4 n rows


def identity_then_relu():
    model = sn.Sequential(sn.Linear(1, 1, rng=0), sn.ReLU())
    model[0].weight.data[:] = 1.0
    model[0].bias.data[:] = 0.0  # the ReLU's input is the input itself
    return model


def test_inputs_away_from_kinks_keep_only_what_is_strictly_beyond_the_margin_and_stop_at_n():
    n, twin = 5, np.random.default_rng(1)
    first = twin.standard_normal((4 * n, 1))  # what the first draw will be
    margin = np.sort(np.abs(first[:, 0]))[-(n + 1)]  # exactly n rows lie beyond it
    rng = np.random.default_rng(1)
    x = inputs_away_from_kinks(identity_then_relu(), rng, n, margin=margin)
    np.testing.assert_array_equal(x, first[np.abs(first[:, 0]) > margin])
    assert rng.standard_normal() == twin.standard_normal()  # one draw was enough


def test_the_report_is_a_table_then_the_steps_then_what_went_wrong():
    checks = {
        "A": [TensorCheck("input", 2.5e-13, 1e-7, "pass")],
        "Bee": [TensorCheck("w", 0.5, 1e-2, "FAIL", "float32", "at [0] backward gives 1")],
    }
    assert format_table(checks).splitlines() == [
        "checked  tensor      dtype      worst rel. error  tolerance  result",
        "A        input       float64            2.50e-13      1e-07  pass",
        "Bee      w           float32            5.00e-01      1e-02  FAIL",
        "float64: step h = 0.001, tolerance 1e-07 on |a - b| / max(|a| + |b|, 1e-12)",
        "float32: step h = 0.01, tolerance 0.01 on |a - b| / max(|a| + |b|, 0.01)",
        "Bee, w: at [0] backward gives 1",
    ]


# --- The checker's helpers at their edges: what they accept as input ------------------------------


def test_numerical_vjp_works_in_float64_on_a_copy_of_any_real_input():
    x32 = np.array([[0.3, -1.2], [2.0, 0.7]], dtype=np.float32)
    upstream = np.array([[1.0, -0.5], [0.25, 2.0]])
    exact = upstream * (1 - np.tanh(x32.astype(np.float64)) ** 2)
    for x in (x32, x32.tolist()):
        vjp = numerical_vjp(np.tanh, x, upstream)
        assert vjp.dtype == np.float64
        np.testing.assert_allclose(vjp, exact, rtol=1e-10)  # float32 steps: ~1e-4 at best
    np.testing.assert_array_equal(x32, np.array([[0.3, -1.2], [2.0, 0.7]], dtype=np.float32))


def test_check_loss_takes_integer_inputs_as_the_losss_front_door_does():
    logits, y = np.array([[-2], [1], [3], [0]]), np.array([[0.0], [1.0], [0.0], [1.0]])
    (check,) = check_loss(sn.BCEWithLogitsLoss(), logits, y, rng=0)
    assert check.status == "pass" and check.dtype == "float64"


def test_a_loss_on_probabilities_too_close_to_0_or_1_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match=r"inputs must lie in \[0.002, 0.998\]"):
        check_loss(sn.BCELoss(), [[1e-3]], [[1]])


def test_numerical_gradient_works_in_float64_on_a_copy_of_integer_input():
    for x in (np.array([1, 2]), [1, 2]):  # an int array would round every step to 0
        gradient = numerical_gradient(lambda v: np.sum(v**2), x)
        np.testing.assert_allclose(gradient, [2.0, 4.0], rtol=1e-12)


def test_relative_error_reads_integers_as_numbers_even_where_their_abs_wraps():
    # |int8(-128)| is -128 in int8; as a number it is 128, so each pair is 1 apart in 1.
    most_negative, zero = np.int8([-128, 0]), np.int8([0, -128])
    np.testing.assert_array_equal(relative_error(most_negative, zero), [1.0, 1.0])


def test_max_relative_error_is_a_python_float_that_prints_as_a_number():
    worst = max_relative_error(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    assert type(worst) is float and repr([worst]) == "[0.2]"  # not [np.float64(0.2)]


def test_each_rows_error_is_a_python_float_that_prints_as_a_number():
    errors = check_module(sn.Linear(2, 1, rng=0), np.array([[0.5, -1.0]]), rng=0)
    assert all(type(error) is float for error in errors.values())


class ScaleIntoOneBuffer(sn.Module):
    """y = 3x, written into one output array that every forward reuses."""

    def forward(self, x):
        if getattr(self, "out", None) is None or self.out.shape != x.shape:
            self.out = np.empty_like(x)
        self.out[...] = 3 * x
        return self.out

    def backward(self, dL_dy):
        return 3 * dL_dy


def test_a_forward_that_reuses_its_output_array_is_compared_on_copies_of_each_output():
    (row,) = check_gradients(ScaleIntoOneBuffer(), np.array([[0.5, -1.0]]), rng=0)
    assert row.status == "pass" and row.error < 1e-10


class Float32Identity(sn.Module):
    dtype = np.float32

    def forward(self, x):
        return x.copy()

    def backward(self, dL_dy):
        return dL_dy


def test_a_float32_step_is_measured_as_x_stored_it_so_its_rounding_drops_out():
    # Near 0, x + h and x are far apart in float32, and float32 could not subtract them
    # exactly; in float64 the step taken is exact, and so the identity's estimate is dL_dy.
    x = np.array([[0.001, -0.0013, 0.0007, 0.0031, -0.0049]], dtype=np.float32)
    (row,) = check_gradients(Float32Identity(), x, rng=0)
    assert row.dtype == "float32" and row.error == 0.0


def test_numerical_gradient_subtracts_in_float64_what_f_returns_in_float32():
    def f(v):  # 10^v, rounded to float32: at h = 1, 1 - 10^-1 is not exact in float32
        return np.float32(10.0) ** np.float32(v[0])

    as_float64 = numerical_gradient(lambda v: float(f(v)), [0.0], h=1.0)
    np.testing.assert_array_equal(numerical_gradient(f, [0.0], h=1.0), as_float64)
