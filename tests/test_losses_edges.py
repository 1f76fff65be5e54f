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


class SquaredError(sn.Loss):
    """A loss of one's own, l = (p - y)^2, that averages by itself instead of calling
    reduce, and lets through_reduction turn dL_out into dL/dl."""

    def forward(self, p, y):
        self.p, self.y = p, y
        return float(np.mean((p - y) ** 2))

    def backward(self, dL_out=1.0):
        return self.through_reduction(dL_out) * 2 * (self.p - self.y)


def test_a_loss_of_ones_own_may_reduce_by_itself_and_still_use_through_reduction():
    loss_fn = SquaredError()
    p, y = np.array([[0.2], [0.9]]), np.array([[0.0], [1.0]])
    assert loss_fn(p, y) == pytest.approx((0.04 + 0.01) / 2)
    np.testing.assert_allclose(loss_fn.backward(), [[0.2], [-0.1]])


@pytest.mark.parametrize("make", [sn.FocalLoss, sn.FocalLossWithLogits])
def test_whole_numbers_given_as_options_are_read_and_shown_as_floats(make):
    loss_fn = make(alpha=1, gamma=2, alpha_mode="per_class")
    assert type(loss_fn.alpha) is float and type(loss_fn.gamma) is float
    assert repr(loss_fn).startswith(f"{make.__name__}(alpha=1.0, gamma=2.0, alpha_mode='per_class'")


@pytest.mark.parametrize("alpha", [0, 1])
def test_a_per_class_alpha_may_put_all_the_weight_on_one_class(alpha):
    p, y = np.array([[0.3], [0.6]]), np.array([[1.0], [0.0]])
    per_element = sn.FocalLoss(alpha=alpha, alpha_mode="per_class", reduction="none")(p, y)
    assert (per_element[:, 0] > 0).tolist() == [alpha == 1, alpha == 0]  # alpha for y = 1
