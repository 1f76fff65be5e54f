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


def test_sequential_refuses_the_same_module_in_two_places():
    relu = sn.ReLU()
    with pytest.raises(ValueError, match=r"module 3 \(ReLU\(\)\) already appears earlier"):
        sn.Sequential(sn.Linear(3, 4, rng=0), relu, sn.Linear(4, 4, rng=0), relu)


@np.errstate(over="ignore")  # NumPy's own overflow warning is expected here
def test_an_overflow_inside_the_network_is_a_floating_point_error_not_a_bad_argument():
    huge = sn.Linear(2, 2, rng=0)
    huge.weight.data[...] = 1e308
    model = sn.Sequential(huge, sn.ReLU())
    with pytest.raises(FloatingPointError, match="the output of module 0 contains NaN or inf"):
        model.forward(np.array([[10.0, 10.0]]))

    model = sn.Sequential(sn.Linear(2, 2, rng=0), sn.Linear(2, 2, rng=0))
    model.modules[1].weight.data[...] = 1e308
    model.forward(np.full((1, 2), 1e-300))
    with pytest.raises(FloatingPointError, match="module 1's dL/dx contains NaN or infinity"):
        model.backward(np.full((1, 2), 10.0))


def test_the_users_own_bad_input_is_still_a_value_error():
    model = sn.Sequential(sn.Linear(2, 2, rng=0), sn.ReLU())
    with pytest.raises(ValueError, match="x must be finite"):
        model.forward(np.array([[np.inf, 0.0]]))
    model.forward(np.ones((1, 2)))
    with pytest.raises(ValueError, match="grad_output must be finite"):
        model.backward(np.array([[np.nan, 0.0]]))
