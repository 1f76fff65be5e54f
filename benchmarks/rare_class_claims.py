"""The numbers docs/rare-class.md's "On your own data" quotes, measured at today's defaults.

    python benchmarks/rare_class_claims.py     # about 15 s on one core

On the page's 97:3 data (3,000 rows, 2,100 of them to train on, 74 positives):

1. Each way to weight the rare class, at the default max_iter=200 and at the page's 500:
   the epochs run, whether the fit warned that it ran out of them, recall at 0.5 and the
   Brier score on the test set. (The page's own blocks print the tuned threshold.)
2. class_weight="balanced" against pos_weight = n_negatives / n_positives: their losses
   differ by one constant factor, yet their test probabilities differ. Each line turns one
   cause on or off: the L2 penalty (alpha), the stopping rule (tol), Adam's eps.
"""

import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import train_test_split

import scratchnet as sn
from scratchnet import estimator

X, y = make_classification(
    n_samples=3000, n_features=2, n_redundant=0, n_clusters_per_class=1,
    weights=[0.97], class_sep=1.5, random_state=0,
)  # fmt: skip
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
N_NEGATIVES, N_POSITIVES = np.bincount(y_train)
POS_WEIGHT = N_NEGATIVES / N_POSITIVES


def fit(**settings):
    """A fitted model and the names of the warnings its fit gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = sn.MLPClassifier(random_state=0, **settings).fit(X_train, y_train)
    return model, sorted({warning.category.__name__ for warning in caught})


@contextmanager
def adam_eps(eps: float):
    """The estimator's Adam with another eps, for as long as the block runs."""
    original = estimator.AdamWithL2

    class WithEps(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.eps = eps

    estimator.AdamWithL2 = WithEps
    try:
        yield
    finally:
        estimator.AdamWithL2 = original


def the_ways() -> None:
    share = np.mean(y_test)
    print(f"always saying p = {share:.3f}: Brier {share * (1 - share):.4f}")
    ways = {
        "unweighted BCE": {},
        'class_weight="balanced"': {"class_weight": "balanced"},
        "pos_weight": {"pos_weight": POS_WEIGHT},
        "focal loss, alpha_t = 0.75": {
            "loss": "focal", "focal_alpha": 0.75, "focal_alpha_mode": "per_class",
        },
    }  # fmt: skip
    for max_iter in (200, 500):
        for name, settings in ways.items():
            model, warned = fit(max_iter=max_iter, **settings)
            p = model.predict_proba(X_test)[:, 1]
            recall = np.mean(p[y_test == 1] > 0.5)
            print(
                f"max_iter={max_iter} {name:28s} {model.n_iter_:3d} epochs  recall at 0.5 "
                f"{recall:.2f}  Brier {brier_score_loss(y_test, p):.4f}  {', '.join(warned)}"
            )


def balanced_against_pos_weight() -> None:
    print(f"N / (2 n_negatives) = {len(y_train) / (2 * N_NEGATIVES):.3f}")
    cases = [
        ("the page's models", {"max_iter": 500}, 1e-8),
        ("penalty, every epoch", {"max_iter": 300, "tol": None}, 1e-8),
        ("stopping rule, no penalty", {"max_iter": 500, "alpha": 0.0}, 1e-8),
        ("no penalty, every epoch", {"max_iter": 30, "tol": None, "alpha": 0.0}, 1e-8),
        ("no penalty, every epoch", {"max_iter": 300, "tol": None, "alpha": 0.0}, 1e-8),
        ("no penalty, every epoch", {"max_iter": 300, "tol": None, "alpha": 0.0}, 1e-300),
    ]
    for name, settings, eps in cases:
        with adam_eps(eps):
            balanced, _ = fit(class_weight="balanced", **settings)
            pos_weighted, _ = fit(pos_weight=POS_WEIGHT, **settings)
        difference = balanced.predict_proba(X_test)[:, 1] - pos_weighted.predict_proba(X_test)[:, 1]
        print(
            f"{name:26s} {settings}, Adam's eps {eps:g}: epochs {balanced.n_iter_} and "
            f"{pos_weighted.n_iter_}, test probabilities differ by up to "
            f"{np.abs(difference).max():.2g}"
        )


if __name__ == "__main__":
    the_ways()
    balanced_against_pos_weight()
