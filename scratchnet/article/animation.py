"""Watch it learn: the demo's two runs, BCE and focal loss, drawn after every step as a GIF.

    runs, snapshots = compare_losses_step_by_step(data, seed=0)  # compare_losses, and more
    save_learning_gif(snapshots, data, "learning.gif", names={"BCE": "BCE", ...}, title="")

``runs`` is what ``compare_losses`` returns, bit for bit: the same two runs, trained once.
``snapshots[name][k]`` is that network after k full-batch steps of Adam, from the
untrained one (k = 0) to the last epoch, so 30 epochs give 31 frames. Each frame draws,
for each loss, the line p = 0.5 over the training points, each point coloured and sized
by its share of the gradient at the logit, and a bar of the easy negatives' share: the
article's argument, that BCE's gradient is dominated by the thousands of easy negatives
while focal loss quiets them, watched as it happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import PillowWriter
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image

from scratchnet.article.data import ArticleData
from scratchnet.article.evaluation import THRESHOLD, BinaryReport, evaluate
from scratchnet.article.experiment import (
    ALPHA,
    EPOCHS,
    GAMMA,
    LEARNING_RATE,
    TrainedModel,
    article_losses,
    article_network,
    train_in_stages,
)
from scratchnet.article.plots import MARGIN, probability_grid
from scratchnet.doors.values import POSITIVE_INT

GIF_NAME = "learning.gif"
FRAME_SECONDS = 0.5  # 2 frames per second: slow enough to follow one step at a time
LAST_FRAME_SECONDS = 2.0  # the trained networks stay up long enough to read
GIF_DPI = 100  # 1140 x 640 pixels: fits a laptop's screen, and the README's column
PALETTE_COLOURS = 128  # of a GIF's 256 at most: enough for the text's anti-aliased edges
BOUNDARY_GRID_POINTS = 150  # per axis: the line p = 0.5 is smooth at the GIF's size
EASY = 0.1  # an easy negative: p < 0.1, so p_t = 1 - p > 0.9
GROUPS = (f"easy negatives (p < {EASY:g})", "other negatives", "positives")
GROUP_COLOURS = ("0.85", "0.55", "black")
GROUP_TEXT_COLOURS = ("black", "white", "white")
BOUNDARY_COLOUR = "tab:green"
# Shares are drawn relative to an equal one, 1 / N, on a log scale from a thousandth of
# it (a point the loss has all but forgotten) to a hundred times it, in half-decade bins
# centred on the powers of ten: a few colours a reader can tell apart (and that a GIF's
# palette keeps), and the untrained network's shares, all near 1, in one bin.
SHARE_TICKS = {1e-3: "1/1000", 1e-2: "1/100", 1e-1: "1/10", 1.0: "1", 1e1: "10", 1e2: "100"}
SHARE_BINS = 10.0 ** np.arange(-3.25, 2.5, 0.5)  # edges, from 10^-3.25 to 10^2.25


@dataclass(frozen=True)
class Snapshot:
    """One network after ``epoch`` full-batch steps: what a frame draws of it.

    loss: its training loss, through the loss it trains with.
    report: its test-set metrics at the threshold 0.5.
    p_train: its p on the training points, (N,).
    shares: each training point's share of |dL/dx|, x the logit the last Linear layer
        hands the Sigmoid, (N,), summing to 1 (all 0 if the whole gradient is 0).
    plane: (xx, yy, p), each (G, G): its p over a grid covering the training points, as
        ``probability_grid`` gives it.
    """

    epoch: int
    loss: float
    report: BinaryReport
    p_train: np.ndarray
    shares: np.ndarray
    plane: tuple[np.ndarray, np.ndarray, np.ndarray]


def gradient_shares(model, loss_fn, X, y) -> tuple[float, np.ndarray, np.ndarray]:
    """The loss L over (X, y), p (N, 1), and each row's share of |dL/dx|, (N,).

    x (N, 1) is the logit entering the model's last module, a ``Sigmoid``. dL/dx comes
    from the lesson's own backward passes, the loss's dL/dp through the Sigmoid's
    dL/dx = dL/dp * p * (1 - p): for BCE (p - y) / N, for focal loss a factor that is
    small where p_t is near 1. The mean's 1 / N and focal loss's alpha scale every row
    alike, so they cancel from the shares. (The losses' z = s x has the same |dL/dz|.)
    """
    p = model.forward(X)
    loss = loss_fn(p, y)
    dL_dx = model.modules[-1].backward(loss_fn.backward())
    magnitude = np.abs(dL_dx[:, 0])
    total = magnitude.sum()
    # A collapsed run (every output saturated) sends back no gradient at all: no shares.
    shares = magnitude / total if total > 0 else np.zeros_like(magnitude)
    return loss, p, shares


def compare_losses_step_by_step(
    data: ArticleData,
    *,
    seed,
    epochs: int = EPOCHS,
    lr: float = LEARNING_RATE,
    alpha: float = ALPHA,
    gamma: float = GAMMA,
) -> tuple[dict[str, TrainedModel], dict[str, list[Snapshot]]]:
    """``compare_losses``'s two runs, and a ``Snapshot`` of each network after every step.

    One training run per loss: ``train_in_stages`` stops after each epoch, and a
    snapshot is taken there before the run goes on (the states of one uninterrupted
    run, bit for bit). Snapshot 0, the untrained network, is drawn from ``seed`` as the
    run's own is: the same weights. Each stop is a call of ``train`` of one epoch, too
    short for its warning of a collapse: ``has_collapsed(run.loss_history)`` tells.
    """
    stops = range(1, POSITIVE_INT.check(epochs, "epochs") + 1)
    measuring = article_losses(alpha, gamma)  # caches of their own, apart from training's
    runs, snapshots = {}, {}
    for name, loss_fn in article_losses(alpha, gamma).items():
        untrained = article_network(seed, in_features=data.X_train.shape[1])
        report = evaluate(data.y_test, untrained.forward(data.X_test))
        taken = [take_snapshot(untrained, measuring[name], data, 0, report)]
        for trained in train_in_stages(loss_fn, data, seed=seed, stops=stops, lr=lr):
            epoch = len(trained.loss_history)
            taken.append(take_snapshot(trained.model, measuring[name], data, epoch, trained.report))
        runs[name], snapshots[name] = trained, taken
    return runs, snapshots


def take_snapshot(model, loss_fn, data: ArticleData, epoch: int, report) -> Snapshot:
    """``model`` after ``epoch`` steps as a frame draws it, measured through ``loss_fn``."""
    loss, p, shares = gradient_shares(model, loss_fn, data.X_train, data.y_train)
    plane = probability_grid(model, data.X_train, BOUNDARY_GRID_POINTS)
    return Snapshot(epoch, loss, report, p[:, 0], shares, plane)


def save_learning_gif(snapshots, data, path, *, names: dict[str, str], title: str) -> Path:
    """Draw each frame of ``learning_figure`` into the GIF ``path``; return the path.

    Two frames a second, the last held for two seconds, in a loop.
    """
    path = Path(path)
    figure, show = learning_figure(snapshots, data, names=names, title=title)
    writer = _PillowWriterHoldingTheLastFrame(fps=1 / FRAME_SECONDS)
    with writer.saving(figure, path, dpi=GIF_DPI):
        for k in range(len(next(iter(snapshots.values())))):
            show(k)
            writer.grab_frame()
    plt.close(figure)
    return path


def learning_figure(
    snapshots: dict[str, list[Snapshot]], data: ArticleData, *, names: dict[str, str], title: str
) -> tuple[Figure, Callable[[int], None]]:
    """The animation's figure, and ``show(k)``, which draws frame k on it.

    One column per loss, headed ``names[loss]``: above, the training points, each
    coloured (and sized) by its share of the gradient, and the line p = 0.5; below, a
    bar of the shares of the three groups, easy negatives, other negatives and
    positives. ``title`` heads the figure, above the epoch. Frame 0 is drawn.
    """
    X, y = data.X_train, data.y_train[:, 0]
    # Placed by hand, not by a layout engine: one layout for every frame, and each frame
    # drawn once (a layout engine draws the figure twice per frame to place it).
    figure = plt.figure(figsize=(11.4, 6.4))
    grid = figure.add_gridspec(
        2, len(snapshots), height_ratios=[1, 0.07], left=0.02, right=0.87, top=0.83,
        bottom=0.075, wspace=0.06, hspace=0.16,
    )  # fmt: skip
    cmap = plt.get_cmap("magma_r", len(SHARE_BINS) - 1)
    norm = BoundaryNorm(SHARE_BINS, cmap.N)
    panels = [
        _Panel(figure.add_subplot(grid[0, column]), figure.add_subplot(grid[1, column]),
               name, names[name], X, y, cmap, norm)
        for column, name in enumerate(snapshots)
    ]  # fmt: skip
    key = figure.add_axes((0.89, 0.2, 0.015, 0.63))
    colorbar = figure.colorbar(panels[0].negatives, cax=key)
    colorbar.set_label(
        f"a point's share of the gradient, relative to an equal share (1/{len(y):,})"
    )
    colorbar.set_ticks(list(SHARE_TICKS), labels=list(SHARE_TICKS.values()))
    colorbar.minorticks_off()
    groups = [Patch(color=colour, label=group) for colour, group in zip(GROUP_COLOURS, GROUPS)]
    figure.legend(handles=groups, loc="lower center", ncols=3, fontsize=9, frameon=False)
    heading = figure.suptitle("")
    epochs = len(next(iter(snapshots.values()))) - 1

    def show(k: int) -> None:
        step = "untrained, epoch 0" if k == 0 else f"after epoch {k}"
        heading.set_text(f"{title}\n{step} of {epochs}")
        for panel in panels:
            panel.show(snapshots[panel.name][k])

    show(0)
    return figure, show


class _Panel:
    """One loss's column of the figure: the plane of training points and the line p = 0.5,
    and the bar of each group's share of the gradient under it."""

    def __init__(self, ax, bar, name: str, label: str, X, y, cmap, norm):
        self.ax, self.bar, self.name, self.label, self.X, self.y = ax, bar, name, label, X, y
        self.boundary = []  # the frame's line p = 0.5 and the region p > 0.5, if any
        negative, positive = y == 0, y == 1
        style = dict(cmap=cmap, norm=norm)
        self.negatives = ax.scatter(
            *X[negative].T, c=np.ones(negative.sum()), linewidths=0, zorder=2, **style
        )
        # Drawn above the negatives, larger and outlined: the 1% minority stays visible.
        self.positives = ax.scatter(
            *X[positive].T, c=np.ones(positive.sum()), s=50, marker="^", edgecolors="black",
            linewidths=1.2, zorder=3, **style,
        )  # fmt: skip
        legend = [
            Line2D([], [], ls="", marker="o", ms=4, mfc="grey", mec="none",
                   label=f"class 0 ({negative.sum():,})"),
            Line2D([], [], ls="", marker="^", ms=7, mfc="grey", mec="black",
                   label=f"class 1 ({positive.sum():,})"),
            Line2D([], [], color=BOUNDARY_COLOUR, lw=2, label=f"p = {THRESHOLD}"),
            Patch(color=BOUNDARY_COLOUR, alpha=0.12, label=f"p > {THRESHOLD}: called positive"),
        ]  # fmt: skip
        ax.legend(handles=legend, loc="lower right", fontsize=8)
        # The plane of the snapshots' p: where p crosses 0.5, the line is in sight.
        low, high = X.min(axis=0) - MARGIN, X.max(axis=0) + MARGIN
        ax.set(
            xlim=(low[0], high[0]), ylim=(low[1], high[1]),
            xticks=[], yticks=[],  # the two features have no units to read off
        )  # fmt: skip
        self.note = ax.text(0.02, 0.98, "", transform=ax.transAxes, va="top", fontsize=9, zorder=5)
        self.segments = bar.barh([0, 0, 0], [0, 0, 0], color=GROUP_COLOURS, height=1)
        self.labels = [
            bar.text(0, 0, "", ha="center", va="center", fontsize=8.5, color=colour)
            for colour in GROUP_TEXT_COLOURS
        ]
        bar.set(xlim=(0, 1), ylim=(-0.5, 0.5), xticks=[], yticks=[])
        bar.set_title(
            "where the gradient comes from: points in each group, their share", fontsize=9
        )

    def show(self, snapshot: Snapshot) -> None:
        negative = self.y == 0
        ratio = np.clip(snapshot.shares * len(self.y), SHARE_BINS[0], SHARE_BINS[-1])
        order = np.argsort(ratio[negative], kind="stable")  # the loudest drawn on top
        self.negatives.set_offsets(self.X[negative][order])
        self.negatives.set_array(ratio[negative][order])
        self.negatives.set_sizes(_marker_area(ratio[negative][order]))
        self.positives.set_array(ratio[~negative])
        notes = [self._show_boundary(*snapshot.plane)]
        if not snapshot.shares.any():
            notes.append("no gradient at all: training has collapsed")
        self.note.set_text("\n".join(note for note in notes if note))
        report = snapshot.report
        self.ax.set_title(
            f"{self.label}\ntraining loss {snapshot.loss:.4f}, test recall "
            f"{report.recall:.2f} ({report.true_positives} of {report.positives})",
            fontsize=10,
        )
        easy = negative & (snapshot.p_train < EASY)
        left = 0.0
        for segment, label, group in zip(
            self.segments, self.labels, (easy, negative & ~easy, ~negative)
        ):
            share = snapshot.shares[group].sum()
            segment.set(x=left, width=share)
            label.set_position((left + share / 2, 0))
            # As much as the segment has room for: the count and the share, the share, nothing.
            label.set_text(
                f"{group.sum():,}, {share:.0%}" if share > 0.15
                else f"{share:.0%}" if share > 0.06 else ""
            )  # fmt: skip
            left += share

    def _show_boundary(self, xx, yy, p) -> str:
        """Draw the line p = 0.5 of this frame, and shade where p > 0.5; return what to say
        if there is no line."""
        for drawn in self.boundary:
            drawn.remove()
        self.boundary = []
        if p.min() < THRESHOLD < p.max():
            self.boundary = [
                self.ax.contourf(
                    xx, yy, p, levels=[THRESHOLD, 1], colors=BOUNDARY_COLOUR, alpha=0.12,
                    zorder=1,
                ),
                self.ax.contour(
                    xx, yy, p, levels=[THRESHOLD], colors=BOUNDARY_COLOUR, linewidths=2, zorder=4
                ),
            ]  # fmt: skip
            return ""
        # No line to draw: say so, rather than leave the reader looking for one.
        return f"no line: p {'<' if p.max() <= THRESHOLD else '>'} {THRESHOLD} everywhere"


def _marker_area(ratio: np.ndarray) -> np.ndarray:
    """A negative's marker area in points^2, growing with the log of its share: 1 for a
    thousandth of an equal share or less, 9 for an equal share, 17 for a hundredfold."""
    return np.maximum(1 + 8 * np.log10(ratio * 1e3) / 3, 1)


class _PillowWriterHoldingTheLastFrame(PillowWriter):
    """matplotlib's Pillow writer, with one palette for every frame and the last frame
    held for LAST_FRAME_SECONDS."""

    def finish(self):
        # PillowWriter.finish gives each frame a palette of its own, so nearly every pixel
        # changes from frame to frame and the GIF stores each frame whole. With one
        # palette, the last frame's (its colour bar and legends hold every colour drawn),
        # the GIF stores only what changed: a fifth of the size. No dithering: flat
        # colours stay flat. And Pillow takes a duration per frame, where
        # PillowWriter.finish gives each the same 1 / fps.
        palette = self._frames[-1].quantize(PALETTE_COLOURS, dither=Image.Dither.NONE)
        frames = [
            frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in self._frames
        ]
        durations = [round(1000 * FRAME_SECONDS)] * (len(frames) - 1)
        frames[0].save(
            self.outfile, save_all=True, append_images=frames[1:],
            duration=durations + [round(1000 * LAST_FRAME_SECONDS)], loop=0,
        )  # fmt: skip
