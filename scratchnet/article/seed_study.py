"""The honest comparison: BCE against focal loss over many initialisations of the network.

The article trains each network once, from one unseeded draw of initial weights. This
module trains every setup from each of many seeds, so that what the loss does can be
told apart from what the draw does:

    setups = expand_groups(["article", "gamma"])         # BCE and the focal variants
    results = run_study(setups, seeds=range(100), jobs=2)
    summaries = [summarise(results, setup) for setup in setups]
    comparisons = [compare_paired(results, setup) for setup in setups if setup.loss == "focal"]

A setup is trained from seed s by ``train_article_model(..., seed=s)``, so seed s of
every setup starts from the same weights, the ones ``demo.py --seed s`` uses. That makes
the comparison paired: focal loss and BCE from one seed differ only in the loss.

Statistics
----------
* Means come with a 95% t-interval, mean +- t(0.975, n - 1) s / sqrt(n), where s is the
  sample standard deviation of the n runs (see ``mean_interval``).
* Counts of positives found are summarised by median and quartiles (numpy's default,
  linear interpolation), since they are small whole numbers with a pile-up at 0.
* Paired comparisons count the seeds on which focal loss scores higher than, exactly
  the same as, or lower than BCE from the same seed.
"""

from __future__ import annotations

import csv
import functools
import math
import numbers
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scratchnet._checks import NON_NEGATIVE_INT, POSITIVE_INT
from scratchnet.article.data import ArticleData, load_article_data
from scratchnet.article.evaluation import BinaryReport
from scratchnet.article.experiment import ALPHA, EPOCHS, GAMMA, train_article_model
from scratchnet.losses import BCELoss, FocalLoss

LOSSES = ("BCE", "focal")
PAPER_PRIOR = 0.01  # the focal loss paper's pi for the output bias (see set_prior_bias)


@dataclass(frozen=True)
class Setup:
    """One way of training the article's network: a loss, its options, epochs, init.

    loss: "BCE" or "focal". alpha, alpha_mode, gamma: ``FocalLoss``'s options (unused
    for BCE). epochs: full-batch epochs of Adam at the article's lr 0.01.
    positive_prior: None for PyTorch's default init, or pi for the paper's output bias.
    """

    loss: str
    alpha: float | None = None
    alpha_mode: str = "constant"
    gamma: float = 0.0
    epochs: int = EPOCHS
    positive_prior: float | None = None

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        POSITIVE_INT.check(self.epochs, "epochs")
        self.make_loss()  # FocalLoss checks alpha, alpha_mode and gamma, naming each

    @property
    def name(self) -> str:
        """A short label for tables and figures, e.g. "focal alpha=0.25 all, gamma=2".

        "alpha=0.25 all" is the article's alpha, on every term; "alpha_t=0.75/0.25" the
        paper's, 0.75 for positives and 0.25 for negatives.
        """
        if self.loss == "BCE":
            name = "BCE"
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
            label = "BCE"
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
            return BCELoss()
        return FocalLoss(alpha=self.alpha, gamma=self.gamma, alpha_mode=self.alpha_mode)

    def baseline(self) -> Setup:
        """The BCE setup a focal setup is paired with: same epochs, same initialisation."""
        return Setup("BCE", epochs=self.epochs, positive_prior=self.positive_prior)


BCE = Setup("BCE")
ARTICLE_FOCAL = Setup("focal", alpha=ALPHA, gamma=GAMMA)

GROUPS: dict[str, tuple[Setup, ...]] = {
    # The article: alpha = 0.25 on every term, gamma = 2, 30 epochs.
    "article": (BCE, ARTICLE_FOCAL),
    # The paper's alpha_t (alpha for positives, 1 - alpha for negatives), and no alpha.
    "alpha": (
        Setup("focal", alpha=0.25, gamma=GAMMA, alpha_mode="per_class"),
        Setup("focal", alpha=0.75, gamma=GAMMA, alpha_mode="per_class"),
        Setup("focal", alpha=None, gamma=GAMMA),
    ),
    # The article's focal loss with gamma swept; gamma = 0 is BCE scaled by alpha.
    "gamma": tuple(Setup("focal", alpha=ALPHA, gamma=gamma) for gamma in (0.0, 0.5, 1.0, 2.0, 5.0)),
    "epochs": tuple(
        Setup(loss, alpha=ARTICLE_FOCAL.alpha if loss == "focal" else None, gamma=gamma, epochs=n)
        for n in (100, 300)
        for loss, gamma in (("BCE", 0.0), ("focal", GAMMA))
    ),
    "prior": (
        Setup("BCE", positive_prior=PAPER_PRIOR),
        Setup("focal", alpha=ALPHA, gamma=GAMMA, positive_prior=PAPER_PRIOR),
    ),
}


def expand_groups(group_names: Iterable[str]) -> list[Setup]:
    """The setups of the named groups, in order, each once, with every BCE baseline needed.

    A focal setup's baseline (``Setup.baseline``) is placed before it if not already
    listed, so that every focal setup can be compared with BCE from the same seeds.
    """
    setups: list[Setup] = []
    for group_name in group_names:
        if group_name not in GROUPS:
            raise ValueError(f"group must be one of {tuple(GROUPS)}, got {group_name!r}")
        for setup in GROUPS[group_name]:
            needed = [setup.baseline(), setup] if setup.loss == "focal" else [setup]
            setups += [each for each in needed if each not in setups]
    return setups


@dataclass(frozen=True)
class RunResult:
    """One network trained with one setup from one seed, and its test-set report."""

    setup: Setup
    seed: int
    report: BinaryReport
    final_loss: float  # the training loss at the last epoch, before its step


def run_one(setup: Setup, seed: int, data: ArticleData) -> RunResult:
    """Train the article's network with ``setup`` from ``seed`` and test it."""
    trained = train_article_model(
        setup.make_loss(),
        data,
        seed=seed,
        epochs=setup.epochs,
        positive_prior=setup.positive_prior,
    )
    return RunResult(setup, seed, trained.report, trained.loss_history[-1])


def run_study(
    setups: Iterable[Setup],
    seeds: Iterable[int],
    *,
    jobs: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[RunResult]:
    """Train every setup from every seed; results ordered by setup (as given), then seed.

    jobs: worker processes (default ``available_cpus()``); 1 runs in this process.
    on_progress(done, total) is called after each run finishes. An exception, from a
    run, from on_progress or from Ctrl-C, cancels the runs not yet started.

    Each run depends only on its setup and seed, and each process builds the same data,
    so the results are the same bit for bit whatever ``jobs`` is. (``train`` already
    runs on one BLAS thread, so two processes on two cores do not fight over them.)
    """
    setups, seeds = _checked_setups(setups), _checked_seeds(seeds)
    jobs = available_cpus() if jobs is None else POSITIVE_INT.check(jobs, "jobs")
    tasks = [(setup, seed) for seed in seeds for setup in setups]
    report = on_progress or (lambda done, total: None)
    results = {}
    if jobs == 1:
        for done, (setup, seed) in enumerate(tasks, start=1):
            results[setup, seed] = _run_task(setup, seed)
            report(done, len(tasks))
    else:
        executor = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts)
        try:
            futures = {executor.submit(_run_task, *task): task for task in tasks}
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                report(done, len(tasks))
        finally:
            # After Ctrl-C or a failed run, cancel the runs not yet started; leaving a
            # ``with`` block would instead wait for every one of them to finish.
            executor.shutdown(cancel_futures=True)
    return [results[setup, seed] for setup in setups for seed in seeds]


def available_cpus() -> int:
    """The CPUs this process may run on: ``run_study``'s and study.py's default jobs.

    ``os.sched_getaffinity`` sees a limit set by taskset or a container's cpuset, which
    ``os.cpu_count`` (every CPU of the machine) does not; it is missing on macOS and
    Windows.
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _ignore_interrupts() -> None:
    """A worker's initializer: leave Ctrl-C, which reaches every process of the
    terminal's group, to the parent.

    The parent cancels the runs not yet started, and each worker finishes the run in
    hand and exits, instead of printing a traceback of its own or breaking the pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@functools.cache
def _article_data() -> ArticleData:
    """The data, built once per process (a worker then reuses it for every run)."""
    return load_article_data()


def _run_task(setup: Setup, seed: int) -> RunResult:
    return run_one(setup, seed, _article_data())


@dataclass(frozen=True)
class Interval:
    """A mean and its 95% confidence interval [low, high]."""

    mean: float
    low: float
    high: float


def t_quantile_975(df: int) -> float:
    """t(0.975, df), the 97.5% quantile of Student's t with df degrees of freedom.

    Computed from the normal quantile z = 1.95996... by the Cornish-Fisher expansion in
    1/df (Abramowitz and Stegun, 26.7.5). Its error is below 0.001 for df >= 4
    (2.7756 for 2.7764 at df = 4) and below 0.00002 from df = 9 (1.98422 at df = 99, the
    exact value to five decimals); below df = 4 it grows (3.179 for 3.182 at df = 3),
    so it is refused.
    """
    if isinstance(df, bool) or not isinstance(df, numbers.Integral):
        raise TypeError(f"df must be an integer, got {df!r}")
    if df < 4:
        raise ValueError(f"df must be at least 4 for this approximation, got {df}")
    z = 1.959963984540054
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * df**4)
    )


def mean_interval(values) -> Interval:
    """The mean of ``values`` (n >= 5 numbers) with its 95% t-interval.

        half-width = t(0.975, n - 1) * s / sqrt(n),   s = std(values, ddof=1)

    The t-interval assumes the mean is roughly normal across seeds, which is fair for
    the 100 or more runs a study uses even though each value is bounded and lumpy.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size < 5:
        raise ValueError(f"values must hold at least 5 numbers for an interval, got {values.size}")
    mean = float(np.mean(values))
    standard_error = float(np.std(values, ddof=1)) / math.sqrt(values.size)
    half_width = t_quantile_975(values.size - 1) * standard_error
    return Interval(mean, mean - half_width, mean + half_width)


@dataclass(frozen=True)
class Summary:
    """What one setup did across its n runs (n seeds)."""

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
    reports = [run.report for run in runs_of(results, setup)]
    if not reports:
        raise ValueError(f"results hold no run of the setup {setup.name!r}")

    def values(metric: str) -> np.ndarray:
        return np.array([getattr(report, metric) for report in reports], dtype=np.float64)

    q1, median, q3 = np.percentile(values("true_positives"), [25, 50, 75])
    return Summary(
        setup=setup,
        runs=len(reports),
        accuracy=float(np.mean(values("accuracy"))),
        true_positives=(float(q1), float(median), float(q3)),
        precision=mean_interval(values("precision")),
        recall=mean_interval(values("recall")),
        f1=mean_interval(values("f1")),
        balanced_accuracy=float(np.mean(values("balanced_accuracy"))),
        average_precision=mean_interval(values("average_precision")),
        no_positive_runs=int(np.sum(values("predicted_positives") == 0)),
    )


@dataclass(frozen=True)
class PairedCount:
    """On how many seeds focal loss scored higher than, equal to, or lower than BCE.

    difference: the mean over seeds of (focal - BCE), with its 95% t-interval.
    """

    wins: int
    ties: int
    losses: int
    difference: Interval


@dataclass(frozen=True)
class Comparison:
    """A focal setup against its BCE baseline, seed by seed."""

    setup: Setup
    recall: PairedCount
    average_precision: PairedCount


def compare_paired(results: Iterable[RunResult], setup: Setup) -> Comparison:
    """Pair each run of the focal ``setup`` with the BCE run from the same seed."""
    results = list(results)
    focal_runs, bce_runs = runs_of(results, setup), runs_of(results, setup.baseline())
    if [run.seed for run in focal_runs] != [run.seed for run in bce_runs] or not focal_runs:
        raise ValueError(
            f"results must hold {setup.name!r} and its baseline "
            f"{setup.baseline().name!r} for the same seeds"
        )

    def count(metric: str) -> PairedCount:
        focal = np.array([getattr(run.report, metric) for run in focal_runs])
        bce = np.array([getattr(run.report, metric) for run in bce_runs])
        difference = focal - bce
        return PairedCount(
            wins=int(np.sum(difference > 0)),
            ties=int(np.sum(difference == 0)),
            losses=int(np.sum(difference < 0)),
            difference=mean_interval(difference),
        )

    return Comparison(setup, count("recall"), count("average_precision"))


CSV_COLUMNS = (
    "setup", "loss", "alpha", "alpha_mode", "gamma", "epochs", "positive_prior", "seed",
    "accuracy", "balanced_accuracy", "precision", "recall", "f1", "average_precision",
    "true_negatives", "false_positives", "false_negatives", "true_positives", "final_loss",
)  # fmt: skip


def write_csv(results: Iterable[RunResult], path) -> None:
    """One row per run, with the columns ``CSV_COLUMNS``.

    Floats are written with ``repr``, which reads back to the same float exactly; an
    option that does not apply (alpha for BCE, no prior) is left empty.
    """
    with Path(path).open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for run in results:
            writer.writerow(_csv_cell(value) for value in _csv_row(run))


def _csv_row(run: RunResult) -> tuple:
    setup, report = run.setup, run.report
    (tn, fp), (fn, tp) = report.confusion
    return (
        setup.name, setup.loss,
        setup.alpha if setup.loss == "focal" else None,
        setup.alpha_mode if setup.loss == "focal" else None,
        setup.gamma if setup.loss == "focal" else None,
        setup.epochs, setup.positive_prior, run.seed,
        report.accuracy, report.balanced_accuracy, report.precision, report.recall, report.f1,
        report.average_precision, tn, fp, fn, tp, run.final_loss,
    )  # fmt: skip


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def summary_markdown(summaries: Iterable[Summary], comparisons: Iterable[Comparison]) -> str:
    """Two Markdown tables: each setup's statistics, then focal against BCE seed by seed.

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
            f"| {median:g} [{q1:g}, {q3:g}] | {_interval(summary.precision)} "
            f"| {_interval(summary.recall)} | {_interval(summary.f1)} "
            f"| {summary.balanced_accuracy:.3f} | {_interval(summary.average_precision)} "
            f"| {summary.no_positive_runs} of {summary.runs} |"
        )
    lines += [
        "",
        "| focal setup | against | recall: focal higher / same / lower | recall, focal - BCE "
        "| AP: focal higher / same / lower | AP, focal - BCE |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for comparison in comparisons:
        recall, ap = comparison.recall, comparison.average_precision
        lines.append(
            f"| {comparison.setup.name} | {comparison.setup.baseline().name} "
            f"| {recall.wins} / {recall.ties} / {recall.losses} | {_interval(recall.difference)} "
            f"| {ap.wins} / {ap.ties} / {ap.losses} | {_interval(ap.difference)} |"
        )
    return "\n".join(lines) + "\n"


def _interval(interval: Interval) -> str:
    mean, low, high = map(_three_places, (interval.mean, interval.low, interval.high))
    return f"{mean} [{low}, {high}]"


def _three_places(value: float) -> str:
    """``value`` to three decimals, and 0.000 rather than -0.000 for one that rounds to 0.

    A table's -0.000 would claim a sign that the digits shown do not carry. (Python
    3.11's "z" format option does this; scratchnet still supports 3.10.)
    """
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


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
