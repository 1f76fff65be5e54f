"""Is it the loss or the draw? BCE against focal loss over many initialisations, and across data.

    python study.py                              # every group, 200 seeds, each CPU it may use
    python study.py --groups article gamma --seeds 20 --jobs 1
    python study.py --grid                       # the study across data: 21 data settings
    python study.py --grid --data-seeds 3 --inits 2 --extreme

Trains the article's network with BCE, weighted BCE and each focal loss setup from
seeds first-seed, first-seed + 1, ..., (seed s starts from the weights ``demo.py --seed
s`` uses), then writes to ``--out``: runs.csv (every run), summary.md (the statistics of
each setup and the seed-by-seed comparison with BCE), rare_class.md (every setup ranked,
at 0.5 and at a threshold chosen on the training set, with its Brier score, and the best
focal setups against BCE, plain and weighted) and the figures. The same arguments give
the same files, bit for bit, whatever ``--jobs`` is.

With ``--grid`` it runs the study across data instead (``scratchnet.article.across_data``):
BCE, weighted BCE and two focal losses on a grid of imbalance x class separation, the
article's data and four real data sets, from ``--data-seeds`` data sets and ``--inits``
initialisations each, and writes grid_runs.csv, across_data.md and across_data.png.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from scratchnet.article.across_data import (
    GRID_EPOCHS,
    RECIPES,
    answer_of,
    answers_markdown,
    append_grid_csv,
    grid_tasks,
    kept_tasks,
    means_markdown,
    paired_markdown,
    read_grid_csv,
    run_grid,
    write_grid_csv,
)
from scratchnet.article.cli import (
    OneLineErrorParser,
    non_negative_int,
    positive_int,
    usable_output_folder,
)
from scratchnet.article.cluster import on_dask
from scratchnet.article.data import load_article_data
from scratchnet.article.dispatch import available_cpus
from scratchnet.article.experiment import EPOCHS, LEARNING_RATE
from scratchnet.article.grid_data import default_settings
from scratchnet.article.plots import (
    FIGURE_DPI,
    plot_focal_advantage,
    plot_focal_loss_curves,
    plot_gradient_per_example,
    plot_metric_distributions,
    plot_precision_recall,
    plot_reliability,
    plot_threshold_and_brier,
)
from scratchnet.article.seed_study import (
    ARTICLE_FOCAL,
    BALANCED_POS_WEIGHT,
    BCE,
    GROUPS,
    PAPER_FOCAL,
    SQRT_POS_WEIGHT,
    Setup,
    compare_paired,
    compare_with_best_focal,
    expand_groups,
    rare_class_markdown,
    run_study,
    runs_of,
    summarise,
    summary_markdown,
    write_csv,
)

SEEDS = 200
DATA_SEEDS, INIT_SEEDS = 10, 5  # the study across data: per data setting
# The approaches the rare-class figures show, each at each of ANSWER_EPOCHS.
ANSWER_SETUPS = (
    BCE,
    Setup("BCE", pos_weight=SQRT_POS_WEIGHT),
    Setup("BCE", pos_weight=BALANCED_POS_WEIGHT),
    ARTICLE_FOCAL,
    PAPER_FOCAL,
)
ANSWER_EPOCHS = (EPOCHS, 100)
FEWEST_TO_MARK = 5  # data seeds: fewer, and the grid marks no interval as excluding 0
PARTIAL_CSV = "grid_runs.partial.csv"  # the runs of an unfinished grid, to resume from
PROGRESS_STEP = 0.05  # report progress each time another 5% of the runs is done
JITTER_SEED = 0  # the seed of the dots' vertical jitter in the distribution figure


def parse_args(argv=None) -> argparse.Namespace:
    cpus = available_cpus()
    parser = OneLineErrorParser(
        prog="study.py",
        description="Train BCE and focal loss setups from many seeds and compare them.",
    )
    parser.add_argument(
        "--seeds",
        type=_at_least(5, "seeds (a confidence interval needs them)"),
        default=SEEDS,
        help=f"initialisations per setup, at least 5 (default {SEEDS})",
    )
    parser.add_argument(
        "--first-seed",
        type=non_negative_int,
        default=0,
        help="the first seed; the others follow it (default 0)",
    )
    parser.add_argument(
        "--groups",
        nargs="+",
        choices=tuple(GROUPS),
        default=list(GROUPS),
        help="which setups to run (default: all); BCE baselines are added as needed",
    )
    parser.add_argument(
        "--grid",
        action="store_true",
        help="run the study across data instead: a grid of imbalance x separation, the "
        "article's data and real data sets (--seeds, --first-seed and --groups then unused)",
    )
    parser.add_argument(
        "--data-seeds",
        type=_at_least(2, "data seeds (an interval over data needs them)"),
        default=DATA_SEEDS,
        help=f"with --grid: data sets drawn per data setting, at least 2 (default {DATA_SEEDS})",
    )
    parser.add_argument(
        "--inits",
        type=positive_int,
        default=INIT_SEEDS,
        help=f"with --grid: initialisations per data set (default {INIT_SEEDS})",
    )
    parser.add_argument(
        "--extreme",
        action="store_true",
        help="with --grid: add the 99.9:0.1 row, about 170,000 samples a cell; "
        "a job for a cluster (see docs/across-data.md)",
    )
    parser.add_argument(
        "--dask",
        metavar="WHERE",
        help='with --grid: run on a Dask cluster: "local" starts one of --jobs worker '
        'processes here; "tcp://host:8786" uses a running scheduler\'s workers '
        "(see docs/across-data.md; needs the dask extra)",
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=cpus,
        help=f"worker processes, at most the CPUs this process may use ({cpus} here): a "
        f"larger value is lowered to that, since more processes than CPUs only wait "
        f"(default {cpus})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("study-output"),
        help="folder for runs.csv, summary.md, rare_class.md and the figures "
        "(default ./study-output)",
    )
    args = parser.parse_args(argv)
    if args.jobs > cpus:
        print(
            f"study.py: --jobs {args.jobs} lowered to {cpus}, the CPUs it may use", file=sys.stderr
        )
        args.jobs = cpus
    return args


def _at_least(minimum: int, what: str):
    """An argparse type: a positive integer of at least ``minimum`` (``what`` says of what)."""

    def parse(text: str) -> int:
        value = positive_int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected at least {minimum} {what}, got {text!r}")
        return value

    return parse


class Progress:
    """An ``on_progress`` callback: one line on stderr per 5% of the runs done, with the
    time left at the pace of those done so far.

    It keeps the count of runs done, for the line an interrupt prints. already: runs kept
    from an interrupted call, counted as done but not in the pace.
    """

    def __init__(self, started: float, unit: str = "runs", already: int = 0):
        self.done, self.started, self.next_share = already, started, PROGRESS_STEP
        self.unit, self.already = unit, already

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        if done / total >= self.next_share or done == total:
            elapsed = time.perf_counter() - self.started
            share = f"{done / total:.0%}"
            line = f"  {done} of {total} {self.unit} ({share}), {elapsed:.0f} s"
            if done < total:
                left = elapsed / (done - self.already) * (total - done)
                line += f", about {left:.0f} s to go"
            print(line, file=sys.stderr)
            while self.next_share <= done / total:
                self.next_share += PROGRESS_STEP


def counted(count: int, noun: str) -> str:
    """A count and its noun, plural past one: "1 initialisation", "5 initialisations"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary_document(args, setups, results) -> str:
    """summary.md: how it was made, then the two tables."""
    summaries = [summarise(results, setup) for setup in setups]
    comparisons = [compare_paired(results, setup) for setup in setups if setup != setup.baseline()]
    header = [
        f"# BCE against focal loss over {args.seeds} initialisations",
        "",
        _how_made(args),
        "Test set: 1,800 samples, 28 positive. Brackets: mean [95% bootstrap percentile "
        "interval over the seeds, which covers the draw of the initial weights only, not of "
        "the data], or for positives found median [quartiles]. Precision counts 0 for a "
        "run that predicts no positive. Same: exactly equal. Each setup is paired with "
        "plain BCE at the same epochs and initialisation.",
    ]
    return "\n".join(header) + "\n\n" + summary_markdown(summaries, comparisons)


def rare_class_document(args, setups, results) -> str:
    """rare_class.md: how it was made, then every setup ranked and the best focal setups
    against BCE, plain and weighted."""
    summaries = [summarise(results, setup) for setup in setups]
    header = [
        f"# What finds the rare class? Every setup over {args.seeds} initialisations",
        "",
        _how_made(args),
        "Test set: 1,800 samples, 28 positive. Brackets: mean [95% bootstrap percentile "
        "interval over the seeds, which covers the draw of the initial weights only, not of "
        "the data], or for the threshold median [quartiles]. Ranked by mean F1 at the "
        "tuned threshold: for each run, the threshold t for which p > t gives the best F1 "
        "on the training set (4,200 points, 60 positive); the test set is never read to "
        "choose it. Brier score: mean (p - y)^2 over the test set, lower is better; always "
        "saying p = 28 / 1800 scores 0.0153.",
        "Second table: for each number of epochs, the focal setup with the best mean F1 "
        "at the tuned threshold (chosen by these test results, so the strongest focal "
        "contender, not one a user could have known in advance) against each BCE setup, "
        "plain or weighted, from the same seeds. Same: exactly equal.",
    ]
    comparisons = compare_with_best_focal(results, setups)
    return "\n".join(header) + "\n\n" + rare_class_markdown(summaries, comparisons)


def _how_made(args) -> str:
    last_seed = args.first_seed + args.seeds - 1
    return (
        f"`python study.py --seeds {args.seeds} --first-seed {args.first_seed} "
        f"--groups {' '.join(args.groups)}`: seeds {args.first_seed} to {last_seed}, "
        "the article's data, network, Adam at lr 0.01, full batch; "
        "30 epochs unless the setup says otherwise."
    )


def representative_seed(results) -> int:
    """The seed whose BCE and article-focal average precisions are nearest their medians.

    Distance: |AP_BCE - median AP_BCE| + |AP_focal - median AP_focal|; ties go to the
    smallest seed. One seed for both losses, so the two curves start from one init.
    """
    distance = 0.0
    for setup in (BCE, ARTICLE_FOCAL):
        ap = np.array([run.report.average_precision for run in runs_of(results, setup)])
        distance = distance + np.abs(ap - np.median(ap))
    seeds = [run.seed for run in runs_of(results, BCE)]
    return seeds[int(np.argmin(distance))]


def make_figures(setups, results) -> dict:
    """The teaching figures, the distributions across seeds, and one run's PR curves.

    The precision-recall figure needs BCE and the article's focal loss among ``setups``.
    """
    seeds = [run.seed for run in runs_of(results, setups[0])]
    seed_range = f"{len(seeds)} seeds ({seeds[0]} to {seeds[-1]})"
    figures = {
        "focal_loss_curves": plot_focal_loss_curves(),
        "gradient_per_example": plot_gradient_per_example(),
        "distributions": plot_metric_distributions(
            {
                metric.replace("_", " "): {
                    setup.label: [getattr(run.report, metric) for run in runs_of(results, setup)]
                    for setup in setups
                }
                for metric in ("recall", "average_precision")
            },
            rng=np.random.default_rng(JITTER_SEED),
            title=f"Test-set recall and average precision: each setup trained from "
            f"{seed_range}, {len(results):,} runs in all",
        ),
    }
    data = load_article_data()
    panels = reliability_panels(setups, results, data.y_test)
    if panels:
        figures["reliability"] = plot_reliability(
            panels,
            title=f"Are the probabilities right? Test set, each setup trained from {seed_range}: "
            f"each curve pools its {len(seeds)} runs' {len(seeds) * len(data.y_test):,} "
            f"test points",
        )
    answer = [summarise(results, setup) for setup in answer_setups(setups)]
    if answer:
        share = float(np.mean(data.y_test))
        f1_at_half, f1_tuned, brier = (
            {each.setup.label: dataclasses.astuple(getattr(each, metric)) for each in answer}
            for metric in ("f1", "tuned_f1", "brier")
        )  # {label: (mean, low, high)}
        figures["threshold_and_brier"] = plot_threshold_and_brier(
            f1_at_half,
            f1_tuned,
            brier,
            reference_brier=share * (1 - share),  # always p = share: the mean of (share - y)^2
            title=f"Moving the threshold, and how far p can be trusted: each setup trained "
            f"from {seed_range}",
        )
    if BCE in setups and ARTICLE_FOCAL in setups:
        seed = representative_seed(results)
        runs = {
            name: next(run for run in runs_of(results, setup) if run.seed == seed)
            for name, setup in (("BCE", BCE), ("the article's focal", ARTICLE_FOCAL))
        }
        figures["precision_recall"] = plot_precision_recall(
            data.y_test,
            {name: run.test_probabilities for name, run in runs.items()},
            title=f"Seed {seed}: of the {seed_range}, the one whose BCE and focal average "
            f"precisions are together nearest their medians\n{ARTICLE_FOCAL.epochs} epochs of "
            f"Adam (lr {LEARNING_RATE:g}); focal loss with alpha {ARTICLE_FOCAL.alpha:g} on every "
            f"term, gamma {ARTICLE_FOCAL.gamma:g}; test set, {len(data.y_test):,} points, "
            f"{int(data.y_test.sum())} positive",
        )
    return figures


def answer_setups(setups) -> list[Setup]:
    """Those of ``setups`` that are one of ``ANSWER_SETUPS`` at one of ``ANSWER_EPOCHS``,
    in that order: by epochs, then as ``ANSWER_SETUPS`` lists them."""
    wanted = [
        dataclasses.replace(setup, epochs=epochs)
        for epochs in ANSWER_EPOCHS
        for setup in ANSWER_SETUPS
    ]
    return [setup for setup in wanted if setup in setups]


def reliability_panels(setups, results, y_test) -> dict:
    """{"30 epochs": {label: (y, p)}, ...}: for ``plot_reliability``, the test points of
    each of ``answer_setups``, its runs pooled into one (y, p) pair. The labels leave the
    epochs out: the panel's title says them."""
    panels = {}
    for setup in answer_setups(setups):
        runs = runs_of(results, setup)
        y = np.tile(np.ravel(y_test), len(runs))
        p = np.concatenate([run.test_probabilities for run in runs])
        label = dataclasses.replace(setup, epochs=EPOCHS).label
        panels.setdefault(f"{setup.epochs} epochs", {})[label] = (y, p)
    return panels


def save_figures(setups, results, out: Path) -> list[Path]:
    """Draw ``make_figures``'s figures and save each as a PNG file in ``out``."""
    paths = []
    for name, figure in make_figures(setups, results).items():
        paths.append(out / f"{name}.png")
        figure.savefig(paths[-1], dpi=FIGURE_DPI)
    plt.close("all")
    return paths


def across_data_document(args, settings, runs, answers) -> str:
    """across_data.md: how it was made, what the intervals cover, then the tables."""
    extreme = " --extreme" if args.extreme else ""
    marked = args.data_seeds >= FEWEST_TO_MARK
    header = [
        f"# Does focal loss beat weighting and a moved threshold? {len(settings)} data settings",
        "",
        f"`python study.py --grid --data-seeds {args.data_seeds} --inits {args.inits}{extreme}`:"
        f" in each data setting, {_numbered(args.data_seeds, 'data seed')} (random_state 42 + "
        f"seed: new data, a new stratified 70/30 split), and from each data set "
        f"{_numbered(args.inits, 'initialisation')}; the article's network, full-batch Adam at "
        f"lr 0.01, measured after 30 and 100 epochs of one trajectory, at 0.5 and at the "
        f"threshold with the best F1 on the training split.",
        "Brackets: mean [95% two-level bootstrap percentile interval]: data seeds "
        "resampled, then initialisations within each. They cover another draw of the data "
        "from the same setting and of the initial weights; not other settings, networks or "
        f"optimisers. {'*: the interval excludes 0. ' if marked else ''}Best focal and best "
        "other: the (recipe, epochs) with the best mean F1 on the training splits at its "
        "tuned threshold; the test set never chooses. Smallest detectable difference: the "
        "true difference these runs would find 80% of the time (2.80 bootstrap standard "
        "errors).",
        "",
        *([] if marked else [caution(args), ""]),
        "## The answer per data setting",
        "",
        answers_markdown(answers, marked=marked),
        "## Every focal recipe against every other, per data setting",
        "",
        "Paired by data seed and initialisation; focal - against, so for the Brier score "
        "a positive difference means focal's probabilities are worse.",
        "",
        paired_markdown(runs, settings),
        "## Every candidate's means",
        "",
        means_markdown(runs, settings),
    ]
    return "\n".join(header)


def grid_figure(answers):
    """The heatmap over imbalance x separation, and the other settings beside it; with
    fewer than FEWEST_TO_MARK data seeds, no interval is marked as excluding 0."""
    grid, others = {}, {}
    for answer in answers:
        setting = answer.setting
        interval = dataclasses.astuple(answer.difference)
        if setting.is_grid_cell:
            share = setting.positive_share
            imbalance = f"{100 * (1 - share):g}:{100 * share:g}"
            grid[imbalance, f"{setting.class_sep:g}"] = interval
        else:
            low, high = answer.test_positives
            positives = f"{low}" if low == high else f"{low}-{high}"
            others[f"{setting.name}\n({positives} test positives)"] = interval
    data_seeds, inits = answers[0].data_seeds, answers[0].init_seeds
    return plot_focal_advantage(
        grid,
        others,
        title="Does focal loss beat BCE and weighted BCE once the threshold is tuned? Test F1 "
        "of the best focal setup minus the best other,\neach picked by its F1 on the "
        f"training sets; {counted(data_seeds, 'data set')} x "
        f"{counted(inits, 'initialisation')} per setting",
        marked=data_seeds >= FEWEST_TO_MARK,
    )


def grid_main(args) -> int:
    """The study across data: run the grid, write its files, print its answer."""
    settings = default_settings(extreme=args.extreme)
    total = len(settings) * args.data_seeds * args.inits * len(RECIPES)
    stops = " and ".join(str(epochs) for epochs in GRID_EPOCHS)
    where = f"on Dask ({args.dask})" if args.dask else f"on {args.jobs} process(es)"
    print(
        f"study: {len(settings)} data settings x {counted(args.data_seeds, 'data seed')} x "
        f"{counted(args.inits, 'initialisation')} x {len(RECIPES)} recipes = {total} "
        f"trainings, each measured after {stops} epochs, {where}",
        file=sys.stderr,
    )
    if args.data_seeds < FEWEST_TO_MARK:
        print(f"study: {caution(args)}", file=sys.stderr)
    partial = args.out / PARTIAL_CSV
    kept = read_grid_csv(partial) if partial.exists() else []
    tasks = grid_tasks(settings, range(args.data_seeds), range(args.inits))
    already = len(kept_tasks(kept, tasks)) * len(RECIPES)  # trainings run_grid will not redo
    if already:
        print(f"study: resuming: {already} trainings kept in {partial}", file=sys.stderr)
    started = time.perf_counter()
    progress = Progress(started, unit="trainings", already=already)
    try:
        with on_dask(args.dask, args.jobs) if args.dask else nullcontext():
            runs = run_grid(
                settings, range(args.data_seeds), range(args.inits),
                jobs=None if args.dask else args.jobs, on_progress=progress, done=kept,
                on_task=lambda task_runs: append_grid_csv(task_runs, partial),
            )  # fmt: skip
        write_grid_csv(runs, args.out / "grid_runs.csv")
        partial.unlink()
        answers = [answer_of(runs, setting) for setting in settings]
        document = across_data_document(args, settings, runs, answers)
        (args.out / "across_data.md").write_text(document)
        figure = grid_figure(answers)
        figure.savefig(args.out / "across_data.png", dpi=FIGURE_DPI)
        plt.close("all")
    except KeyboardInterrupt:
        print(
            f"study.py: interrupted after {progress.done} of {total} trainings; the same "
            f"command resumes from those kept in {partial}",
            file=sys.stderr,
        )
        return 130
    print(document)
    print(f"wall time {time.perf_counter() - started:.0f} s")
    print(f"files in {args.out}: grid_runs.csv, across_data.md, across_data.png")
    return 0


def _numbered(count: int, noun: str) -> str:
    """The seeds 0 to count - 1 in words: "data seed 0", "data seeds 0 to 9"."""
    return f"{noun} 0" if count == 1 else f"{noun}s 0 to {count - 1}"


def caution(args) -> str:
    """What a grid of too few data seeds can and cannot say."""
    return (
        f"CAUTION: {counted(args.data_seeds, 'data seed')} per setting; an interval over "
        f"data needs at least {FEWEST_TO_MARK} to be trusted, so none is marked as "
        f"excluding 0. Use it to try the command, not to answer the question."
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    if not usable_output_folder(args.out, "study.py"):
        return 2  # as the parser exits for a bad flag
    if args.grid:
        return grid_main(args)
    setups = expand_groups(args.groups)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    total = len(setups) * args.seeds
    print(
        f"study: {len(setups)} setups x {args.seeds} seeds = {total} runs "
        f"on {args.jobs} process(es)",
        file=sys.stderr,
    )
    started = time.perf_counter()
    progress = Progress(started)
    try:
        results = run_study(setups, seeds, jobs=args.jobs, on_progress=progress)
        write_csv(results, args.out / "runs.csv")
        summary = summary_document(args, setups, results)
        (args.out / "summary.md").write_text(summary)
        rare_class = rare_class_document(args, setups, results)
        (args.out / "rare_class.md").write_text(rare_class)
        paths = save_figures(setups, results, args.out)
    except KeyboardInterrupt:
        # One line, not a traceback: Ctrl-C is the user's choice, not a failure.
        print(f"study.py: interrupted after {progress.done} of {total} runs", file=sys.stderr)
        return 130  # 128 + SIGINT, what a shell reports for a program Ctrl-C stopped
    print(summary)
    print(rare_class)
    print(f"wall time {time.perf_counter() - started:.0f} s")
    names = ["runs.csv", "summary.md", "rare_class.md"] + [path.name for path in paths]
    print(f"files in {args.out}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
