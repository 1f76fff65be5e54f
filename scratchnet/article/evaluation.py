"""What a classifier's probabilities are worth on imbalanced data, measured with scikit-learn.

On a test set with 28 positives in 1,800, predicting "negative" every time already
scores 98.4% accuracy. So next to accuracy this module reports the numbers accuracy
hides: how many positives were found (recall), how many alarms were right (precision),
their balance (F1), the mean of the two classes' recalls (balanced accuracy), and the
average precision, which ranks by probability and needs no threshold at all.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn import metrics

from scratchnet._checks import (
    as_float_array,
    require_binary_labels,
    require_finite,
    require_nonempty,
    require_probabilities,
)

THRESHOLD = 0.5  # the article's: predict positive where p > 0.5


@dataclass(frozen=True)
class BinaryReport:
    """Test-set metrics of one model; positive (minority) class = 1.

    ``confusion`` is scikit-learn's layout: [[TN, FP], [FN, TP]].
    """

    accuracy: float
    balanced_accuracy: float
    precision: float
    recall: float
    f1: float
    average_precision: float
    always_negative_accuracy: float
    confusion: np.ndarray

    @property
    def true_positives(self) -> int:
        return int(self.confusion[1, 1])

    @property
    def positives(self) -> int:
        return int(self.confusion[1].sum())

    @property
    def predicted_positives(self) -> int:
        return int(self.confusion[:, 1].sum())


def predict_labels(p, threshold: float = THRESHOLD) -> np.ndarray:
    """0/1 labels, 1 where p > threshold, with p's shape."""
    return (np.asarray(p) > threshold).astype(int)


def evaluate(y_true, p, threshold: float = THRESHOLD) -> BinaryReport:
    """Metrics of probabilities ``p`` against 0/1 labels ``y_true`` (each (N,) or (N, 1)).

    Precision is reported as 0 when the model predicts no positive at all (scikit-learn's
    ``zero_division=0``): no alarm raised, none right. Labels with no positive at all (a
    small slice of rare data) give recall, F1 and average precision 0: none found, as
    scikit-learn reports them, without its warnings that the positive class is missing.
    """
    p = as_float_array(p, "p").ravel()
    y_true = as_float_array(y_true, "y_true").ravel()
    if p.shape != y_true.shape:
        raise ValueError(f"p and y_true must hold as many values, got {p.size} and {y_true.size}")
    require_nonempty(p, "p")
    require_finite(p, "p")
    require_probabilities(p, "p")
    require_binary_labels(y_true, "y_true")
    y_true = y_true.astype(int)
    y_pred = predict_labels(p, threshold)
    with warnings.catch_warnings():
        if not y_true.any() or y_true.all():  # one class only: said in the docstring
            warnings.simplefilter("ignore", UserWarning)
        return _report(y_true, y_pred, p)


def _report(y_true: np.ndarray, y_pred: np.ndarray, p: np.ndarray) -> BinaryReport:
    return BinaryReport(
        accuracy=float(metrics.accuracy_score(y_true, y_pred)),
        balanced_accuracy=float(metrics.balanced_accuracy_score(y_true, y_pred)),
        precision=float(metrics.precision_score(y_true, y_pred, zero_division=0)),
        recall=float(metrics.recall_score(y_true, y_pred, zero_division=0)),
        f1=float(metrics.f1_score(y_true, y_pred, zero_division=0)),
        average_precision=float(metrics.average_precision_score(y_true, p)),
        always_negative_accuracy=float(np.mean(y_true == 0)),
        confusion=metrics.confusion_matrix(y_true, y_pred, labels=[0, 1]),
    )
