"""The study: its statistics against hand computations, its files, and its reproducibility."""

import csv
import dataclasses
import functools
import inspect
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.article.seed_study
import study
from scratchnet.article.data import load_article_data
from scratchnet.article.dispatch import available_cpus
from scratchnet.article.evaluation import best_f1_threshold
from scratchnet.article.experiment import (
    article_network,
    set_prior_bias,
    train_article_model,
    train_in_stages,
)
from scratchnet.article.seed_study import (
    ARTICLE_FOCAL,
    BALANCED_POS_WEIGHT,
    BCE,
    CSV_COLUMNS,
    GROUPS,
    PAPER_FOCAL,
    RARE_CLASS_METRICS,
    SQRT_POS_WEIGHT,
    Comparison,
    PairedCount,
    Setup,
    Summary,
    best_focal,
    compare_paired,
    compare_with_best_focal,
    expand_groups,
    rare_class_markdown,
    run_one,
    run_study,
    summarise,
    summary_markdown,
    write_csv,
)
from scratchnet.article.statistics import Interval, mean_interval
from scratchnet.layers import Linear

SEEDS = range(5)  # the fewest a 95% interval is computed from
ROOT = Path(__file__).resolve().parents[1]


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
    """Recall, precision and true positives of one run, counted from its labels by hand,
    at 0.5 and at the threshold chosen on the training set, and its Brier score."""
    trained = train_article_model(setup.make_loss(), data, seed=seed, epochs=setup.epochs)
    p, y = trained.test_probabilities.ravel(), data.y_test.ravel()
    threshold = best_f1_threshold(data.y_train, trained.model.forward(data.X_train))
    positive = y == 1
    metrics = {"brier": np.mean((p - y) ** 2), "threshold": threshold}
    for prefix, cut in (("", 0.5), ("tuned_", threshold)):
        predicted = p > cut
        true_positives = np.sum(predicted & positive)
        metrics |= {
            f"{prefix}recall": true_positives / positive.sum(),
            f"{prefix}precision": true_positives / predicted.sum() if predicted.any() else 0.0,
            f"{prefix}true_positives": true_positives,
            f"{prefix}predicts_none": not predicted.any(),
        }
    return metrics


def test_summary_matches_metrics_counted_by_hand(results, by_hand):
    for setup, runs in by_hand.items():
        recalls = np.array([run["recall"] for run in runs])
        summary = summarise(results, setup)
        assert summary.runs == 5
        assert summary.recall.mean == pytest.approx(recalls.mean(), abs=1e-15)
        # The bootstrap percentile interval of the five recalls, which stays in [0, 1].
        assert summary.recall == mean_interval(recalls)
        assert 0.0 <= summary.recall.low <= summary.recall.high <= 1.0
        assert summary.precision.mean == pytest.approx(
            np.mean([run["precision"] for run in runs]), abs=1e-15
        )
        counts = sorted(run["true_positives"] for run in runs)
        assert summary.true_positives[1] == counts[2]  # the median of five
        assert summary.true_positives[0] == counts[1]  # numpy puts Q1 of five at index 1
        assert summary.true_positives[2] == counts[3]  # and Q3 at index 3
        assert summary.no_positive_runs == sum(run["predicts_none"] for run in runs)
        for metric in ("brier", "tuned_recall", "tuned_precision"):
            by_hand_mean = np.mean([run[metric] for run in runs])
            assert getattr(summary, metric).mean == pytest.approx(by_hand_mean, rel=1e-12)
        assert summary.threshold[1] == np.median([run["threshold"] for run in runs])


def made_run(template, setup, seed, **metrics):
    """A run of ``setup`` from ``seed`` with the metrics given, the others from ``template``."""
    report = dataclasses.replace(template.report, **metrics)
    return dataclasses.replace(template, setup=setup, seed=seed, report=report)


def test_paired_comparison_counts_each_seed_once(results):
    # Focal's recall is higher than BCE's from seeds 10 and 13, the same from 12, lower
    # from 11, 14 and 15. The focal runs come shuffled: runs pair by seed, not position.
    bce = {10: 0.25, 11: 0.5, 12: 0.5, 13: 0.0, 14: 0.75, 15: 0.25}
    focal = {13: 0.25, 15: 0.0, 10: 0.5, 14: 0.5, 11: 0.25, 12: 0.5}
    runs = [made_run(results[0], BCE, seed, recall=recall) for seed, recall in bce.items()]
    runs += [made_run(results[0], ARTICLE_FOCAL, seed, recall=r) for seed, r in focal.items()]
    comparison = compare_paired(runs, ARTICLE_FOCAL).counts["recall"]
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
    comparison = compare_paired(results, ARTICLE_FOCAL).counts["recall"]
    assert comparison.wins == sum(f > b for f, b in zip(focal, bce))
    assert comparison.ties == sum(f == b for f, b in zip(focal, bce))
    assert comparison.losses == sum(f < b for f, b in zip(focal, bce))
    assert comparison.difference.mean == pytest.approx(np.mean(focal) - np.mean(bce), abs=1e-15)


def test_same_seeds_give_the_same_csv_whatever_the_number_of_jobs(tmp_path):
    setups = [Setup("BCE", epochs=3), Setup("focal", alpha=0.25, gamma=2.0, epochs=3)]
    write_csv(run_study(setups, range(5), jobs=1), tmp_path / "one.csv")
    write_csv(run_study(setups, range(5), jobs=1), tmp_path / "again.csv")
    write_csv(run_study(setups, range(5), jobs=2), tmp_path / "two.csv")
    one = (tmp_path / "one.csv").read_bytes()
    assert one == (tmp_path / "again.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    write_csv(run_study(setups, range(1, 6), jobs=1), tmp_path / "other.csv")
    assert (tmp_path / "other.csv").read_bytes() != one


def _note_and_wait(started, setups, seed):
    """A stand-in for a run in a worker: it notes its seed in the file ``started``."""
    with open(started, "a") as file:
        file.write(f"{seed}\n")
    time.sleep(0.1)
    return []  # no results: the test interrupts before it needs any


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
        assert float(row["brier"]) == run.report.brier
        assert float(row["threshold"]) == run.threshold
        assert float(row["tuned_f1"]) == run.tuned.f1
        assert int(row["tuned_predicted_positives"]) == run.tuned.predicted_positives
    assert rows[0]["alpha"] == "" and rows[-1]["alpha"] == "0.25"
    assert rows[0]["pos_weight"] == rows[-1]["pos_weight"] == ""


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
        no_positive_runs=127, brier=share, threshold=(0.1, 0.2, 0.3), tuned_precision=share,
        tuned_recall=share, tuned_f1=share,
    )  # fmt: skip
    text = summary_markdown([summary], [])
    assert text.split("\n")[2].endswith("| 127 of 200 |")  # exact, where 63.5% printed 64%


def test_summary_table_prints_a_difference_that_rounds_to_zero_without_a_sign():
    tiny = PairedCount(1, 197, 2, Interval(-0.0004, -0.0012, 0.0004))
    counts = {"recall": tiny, "average_precision": tiny}
    text = summary_markdown([], [Comparison(ARTICLE_FOCAL, BCE, counts)])
    assert "-0.000" not in text
    assert text.count("| 0.000 [-0.001, 0.000] |") == 2


def test_groups_bring_their_bce_baselines():
    setups = expand_groups(["gamma", "epochs", "weighted"])
    assert setups[0] == BCE  # the gamma sweep's baseline, added first
    assert setups.count(BCE) == 1 and len(setups) == 1 + 5 + 5 + 4
    for setup in setups:
        assert setups.index(setup.baseline()) <= setups.index(setup)
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
    assert (out / "rare_class.md").read_text() in printed.out
    figures = ("focal_loss_curves", "gradient_per_example", "distributions", "reliability")
    for name in (*figures, "precision_recall"):
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
    # 200 seeds, so that the study cannot finish between its first progress line and the
    # signal, however loaded the machine
    command = [sys.executable, str(ROOT / "study.py"), "--seeds", "200", "--groups", "article"]
    process = subprocess.Popen(
        [*command, "--jobs", jobs, "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell starts background jobs with Ctrl-C ignored, and Python keeps it ignored:
        # give the study the terminal's default, as a user's shell would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    progress = re.compile(r"  \d+ of 400 runs \(\d+%\), \d+ s(, about \d+ s to go)?")
    lines = []
    while not lines or not progress.fullmatch(lines[-1]):  # the first run is done
        lines.append(process.stderr.readline().rstrip("\n"))
        assert lines[-1] or process.poll() is None, lines
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    lines += err.splitlines()
    assert process.returncode == 130
    assert lines[0].startswith("study: 2 setups x 200 seeds = 400 runs")
    last = [line for line in lines[1:] if not progress.fullmatch(line)]
    assert len(last) == 1 and re.fullmatch(r"study\.py: interrupted after \d+ of 400 runs", last[0])
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
    reliability = figures["reliability"].get_suptitle()
    assert "trained from 5 seeds (0 to 4): each curve pools its 5 runs' 9,000 test" in reliability
    panels = study.reliability_panels([BCE, ARTICLE_FOCAL], results, load_article_data().y_test)
    assert list(panels) == ["30 epochs"]  # no 100-epoch run among these results
    y, p = panels["30 epochs"][ARTICLE_FOCAL.label]
    assert y.shape == p.shape == (9000,) and y.sum() == 5 * 28
    focal_runs = [run for run in results if run.setup == ARTICLE_FOCAL]
    np.testing.assert_array_equal(p[1800:3600], focal_runs[1].test_probabilities)
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


def test_pos_weight_69_is_negatives_over_positives_of_the_training_split(data):
    positives = int(data.y_train.sum())
    negatives = len(data.y_train) - positives
    assert (negatives, positives) == (4140, 60)
    assert BALANCED_POS_WEIGHT == negatives / positives
    assert SQRT_POS_WEIGHT == np.sqrt(negatives / positives)
    assert [setup.name for setup in GROUPS["weighted"]] == [
        "BCE pos_weight=8.31",
        "BCE pos_weight=69",
        "BCE pos_weight=8.31, 100 epochs",
        "BCE pos_weight=69, 100 epochs",
    ]
    for setup in GROUPS["weighted"]:
        assert setup.make_loss().pos_weight == setup.pos_weight
        assert setup.baseline() == Setup("BCE", epochs=setup.epochs)  # paired with plain BCE
    assert Setup("BCE", pos_weight=BALANCED_POS_WEIGHT).label == (
        "BCE, positives weighted 69 (negatives / positives)"
    )


def test_the_setups_that_existed_before_keep_their_names():
    # The CSV's and the tables' keys: a study run before and one run now can be joined.
    before = [
        "BCE", "focal alpha=0.25 all, gamma=2", "focal alpha_t=0.25/0.75, gamma=2",
        "focal alpha_t=0.75/0.25, gamma=2", "focal no alpha, gamma=2",
        "focal alpha=0.25 all, gamma=0", "focal alpha=0.25 all, gamma=0.5",
        "focal alpha=0.25 all, gamma=1", "focal alpha=0.25 all, gamma=5", "BCE, 100 epochs",
        "focal alpha=0.25 all, gamma=2, 100 epochs", "BCE, 300 epochs",
        "focal alpha=0.25 all, gamma=2, 300 epochs", "BCE, prior 0.01",
        "focal alpha=0.25 all, gamma=2, prior 0.01",
    ]  # fmt: skip
    names = [setup.name for setup in expand_groups(GROUPS)]
    assert [name for name in names if name in before] == before


def test_pos_weight_is_bces_option_only():
    with pytest.raises(ValueError, match="pos_weight is BCE's"):
        Setup("focal", alpha=0.25, gamma=2.0, pos_weight=69.0)
    with pytest.raises(ValueError, match="pos_weight must be a positive finite number, got 0.0"):
        Setup("BCE", pos_weight=0.0)


def _trained_in_pieces(data, pieces):
    """Train seed 4's network with the article's focal loss, one ``train`` call per piece."""
    model = article_network(rng=4)
    optimizer = sn.Adam(model.parameters(), lr=0.01)
    history = []
    for epochs in pieces:
        history += sn.train(
            model, ARTICLE_FOCAL.make_loss(), optimizer, data.X_train, data.y_train, epochs=epochs
        )
    return history, [parameter.data.copy() for parameter in model.parameters()]


def test_training_on_with_the_same_model_and_optimizer_is_one_long_call_bit_for_bit(data):
    once_history, once_parameters = _trained_in_pieces(data, [12])
    pieces_history, pieces_parameters = _trained_in_pieces(data, [3, 4, 5])
    assert pieces_history == once_history
    for once, pieces in zip(once_parameters, pieces_parameters, strict=True):
        np.testing.assert_array_equal(pieces, once)


def test_each_stage_is_what_a_run_of_that_length_gives(data):
    loss_fn = PAPER_FOCAL.make_loss()
    for trained in train_in_stages(loss_fn, data, seed=2, stops=[2, 5, 9]):
        epochs = len(trained.loss_history)
        alone = train_article_model(loss_fn, data, seed=2, epochs=epochs)
        assert trained.loss_history == alone.loss_history
        np.testing.assert_array_equal(trained.test_probabilities, alone.test_probabilities)
    with pytest.raises(ValueError, match="stops must be increasing epoch counts"):
        next(train_in_stages(loss_fn, data, seed=2, stops=[5, 5]))


def test_setups_that_differ_only_in_epochs_share_one_training_run(tmp_path, monkeypatch):
    setups = [
        Setup("BCE", epochs=3),
        Setup("focal", alpha=0.25, gamma=2.0, epochs=3),
        Setup("BCE", epochs=7),
        Setup("BCE", pos_weight=SQRT_POS_WEIGHT, epochs=7),
        Setup("focal", alpha=0.25, gamma=2.0, epochs=5),
    ]
    calls = []

    def counted(*args, **kwargs):
        calls.append(kwargs["stops"])
        return train_in_stages(*args, **kwargs)

    monkeypatch.setattr(scratchnet.article.seed_study, "train_in_stages", counted)
    shared = run_study(setups, range(5), jobs=1)
    # Three paths per seed: plain BCE (3 and 7 epochs), focal (3 and 5), weighted BCE (7).
    assert calls == [[3, 7], [3, 5], [7]] * 5
    alone = [run for setup in setups for run in run_study([setup], range(5), jobs=1)]
    write_csv(shared, tmp_path / "shared.csv")
    write_csv(alone, tmp_path / "alone.csv")
    assert (tmp_path / "shared.csv").read_bytes() == (tmp_path / "alone.csv").read_bytes()


def test_the_threshold_is_chosen_without_the_test_labels(data):
    # The choice is given the training labels and p only ...
    assert list(inspect.signature(best_f1_threshold).parameters) == ["y_train", "p_train"]
    # ... and test labels shuffled, or every one flipped, change the test scores but
    # neither the threshold nor which test points it flags.
    rng = np.random.default_rng(0)
    shuffled = dataclasses.replace(data, y_test=rng.permutation(data.y_test))
    flipped = dataclasses.replace(data, y_test=1 - data.y_test)
    runs = [run_one(PAPER_FOCAL, 1, each) for each in (data, shuffled, flipped)]
    for run in runs[1:]:
        assert run.threshold == runs[0].threshold
        np.testing.assert_array_equal(run.test_probabilities, runs[0].test_probabilities)
        assert run.tuned.predicted_positives == runs[0].tuned.predicted_positives
        assert run.tuned.recall != runs[0].tuned.recall
    # It is the threshold best for F1 on the training set, from the same trained network.
    trained = train_article_model(PAPER_FOCAL.make_loss(), data, seed=1)
    p_train = trained.model.forward(data.X_train)
    assert runs[0].threshold == best_f1_threshold(data.y_train, p_train)


def _summary_with(setup, tuned_f1):
    share = Interval(tuned_f1, tuned_f1 - 0.01, tuned_f1 + 0.01)
    return Summary(
        setup, runs=5, accuracy=0.98, true_positives=(0.0, 1.0, 2.0), precision=share,
        recall=share, f1=share, balanced_accuracy=0.5, average_precision=share,
        no_positive_runs=0, brier=share, threshold=(0.1, 0.2, 0.3), tuned_precision=share,
        tuned_recall=share, tuned_f1=share,
    )  # fmt: skip


def test_best_focal_is_the_focal_setup_with_the_best_tuned_f1_at_those_epochs():
    gamma_5 = Setup("focal", alpha=0.25, gamma=5.0)
    prior = Setup("focal", alpha=0.25, gamma=2.0, positive_prior=0.01)
    longer = dataclasses.replace(PAPER_FOCAL, epochs=100)
    summaries = [
        _summary_with(BCE, 0.9),  # not focal
        _summary_with(ARTICLE_FOCAL, 0.5),
        _summary_with(gamma_5, 0.6),
        _summary_with(prior, 0.8),  # another init
        _summary_with(longer, 0.7),  # other epochs
    ]
    assert best_focal(summaries, 30).setup == gamma_5
    assert best_focal(summaries, 100).setup == longer
    assert best_focal(summaries, 300) is None
    ranked = rare_class_markdown(summaries, []).split("\n")[2:7]
    assert [row.split(" | ")[1] for row in ranked] == [
        BCE.name,
        prior.name,
        longer.name,
        gamma_5.name,
        ARTICLE_FOCAL.name,
    ]


def test_best_focal_is_compared_with_every_bce_setup_of_its_epochs_seed_by_seed(results):
    weighted = Setup("BCE", pos_weight=BALANCED_POS_WEIGHT)
    runs = [*results]
    for run in [run for run in results if run.setup == BCE]:  # a stand-in for weighted BCE
        runs.append(dataclasses.replace(run, setup=weighted, tuned=run.report))
    comparisons = compare_with_best_focal(runs, [BCE, ARTICLE_FOCAL, weighted])
    assert [(each.setup, each.against) for each in comparisons] == [
        (ARTICLE_FOCAL, BCE),
        (ARTICLE_FOCAL, weighted),
    ]
    assert tuple(comparisons[0].counts) == RARE_CLASS_METRICS
    focal = {run.seed: run for run in results if run.setup == ARTICLE_FOCAL}
    stand_in = [run for run in runs if run.setup == weighted]
    differences = [focal[run.seed].tuned.f1 - run.report.f1 for run in stand_in]
    tuned_f1 = comparisons[1].counts["tuned_f1"]
    assert tuned_f1.difference.mean == pytest.approx(np.mean(differences), abs=1e-15)
    assert tuned_f1.wins == sum(difference > 0 for difference in differences)
    summaries = [summarise(runs, setup) for setup in (BCE, ARTICLE_FOCAL)]
    text = rare_class_markdown(summaries, comparisons)
    ranked, paired = text.strip().split("\n\n")
    header, rule, *rows = paired.split("\n")
    assert header.startswith("| focal setup | against | F1 at 0.5: focal higher / same / lower |")
    assert rule.count("|") == header.count("|") == rows[0].count("|")
    assert rows[1].startswith(f"| {ARTICLE_FOCAL.name} | {weighted.name} |")


def test_rare_class_page_holds_the_tables_study_py_wrote():
    # docs/rare-class.md discusses the tables, so it carries a copy; this keeps it current.
    written = (ROOT / "docs/study/rare_class.md").read_text(encoding="utf-8")
    page = (ROOT / "docs/rare-class.md").read_text(encoding="utf-8")
    tables = re.findall(r"(?:^\|.*\n)+", written, flags=re.MULTILINE)
    assert len(tables) == 2
    assert all(table in page for table in tables), "docs/rare-class.md's tables are stale"
