"""Linear's initialisation: PyTorch's default distribution, reproducible, dtype honoured."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.article.experiment import article_network


def test_initial_values_lie_inside_the_bound():
    for fan_in in (1, 2, 16, 300):
        layer = sn.Linear(fan_in, 50, rng=fan_in)
        bound = 1 / np.sqrt(fan_in)
        assert np.all(np.abs(layer.weight.data) <= bound)
        assert np.all(np.abs(layer.bias.data) <= bound)


def test_initial_weight_variance_is_one_over_three_fan_in():
    # Uniform(-k, k) has variance k^2 / 3; with k = 1 / sqrt(fan_in), that is 1 / (3 fan_in).
    # 200,000 draws estimate it to about 0.3% (one standard error); 2% is ~7 of those.
    fan_in = 200
    layer = sn.Linear(fan_in, 1000, rng=np.random.default_rng(7))
    assert np.var(layer.weight.data) == pytest.approx(1 / (3 * fan_in), rel=0.02)
    assert abs(np.mean(layer.weight.data)) < 0.01 / np.sqrt(fan_in)


def test_same_seed_gives_identical_weights_and_different_seeds_do_not():
    first = article_network(np.random.default_rng(42))
    second = article_network(np.random.default_rng(42))
    other = article_network(np.random.default_rng(43))
    for a, b, c in zip(first.parameters(), second.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
        assert not np.array_equal(a.data, c.data)


def test_an_integer_seed_is_the_same_as_a_generator_with_that_seed():
    np.testing.assert_array_equal(
        sn.Linear(3, 4, rng=9).weight.data,
        sn.Linear(3, 4, rng=np.random.default_rng(9)).weight.data,
    )


def test_weight_is_drawn_before_bias_from_the_generator():
    layer = sn.Linear(4, 3, rng=np.random.default_rng(11))
    rng = np.random.default_rng(11)
    np.testing.assert_array_equal(layer.weight.data, rng.uniform(-0.5, 0.5, size=(4, 3)))
    np.testing.assert_array_equal(layer.bias.data, rng.uniform(-0.5, 0.5, size=3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_honoured_end_to_end(dtype):
    rng = np.random.default_rng(0)
    model = article_network(rng, dtype=dtype)
    x = rng.standard_normal((10, 2))  # float64 input is converted to the layers' dtype
    p = model.forward(x)
    dx = model.backward(np.ones_like(p))
    assert p.dtype == dtype and dx.dtype == dtype
    for param in model.parameters():
        assert param.data.dtype == dtype and param.grad.dtype == dtype


def test_float32_model_agrees_with_float64_model_to_float32_precision():
    model64 = article_network(np.random.default_rng(3))
    model32 = article_network(np.random.default_rng(3), dtype=np.float32)
    x = np.random.default_rng(4).standard_normal((50, 2))
    np.testing.assert_allclose(model32.forward(x), model64.forward(x), rtol=1e-5)


def test_integer_input_is_accepted_and_converted():
    layer = sn.Linear(2, 3, rng=0)
    np.testing.assert_array_equal(layer(np.array([[1, 2]])), layer([[1.0, 2.0]]))
