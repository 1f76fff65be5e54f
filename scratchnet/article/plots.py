"""Figures for the BCE-versus-focal comparison and for how focal loss works, with matplotlib.

The comparison figures take one entry per model (a dict from the model's name to what is
plotted) and draw them side by side. The teaching figures draw their curves from
scratchnet's own losses; each curve also comes from a function that returns its numbers,
so that tests can check them. Every figure function returns the ``Figure`` without
showing it, so the caller decides whether to save, show or test it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve

from scratchnet.article.evaluation import THRESHOLD, evaluate
from scratchnet.layers import Module
from scratchnet.losses import BCEWithLogitsLoss, FocalLoss, FocalLossWithLogits
from scratchnet.training import has_collapsed

FIGURE_DPI = 120  # text a reader can read in the README, where the PNGs are embedded
GRID_POINTS = 300  # per axis, as in the article
MARGIN = 1.0  # how far the grid reaches beyond the data, as in the article
CLASS_COLOURS = ("tab:blue", "tab:red")


def probability_grid(model: Module, X: np.ndarray, points: int = GRID_POINTS):
    """The model's p on a points x points grid covering X (N, 2) with a margin.

    Returns (xx, yy, p), each of shape (points, points).
    """
    low = X.min(axis=0) - MARGIN
    high = X.max(axis=0) + MARGIN
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], points), np.linspace(low[1], high[1], points))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    return xx, yy, model.forward(grid).reshape(xx.shape)


def plot_decision_boundaries(
    models: dict[str, Module], X: np.ndarray, y: np.ndarray, *, points: str, title: str = ""
) -> Figure:
    """Each model's p over the plane on one shared colour scale, the 0.5 line, and the data.

    X (N, 2); y (N,) or (N, 1) of 0/1 labels; points names them in the legend, e.g.
    "test set". Positives are drawn last, larger and outlined in black, so that the 1%
    minority stays visible over the red region where p is high. A model whose p stays
    on one side of 0.5 over the whole grid has no line, and its title says which side.
    """
    y = np.asarray(y).ravel()
    fig, axes = plt.subplots(
        1,
        len(models),
        figsize=(5.2 * len(models), 4.9),
        squeeze=False,
        sharex=True,
        sharey=True,
        layout="constrained",
    )
    levels = np.linspace(0.0, 1.0, 11)
    for ax, (name, model) in zip(axes[0], models.items()):
        xx, yy, p = probability_grid(model, X)
        filled = ax.contourf(
            xx, yy, p, levels=levels, cmap="coolwarm", vmin=0.0, vmax=1.0, alpha=0.75
        )
        if p.min() < THRESHOLD < p.max():
            ax.contour(xx, yy, p, levels=[THRESHOLD], colors="black", linewidths=1.5)
            boundary = f"line at p = {THRESHOLD}"
        else:  # no line to draw: say so, rather than promise one
            boundary = f"never {'above' if p.max() <= THRESHOLD else 'below'} {THRESHOLD}"
        for label, size, edge_width in ((0, 6, 0.3), (1, 36, 1.2)):
            chosen = y == label
            ax.scatter(
                X[chosen, 0],
                X[chosen, 1],
                s=size,
                c=CLASS_COLOURS[label],
                edgecolors="black",
                linewidths=edge_width,
                zorder=3 + label,  # over the contours and the 0.5 line, positives on top
                label=f"class {label}, {points} ({chosen.sum():,})",
            )
        ax.set_title(f"{name}\np(class 1), {boundary}")
        ax.set_xlabel("feature 1")
        ax.legend(loc="lower right", fontsize="small")
    axes[0, 0].set_ylabel("feature 2")
    fig.colorbar(filled, ax=axes[0].tolist(), label="predicted probability of class 1")
    if title:
        fig.suptitle(title)
    return fig


def confusion_shares(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """The 2 x 2 confusion matrix of 0/1 labels, as counts and as shares of each true class.

    Rows are the true class, columns the predicted one. Each row of shares sums to 1
    (a class absent from y_true has a row of 0s): the 28 positives fill their row as
    fully as the 1,772 negatives fill theirs, so both rows can be read on one scale.
    """
    y_true = np.asarray(y_true).ravel().astype(int)
    y_pred = np.asarray(y_pred).ravel().astype(int)
    counts = np.array([[np.sum((y_true == t) & (y_pred == p)) for p in (0, 1)] for t in (0, 1)])
    totals = counts.sum(axis=1, keepdims=True)
    return counts, counts / np.maximum(totals, 1)


def plot_confusion_matrices(
    y_true, predictions: dict[str, np.ndarray], *, title: str = ""
) -> Figure:
    """One confusion matrix per model from 0/1 predicted labels.

    Colour is the share of the true class (each row sums to 100%), so that the scale is
    not spent on the majority's count; each cell writes its count and that share.
    """
    fig, axes = plt.subplots(
        1,
        len(predictions),
        figsize=(4.4 * len(predictions) + 1.0, 4.0),
        squeeze=False,
        layout="constrained",
    )
    for ax, (name, y_pred) in zip(axes[0], predictions.items()):
        counts, shares = confusion_shares(y_true, y_pred)
        image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
        for (row, column), count in np.ndenumerate(counts):
            share = shares[row, column]
            ax.text(
                column,
                row,
                f"{count:,}\n{share:.1%} of class {row}",
                ha="center",
                va="center",
                color="white" if share > 0.5 else "black",
            )
        ax.set_xticks([0, 1], ["0", "1"])
        ax.set_yticks([0, 1], ["0", "1"])
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(name)
    fig.colorbar(image, ax=axes[0].tolist(), label="share of the true class (row sums to 1)")
    if title:
        fig.suptitle(title)
    return fig


COLLAPSE_NOTE = "collapsed: the loss stopped moving,\nthe gradient is 0 and nothing learns"


def plot_loss_curves(histories: dict[str, list[float]], *, title: str = "") -> Figure:
    """Each model's training loss per epoch, each panel on its own y scale.

    The losses differ in size (focal's terms are BCE's times alpha_t (1 - p_t)^gamma), so
    each panel scales to its own curve, and the figure says so. A run that has collapsed
    (``has_collapsed``: the loss flat over its last epochs) is drawn in red with a note.
    """
    fig, axes = plt.subplots(
        1, len(histories), figsize=(4.4 * len(histories), 3.7), squeeze=False, layout="constrained"
    )
    for ax, (name, history) in zip(axes[0], histories.items()):
        collapsed = has_collapsed(history)
        colour = "tab:red" if collapsed else "tab:blue"
        ax.plot(np.arange(1, len(history) + 1), history, marker="o", markersize=3, color=colour)
        if collapsed:
            ax.text(
                0.5,
                0.5,
                COLLAPSE_NOTE,
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="tab:red",
                bbox={"facecolor": "white", "edgecolor": "tab:red"},
            )
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (own scale)")
        ax.grid(alpha=0.3)
    scale_note = "each panel has its own y scale"
    fig.suptitle(f"{title}\n{scale_note}" if title else scale_note)
    return fig


# Figures that teach how focal loss works, and what the study found.

P_T_GRID = np.linspace(0.01, 1.0, 400)  # the x-axis of the focal loss paper's first figure
LOGIT_GRID = np.linspace(-8.0, 8.0, 401)


def focal_loss_curves(gammas, p_t: np.ndarray = P_T_GRID) -> dict[float, np.ndarray]:
    """Focal loss l(p_t) = -(1 - p_t)^gamma log p_t for each gamma, no alpha; gamma 0 is CE.

    Computed by scratchnet's ``FocalLoss`` itself, on positives (y = 1, so p_t = p).
    p_t (M,) -> {gamma: l (M,)}.
    """
    p_t = np.asarray(p_t, dtype=np.float64)
    positives = np.ones_like(p_t)
    return {
        gamma: FocalLoss(alpha=None, gamma=gamma, reduction="none")(p_t, positives)
        for gamma in gammas
    }


def plot_focal_loss_curves(gammas=(0.0, 0.5, 1.0, 2.0, 5.0)) -> Figure:
    """The focal loss paper's first figure: loss against p_t, one curve per gamma."""
    fig, ax = plt.subplots(figsize=(6.0, 4.2), layout="constrained")
    for gamma, loss in focal_loss_curves(gammas).items():
        label = f"gamma = {gamma:g}" + (" (cross-entropy)" if gamma == 0 else "")
        ax.plot(P_T_GRID, loss, label=label)
    ax.axvspan(0.5, 1.0, color="tab:green", alpha=0.08, label="well classified (p_t > 0.5)")
    ax.set_ylim(0, 5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("p_t, the probability given to the true class")
    ax.set_ylabel("loss of one example")
    ax.set_title(
        "Focal loss without alpha, l = -(1 - p_t)^gamma log p_t:\n"
        "gamma shrinks the loss of examples already right"
    )
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def per_example_gradients(logits: np.ndarray, label: int, gamma: float) -> dict[str, np.ndarray]:
    """dl/dx, the gradient one example sends back to its logit x, for BCE and focal loss.

    logits (M,), label 0 or 1 for all of them -> {"BCE": (M,), "focal": (M,)}. Computed
    by ``BCEWithLogitsLoss`` and ``FocalLossWithLogits`` (no alpha, which would only
    scale the focal curve) with reduction "none", so each entry is one example's own.
    """
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.full_like(logits, label)
    gradients = {}
    for name, loss_fn in (
        ("BCE", BCEWithLogitsLoss(reduction="none")),
        ("focal", FocalLossWithLogits(alpha=None, gamma=gamma, reduction="none")),
    ):
        loss_fn(logits, labels)
        gradients[name] = loss_fn.backward()
    return gradients


def plot_gradient_per_example(gamma: float = 2.0, logits: np.ndarray = LOGIT_GRID) -> Figure:
    """|dl/dx| against the logit x for a negative and a positive, BCE and focal, log scale.

    The shaded side is where the example is already right (p_t > 0.5): there focal
    loss's gradient falls far below BCE's, so the thousands of easy negatives go quiet.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.0), sharey=True, layout="constrained")
    for ax, label in zip(axes, (0, 1)):
        for name, gradient in per_example_gradients(logits, label, gamma).items():
            curve_label = "BCE" if name == "BCE" else f"focal, gamma = {gamma:g}"
            ax.semilogy(logits, np.abs(gradient), label=curve_label)
        right_side = (logits.min(), 0.0) if label == 0 else (0.0, logits.max())
        ax.axvspan(*right_side, color="tab:green", alpha=0.08, label="already right (p_t > 0.5)")
        ax.set_title(f"a {'negative (y = 0)' if label == 0 else 'positive (y = 1)'}")
        ax.set_xlabel("logit x (p = sigmoid(x))")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("|dl/dx|, the gradient the example sends back")
    axes[0].legend(loc="lower right")
    fig.suptitle(
        f"What one example pushes back into the network: BCE, and focal loss with "
        f"gamma {gamma:g} and no alpha"
    )
    return fig


PILE_BINS = 150  # values closer than 1/150 of a panel's range stack in one pile
# Within a row (1 high): the piles grow up from PILE_BASE below its centre, the tallest
# PILE_HEIGHT high; the box sits above them, centred BOX_OFFSET above the centre.
PILE_BASE, PILE_HEIGHT, BOX_OFFSET, BOX_WIDTH = 0.42, 0.45, 0.22, 0.3
DOT_AREA = 9  # points^2: a dot of a pile is 3 points across
LABEL_PAD = 3  # points between a pile's count and the nearest dot


def stacked_offsets(values: np.ndarray, bins: int, rng: np.random.Generator):
    """For a dot plot: each value's place in its pile (0, 1, 2, ...), piles being the
    values that fall in one of ``bins`` equal bins over their range; and (value, count)
    of the largest pile. rng shuffles who stands where within a pile."""
    low, high = float(values.min()), float(values.max())
    pile = np.floor((values - low) / max(high - low, 1e-12) * (bins - 1e-9)).astype(int)
    offsets = np.empty(values.size, dtype=int)
    for each in np.unique(pile):
        members = rng.permutation(np.flatnonzero(pile == each))
        offsets[members] = np.arange(members.size)
    counts = np.bincount(pile)
    largest = int(np.argmax(counts))
    return offsets, (float(np.median(values[pile == largest])), int(counts[largest]))


def plot_metric_distributions(
    values: dict[str, dict[str, np.ndarray]], *, rng: np.random.Generator, title: str = ""
) -> Figure:
    """Each setup's values of each metric across seeds: a box plot with every run as a dot.

    values: {metric name: {setup label: (n,) values, one per seed}}; every metric lists
    the same setups, drawn top to bottom in order. Every run is a dot, and runs with
    (nearly) the same value stack up, each dot one step above the last, the step the
    same in every row of a panel: so a pile's height counts its runs (recall comes in
    steps of 1/28, and 127 runs at 0 make a column, not a few dots), and the largest
    pile of a row, when it holds a fifth of the runs or more, is labelled with its count,
    beside it and on no dot (the panel widens on the right where a label needs room).
    rng: shuffles the order of the dots within a pile, so none is systematically on top.
    Each median is also a diamond on top, since a median that equals a quartile
    (recall's pile-up at 0) would otherwise hide in the box's edge.
    """
    setup_names = list(next(iter(values.values())))
    fig, axes = plt.subplots(
        1,
        len(values),
        figsize=(5.0 * len(values) + 2.0, 0.45 * len(setup_names) + 1.4),
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    rows = np.arange(len(setup_names))[::-1]  # the first setup on top
    pile_labels = []  # (label, its pile's value, row, the row's dots (n, 2), whiskers' ends)
    for ax, (metric, by_setup) in zip(axes[0], values.items()):
        samples = [np.asarray(by_setup[name], dtype=np.float64) for name in setup_names]
        boxes = rows + BOX_OFFSET
        drawn = ax.boxplot(
            samples, positions=boxes, orientation="horizontal", widths=BOX_WIDTH,
            showfliers=False, manage_ticks=False,
        )  # fmt: skip
        whiskers = np.reshape([line.get_xdata() for line in drawn["caps"]], (len(rows), -1))
        piles = [stacked_offsets(sample, PILE_BINS, rng) for sample in samples]
        step = PILE_HEIGHT / max(int(offsets.max()) + 1 for offsets, _ in piles)
        for row, sample, (offsets, largest), ends in zip(rows, samples, piles, whiskers):
            dots = np.column_stack([sample, row - PILE_BASE + step * offsets])
            ax.scatter(*dots.T, s=DOT_AREA, alpha=0.6, color="tab:blue", linewidths=0)
            value, count = largest
            if count >= sample.size / 5:
                label = ax.text(
                    value, row, f"{count} run{'s' * (count != 1)}", fontsize="x-small",
                    color="tab:blue", va="bottom", in_layout=False,
                )  # fmt: skip
                pile_labels.append((label, value, row, dots, ends))
        ax.scatter(
            [np.median(sample) for sample in samples],
            boxes,
            marker="D",
            s=40,
            color="tab:orange",
            edgecolors="black",
            linewidths=0.8,
            zorder=4,  # over the box's edges and the dots
        )
        for edge in rows[:-1] - 0.5:  # between rows: which pile goes with which box
            ax.axhline(edge, color="grey", linewidth=0.5, alpha=0.4)
        ax.set_xlabel(metric)
        ax.grid(alpha=0.3, axis="x")
    axes[0, 0].set_yticks(rows, setup_names)
    axes[0, 0].set_ylim(-0.5, len(setup_names) - 0.5)
    key = (
        "boxes: quartiles and whiskers; diamonds: medians; dots: runs, piled up where "
        "they are equal, so a pile's height counts its runs"
    )
    fig.suptitle(f"{title}\n{key}" if title else key)
    fig.draw_without_rendering()  # the layout fixes each panel's scale: a label's size in data
    for _ in range(5):  # a panel widened for one label shrinks the room of the others
        wanted = {}  # ax: the right end of its x-axis that a label with no room needs
        for label, *pile in pile_labels:
            right = _place_pile_label(label, *pile)
            if right is not None:
                wanted[label.axes] = max(right, wanted.get(label.axes, right))
        if not wanted:
            break
        for ax, right in wanted.items():
            ax.set_xlim(right=right)
    return fig


def _place_pile_label(label, value: float, row: float, dots: np.ndarray, whiskers):
    """Move a pile's count beside it, low in its row, on no dot and not on the box.

    Tried on the pile's right, then on its left: the label sits just above the dots
    beneath it, and fits where it stays inside the panel and, under the box (whiskers
    included), below the box. Of the places that fit, the lower wins. Where neither
    fits it goes on the right, and the x-axis's right end that would make room is
    returned; else None.
    """
    ax = label.axes
    to_data = ax.transData.inverted()
    extent = label.get_window_extent()
    width, height = to_data.transform(extent.p1) - to_data.transform(extent.p0)
    point = to_data.transform([ax.figure.dpi / 72] * 2) - to_data.transform((0, 0))
    gap_x, gap_y = (np.sqrt(DOT_AREA) / 2 + LABEL_PAD) * point  # a dot's radius and the pad
    box_bottom = row + BOX_OFFSET - BOX_WIDTH / 2
    low, high = ax.get_xlim()
    places = []  # (fits, bottom, left): the right side first
    for left in (value + gap_x, value - gap_x - width):
        beneath = dots[(dots[:, 0] > left - gap_x) & (dots[:, 0] < left + width + gap_x), 1]
        bottom = max(row - PILE_BASE, beneath.max() + gap_y if beneath.size else -np.inf)
        under_box = left < max(whiskers) and left + width > min(whiskers)
        ceiling = box_bottom if under_box else row + 0.5
        places.append((low <= left and left + width <= high and bottom + height <= ceiling,
                       bottom, left))  # fmt: skip
    fitting = [place for place in places if place[0]]
    _, bottom, left = min(fitting, key=lambda place: place[1]) if fitting else places[0]
    label.set_position((left, bottom))
    return None if fitting else left + width + gap_x


def plot_precision_recall(
    y_true, probabilities: dict[str, np.ndarray], *, title: str = ""
) -> Figure:
    """Precision-recall curves of a few models on one test set, and what p > 0.5 picks.

    y_true (N,) or (N, 1) of 0/1; probabilities {name: p (N,) or (N, 1)}. Left: each
    curve, the chance level (the share of positives, the precision of random scores),
    and a marker at the recall and precision ``evaluate`` reports for p > 0.5. A model
    that raises no alarm gets a hollow marker at precision 0, as ``evaluate`` and the
    study's tables count it, while its curve ends at precision 1, as scikit-learn draws
    it. Right: the p each model gives every test example, positives above and
    negatives below, against the 0.5 line: the ranking can be good while the threshold
    finds nothing.

    Curves of two models often coincide over long stretches, so the first model's curve
    is dashed and drawn over the others, which are solid and wider: neither hides.
    """
    y_true = np.asarray(y_true).ravel().astype(int)
    positive = y_true == 1
    fig, (curves, spread) = plt.subplots(1, 2, figsize=(11.0, 5.4), layout="constrained")
    for row, (name, p) in enumerate(probabilities.items()):
        p = np.asarray(p, dtype=np.float64).ravel()
        precision, recall, _ = precision_recall_curve(y_true, p)
        report = evaluate(y_true, p)
        on_top = row == 0
        (line,) = curves.plot(
            recall,
            precision,
            drawstyle="steps-post",
            linestyle="--" if on_top else "-",
            linewidth=1.6 if on_top else 2.8,
            zorder=3 if on_top else 2,
            label=f"{name}, AP {report.average_precision:.3f}",
        )
        found = f"p > {THRESHOLD}: {report.true_positives} of {report.positives} found"
        if report.predicted_positives:
            style = {
                "markeredgecolor": "black",
                "label": f"{found}, {report.predicted_positives} alarms",
            }
        else:  # hollow: a precision of 0 by convention, not one measured on alarms
            style = {
                "markerfacecolor": "none",
                "markeredgewidth": 2,
                "label": f"{found}, no alarms, precision counted 0",
            }
        curves.plot(
            report.recall,
            report.precision,
            marker="o",
            markersize=9,
            color=line.get_color(),
            clip_on=False,
            zorder=4,
            **style,
        )
        for offset, chosen, size in ((0.15, positive, 16), (-0.15, ~positive, 4)):
            spread.scatter(
                p[chosen],
                np.full(chosen.sum(), row + offset),
                s=size,
                color=line.get_color() if offset > 0 else "grey",
                alpha=0.7 if offset > 0 else 0.15,
                linewidths=0,
            )
    curves.axhline(positive.mean(), color="grey", linestyle="--", label="chance level")
    curves.set_xlabel("recall (positives found)")
    curves.set_ylabel("precision (alarms that were right)")
    curves.set_xlim(0, 1)
    curves.set_ylim(0, 1.02)
    # Below the axes: inside, any corner covers a stretch of some curve.
    curves.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.2))
    first, *others = probabilities
    on_top = f"\n({first} dashed, drawn over {', '.join(others)})" if others else ""
    curves.set_title(f"Precision-recall curves, test set{on_top}")
    spread.axvline(THRESHOLD, color="black", linestyle="--", label=f"threshold {THRESHOLD}")
    spread.set_xscale("log")
    spread.set_yticks(
        [row + offset for row in range(len(probabilities)) for offset in (-0.15, 0.15)],
        [f"{name}: {kind}" for name in probabilities for kind in ("negatives", "positives")],
        fontsize="small",
    )
    spread.set_ylim(-0.5, len(probabilities) - 0.5)
    spread.set_xlabel("p given to each test example (log scale)")
    spread.set_title("What the 0.5 threshold hides")
    spread.legend(loc="upper left", fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


RELIABILITY_BINS = 10  # p in [0, 0.1), [0.1, 0.2), ..., [0.9, 1]: bins a reader can name


def reliability_points(y_true, p, bins: int = RELIABILITY_BINS):
    """The points of a reliability diagram, by scikit-learn's ``calibration_curve``.

    y_true, p (N,): 0/1 labels and probabilities. The range [0, 1] is cut into ``bins``
    equal bins; for each bin that holds a point: the mean p in it, the share of
    positives among its points, and how many points it holds. A calibrated model's
    points lie on the diagonal: of the points given p near 0.3, about 30% are positive.
    Returns (mean_p, share_positive, counts), each of one value per non-empty bin.
    """
    y_true = np.asarray(y_true).ravel()
    p = np.asarray(p, dtype=np.float64).ravel()
    share_positive, mean_p = calibration_curve(y_true, p, n_bins=bins, strategy="uniform")
    # calibration_curve's own binning: edge values go to the lower bin, 1.0 to the last.
    inner_edges = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    counts = np.bincount(np.searchsorted(inner_edges, p), minlength=bins)
    return mean_p, share_positive, counts[counts > 0]


def plot_reliability(panels: dict[str, dict[str, tuple]], *, title: str = "") -> Figure:
    """Reliability diagrams: one column per panel, one curve per model, and below each
    the share of points in each bin of p (log scale).

    panels: {panel title: {model label: (y_true, p)}}, y_true and p of one shape; pass
    the test points of many runs pooled into one pair to draw their average reliability.
    A model keeps its colour in every panel. The lower panels show how many points each
    bin holds: a dot drawn from a few hundred points wanders more than one drawn from a
    hundred thousand.
    """
    labels = list(dict.fromkeys(label for series in panels.values() for label in series))
    colours = dict(zip(labels, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    fig, axes = plt.subplots(
        2,
        len(panels),
        figsize=(5.6 * len(panels) + 0.4, 7.4),
        squeeze=False,
        sharex=True,
        height_ratios=(3, 1.2),
        layout="constrained",
    )
    edges = np.linspace(0.0, 1.0, RELIABILITY_BINS + 1)
    for column, (panel, series) in enumerate(panels.items()):
        curves, shares = axes[0, column], axes[1, column]
        curves.plot([0, 1], [0, 1], color="grey", linestyle="--")
        for label, (y_true, p) in series.items():
            mean_p, share_positive, _ = reliability_points(y_true, p)
            colour = colours[label]
            curves.plot(mean_p, share_positive, color=colour, marker="o", markersize=4)
            all_counts = np.histogram(np.asarray(p).ravel(), bins=edges)[0]
            shares.stairs(all_counts / all_counts.sum(), edges, color=colour, linewidth=1.5)
        curves.set_xlim(0, 1)
        curves.set_ylim(-0.02, 1.02)
        curves.set_title(panel)
        curves.set_ylabel("share of those points that are positive")
        curves.grid(alpha=0.3)
        shares.set_yscale("log")
        shares.set_xlabel("predicted probability p (bins of 0.1)")
        shares.set_ylabel("share of the points\nin each bin")
        shares.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color="grey", linestyle="--")]
    handles += [plt.Line2D([], [], color=colours[label], marker="o") for label in labels]
    fig.legend(
        handles,
        ["calibrated: the share of positives equals p", *labels],
        loc="outside lower center",
        ncols=2,
        fontsize="small",
    )
    key = "below the diagonal, p says the rare class is likelier than it is; above, less likely"
    fig.suptitle(f"{title}\n{key}" if title else key)
    return fig


def plot_threshold_and_brier(
    f1_at_half: dict[str, tuple],
    f1_tuned: dict[str, tuple],
    brier: dict[str, tuple],
    *,
    reference_brier: float,
    title: str = "",
) -> Figure:
    """What moving the threshold does to F1, and how honest each model's p is.

    Each dict maps a model's label to (mean, low, high): a mean over runs and its
    interval; all three list the same labels, drawn top to bottom in order. Left: F1 at
    the threshold 0.5 (hollow, orange) and at the tuned threshold (filled, blue), joined
    by an arrow. Right: the Brier score, against ``reference_brier``, what always saying
    the share of positives scores.
    """
    labels = list(f1_at_half)
    rows = np.arange(len(labels))[::-1]  # the first label on top
    fig, (f1_ax, brier_ax) = plt.subplots(
        1,
        2,
        figsize=(14.0, 0.42 * len(labels) + 2.3),
        sharey=True,
        width_ratios=(3, 2),
        layout="constrained",
    )
    for row, label in zip(rows, labels):
        before, after = f1_at_half[label][0], f1_tuned[label][0]
        f1_ax.annotate(
            "",
            xy=(after, row),
            xytext=(before, row),
            arrowprops={"arrowstyle": "->", "color": "grey", "shrinkA": 5, "shrinkB": 5},
        )
    at_half = {"color": "tab:orange", "markerfacecolor": "white", "label": "at the threshold 0.5"}
    tuned = {"color": "tab:blue", "label": "at the threshold chosen on the training set"}
    _interval_dots(f1_ax, rows, [f1_at_half[label] for label in labels], at_half)
    _interval_dots(f1_ax, rows, [f1_tuned[label] for label in labels], tuned)
    _interval_dots(brier_ax, rows, [brier[label] for label in labels], {"color": "tab:blue"})
    brier_ax.axvline(
        reference_brier,
        color="grey",
        linestyle="--",
        label=f"{reference_brier:.4f}: always saying p = the share of positives",
    )
    f1_ax.set_yticks(rows, labels)
    f1_ax.set_ylim(-0.6, len(labels) - 0.4)
    f1_ax.set_xlabel("F1 on the test set (higher is better)")
    brier_ax.set_xlabel("Brier score on the test set (lower is better)")
    for ax in (f1_ax, brier_ax):
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize="small")
        ax.grid(alpha=0.3, axis="x")
    key = "dots: means over runs; bars: 95% bootstrap intervals over the runs"
    fig.suptitle(f"{title}\n{key}" if title else key)
    return fig


def _interval_dots(ax, rows, intervals, style: dict) -> None:
    """One dot per row at the mean, with a bar from low to high."""
    means, lows, highs = (np.array(values) for values in zip(*intervals))
    ax.errorbar(
        means,
        rows,
        xerr=[means - lows, highs - means],
        fmt="o",
        markersize=7,
        capsize=3,
        **style,
    )


def _signed(value: float) -> str:
    """+0.012, -0.003; a fourth decimal for a nonzero value that rounds to 0.000, so that
    a bound just off 0 does not read as 0 (+0.0004); 0.000 for one that stays 0."""
    for places in (3, 4):
        text = f"{value:+.{places}f}"
        if float(text) != 0:
            return text
    return "0.000"


def plot_focal_advantage(
    grid: dict[tuple[str, str], tuple],
    others: dict[str, tuple],
    *,
    title: str = "",
    metric: str = "test F1, best focal - best other",
    marked: bool = True,
) -> Figure:
    """The study across data in one figure: a difference and its interval per data setting.

    grid: {(row label, column label): (mean, low, high)}, rows and columns in the order
    first met, drawn as a heatmap on a colour scale centred on 0 (blue: focal ahead,
    red: behind, the scale reaching the largest mean); others: {label: (mean, low,
    high)}, the settings outside the grid, drawn beside it as dots with interval bars.
    A setting whose interval excludes 0 is marked: a thick frame around its cell, a
    filled dot; one whose interval holds 0 gets a thin frame, a hollow dot. marked=False
    marks none (too few data seeds to trust the intervals), and the titles say so.
    """
    rows = list(dict.fromkeys(row for row, _ in grid))
    columns = list(dict.fromkeys(column for _, column in grid))
    means = np.array([[grid[row, column][0] for column in columns] for row in rows])
    reach = max(float(np.max(np.abs(means))), 0.01)
    fig, (heat, side) = plt.subplots(
        1, 2, figsize=(15, 5.8), width_ratios=(1.35, 1), layout="constrained"
    )
    image = heat.imshow(means, cmap="RdBu", vmin=-reach, vmax=reach, aspect="auto")
    for (r, c), mean in np.ndenumerate(means):
        _, low, high = grid[rows[r], columns[c]]
        excludes_zero = marked and (low > 0 or high < 0)
        heat.add_patch(
            plt.Rectangle(
                (c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="black",
                linewidth=3.5 if excludes_zero else 0.5,
            )
        )  # fmt: skip
        heat.text(
            c, r, f"{_signed(mean)}\n[{_signed(low)}, {_signed(high)}]", ha="center", va="center",
            fontsize="small", fontweight="bold" if excludes_zero else "normal",
            color="white" if abs(mean) > 0.6 * reach else "black",
        )  # fmt: skip
    heat.set_xticks(range(len(columns)), columns)
    heat.set_yticks(range(len(rows)), rows)
    heat.set_xlabel("class separation (make_classification's class_sep)")
    heat.set_ylabel("imbalance, negatives : positives")
    mark = "thick frame: the interval excludes 0" if marked else "no interval marked"
    heat.set_title(f"Synthetic data (flip_y = 0)\n{mark}")
    fig.colorbar(image, ax=heat, label=f"{metric}\n(blue: focal ahead, red: behind)")
    labels = list(others)
    positions = np.arange(len(labels))[::-1]
    for position, label in zip(positions, labels):
        mean, low, high = others[label]
        excludes_zero = marked and (low > 0 or high < 0)
        side.errorbar(
            mean, position, xerr=[[mean - low], [high - mean]], fmt="o", markersize=9,
            capsize=4, color="black", markerfacecolor="black" if excludes_zero else "white",
        )  # fmt: skip
    side.axvline(0.0, color="grey", linestyle="--")
    side_reach = max(abs(value) for interval in others.values() for value in interval)
    side.set_xlim(-side_reach * 1.1, side_reach * 1.1)
    side.set_yticks(positions, labels, fontsize="small")
    side.set_ylim(-0.6, len(labels) - 0.4)
    side.set_xlabel(metric)
    mark = "filled: the interval excludes 0" if marked else "too few data seeds to mark any"
    side.set_title(f"The article's data, and real data\n{mark}")
    side.grid(alpha=0.3, axis="x")
    key = "numbers and bars: mean [95% interval over data seeds and initialisations]"
    fig.suptitle(f"{title}\n{key}" if title else key)
    return fig
