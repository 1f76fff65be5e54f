"""sn.MLPClassifier against scikit-learn's MLP and a balanced logistic regression, on data
its defaults were chosen on (development) and on data they were not (held-out).

    python benchmarks/compare_estimators.py                 # both tables
    python benchmarks/compare_estimators.py --sets held-out # one of them
    python benchmarks/compare_estimators.py --search 2      # how the defaults were chosen

Lists of data sets, each named before anything was measured on it. The defaults are
chosen by ``--search`` on DEVELOPMENT alone; HELD_OUT is run once, to report. Each
round's held-out sets, once reported, join the next round's development data: the first
round had FIRST_DEVELOPMENT and FIRST_HELD_OUT, the second SECOND_DEVELOPMENT and
SECOND_HELD_OUT, and the third, today's, has all of them as DEVELOPMENT and a new
HELD_OUT. The lists mix scikit-learn's bundled data (subsampled to a rare class),
``make_classification`` draws and non-linear generated sets (moons, circles, blobs,
Gaussian quantiles, Hastie's and Friedman's), and span 90:10 to 99.5:0.5, 2 to 64
features and 333 to 50,251 rows.

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
from joblib import Parallel, delayed
from scipy import stats
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    make_blobs,
    make_circles,
    make_classification,
    make_friedman1,
    make_gaussian_quantiles,
    make_hastie_10_2,
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


def digits(target: int, share: float, seed: int, pooled: bool = False):
    """Digits, ``target`` against the rest, the targets cut to ``share``: all 64 pixels, or
    with ``pooled`` each 8x8 image averaged over 2x2 blocks into 4x4, 16 features."""
    X, digit = load_digits(return_X_y=True)
    if pooled:
        X = X.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(-1, 16)
    return rare_cut(X, (digit == target).astype(int), share, seed)


def hastie_2pct():
    """make_hastie_10_2 (10 features; positive where their squares sum above the chi2
    median), the positives cut to 2%: 6,044 rows."""
    X, y = make_hastie_10_2(n_samples=12_000, random_state=31)
    return rare_cut(X, (y > 0).astype(int), 0.02, seed=31)


def gaussian_quantiles(n_samples, n_features, share, seed):
    """make_gaussian_quantiles: the inner half of a Gaussian against the outer, the inner
    cut to ``share``."""
    X, y = make_gaussian_quantiles(n_samples=n_samples, n_features=n_features, n_classes=2,
                                   random_state=seed)  # fmt: skip
    return rare_cut(X, 1 - y, share, seed)


def friedman1_top_5pct():
    """make_friedman1, 10 features (5 of them noise), the 5% of rows with the highest
    response: 1,500 rows."""
    X, response = make_friedman1(n_samples=1500, n_features=10, noise=1.0, random_state=33)
    return X, (response > np.quantile(response, 0.95)).astype(int)


def diabetes_bottom_10pct():
    """Diabetes, the 10% of patients whose disease progressed least: 442 rows, 10 features."""
    X, progression = load_diabetes(return_X_y=True)
    return X, (progression < np.quantile(progression, 0.1)).astype(int)


def blobs_3pct():
    """make_blobs, three blobs in 6 features (standard deviation 2.5), the third cut to 3%
    against the other two: 4,124 rows."""
    X, blob = make_blobs(n_samples=6000, n_features=6, centers=3, cluster_std=2.5,
                         random_state=51)  # fmt: skip
    return rare_cut(X, (blob == 2).astype(int), 0.03, seed=51)


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


# The first round: the defaults were chosen on FIRST_DEVELOPMENT, and FIRST_HELD_OUT was
# run once, to report (docs/estimator.md). Seen since, it is development data now.
FIRST_DEVELOPMENT = {
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
FIRST_HELD_OUT = {
    "digits, 8 vs rest at 2%, 16 pooled features": lambda: digits(8, 0.02, 0, pooled=True),
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
# The second round: both lists above are its development data; SECOND_HELD_OUT, named
# before anything was measured on it, was run once, to report.
SECOND_DEVELOPMENT = {**FIRST_DEVELOPMENT, **FIRST_HELD_OUT}
SECOND_HELD_OUT = {
    "digits, 3 vs rest at 2% (64 features)": lambda: digits(3, 0.02, seed=0),
    "hastie_10_2, 2% positive": hastie_2pct,
    "gaussian quantiles, 5 features, 5% inner": lambda: gaussian_quantiles(4000, 5, 0.05, 32),
    "friedman1, top 5%": friedman1_top_5pct,
    "make_classification 50000x30, 99.5:0.5": lambda: drawn(
        50_000, 30, 0.995, seed=41, n_informative=10, flip_y=0.0
    ),
    "moons, noise 0.35, 10% (333 rows)": lambda: moons(600, 0.10, 0.35, seed=42),
    "circles, noise 0.1, 1% (10,101 rows)": lambda: circles(20_000, 0.01, 0.1, seed=43),
    "make_classification 800x8, 90:10, 3 clusters": lambda: drawn(
        800, 8, 0.90, seed=44, n_informative=4, n_clusters_per_class=3
    ),
}
# The third round: all three lists above are its development data; HELD_OUT, named
# before anything was measured on it, is run once, to report.
DEVELOPMENT = {**SECOND_DEVELOPMENT, **SECOND_HELD_OUT}
HELD_OUT = {
    "digits, 5 vs rest at 3% (64 features)": lambda: digits(5, 0.03, seed=50),
    "diabetes, bottom 10% progression": diabetes_bottom_10pct,
    "blobs, 6 features, one of three at 3%": blobs_3pct,
    "make_classification 30000x15, 99:1, class_sep 0.7": lambda: drawn(
        30_000, 15, 0.99, seed=52, n_informative=5, class_sep=0.7
    ),
    "moons, noise 0.2, 2% (10,204 rows)": lambda: moons(20_000, 0.02, 0.2, seed=53),
    "circles, noise 0.25, 5% (1,053 rows)": lambda: circles(2000, 0.05, 0.25, seed=54),
    "make_classification 2500x25, 95:5, 4 clusters": lambda: drawn(
        2500, 25, 0.95, seed=55, n_informative=12, n_clusters_per_class=4
    ),
    "gaussian quantiles, 3 features, 2% inner": lambda: gaussian_quantiles(8000, 3, 0.02, 56),
}


# --- the models and their scores ----------------------------------------------------------


def models() -> dict[str, object]:
    """{name: an unfitted classifier}, each at its defaults but for a seed."""
    return {
        "scratchnet, defaults": sn.MLPClassifier(random_state=SEED),
        'scratchnet, class_weight="balanced"': sn.MLPClassifier(
            class_weight="balanced", random_state=SEED
        ),
        "scikit-learn MLPClassifier, defaults": SklearnMLPClassifier(random_state=SEED),
        'LogisticRegression(class_weight="balanced")': LogisticRegression(class_weight="balanced"),
    }


def scores(model, X, y, tuned: bool = True) -> dict[str, list[float]]:
    """Each fold's AP, F1 at 0.5, F1 at the tuned threshold (if ``tuned``), Brier and
    seconds of one plain fit; and how many fits warned that they had not converged."""
    splits = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(X, y)
    found = {"ap": [], "f1": [], "f1_tuned": [], "brier": [], "seconds": [], "unconverged": 0}
    for train_rows, test_rows in splits:
        pipeline = make_pipeline(StandardScaler(), clone(model))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            pipeline.fit(X[train_rows], y[train_rows])
            found["seconds"].append(time.perf_counter() - start)
        found["unconverged"] += any(issubclass(w.category, ConvergenceWarning) for w in caught)
        p = pipeline.predict_proba(X[test_rows])[:, 1]
        found["ap"].append(average_precision_score(y[test_rows], p))
        found["f1"].append(f1_score(y[test_rows], pipeline.predict(X[test_rows])))
        found["brier"].append(brier_score_loss(y[test_rows], p))
        if tuned:
            found["f1_tuned"].append(tuned_f1(pipeline, X[train_rows], y[train_rows],
                                              X[test_rows], y[test_rows]))  # fmt: skip
    return found


def tuned_f1(pipeline, X_train, y_train, X_test, y_test) -> float:
    """F1 on the test rows at the threshold TunedThresholdClassifierCV chose by F1 on
    TUNING_FOLDS folds of the training rows (its refit equals the plain fit)."""
    tuning = StratifiedKFold(TUNING_FOLDS, shuffle=True, random_state=SEED)
    tuned = TunedThresholdClassifierCV(clone(pipeline), scoring="f1", cv=tuning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tuned.fit(X_train, y_train)
    return f1_score(y_test, tuned.predict(X_test))


def run(sets: dict, chosen_models: dict) -> dict[tuple[str, str], dict]:
    results = {}
    for data_name, load in sets.items():
        X, y = load()
        print(f"{data_name}: {len(y)} rows, {X.shape[1]} features, {y.sum()} positive",
              flush=True)  # fmt: skip
        for model_name, model in chosen_models.items():
            results[data_name, model_name] = scores(model, X, y)
    return results


def table(results: dict[tuple[str, str], dict]) -> str:
    """The markdown table: one row per data set and model (the fit time of one fit, the
    mean over the folds), then per model the means over the sets and the total time of
    all its plain fits."""
    lines = [
        "| data set | model | AP | F1 at 0.5 | F1, tuned threshold | Brier | fit (s) "
        "| not converged |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for (data_name, model_name), result in results.items():
        lines.append(_row(data_name, model_name, result, np.mean(result["seconds"])))
    for model_name in dict.fromkeys(model for _, model in results):
        mine = [result for (_, model), result in results.items() if model == model_name]
        means = {key: [np.mean(result[key]) for result in mine] for key in mine[0]}
        means["unconverged"] = sum(result["unconverged"] for result in mine)
        total = sum(np.sum(result["seconds"]) for result in mine)
        lines.append(_row("**mean** (fit: total of all folds)", model_name, means, total))
    return "\n".join(lines)


def _row(data_name: str, model_name: str, result: dict, seconds: float) -> str:
    cells = [np.mean(result[key]) for key in ("ap", "f1", "f1_tuned", "brier")]
    return (
        f"| {data_name} | {model_name} | {cells[0]:.3f} | {cells[1]:.3f} | {cells[2]:.3f} "
        f"| {cells[3]:.4f} | {seconds:.2f} | {result['unconverged'] or ''} |"
    )


# --- how the defaults were chosen ---------------------------------------------------------

# The first round's search started from the defaults before it, with scikit-learn's
# stopping rule; each candidate is the settings it changes from there, measured on
# FIRST_DEVELOPMENT by AP and fit time alone, one seed, in three steps (docs/estimator.md
# says why these).
FIRST_START = {
    "hidden_layer_sizes": (16, 8), "alpha": 0.1, "learning_rate_init": 0.01,
    "batch_size": None, "max_iter": 300, "tol": 1e-4, "n_iter_no_change": 10,
}  # fmt: skip
FIRST_CANDIDATES = [
    {"tol": None},
    {},
    {"batch_size": "auto", "learning_rate_init": 0.001, "alpha": 0.0001},
    {"batch_size": "auto", "learning_rate_init": 0.001},
    {"batch_size": "auto", "learning_rate_init": 0.003},
    {"batch_size": "auto", "learning_rate_init": 0.01},
    {"batch_size": "auto", "learning_rate_init": 0.001, "hidden_layer_sizes": (64,)},
    {"batch_size": "auto", "learning_rate_init": 0.001, "hidden_layer_sizes": (32, 16)},
    {"batch_size": "auto", "learning_rate_init": 0.001, "alpha": 1.0},
    # The second step, around the two best of the first: one layer of 64, and alpha 1.
    {"batch_size": "auto", "learning_rate_init": 0.001, "hidden_layer_sizes": 64, "alpha": 1.0},
    {"batch_size": "auto", "learning_rate_init": 0.003, "hidden_layer_sizes": 64, "alpha": 1.0},
    {"batch_size": "auto", "learning_rate_init": 0.001, "hidden_layer_sizes": 100},
    {"batch_size": "auto", "learning_rate_init": 0.001, "hidden_layer_sizes": 64, "alpha": 3.0},
    # The third, around the best of the second: alpha 3 at a larger step; alpha 10.
    {"batch_size": "auto", "learning_rate_init": 0.003, "hidden_layer_sizes": 64, "alpha": 3.0},
    {"batch_size": "auto", "learning_rate_init": 0.001, "hidden_layer_sizes": 64, "alpha": 10.0},
]
# The second round's search starts from the first round's choice, on DEVELOPMENT.
SECOND_START = {
    "hidden_layer_sizes": (64,), "alpha": 3.0, "learning_rate_init": 0.001,
    "batch_size": "auto", "max_iter": 300, "tol": 1e-4, "n_iter_no_change": 10,
}  # fmt: skip
SECOND_CANDIDATES = [
    {},
    {"hidden_layer_sizes": (100,)},
    {"hidden_layer_sizes": (128,)},
    {"hidden_layer_sizes": (64, 32)},
    {"alpha": 1.0},
    {"alpha": 0.3},
    {"learning_rate_init": 0.002},
    {"n_iter_no_change": 20},
    # The second step, around the three best of the first: wider, deeper, a larger step.
    {"hidden_layer_sizes": (128,), "learning_rate_init": 0.002},
    {"hidden_layer_sizes": (100,), "learning_rate_init": 0.002},
    {"hidden_layer_sizes": (64, 32), "learning_rate_init": 0.002},
    {"hidden_layer_sizes": (64, 32), "alpha": 10.0},
    {"hidden_layer_sizes": (128,), "alpha": 10.0},
    {"hidden_layer_sizes": (128, 64)},
    # The third, around the best of the second, two layers of 64 and 32: their penalty and
    # their widths.
    {"hidden_layer_sizes": (64, 32), "alpha": 2.0},
    {"hidden_layer_sizes": (64, 32), "alpha": 5.0},
    {"hidden_layer_sizes": (96, 48)},
    {"hidden_layer_sizes": (48, 24)},
]
# The third round's search starts from the second round's choice, on DEVELOPMENT. Its
# held-out fits ran 32% more epochs than scikit-learn's MLP (whose max_iter is 200), at a
# lower cost an epoch: how many epochs to allow is its question.
THIRD_START = {**SECOND_START, "hidden_layer_sizes": (64, 32)}
THIRD_CANDIDATES = [
    {},
    {"max_iter": 200},
    {"max_iter": 150},
    {"hidden_layer_sizes": (96, 48), "max_iter": 200},
]
SEARCHES = {
    1: (FIRST_START, FIRST_CANDIDATES, FIRST_DEVELOPMENT),
    2: (SECOND_START, SECOND_CANDIDATES, SECOND_DEVELOPMENT),
    3: (THIRD_START, THIRD_CANDIDATES, DEVELOPMENT),
}


def search(start: dict, candidates: list, sets: dict, bar=True) -> str:
    """Mean AP over the sets and total fit time of each candidate (the settings it
    changes from ``start``), scikit-learn's MLP first as the bar to clear (unless ``bar``
    is False); the per-set APs follow."""
    loaded = {name: load() for name, load in sets.items()}
    rows = [("scikit-learn MLPClassifier, defaults", SklearnMLPClassifier(random_state=SEED))]
    rows = rows if bar else []
    rows += [(repr(c), sn.MLPClassifier(random_state=SEED, **{**start, **c})) for c in candidates]
    lines = ["| settings | mean AP | fit (s, total) | " + " | ".join(loaded) + " |"]
    lines.append("|---|--:|--:|" + "--:|" * len(loaded))
    for name, model in rows:
        found = [scores(model, X, y, tuned=False) for X, y in loaded.values()]
        aps = [np.mean(result["ap"]) for result in found]
        seconds = sum(np.sum(result["seconds"]) for result in found)
        lines.append(f"| {name} | {np.mean(aps):.3f} | {seconds:.1f} | "
                     + " | ".join(f"{ap:.3f}" for ap in aps) + " |")  # fmt: skip
        print(lines[-1], flush=True)
    return "\n".join(lines)


# --- fit times alone, measured again ------------------------------------------------------

TIMING_REPEATS = 3


def timings(sets: dict, repeats: int = TIMING_REPEATS) -> str:
    """The two MLPs' plain fits at their defaults on every fold of ``sets`` again, each
    fit ``repeats`` times, the two models taking turns, and its median time kept: per set
    and in total, the seconds, the epochs run, and the milliseconds an epoch."""
    timed = ("scratchnet, defaults", "scikit-learn MLPClassifier, defaults")
    mlps = {name: model for name, model in models().items() if name in timed}
    lines = ["| data set | model | fit (s, total of the folds) | epochs | ms an epoch |",
             "|---|---|--:|--:|--:|"]  # fmt: skip
    totals = {name: [0.0, 0] for name in mlps}
    for data_name, load in sets.items():
        X, y = load()
        found = {name: [0.0, 0] for name in mlps}
        for train_rows, _ in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(X, y):
            fits = _median_fits(mlps, X[train_rows], y[train_rows], repeats)
            for name, (seconds, epochs) in fits.items():
                found[name][0] += seconds
                found[name][1] += epochs
        for name, (total, epochs) in found.items():
            lines.append(_timing_row(data_name, name, total, epochs))
            totals[name][0] += total
            totals[name][1] += epochs
    for name, (total, epochs) in totals.items():
        lines.append(_timing_row("**total**", name, total, epochs))
    return "\n".join(lines)


def _median_fits(mlps: dict, X, y, repeats: int) -> dict[str, tuple[float, int]]:
    """{name: (the median seconds of ``repeats`` fits on (X, y), the epochs run)}, the
    models taking turns, so that a change in the machine's load falls on both."""
    seconds, epochs = {name: [] for name in mlps}, {}
    for _ in range(repeats):
        for name, model in mlps.items():
            pipeline = make_pipeline(StandardScaler(), clone(model))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                start = time.perf_counter()
                pipeline.fit(X, y)
                seconds[name].append(time.perf_counter() - start)
            epochs[name] = pipeline[-1].n_iter_  # the same at every repeat: same seed
    return {name: (float(np.median(seconds[name])), epochs[name]) for name in mlps}


def _timing_row(data_name: str, model_name: str, seconds: float, epochs: int) -> str:
    per_epoch = 1000 * seconds / epochs
    return f"| {data_name} | {model_name} | {seconds:.2f} | {epochs} | {per_epoch:.2f} |"


# --- today's held-out comparison again, over seeds ----------------------------------------

SEED_FOLDS = 5


def across_seeds(sets: dict, seeds: int, jobs: int = 1) -> str:
    """The two MLPs at their defaults on ``sets`` again, with ``seeds`` draws of all that is
    random: seed s shuffles ``SEED_FOLDS`` stratified folds and seeds both models. Per
    set, each one's AP averaged over the seeds and folds, and the difference; then, at
    each seed, the difference of the means over the sets, and the mean of those with a
    95% t-interval: how much of one run's verdict is its draw. The defaults do not change
    with it; nothing is chosen here."""
    tasks = [(name, load, seed) for name, load in sets.items() for seed in range(seeds)]
    found = Parallel(n_jobs=jobs)(delayed(_seeded_aps)(*task) for task in tasks)
    mine, theirs = {}, {}  # (set, seed) -> the mean AP over the folds
    for (data_name, _, seed), (ours, sklearns) in zip(tasks, found):
        mine[data_name, seed], theirs[data_name, seed] = np.mean(ours), np.mean(sklearns)
    lines = ["| data set | scratchnet, defaults | scikit-learn's MLP | difference |",
             "|---|--:|--:|--:|"]  # fmt: skip
    for data_name in sets:
        ours = np.mean([mine[data_name, seed] for seed in range(seeds)])
        sklearns = np.mean([theirs[data_name, seed] for seed in range(seeds)])
        lines.append(f"| {data_name} | {ours:.3f} | {sklearns:.3f} | {ours - sklearns:+.3f} |")
    gaps = [np.mean([mine[n, seed] - theirs[n, seed] for n in sets]) for seed in range(seeds)]
    half = stats.t.ppf(0.975, seeds - 1) * np.std(gaps, ddof=1) / np.sqrt(seeds)
    lines += [
        "",
        "mean AP over the sets, scratchnet's minus scikit-learn's, at each seed: "
        + ", ".join(f"{gap:+.3f}" for gap in gaps),
        f"their mean {np.mean(gaps):+.3f}, 95% interval [{np.mean(gaps) - half:+.3f}, "
        f"{np.mean(gaps) + half:+.3f}] ({seeds} seeds x {SEED_FOLDS} folds a set)",
    ]
    return "\n".join(lines)


def _seeded_aps(data_name: str, load, seed: int) -> tuple[list[float], list[float]]:
    """Each fold's AP for scratchnet's defaults and scikit-learn's MLP at ``seed``."""
    X, y = load()
    pair = (sn.MLPClassifier(random_state=seed), SklearnMLPClassifier(random_state=seed))
    aps = ([], [])
    splits = StratifiedKFold(SEED_FOLDS, shuffle=True, random_state=seed).split(X, y)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning and the like: AP is the question
        for train_rows, test_rows in splits:
            for model, found in zip(pair, aps):
                pipeline = make_pipeline(StandardScaler(), clone(model))
                pipeline.fit(X[train_rows], y[train_rows])
                p = pipeline.predict_proba(X[test_rows])[:, 1]
                found.append(average_precision_score(y[test_rows], p))
    return aps


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", choices=["development", "held-out", "both"], default="both")
    parser.add_argument(
        "--timings", action="store_true", help="the MLPs' fit times alone, each a median"
    )
    parser.add_argument(
        "--seeds", type=int, help="the held-out comparison again over this many seeds"
    )
    parser.add_argument("--jobs", type=int, default=1, help="processes for --seeds")
    parser.add_argument(
        "--search", type=int, choices=sorted(SEARCHES), help="a round of the defaults' search"
    )
    args = parser.parse_args(argv)
    print("Every model runs on one BLAS thread (threadpoolctl.threadpool_limits(1)).")
    with threadpool_limits(limits=1):
        if args.search:
            search(*SEARCHES[args.search])
            return
        if args.seeds:
            print(f"\nheld-out data sets, {args.seeds} seeds\n", flush=True)
            print(across_seeds(HELD_OUT, args.seeds, args.jobs), flush=True)
            return
        lists = {"development": DEVELOPMENT, "held-out": HELD_OUT}
        for name, sets in lists.items():
            if args.sets not in (name, "both"):
                continue
            if args.timings:
                print(f"\n{name} data sets, fit times\n\n{timings(sets)}", flush=True)
            else:
                print(f"\n{name} data sets")
                print("\n" + table(run(sets, models())), flush=True)


if __name__ == "__main__":
    main()
