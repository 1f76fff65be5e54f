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
    with pytest.raises(NotImplementedError):
        Frozen(params).step()
