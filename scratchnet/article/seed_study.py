"""The honest comparison: BCE against focal loss over many initialisations of the network.

The article trains each network once, from one unseeded draw of initial weights. This
module trains every setup from each of many seeds, so that what the loss does can be
told apart from what the draw does:

    setups = expand_groups(["article", "gamma"])         # BCE and the focal variants
    results = run_study(setups, seeds=range(100), jobs=2)
    summaries = [summarise(results, setup) for setup in setups]
    comparisons = [compare_paired(results, s) for s in setups if s != s.baseline()]

A setup is trained from seed s as ``train_article_model(..., seed=s)`` trains it, so
seed s of every setup starts from the same weights, the ones ``demo.py --seed s`` uses.
That makes the comparison paired: focal loss and BCE from one seed differ only in the
loss. Each run is tested at the threshold 0.5 and at the threshold that gives the best
F1 on the training set (``best_f1_threshold``), which is never chosen on the test set.

Statistics
----------
* Means come with a 95% bootstrap percentile interval over the n seeds
  (``statistics.mean_interval``), which stays within [0, 1] for a recall or an F1
  however few the seeds. It covers the draw of the initial weights only: every run
  sees the same data.
* Counts of positives found are summarised by median and quartiles (numpy's default,
  linear interpolation), since they are small whole numbers with a pile-up at 0.
* Paired comparisons count the seeds on which one setup (focal loss, say) scores higher
  than, exactly the same as, or lower than another (BCE) from the same seed, and give
  the mean of the differences with its bootstrap interval.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import math
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scratchnet.article.data import ArticleData, load_article_data
from scratchnet.article.dispatch import dispatch
from scratchnet.article.evaluation import BinaryReport, best_f1_threshold, evaluate
from scratchnet.article.experiment import ALPHA, EPOCHS, GAMMA, TrainedModel, train_in_stages
from scratchnet.article.statistics import Interval, formatted, mean_interval
from scratchnet.doors.values import NON_NEGATIVE_INT, POSITIVE_INT
from scratchnet.losses import BCELoss, FocalLoss

LOSSES = ("BCE", "focal")
PAPER_PRIOR = 0.01  # the focal loss paper's pi for the output bias (see set_prior_bias)


@dataclass(frozen=True)
class Setup:
    """One way of training the article's network: a loss, its options, epochs, init.

    loss: "BCE" or "focal". alpha, alpha_mode, gamma: ``FocalLoss``'s options (unused
    for BCE). epochs: full-batch epochs of Adam at the article's lr 0.01.
    positive_prior: None for PyTorch's default init, or pi for the paper's output bias.
    pos_weight: ``BCELoss``'s weight of each positive example; None for plain BCE.
    """

    loss: str
    alpha: float | None = None
    alpha_mode: str = "constant"
    gamma: float = 0.0
    epochs: int = EPOCHS
    positive_prior: float | None = None
    pos_weight: float | None = None

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.loss == "focal" and self.pos_weight is not None:
            raise ValueError("pos_weight is BCE's; focal loss weights the classes with alpha")
        POSITIVE_INT.check(self.epochs, "epochs")
        self.make_loss()  # the loss checks alpha, alpha_mode, gamma and pos_weight

    @property
    def name(self) -> str:
        """A short label for tables and figures, e.g. "focal alpha=0.25 all, gamma=2".

        "alpha=0.25 all" is the article's alpha, on every term; "alpha_t=0.75/0.25" the
        paper's, 0.75 for positives and 0.25 for negatives.
        """
        if self.loss == "BCE":
            name = "BCE" if self.pos_weight is None else f"BCE pos_weight={self.pos_weight:.3g}"
        elif self.alpha is None:
            name = f"focal no alpha, gamma={self.gamma:g}"
        elif self.alpha_mode == "constant":
            name = f"focal alpha={self.alpha:g} all, gamma={self.gamma:g}"
        else:
            name = f"focal alpha_t={self.alpha:g}/{1 - self.alpha:g}, gamma={self.gamma:g}"
        if self.epochs != EPOCHS:
            name += f", {self.epochs} epochs"
        if self.positive_prior is not None:
            name += f", prior {self.positive_prior:g}"
        return name

    @property
    def label(self) -> str:
        """The setup in a learner's words, for figures: ``name`` stays as the tables' and
        the CSV's key. E.g. "focal, alpha 0.25 on every term, gamma 2 (the article's)"."""
        if self.loss == "BCE":
            label = "BCE" if self.pos_weight is None else _weighted_label(self.pos_weight)
        elif self.alpha is None:
            label = f"focal, no alpha, gamma {self.gamma:g}"
        elif self.alpha_mode == "constant":
            label = f"focal, alpha {self.alpha:g} on every term, gamma {self.gamma:g}"
        else:
            label = (
                f"focal, paper's alpha_t: {self.alpha:g} for positives, "
                f"{1 - self.alpha:g} for negatives, gamma {self.gamma:g}"
            )
        if self == ARTICLE_FOCAL:
            label += " (the article's)"
        if self.epochs != EPOCHS:
            label += f", {self.epochs} epochs"
        if self.positive_prior is not None:
            label += f", output bias set so that p starts at {self.positive_prior:g}"
        return label

    def make_loss(self):
        if self.loss == "BCE":
            return BCELoss(pos_weight=self.pos_weight)
        return FocalLoss(alpha=self.alpha, gamma=self.gamma, alpha_mode=self.alpha_mode)

    def baseline(self) -> Setup:
        """The plain BCE setup this one is paired with: same epochs, same initialisation.

        Plain BCE is its own baseline; every other setup is compared with it.
        """
        return Setup("BCE", epochs=self.epochs, positive_prior=self.positive_prior)

    def path(self) -> Setup:
        """The training run this setup is a stop on: the setup with its epochs set to 1.

        Setups with the same path differ only in how long they train, so ``run_study``
        trains each seed's path once and tests it at each setup's epochs on the way.
        """
        return dataclasses.replace(self, epochs=1)


# pos_weight = n_negatives / n_positives of the training split, 4140 / 60, which gives
# the two classes equal total weight (tests check it against the data), and its square
# root, a common milder choice.
BALANCED_POS_WEIGHT = 69.0
SQRT_POS_WEIGHT = math.sqrt(BALANCED_POS_WEIGHT)  # 8.31


def _weighted_label(pos_weight: float) -> str:
    label = f"BCE, positives weighted {pos_weight:.3g}"
    if pos_weight == BALANCED_POS_WEIGHT:
        return label + " (negatives / positives)"
    if pos_weight == SQRT_POS_WEIGHT:
        return label + f" (the square root of {BALANCED_POS_WEIGHT:g})"
    return label


BCE = Setup("BCE")
ARTICLE_FOCAL = Setup("focal", alpha=ALPHA, gamma=GAMMA)
PAPER_FOCAL = Setup("focal", alpha=0.75, gamma=GAMMA, alpha_mode="per_class")  # rare class up

GROUPS: dict[str, tuple[Setup, ...]] = {
    # The article: alpha = 0.25 on every term, gamma = 2, 30 epochs.
    "article": (BCE, ARTICLE_FOCAL),
    # The paper's alpha_t (alpha for positives, 1 - alpha for negatives), and no alpha.
    "alpha": (
        Setup("focal", alpha=0.25, gamma=GAMMA, alpha_mode="per_class"),
        PAPER_FOCAL,
        Setup("focal", alpha=None, gamma=GAMMA),
    ),
    # The article's focal loss with gamma swept; gamma = 0 is BCE scaled by alpha.
    "gamma": tuple(Setup("focal", alpha=ALPHA, gamma=gamma) for gamma in (0.0, 0.5, 1.0, 2.0, 5.0)),
    # Longer training: the article's two losses at 100 and 300 epochs, the paper's at 100.
    "epochs": (
        Setup("BCE", epochs=100),
        Setup("focal", alpha=ALPHA, gamma=GAMMA, epochs=100),
        Setup("BCE", epochs=300),
        Setup("focal", alpha=ALPHA, gamma=GAMMA, epochs=300),
        dataclasses.replace(PAPER_FOCAL, epochs=100),
    ),
    "prior": (
        Setup("BCE", positive_prior=PAPER_PRIOR),
        Setup("focal", alpha=ALPHA, gamma=GAMMA, positive_prior=PAPER_PRIOR),
    ),
    # The cheaper remedy: BCE with the rare class weighted up, at 30 and 100 epochs.
    "weighted": tuple(
        Setup("BCE", pos_weight=weight, epochs=n)
        for n in (EPOCHS, 100)
        for weight in (SQRT_POS_WEIGHT, BALANCED_POS_WEIGHT)
    ),
}


def expand_groups(group_names: Iterable[str]) -> list[Setup]:
    """The setups of the named groups, in order, each once, with every BCE baseline needed.

    A setup's baseline (``Setup.baseline``) is placed before it if not already listed,
    so that every setup can be compared with plain BCE from the same seeds.
    """
    setups: list[Setup] = []
    for group_name in group_names:
        if group_name not in GROUPS:
            raise ValueError(f"group must be one of {tuple(GROUPS)}, got {group_name!r}")
        for setup in GROUPS[group_name]:
            for each in (setup.baseline(), setup):
                if each not in setups:
                    setups.append(each)
    return setups


@dataclass(frozen=True)
class RunResult:
    """One network trained with one setup from one seed, and its test-set reports.

    report: at the threshold 0.5. threshold: the one ``best_f1_threshold`` chose on the
    training set; tuned: the test set at that threshold. test_probabilities: p of every
    test point, (N_test,), for the calibration figure.
    """

    setup: Setup
    seed: int
    report: BinaryReport
    final_loss: float  # the training loss at the last epoch, before its step
    threshold: float
    tuned: BinaryReport
    test_probabilities: np.ndarray = dataclasses.field(repr=False, compare=False)


def run_one(setup: Setup, seed: int, data: ArticleData) -> RunResult:
    """Train the article's network with ``setup`` from ``seed`` and test it."""
    (result,) = run_path([setup], seed, data)
    return result


def run_path(setups: list[Setup], seed: int, data: ArticleData) -> list[RunResult]:
    """``run_one`` for each of ``setups``, which share one ``path``, from one training run.

    The network trains from ``seed`` for the most epochs any of them has, and is tested
    at each one's epochs on the way (``train_in_stages``: the same numbers, bit for bit,
    as training each separately). Results come in the order of ``setups``.
    """
    if len({setup.path() for setup in setups}) != 1:
        raise ValueError("setups must differ in their epochs only, to share one training run")
    stops = sorted({setup.epochs for setup in setups})
    first = setups[0]
    stages = train_in_stages(
        first.make_loss(), data, seed=seed, stops=stops, positive_prior=first.positive_prior
    )
    by_epochs = {stop: _tested(trained, data) for stop, trained in zip(stops, stages)}
    return [RunResult(setup, seed, **by_epochs[setup.epochs]) for setup in setups]


def _tested(trained: TrainedModel, data: ArticleData) -> dict:
    """A trained network's numbers: its test report at 0.5, and at a threshold chosen
    from the training set alone.

    The training set, not a validation split carved from it: it holds only 60 positives,
    a 30% split would leave 18 to choose from and 42 to learn from, and every network
    would then differ from the demo's. Choosing on the points the network was fitted to
    is optimistic (it has seen them), so the threshold may suit them better than new
    points; the test set, which the choice never reads, then reports what that costs.
    """
    p_train = trained.model.forward(data.X_train)
    threshold = best_f1_threshold(data.y_train, p_train)
    return {
        "report": trained.report,
        "final_loss": trained.loss_history[-1],
        "threshold": threshold,
        "tuned": evaluate(data.y_test, trained.test_probabilities, threshold),
        "test_probabilities": trained.test_probabilities.ravel(),
    }


def run_study(
    setups: Iterable[Setup],
    seeds: Iterable[int],
    *,
    jobs: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[RunResult]:
    """Train every setup from every seed; results ordered by setup (as given), then seed.

    jobs: 1 runs in this process; more are worker processes, through joblib (see
    ``dispatch``), which a ``joblib.parallel_config`` may send to a Dask cluster instead.
    None: the enclosing ``parallel_config``'s n_jobs, or else ``available_cpus()``.
    on_progress(done, total) is called as runs finish (the runs that share a training run
    finish together). An exception, from a run, from on_progress or from Ctrl-C, cancels
    the runs not yet started.

    Setups that differ only in their epochs share one training run per seed
    (``run_path``), which passes through each one's state on its way to the longest.
    Each run depends only on its setup and seed, and each process builds the same data,
    so the results are the same bit for bit whatever ``jobs`` is. (``train`` already
    runs on one BLAS thread, so two processes on two cores do not fight over them.)
    """
    setups, seeds = _checked_setups(setups), _checked_seeds(seeds)
    paths: dict[Setup, list[Setup]] = {}  # setups that differ only in epochs train once
    for setup in setups:
        paths.setdefault(setup.path(), []).append(setup)
    tasks = [(path, seed) for seed in seeds for path in paths.values()]
    total = len(setups) * len(seeds)
    report = on_progress or (lambda done, total: None)
    results = {}
    with closing(dispatch(_run_task, tasks, jobs=jobs)) as finished:
        for runs in finished:
            results.update({(run.setup, run.seed): run for run in runs})
            report(len(results), total)
    return [results[setup, seed] for setup in setups for seed in seeds]


@functools.cache
def _article_data() -> ArticleData:
    """The data, built once per process (a worker then reuses it for every run)."""
    return load_article_data()


def _run_task(setups: list[Setup], seed: int) -> list[RunResult]:
    return run_path(setups, seed, _article_data())


@dataclass(frozen=True)
class Summary:
    """What one setup did across its n runs (n seeds).

    The metrics are at the threshold 0.5, those named tuned_ at the threshold each run
    chose on its training set (``best_f1_threshold``); threshold gives the quartiles of
    those choices. average_precision and brier do not depend on a threshold.
    """

    setup: Setup
    runs: int
    accuracy: float  # mean
    true_positives: tuple[float, float, float]  # first quartile, median, third quartile
    precision: Interval
    recall: Interval
    f1: Interval
    balanced_accuracy: float  # mean
    average_precision: Interval
    no_positive_runs: int  # how many of the runs predict no positive at all
    brier: Interval
    threshold: tuple[float, float, float]  # first quartile, median, third quartile
    tuned_precision: Interval
    tuned_recall: Interval
    tuned_f1: Interval


def value_of(run: RunResult, metric: str) -> float:
    """One of a run's test-set numbers, by name: a ``BinaryReport`` field at the threshold
    0.5 ("recall"), the same at the chosen threshold ("tuned_recall"), or "threshold"."""
    if metric == "threshold":
        return run.threshold
    if metric.startswith("tuned_"):
        return getattr(run.tuned, metric.removeprefix("tuned_"))
    return getattr(run.report, metric)


def runs_of(results: Iterable[RunResult], setup: Setup) -> list[RunResult]:
    """The runs of one setup, in seed order; each seed may appear once.

    A seed given twice, say by joining the results of two studies, would count twice in
    every mean and paired count, so it is refused.
    """
    runs = sorted((run for run in results if run.setup == setup), key=lambda run: run.seed)
    for run, following in zip(runs, runs[1:]):
        if run.seed == following.seed:
            raise ValueError(f"results hold seed {run.seed} of {setup.name!r} more than once")
    return runs


def summarise(results: Iterable[RunResult], setup: Setup) -> Summary:
    """The statistics of one setup's runs (see the module docstring for which and how)."""
    runs = runs_of(results, setup)
    if not runs:
        raise ValueError(f"results hold no run of the setup {setup.name!r}")

    def values(metric: str) -> np.ndarray:
        return np.array([value_of(run, metric) for run in runs], dtype=np.float64)

    def quartiles(metric: str) -> tuple[float, float, float]:
        return tuple(float(q) for q in np.percentile(values(metric), [25, 50, 75]))

    q1, median, q3 = quartiles("true_positives")
    return Summary(
        setup=setup,
        runs=len(runs),
        accuracy=float(np.mean(values("accuracy"))),
        true_positives=(q1, median, q3),
        precision=mean_interval(values("precision")),
        recall=mean_interval(values("recall")),
        f1=mean_interval(values("f1")),
        balanced_accuracy=float(np.mean(values("balanced_accuracy"))),
        average_precision=mean_interval(values("average_precision")),
        no_positive_runs=int(np.sum(values("predicted_positives") == 0)),
        brier=mean_interval(values("brier")),
        threshold=quartiles("threshold"),
        tuned_precision=mean_interval(values("tuned_precision")),
        tuned_recall=mean_interval(values("tuned_recall")),
        tuned_f1=mean_interval(values("tuned_f1")),
    )


@dataclass(frozen=True)
class PairedCount:
    """On how many seeds a setup scored higher than, equal to, or lower than another.

    difference: the mean over seeds of (setup - other), with its 95% bootstrap interval.
    """

    wins: int
    ties: int
    losses: int
    difference: Interval


@dataclass(frozen=True)
class Comparison:
    """``setup`` against ``against``, seed by seed: a ``PairedCount`` per metric."""

    setup: Setup
    against: Setup
    counts: dict[str, PairedCount]


PAIRED_METRICS = ("recall", "average_precision")


def compare_paired(
    results: Iterable[RunResult],
    setup: Setup,
    against: Setup | None = None,
    metrics: Iterable[str] = PAIRED_METRICS,
) -> Comparison:
    """Pair each run of ``setup`` with the run of ``against`` from the same seed.

    against: by default ``setup.baseline()``, plain BCE with the same epochs and init.
    metrics: names ``value_of`` reads, e.g. "recall", "tuned_f1", "brier".
    """
    results = list(results)
    against = setup.baseline() if against is None else against
    runs, other_runs = runs_of(results, setup), runs_of(results, against)
    if [run.seed for run in runs] != [run.seed for run in other_runs] or not runs:
        raise ValueError(
            f"results must hold {setup.name!r} and {against.name!r} for the same seeds"
        )

    def count(metric: str) -> PairedCount:
        ours = np.array([value_of(run, metric) for run in runs])
        theirs = np.array([value_of(run, metric) for run in other_runs])
        difference = ours - theirs
        return PairedCount(
            wins=int(np.sum(difference > 0)),
            ties=int(np.sum(difference == 0)),
            losses=int(np.sum(difference < 0)),
            difference=mean_interval(difference),
        )

    return Comparison(setup, against, {metric: count(metric) for metric in metrics})


RARE_CLASS_METRICS = ("f1", "tuned_f1", "average_precision", "brier")


def best_focal(summaries: Iterable[Summary], epochs: int) -> Summary | None:
    """The focal setup with ``epochs`` epochs and the default init whose runs scored the
    highest mean F1 at their tuned threshold, or None if there is no such setup.

    It is chosen by its test-set results, so it is the strongest focal contender the
    study saw, not a setting one could have picked in advance.
    """
    focal = [
        summary
        for summary in summaries
        if summary.setup.loss == "focal"
        and summary.setup.epochs == epochs
        and summary.setup.positive_prior is None
    ]
    return max(focal, key=lambda summary: summary.tuned_f1.mean, default=None)


def compare_with_best_focal(
    results: Iterable[RunResult], setups: Iterable[Setup]
) -> list[Comparison]:
    """For each number of epochs: the best focal setup (``best_focal``) against every BCE
    setup, plain or weighted, with those epochs and the default init, seed by seed, on
    ``RARE_CLASS_METRICS``."""
    results, setups = list(results), list(setups)
    summaries = [summarise(results, setup) for setup in setups]
    comparisons = []
    for epochs in sorted({setup.epochs for setup in setups}):
        best = best_focal(summaries, epochs)
        if best is None:
            continue
        comparisons += [
            compare_paired(results, best.setup, setup, RARE_CLASS_METRICS)
            for setup in setups
            if setup.loss == "BCE" and setup.epochs == epochs and setup.positive_prior is None
        ]
    return comparisons


CSV_COLUMNS = (
    "setup", "loss", "alpha", "alpha_mode", "gamma", "epochs", "positive_prior", "seed",
    "accuracy", "balanced_accuracy", "precision", "recall", "f1", "average_precision",
    "true_negatives", "false_positives", "false_negatives", "true_positives", "final_loss",
    "pos_weight", "brier", "threshold", "tuned_precision", "tuned_recall", "tuned_f1",
    "tuned_true_positives", "tuned_predicted_positives",
)  # fmt: skip


def write_csv(results: Iterable[RunResult], path) -> None:
    """One row per run, with the columns ``CSV_COLUMNS``.

    Floats are written with ``repr``, which reads back to the same float exactly; an
    option that does not apply (alpha for BCE, no prior) is left empty. The columns
    named tuned_ are the test set at the run's ``threshold``, chosen on the training set.
    """
    with Path(path).open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for run in results:
            writer.writerow(_csv_cell(value) for value in _csv_row(run))


def _csv_row(run: RunResult) -> tuple:
    setup, report, tuned = run.setup, run.report, run.tuned
    (tn, fp), (fn, tp) = report.confusion
    return (
        setup.name, setup.loss,
        setup.alpha if setup.loss == "focal" else None,
        setup.alpha_mode if setup.loss == "focal" else None,
        setup.gamma if setup.loss == "focal" else None,
        setup.epochs, setup.positive_prior, run.seed,
        report.accuracy, report.balanced_accuracy, report.precision, report.recall, report.f1,
        report.average_precision, tn, fp, fn, tp, run.final_loss,
        setup.pos_weight, report.brier, run.threshold,
        tuned.precision, tuned.recall, tuned.f1, tuned.true_positives, tuned.predicted_positives,
    )  # fmt: skip


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def summary_markdown(summaries: Iterable[Summary], comparisons: Iterable[Comparison]) -> str:
    """Two Markdown tables: each setup's statistics, then each against plain BCE seed by
    seed (comparisons made with ``PAIRED_METRICS``).

    Each cell with brackets is a mean [95% CI], or for positives found a median [Q1, Q3].
    """
    lines = [
        "| setup | runs | accuracy | positives found, median [Q1, Q3] | precision | recall "
        "| F1 | balanced accuracy | average precision | runs predicting no positive |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for summary in summaries:
        q1, median, q3 = summary.true_positives
        lines.append(
            f"| {summary.setup.name} | {summary.runs} | {summary.accuracy:.4f} "
            f"| {median:g} [{q1:g}, {q3:g}] | {formatted(summary.precision)} "
            f"| {formatted(summary.recall)} | {formatted(summary.f1)} "
            f"| {summary.balanced_accuracy:.3f} | {formatted(summary.average_precision)} "
            f"| {summary.no_positive_runs} of {summary.runs} |"
        )
    labels = {"recall": "recall", "average_precision": "AP"}
    return "\n".join(lines + [""] + _paired_table(comparisons, labels, "setup")) + "\n"


def rare_class_markdown(summaries: Iterable[Summary], comparisons: Iterable[Comparison]) -> str:
    """Two Markdown tables: every setup ranked by its mean F1 at the tuned threshold, at
    0.5 and at that threshold; then the best focal setups against BCE, plain and
    weighted, seed by seed (``compare_with_best_focal``)."""
    ranked = sorted(summaries, key=lambda summary: summary.tuned_f1.mean, reverse=True)
    lines = [
        "| rank | setup | runs | recall at 0.5 | precision at 0.5 | F1 at 0.5 "
        "| threshold chosen, median [Q1, Q3] | recall at it | precision at it | F1 at it "
        "| average precision | Brier score |",
        "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for rank, summary in enumerate(ranked, start=1):
        q1, median, q3 = summary.threshold
        lines.append(
            f"| {rank} | {summary.setup.name} | {summary.runs} "
            f"| {formatted(summary.recall)} | {formatted(summary.precision)} "
            f"| {formatted(summary.f1)} | {median:.2f} [{q1:.2f}, {q3:.2f}] "
            f"| {formatted(summary.tuned_recall)} | {formatted(summary.tuned_precision)} "
            f"| {formatted(summary.tuned_f1)} | {formatted(summary.average_precision)} "
            f"| {formatted(summary.brier, places=4)} |"
        )
    labels = {
        "f1": "F1 at 0.5",
        "tuned_f1": "F1 at the tuned threshold",
        "average_precision": "AP",
        "brier": "Brier score (lower is better)",
    }
    return "\n".join(lines + [""] + _paired_table(comparisons, labels, "focal")) + "\n"


def _paired_table(comparisons: Iterable[Comparison], labels: dict, who: str) -> list[str]:
    """A Markdown table of ``comparisons``: for each metric in ``labels`` (name: its
    heading), the seeds where ``who`` scored higher / the same / lower, and the mean
    difference with its interval."""
    first = "setup" if who == "setup" else f"{who} setup"
    header = f"| {first} | against |"
    for label in labels.values():
        header += f" {label}: {who} higher / same / lower | {label}, {who} - against |"
    lines = [header, "|---|---|" + "--:|" * (2 * len(labels))]
    for comparison in comparisons:
        row = f"| {comparison.setup.name} | {comparison.against.name} |"
        for metric in labels:
            count = comparison.counts[metric]
            places = 4 if metric == "brier" else 3
            row += (
                f" {count.wins} / {count.ties} / {count.losses} "
                f"| {formatted(count.difference, places)} |"
            )
        lines.append(row)
    return lines


def _checked_setups(setups) -> list[Setup]:
    setups = list(setups)
    for setup in setups:
        if not isinstance(setup, Setup):
            raise TypeError(f"each of setups must be a Setup, got {setup!r}")
    names = Counter(setup.name for setup in setups)
    repeated = [name for name, count in names.items() if count > 1]
    if repeated:
        # A repeated setup would count each seed twice in summarise, and two setups that
        # share a name could not be told apart in the tables or the CSV.
        raise ValueError(f"setups must be distinct, got more than one named {repeated[0]!r}")
    return setups


def _checked_seeds(seeds) -> list[int]:
    seeds = [NON_NEGATIVE_INT.check(seed, "each of seeds") for seed in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError("seeds must not repeat: each one is one initialisation")
    return seeds
