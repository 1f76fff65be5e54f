"""Bad input to the layers gets a sentence that names the argument, never a NumPy traceback."""

import numpy as np
import pytest

import scratchnet as sn


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0, 3), ValueError, "in_features must be a positive integer, got 0"),
        ((2, -1), ValueError, "out_features must be a positive integer, got -1"),
        ((2.5, 3), TypeError, "in_features must be a positive integer, got 2.5"),
        (("2", 3), TypeError, "in_features must be a positive integer"),
        ((True, 3), TypeError, "in_features must be a positive integer"),
        ((2, None), TypeError, "out_features must be a positive integer"),
    ],
)
def test_bad_layer_sizes(args, error, message):
    with pytest.raises(error, match=message):
        sn.Linear(*args)


def test_bad_dtype_and_rng():
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got int32"):
        sn.Linear(2, 2, dtype=np.int32)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        sn.Linear(2, 2, rng="seed")
    with pytest.raises(ValueError, match="rng as a seed must be a non-negative integer"):
        sn.Linear(2, 2, rng=-1)


@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        (np.ones((4, 3)), ValueError, r"x must have 2 features \(columns\).*got shape \(4, 3\)"),
        (
            np.ones(2),
            ValueError,
            r"x must be a 2-D array of shape \(N, features\), got shape \(2,\)",
        ),
        (np.ones((1, 2, 2)), ValueError, "x must be a 2-D array"),
        (np.ones((0, 2)), ValueError, "x must not be empty"),
        (np.array([[1.0, np.nan]]), ValueError, "x must be finite, but it contains NaN"),
        (np.array([[np.inf, 1.0]]), ValueError, "x must be finite"),
        (np.array([["a", "b"]]), TypeError, "x must be an array of real numbers"),
        ("not an array", TypeError, "x must be an array of numbers"),
    ],
)
def test_bad_input_to_forward(x, error, message):
    model = sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU())
    with pytest.raises(error, match=message):
        model.forward(x)


@pytest.mark.parametrize("layer", [sn.Linear(2, 2, rng=0), sn.ReLU(), sn.Sigmoid()])
def test_activations_refuse_nan_too(layer):
    with pytest.raises(ValueError, match="x must be finite"):
        layer.forward(np.array([[np.nan, 0.0]]))


@pytest.mark.parametrize(
    "module",
    [sn.Linear(2, 2, rng=0), sn.ReLU(), sn.Sigmoid(), sn.Sequential(sn.Linear(2, 1, rng=0))],
)
def test_backward_before_forward(module):
    with pytest.raises(ValueError, match="backward was called before forward"):
        module.backward(np.ones((1, 2)))


@pytest.mark.parametrize("layer", [sn.Linear(2, 3, rng=0), sn.ReLU(), sn.Sigmoid()])
def test_grad_output_of_the_wrong_shape(layer):
    layer.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"grad_output must have the shape of the last output"):
        layer.backward(np.ones((4, 7)))


def test_sequential_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match="module 1 is a function"):
        sn.Sequential(sn.Linear(2, 2, rng=0), lambda x: x)
    with pytest.raises(ValueError, match="at least one module"):
        sn.Sequential()
