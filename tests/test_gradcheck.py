"""The gradient checker itself: exact on known derivatives, and it catches wrong backwards."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.gradcheck import (
    check_module,
    max_relative_error,
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
