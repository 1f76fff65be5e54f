"""The test-set metrics and the threshold choice, checked against numbers worked out by hand."""

import dataclasses

import numpy as np
import pytest

from scratchnet.article.evaluation import (
    best_f1_threshold,
    best_f1_threshold_with_scikit_learn,
    evaluate,
    evaluate_with_scikit_learn,
    predict_labels,
)


def test_metrics_from_a_confusion_matrix_worked_by_hand():
    # 10 samples, 3 positive. p > 0.5 predicts positive for samples 0, 1 and 5:
    # TP = 2 (samples 0, 1), FN = 1 (sample 2), FP = 1 (sample 5), TN = 6.
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.3, 0.1, 0.2, 0.7, 0.4, 0.05, 0.0, 0.5])
    report = evaluate(y, p)
    np.testing.assert_array_equal(report.confusion, [[6, 1], [1, 2]])
    assert report.accuracy == pytest.approx(8 / 10)
    assert report.precision == pytest.approx(2 / 3)  # TP / (TP + FP)
    assert report.recall == pytest.approx(2 / 3)  # TP / (TP + FN)
    assert report.f1 == pytest.approx(2 / 3)
    assert report.balanced_accuracy == pytest.approx((2 / 3 + 6 / 7) / 2)
    assert report.always_negative_accuracy == pytest.approx(7 / 10)
    # Ranking by p: 0.9+ 0.8+ 0.7- 0.5- 0.4- 0.3+ ... AP = (1/3)(1 + 1 + 3/6) = 5/6.
    assert report.average_precision == pytest.approx(5 / 6)
    # Brier: the mean of (p - y)^2 = (0.01 + 0.04 + 0.49 + 0.01 + 0.04 + 0.49 + 0.16 +
    # 0.0025 + 0 + 0.25) / 10 = 1.4925 / 10.
    assert report.brier == pytest.approx(0.14925, rel=1e-12)
    assert (report.true_positives, report.positives, report.predicted_positives) == (2, 3, 3)


def test_a_model_that_never_predicts_positive_scores_zero_precision_without_a_warning():
    y = np.array([[0], [0], [1], [0]])
    report = evaluate(y, np.full((4, 1), 0.1))
    assert report.precision == 0.0 and report.recall == 0.0 and report.f1 == 0.0
    assert report.accuracy == report.always_negative_accuracy == 0.75
    assert report.balanced_accuracy == 0.5


def test_the_threshold_is_strictly_greater_than_one_half():
    np.testing.assert_array_equal(predict_labels([0.5, 0.5000001, 0.2]), [0, 1, 0])


def test_bad_input():
    with pytest.raises(ValueError, match="p and y_true must hold as many values"):
        evaluate([0, 1], [0.2, 0.4, 0.9])
    with pytest.raises(ValueError, match="p must be finite"):
        evaluate([0, 1], [np.nan, 0.4])
    with pytest.raises(ValueError, match=r"p must hold probabilities in \[0, 1\], found 9"):
        evaluate([0, 1], [9.0, 0.4])
    with pytest.raises(ValueError, match="y_true must hold only the labels 0 and 1, found 0.6"):
        evaluate([0.6, 1], [0.2, 0.4])
    with pytest.raises(ValueError, match="y_true must be finite"):
        evaluate([np.nan, 1], [0.2, 0.4])


def test_labels_with_no_positive_score_zero_recall_and_f1_silently():
    report = evaluate(np.zeros(4), np.array([0.1, 0.2, 0.7, 0.3]))  # warnings are errors here
    assert (report.recall, report.f1, report.precision) == (0.0, 0.0, 0.0)
    assert report.average_precision == 0.0 and report.positives == 0


def test_a_report_is_frozen():
    report = evaluate(np.array([0, 1]), np.array([0.2, 0.9]))
    with pytest.raises(AttributeError):
        report.recall = 1.0


def test_brier_score_does_not_depend_on_the_threshold_and_rewards_honest_probabilities():
    y, p = np.array([0, 0, 0, 1]), np.array([0.1, 0.2, 0.3, 0.6])
    assert evaluate(y, p, 0.5).brier == evaluate(y, p, 0.05).brier
    # Saying p = 1/4, the share of positives, for all: 3 (1/4)^2 + (3/4)^2 = 12/16, / 4.
    assert evaluate(y, np.full(4, 0.25)).brier == pytest.approx(3 / 16, rel=1e-12)
    # Certain and right scores 0; certain and wrong scores 1.
    assert evaluate(y, y).brier == 0.0 and evaluate(y, 1 - y).brier == 1.0


def test_best_f1_threshold_worked_by_hand():
    # Flagging p >= s, from the top: s = 0.9: P 1, R 1/3, F1 1/2; 0.8: P 1, R 2/3, F1 4/5;
    # 0.7: P 2/3, R 2/3, F1 2/3; 0.4: P 3/4, R 1, F1 6/7 (the best); 0.3: P 3/5, R 1,
    # F1 3/4; 0.1: P 1/2, R 1, F1 2/3. The threshold lies halfway from 0.4 to 0.3.
    y = np.array([1, 1, 0, 1, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.4, 0.3, 0.1])
    threshold = best_f1_threshold(y, p)
    assert threshold == pytest.approx(0.35, abs=1e-15)
    assert evaluate(y, p, threshold).f1 == pytest.approx(6 / 7)
    # (N, 1) columns, as the network gives them, read the same.
    assert best_f1_threshold(y.reshape(-1, 1), p.reshape(-1, 1)) == threshold


def test_best_f1_threshold_breaks_ties_towards_fewer_alarms_and_can_flag_everything():
    # s = 0.9: P 1, R 1/2, F1 2/3; 0.6: 1/2, 1/2, 1/2; 0.5: 1/3, 1/2, 2/5; 0.2: 1/2, 1, 2/3.
    # 0.9 and 0.2 tie at 2/3: the larger, with one alarm instead of four, wins.
    y, p = np.array([1, 0, 0, 1]), np.array([0.9, 0.6, 0.5, 0.2])
    assert best_f1_threshold(y, p) == pytest.approx(0.75, abs=1e-15)
    # Flagging every point is best here (both are positive); below the lowest p is only 0.
    assert best_f1_threshold(np.array([1, 1]), np.array([0.3, 0.6])) == pytest.approx(0.15)


def test_best_f1_threshold_splits_the_gap_even_between_neighbouring_floats():
    low = 0.3
    high = np.nextafter(low, 1.0)  # no float lies between the two
    threshold = best_f1_threshold(np.array([1, 0]), np.array([high, low]))
    assert low <= threshold < high
    assert evaluate(np.array([1, 0]), np.array([high, low]), threshold).f1 == 1.0


def test_best_f1_threshold_names_bad_input():
    with pytest.raises(ValueError, match="y_train must hold at least one positive"):
        best_f1_threshold([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="p_train and y_train must hold as many values"):
        best_f1_threshold([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"p_train must hold probabilities in \[0, 1\]"):
        best_f1_threshold([0, 1], [0.1, 1.5])
    with pytest.raises(ValueError, match="y_train must hold only the labels 0 and 1"):
        best_f1_threshold([0, 2], [0.1, 0.5])


def random_cases(count: int, seed: int = 0):
    """(y, p, threshold): sizes 1 to 80; some with one class only; p continuous, rounded
    to tenths (ties), or only 0, 0.5 and 1 (ties at the threshold and at the ends)."""
    rng = np.random.default_rng(seed)
    for case in range(count):
        n = int(rng.integers(1, 81))
        share = (0.0, 1.0)[case % 2] if case % 7 == 0 else rng.uniform()
        y = (rng.uniform(size=n) < share).astype(int)
        p = (
            rng.uniform(size=n),
            np.round(rng.uniform(size=n), 1),
            rng.choice([0.0, 0.5, 1.0], size=n),
        )[case % 3]
        yield y, p, (0.5, float(rng.uniform()))[case % 2]


def test_the_report_from_counts_equals_scikit_learns_metrics_bit_for_bit():
    for y, p, threshold in random_cases(120):
        ours, theirs = evaluate(y, p, threshold), evaluate_with_scikit_learn(y, p, threshold)
        for field in dataclasses.fields(ours):
            mine, reference = getattr(ours, field.name), getattr(theirs, field.name)
            if field.name == "confusion":
                np.testing.assert_array_equal(mine, reference)
            else:
                assert type(mine) is float and mine == reference, (field.name, y, p, threshold)


def test_best_f1_threshold_equals_the_choice_from_scikit_learns_curve_bit_for_bit():
    for y, p, _ in random_cases(300, seed=1):
        if y.any():
            assert best_f1_threshold(y, p) == best_f1_threshold_with_scikit_learn(y, p), (y, p)
