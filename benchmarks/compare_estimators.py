"""sn.MLPClassifier against scikit-learn's MLP and a balanced logistic regression.

    python benchmarks/compare_estimators.py             # about a minute on two cores
    python benchmarks/compare_estimators.py --defaults  # how the defaults were chosen

Three of scikit-learn's own data sets, as a new user would try them:

* breast cancer, malignant (212 of 569 rows) as the positive class;
* an imbalanced cut of it: every benign row and 19 malignant ones drawn with a fixed
  seed, so that 5% of the 376 rows are positive;
* digits, 0 (178 of 1,797 rows) against the rest.

Every model sits in a pipeline after a ``StandardScaler`` and is fitted on the same
stratified 5-fold splits (shuffled with seed 0). Each fold gives the average precision
(AP, from predict_proba) and the F1 of ``predict`` (p > 0.5) on the rows it held out;
the table shows their means over the folds and the mean time of a fit. The article's
setup (30 epochs) is there to show why the defaults are 300.

``--defaults`` prints what chose sn.MLPClassifier's defaults: its AP and F1, means over
the same folds and over five initialisations (random_state 0 to 4), as max_iter and
alpha vary one at a time around the defaults.

docs/rare-class.md carries the table this prints; CI does not run the script.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import scratchnet as sn

FOLDS = 5
SEED = 0
RARE_SHARE = 0.05
DEFAULTS_SEEDS = range(5)
MAX_ITERS = (30, 100, 300, 500)
ALPHAS = (0.0, 0.0001, 0.01, 0.1, 1.0, 10.0)


def data_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{name: (X, y)}, y = 1 for the positive class."""
    X, benign = load_breast_cancer(return_X_y=True)
    malignant = 1 - benign  # scikit-learn codes benign as 1; the rare class here is malignant
    digits, digit = load_digits(return_X_y=True)
    return {
        "breast cancer": (X, malignant),
        "breast cancer, 5% malignant": imbalanced_cut(X, malignant, RARE_SHARE, SEED),
        "digits, 0 against the rest": (digits, (digit == 0).astype(int)),
    }


def imbalanced_cut(X, y, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every negative row, and as many positives, drawn without replacement, as make
    ``share`` of the result positive; rows keep their order."""
    negatives, positives = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    n_positives = round(share * len(negatives) / (1 - share))
    drawn = np.random.default_rng(seed).choice(positives, n_positives, replace=False)
    rows = np.sort(np.concatenate([negatives, drawn]))
    return X[rows], y[rows]


def models(max_iter: int | None = None) -> dict[str, object]:
    """{name: an unfitted pipeline}. ``max_iter`` shortens every network's training (a
    smoke run); None keeps each model's own default."""
    shorter = {} if max_iter is None else {"max_iter": max_iter}
    return {
        "scratchnet, defaults": sn.MLPClassifier(random_state=SEED, **shorter),
        'scratchnet, class_weight="balanced"': sn.MLPClassifier(
            class_weight="balanced", random_state=SEED, **shorter
        ),
        "scratchnet, the article's 30 epochs": sn.MLPClassifier.from_article(
            random_state=SEED, **shorter
        ),
        "scikit-learn MLPClassifier, defaults": SklearnMLPClassifier(
            random_state=SEED, **shorter
        ),
        'LogisticRegression(class_weight="balanced")': LogisticRegression(
            class_weight="balanced"
        ),
    }


def scores(model, X, y, folds: int = FOLDS) -> dict[str, object]:
    """AP and F1 on each held-out fold, the mean seconds of a fit, and how many fits
    stopped with scikit-learn's ConvergenceWarning."""
    splits = StratifiedKFold(folds, shuffle=True, random_state=SEED).split(X, y)
    ap, f1, seconds, unconverged = [], [], [], 0
    for train_rows, test_rows in splits:
        pipeline = make_pipeline(StandardScaler(), model)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            pipeline.fit(X[train_rows], y[train_rows])
            seconds.append(time.perf_counter() - start)
        unconverged += any(issubclass(w.category, ConvergenceWarning) for w in caught)
        p = pipeline.predict_proba(X[test_rows])[:, 1]
        ap.append(average_precision_score(y[test_rows], p))
        f1.append(f1_score(y[test_rows], pipeline.predict(X[test_rows])))
    return {"ap": ap, "f1": f1, "seconds": float(np.mean(seconds)), "unconverged": unconverged}


def table(results: dict[tuple[str, str], dict]) -> str:
    """The markdown table of docs/rare-class.md, one row per data set and model."""
    lines = [
        "| data set | model | AP | F1 at 0.5 | fit (s) | fits not converged |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for (data_name, model_name), result in results.items():
        lines.append(
            f"| {data_name} | {model_name} | {np.mean(result['ap']):.3f} | "
            f"{np.mean(result['f1']):.3f} | {result['seconds']:.3f} | "
            f"{result['unconverged'] or ''} |"
        )
    return "\n".join(lines)


def per_fold(results: dict[tuple[str, str], dict]) -> str:
    """Each fold's AP and F1, for a reader who wants the spread behind a mean."""
    lines = []
    for (data_name, model_name), result in results.items():
        ap = " ".join(f"{value:.3f}" for value in result["ap"])
        f1 = " ".join(f"{value:.3f}" for value in result["f1"])
        lines.append(f"{data_name} | {model_name}\n    AP {ap}\n    F1 {f1}")
    return "\n".join(lines)


def defaults_table() -> str:
    """AP and F1 of sn.MLPClassifier for each max_iter (at the default alpha) and each
    alpha (at the default max_iter), means over folds and DEFAULTS_SEEDS."""
    default = sn.MLPClassifier()
    settings = [{"max_iter": max_iter} for max_iter in MAX_ITERS]
    settings += [{"alpha": alpha} for alpha in ALPHAS]
    names = list(data_sets())
    lines = [
        "| setting | " + " | ".join(f"{name}: AP | F1" for name in names) + " |",
        "|---|" + "--:|--:|" * len(names),
    ]
    for setting in settings:
        [(name, value)] = setting.items()
        marker = " (default)" if getattr(default, name) == value else ""
        cells = []
        for X, y in data_sets().values():
            runs = [
                scores(sn.MLPClassifier(random_state=seed, **setting), X, y)
                for seed in DEFAULTS_SEEDS
            ]
            cells.append(np.mean([run["ap"] for run in runs]))
            cells.append(np.mean([run["f1"] for run in runs]))
        lines.append(
            f"| {name}={value}{marker} | " + " | ".join(f"{cell:.3f}" for cell in cells) + " |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-iter", type=int, help="fewer epochs for every network")
    parser.add_argument("--defaults", action="store_true", help="the defaults' measurements")
    args = parser.parse_args(argv)
    if args.defaults:
        print(defaults_table())
        return
    results = {}
    for data_name, (X, y) in data_sets().items():
        print(f"{data_name}: {len(y)} rows, {y.sum()} positive", flush=True)
        for model_name, model in models(args.max_iter).items():
            results[data_name, model_name] = scores(model, X, y)
    print()
    print(table(results))
    print()
    print(per_fold(results))


if __name__ == "__main__":
    main()
