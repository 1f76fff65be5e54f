"""What a learner meets on their own data: 1-D labels, progress, validation, collapse, a
model they can index and summarise, and the package's front door (the gradient-check
command: tests/test_gradcheck_command.py)."""

import re
import subprocess
import sys

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.training import CollapseWarning, History

X = np.random.default_rng(0).standard_normal((40, 2))
LABELS = (X[:, 0] + X[:, 1] > 0).astype(float)  # shape (40,), as scikit-learn returns


def small_model(seed=0, sigmoid=True):
    rng = np.random.default_rng(seed)
    modules = [sn.Linear(2, 4, rng=rng), sn.ReLU(), sn.Linear(4, 1, rng=rng)]
    return sn.Sequential(*modules, sn.Sigmoid()) if sigmoid else sn.Sequential(*modules)


def fit(y, **kwargs):
    model = small_model()
    history = sn.train(model, sn.BCELoss(), sn.Adam(model.parameters()), X, y, epochs=3, **kwargs)
    return model, history


class SeriesLike:
    """What pandas hands NumPy: an object with __array__ and no shape of its own."""

    def __init__(self, values):
        self.values = values

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.values, dtype=dtype)


# --- labels as scikit-learn and pandas give them ------------------------------------------


def test_train_reads_a_label_vector_as_the_column_it_belongs_to():
    model_1d, history_1d = fit(LABELS)
    model_2d, history_2d = fit(LABELS.reshape(-1, 1))
    assert list(history_1d) == list(history_2d)
    np.testing.assert_array_equal(model_1d[0].weight.data, model_2d[0].weight.data)


def test_train_accepts_array_likes_such_as_a_pandas_series():
    _, history = fit(SeriesLike(LABELS))
    assert list(history) == list(fit(LABELS)[1])
    pandas = pytest.importorskip("pandas")
    assert list(fit(pandas.Series(LABELS))[1]) == list(history)


@pytest.mark.parametrize("make", [sn.BCELoss, sn.FocalLoss])
def test_losses_read_a_label_vector_next_to_a_column_of_p(make):
    p = np.linspace(0.1, 0.9, 40).reshape(-1, 1)
    column, vector = make(), make()
    assert column(p, LABELS.reshape(-1, 1)) == vector(p, LABELS)
    np.testing.assert_array_equal(column.backward(), vector.backward())


def test_real_mismatches_are_still_refused_with_a_sentence():
    with pytest.raises(
        ValueError, match=r"y must have one row per row of X, 40, got shape \(39,\)"
    ):
        fit(LABELS[:39])
    with pytest.raises(ValueError, match=r"p and y must have the same shape, got \(40, 1\)"):
        sn.BCELoss()(np.full((40, 1), 0.5), np.ones((40, 2)))


# --- progress, validation, collapse -------------------------------------------------------


def test_train_returns_a_list_of_losses_with_validation_losses_beside_it():
    model = small_model()
    history = sn.train(
        model, sn.BCELoss(), sn.Adam(model.parameters()), X[:30], LABELS[:30], epochs=4,
        validation=(X[30:], LABELS[30:]),
    )  # fmt: skip
    assert isinstance(history, list) and isinstance(history, History) and len(history) == 4
    assert len(history.validation) == 4
    # the last validation loss is the trained model's loss on the validation rows
    assert history.validation[-1] == sn.BCELoss()(model(X[30:]), LABELS[30:])
    assert fit(LABELS)[1].validation == []


def test_verbose_prints_the_epoch_the_loss_the_validation_loss_and_the_seconds(capsys):
    model = small_model()
    sn.train(
        model, sn.BCELoss(), sn.Adam(model.parameters()), X, LABELS, epochs=5,
        validation=(X, LABELS), verbose=2,
    )  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 2/5", "epoch 4/5", "epoch 5/5"]
    pattern = r"epoch \d/5: loss \d\.\d{6}, validation loss \d\.\d{6} \(\d+\.\d{3} s\)"
    assert all(re.fullmatch(pattern, line) for line in lines), lines


def test_train_is_silent_unless_asked(capsys):
    fit(LABELS)
    assert capsys.readouterr().out == ""


def test_a_collapsed_run_ends_with_a_warning_that_says_so():
    model = small_model()
    with pytest.warns(CollapseWarning, match="training has collapsed.*smaller learning rate"):
        history = sn.train(
            model, sn.BCELoss(), sn.Adam(model.parameters(), lr=100), X, LABELS, epochs=12
        )
    assert sn.training.has_collapsed(history)


def test_a_run_that_still_learns_is_not_called_collapsed():
    assert not sn.training.has_collapsed([0.7, 0.6, 0.5, 0.45, 0.44, 0.43, 0.42])
    assert not sn.training.has_collapsed([1.0] * 5)  # too short to tell
    assert sn.training.has_collapsed([0.9] + [1.4285714] * 6)


def test_an_overflow_before_a_logit_loss_is_a_floating_point_error_naming_the_epoch():
    model = small_model(sigmoid=False)
    with pytest.raises(FloatingPointError, match=r"loss became (nan|inf) at epoch \d+: the output"):
        sn.train(
            model, sn.BCEWithLogitsLoss(), sn.SGD(model.parameters(), lr=1e30), X, LABELS,
            epochs=20,
        )  # fmt: skip


def test_an_int_seed_repeats_its_shuffle_at_every_call_and_a_generator_does_not():
    def first_batch_probabilities(rng):
        loss_fn = RecordingBCE()
        model = small_model()
        optimizer = sn.SGD(model.parameters(), lr=1e-9)
        for _ in range(2):
            sn.train(model, loss_fn, optimizer, X, np.arange(40) % 2, epochs=1, batch_size=8,
                     rng=rng)  # fmt: skip
        return loss_fn.seen

    # lr 1e-9 barely moves the weights: the same rows give the same p to ~1e-8
    repeated = first_batch_probabilities(0)
    np.testing.assert_allclose(repeated[0], repeated[5], atol=1e-6)  # the documented trap
    fresh = first_batch_probabilities(np.random.default_rng(0))
    assert not np.allclose(fresh[0], fresh[5], atol=1e-6)


class RecordingBCE(sn.BCELoss):
    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, p, y):
        self.seen.append(p.copy())
        return super().forward(p, y)


# --- Sequential as a container ------------------------------------------------------------


def test_sequential_has_a_length_indexing_and_iteration():
    model = small_model()
    assert len(model) == 4
    assert model[0] is model.modules[0] and model[-1] is model.modules[-1]
    assert list(model) == model.modules


def test_sequential_summary_lists_widths_and_parameter_counts():
    rng = np.random.default_rng(0)
    model = sn.Sequential(
        sn.Linear(2, 16, rng=rng), sn.ReLU(), sn.Linear(16, 8, rng=rng), sn.ReLU(),
        sn.Linear(8, 1, rng=rng), sn.Sigmoid(),
    )  # fmt: skip
    rows = [line.split() for line in model.summary().splitlines()[1:]]
    widths_and_counts = [(row[-2], row[-1]) for row in rows[:-1]]
    assert widths_and_counts == [
        ("16", "48"), ("16", "0"), ("8", "136"), ("8", "0"), ("1", "9"), ("1", "0"),
    ]  # fmt: skip
    assert rows[-1] == ["total", "193"]


# --- the front door ------------------------------------------------------------------------


def test_the_package_has_a_version_and_says_where_to_start():
    assert re.fullmatch(r"\d+\.\d+\.\d+", sn.__version__)
    result = subprocess.run(
        [sys.executable, "-m", "scratchnet"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith(f"scratchnet {sn.__version__}: ")
    assert "scratchnet/layers.py" in result.stdout and "python demo.py" in result.stdout


# --- found in review: each of these went wrong before its fix -------------------------------


def test_train_lets_the_loss_check_the_models_output_once():
    logits_model = small_model(sigmoid=False)
    with pytest.raises(ValueError, match="p must hold probabilities.*pass logits to"):
        sn.train(logits_model, sn.BCELoss(), sn.Adam(logits_model.parameters()), X, LABELS,
                 epochs=2)  # fmt: skip
    two_outputs = sn.Sequential(sn.Linear(2, 2, rng=0), sn.Sigmoid())
    with pytest.raises(ValueError, match=r"p and y must have the same shape, got \(40, 2\)"):
        sn.train(two_outputs, sn.BCELoss(), sn.Adam(two_outputs.parameters()), X, LABELS,
                 epochs=2)  # fmt: skip
    float32_model = sn.Sequential(sn.Linear(2, 1, rng=0, dtype=np.float32), sn.Sigmoid())
    with pytest.raises(ValueError, match="eps=1e-08 is too small for float32"):
        sn.train(float32_model, sn.FocalLoss(eps=1e-8), sn.Adam(float32_model.parameters()),
                 X, LABELS, epochs=2)  # fmt: skip


def test_a_sequential_whose_widths_do_not_chain_is_refused_when_built():
    with pytest.raises(ValueError, match=r"module 1 \(Linear\(in_features=4.*takes 4 features, "
                       r"but module 0 gives 3"):  # fmt: skip
        sn.Sequential(sn.Linear(2, 3, rng=0), sn.Linear(4, 1, rng=0))
    sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU(), sn.Linear(3, 1, rng=0))  # chains: fine


def test_a_layer_keeps_its_dtype_wherever_it_sits_in_a_model():
    model = sn.Sequential(sn.ReLU(), sn.Linear(2, 1, rng=0, dtype=np.float32), sn.Sigmoid())
    p = model(X)  # float64 in
    model.backward(np.ones_like(p))
    assert p.dtype == np.float32 and model[1].weight.grad.dtype == np.float32


def test_adam_refuses_a_float64_gradient_whose_square_overflows_its_float32_parameter():
    theta = sn.Parameter(np.ones(2, dtype=np.float32))
    theta.grad = np.array([1e21, 0.0])  # finite in float64; squared, not in float32
    adam = sn.Adam([theta])
    with np.errstate(over="ignore"), pytest.raises(FloatingPointError, match="squared gradient"):
        adam.step()
    assert not adam.exp_avg_sq[0].any() and adam.step_count == 0


def test_each_module_of_a_model_can_run_its_own_backward_after_the_models_forward():
    model = small_model()
    dL_dy = np.ones_like(model(X))
    for module in reversed(model.modules):  # the chain rule, by hand
        dL_dy = module.backward(dL_dy)
    np.testing.assert_array_equal(dL_dy, model.backward(np.ones((40, 1))))


def test_a_model_checks_its_upstream_gradient_against_its_latest_forward_however_run():
    model = sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU())
    model(np.ones((1, 2)))
    model.forward(X)  # 40 rows, through the raw math
    with pytest.raises(ValueError, match=r"grad_output must have the shape of the last output, "
                       r"\(40, 3\), got \(1, 3\)"):  # fmt: skip
        model.backward(np.ones((1, 3)))


def test_backward_takes_its_upstream_gradient_by_the_name_its_math_gives_it():
    linear, loss = sn.Linear(2, 1, rng=0), sn.BCELoss()
    y = linear(X)
    np.testing.assert_array_equal(
        linear.backward(dL_dy=np.ones_like(y)), linear.backward(y * 0 + 1)
    )
    loss(np.full((40, 1), 0.5), LABELS)
    np.testing.assert_array_equal(loss.backward(dL_out=2.0), 2 * loss.backward())
    with pytest.raises(TypeError):
        loss.backward(gradient=2.0)


def test_weighted_bce_in_float32_is_finite_and_silent_where_p_is_tiny():
    p = np.array([[2e-38], [0.5]], dtype=np.float32)
    y = np.array([[1.0], [0.0]], dtype=np.float32)
    for pos_weight in (8.3, 69.0):
        loss = sn.BCELoss(pos_weight=pos_weight)
        assert np.isfinite(loss(p, y))  # warnings are errors in these tests
        assert np.isfinite(loss.backward()).all()


def test_a_perfect_fit_is_not_a_collapse():
    assert not sn.training.has_collapsed([0.05, 1e-12] + [2.5e-22] * 6)
    assert not sn.training.has_collapsed([0.0] * 8)


def test_verbose_may_be_zero_or_a_numpy_bool(capsys):
    fit(LABELS, verbose=0)
    fit(LABELS, verbose=np.False_)
    assert capsys.readouterr().out == ""


def test_loading_into_something_that_is_not_a_model_is_a_sentence(tmp_path):
    model = small_model()
    sn.save(tmp_path / "run.npz", model)
    with pytest.raises(TypeError, match="model must be a scratchnet Module, got a str"):
        sn.load(tmp_path / "run.npz", "model", sn.Adam(model.parameters()))


# --- closing gaps a mutation run found -----------------------------------------------------


def test_a_declared_number_allows_exactly_the_ends_it_says():
    from scratchnet._checks import Number

    both, left = Number(low=0, high=1, closed="both"), Number(low=0, high=1, closed="left")
    assert both.check(1, "x") == 1.0 and both.check(0, "x") == 0.0 and left.check(0, "x") == 0.0
    with pytest.raises(ValueError, match=r"x must be a number in \[0, 1\), got 1"):
        left.check(1, "x")
    assert sn.FocalLoss(alpha=1, alpha_mode="per_class").alpha == 1.0  # the paper's range's end


def test_adam_squares_the_weight_decayed_gradient_before_it_steps():
    theta = sn.Parameter(np.array([1e19], dtype=np.float32))
    theta.grad = np.array([1e19], dtype=np.float32)  # g = grad + 1 * theta = 2e19; g^2 overflows
    with np.errstate(over="ignore"), pytest.raises(FloatingPointError, match="squared gradient"):
        sn.Adam([theta], weight_decay=1.0).step()


def test_a_saved_state_may_hold_plain_lists():
    model = small_model()
    state = {name: array.tolist() for name, array in model.state_dict().items()}
    small_model(seed=1).load_state_dict(state)


def test_the_collapse_warning_points_at_the_callers_line():
    model = small_model()
    with pytest.warns(CollapseWarning) as record:
        sn.train(model, sn.BCELoss(), sn.Adam(model.parameters(), lr=100), X, LABELS, epochs=12)
    assert record[0].filename == __file__


def test_only_the_last_epochs_decide_a_collapse():
    assert not sn.training.has_collapsed([1.0] * 8 + [0.9, 0.8])  # flat early, moving now
    assert sn.training.has_collapsed([0.9, 0.8, 0.7] + [1.2] * 6)  # moving early, flat now
