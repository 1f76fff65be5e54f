"""What a classifier's probabilities are worth on imbalanced data, measured with scikit-learn.

On a test set with 28 positives in 1,800, predicting "negative" every time already
scores 98.4% accuracy. So next to accuracy this module reports the numbers accuracy
hides: how many positives were found (recall), how many alarms were right (precision),
their balance (F1), the mean of the two classes' recalls (balanced accuracy), the
average precision, which ranks by probability and needs no threshold at all, and the
Brier score, which asks whether the probabilities themselves can be trusted.

The threshold need not stay at 0.5: ``best_f1_threshold`` chooses one from data the
model was trained on, and ``evaluate`` then reports the test set at it.
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

    ``confusion`` is scikit-learn's layout: [[TN, FP], [FN, TP]]. average_precision and
    brier read p itself, so they do not depend on the threshold; the others do.

    brier: the Brier score, mean((p - y)^2), from 0 (certain and right) up; lower is
    better. It is low only if p is close to the share of positives among the points
    given that p, so it measures whether p can be read as a probability (calibration),
    together with how well p separates the classes. Always saying p = 28 / 1800 on the
    test set scores about 0.0153.
    """

    accuracy: float
    balanced_accuracy: float
    precision: float
    recall: float
    f1: float
    average_precision: float
    brier: float
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
    y_true, p = _labels_and_probabilities(y_true, p, "y_true", "p")
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
        brier=float(metrics.brier_score_loss(y_true, p)),
        always_negative_accuracy=float(np.mean(y_true == 0)),
        confusion=metrics.confusion_matrix(y_true, y_pred, labels=[0, 1]),
    )


def best_f1_threshold(y_train, p_train) -> float:
    """The threshold t for which ``p > t`` scores the best F1 on (y_train, p_train).

    Give it data the model was trained on, never the test set: a threshold chosen on the
    test labels would make the test set report its own choice. (The study chooses on the
    training set; docs/rare-class.md says why.)

    scikit-learn's ``precision_recall_curve`` gives the precision P and recall R of
    flagging p >= s for each distinct p = s; F1 = 2 P R / (P + R), counted 0 where P and R
    are both 0. Ties go to the larger s: the same F1 with fewer alarms. t is then put
    halfway between that s and the largest p below it (0 if there is none): ``p > t``
    flags the same training points, and a new point that falls in the gap goes to the
    nearer side.
    """
    y_train, p_train = _labels_and_probabilities(y_train, p_train, "y_train", "p_train")
    if not y_train.any():
        raise ValueError("y_train must hold at least one positive to choose a threshold for F1")
    precision, recall, candidates = metrics.precision_recall_curve(y_train, p_train)
    precision, recall = precision[:-1], recall[:-1]  # the last point (R = 0) has no threshold
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(both), where=both > 0)
    best = candidates[len(f1) - 1 - np.argmax(f1[::-1])]  # the last of the best: larger s
    below = p_train[p_train < best]
    lower = float(below.max()) if below.size else 0.0
    threshold = (lower + best) / 2
    return float(threshold if threshold < best else lower)  # no float lies between the two


def _labels_and_probabilities(y, p, y_name: str, p_name: str) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels as ints (N,) and probabilities (N,), each (N,) or (N, 1) on the way in."""
    p = as_float_array(p, p_name).ravel()
    y = as_float_array(y, y_name).ravel()
    if p.shape != y.shape:
        raise ValueError(
            f"{p_name} and {y_name} must hold as many values, got {p.size} and {y.size}"
        )
    require_nonempty(p, p_name)
    require_finite(p, p_name)
    require_probabilities(p, p_name)
    require_binary_labels(y, y_name)
    return y.astype(int), p
