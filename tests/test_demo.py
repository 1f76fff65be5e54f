"""demo.py end to end: it runs, its report says what the models did, its figures show it."""

import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

import demo
from scratchnet.article.data import load_article_data
from scratchnet.article.evaluation import predict_labels
from scratchnet.article.experiment import article_network, compare_losses
from scratchnet.article.plots import (
    plot_confusion_matrices,
    plot_decision_boundaries,
    plot_loss_curves,
    probability_grid,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data():
    return load_article_data()


@pytest.fixture(scope="module")
def runs(data):
    return compare_losses(data, seed=0, epochs=30)


def test_demo_runs_end_to_end_with_its_defaults(tmp_path, capsys, runs, data):
    assert demo.main(["--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    args = demo.parse_args(["--out", str(tmp_path)])
    assert printed.startswith(demo.format_report(runs, data, args))
    for name in ("decision_boundaries", "confusion_matrices", "loss_curves"):
        image = matplotlib.image.imread(tmp_path / f"{name}.png")
        assert image.shape[0] > 200 and image.shape[1] > 400
        assert image.std() > 0.05  # something is drawn, not a blank canvas
        assert str(tmp_path / f"{name}.png") in printed


def test_report_numbers_agree_with_the_confusion_matrices(runs, data):
    report_text = demo.format_report(runs, data, demo.parse_args([]))
    assert "test set: 1800 samples, 28 positive" in report_text
    assert "always predicting negative scores accuracy 0.9844" in report_text
    for run in runs.values():
        (tn, fp), (fn, tp) = run.report.confusion
        assert tn + fp + fn + tp == 1800 and fn + tp == 28
        assert run.report.accuracy == (tn + tp) / 1800
        assert run.report.recall == tp / 28
        assert f"{tp} of 28" in report_text
        assert f"[[{tn:5d} {fp:5d}]  [{fn:5d} {tp:5d}]]" in report_text
        assert f"{run.report.accuracy:.4f}" in report_text


def test_same_seed_gives_identical_report_text(data):
    args = demo.parse_args(["--seed", "5", "--epochs", "5"])
    first = compare_losses(data, seed=5, epochs=5)
    second = compare_losses(data, seed=5, epochs=5)
    assert demo.format_report(first, data, args) == demo.format_report(second, data, args)
    other = compare_losses(data, seed=6, epochs=5)
    assert other["BCE"].loss_history != first["BCE"].loss_history


def test_both_networks_start_from_the_same_weights(data):
    runs = compare_losses(data, seed=3, epochs=1)
    initial = article_network(3).parameters()
    # Adam's first step moves every entry by lr * |g| / (|g| + eps) <= lr, so each trained
    # network is within lr of the weights seed 3 draws, and not within lr of seed 4's.
    other_seed = article_network(4).parameters()
    for run in runs.values():
        for start, other, trained in zip(initial, other_seed, run.model.parameters()):
            assert np.max(np.abs(trained.data - start.data)) <= 0.01 * (1 + 1e-9)
            assert np.max(np.abs(trained.data - other.data)) > 0.01


def test_decision_boundary_figure_draws_each_models_probabilities(runs, data):
    models = {name: run.model for name, run in runs.items()}
    figure = plot_decision_boundaries(models, data.X, data.y)
    axes = figure.axes[:2]
    # Seed 0's BCE network keeps p below 0.5 over the whole grid (at most 0.43): no line.
    assert [ax.get_title() for ax in axes] == [
        "BCE: p(class 1), never above 0.5",
        "focal: p(class 1), line at p = 0.5",
    ]
    colorbars = [
        ax for ax in figure.axes[2:] if ax.get_ylabel() == "predicted probability of class 1"
    ]
    assert len(colorbars) == 1  # one shared colour scale
    xx, yy, p = probability_grid(models["focal"], data.X)
    assert p.shape == (300, 300) and 0 <= p.min() and p.max() <= 1
    assert xx.min() == pytest.approx(data.X[:, 0].min() - 1)
    # The scatter shows every sample: 5912 negatives and 88 positives.
    sizes = sorted(
        len(collection.get_offsets())
        for collection in axes[0].collections
        if len(collection.get_offsets())
    )
    assert sizes[-2:] == [88, 5912]


def test_confusion_matrix_figure_writes_the_counts(runs, data):
    predictions = {name: predict_labels(run.test_probabilities) for name, run in runs.items()}
    figure = plot_confusion_matrices(data.y_test, predictions)
    for ax, run in zip(figure.axes, runs.values()):
        written = sorted(int(text.get_text()) for text in ax.texts)
        assert written == sorted(run.report.confusion.ravel().tolist())


def test_loss_curve_figure_plots_each_history(runs):
    figure = plot_loss_curves({name: run.loss_history for name, run in runs.items()})
    for ax, run in zip(figure.axes, runs.values()):
        epochs, losses = ax.lines[0].get_data()
        np.testing.assert_array_equal(epochs, np.arange(1, 31))
        np.testing.assert_array_equal(losses, run.loss_history)


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (["--lr", "-1"], "argument --lr: expected a positive number, got '-1'"),
        (["--lr", "nan"], "argument --lr: expected a positive number, got 'nan'"),
        (["--epochs", "0"], "argument --epochs: expected a positive integer, got '0'"),
        (["--epochs", "2.5"], "argument --epochs: expected a positive integer, got '2.5'"),
        (["--seed", "-3"], "argument --seed: expected a non-negative integer, got '-3'"),
        (["--gamma", "-0.5"], "argument --gamma: expected a non-negative number, got '-0.5'"),
        (["--alpha", "zero"], "argument --alpha: expected a positive number, got 'zero'"),
        (["--seed", "²"], "argument --seed: expected a non-negative integer, got '²'"),
        (["--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_a_bad_flag_exits_non_zero_with_one_line(flag, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo.parse_args(flag)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error == f"demo.py: error: {message}\n"


def test_an_output_folder_that_cannot_be_made_is_one_line_before_any_training(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    out = a_file / "figures"
    assert demo.main(["--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing was trained or reported
    assert captured.err.startswith(f"demo.py: error: cannot use --out {out} as a folder: ")
    assert captured.err.count("\n") == 1


def test_help_lists_every_flag():
    result = subprocess.run(
        [sys.executable, str(ROOT / "demo.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for flag in ("--seed", "--epochs", "--lr", "--alpha", "--gamma", "--out", "--show"):
        assert flag in result.stdout
