"""Saved states at their edges: copies, plain Python values, one bad entry. Each test
closes a gap a mutation run found."""

import numpy as np
import pytest

import scratchnet as sn


def trained_adam():
    model = sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU(), sn.Linear(3, 1, rng=1))
    adam = sn.Adam(model.parameters(), lr=0.01)
    for param in model.parameters():
        param.grad = np.ones_like(param.data)
    adam.step()
    return model, adam


def test_an_optimizer_state_is_a_copy_that_later_steps_do_not_change():
    _, adam = trained_adam()
    state = adam.state_dict()
    saved = {key: np.copy(value) for key, value in state.items()}
    adam.step()
    for key, value in state.items():
        np.testing.assert_array_equal(value, saved[key], err_msg=key)


def test_an_optimizer_state_of_plain_python_values_loads():
    # As a state written to JSON and read back would be: lists, floats, ints and a str.
    model, adam = trained_adam()
    plain = {key: value.tolist() for key, value in adam.state_dict().items()}
    restored = sn.Adam(model.parameters(), lr=0.01)
    restored.load_state_dict(plain)
    assert restored.step_count == 1
    for before, after in zip(adam.exp_avg_sq, restored.exp_avg_sq):
        np.testing.assert_array_equal(before, after)


def test_one_nan_among_finite_saved_values_is_refused_and_changes_nothing():
    model, _ = trained_adam()
    state = model.state_dict()
    before = model.state_dict()
    state["2.weight"] = state["2.weight"].copy()
    state["2.weight"][1, 0] = np.nan
    with pytest.raises(ValueError, match="2.weight: the saved values contain NaN or infinity"):
        model.load_state_dict(state)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])
