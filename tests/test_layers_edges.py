"""Layers at their edges: which module an overflow message names in a longer model. Each
test closes a gap a mutation run found."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.gradcheck import numerical_vjp


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
