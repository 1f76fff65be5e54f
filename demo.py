"""BCE against focal loss on the article's 99:1 data, in scratchnet: no deep-learning framework.

    python demo.py                    # report on stdout, figures in ./demo-output/
    python demo.py --seed 3 --show    # another initialisation; open the figures too
    python demo.py --animate          # also learning.gif: both networks after every step

Trains the article's 2-16-8-1 network twice from the same initial weights, once with
binary cross-entropy and once with the article's focal loss, for 30 full-batch epochs of
Adam, then reports what each found on the test set and saves three figures; with
--animate, also learning.gif, both networks after every step.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt

from scratchnet.article.animation import (
    GIF_NAME,
    compare_losses_step_by_step,
    save_learning_gif,
)
from scratchnet.article.cli import (
    OneLineErrorParser,
    non_negative_int,
    non_negative_number,
    positive_int,
    positive_number,
    usable_output_folder,
)
from scratchnet.article.data import load_article_data
from scratchnet.article.evaluation import predict_labels
from scratchnet.article.experiment import (
    ALPHA,
    EPOCHS,
    GAMMA,
    LEARNING_RATE,
    article_losses,
    compare_losses,
)
from scratchnet.article.plots import (
    FIGURE_DPI,
    plot_confusion_matrices,
    plot_decision_boundaries,
    plot_loss_curves,
)
from scratchnet.training import CollapseWarning, has_collapsed

TRAINED_LOSS = "training loss, trained model"  # a row of its own: not in the BinaryReport
ROWS = [  # (label, how to read it off a BinaryReport)
    ("accuracy", lambda r: f"{r.accuracy:.4f}"),
    ("balanced accuracy", lambda r: f"{r.balanced_accuracy:.4f}"),
    ("minority precision", lambda r: f"{r.precision:.4f}"),
    ("minority recall", lambda r: f"{r.recall:.4f}"),
    ("minority F1", lambda r: f"{r.f1:.4f}"),
    ("average precision", lambda r: f"{r.average_precision:.4f}"),
    ("positives found", lambda r: f"{r.true_positives} of {r.positives}"),
    ("positives predicted", lambda r: f"{r.predicted_positives}"),
]


def parse_args(argv=None) -> argparse.Namespace:
    parser = OneLineErrorParser(
        prog="demo.py",
        description="Train the article's network with BCE and with focal loss; compare them.",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed of the initial weights, shared by both networks (default 0)",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=EPOCHS,
        help=f"full-batch epochs of Adam (default {EPOCHS})",
    )
    parser.add_argument(
        "--lr",
        type=positive_number,
        default=LEARNING_RATE,
        help=f"Adam's learning rate (default {LEARNING_RATE})",
    )
    parser.add_argument(
        "--alpha",
        type=positive_number,
        default=ALPHA,
        help=f"focal loss alpha, applied to every term as in the article (default {ALPHA})",
    )
    parser.add_argument(
        "--gamma",
        type=non_negative_number,
        default=GAMMA,
        help=f"focal loss gamma (default {GAMMA:g})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="folder for the figures (default ./demo-output)",
    )
    parser.add_argument("--show", action="store_true", help="also open the figures in a window")
    parser.add_argument(
        "--animate",
        action="store_true",
        help=f"also draw both networks after every step into {GIF_NAME} (about 10 s more)",
    )
    return parser.parse_args(argv)


def trained_losses(runs, data, args) -> dict[str, float]:
    """Each trained model's loss over the whole training set, through the loss it trained with.

    Not ``loss_history[-1]``: that is the loss before the last step (with --epochs 1, the
    untrained network's).
    """
    losses = article_losses(args.alpha, args.gamma)
    return {
        name: float(losses[name](run.model.forward(data.X_train), data.y_train))
        for name, run in runs.items()
    }


def figure_names(args) -> dict[str, str]:
    """Each loss as the figures name it, with its alpha and gamma."""
    return {
        "BCE": "BCE",
        "focal": f"focal, alpha {args.alpha:g} on every term, gamma {args.gamma:g}",
    }


def settings_line(args) -> str:
    """What was run, as each figure's title says it."""
    return f"seed {args.seed}, {args.epochs} full-batch epochs of Adam (lr {args.lr:g})"


def format_report(runs, data, args) -> str:
    """The comparison as plain text: settings, the baseline, then one column per loss.

    A run that has collapsed (``has_collapsed``) gets one line saying so after the table.
    """
    positives = int(data.y_test.sum())
    baseline = next(iter(runs.values())).report.always_negative_accuracy
    names = {"BCE": "BCE", "focal": f"focal (a={args.alpha:g}, g={args.gamma:g})"}
    final_losses = trained_losses(runs, data, args)
    width = max(len(label) for label, _ in ROWS + [(TRAINED_LOSS, None)]) + 2
    lines = [
        f"scratchnet: BCE vs focal loss, seed {args.seed}, {args.epochs} full-batch epochs "
        f"of Adam (lr {args.lr:g})",
        f"test set: {len(data.y_test)} samples, {positives} positive; "
        f"always predicting negative scores accuracy {baseline:.4f}",
        "",
        " " * width + "".join(f"{names[name]:>24}" for name in runs),
    ]
    for label, read in ROWS:
        lines.append(
            f"{label:<{width}}" + "".join(f"{read(run.report):>24}" for run in runs.values())
        )
    lines.append(
        f"{TRAINED_LOSS:<{width}}" + "".join(f"{final_losses[name]:>24.6f}" for name in runs)
    )
    lines += ["", "confusion matrices, rows = true class 0/1, columns = predicted 0/1:"]
    for name, run in runs.items():
        (tn, fp), (fn, tp) = run.report.confusion
        lines.append(f"  {names[name]:<24} [[{tn:5d} {fp:5d}]  [{fn:5d} {tp:5d}]]")
    collapsed = [name for name, run in runs.items() if has_collapsed(run.loss_history)]
    if collapsed:
        lines.append("")
    for name in collapsed:
        lines.append(
            f"{names[name]}: training collapsed: its loss stopped moving, so the network "
            f"stopped learning (its outputs saturated, its gradient 0); try a smaller --lr "
            f"than {args.lr:g}."
        )
    return "\n".join(lines)


def make_figures(runs, data, args) -> dict:
    """The three comparison figures, each titled with what was run."""
    names = figure_names(args)
    settings = settings_line(args)
    test_set = f"test set ({len(data.y_test):,} points, {int(data.y_test.sum())} positive)"
    return {
        "decision_boundaries": plot_decision_boundaries(
            {names[name]: run.model for name, run in runs.items()},
            data.X_test,
            data.y_test,
            points="test set",
            title=f"Each network's p(class 1) over the plane, and the {test_set}\n{settings}",
        ),
        "confusion_matrices": plot_confusion_matrices(
            data.y_test,
            {names[name]: predict_labels(run.test_probabilities) for name, run in runs.items()},
            title=f"Confusion matrices on the {test_set}\n{settings}",
        ),
        "loss_curves": plot_loss_curves(
            {names[name]: run.loss_history for name, run in runs.items()},
            title=f"Training loss of each epoch, measured before its step\n{settings}",
        ),
    }


def save_figures(runs, data, args) -> dict[str, Path]:
    """Draw the three comparison figures and save them as PNG files in ``args.out``."""
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    figures = make_figures(runs, data, args)
    paths = {}
    for name, figure in figures.items():
        paths[name] = out / f"{name}.png"
        figure.savefig(paths[name], dpi=FIGURE_DPI)
    return paths


def main(argv=None) -> int:
    args = parse_args(argv)
    if not usable_output_folder(args.out, "demo.py"):
        return 2  # as the parser exits for a bad flag
    data = load_article_data()
    settings = dict(
        seed=args.seed, epochs=args.epochs, lr=args.lr, alpha=args.alpha, gamma=args.gamma
    )
    with warnings.catch_warnings():
        # The report names a collapsed run itself, in one line with what to try.
        warnings.simplefilter("ignore", CollapseWarning)
        if args.animate:  # the same two runs, with the state after every step kept
            runs, snapshots = compare_losses_step_by_step(data, **settings)
        else:
            runs = compare_losses(data, **settings)
    print(format_report(runs, data, args))
    paths = save_figures(runs, data, args)
    if args.animate:
        title = f"The training set as each network learns: {settings_line(args)}"
        paths["learning"] = save_learning_gif(
            snapshots, data, args.out / GIF_NAME, names=figure_names(args), title=title
        )
    print(f"\nfigures: {', '.join(str(path) for path in paths.values())}")
    if args.show:
        plt.show()
    plt.close("all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
