"""train(): the article's loop reduces the loss, its history means what it says, it stops on NaN."""

import inspect
import json
import sys
import warnings

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.article.experiment import article_network
from scratchnet.training import DivergenceWarning


class MeanSquaredError:
    """L = mean((p - y)^2), dL/dp = 2 (p - y) / n: any labels, the interface train expects.

    Records every batch it sees, so tests can check what train fed it.
    """

    def __init__(self):
        self.batches = []  # (y_batch, loss) of every forward, in order

    def forward(self, p, y):
        self.difference = p - y
        loss = float(np.mean(self.difference**2))
        self.batches.append((y, loss))
        return loss

    def backward(self):
        return 2 * self.difference / self.difference.size


class LossThatBecomes(MeanSquaredError):
    """Returns ``value`` instead of the loss from its ``call``-th forward on (counted from 1)."""

    def __init__(self, value: float, call: int):
        super().__init__()
        self.value, self.call = value, call

    def forward(self, p, y):
        loss = super().forward(p, y)
        return self.value if len(self.batches) >= self.call else loss


def small_problem(n=10):
    """A 1-feature regression whose y is each row's index, so every row can be recognised."""
    X = np.linspace(-1.0, 1.0, n).reshape(-1, 1)
    y = np.arange(n, dtype=np.float64).reshape(-1, 1)
    return X, y


@pytest.fixture(scope="module")
def article_data():
    return sn.load_article_data()


def test_full_batch_adam_on_bce_lowers_the_loss_every_epoch_on_the_article_data(article_data):
    model = article_network(np.random.default_rng(0))
    optimizer = sn.Adam(model.parameters(), lr=0.01)
    history = sn.train(
        model, sn.BCELoss(), optimizer, article_data.X_train, article_data.y_train, epochs=30
    )
    assert len(history) == 30
    assert all(later < earlier for earlier, later in zip(history, history[1:]))
    # Predicting the training base rate q = 60 / 4200 for every row scores the binary
    # entropy of q, about 0.075: the network must have learned more than that.
    q = 60 / 4200
    base_rate_loss = -(q * np.log(q) + (1 - q) * np.log(1 - q))
    assert history[-1] < base_rate_loss


def test_full_batch_history_holds_each_epochs_loss_before_its_step(article_data):
    X, y = article_data.X_train, article_data.y_train
    model = article_network(np.random.default_rng(1))
    history = sn.train(model, sn.BCELoss(), sn.Adam(model.parameters()), X, y, epochs=2)

    untrained = article_network(np.random.default_rng(1))
    assert history[0] == sn.BCELoss().forward(untrained.forward(X), y)
    after_one_step = article_network(np.random.default_rng(1))
    sn.train(after_one_step, sn.BCELoss(), sn.Adam(after_one_step.parameters()), X, y, epochs=1)
    assert history[1] == sn.BCELoss().forward(after_one_step.forward(X), y)


def test_mini_batches_use_every_row_once_per_epoch_in_a_new_order():
    X, y = small_problem(10)
    model = sn.Linear(1, 1, rng=0)
    loss_fn = MeanSquaredError()
    sn.train(
        model, loss_fn, sn.SGD(model.parameters(), lr=0.01), X, y, epochs=2, batch_size=4, rng=0
    )
    # 10 rows in batches of 4: sizes 4, 4 and the 2 left over, in each of 2 epochs.
    assert [len(batch_y) for batch_y, _ in loss_fn.batches] == [4, 4, 2, 4, 4, 2]
    epoch_orders = [
        np.concatenate([batch_y for batch_y, _ in loss_fn.batches[start : start + 3]]).ravel()
        for start in (0, 3)
    ]
    for order in epoch_orders:
        np.testing.assert_array_equal(np.sort(order), np.arange(10))
    assert not np.array_equal(epoch_orders[0], epoch_orders[1])


def test_mini_batch_history_is_the_size_weighted_mean_of_the_batch_losses():
    X, y = small_problem(10)
    model = sn.Linear(1, 1, rng=0)
    loss_fn = MeanSquaredError()
    history = sn.train(
        model, loss_fn, sn.SGD(model.parameters(), lr=0.01), X, y, epochs=2, batch_size=4, rng=3
    )
    losses = [loss for _, loss in loss_fn.batches]
    assert history[0] == pytest.approx((4 * losses[0] + 4 * losses[1] + 2 * losses[2]) / 10)
    assert history[1] == pytest.approx((4 * losses[3] + 4 * losses[4] + 2 * losses[5]) / 10)


def test_mini_batch_training_is_reproducible_with_the_same_seed_only(article_data):
    X, y = article_data.X_train[:600], article_data.y_train[:600]

    def run(shuffle_seed):
        model = article_network(np.random.default_rng(5))
        optimizer = sn.Adam(model.parameters(), lr=0.01)
        history = sn.train(
            model, sn.BCELoss(), optimizer, X, y, epochs=3, batch_size=64, rng=shuffle_seed
        )
        return history, [param.data for param in model.parameters()]

    history, params = run(shuffle_seed=11)
    same_history, same_params = run(shuffle_seed=np.random.default_rng(11))
    other_history, _ = run(shuffle_seed=12)
    assert history == same_history
    for param, same_param in zip(params, same_params):
        np.testing.assert_array_equal(param, same_param)
    assert history != other_history
    assert history[-1] < history[0]


# What these errors say (the epoch, the batch) is asserted in test_bad_input_battery.py.
@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_a_non_finite_loss_stops_full_batch_training_before_its_step(bad_value):
    X, y = small_problem()
    model = sn.Linear(1, 1, rng=0)
    optimizer = sn.SGD(model.parameters(), lr=0.01)
    with pytest.raises(FloatingPointError):
        sn.train(model, LossThatBecomes(bad_value, call=3), optimizer, X, y, epochs=10)
    # The step of epoch 3 was not taken: the parameters are those that gave the bad loss.
    assert optimizer.step_count == 2


def test_a_nan_loss_in_a_mini_batch_stops_training_before_its_step():
    X, y = small_problem(10)
    model = sn.Linear(1, 1, rng=0)
    optimizer = sn.SGD(model.parameters(), lr=0.01)
    # 3 batches per epoch, so the 5th forward is epoch 2, batch 2: 4 steps were taken.
    with pytest.raises(FloatingPointError):
        sn.train(
            model, LossThatBecomes(np.nan, call=5), optimizer, X, y, epochs=4, batch_size=4, rng=0
        )
    assert optimizer.step_count == 4


def test_rng_is_not_needed_for_full_batch_training():
    X, y = small_problem()
    model = sn.Linear(1, 1, rng=0)
    history = sn.train(model, MeanSquaredError(), sn.Adam(model.parameters()), X, y, epochs=1)
    assert len(history) == 1


def train_small(**overrides):
    """train() for 2 epochs on small_problem, with the arguments in ``overrides`` replaced."""
    X, y = small_problem()
    model = sn.Linear(1, 1, rng=0)
    arguments = {
        "model": model,
        "loss_fn": MeanSquaredError(),
        "optimizer": sn.SGD(model.parameters(), lr=0.1),
        "X": X,
        "y": y,
        "epochs": 2,
    }
    return sn.train(**{**arguments, **overrides})


def test_parameters_left_out_of_the_optimizer_stay_frozen():
    model = sn.Sequential(sn.Linear(1, 3, rng=0), sn.ReLU(), sn.Linear(3, 1, rng=1))
    first, second = model.modules[0], model.modules[2]
    frozen = [first.weight.data.copy(), first.bias.data.copy()]
    before = second.weight.data.copy()
    train_small(model=model, optimizer=sn.SGD(second.parameters(), lr=0.1))
    np.testing.assert_array_equal(first.weight.data, frozen[0])
    np.testing.assert_array_equal(first.bias.data, frozen[1])
    assert not np.array_equal(second.weight.data, before)


def test_the_loop_the_docstring_of_train_quotes_is_the_code_that_runs():
    source = inspect.getsource(sn.train)
    docstring, code = source.split('"""')[1], source.split('"""')[2]
    quoted = [line.strip().split("  ")[0] for line in docstring.splitlines()[4:9]]
    assert quoted[1] == "p = model.forward(X_batch)"
    code_lines = [line.strip() for line in code.splitlines()]
    positions = [code_lines.index(line) for line in quoted]
    assert positions == sorted(positions)  # in the same order


# --- row weights ----------------------------------------------------------------------------


class WeightedMeanSquaredError(MeanSquaredError):
    """L = sum(w (p - y)^2) / sum(w): records the weights of every batch it sees."""

    def forward(self, p, y, sample_weight=None):
        w = np.ones_like(y) if sample_weight is None else sample_weight
        self.difference, self.w = p - y, w
        loss = float(np.sum(w * self.difference**2) / np.sum(w))
        self.batches.append((y, loss, sample_weight))
        return loss

    def backward(self):
        return 2 * self.w * self.difference / np.sum(self.w)


def test_integer_weights_train_as_repeated_rows_do(article_data):
    X, y = article_data.X_train[:300], article_data.y_train[:300]
    counts = np.random.default_rng(0).integers(0, 4, size=300)
    models, histories = [], []
    for X_fit, y_fit, w in [(X, y, counts), (X.repeat(counts, 0), y.repeat(counts, 0), None)]:
        model = article_network(np.random.default_rng(4))
        histories.append(
            sn.train(model, sn.BCELoss(), sn.Adam(model.parameters(), lr=0.01), X_fit, y_fit,
                     epochs=20, sample_weight=w)
        )  # fmt: skip
        models.append(model)
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-12)
    np.testing.assert_allclose(models[0].forward(X), models[1].forward(X), rtol=1e-10)


def test_each_batch_gets_its_rows_weights_and_the_history_weighs_batches_by_them():
    X, y = small_problem(10)
    w = np.arange(1.0, 11.0)  # row i weighs i + 1, so y = i says which weight it carries
    model = sn.Linear(1, 1, rng=0)
    loss_fn = WeightedMeanSquaredError()
    history = sn.train(model, loss_fn, sn.SGD(model.parameters(), lr=0.001), X, y,
                       epochs=1, batch_size=4, rng=0, sample_weight=w)  # fmt: skip
    total = 0.0
    for batch_y, loss, batch_w in loss_fn.batches:
        np.testing.assert_array_equal(batch_w, batch_y + 1)  # a column, (B, 1), like y
        total += batch_w.sum() * loss
    assert history[0] == pytest.approx(total / w.sum(), rel=1e-14)


def test_a_batch_of_zero_weight_is_skipped_without_a_step():
    X, y = small_problem(4)
    model = sn.Linear(1, 1, rng=0)
    optimizer = sn.SGD(model.parameters(), lr=0.001)
    loss_fn = WeightedMeanSquaredError()
    sn.train(model, loss_fn, optimizer, X, y, epochs=1, batch_size=1, rng=0,
             sample_weight=[0.0, 1.0, 0.0, 2.0])  # fmt: skip
    assert optimizer.step_count == 2
    assert sorted(float(batch_y[0, 0]) for batch_y, _, _ in loss_fn.batches) == [1.0, 3.0]


def test_weights_for_a_loss_that_takes_none_are_refused():
    with pytest.raises(TypeError, match=r"loss_fn.forward takes no sample_weight"):
        train_small(sample_weight=np.ones(10))


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.ones(9), r"sample_weight must have one row per row of X, 10, got shape \(9,\)"),
        (np.ones((10, 2)), r"sample_weight must hold one weight per row, shape \(N,\) or"),
        (-np.ones(10), r"sample_weight must be non-negative"),
        (np.zeros(10), r"sample_weight must not be all zero"),
    ],
)
def test_bad_weights_are_refused_at_the_front_door(bad, message):
    with pytest.raises(ValueError, match=message):
        train_small(loss_fn=WeightedMeanSquaredError(), sample_weight=bad)


# --- no silent failure: divergence, and a Sigmoid before a loss on logits -------------------


@pytest.mark.parametrize(
    "loss_fn", [sn.BCEWithLogitsLoss(), sn.FocalLossWithLogits(), sn.BCELoss(), sn.FocalLoss()]
)
def test_a_learning_rate_far_too_large_warns_whatever_the_loss(article_data, loss_fn):
    model = article_network(np.random.default_rng(0))
    if loss_fn.input_name == "logits":
        model = sn.Sequential(*model.modules[:-1])
    optimizer = sn.Adam(model.parameters(), lr=1e6)
    X, y = article_data.X_train, article_data.y_train
    with pytest.warns(RuntimeWarning, match="training (diverged|has collapsed)"):
        sn.train(model, loss_fn, optimizer, X, y, epochs=30)


def test_divergence_is_a_last_loss_above_one_and_a_half_times_the_first():
    assert sn.training.has_diverged([0.7, 0.9, 1e5])
    assert sn.training.has_diverged([0.5, 0.4, 0.76])
    assert not sn.training.has_diverged([0.5, 0.4, 0.75])  # exactly 1.5 times: not above
    assert not sn.training.has_diverged([0.0392438, 0.0392606])  # a wobble near a minimum
    assert not sn.training.has_diverged([0.7, 3.0, 0.69])  # a spike it recovered from
    assert not sn.training.has_diverged([0.7, 0.7])
    assert not sn.training.has_diverged([0.7])  # one epoch: nothing to compare


def test_a_diverged_run_warns_with_both_losses_in_the_sentence():
    X, y = small_problem()
    model = sn.Linear(1, 1, rng=0)
    with pytest.warns(DivergenceWarning, match=r"the loss ended above where it started: \d"):
        sn.train(model, MeanSquaredError(), sn.SGD(model.parameters(), lr=10.0), X, y, epochs=3)


def test_a_sigmoid_before_a_loss_on_logits_warns():
    model = article_network(np.random.default_rng(0))  # ends in Sigmoid
    X, y = small_problem(6)
    y = (y > 2).astype(float)
    X = np.hstack([X, X])
    with pytest.warns(UserWarning, match=r"model ends in Sigmoid.*BCEWithLogitsLoss.*twice"):
        sn.train(model, sn.BCEWithLogitsLoss(), sn.Adam(model.parameters()), X, y, epochs=2)


def test_a_weighted_batch_sends_back_its_gradient_times_its_mean_weight_over_the_mean():
    X, y = small_problem(4)
    w = np.array([3.0, 3.0, 1.0, 1.0])  # mean weight 2
    model = sn.Linear(1, 1, rng=0)
    sn.train(model, WeightedMeanSquaredError(), sn.SGD(model.parameters(), lr=0.01), X, y,
             epochs=1, batch_size=2, rng=0, sample_weight=w)  # fmt: skip
    by_hand = sn.Linear(1, 1, rng=0)
    for rows in np.random.default_rng(0).permutation(4).reshape(2, 2):  # train's batches
        loss_fn = WeightedMeanSquaredError()
        loss_fn.forward(by_hand.forward(X[rows]), y[rows], sample_weight=w[rows, None])
        by_hand.backward(w[rows].mean() / 2.0 * loss_fn.backward())
        sn.SGD(by_hand.parameters(), lr=0.01).step()
    np.testing.assert_allclose(model.weight.data, by_hand.weight.data, rtol=1e-14)
    np.testing.assert_allclose(model.bias.data, by_hand.bias.data, rtol=1e-14)


# --- errors raised inside a step: located, never rebuilt -----------------------------------


class ReturnsNone(sn.Module):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dL_dy):
        dL_dy * (1 - self.y**2)  # the return is forgotten


class ReadsJSON(ReturnsNone):
    def backward(self, dL_dy):
        json.loads("{not json")


class RaisesItsOwn(ReturnsNone):
    def backward(self, dL_dy):
        raise ValueError("my message", 42)


def learners_network(layer):
    return sn.Sequential(sn.Linear(2, 4, rng=0), layer, sn.Linear(4, 1, rng=0), sn.Sigmoid())


def train_one_epoch(model, **kwargs):
    X, y = np.ones((4, 2)), np.array([[0.0], [1.0], [0.0], [1.0]])
    return sn.train(model, sn.BCELoss(), sn.Adam(model.parameters()), X, y, epochs=1, **kwargs)


def test_train_names_a_layer_whose_backward_returns_none_and_where_training_was():
    with pytest.raises(ValueError, match=r"^at epoch 1, batch 1 of 2: module 1, ReturnsNone, "
                       r"returned None from backward"):  # fmt: skip
        train_one_epoch(learners_network(ReturnsNone()), batch_size=2, rng=0)


def test_a_learners_json_error_in_backward_reaches_the_caller_as_itself():
    with pytest.raises(json.JSONDecodeError) as raised:
        train_one_epoch(learners_network(ReadsJSON()))
    assert raised.value.msg == "Expecting property name enclosed in double quotes"
    assert raised.value.pos == 1 and raised.value.doc == "{not json"
    assert raised.traceback[-1].name == "raw_decode"  # json's own frames, the learner's above
    assert any(entry.name == "backward" for entry in raised.traceback)
    if sys.version_info >= (3, 11):
        assert raised.value.__notes__ == ["raised during training, at epoch 1"]


def test_a_learners_own_value_error_keeps_its_arguments():
    with pytest.raises(ValueError) as raised:
        train_one_epoch(learners_network(RaisesItsOwn()))
    assert type(raised.value) is ValueError and raised.value.args == ("my message", 42)
    assert raised.traceback[-1].name == "backward"  # the learner's own line, last


# --- training that went bad is never silent --------------------------------------------------


def test_has_gone_bad_at_the_edges_of_its_two_rules():
    has_gone_bad = sn.training.has_gone_bad
    assert has_gone_bad([0.7, 70.1, 0.3])  # climbed above 100 times its first, then recovered
    assert not has_gone_bad([0.7, 70.0, 0.3])  # exactly 100 times: not above
    assert has_gone_bad([1.0, 0.1, 0.151])  # 1.51 times its lowest, 5.7% of the way back up
    assert not has_gone_bad([1.0, 0.1, 0.15])  # exactly 1.5 times its lowest
    assert not has_gone_bad([1.0, 1e-4, 0.0199])  # 199 times its lowest, 1.99% of the way
    assert has_gone_bad([1.0, 1e-4, 0.0202])  # 202 times, 2.01% of the way
    assert not has_gone_bad([0.7, 0.0003, 0.0006, 0.00045])  # noisy near 0: 1.5 times
    assert not has_gone_bad([0.7])  # nothing to compare
    assert not has_gone_bad([-1.0, -2.0, -0.5])  # a loss of one's own below 0: no scale
    assert has_gone_bad([0.7, float("nan")])  # fail closed


def test_a_run_gone_bad_warns_with_its_lowest_loss_its_epoch_and_where_it_ended():
    model = sn.Sequential(sn.Linear(1, 1, rng=0))
    history = [1.0, 0.1, 0.2, 0.3]

    class Replay(MeanSquaredError):
        """Reports the losses of ``history``, one per epoch, whatever the model does."""

        def forward(self, p, y):
            super().forward(p, y)
            return history[len(self.batches) - 1]

    with pytest.warns(DivergenceWarning) as record:
        sn.train(model, Replay(), sn.SGD(model.parameters(), lr=1e-9),
                 np.ones((2, 1)), np.ones((2, 1)), epochs=4)  # fmt: skip
    assert len(record) == 1
    assert str(record[0].message) == (
        "training went bad: the loss ended at 0.3 at epoch 4; its lowest was 0.1, at epoch 2; "
        "a smaller learning rate may help"
    )
    assert record[0].filename == __file__  # the line that called train


@pytest.mark.parametrize(
    ("learning_rate", "warns"),
    [(0.01, False), (0.03, False), (0.3, True), (10, True), (30, True)],
)
def test_the_issues_breast_cancer_runs_warn_when_they_went_bad(learning_rate, warns):
    # The table of runs that went bad in silence: 0.3 ends 500 times above its lowest; 10
    # and 30 climb 1e5 times above their first and stall near 0.36. Full batch, 300 epochs.
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    model = sn.MLPClassifier(learning_rate_init=learning_rate, random_state=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(StandardScaler().fit_transform(X), y)
    went_bad = [w for w in record if issubclass(w.category, DivergenceWarning)]
    assert bool(went_bad) is warns, [str(w.message) for w in record]
    if warns:
        lowest = int(np.argmin(model.loss_curve_))
        assert f"at epoch {lowest + 1}" in str(went_bad[0].message)


# --- at the edges a mutation run found unguarded ---------------------------------------------


def test_has_collapsed_measures_its_band_from_the_window_start_and_tests_the_last_epoch():
    has_collapsed = sn.training.has_collapsed
    # The band is 1e-9 times the window's first loss: 1e9 - 1 sits exactly on its edge, and
    # would fall outside a band measured from 1e9 - 1 itself.
    assert has_collapsed([1e9] + [1e9 - 1] * 5)
    # Flat at 1, far below 1% of 100... but the last epoch is 1 + 5e-10, just above 1% of
    # the first: it is the last loss, not the one before it, that is compared.
    assert has_collapsed([100.0] + [1.0] * 5 + [1.0 + 5e-10])
    assert not has_collapsed([100.0] + [1.0] * 6)


def test_has_diverged_needs_a_first_loss_above_zero():
    assert not sn.training.has_diverged([0.0, 1.0])  # from exactly 0: no scale to compare
    assert not sn.training.has_diverged([-1.0, 0.5])  # from below 0 to above it


def test_a_nan_target_is_refused_for_a_loss_of_ones_own_too():
    model = sn.Sequential(sn.Linear(2, 1, rng=0))
    y = np.array([[0.5], [np.nan]])  # a loss of one's own may take any finite target
    with pytest.raises(ValueError, match="y must be finite, but it contains NaN or infinity"):
        sn.train(model, MeanSquaredError(), sn.SGD(model.parameters(), lr=0.1),
                 np.ones((2, 2)), y, epochs=1)  # fmt: skip
