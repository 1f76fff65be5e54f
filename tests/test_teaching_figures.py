"""The teaching figures: their curves are the math they claim, and they draw those curves."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.article.plots import (
    BOX_OFFSET,
    DOT_AREA,
    LOGIT_GRID,
    P_T_GRID,
    focal_loss_curves,
    per_example_gradients,
    plot_decision_boundaries,
    plot_focal_loss_curves,
    plot_gradient_per_example,
    plot_metric_distributions,
    plot_precision_recall,
    plot_reliability,
    plot_threshold_and_brier,
    reliability_points,
)

GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)


def test_gamma_zero_curve_is_cross_entropy_and_each_curve_is_ce_times_the_modulator():
    curves = focal_loss_curves(GAMMAS)
    # FocalLoss clamps p_t to 1 - 1e-7, so at p_t = 1 it gives -log(1 - 1e-7) = 1e-7, not 0.
    np.testing.assert_allclose(curves[0.0], -np.log(P_T_GRID), rtol=1e-12, atol=2e-7)
    for gamma in GAMMAS:
        inside = P_T_GRID < 1
        expected = -((1 - P_T_GRID[inside]) ** gamma) * np.log(P_T_GRID[inside])
        np.testing.assert_allclose(curves[gamma][inside], expected, rtol=1e-12)
    stacked = np.array([curves[gamma] for gamma in GAMMAS])
    assert np.all(np.diff(stacked, axis=0) <= 0)  # a larger gamma never raises the loss


def test_focal_gradient_is_below_bces_wherever_the_example_is_already_right():
    for label in (0, 1):
        gradients = per_example_gradients(LOGIT_GRID, label, gamma=2.0)
        p = 1 / (1 + np.exp(-LOGIT_GRID))
        np.testing.assert_allclose(gradients["BCE"], p - label, rtol=1e-12, atol=1e-15)
        p_t = p if label == 1 else 1 - p
        right = p_t > 0.5
        assert np.all(np.abs(gradients["focal"][right]) < np.abs(gradients["BCE"][right]))
        # For an easy negative at p = 0.01 the paper's formula gives
        # (1 - p_t)^2 (1 - p_t - 2 p_t log p_t) = 1e-4 * 0.0299 = 3.0e-6, against BCE's 0.01.
        if label == 0:
            x = np.log(0.01 / 0.99)
            easy = per_example_gradients(np.array([x]), 0, gamma=2.0)
            assert easy["focal"][0] == pytest.approx(2.99e-6, rel=1e-2)
            assert easy["BCE"][0] == pytest.approx(0.01, rel=1e-12)


def test_loss_figure_draws_one_curve_per_gamma():
    figure = plot_focal_loss_curves(GAMMAS)
    assert "without alpha" in figure.axes[0].get_title()
    lines = figure.axes[0].lines
    curves = focal_loss_curves(GAMMAS)
    assert len(lines) == len(GAMMAS)
    for line, gamma in zip(lines, GAMMAS):
        np.testing.assert_array_equal(line.get_ydata(), curves[gamma])
        assert line.get_label().startswith(f"gamma = {gamma:g}")


def test_gradient_figure_draws_the_magnitudes_for_each_label():
    figure = plot_gradient_per_example(gamma=2.0)
    assert figure.get_suptitle().endswith("focal loss with gamma 2 and no alpha")
    for ax, label in zip(figure.axes, (0, 1)):
        gradients = per_example_gradients(LOGIT_GRID, label, gamma=2.0)
        drawn = [line.get_ydata() for line in ax.lines]
        np.testing.assert_array_equal(drawn[0], np.abs(gradients["BCE"]))
        np.testing.assert_array_equal(drawn[1], np.abs(gradients["focal"]))
        assert ax.get_yscale() == "log"


def test_distribution_figure_puts_every_run_at_its_value_and_jitters_reproducibly():
    values = {
        "recall": {"BCE": [0.0, 0.0, 1 / 28], "focal": [0.5, 0.25, 0.0]},
        "average precision": {"BCE": [0.55, 0.6, 0.5], "focal": [0.57, 0.58, 0.4]},
    }
    first = plot_metric_distributions(values, rng=np.random.default_rng(3))
    second = plot_metric_distributions(values, rng=np.random.default_rng(3))
    for ax, (metric, by_setup) in zip(first.axes, values.items()):
        dots = [collection.get_offsets() for collection in ax.collections[:-1]]
        assert [list(dot[:, 0]) for dot in dots] == list(by_setup.values())
        assert ax.get_xlabel() == metric
    assert [label.get_text() for label in first.axes[0].get_yticklabels()] == ["BCE", "focal"]
    for ax_first, ax_second in zip(first.axes, second.axes):
        for a, b in zip(ax_first.collections, ax_second.collections):
            np.testing.assert_array_equal(a.get_offsets(), b.get_offsets())


def test_distribution_figure_shows_each_median_on_top_even_on_a_box_edge():
    # BCE's median recall is 0, its first quartile too: the median line hides in the edge.
    values = {
        "recall": {"BCE": [0.0, 0.0, 0.0, 1 / 28, 0.25], "focal": [0.5, 0.25, 0.0, 0.5, 0.5]},
    }
    figure = plot_metric_distributions(values, rng=np.random.default_rng(0), title="Five runs")
    assert figure.get_suptitle().startswith("Five runs\n")
    ax = figure.axes[0]
    medians = ax.collections[-1]
    assert medians.get_paths()[0] != ax.collections[0].get_paths()[0]  # a marker of its own
    np.testing.assert_allclose(medians.get_offsets(), [[0.0, 1 + BOX_OFFSET], [0.5, BOX_OFFSET]])
    assert medians.get_zorder() > max(line.get_zorder() for line in ax.lines)


def test_distribution_figure_piles_equal_runs_so_a_piles_height_counts_them():
    # BCE: three runs at 0, one at 1/28, one at 0.25; focal: three at 0.5.
    values = {
        "recall": {"BCE": [0.0, 0.0, 0.0, 1 / 28, 0.25], "focal": [0.5, 0.25, 0.0, 0.5, 0.5]},
    }
    figure = plot_metric_distributions(values, rng=np.random.default_rng(0))
    ax = figure.axes[0]
    bce_dots = ax.collections[0].get_offsets()
    heights = sorted(y for x, y in bce_dots if x == 0.0)
    assert len(set(heights)) == 3  # one above the other, not on top of each other
    assert len({y for x, y in bce_dots if x > 0}) == 1  # single runs sit on the base
    labels = [text.get_text() for text in ax.texts]
    assert labels == ["3 runs", "3 runs"]  # each row's largest pile, a fifth or more


@pytest.mark.parametrize("width", [1, 3])  # one panel, or recall and two more
def test_distribution_figure_writes_each_pile_count_on_no_dot_and_inside_its_panel(width):
    # Recall in steps of 1/28: the tallest pile at 0.5 between two almost as tall, and one
    # at the top of the range with taller piles to its left, as weighting 69 gives.
    crowded = [0.5] * 40 + [0.5 + 1 / 28] * 35 + [0.5 - 1 / 28] * 35 + [0.0, 0.25, 0.45]
    at_the_top = [0.8] * 60 + [0.75] * 50 + [0.71] * 40 + [0.0] * 2
    by_setup = {"crowded": crowded, "at the top": at_the_top}
    values = {f"metric {number}": by_setup for number in range(width)}
    figure = plot_metric_distributions(values, rng=np.random.default_rng(0))
    figure.draw_without_rendering()
    radius = np.sqrt(DOT_AREA) / 2 * figure.dpi / 72  # in pixels
    for ax in figure.axes:
        offsets = [collection.get_offsets() for collection in ax.collections[:-1]]
        dots = ax.transData.transform(np.concatenate(offsets))
        panel = ax.get_window_extent()
        assert [label.get_text() for label in ax.texts] == ["40 runs", "60 runs"]
        for label in ax.texts:
            box = label.get_window_extent()
            assert panel.x0 <= box.x0 and box.x1 <= panel.x1, label.get_text()
            x_near = (dots[:, 0] > box.x0 - radius) & (dots[:, 0] < box.x1 + radius)
            y_near = (dots[:, 1] > box.y0 - radius) & (dots[:, 1] < box.y1 + radius)
            assert not (x_near & y_near).any(), f"{label.get_text()} covers a dot"


def test_precision_recall_figure_draws_the_first_curve_dashed_over_the_others():
    # Identical scores: the two curves coincide everywhere, as BCE's and focal's often do.
    y = np.array([1, 0, 1, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.3, 0.2, 0.1, 0.05])
    figure = plot_precision_recall(y, {"BCE": p, "focal": p}, title="Seed 3")
    assert figure.get_suptitle() == "Seed 3"
    curves = figure.axes[0]
    assert curves.get_title().endswith("(BCE dashed, drawn over focal)")
    bce, focal = [line for line in curves.lines if line.get_label().endswith("AP 0.833")]
    assert bce.get_label().startswith("BCE") and focal.get_label().startswith("focal")
    assert bce.get_zorder() > focal.get_zorder()
    assert bce.get_linestyle() == "--" and focal.get_linestyle() == "-"
    assert bce.get_linewidth() < focal.get_linewidth()  # the wider one shows on both sides


def test_precision_recall_figure_marks_the_threshold_point_and_the_chance_level():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 1, 0, 0])
    p = np.array([0.9, 0.4, 0.6, 0.1, 0.2, 0.05, 0.3, 0.35, 0.02, 0.01])
    never = p * 0.4  # the same ranking, but no p above 0.5
    figure = plot_precision_recall(y, {"alarm": p, "quiet": never})
    curves = figure.axes[0]
    markers = [line for line in curves.lines if line.get_marker() == "o"]
    # p > 0.5 picks 0.9 (a positive) and 0.6 (a negative): recall 1/3, precision 1/2.
    assert (markers[0].get_xdata()[0], markers[0].get_ydata()[0]) == (1 / 3, 1 / 2)
    assert markers[0].get_label() == "p > 0.5: 1 of 3 found, 2 alarms"
    # "quiet" raises no alarm: a hollow marker at precision 0, where the tables put it.
    assert (markers[1].get_xdata()[0], markers[1].get_ydata()[0]) == (0, 0)
    assert markers[1].get_label() == "p > 0.5: 0 of 3 found, no alarms, precision counted 0"
    assert markers[1].get_markerfacecolor() == "none" != markers[0].get_markerfacecolor()
    chance = [line for line in curves.lines if line.get_label() == "chance level"]
    assert chance[0].get_ydata()[0] == pytest.approx(0.3)
    texts = [text.get_text() for text in curves.get_legend().get_texts()]
    assert "alarm, AP 0.806" in texts and "quiet, AP 0.806" in texts  # (1 + 2/3 + 3/4) / 3


def test_decision_boundary_titles_say_which_side_of_0_5_a_model_without_a_line_stays_on():
    models = {}
    for name, bias in (("low", -1.0), ("high", 1.0)):
        models[name] = sn.Sequential(sn.Linear(2, 1, rng=0), sn.Sigmoid())
        models[name].modules[0].weight.data[...] = 0.0  # p = sigmoid(bias) everywhere
        models[name].modules[0].bias.data[...] = bias
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    figure = plot_decision_boundaries(models, X, np.array([0, 1]), points="test set")
    titles = [ax.get_title() for ax in figure.axes[:2]]
    assert titles == ["low\np(class 1), never above 0.5", "high\np(class 1), never below 0.5"]


def test_reliability_points_worked_by_hand():
    # Bins of 0.1: [0, 0.1) holds 0.05 (a negative); [0.1, 0.2) holds 0.12 (positive) and
    # 0.15 (negative); 0.5 sits on an edge and goes to the lower bin, [0.4, 0.5], as
    # calibration_curve puts it; [0.9, 1] holds 0.91 (negative) and 0.95 (positive).
    y = np.array([0, 0, 1, 1, 0, 1])
    p = np.array([0.05, 0.15, 0.12, 0.95, 0.91, 0.5])
    mean_p, share_positive, counts = reliability_points(y, p)
    np.testing.assert_allclose(mean_p, [0.05, 0.135, 0.5, 0.93], rtol=1e-12)
    np.testing.assert_array_equal(share_positive, [0.0, 0.5, 1.0, 0.5])
    np.testing.assert_array_equal(counts, [1, 2, 1, 2])


def test_reliability_figure_draws_each_models_points_in_one_colour_across_panels():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=400)
    y = (rng.uniform(size=400) < p).astype(int)  # calibrated by construction
    panels = {
        "30 epochs": {"calibrated": (y, p), "too high": (y, np.sqrt(p))},
        "100 epochs": {"calibrated": (y, p)},
    }
    figure = plot_reliability(panels, title="400 points")
    assert figure.get_suptitle().startswith("400 points\nbelow the diagonal")
    curves = [figure.axes[0], figure.axes[1]]  # the top row, one panel per entry
    assert [ax.get_title() for ax in curves] == ["30 epochs", "100 epochs"]
    drawn = [[line for line in ax.lines if line.get_marker() == "o"] for ax in curves]
    mean_p, share_positive, _ = reliability_points(y, np.sqrt(p))
    np.testing.assert_array_equal(drawn[0][1].get_xdata(), mean_p)
    np.testing.assert_array_equal(drawn[0][1].get_ydata(), share_positive)
    assert drawn[0][0].get_color() == drawn[1][0].get_color() != drawn[0][1].get_color()
    # sqrt(p) > p: it says the positive class is likelier than it is, below the diagonal.
    assert np.all(share_positive[1:] < mean_p[1:])
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == ["calibrated: the share of positives equals p", "calibrated", "too high"]
    shares = figure.axes[2]  # under the first panel: the share of points in each bin
    assert shares.get_yscale() == "log"


def test_threshold_figure_puts_each_mean_and_interval_where_the_numbers_say():
    f1_at_half = {"BCE": (0.15, 0.12, 0.18), "focal": (0.33, 0.30, 0.37)}
    f1_tuned = {"BCE": (0.50, 0.48, 0.52), "focal": (0.56, 0.55, 0.57)}
    brier = {"BCE": (0.013, 0.012, 0.015), "focal": (0.021, 0.019, 0.023)}
    figure = plot_threshold_and_brier(f1_at_half, f1_tuned, brier, reference_brier=0.0153)
    f1_ax, brier_ax = figure.axes
    assert [label.get_text() for label in f1_ax.get_yticklabels()] == ["BCE", "focal"]
    at_half, tuned = f1_ax.containers
    np.testing.assert_array_equal(at_half.lines[0].get_xdata(), [0.15, 0.33])
    np.testing.assert_array_equal(tuned.lines[0].get_xdata(), [0.50, 0.56])
    np.testing.assert_array_equal(tuned.lines[0].get_ydata(), [1, 0])  # BCE on top
    bars = tuned.lines[2][0].get_segments()  # from low to high, one per row
    np.testing.assert_allclose([segment[:, 0] for segment in bars], [[0.48, 0.52], [0.55, 0.57]])
    arrows = [(text.xyann[0], text.xy[0]) for text in f1_ax.texts]
    assert arrows == [(0.15, 0.50), (0.33, 0.56)]  # from 0.5's F1 to the tuned one
    np.testing.assert_array_equal(brier_ax.containers[0].lines[0].get_xdata(), [0.013, 0.021])
    reference = [line for line in brier_ax.lines if line.get_linestyle() == "--"]
    assert reference[0].get_xdata()[0] == 0.0153
    assert reference[0].get_label().startswith("0.0153: always saying p = the share")
