"""Saving and loading lose nothing: bit-exact round trips, and training that resumes exactly."""

from pathlib import Path

import numpy as np
import pytest
from helpers import small_model

import scratchnet as sn
from scratchnet.article.experiment import article_network


@pytest.fixture(scope="module")
def article_data():
    return sn.load_article_data()


def assert_same_bits(first: dict, second: dict):
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].dtype == second[name].dtype, name
        assert first[name].tobytes() == second[name].tobytes(), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_saved_model_loads_back_bit_for_bit(tmp_path, dtype):
    trained = article_network(np.random.default_rng(0), dtype)
    sn.train(trained, sn.BCELoss(), sn.Adam(trained.parameters()), [[0.5, -1]], [[1]], epochs=3)
    sn.save(tmp_path / "model.npz", trained)
    fresh = article_network(np.random.default_rng(1), dtype)
    sn.load(tmp_path / "model.npz", fresh)
    assert_same_bits(fresh.state_dict(), trained.state_dict())


def test_the_file_is_written_exactly_at_the_path_given_and_holds_no_pickle(tmp_path):
    model = article_network(np.random.default_rng(0))
    optimizer = sn.Adam(model.parameters())
    sn.save(tmp_path / "run.weights", model, optimizer)
    assert [path.name for path in tmp_path.iterdir()] == ["run.weights"]  # no ".npz" added
    with np.load(tmp_path / "run.weights", allow_pickle=False) as contents:
        keys = set(contents.files)
        assert all(contents[key].dtype != object for key in keys)
    assert {"format", "model/0.weight", "model/4.bias", "optimizer/exp_avg_sq/5"} <= keys


def test_state_dict_is_a_copy_that_later_training_does_not_change():
    model = article_network(np.random.default_rng(0))
    before = model.state_dict()
    snapshot = {name: array.copy() for name, array in before.items()}
    sn.train(model, sn.BCELoss(), sn.SGD(model.parameters(), lr=0.1), [[1, 2]], [[0]], epochs=2)
    assert_same_bits(before, snapshot)
    assert model.parameters()[0].data.tobytes() != snapshot["0.weight"].tobytes()


def test_loading_writes_into_the_arrays_the_optimizer_already_holds():
    # An optimizer holds the model's Parameter objects. Loading copies into their arrays
    # instead of replacing them, so an optimizer built before the load steps from the
    # loaded values, and anything else holding those arrays sees them too.
    source = article_network(np.random.default_rng(0))
    model = article_network(np.random.default_rng(1))
    optimizer = sn.SGD(model.parameters(), lr=0.5)
    arrays_before = [param.data for param in model.parameters()]
    model.load_state_dict(source.state_dict())
    assert all(param.data is array for param, array in zip(optimizer.params, arrays_before))
    assert_same_bits(model.state_dict(), source.state_dict())

    for param in model.parameters():
        param.grad = np.ones_like(param.data)
    optimizer.step()
    for param, loaded in zip(model.parameters(), source.parameters()):
        np.testing.assert_array_equal(param.data, loaded.data - 0.5)


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda params: sn.Adam(params, lr=0.01),
        lambda params: sn.SGD(params, lr=0.05, momentum=0.9),
    ],
    ids=["Adam", "SGD with momentum"],
)
def test_training_resumed_from_a_file_matches_training_straight_through(
    tmp_path, article_data, make_optimizer
):
    X, y = article_data.X_train, article_data.y_train
    straight = article_network(np.random.default_rng(0))
    straight_history = sn.train(
        straight, sn.FocalLoss(), make_optimizer(straight.parameters()), X, y, epochs=30
    )

    first_half = article_network(np.random.default_rng(0))
    first_optimizer = make_optimizer(first_half.parameters())
    history = sn.train(first_half, sn.FocalLoss(), first_optimizer, X, y, epochs=15)
    sn.save(tmp_path / "checkpoint.npz", first_half, first_optimizer)

    resumed = article_network(np.random.default_rng(123))  # other weights, overwritten
    resumed_optimizer = make_optimizer(resumed.parameters())
    sn.load(tmp_path / "checkpoint.npz", resumed, resumed_optimizer)
    assert resumed_optimizer.step_count == 15
    history += sn.train(resumed, sn.FocalLoss(), resumed_optimizer, X, y, epochs=15)

    assert history == straight_history  # floats compared exactly
    assert_same_bits(resumed.state_dict(), straight.state_dict())
    assert resumed_optimizer.step_count == 30


def test_optimizer_state_dict_round_trips_in_memory():
    model = article_network(np.random.default_rng(0))
    optimizer = sn.Adam(model.parameters(), lr=0.02, betas=(0.8, 0.99), weight_decay=0.1)
    sn.train(model, sn.BCELoss(), optimizer, [[1, 2], [3, -1]], [[0], [1]], epochs=4)
    state = optimizer.state_dict()
    other = sn.Adam(model.parameters(), lr=0.02, betas=(0.8, 0.99), weight_decay=0.1)
    other.load_state_dict(state)
    assert_same_bits(other.state_dict(), state)
    assert other.step_count == 4


def test_a_failed_load_changes_nothing(tmp_path):
    # Only the last layer does not fit; every check runs before the first write.
    saved = sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU(), sn.Linear(3, 2, rng=0))
    sn.save(tmp_path / "model.npz", saved)
    model = sn.Sequential(sn.Linear(2, 3, rng=1), sn.ReLU(), sn.Linear(3, 1, rng=1))
    before = model.state_dict()
    with pytest.raises(ValueError, match="2.weight"):  # the last layer; its sentence: the battery
        sn.load(tmp_path / "model.npz", model)
    assert_same_bits(model.state_dict(), before)


def test_a_file_saved_with_an_optimizer_loads_into_a_model_alone(tmp_path):
    model = article_network(np.random.default_rng(0))
    sn.save(tmp_path / "run.npz", model, sn.Adam(model.parameters()))
    fresh = article_network(np.random.default_rng(1))
    sn.load(tmp_path / "run.npz", fresh)
    assert_same_bits(fresh.state_dict(), model.state_dict())


def test_a_pickled_payload_is_refused_and_never_run(tmp_path):
    # np.savez pickles object arrays; unpickling this one would create a file.
    marker = tmp_path / "the payload ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    payload = np.empty(1, dtype=object)
    payload[0] = Payload()
    with open(tmp_path / "evil.npz", "wb") as file:
        np.savez(file, format=np.array("scratchnet-state-1"), **{"model/0.weight": payload})
    model = sn.Sequential(sn.Linear(1, 1, rng=0))
    with pytest.raises(ValueError):  # what it says is asserted in the battery
        sn.load(tmp_path / "evil.npz", model)
    assert not marker.exists()


# --- Saved states at their edges: copies, plain Python values, one bad entry ----------------------


def trained_adam():
    model = sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU(), sn.Linear(3, 1, rng=1))
    adam = sn.Adam(model.parameters(), lr=0.01)
    for param in model.parameters():
        param.grad = np.ones_like(param.data)
    adam.step()
    return model, adam


def test_an_optimizer_state_is_a_copy_that_later_steps_do_not_change():
    _, adam = trained_adam()
    state = adam.state_dict()
    saved = {key: np.copy(value) for key, value in state.items()}
    adam.step()
    for key, value in state.items():
        np.testing.assert_array_equal(value, saved[key], err_msg=key)


def test_an_optimizer_state_of_plain_python_values_loads():
    # As a state written to JSON and read back would be: lists, floats, ints and a str.
    model, adam = trained_adam()
    plain = {key: value.tolist() for key, value in adam.state_dict().items()}
    restored = sn.Adam(model.parameters(), lr=0.01)
    restored.load_state_dict(plain)
    assert restored.step_count == 1
    for before, after in zip(adam.exp_avg_sq, restored.exp_avg_sq):
        np.testing.assert_array_equal(before, after)


def test_one_nan_among_finite_saved_values_is_refused_and_changes_nothing():
    model, _ = trained_adam()
    state = model.state_dict()
    before = model.state_dict()
    state["2.weight"] = state["2.weight"].copy()
    state["2.weight"][1, 0] = np.nan
    with pytest.raises(ValueError, match="2.weight: the saved values contain NaN or infinity"):
        model.load_state_dict(state)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])


# --- Loading: plain lists, and a target that is not a model ---------------------------------------


def test_a_saved_state_may_hold_plain_lists():
    model = small_model()
    state = {name: array.tolist() for name, array in model.state_dict().items()}
    small_model(seed=1).load_state_dict(state)


def test_loading_into_something_that_is_not_a_model_is_a_sentence(tmp_path):
    model = small_model()
    sn.save(tmp_path / "run.npz", model)
    with pytest.raises(TypeError, match="model must be a scratchnet Module, got a str"):
        sn.load(tmp_path / "run.npz", "model", sn.Adam(model.parameters()))
# --- files saved before Adam and SGD assigned their own buffers -----------------------------

SAVED_BEFORE = Path(__file__).parent / "data"


def saved_run_model():
    return sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU(), sn.Linear(3, 1, rng=1), sn.Sigmoid())


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("adam", lambda params: sn.Adam(params, lr=0.05, betas=(0.8, 0.99), eps=1e-7,
                                        weight_decay=0.01)),
        ("sgd", lambda params: sn.SGD(params, lr=0.1, momentum=0.9)),
    ],
)  # fmt: skip
def test_an_optimizer_state_saved_by_the_earlier_code_loads_and_resumes(name, make):
    # Written by the code whose Optimizer made the buffers from declarations: 3 epochs of
    # BCE on these 8 rows, then sn.save(path, model, optimizer).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 2))
    y = (X[:, :1] > 0).astype(float)
    loaded = saved_run_model()
    optimizer = make(loaded.parameters())
    sn.load(SAVED_BEFORE / f"{name}_state_saved_before_explicit_buffers.npz", loaded, optimizer)
    assert optimizer.step_count == 3
    trained = saved_run_model()
    continued = make(trained.parameters())
    sn.train(trained, sn.BCELoss(), continued, X, y, epochs=3)
    for buffer in continued.buffers:
        for saved, now in zip(getattr(optimizer, buffer), getattr(continued, buffer)):
            np.testing.assert_allclose(saved, now, rtol=1e-12)
    sn.train(loaded, sn.BCELoss(), optimizer, X, y, epochs=1)
    sn.train(trained, sn.BCELoss(), continued, X, y, epochs=1)
    for resumed, straight in zip(loaded.parameters(), trained.parameters()):
        np.testing.assert_allclose(resumed.data, straight.data, rtol=1e-12)
