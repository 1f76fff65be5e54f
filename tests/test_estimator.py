"""sn.MLPClassifier: scikit-learn's conformance suite, the article's weights, its tools."""

import doctest

import matplotlib
import numpy as np
import pytest
from sklearn.calibration import CalibrationDisplay
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, TunedThresholdClassifierCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import scratchnet as sn
import scratchnet.estimator
from scratchnet.article.data import load_article_data
from scratchnet.article.experiment import article_network
from scratchnet.estimator import MLPClassifier
from scratchnet.functional import sigmoid

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)


def rare_class_data(n_samples=300, seed=0):
    """A small two-feature set with 10% positives, quick to train on."""
    return make_classification(
        n_samples=n_samples, n_features=2, n_redundant=0, n_clusters_per_class=1,
        weights=[0.9], class_sep=1.5, random_state=seed,
    )  # fmt: skip


# Every check passes, none is declared an expected failure: with the tag
# multi_class=False the suite checks that multiclass y is refused (with the sentence
# "Only binary classification is supported.") instead of training on it.
@parametrize_with_checks(
    [
        MLPClassifier(),
        MLPClassifier(loss="focal", alpha_mode="per_class", batch_size=16, dtype=np.float32),
    ]
)
def test_scikit_learn_conformance_suite(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "loss, loss_fn, seed",
    [("bce", sn.BCEWithLogitsLoss(), 0), ("focal", sn.FocalLossWithLogits(0.25, 2.0), 3)],
)
def test_starts_from_the_article_networks_weights_and_trains_as_train_does(loss, loss_fn, seed):
    # article_network(seed), as demo.py --seed builds it, without its Sigmoid and trained
    # from logits by hand, must give the estimator's run bit for bit: history[0] is the
    # loss of the untrained network, so equal histories start from equal weights.
    data = load_article_data()
    by_hand = sn.Sequential(*article_network(seed).modules[:-1])
    history = sn.train(
        by_hand, loss_fn, sn.Adam(by_hand.parameters(), lr=0.01),
        data.X_train, data.y_train, epochs=30,
    )  # fmt: skip
    model = MLPClassifier(loss=loss, random_state=seed).fit(data.X_train, data.y_train.ravel())
    assert model.loss_curve_ == history
    for (name, expected), (_, found) in zip(
        by_hand.named_parameters(), model.network_.named_parameters()
    ):
        np.testing.assert_array_equal(found.data, expected.data, err_msg=name)


def test_any_two_labels_strings_included():
    X, y = rare_class_data()
    labels = np.array(["common", "rare"])[y]
    model = MLPClassifier(random_state=0).fit(X, labels)
    assert list(model.classes_) == ["common", "rare"]
    logits = model.decision_function(X)
    assert logits.shape == (len(X),)
    np.testing.assert_array_equal(model.predict(X), np.where(logits > 0, "rare", "common"))


def test_predict_proba_is_the_sigmoid_of_the_logits_in_two_columns():
    X, y = rare_class_data()
    model = MLPClassifier(random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    logits = model.decision_function(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_array_equal(proba[:, 1], sigmoid(logits))
    np.testing.assert_array_equal(proba[:, 0], sigmoid(-logits))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)


def fitted_logistic_regression(weight: float):
    """A model with no hidden layer whose logit is set by hand: x = weight * X."""
    X = np.array([[-1.0], [1.0]])
    model = MLPClassifier(hidden_layer_sizes=(), epochs=1, random_state=0).fit(X, ["a", "b"])
    model.network_[0].weight.data[...] = weight
    model.network_[0].bias.data[...] = 0.0
    return model


def test_a_tiny_probability_keeps_its_digits():
    # A logit of -40 gives p("b") = sigma(-40) = 4.2e-18 and p("a") = 1 - 4.2e-18: the
    # first column rounds to 1, while the second keeps its digits instead of 1 - 1 = 0.
    proba = fitted_logistic_regression(40.0).predict_proba([[-1.0]])
    assert proba[0, 0] == 1.0
    assert proba[0, 1] == pytest.approx(4.248354255291589e-18, rel=1e-15)


def test_a_logit_of_exactly_zero_predicts_the_first_class():
    # p = 0.5 for both: scikit-learn's convention, as argmax of predict_proba picks.
    model = fitted_logistic_regression(0.0)
    assert model.predict_proba([[1.0]]).tolist() == [[0.5, 0.5]]
    assert model.predict([[1.0]]).tolist() == ["a"]


def test_hidden_layer_sizes_shape_the_network():
    X, y = rare_class_data()
    model = MLPClassifier(hidden_layer_sizes=(5,), epochs=1, random_state=0).fit(X, y)
    widths = [(layer.in_features, layer.out_features) for layer in model.network_[::2]]
    assert widths == [(2, 5), (5, 1)]
    assert isinstance(model.network_[1], sn.ReLU)
    assert not any(isinstance(module, sn.Sigmoid) for module in model.network_)


def test_dtype_sets_the_weights_and_the_logits():
    X, y = rare_class_data()
    model = MLPClassifier(dtype=np.float32, epochs=2, random_state=0).fit(X, y)
    assert all(param.data.dtype == np.float32 for param in model.network_.parameters())
    assert model.decision_function(X).dtype == np.float32


@pytest.mark.parametrize("batch_size", [None, 32])
def test_an_int_seed_repeats_the_fit_and_equals_a_generator_seeded_with_it(batch_size):
    X, y = rare_class_data()
    fits = [
        MLPClassifier(batch_size=batch_size, random_state=state).fit(X, y).decision_function(X)
        for state in (7, 7, np.random.default_rng(7))
    ]
    np.testing.assert_array_equal(fits[0], fits[1])
    np.testing.assert_array_equal(fits[0], fits[2])


def test_the_batches_are_shuffled_by_the_generator_that_drew_the_weights():
    X, y = rare_class_data()
    model = MLPClassifier(batch_size=32, epochs=2, random_state=7).fit(X, y)
    rng = np.random.default_rng(7)
    by_hand = sn.Sequential(*article_network(rng).modules[:-1])  # rng has drawn the weights
    sn.train(
        by_hand, sn.BCEWithLogitsLoss(), sn.Adam(by_hand.parameters(), lr=0.01),
        X, y, epochs=2, batch_size=32, rng=rng,
    )  # fmt: skip
    np.testing.assert_array_equal(model.decision_function(X), by_hand.forward(X)[:, 0])


def test_a_generator_advances_so_each_fit_differs():
    X, y = rare_class_data()
    model = MLPClassifier(epochs=1, random_state=np.random.default_rng(0))
    first = model.fit(X, y).decision_function(X)
    assert not np.array_equal(first, model.fit(X, y).decision_function(X))


def test_a_random_state_instance_seeds_the_fit_and_advances_like_a_generator():
    X, y = rare_class_data()

    def logits_after_fit(random_state):
        model = MLPClassifier(epochs=1, random_state=random_state)
        return model.fit(X, y).decision_function(X)

    np.testing.assert_array_equal(
        logits_after_fit(np.random.RandomState(5)), logits_after_fit(np.random.RandomState(5))
    )
    assert not np.array_equal(
        logits_after_fit(np.random.RandomState(5)), logits_after_fit(np.random.RandomState(6))
    )
    shared = np.random.RandomState(5)
    assert not np.array_equal(logits_after_fit(shared), logits_after_fit(shared))


def test_no_random_state_draws_new_weights_at_each_fit():
    X, y = rare_class_data()
    model = MLPClassifier(epochs=1)
    first = model.fit(X, y).decision_function(X)
    assert not np.array_equal(first, model.fit(X, y).decision_function(X))


@pytest.mark.parametrize(
    "setting, error, message",
    [
        ({"hidden_layer_sizes": 16}, TypeError, r"hidden_layer_sizes must be a tuple"),
        ({"hidden_layer_sizes": (16, 0)}, ValueError, r"hidden_layer_sizes\[1\] must be"),
        ({"loss": "mse"}, ValueError, r"loss must be one of \('bce', 'focal'\)"),
        ({"loss": "focal", "alpha": -1}, ValueError, r"alpha must be a positive number"),
        ({"loss": "focal", "gamma": -1}, ValueError, r"gamma must be a non-negative"),
        ({"alpha_mode": "paper"}, ValueError, r"alpha_mode must be one of"),
        ({"pos_weight": 0}, ValueError, r"pos_weight must be a positive"),
        ({"learning_rate": 0}, ValueError, r"learning_rate must be a positive"),
        ({"epochs": 2.5}, TypeError, r"epochs must be a positive integer"),
        ({"batch_size": 0}, ValueError, r"batch_size must be a positive integer"),
        ({"random_state": "seed"}, TypeError, r"random_state must be"),
        ({"random_state": -1}, ValueError, r"random_state as a seed must be"),
        ({"dtype": np.float16}, TypeError, r"dtype must be float32 or float64"),
        # A setting the chosen loss ignores is checked all the same.
        ({"loss": "bce", "gamma": -1}, ValueError, r"gamma must be a non-negative"),
        ({"loss": "focal", "pos_weight": -1}, ValueError, r"pos_weight must be a positive"),
    ],
)
def test_a_bad_setting_is_refused_by_fit_with_a_sentence_naming_it(setting, error, message):
    X, y = rare_class_data()
    model = MLPClassifier(**setting)  # __init__ only stores
    with pytest.raises(error, match=message):
        model.fit(X, y)


def test_multiclass_targets_are_refused_as_binary_only():
    X, _ = rare_class_data(n_samples=30)
    with pytest.raises(ValueError, match=r"Only binary classification is supported.*3 classes"):
        MLPClassifier().fit(X, np.arange(30) % 3)


def test_a_single_class_is_refused():
    X, _ = rare_class_data(n_samples=30)
    with pytest.raises(ValueError, match=r"y holds one class only \('spam'\)"):
        MLPClassifier().fit(X, ["spam"] * 30)


def test_bad_input_names_x_and_an_unfitted_model_says_so():
    X, y = rare_class_data(n_samples=30)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        MLPClassifier().predict(X)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MLPClassifier().fit(X_nan, y)
    model = MLPClassifier(epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.predict_proba(X_nan)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 2"):
        model.predict(np.ones((4, 3)))


def test_works_in_a_pipeline_after_a_scaler():
    X, y = rare_class_data()
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(random_state=0)).fit(X, y)
    X_scaled = StandardScaler().fit_transform(X)
    alone = MLPClassifier(random_state=0).fit(X_scaled, y)
    np.testing.assert_array_equal(pipeline.predict_proba(X), alone.predict_proba(X_scaled))
    assert pipeline.score(X, y) > 1 - y.mean()  # beats always answering the common class


def test_cross_val_score_by_average_precision_beats_the_prevalence():
    # A classifier that ranks at random has an average precision near the prevalence.
    X, y = rare_class_data()
    model = make_pipeline(StandardScaler(), MLPClassifier(random_state=0))
    scores = cross_val_score(model, X, y, cv=3, scoring="average_precision")
    assert scores.shape == (3,)
    assert np.all(scores > 2 * y.mean())


def test_grid_search_over_gamma_and_pos_weight():
    X, y = rare_class_data()
    grid = [
        {"loss": ["focal"], "gamma": [0.0, 2.0]},
        {"loss": ["bce"], "pos_weight": [None, 9.0]},
    ]
    search = GridSearchCV(MLPClassifier(random_state=0), grid, cv=3, scoring="recall")
    search.fit(X, y)
    tried = [(p["loss"], p.get("gamma"), p.get("pos_weight")) for p in search.cv_results_["params"]]
    assert tried == [
        ("focal", 0.0, None),
        ("focal", 2.0, None),
        ("bce", None, None),
        ("bce", None, 9.0),
    ]
    unweighted, weighted = search.cv_results_["mean_test_score"][2:]
    assert weighted > unweighted  # pos_weight = 9 reached the loss: more positives found
    assert search.best_params_ == {"loss": "bce", "pos_weight": 9.0}


def test_tuned_threshold_classifier_predicts_above_its_chosen_threshold():
    X, y = rare_class_data()
    tuned = TunedThresholdClassifierCV(MLPClassifier(random_state=0), scoring="f1", cv=3)
    tuned.fit(X, y)
    assert 0 < tuned.best_threshold_ < 1  # a probability: predict_proba is what it tunes
    p = tuned.estimator_.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(tuned.predict(X), (p >= tuned.best_threshold_).astype(int))


def test_calibration_display_draws_the_reliability_curve():
    X, y = rare_class_data()
    model = MLPClassifier(random_state=0).fit(X, y)
    display = CalibrationDisplay.from_estimator(model, X, y, n_bins=5)
    try:
        assert len(display.prob_pred) >= 2
        assert np.all((display.prob_pred >= 0) & (display.prob_pred <= 1))
        assert np.all((display.prob_true >= 0) & (display.prob_true <= 1))
    finally:
        plt.close(display.figure_)


def test_the_docstring_example_runs():
    result = doctest.testmod(scratchnet.estimator, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_scratchnet_exports_it_on_first_use():
    # Loaded on first use, so that `import scratchnet` alone does not load scikit-learn
    # (tests/test_layout.py checks that part).
    assert sn.MLPClassifier is MLPClassifier
    assert "MLPClassifier" in sn.__all__
