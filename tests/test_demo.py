"""demo.py end to end: it runs, its report says what the models did, its figures show it."""

import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from PIL import Image

import demo
from scratchnet.article.data import load_article_data
from scratchnet.article.experiment import article_network, compare_losses
from scratchnet.article.plots import (
    COLLAPSE_NOTE,
    plot_confusion_matrices,
    plot_loss_curves,
    probability_grid,
)
from scratchnet.losses import BCELoss, FocalLoss

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
        # At 80 dpi the text was too small to read where the README embeds the PNGs.
        with Image.open(tmp_path / f"{name}.png") as png:
            assert min(png.info["dpi"]) == pytest.approx(120, abs=0.1)


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


def test_report_gives_the_training_loss_of_the_trained_model(data):
    # After one epoch, loss_history[-1] is the untrained network's loss: the report must
    # give the loss of the network it trained, through the loss it trained with.
    args = demo.parse_args(["--epochs", "1", "--alpha", "0.5", "--gamma", "1"])
    runs = compare_losses(data, seed=0, epochs=1, alpha=0.5, gamma=1.0)
    report_text = demo.format_report(runs, data, args)
    row = next(line for line in report_text.splitlines() if line.startswith("training loss"))
    assert row.split()[:4] == ["training", "loss,", "trained", "model"]
    expected = [
        loss_fn(runs[name].model.forward(data.X_train), data.y_train)
        for name, loss_fn in (("BCE", BCELoss()), ("focal", FocalLoss(alpha=0.5, gamma=1.0)))
    ]
    assert row.split()[4:] == [f"{loss:.6f}" for loss in expected]
    for run, loss in zip(runs.values(), expected):
        assert f"{run.loss_history[-1]:.6f}" != f"{loss:.6f}"  # the untrained loss differs
    assert "final training loss" not in report_text


def test_a_collapsed_run_is_named_in_one_line_and_the_demo_still_succeeds(tmp_path, capsys):
    # lr 100 saturates both networks at the first step: the loss is then flat.
    assert demo.main(["--lr", "100", "--epochs", "8", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no warning from train besides the report's own line
    printed = captured.out.splitlines()
    collapsed = [line for line in printed if "training collapsed" in line]
    assert [line.split(":")[0] for line in collapsed] == ["BCE", "focal (a=0.25, g=2)"]
    assert all("try a smaller --lr than 100" in line for line in collapsed)
    # A healthy run says nothing of the kind.
    assert demo.main(["--epochs", "8", "--out", str(tmp_path)]) == 0
    assert "training collapsed" not in capsys.readouterr().out


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


def test_decision_boundary_figure_draws_the_test_set_and_says_what_was_run(runs, data):
    args = demo.parse_args(["--seed", "0"])
    figure = demo.make_figures(runs, data, args)["decision_boundaries"]
    axes = figure.axes[:2]
    title = figure.get_suptitle()
    assert "seed 0" in title and "30 full-batch epochs" in title
    assert "test set (1,800 points, 28 positive)" in title
    # Seed 0's BCE network keeps p below 0.5 over the whole grid (at most 0.43): no line.
    assert [ax.get_title() for ax in axes] == [
        "BCE\np(class 1), never above 0.5",
        "focal, alpha 0.25 on every term, gamma 2\np(class 1), line at p = 0.5",
    ]
    colorbars = [
        ax for ax in figure.axes[2:] if ax.get_ylabel() == "predicted probability of class 1"
    ]
    assert len(colorbars) == 1  # one shared colour scale
    xx, yy, p = probability_grid(runs["focal"].model, data.X_test)
    assert p.shape == (300, 300) and 0 <= p.min() and p.max() <= 1
    assert xx.min() == pytest.approx(data.X_test[:, 0].min() - 1)
    for ax in axes:
        # The points are the test set the report counts: 1,772 negatives, 28 positives.
        negatives, positives = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(negatives.get_offsets()) == 1772 and len(positives.get_offsets()) == 28
        np.testing.assert_array_equal(positives.get_offsets(), data.X_test[data.y_test[:, 0] == 1])
        labels = [text.get_text() for text in ax.get_legend().get_texts()]
        assert labels == ["class 0, test set (1,772)", "class 1, test set (28)"]
        # Positives sit on top of the red region, outlined in black so they stand out.
        filled = max(c.get_zorder() for c in ax.collections if not isinstance(c, PathCollection))
        assert positives.get_zorder() > negatives.get_zorder() > filled
        assert positives.get_linewidths()[0] >= 1.0
        assert tuple(positives.get_edgecolors()[0]) == (0.0, 0.0, 0.0, 1.0)


def test_confusion_matrix_colours_are_shares_of_each_true_class_and_cells_give_counts(runs, data):
    args = demo.parse_args([])
    figure = demo.make_figures(runs, data, args)["confusion_matrices"]
    title = figure.get_suptitle()
    assert "test set (1,800 points, 28 positive)" in title and "seed 0" in title
    for ax, run in zip(figure.axes, runs.values()):
        counts = run.report.confusion
        shares = np.asarray(ax.images[0].get_array())
        # Each true class fills its row: 28 positives are as readable as 1,772 negatives.
        np.testing.assert_allclose(shares.sum(axis=1), 1.0)
        np.testing.assert_allclose(shares, counts / counts.sum(axis=1, keepdims=True))
        assert ax.images[0].get_clim() == (0.0, 1.0)
        written = [text.get_text() for text in ax.texts]
        expected = [
            f"{counts[row, column]:,}\n{shares[row, column]:.1%} of class {row}"
            for row in (0, 1)
            for column in (0, 1)
        ]
        assert written == expected
    # Seed 0's focal network finds 14 of 28: half of the positives' row.
    assert "14\n50.0% of class 1" in [text.get_text() for text in figure.axes[1].texts]


def test_confusion_matrix_of_a_class_missing_from_y_true_is_a_row_of_zeros():
    figure = plot_confusion_matrices(np.zeros(4), {"all negative": np.zeros(4)})
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), [[1.0, 0.0], [0.0, 0.0]])


def test_loss_curve_figure_plots_each_history_and_says_each_panel_has_its_own_scale(runs):
    figure = plot_loss_curves({name: run.loss_history for name, run in runs.items()}, title="t")
    assert figure.get_suptitle() == "t\neach panel has its own y scale"
    for ax, run in zip(figure.axes, runs.values()):
        epochs, losses = ax.lines[0].get_data()
        np.testing.assert_array_equal(epochs, np.arange(1, 31))
        np.testing.assert_array_equal(losses, run.loss_history)
        assert COLLAPSE_NOTE not in [text.get_text() for text in ax.texts]


def test_loss_curve_figure_marks_a_collapsed_run():
    flat = [0.7, 1.43, 1.43, 1.43, 1.43, 1.43, 1.43]
    figure = plot_loss_curves(
        {"collapsed": flat, "learning": [0.7, 0.5, 0.4, 0.35, 0.3, 0.28, 0.27]}
    )
    notes = [[text.get_text() for text in ax.texts] for ax in figure.axes]
    assert notes == [[COLLAPSE_NOTE], []]
    assert "collapsed" in COLLAPSE_NOTE


def test_demo_labels_the_loss_curves_with_the_run():
    args = demo.parse_args(["--seed", "4", "--epochs", "3", "--lr", "0.05", "--gamma", "1"])
    data = load_article_data()
    runs = compare_losses(data, seed=4, epochs=3, lr=0.05, gamma=1.0)
    figure = demo.make_figures(runs, data, args)["loss_curves"]
    assert "seed 4, 3 full-batch epochs of Adam (lr 0.05)" in figure.get_suptitle()
    assert [ax.get_title() for ax in figure.axes] == [
        "BCE",
        "focal, alpha 0.25 on every term, gamma 1",
    ]


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
    flags = ("--seed", "--epochs", "--lr", "--alpha", "--gamma", "--out", "--show", "--animate")
    for flag in flags:
        assert flag in result.stdout
