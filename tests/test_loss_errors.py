"""Bad input to the losses gets a sentence that names the argument."""

import numpy as np
import pytest

import scratchnet as sn

ALL_LOSSES = [sn.BCELoss, sn.FocalLoss, sn.BCEWithLogitsLoss, sn.FocalLossWithLogits]
P = np.array([[0.2], [0.7]])
Y = np.array([[0.0], [1.0]])


@pytest.mark.parametrize("make", ALL_LOSSES)
@pytest.mark.parametrize(
    ("inputs", "y", "error", "message"),
    [
        (P, np.array([[0.5], [1.0]]), ValueError, "y must hold only the labels 0 and 1, found 0.5"),
        (P, np.array([[2], [1]]), ValueError, "y must hold only the labels 0 and 1, found 2"),
        (P, np.array([[np.nan], [1.0]]), ValueError, "y must be finite"),
        (np.array([[np.nan], [0.5]]), Y, ValueError, "must be finite"),
        (np.array([[np.inf], [0.5]]), Y, ValueError, "must be finite"),
        (P, np.ones(3), ValueError, r"and y must have the same shape, got \(2, 1\) and \(3,\)"),
        (np.zeros((0, 1)), np.zeros((0, 1)), ValueError, "must not be empty"),
        (np.array([["a"], ["b"]]), Y, TypeError, "must be an array of real numbers"),
        (P, "labels", TypeError, "y must be an array of numbers"),
    ],
)
def test_bad_inputs_and_labels(make, inputs, y, error, message):
    with pytest.raises(error, match=message):
        make()(inputs, y)


@pytest.mark.parametrize("make", [sn.BCELoss, sn.FocalLoss])
@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_probabilities_outside_zero_one(make, bad):
    with pytest.raises(ValueError, match=r"p must hold probabilities in \[0, 1\].*logits"):
        make()(np.array([bad, 0.5]), np.array([1.0, 0.0]))


@pytest.mark.parametrize("make", ALL_LOSSES)
def test_unknown_reduction(make):
    with pytest.raises(
        ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"
    ):
        make(reduction="avg")


@pytest.mark.parametrize("make", ALL_LOSSES)
def test_backward_before_forward(make):
    with pytest.raises(ValueError, match="backward was called before forward"):
        make().backward()


@pytest.mark.parametrize("make", [sn.FocalLoss, sn.FocalLossWithLogits])
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"gamma": -1.0}, ValueError, "gamma must be a non-negative finite number, got -1.0"),
        ({"gamma": float("nan")}, ValueError, "gamma must be a non-negative finite number"),
        ({"gamma": "2"}, TypeError, "gamma must be a non-negative number"),
        ({"alpha": 1.5, "alpha_mode": "per_class"}, ValueError, r"alpha must be in \[0, 1\]"),
        ({"alpha": -0.25, "alpha_mode": "per_class"}, ValueError, r"alpha must be in \[0, 1\]"),
        ({"alpha": 0.0}, ValueError, "alpha must be a positive number with alpha_mode='constant'"),
        ({"alpha": "0.25"}, TypeError, "alpha must be a number or None"),
        (
            {"alpha_mode": "paper"},
            ValueError,
            r"alpha_mode must be one of \('constant', 'per_class'\)",
        ),
    ],
)
def test_bad_focal_options(make, kwargs, error, message):
    with pytest.raises(error, match=message):
        make(**kwargs)


@pytest.mark.parametrize(
    ("eps", "error"),
    [(0.0, ValueError), (0.5, ValueError), (-1e-7, ValueError), ("tiny", TypeError)],
)
def test_bad_clamp_eps(eps, error):
    with pytest.raises(error, match=r"eps must be a number in \(0, 0.5\)"):
        sn.FocalLoss(eps=eps)


def test_a_clamp_too_fine_for_float32_is_refused_rather_than_rounded_to_log_0():
    focal = sn.FocalLoss(eps=1e-8)  # fine in float64, where 1 - 1e-8 < 1
    focal(np.array([0.5, 1.0]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"eps=1e-08 is too small for float32 .* eps >= 5.96e-08"):
        focal(np.array([0.5, 1.0], dtype=np.float32), np.array([1.0, 0.0]))


def test_bad_upstream_gradients():
    per_element = sn.BCELoss(reduction="none")
    per_element(P, Y)
    with pytest.raises(ValueError, match=r"grad_output must have the shape of the unreduced loss"):
        per_element.backward(np.ones(3))
    averaged = sn.BCELoss()
    averaged(P, Y)
    with pytest.raises(TypeError, match="grad_output must be a number for reduction 'mean'"):
        averaged.backward(np.ones((2, 1)))
