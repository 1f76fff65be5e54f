"""sn.MLPClassifier against scikit-learn's MLP and a balanced logistic regression, on data
its defaults were chosen on (development) and on data they were not (held-out).

    python benchmarks/compare_estimators.py                 # both tables
    python benchmarks/compare_estimators.py --sets held-out # one of them
    python benchmarks/compare_estimators.py --search        # how the defaults were chosen

Two lists of data sets, named before anything was measured. The defaults were chosen by
``--search`` on DEVELOPMENT alone; HELD_OUT was run once, to report. Each list mixes
scikit-learn's bundled data (subsampled to a rare class), ``make_classification`` draws
and the non-linear ``make_moons`` and ``make_circles``, and together they span 90:10 to
99.5:0.5, 2 to 30 features and 368 to 50,251 rows.

Every model sits in a pipeline after a ``StandardScaler`` and is fitted on the same
stratified folds (``FOLDS``, shuffled with seed 0). On each fold's held-out rows: the
average precision (AP, from predict_proba); the F1 of ``predict`` (p > 0.5); the F1 at a
threshold that ``TunedThresholdClassifierCV`` chose by cross-validation on the training
rows alone (``TUNING_FOLDS`` folds, F1); and the Brier score. The table gives their
means over the folds, and the mean time of one plain fit.

Every model runs on one BLAS thread (``threadpoolctl.threadpool_limits(1)`` around the
whole run), scikit-learn's included: the timings compare like with like. They come from
one run on a shared machine; read them as ratios within the table.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    make_circles,
    make_classification,
    make_moons,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, f1_score
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import scratchnet as sn

FOLDS = 3
TUNING_FOLDS = 3
SEED = 0


# --- the data: named before measuring -----------------------------------------------------


def rare_cut(X, y, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every negative row, and as many positives, drawn without replacement, as make
    ``share`` of the result positive; rows keep their order."""
    negatives, positives = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    n_positives = round(share * len(negatives) / (1 - share))
    drawn = np.random.default_rng(seed).choice(positives, n_positives, replace=False)
    rows = np.sort(np.concatenate([negatives, drawn]))
    return X[rows], y[rows]


def breast_cancer_3pct():
    """Breast cancer, malignant the positive class, cut to 3%: 368 rows, 30 features."""
    X, benign = load_breast_cancer(return_X_y=True)
    return rare_cut(X, 1 - benign, 0.03, seed=1)


def diabetes_top_10pct():
    """Diabetes, the 10% of patients whose disease progressed most: 442 rows, 10 features."""
    X, progression = load_diabetes(return_X_y=True)
    return X, (progression > np.quantile(progression, 0.9)).astype(int)


def digits_8_pooled_2pct():
    """Digits, 8 against the rest, the 8s cut to 2%; each 8x8 image averaged over 2x2
    blocks into 4x4, 16 features: 1,656 rows."""
    X, digit = load_digits(return_X_y=True)
    pooled = X.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(-1, 16)
    return rare_cut(pooled, (digit == 8).astype(int), 0.02, seed=0)


def moons(n_samples, share, noise, seed):
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return rare_cut(X, y, share, seed)


def circles(n_samples, share, noise, seed):
    X, y = make_circles(n_samples=n_samples, noise=noise, factor=0.5, random_state=seed)
    return rare_cut(X, y, share, seed)


def drawn(n_samples, n_features, majority, seed, **settings):
    """make_classification; its flip_y (0.01 unless given) relabels that share of rows at
    random, so the rare class ends a little above 1 - majority."""
    return make_classification(
        n_samples=n_samples, n_features=n_features, weights=[majority], random_state=seed,
        **settings,
    )  # fmt: skip


DEVELOPMENT = {
    "breast cancer, 3% malignant": breast_cancer_3pct,
    "diabetes, top 10% progression": diabetes_top_10pct,
    "moons, 5% (2 features)": lambda: moons(8000, 0.05, 0.3, seed=11),
    "circles, 10% (2 features)": lambda: circles(3000, 0.10, 0.2, seed=12),
    "make_classification 5000x10, 98:2": lambda: drawn(
        5000, 10, 0.98, seed=13, n_informative=5, class_sep=1.0
    ),
    "make_classification 20000x20, 99.5:0.5": lambda: drawn(
        20000, 20, 0.995, seed=14, n_informative=8, flip_y=0.0
    ),
}
HELD_OUT = {
    "digits, 8 vs rest at 2%, 16 pooled features": digits_8_pooled_2pct,
    "make_classification 5000x10, 99:1": lambda: drawn(5000, 10, 0.99, seed=0),
    "make_classification 4000x20, 97:3": lambda: drawn(4000, 20, 0.97, seed=0),
    "make_classification 1000x5, 93:7, 2 clusters": lambda: drawn(
        1000, 5, 0.93, seed=21, n_informative=3, n_redundant=0, class_sep=0.8
    ),
    "make_classification 3000x30, 90:10": lambda: drawn(
        3000, 30, 0.90, seed=22, n_informative=6, flip_y=0.02
    ),
    "moons, 0.5% (2 features, 50,251 rows)": lambda: moons(100_000, 0.005, 0.25, seed=23),
}
