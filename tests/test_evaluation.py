"""The test-set metrics, checked against counts worked out by hand."""

import numpy as np
import pytest

from scratchnet.article.evaluation import evaluate, predict_labels


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
