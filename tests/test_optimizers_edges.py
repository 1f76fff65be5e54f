"""Optimizers at their edges: how they print, and one of your own without a step. Each
test closes a gap a mutation run found."""

import numpy as np
import pytest

import scratchnet as sn


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
