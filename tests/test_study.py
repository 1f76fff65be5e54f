"""The study: its statistics against hand computations, its files, and its reproducibility."""

import csv
import dataclasses
import functools
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import scratchnet.article.seed_study
import study
from scratchnet.article.data import load_article_data
from scratchnet.article.experiment import set_prior_bias, train_article_model
from scratchnet.article.seed_study import (
    ARTICLE_FOCAL,
    BCE,
    CSV_COLUMNS,
    GROUPS,
    Comparison,
    Interval,
    PairedCount,
    RunResult,
    Setup,
    Summary,
    available_cpus,
    compare_paired,
    expand_groups,
    mean_interval,
    run_study,
    summarise,
    summary_markdown,
    t_quantile_975,
    write_csv,
)
from scratchnet.layers import Linear

SEEDS = range(5)  # the fewest a 95% interval is computed from
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def close_figures():
    """Close each test's figures: pyplot keeps every figure open until told otherwise."""
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return load_article_data()


@pytest.fixture(scope="module")
def results():
    return run_study([BCE, ARTICLE_FOCAL], SEEDS, jobs=1)


@pytest.fixture(scope="module")
def by_hand(data):
    return {
        setup: [hand_metrics(setup, seed, data) for seed in SEEDS] for setup in (BCE, ARTICLE_FOCAL)
    }


def hand_metrics(setup, seed, data):
    """Recall, precision and true positives of one run, counted from its labels by hand."""
    trained = train_article_model(setup.make_loss(), data, seed=seed, epochs=setup.epochs)
    predicted = trained.test_probabilities.ravel() > 0.5
    positive = data.y_test.ravel() == 1
    true_positives = np.sum(predicted & positive)
    precision = true_positives / predicted.sum() if predicted.any() else 0.0
    return {
        "recall": true_positives / positive.sum(),
        "precision": precision,
        "true_positives": true_positives,
        "predicts_none": not predicted.any(),
    }


def test_summary_matches_metrics_counted_by_hand(results, by_hand):
    for setup, runs in by_hand.items():
        recalls = np.array([run["recall"] for run in runs])
        summary = summarise(results, setup)
        assert summary.runs == 5
        assert summary.recall.mean == pytest.approx(recalls.mean(), abs=1e-15)
        # t(0.975, 4) = 2.776 in printed tables.
        half_width = 2.776 * recalls.std(ddof=1) / np.sqrt(5)
        assert summary.recall.high - summary.recall.mean == pytest.approx(half_width, rel=1e-3)
        assert summary.precision.mean == pytest.approx(
            np.mean([run["precision"] for run in runs]), abs=1e-15
        )
        counts = sorted(run["true_positives"] for run in runs)
        assert summary.true_positives[1] == counts[2]  # the median of five
        assert summary.true_positives[0] == counts[1]  # numpy puts Q1 of five at index 1
        assert summary.true_positives[2] == counts[3]  # and Q3 at index 3
        assert summary.no_positive_runs == sum(run["predicts_none"] for run in runs)


def made_run(template, setup, seed, **metrics):
    """A run of ``setup`` from ``seed`` with the metrics given, the others from ``template``."""
    return RunResult(setup, seed, dataclasses.replace(template.report, **metrics), final_loss=0.0)


def test_paired_comparison_counts_each_seed_once(results):
    # Focal's recall is higher than BCE's from seeds 10 and 13, the same from 12, lower
    # from 11, 14 and 15. The focal runs come shuffled: runs pair by seed, not position.
    bce = {10: 0.25, 11: 0.5, 12: 0.5, 13: 0.0, 14: 0.75, 15: 0.25}
    focal = {13: 0.25, 15: 0.0, 10: 0.5, 14: 0.5, 11: 0.25, 12: 0.5}
    runs = [made_run(results[0], BCE, seed, recall=recall) for seed, recall in bce.items()]
    runs += [made_run(results[0], ARTICLE_FOCAL, seed, recall=r) for seed, r in focal.items()]
    comparison = compare_paired(runs, ARTICLE_FOCAL).recall
    assert (comparison.wins, comparison.ties, comparison.losses) == (2, 1, 3)
    # focal - BCE, seeds 10 to 15: 0.25, -0.25, 0, 0.25, -0.25, -0.25
    assert comparison.difference.mean == pytest.approx(-0.25 / 6, abs=1e-15)
    # A seed given twice is refused, not counted twice.
    repeated = [*runs, made_run(results[0], BCE, 12, recall=0.5)]
    with pytest.raises(ValueError, match="results hold seed 12 of 'BCE' more than once"):
        compare_paired(repeated, ARTICLE_FOCAL)
    with pytest.raises(ValueError, match="results hold seed 12 of 'BCE' more than once"):
        summarise(repeated, BCE)


def test_paired_comparison_matches_recalls_counted_by_hand(results, by_hand):
    bce = [run["recall"] for run in by_hand[BCE]]
    focal = [run["recall"] for run in by_hand[ARTICLE_FOCAL]]
    comparison = compare_paired(results, ARTICLE_FOCAL).recall
    assert comparison.wins == sum(f > b for f, b in zip(focal, bce))
    assert comparison.ties == sum(f == b for f, b in zip(focal, bce))
    assert comparison.losses == sum(f < b for f, b in zip(focal, bce))
    assert comparison.difference.mean == pytest.approx(np.mean(focal) - np.mean(bce), abs=1e-15)


@pytest.mark.parametrize(
    ("df", "exact", "error"),
    [(4, 2.776445, 1e-3), (5, 2.570582, 1e-3), (9, 2.262157, 2e-5), (99, 1.984217, 2e-5)],
)
def test_t_quantile_is_as_close_to_exact_values_as_documented(df, exact, error):
    assert t_quantile_975(df) == pytest.approx(exact, abs=error)


def test_interval_refuses_too_few_values_and_is_exact_for_constants():
    with pytest.raises(ValueError, match="at least 5 numbers"):
        mean_interval([0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="df must be at least 4"):
        t_quantile_975(3)
    assert mean_interval([0.5] * 6) == Interval(0.5, 0.5, 0.5)


def test_same_seeds_give_the_same_csv_whatever_the_number_of_jobs(tmp_path):
    setups = [Setup("BCE", epochs=3), Setup("focal", alpha=0.25, gamma=2.0, epochs=3)]
    write_csv(run_study(setups, range(5), jobs=1), tmp_path / "one.csv")
    write_csv(run_study(setups, range(5), jobs=1), tmp_path / "again.csv")
    write_csv(run_study(setups, range(5), jobs=2), tmp_path / "two.csv")
    one = (tmp_path / "one.csv").read_bytes()
    assert one == (tmp_path / "again.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    write_csv(run_study(setups, range(1, 6), jobs=1), tmp_path / "other.csv")
    assert (tmp_path / "other.csv").read_bytes() != one


def _note_and_wait(started, setup, seed):
    """A stand-in for a run in a worker: it notes its seed in the file ``started``."""
    with open(started, "a") as file:
        file.write(f"{seed}\n")
    time.sleep(0.1)


def test_an_interrupt_cancels_the_runs_not_yet_started(tmp_path, monkeypatch):
    started = tmp_path / "started"
    monkeypatch.setattr(
        scratchnet.article.seed_study, "_run_task", functools.partial(_note_and_wait, started)
    )

    def interrupt(done, total):
        raise KeyboardInterrupt  # as Ctrl-C would, while the parent waits for runs

    with pytest.raises(KeyboardInterrupt):
        run_study([BCE], range(200), jobs=2, on_progress=interrupt)
    # Only the first runs, and those already handed to a worker, start: 7 here, of 200.
    assert len(started.read_text().split()) < 20


def test_csv_reads_back_every_run_exactly(results, tmp_path):
    write_csv(results, tmp_path / "runs.csv")
    with (tmp_path / "runs.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(results) == 10
    for row, run in zip(rows, results):
        assert (row["setup"], int(row["seed"])) == (run.setup.name, run.seed)
        assert float(row["average_precision"]) == run.report.average_precision
        assert float(row["recall"]) == run.report.recall
        assert int(row["true_positives"]) == run.report.true_positives
    assert rows[0]["alpha"] == "" and rows[-1]["alpha"] == "0.25"


def test_summary_table_has_one_parseable_row_per_setup(results):
    summaries = [summarise(results, setup) for setup in (BCE, ARTICLE_FOCAL)]
    text = summary_markdown(summaries, [compare_paired(results, ARTICLE_FOCAL)])
    statistics, paired = text.strip().split("\n\n")
    for table, names in ((statistics, ["BCE", ARTICLE_FOCAL.name]), (paired, [ARTICLE_FOCAL.name])):
        header, rule, *rows = table.split("\n")
        columns = header.count("|")
        assert rule.count("|") == columns and all(row.count("|") == columns for row in rows)
        assert [row.split("|")[1].strip() for row in rows] == names
    bce_row = statistics.split("\n")[2].split("|")
    assert bce_row[2].strip() == "5"
    assert bce_row[6].strip().startswith(f"{summaries[0].recall.mean:.3f} [")


def test_summary_table_counts_the_runs_without_positives():
    share = Interval(0.3, 0.25, 0.35)
    summary = Summary(
        BCE, runs=200, accuracy=0.986, true_positives=(0.0, 0.0, 5.0), precision=share,
        recall=share, f1=share, balanced_accuracy=0.555, average_precision=share,
        no_positive_runs=127,
    )  # fmt: skip
    text = summary_markdown([summary], [])
    assert text.split("\n")[2].endswith("| 127 of 200 |")  # exact, where 63.5% printed 64%


def test_summary_table_prints_a_difference_that_rounds_to_zero_without_a_sign():
    tiny = PairedCount(1, 197, 2, Interval(-0.0004, -0.0012, 0.0004))
    text = summary_markdown([], [Comparison(ARTICLE_FOCAL, tiny, tiny)])
    assert "-0.000" not in text
    assert text.count("| 0.000 [-0.001, 0.000] |") == 2


def test_groups_bring_their_bce_baselines():
    setups = expand_groups(["gamma", "epochs"])
    assert setups[0] == BCE  # the gamma sweep's baseline, added first
    assert setups.count(BCE) == 1 and len(setups) == 1 + 5 + 4
    for setup in setups:
        if setup.loss == "focal":
            assert setups.index(setup.baseline()) < setups.index(setup)
    assert len(expand_groups(GROUPS)) == len(set(expand_groups(GROUPS)))
    with pytest.raises(ValueError, match="group must be one of"):
        expand_groups(["alpha", "beta"])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"seeds": [0, -1]}, ValueError, "each of seeds must be a non-negative integer, got -1"),
        ({"seeds": [2, 2]}, ValueError, "seeds must not repeat"),
        ({"jobs": 0}, ValueError, "jobs must be a positive integer"),
        ({"jobs": 1.5}, TypeError, "jobs must be a positive integer"),
        ({"setups": ["BCE"]}, TypeError, "each of setups must be a Setup, got 'BCE'"),
        ({"setups": [BCE, ARTICLE_FOCAL, BCE]}, ValueError, "more than one named 'BCE'"),
        # gamma does nothing to BCE: the same runs, under the same name
        ({"setups": [BCE, Setup("BCE", gamma=2.0)]}, ValueError, "more than one named 'BCE'"),
    ],
)
def test_run_study_names_a_bad_argument(kwargs, error, message):
    with pytest.raises(error, match=message):
        run_study(**{"setups": [BCE], "seeds": [0], **kwargs})


def test_default_jobs_are_the_cpus_this_process_may_use(monkeypatch):
    if hasattr(os, "sched_getaffinity"):
        assert available_cpus() == len(os.sched_getaffinity(0))
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert available_cpus() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # "undetermined"
    assert available_cpus() == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"loss": "MSE"}, ValueError, "loss must be one of"),
        ({"loss": "BCE", "epochs": 0}, ValueError, "epochs must be a positive integer"),
        ({"loss": "focal", "gamma": -1.0}, ValueError, "gamma must be a non-negative"),
        (
            {"loss": "focal", "alpha": 2.0, "alpha_mode": "per_class"},
            ValueError,
            "alpha must be in",
        ),
    ],
)
def test_a_setup_names_a_bad_option(kwargs, error, message):
    with pytest.raises(error, match=message):
        Setup(**kwargs)


def test_prior_bias_makes_the_untrained_network_predict_pi(data):
    trained = train_article_model(BCE.make_loss(), data, seed=0, epochs=1, positive_prior=0.01)
    last = [module for module in trained.model.modules if isinstance(module, Linear)][-1]
    # One Adam step of lr 0.01 moves the bias from -log(99) = -4.595 by about 0.01.
    assert last.bias.data[0] == pytest.approx(-np.log(99), abs=0.011)
    last.weight.data[...] = 0  # the logit is then the bias alone
    set_prior_bias(trained.model, 0.01)
    np.testing.assert_allclose(trained.model.forward(data.X_test[:3]), 0.01, rtol=1e-12)
    with pytest.raises(ValueError, match="positive_prior must be a number in"):
        set_prior_bias(trained.model, 1.0)


def test_representative_seed_is_nearest_both_medians_and_ties_go_to_the_smaller(results):
    # Median AP 0.5 for both. Distances from the medians, seeds 10 to 14: BCE 0.375,
    # 0.125, 0, 0.125, 0.125; focal 0, 0, 0.5, 0, 0.25; summed 0.375, 0.125, 0.5, 0.125,
    # 0.375. Seed 12 is nearest BCE's median alone; seeds 11 and 13 tie on the sum.
    bce = {13: 0.625, 12: 0.5, 11: 0.625, 10: 0.125, 14: 0.375}
    focal = {14: 0.25, 13: 0.5, 12: 1.0, 11: 0.5, 10: 0.5}
    runs = [made_run(results[0], BCE, seed, average_precision=ap) for seed, ap in bce.items()]
    runs += [
        made_run(results[0], ARTICLE_FOCAL, seed, average_precision=ap)
        for seed, ap in focal.items()
    ]
    assert study.representative_seed(runs) == 11


def test_command_writes_its_files_and_prints_the_summary(tmp_path, capsys):
    out = tmp_path / "study"
    argv = ["--seeds", "5", "--groups", "article", "--jobs", "1", "--out", str(out)]
    assert study.main(argv) == 0
    printed = capsys.readouterr()
    summary = (out / "summary.md").read_text()
    assert summary in printed.out
    assert "study.py --seeds 5 --first-seed 0 --groups article" in summary
    assert "10 of 10 runs (100%)" in printed.err
    with (out / "runs.csv").open(newline="") as file:
        assert len(list(csv.DictReader(file))) == 10
    for name in ("focal_loss_curves", "gradient_per_example", "distributions", "precision_recall"):
        assert (out / f"{name}.png").stat().st_size > 10_000


def test_command_refuses_an_out_folder_it_cannot_use_before_training(tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    for out in (a_file, a_file / "study"):
        argv = ["--seeds", "5", "--groups", "article", "--jobs", "1", "--out", str(out)]
        assert study.main(argv) == 2
        printed = capsys.readouterr()
        assert printed.err.startswith(f"study.py: error: cannot use --out {out} as a folder: ")
        assert printed.err.count("\n") == 1 and printed.out == ""  # one line, no run started
    assert a_file.read_text() == ""


def test_command_refuses_fewer_than_five_seeds(capsys):
    with pytest.raises(SystemExit):
        study.parse_args(["--seeds", "4"])
    assert "expected at least 5 seeds" in capsys.readouterr().err


def test_jobs_beyond_the_cpus_are_lowered_with_one_line(capsys):
    cpus = available_cpus()
    assert study.parse_args(["--jobs", str(cpus + 98)]).jobs == cpus
    assert capsys.readouterr().err == (
        f"study.py: --jobs {cpus + 98} lowered to {cpus}, the CPUs it may use\n"
    )
    assert study.parse_args(["--jobs", str(cpus)]).jobs == cpus
    assert study.parse_args(["--jobs", "1"]).jobs == 1
    assert capsys.readouterr().err == ""


def test_help_says_jobs_are_capped_at_the_cpus():
    result = subprocess.run(
        [sys.executable, str(ROOT / "study.py"), "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "at most the CPUs this process may use" in " ".join(result.stdout.split())


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, jobs):
    command = [sys.executable, str(ROOT / "study.py"), "--seeds", "5", "--groups", "article"]
    process = subprocess.Popen(
        [*command, "--jobs", jobs, "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    progress = re.compile(r"  \d+ of 10 runs \(\d+%\), \d+ s")
    lines = []
    while not lines or not progress.fullmatch(lines[-1]):  # the first run is done
        lines.append(process.stderr.readline().rstrip("\n"))
        assert lines[-1] or process.poll() is None, lines
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    lines += err.splitlines()
    assert process.returncode == 130
    assert lines[0].startswith("study: 2 setups x 5 seeds = 10 runs")
    last = [line for line in lines[1:] if not progress.fullmatch(line)]
    assert len(last) == 1 and re.fullmatch(r"study\.py: interrupted after \d+ of 10 runs", last[0])
    assert out == ""  # no summary: the study did not finish


def test_figure_labels_say_what_each_setup_is_without_renaming_it():
    labels = {setup.name: setup.label for setup in expand_groups(GROUPS)}
    # The names stay the tables' and the CSV's keys.
    assert ARTICLE_FOCAL.name == "focal alpha=0.25 all, gamma=2"
    assert ARTICLE_FOCAL.label == "focal, alpha 0.25 on every term, gamma 2 (the article's)"
    assert labels["focal alpha_t=0.75/0.25, gamma=2"] == (
        "focal, paper's alpha_t: 0.75 for positives, 0.25 for negatives, gamma 2"
    )
    assert labels["focal no alpha, gamma=2"] == "focal, no alpha, gamma 2"
    assert labels["BCE, 100 epochs"] == "BCE, 100 epochs"
    assert labels["BCE, prior 0.01"] == "BCE, output bias set so that p starts at 0.01"
    assert len(set(labels.values())) == len(labels)
    assert not any("=" in label for label in labels.values())


def test_study_figures_carry_the_run_count_and_the_seed_their_caption_names(results):
    figures = study.make_figures([BCE, ARTICLE_FOCAL], results)
    distributions = figures["distributions"]
    assert "5 seeds (0 to 4), 10 runs in all" in distributions.get_suptitle()
    ticks = [label.get_text() for label in distributions.axes[0].get_yticklabels()]
    assert ticks == [BCE.label, ARTICLE_FOCAL.label]
    seed = study.representative_seed(results)
    caption = figures["precision_recall"].get_suptitle()
    assert caption.startswith(f"Seed {seed}: of the 5 seeds (0 to 4), the one whose BCE and")
    assert "alpha 0.25 on every term, gamma 2" in caption and "test set" in caption
    # The curves drawn are that seed's runs: their APs are the study's for that seed.
    legend = figures["precision_recall"].axes[0].get_legend().get_texts()
    curves = [text.get_text() for text in legend if ", AP " in text.get_text()]
    expected = [
        f"{name}, AP {run.report.average_precision:.3f}"
        for name, setup in (("BCE", BCE), ("the article's focal", ARTICLE_FOCAL))
        for run in results
        if run.setup == setup and run.seed == seed
    ]
    assert curves == expected
