"""The gradient checker at its edges: what its helpers accept as input. Each test closes a
gap a mutation run found."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.gradcheck import check_loss, numerical_vjp


def test_numerical_vjp_works_in_float64_on_a_copy_of_any_real_input():
    x32 = np.array([[0.3, -1.2], [2.0, 0.7]], dtype=np.float32)
    upstream = np.array([[1.0, -0.5], [0.25, 2.0]])
    exact = upstream * (1 - np.tanh(x32.astype(np.float64)) ** 2)
    for x in (x32, x32.tolist()):
        vjp = numerical_vjp(np.tanh, x, upstream)
        assert vjp.dtype == np.float64
        np.testing.assert_allclose(vjp, exact, rtol=1e-10)  # float32 steps: ~1e-4 at best
    np.testing.assert_array_equal(x32, np.array([[0.3, -1.2], [2.0, 0.7]], dtype=np.float32))


def test_check_loss_takes_integer_inputs_as_the_losss_front_door_does():
    logits, y = np.array([[-2], [1], [3], [0]]), np.array([[0.0], [1.0], [0.0], [1.0]])
    (check,) = check_loss(sn.BCEWithLogitsLoss(), logits, y, rng=0)
    assert check.status == "pass" and check.dtype == "float64"


def test_a_loss_on_probabilities_too_close_to_0_or_1_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match=r"inputs must lie in \[0.002, 0.998\]"):
        check_loss(sn.BCELoss(), [[1e-3]], [[1]])
