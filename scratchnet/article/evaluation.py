"""What a classifier's probabilities are worth on imbalanced data.

On a test set with 28 positives in 1,800, predicting "negative" every time already
scores 98.4% accuracy. So next to accuracy this module reports the numbers accuracy
hides: how many positives were found (recall), how many alarms were right (precision),
their balance (F1), the mean of the two classes' recalls (balanced accuracy), the
average precision, which ranks by probability and needs no threshold at all, and the
Brier score, which asks whether the probabilities themselves can be trusted.

The threshold need not stay at 0.5: ``best_f1_threshold`` chooses one from data the
model was trained on, and ``evaluate`` then reports the test set at it.

Every number is scikit-learn's definition, computed here from one count of the four
confusion cells and one sort of p, instead of seven scikit-learn calls that each
validate the same arrays again (8 ms a report, against 0.5 ms for a training epoch of
the study). ``evaluate_with_scikit_learn`` makes those seven calls; a test proves the
two equal, bit for bit, on random cases.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn import metrics

from scratchnet.doors.values import (
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
    return report_of(y_true, p, threshold)


def report_of(y: np.ndarray, p: np.ndarray, threshold: float = THRESHOLD) -> BinaryReport:
    """``evaluate`` for arrays already checked: int labels y (N,) of 0 and 1, and p (N,).

    From the four confusion counts, with p > threshold flagged:

        precision = TP / (TP + FP)       recall = TP / (TP + FN)   (0 where 0 / 0)
        F1 = 2 TP / ((TP + FN) + (TP + FP))
        balanced accuracy = the mean, over the classes present in y, of each one's recall
        Brier = mean(((1 - y) - (1 - p))^2 + (y - p)^2) / 2

    The Brier score is written as scikit-learn computes it, over the two columns
    (negative, positive), so that its rounding, and so every bit, is the same.
    """
    flagged = p > threshold
    positive = y == 1
    tp = int(np.count_nonzero(flagged & positive))
    fp = int(np.count_nonzero(flagged)) - tp
    fn = int(np.count_nonzero(positive)) - tp
    tn = y.size - tp - fp - fn
    class_recalls = [hits / total for hits, total in ((tn, tn + fp), (tp, tp + fn)) if total]
    labels, probabilities = y.astype(np.float64), p.astype(np.float64)
    squared = ((1 - labels) - (1 - probabilities)) ** 2 + (labels - probabilities) ** 2
    return BinaryReport(
        accuracy=(tp + tn) / y.size,
        balanced_accuracy=float(np.mean(class_recalls)),
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        f1=_ratio(2 * tp, (tp + fn) + (tp + fp)),
        average_precision=average_precision(y, p),
        brier=float(np.mean(squared) * 0.5),
        always_negative_accuracy=(tn + fp) / y.size,
        confusion=np.array([[tn, fp], [fn, tp]]),
    )


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def ranking_counts(y: np.ndarray, p: np.ndarray):
    """For each distinct value s of p, from the largest down: the true and false
    positives of flagging p >= s, as floats, and s. Each (M,), M distinct values.

    Sorted once; the counts are read at the last point of each run of equal p, so the
    order within a tie does not matter (scikit-learn's ``confusion_matrix_at_thresholds``).
    """
    order = np.argsort(p, kind="stable")[::-1]
    p_sorted = p[order]
    ends = np.concatenate([np.flatnonzero(np.diff(p_sorted)), [p.size - 1]])
    true_positives = np.cumsum(y[order].astype(np.float64))[ends]
    false_positives = 1 + ends.astype(np.float64) - true_positives
    return true_positives, false_positives, p_sorted[ends]


def precision_recall(true_positives: np.ndarray, false_positives: np.ndarray):
    """Precision and recall at each of ``ranking_counts``'s thresholds, in its order."""
    flagged = true_positives + false_positives
    precision = np.where(flagged != 0, true_positives / flagged, 0.0)
    recall = true_positives / true_positives[-1]
    return precision, recall


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """AP = sum over thresholds of (R_k - R_(k-1)) P_k, thresholds from the largest p down.

    0 when y holds no positive. The sum runs in scikit-learn's order (precision-recall
    curve reversed, ending at recall 0 and precision 1), so its rounding is the same.
    """
    true_positives, false_positives, _ = ranking_counts(y, p)
    if true_positives[-1] == 0:
        return 0.0
    precision, recall = precision_recall(true_positives, false_positives)
    precision = np.concatenate([precision[::-1], [1.0]])
    recall = np.concatenate([recall[::-1], [0.0]])
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def evaluate_with_scikit_learn(y_true, p, threshold: float = THRESHOLD) -> BinaryReport:
    """``evaluate`` by seven scikit-learn calls: the definition ``report_of`` is tested
    against, and the baseline the benchmark times it against."""
    y_true, p = _labels_and_probabilities(y_true, p, "y_true", "p")
    y_pred = predict_labels(p, threshold)
    with warnings.catch_warnings():
        if not y_true.any() or y_true.all():  # one class only: said in evaluate's docstring
            warnings.simplefilter("ignore", UserWarning)
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


def best_f1_threshold_with_scikit_learn(y_train, p_train) -> float:
    """``best_f1_threshold`` from scikit-learn's ``precision_recall_curve``, as it was
    first written: the reference it is tested against, and the benchmark's baseline."""
    y_train, p_train = _labels_and_probabilities(y_train, p_train, "y_train", "p_train")
    precision, recall, candidates = metrics.precision_recall_curve(y_train, p_train)
    precision, recall = precision[:-1], recall[:-1]  # the last point (R = 0) has no threshold
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(both), where=both > 0)
    best = candidates[len(f1) - 1 - np.argmax(f1[::-1])]  # the last of the best: larger s
    return _between(p_train, best)


def best_f1_threshold(y_train, p_train) -> float:
    """The threshold t for which ``p > t`` scores the best F1 on (y_train, p_train).

    Give it data the model was trained on, never the test set: a threshold chosen on the
    test labels would make the test set report its own choice. (The study chooses on the
    training set; docs/rare-class.md says why.)

    For each distinct p = s, the precision P and recall R of flagging p >= s (as
    scikit-learn's ``precision_recall_curve`` gives them); F1 = 2 P R / (P + R), counted
    0 where P and R are both 0. Ties go to the larger s: the same F1 with fewer alarms.
    t is then put halfway between that s and the largest p below it (0 if there is
    none): ``p > t`` flags the same training points, and a new point that falls in the
    gap goes to the nearer side.
    """
    y_train, p_train = _labels_and_probabilities(y_train, p_train, "y_train", "p_train")
    if not y_train.any():
        raise ValueError("y_train must hold at least one positive to choose a threshold for F1")
    return threshold_of_best_f1(y_train, p_train)


def threshold_of_best_f1(y: np.ndarray, p: np.ndarray) -> float:
    """``best_f1_threshold`` for arrays already checked, with at least one positive."""
    true_positives, false_positives, candidates = ranking_counts(y, p)
    precision, recall = precision_recall(true_positives, false_positives)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(both), where=both > 0)
    best = candidates[np.argmax(f1)]  # the first of the best, from the largest s down
    return _between(p, best)


def _between(p: np.ndarray, best: float) -> float:
    """Halfway between ``best`` and the largest p below it (0 if none)."""
    below = p[p < best]
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
