"""train() at its edges: where the loss is checked, what the validation loss goes through,
and when a flat loss counts as a collapse. Each test closes a gap a mutation run found."""

import json
import re
import time

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.training import has_collapsed, has_diverged

X = np.linspace(-1.0, 1.0, 12).reshape(-1, 1)
LABELS = (X[:, 0] > 0).astype(float)


class CountingBCELoss(sn.BCELoss):
    """BCE that counts how often its front door checked the model's output."""

    checks = 0

    def check_input(self, p):
        self.checks += 1
        super().check_input(p)


def probabilities_model(weight=0.1, bias=0.5):
    """p = 0.1 x + 0.5: a probability for |x| < 5, outside [0, 1] beyond."""
    model = sn.Linear(1, 1, rng=0)
    model.weight.data[...] = weight
    model.bias.data[...] = bias
    return model


# --- where the loss's front door checks the model's output -----------------------------------


@pytest.mark.parametrize("batch_size", [None, 5])
def test_the_loss_checks_the_models_output_at_the_first_step_only(batch_size):
    model = probabilities_model()
    loss_fn = CountingBCELoss()
    optimizer = sn.SGD(model.parameters(), lr=0.01)
    history = sn.train(model, loss_fn, optimizer, X, LABELS, epochs=3, batch_size=batch_size, rng=0)
    assert loss_fn.checks == 1  # then forward alone: 3 steps full batch, 9 in batches of 5
    assert optimizer.step_count == (3 if batch_size is None else 9)
    assert np.isfinite(history).all()


def test_an_output_outside_0_1_in_the_first_mini_batch_is_refused_before_any_step():
    model = probabilities_model(weight=1.0)  # p = x + 0.5 leaves [0, 1] for |x| > 0.5
    optimizer = sn.SGD(model.parameters(), lr=0.01)
    with pytest.raises(ValueError, match=r"p must hold probabilities in \[0, 1\], found"):
        sn.train(model, sn.BCELoss(), optimizer, X, LABELS, epochs=1, batch_size=6, rng=0)
    assert optimizer.step_count == 0


def test_an_overflow_in_some_rows_of_the_first_batch_names_the_module():
    # Row 0 overflows to inf and -inf in module 0, whose sum is NaN in module 1; row 1 is
    # fine. The loss is NaN, and the message names the module where it began (the loss's
    # front door would have said only that p is not finite).
    model = sn.Sequential(sn.Linear(1, 2, rng=0), sn.Linear(2, 1, rng=0), sn.Sigmoid())
    model[0].weight.data[...] = [[1e308, -1e308]]
    model[1].weight.data[...] = 1.0
    with pytest.raises(
        FloatingPointError, match=r"loss became nan at epoch 1: the output of module 0 contains"
    ):
        sn.train(
            model, sn.BCELoss(), sn.SGD(model.parameters(), lr=0.01), [[10.0], [0.0]], [1, 0],
            epochs=1,
        )  # fmt: skip


# --- the validation loss goes through the checked front doors ---------------------------------


def test_a_validation_output_outside_0_1_is_refused_not_recorded_as_nan():
    model = probabilities_model()  # a probability on the training rows, 1.5 at x = 10
    with pytest.raises(ValueError, match=r"p must hold probabilities in \[0, 1\], found 1\.5"):
        sn.train(
            model, sn.BCELoss(), sn.SGD(model.parameters(), lr=1e-9), X, LABELS, epochs=1,
            validation=([[10.0]], [1]),
        )  # fmt: skip


def test_a_validation_output_that_overflows_names_the_module():
    model = sn.Sequential(sn.Linear(1, 2, rng=0), sn.Linear(2, 1, rng=0), sn.Sigmoid())
    model[0].weight.data[...] = [[1e308, -1e308]]  # x = 10 gives inf and -inf, then NaN
    model[1].weight.data[...] = 1.0
    with pytest.raises(FloatingPointError, match="the output of module 0 contains NaN"):
        sn.train(
            model, sn.BCELoss(), sn.SGD(model.parameters(), lr=1e-9), X * 1e-300, LABELS,
            epochs=1, validation=([[10.0]], [1]),
        )  # fmt: skip


def test_the_validation_loss_is_the_trained_models_mean_loss_on_the_validation_rows():
    model = probabilities_model()
    X_val, y_val = np.array([[-0.8], [0.3], [0.9]]), np.array([0.0, 1.0, 1.0])
    history = sn.train(
        model, sn.BCELoss(), sn.SGD(model.parameters(), lr=0.1), X, LABELS, epochs=2,
        validation=(X_val, y_val),
    )  # fmt: skip
    p = model.forward(X_val).ravel()
    expected = -np.mean(y_val * np.log(p) + (1 - y_val) * np.log(1 - p))
    assert history.validation[-1] == pytest.approx(expected, rel=1e-12)
    assert history.validation[0] != history.validation[1]  # after each epoch's step


class Float32MeanSquaredError:
    """A loss of one's own that returns a NumPy float32, as np.mean of float32 arrays does."""

    def forward(self, p, y):
        self.difference = p - y
        return np.mean(self.difference**2)

    def backward(self):
        return 2 * self.difference / self.difference.size


def test_the_history_holds_python_floats_whatever_number_the_loss_returns():
    X32, y32 = X.astype(np.float32), LABELS.astype(np.float32)
    model = sn.Linear(1, 1, rng=0, dtype=np.float32)
    history = sn.train(
        model, Float32MeanSquaredError(), sn.SGD(model.parameters(), lr=0.1), X32, y32,
        epochs=2, validation=(X32, y32),
    )  # fmt: skip
    assert all(type(loss) is float for loss in [*history, *history.validation])
    assert json.loads(json.dumps([history, history.validation])) == [history, history.validation]


def test_each_progress_line_shows_that_epochs_loss_and_validation_loss(capsys):
    model = sn.Sequential(sn.Linear(1, 1, rng=0), sn.Sigmoid())
    history = sn.train(
        model, sn.BCELoss(), sn.SGD(model.parameters(), lr=0.5), X, LABELS, epochs=3,
        validation=(X[::2], LABELS[::2]), verbose=True,
    )  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert len(set(history)) == len(set(history.validation)) == 3  # three different values
    for epoch, line in enumerate(lines, start=1):
        loss, validation = history[epoch - 1], history.validation[epoch - 1]
        assert line.startswith(
            f"epoch {epoch}/3: loss {loss:.6f}, validation loss {validation:.6f} ("
        )


def test_each_progress_line_shows_the_seconds_its_epoch_took(capsys):
    model = sn.Sequential(sn.Linear(1, 1, rng=0), sn.Sigmoid())
    start = time.perf_counter()
    sn.train(model, sn.BCELoss(), sn.SGD(model.parameters(), lr=0.1), X, LABELS, epochs=3,
             verbose=True)  # fmt: skip
    elapsed = time.perf_counter() - start
    lines = capsys.readouterr().out.splitlines()
    seconds = [float(re.search(r"\((\d+\.\d{3}) s\)$", line).group(1)) for line in lines]
    assert len(seconds) == 3 and sum(seconds) <= elapsed + 0.003


def test_the_collapse_warning_says_where_the_loss_stayed():
    model = sn.Sequential(sn.Linear(1, 1, rng=0), sn.Sigmoid())
    with pytest.warns(sn.training.CollapseWarning) as record:
        history = sn.train(
            model, sn.BCELoss(), sn.SGD(model.parameters(), lr=1e6), X, LABELS, epochs=10
        )
    assert history[0] != history[-1]
    assert f"the loss stayed at {history[-1]:.6g} over the last epochs" in str(record[0].message)


class RecordingWeightedBCELoss(sn.BCELoss):
    """BCE that records each batch's loss and the weights it was given."""

    def __init__(self):
        super().__init__()
        self.batches = []

    def forward(self, p, y, sample_weight=None):
        loss = super().forward(p, y, sample_weight)
        self.batches.append((loss, sample_weight))
        return loss


def test_in_float32_a_weighted_epochs_loss_is_still_summed_in_python_floats():
    # history[e] = sum_b L_b * SW_b / SW, each share computed in float64 from the float32
    # weights' sums, so float32 costs no digits of the epoch's loss.
    X32 = np.linspace(-1.0, 1.0, 10, dtype=np.float32).reshape(-1, 1)
    y32 = (X32 > 0).astype(np.float32)
    weights = np.array([0.1, 0.7, 1.3, 0.2, 2.9, 0.3, 1.1, 0.6, 0.4, 1.7], dtype=np.float32)
    model = sn.Sequential(sn.Linear(1, 1, rng=0, dtype=np.float32), sn.Sigmoid())
    loss_fn = RecordingWeightedBCELoss()
    history = sn.train(
        model, loss_fn, sn.SGD(model.parameters(), lr=0.1), X32, y32, epochs=1, batch_size=3,
        rng=0, sample_weight=weights,
    )  # fmt: skip
    total, expected = float(np.sum(weights.reshape(-1, 1))), 0.0
    for loss, batch_weights in loss_fn.batches:
        expected += loss * (float(np.sum(batch_weights)) / total)
    assert history[0] == expected


def test_two_epochs_are_enough_to_call_a_divergence():
    assert has_diverged([0.7, 1.2]) is True
    assert has_diverged([0.9, 0.7]) is False


class ScriptedLoss:
    """A loss of one's own that returns the values it is given, one per forward."""

    def __init__(self, values):
        self.values = iter(values)

    def forward(self, p, y):
        self.p = p
        return next(self.values)

    def backward(self):
        return np.zeros_like(self.p)


def test_the_collapse_warning_quotes_the_last_epochs_loss():
    # Flat to 1e-9, yet the last two losses round to different sixth digits.
    losses = [2.0, *[1.2345649999] * 5, 1.2345650001]
    model = sn.Linear(1, 1, rng=0)
    with pytest.warns(sn.training.CollapseWarning, match="stayed at 1.23457 over"):
        sn.train(model, ScriptedLoss(losses), sn.SGD(model.parameters(), lr=0.1), X, X,
                 epochs=len(losses))  # fmt: skip


@pytest.mark.parametrize("batch_size", [None, 5])
def test_each_sgd_step_is_lr_times_the_batch_losss_own_gradient(batch_size):
    model = sn.Sequential(sn.Linear(1, 2, rng=0), sn.Tanh(), sn.Linear(2, 1, rng=1), sn.Sigmoid())
    sn.train(
        model, sn.BCELoss(), sn.SGD(model.parameters(), lr=0.5), X, LABELS, epochs=2,
        batch_size=batch_size, rng=0,
    )  # fmt: skip
    by_hand = sn.Sequential(sn.Linear(1, 2, rng=0), sn.Tanh(), sn.Linear(2, 1, rng=1), sn.Sigmoid())
    rng, y = np.random.default_rng(0), LABELS.reshape(-1, 1)
    for _ in range(2):
        order = np.arange(12) if batch_size is None else rng.permutation(12)
        for start in range(0, 12, batch_size or 12):
            rows, loss_fn = order[start : start + (batch_size or 12)], sn.BCELoss()
            loss_fn(by_hand.forward(X[rows]), y[rows])
            by_hand.backward(loss_fn.backward())
            for param in by_hand.parameters():
                param.data -= 0.5 * param.grad
    for trained, expected in zip(model.parameters(), by_hand.parameters()):
        np.testing.assert_allclose(trained.data, expected.data, rtol=1e-13)


def test_the_divergence_warning_quotes_the_first_and_the_last_loss():
    model = sn.Linear(1, 1, rng=0)
    with pytest.warns(
        sn.training.DivergenceWarning,
        match="ended above where it started: 0.5 at epoch 1, 0.9 at epoch 3; a smaller",
    ):
        sn.train(model, ScriptedLoss([0.5, 0.4, 0.9]), sn.SGD(model.parameters(), lr=0.1), X,
                 X, epochs=3)  # fmt: skip


def test_the_divergence_and_double_sigmoid_warnings_point_at_the_callers_line():
    model = sn.Linear(1, 1, rng=0)
    with pytest.warns(sn.training.DivergenceWarning) as record:
        sn.train(model, ScriptedLoss([0.5, 0.9]), sn.SGD(model.parameters(), lr=0.1), X, X,
                 epochs=2)  # fmt: skip
    assert record[0].filename == __file__
    model = sn.Sequential(sn.Linear(1, 1, rng=0), sn.Sigmoid())
    with pytest.warns(UserWarning, match="squashes twice") as record:
        sn.train(model, sn.BCEWithLogitsLoss(), sn.SGD(model.parameters(), lr=1e-3), X, LABELS,
                 epochs=1)  # fmt: skip
    assert record[0].filename == __file__


# --- a collapse: the last `window` epochs flat, and above 1% of the first loss ----------------


def test_a_collapse_needs_the_last_window_epochs_equal_to_the_one_before_them():
    assert has_collapsed([1.0] * 6) is True  # 5 epochs equal to the one before: the shortest
    assert has_collapsed([1.0] * 5) is False  # too short to tell, and a bool all the same
    assert not has_collapsed([0.5] + [1.0] * 5)  # only 4 epochs equal to the one before
    assert has_collapsed([0.5] + [1.0] * 6)
    assert not has_collapsed([1.0] * 3, window=3)
    assert has_collapsed([1.0] * 4, window=3)
    assert not has_collapsed([0.5, 0.7] + [1.0] * 3, window=3)


def test_flat_means_equal_to_one_part_in_a_billion_inclusive():
    assert has_collapsed([1e9] + [1e9 + 1] * 5)  # 1 apart: exactly 1e-9 relative
    assert not has_collapsed([1e9] + [1e9 + 2] * 5)
    assert not has_collapsed([1.0] + [1.0 + 5e-9] * 5)


def test_a_flat_loss_is_a_collapse_only_above_1_percent_of_the_first_loss():
    assert not has_collapsed([100.0] + [1.0] * 6)  # exactly 1%: learned, not collapsed
    assert has_collapsed([100.0] + [1.01] * 6)
    assert not has_collapsed([100.0] + [0.5] * 6)


def test_flat_is_judged_the_same_for_a_loss_below_zero():
    # A loss of one's own may be negative: flat is still |change| <= 1e-9 |loss|.
    assert has_collapsed([-200.0] + [-1.0] * 6)  # -1 is above 1% of -200
    assert not has_collapsed([-200.0] + [-1.0, -0.5] * 3)


def test_row_weights_weigh_every_output_of_a_row_once():
    rng = np.random.default_rng(0)
    features, labels = rng.standard_normal((8, 2)), rng.integers(0, 2, size=(8, 2))
    model = sn.Sequential(sn.Linear(2, 2, rng=0), sn.Sigmoid())
    expected = sn.BCELoss()(model(features), labels)  # weights of one change nothing
    history = sn.train(
        model, sn.BCELoss(), sn.SGD(model.parameters(), lr=1e-9), features, labels,
        epochs=1, sample_weight=np.ones(8),
    )  # fmt: skip
    assert history[0] == pytest.approx(expected, rel=1e-12)


def test_a_loss_of_ones_own_that_goes_negative_has_no_divergence_to_call():
    assert not has_diverged([-2.0, -2.5])  # lower is better, and there is no scale
