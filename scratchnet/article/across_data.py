"""The practitioner's question across data: does focal loss beat weighting and a moved threshold?

    settings = default_settings()                  # grid_data: 16 cells, the article's, real
    runs = run_grid(settings, data_seeds=range(10), init_seeds=range(5), jobs=2)
    answers = [answer_of(runs, setting) for setting in settings]

In each data setting, every data seed draws new data and a new split (``grid_data``),
and every initialisation seed new starting weights; each of ``RECIPES`` then trains
the article's network (its input as wide as the data) from those weights with
full-batch Adam at lr 0.01, and is measured after 30 and after 100 epochs of one
trajectory, at the threshold 0.5 and at the threshold that gives the best F1 on the
training split. A run depends only on (setting, data seed, recipe, initialisation
seed), so every recipe meets the same data and the same weights: the comparisons are
paired.

The answer per setting sets the best focal candidate against the best other one, each a
(recipe, epochs) picked by its mean F1 on the training splits at its tuned threshold, so
the test set never chooses. Intervals: two-level bootstrap over data seeds and, within
them, initialisations (``statistics.two_level_interval``).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scratchnet.article.dispatch import dispatch
from scratchnet.article.evaluation import report_of, threshold_of_best_f1
from scratchnet.article.experiment import train_in_stages
from scratchnet.article.grid_data import DataSetting, SplitData, make_data
from scratchnet.article.seed_study import ARTICLE_FOCAL, BCE, PAPER_FOCAL, Setup
from scratchnet.article.statistics import (
    FEWEST_CLUSTERS,
    Interval,
    detectable_difference,
    formatted,
    two_level_interval,
    wilson_interval,
)
from scratchnet.doors.values import NON_NEGATIVE_INT

GRID_EPOCHS = (30, 100)  # measured on one trajectory


@dataclass(frozen=True)
class Recipe:
    """One way a practitioner might train: a setup, its positives weighted by the data.

    weighting: None; "sqrt" for pos_weight = sqrt(negatives / positives) of the training
    split; "ratio" for pos_weight = negatives / positives, equal total class weight.
    """

    name: str
    base: Setup
    weighting: str | None = None

    @property
    def is_focal(self) -> bool:
        return self.base.loss == "focal"

    def setup(self, negatives_per_positive: float) -> Setup:
        if self.weighting is None:
            return self.base
        weight = negatives_per_positive
        if self.weighting == "sqrt":
            weight = math.sqrt(weight)
        return dataclasses.replace(self.base, pos_weight=weight)


RECIPES = (
    Recipe("BCE", BCE),
    Recipe("BCE, w = sqrt(neg/pos)", BCE, "sqrt"),
    Recipe("BCE, w = neg/pos", BCE, "ratio"),
    Recipe("focal, the article's (alpha 0.25 all, gamma 2)", ARTICLE_FOCAL),
    Recipe("focal, the paper's (alpha_t 0.75, gamma 2)", PAPER_FOCAL),
)


@dataclass(frozen=True)
class GridRun:
    """One recipe from one data seed and one initialisation, after ``epochs`` epochs.

    threshold: chosen on the training split (best F1 there); train_f1: that best F1.
    The test set: its positives; true and false positives at 0.5 and at the threshold;
    F1 at each; average precision and Brier score, which need no threshold.
    """

    setting: str
    data_seed: int
    init_seed: int
    recipe: str
    epochs: int
    pos_weight: float | None
    threshold: float
    train_f1: float
    test_positives: int
    true_positives: int
    false_positives: int
    tuned_true_positives: int
    tuned_false_positives: int
    f1: float
    tuned_f1: float
    average_precision: float
    brier: float


def run_grid(
    settings: Iterable[DataSetting],
    data_seeds: Iterable[int],
    init_seeds: Iterable[int],
    *,
    jobs: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    done: Iterable[GridRun] = (),
    on_task: Callable[[list[GridRun]], None] | None = None,
) -> list[GridRun]:
    """Every recipe on every setting, data seed and initialisation, at each of GRID_EPOCHS.

    jobs, on_progress: as ``seed_study.run_study`` takes them, on_progress counting
    trainings (one recipe from one data set and initialisation, measured at each stop);
    a task is one (setting, data seed, initialisation) and its five trainings. Results
    are ordered by setting, data seed, initialisation, recipe and epochs, and are the
    same bit for bit whatever runs them. done: runs of an earlier, interrupted call
    (``read_grid_csv``); a task all of whose runs are there is not run again. on_task
    receives each task's runs as it finishes, to keep them (``append_grid_csv``).
    """
    settings = list(settings)
    data_seeds = _checked_seeds(data_seeds, "data_seeds", FEWEST_CLUSTERS)
    init_seeds = _checked_seeds(init_seeds, "init_seeds", 1)
    tasks = grid_tasks(settings, data_seeds, init_seeds)
    results = kept_tasks(done, tasks)
    to_run = [task for task in tasks if _key(*task) not in results]
    report = on_progress or (lambda done, total: None)
    with closing(dispatch(grid_task, to_run, jobs=jobs)) as finished:
        for runs in finished:
            results[runs[0].setting, runs[0].data_seed, runs[0].init_seed] = runs
            if on_task is not None:
                on_task(runs)
            report(len(results) * len(RECIPES), len(tasks) * len(RECIPES))
    return [run for task in tasks for run in results[_key(*task)]]


def grid_tasks(settings, data_seeds, init_seeds) -> list[tuple[DataSetting, int, int]]:
    """Every (setting, data seed, initialisation seed) of a grid, in the order of its runs."""
    return [
        (setting, data_seed, init_seed)
        for setting in settings
        for data_seed in data_seeds
        for init_seed in init_seeds
    ]


def kept_tasks(runs: Iterable[GridRun], tasks) -> dict[tuple, list[GridRun]]:
    """{(setting name, data seed, init seed): its runs} for each of ``tasks`` whose runs,
    every recipe at every one of GRID_EPOCHS, ``runs`` hold whole."""
    wanted = {_key(*task) for task in tasks}
    found: dict[tuple, list[GridRun]] = {}
    for run in runs:
        found.setdefault((run.setting, run.data_seed, run.init_seed), []).append(run)
    per_task = len(RECIPES) * len(GRID_EPOCHS)
    return {key: runs for key, runs in found.items() if key in wanted and len(runs) == per_task}


def _key(setting: DataSetting, data_seed: int, init_seed: int) -> tuple:
    return setting.name, data_seed, init_seed


def grid_task(setting: DataSetting, data_seed: int, init_seed: int) -> list[GridRun]:
    """The runs of every recipe from one data set and one initialisation."""
    data = make_data(setting, data_seed)
    runs = []
    for recipe in RECIPES:
        setup = recipe.setup(data.negatives_per_positive)
        stages = train_in_stages(setup.make_loss(), data, seed=init_seed, stops=GRID_EPOCHS)
        for epochs, trained in zip(GRID_EPOCHS, stages):
            measured = _measured(trained, data)
            runs.append(
                GridRun(setting.name, data_seed, init_seed, recipe.name, epochs,
                        setup.pos_weight, **measured)
            )  # fmt: skip
    return runs


def _measured(trained, data: SplitData) -> dict:
    """A trained network's test numbers at 0.5 and at the threshold chosen on training."""
    y_train, y_test = data.y_train.ravel().astype(int), data.y_test.ravel().astype(int)
    p_train = trained.model.forward(data.X_train).ravel()
    threshold = threshold_of_best_f1(y_train, p_train)
    at_half = trained.report
    tuned = report_of(y_test, trained.test_probabilities.ravel(), threshold)
    return {
        "threshold": threshold,
        "train_f1": report_of(y_train, p_train, threshold).f1,
        "test_positives": at_half.positives,
        "true_positives": at_half.true_positives,
        "false_positives": at_half.predicted_positives - at_half.true_positives,
        "tuned_true_positives": tuned.true_positives,
        "tuned_false_positives": tuned.predicted_positives - tuned.true_positives,
        "f1": at_half.f1,
        "tuned_f1": tuned.f1,
        "average_precision": at_half.average_precision,
        "brier": at_half.brier,
    }


def _checked_seeds(seeds, name: str, fewest: int) -> list[int]:
    seeds = [NON_NEGATIVE_INT.check(seed, f"each of {name}") for seed in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{name} must not repeat")
    if len(seeds) < fewest:
        raise ValueError(f"{name} must hold at least {fewest}, got {len(seeds)}")
    return seeds


# The comparison.


@dataclass(frozen=True)
class Candidate:
    """A recipe stopped after some epochs: what a practitioner picks."""

    recipe: str
    epochs: int

    @property
    def name(self) -> str:
        return f"{self.recipe}, {self.epochs} epochs"


CANDIDATES = tuple(Candidate(recipe.name, epochs) for recipe in RECIPES for epochs in GRID_EPOCHS)
FOCAL = {recipe.name: recipe.is_focal for recipe in RECIPES}


class CellRuns:
    """The runs of one setting, as (data seeds, initialisations) matrices per candidate."""

    def __init__(self, runs: Iterable[GridRun], setting: str):
        self.by_key = {
            (run.data_seed, run.init_seed, Candidate(run.recipe, run.epochs)): run
            for run in runs
            if run.setting == setting
        }
        if not self.by_key:
            raise ValueError(f"runs hold no run of the setting {setting!r}")
        self.data_seeds = sorted({key[0] for key in self.by_key})
        self.init_seeds = sorted({key[1] for key in self.by_key})

    def values(self, candidate: Candidate, metric: str) -> np.ndarray:
        """(D, I): ``metric`` of each run of ``candidate``, by data seed and init."""
        return np.array(
            [
                [getattr(self.by_key[d, i, candidate], metric) for i in self.init_seeds]
                for d in self.data_seeds
            ],
            dtype=np.float64,
        )

    def best(self, focal: bool) -> Candidate:
        """The focal (or other) candidate with the best mean F1 on the training splits at
        its tuned threshold; ties go to the first in ``CANDIDATES``."""
        pool = [candidate for candidate in CANDIDATES if FOCAL[candidate.recipe] == focal]
        means = [float(np.mean(self.values(candidate, "train_f1"))) for candidate in pool]
        return pool[int(np.argmax(means))]


@dataclass(frozen=True)
class CellAnswer:
    """The best focal candidate against the best other one in one setting, on test F1
    at the tuned threshold.

    difference: focal - other, the mean over every (data seed, initialisation) pair,
    with its two-level interval. wins / ties / losses: data seeds on which the mean
    difference over initialisations is above, at or below 0; win_share: wins / data
    seeds with its Wilson interval. detectable: the smallest true difference the
    setting's runs find with 80% power.
    """

    setting: DataSetting
    data_seeds: int
    init_seeds: int
    positive_share: tuple[float, float, float]  # mean, min, max over data seeds
    test_positives: tuple[int, int]  # min, max
    train_positives: tuple[int, int]
    best_focal: Candidate
    best_other: Candidate
    focal_f1: float
    other_f1: float
    difference: Interval
    wins: int
    ties: int
    losses: int
    win_share: Interval
    detectable: float


def answer_of(runs: Sequence[GridRun], setting: DataSetting) -> CellAnswer:
    """The answer for one setting (see ``CellAnswer``)."""
    cell = CellRuns(runs, setting.name)
    focal, other = cell.best(focal=True), cell.best(focal=False)
    ours, theirs = cell.values(focal, "tuned_f1"), cell.values(other, "tuned_f1")
    difference = ours - theirs
    per_data_seed = difference.mean(axis=1)
    wins = int(np.sum(per_data_seed > 0))
    shares, test_positives, train_positives = [], [], []
    for data_seed in cell.data_seeds:
        data = make_data(setting, data_seed)
        shares.append(data.positive_share)
        test_positives.append(int(data.y_test.sum()))
        train_positives.append(int(data.y_train.sum()))
    return CellAnswer(
        setting=setting,
        data_seeds=len(cell.data_seeds),
        init_seeds=len(cell.init_seeds),
        positive_share=(float(np.mean(shares)), min(shares), max(shares)),
        test_positives=(min(test_positives), max(test_positives)),
        train_positives=(min(train_positives), max(train_positives)),
        best_focal=focal,
        best_other=other,
        focal_f1=float(np.mean(ours)),
        other_f1=float(np.mean(theirs)),
        difference=two_level_interval(difference),
        wins=wins,
        ties=int(np.sum(per_data_seed == 0)),
        losses=int(np.sum(per_data_seed < 0)),
        win_share=wilson_interval(wins, len(cell.data_seeds)),
        detectable=detectable_difference(difference),
    )


PAIRED_METRICS = {
    "f1": "F1 at 0.5",
    "tuned_f1": "F1 at the tuned threshold",
    "average_precision": "AP",
    "brier": "Brier (lower is better)",
}


def paired_differences(runs: Sequence[GridRun], setting: DataSetting) -> list[tuple]:
    """Each focal recipe against each other recipe at the same epochs, in one setting:
    (epochs, focal recipe, other recipe, {metric: Interval of focal - other})."""
    cell = CellRuns(runs, setting.name)
    rows = []
    for epochs in GRID_EPOCHS:
        for focal in (recipe for recipe in RECIPES if recipe.is_focal):
            for other in (recipe for recipe in RECIPES if not recipe.is_focal):
                ours, theirs = Candidate(focal.name, epochs), Candidate(other.name, epochs)
                intervals = {
                    metric: two_level_interval(
                        cell.values(ours, metric) - cell.values(theirs, metric)
                    )
                    for metric in PAIRED_METRICS
                }
                rows.append((epochs, focal.name, other.name, intervals))
    return rows


def candidate_means(runs: Sequence[GridRun], setting: DataSetting) -> list[tuple]:
    """(candidate, {metric: mean over the setting's runs}) for every candidate."""
    cell = CellRuns(runs, setting.name)
    metrics = ("train_f1", *PAIRED_METRICS)
    return [
        (candidate, {metric: float(np.mean(cell.values(candidate, metric))) for metric in metrics})
        for candidate in CANDIDATES
    ]


# Files: the runs as CSV, the tables as Markdown.

GRID_CSV_COLUMNS = tuple(field.name for field in dataclasses.fields(GridRun))


def write_grid_csv(runs: Iterable[GridRun], path) -> None:
    """One row per run, columns ``GRID_CSV_COLUMNS``; floats as ``repr`` (exact)."""
    with Path(path).open("w", newline="") as file:
        _write_rows(file, runs, header=True)


def append_grid_csv(runs: Iterable[GridRun], path) -> None:
    """Add ``runs`` to a file ``write_grid_csv`` would write (beginning it if there is
    none), and flush them to disk: what an interrupted grid keeps, to resume from."""
    path = Path(path)
    header = not path.exists()
    with path.open("a", newline="") as file:
        _write_rows(file, runs, header=header)
        file.flush()
        os.fsync(file.fileno())


def _write_rows(file, runs: Iterable[GridRun], header: bool) -> None:
    writer = csv.writer(file)
    if header:
        writer.writerow(GRID_CSV_COLUMNS)
    for run in runs:
        writer.writerow(
            "" if value is None else repr(value) if isinstance(value, float) else value
            for value in dataclasses.astuple(run)
        )


def read_grid_csv(path) -> list[GridRun]:
    """The runs ``write_grid_csv`` wrote, exactly: to redraw the tables and the figure
    without training again, or to set another implementation's runs beside these."""
    kinds = {field.name: field.type for field in dataclasses.fields(GridRun)}
    with Path(path).open(newline="") as file:
        return [
            GridRun(**{name: _parsed(text, kinds[name]) for name, text in row.items()})
            for row in csv.DictReader(file)
        ]


def _parsed(text: str, kind: str):
    if kind == "str":
        return text
    if text == "":
        return None
    return int(text) if kind == "int" else float(text)


def answers_markdown(answers: Sequence[CellAnswer], marked: bool = True) -> str:
    """The answer per setting, one row each; marked: a difference whose interval excludes
    0 gets a star (too few data seeds to trust the intervals: none does)."""
    lines = [
        "| data | positives: share [min, max] | test positives | best focal (by training F1) "
        "| best other (by training F1) | test F1, focal | test F1, other "
        "| focal - other [95% CI, data and init] | data seeds focal higher / same / lower "
        "| share of data seeds focal higher [Wilson 95%] | smallest detectable difference |",
        "|---|--:|--:|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for answer in answers:
        mean, low, high = answer.positive_share
        fewest, most = answer.test_positives
        lines.append(
            f"| {answer.setting.name} | {mean:.2%} [{low:.2%}, {high:.2%}] "
            f"| {_range(fewest, most)} | {answer.best_focal.name} | {answer.best_other.name} "
            f"| {answer.focal_f1:.3f} | {answer.other_f1:.3f} | {formatted(answer.difference)}"
            f"{' *' if marked and _excludes_zero(answer.difference) else ''} "
            f"| {answer.wins} / {answer.ties} / {answer.losses} "
            f"| {formatted(answer.win_share, 2)} | {answer.detectable:.3f} |"
        )
    return "\n".join(lines) + "\n"


def paired_markdown(runs: Sequence[GridRun], settings: Sequence[DataSetting]) -> str:
    """Every focal recipe against every other one, per setting and epochs."""
    header = "| data | epochs | focal | against |"
    header += "".join(f" {label}, focal - against |" for label in PAIRED_METRICS.values())
    lines = [header, "|---|--:|---|---|" + "--:|" * len(PAIRED_METRICS)]
    for setting in settings:
        for epochs, focal, other, intervals in paired_differences(runs, setting):
            cells = "".join(
                f" {formatted(intervals[metric], 4 if metric == 'brier' else 3)} |"
                for metric in PAIRED_METRICS
            )
            lines.append(f"| {setting.name} | {epochs} | {focal} | {other} |{cells}")
    return "\n".join(lines) + "\n"


def means_markdown(runs: Sequence[GridRun], settings: Sequence[DataSetting]) -> str:
    """Every candidate's means, per setting: what the answer table picks from."""
    lines = [
        "| data | candidate | training F1 at the tuned threshold | test F1 at 0.5 "
        "| test F1 at the tuned threshold | AP | Brier |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for setting in settings:
        for candidate, means in candidate_means(runs, setting):
            lines.append(
                f"| {setting.name} | {candidate.name} | {means['train_f1']:.3f} "
                f"| {means['f1']:.3f} | {means['tuned_f1']:.3f} "
                f"| {means['average_precision']:.3f} | {means['brier']:.4f} |"
            )
    return "\n".join(lines) + "\n"


def _excludes_zero(interval: Interval) -> bool:
    return interval.low > 0 or interval.high < 0


def _range(low: int, high: int) -> str:
    return f"{low}" if low == high else f"{low} to {high}"
