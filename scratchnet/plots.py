"""Figures for the BCE-versus-focal comparison, drawn with matplotlib.

Each function takes one entry per model (a dict from the model's name to what is
plotted), draws them side by side, and returns the ``Figure`` without showing it, so
the caller decides whether to save, show or test it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from scratchnet.evaluation import THRESHOLD
from scratchnet.layers import Module

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


def plot_decision_boundaries(models: dict[str, Module], X: np.ndarray, y: np.ndarray) -> Figure:
    """Each model's p over the plane on one shared colour scale, the 0.5 line, and the data.

    X (N, 2); y (N,) or (N, 1) of 0/1 labels. Positives are drawn last and larger, so
    that the 1% minority is not buried under the majority.
    """
    y = np.asarray(y).ravel()
    fig, axes = plt.subplots(
        1,
        len(models),
        figsize=(5.2 * len(models), 4.6),
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
        for label, size in ((0, 4), (1, 14)):
            chosen = y == label
            ax.scatter(
                X[chosen, 0],
                X[chosen, 1],
                s=size,
                c=CLASS_COLOURS[label],
                edgecolors="black",
                linewidths=0.3,
                label=f"class {label} ({chosen.sum()})",
            )
        ax.set_title(f"{name}: p(class 1), line at p = {THRESHOLD}")
        ax.set_xlabel("feature 1")
        ax.legend(loc="lower right", fontsize="small")
    axes[0, 0].set_ylabel("feature 2")
    fig.colorbar(filled, ax=axes[0].tolist(), label="predicted probability of class 1")
    return fig


def plot_confusion_matrices(y_true, predictions: dict[str, np.ndarray]) -> Figure:
    """One confusion matrix per model from 0/1 predicted labels, with counts written in."""
    y_true = np.asarray(y_true).ravel().astype(int)
    fig, axes = plt.subplots(
        1,
        len(predictions),
        figsize=(4.4 * len(predictions), 3.8),
        squeeze=False,
        layout="constrained",
    )
    for ax, (name, y_pred) in zip(axes[0], predictions.items()):
        ConfusionMatrixDisplay.from_predictions(
            y_true,
            np.asarray(y_pred).ravel(),
            labels=[0, 1],
            ax=ax,
            cmap="Blues",
            values_format="d",
            colorbar=False,
        )
        ax.set_title(name)
    return fig


def plot_loss_curves(histories: dict[str, list[float]]) -> Figure:
    """Each model's training loss per epoch, each on its own scale (the losses differ in size)."""
    fig, axes = plt.subplots(
        1, len(histories), figsize=(4.4 * len(histories), 3.4), squeeze=False, layout="constrained"
    )
    for ax, (name, history) in zip(axes[0], histories.items()):
        ax.plot(np.arange(1, len(history) + 1), history, marker="o", markersize=3)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        ax.grid(alpha=0.3)
    return fig
