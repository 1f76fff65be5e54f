"""The front doors' checks at their edges: the ends of [0, 1], single numbers, NumPy
integers, and an attribute that is merely missing. Each test closes a gap a mutation run
found."""

import math

import numpy as np
import pytest

import scratchnet as sn


def test_probabilities_of_exactly_0_and_1_are_accepted():
    loss = sn.BCELoss()([[0.0], [1.0]], [[0.0], [1.0]])
    assert loss == 0.0


def test_a_loss_takes_a_single_number_for_p_and_for_y():
    assert sn.BCELoss()(0.3, 1) == pytest.approx(-math.log(0.3), rel=1e-15)


def test_whole_number_settings_given_as_numpy_integers_are_kept_as_python_ints():
    layer = sn.Linear(np.int64(2), np.int32(3), rng=np.int64(0))
    assert type(layer.in_features) is int and type(layer.out_features) is int


def test_a_missing_attribute_outside_backward_is_pythons_usual_error():
    with pytest.raises(AttributeError, match="^'Linear' object has no attribute 'wieght'$"):
        sn.Linear(2, 3, rng=0).wieght  # noqa: B018 (the attribute read is the test)
