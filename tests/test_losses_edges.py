"""Losses at their edges: float32 kept end to end, backward's default upstream gradient.
Each test closes a gap a mutation run found."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.gradcheck import numerical_gradient

LOSSES = [sn.BCELoss, sn.FocalLoss, sn.BCEWithLogitsLoss, sn.FocalLossWithLogits]


@pytest.mark.parametrize("make", LOSSES, ids=lambda make: make.__name__)
def test_float32_in_gives_float32_losses_and_gradients_out(make):
    inputs = np.array([[0.2], [0.7], [0.999]], dtype=np.float32)
    y = np.array([[0.0], [1.0], [1.0]], dtype=np.float32)
    loss_fn = make(reduction="none")
    assert loss_fn(inputs, y).dtype == np.float32
    assert loss_fn.backward(np.ones((3, 1), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("make", LOSSES, ids=lambda make: make.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_backward_with_no_argument_is_the_gradient_of_the_loss_itself(make, reduction):
    # dL_out defaults to 1: backward() is dL/d(input) of the number forward returned,
    # which is what training steps on (a default of 2 would double every step of SGD).
    inputs = np.array([[0.2], [0.7], [0.4], [0.9]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    loss_fn = make(reduction=reduction)
    loss_fn(inputs, y)
    analytic = loss_fn.backward()
    numerical = numerical_gradient(lambda v: loss_fn.forward(v, y), inputs)
    np.testing.assert_allclose(analytic, numerical, rtol=1e-7)
