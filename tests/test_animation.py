"""demo.py --animate: one frame per step, from the demo's own runs, and what each frame shows."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.contour import ContourSet
from PIL import Image

import demo
from scratchnet.article.animation import (
    EASY,
    GIF_NAME,
    compare_losses_step_by_step,
    gradient_shares,
    learning_figure,
)
from scratchnet.article.data import load_article_data
from scratchnet.article.experiment import EPOCHS, article_network, compare_losses
from scratchnet.losses import BCELoss, FocalLoss, FocalLossWithLogits

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_GIF = ROOT / "docs" / "figures" / GIF_NAME
NAMES = {"BCE": "BCE", "focal": "focal"}


@pytest.fixture(scope="module")
def data():
    return load_article_data()


@pytest.fixture(scope="module")
def recorded(data):
    """The demo's default runs, with a snapshot after every step."""
    return compare_losses_step_by_step(data, seed=0, epochs=EPOCHS)


def frame_durations(path) -> list[int]:
    with Image.open(path) as gif:
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
        return durations


def test_animate_writes_one_frame_per_step_and_the_demos_report(tmp_path, capsys, data):
    epochs = 3
    assert demo.main(["--animate", "--epochs", str(epochs), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    path = tmp_path / GIF_NAME
    assert f"{path}\n" in printed  # named with the other figures
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == epochs + 1  # the untrained network, then one per step
        assert gif.size[0] <= 1200  # fits a laptop's screen without scaling
    # At most 2 frames a second; the last held 2 s; in a loop.
    assert frame_durations(path) == [500] * epochs + [2000]
    assert path.stat().st_size < 2_000_000
    # The report is what the demo prints without --animate: the same runs, trained once.
    args = demo.parse_args(["--epochs", str(epochs)])
    expected = compare_losses(data, seed=0, epochs=epochs)
    assert printed.startswith(demo.format_report(expected, data, args))


def test_the_default_demo_neither_records_the_steps_nor_writes_the_gif(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the default demo recorded or drew the animation")

    monkeypatch.setattr(demo, "compare_losses_step_by_step", refuse)
    monkeypatch.setattr(demo, "save_learning_gif", refuse)
    assert demo.main(["--epochs", "2", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / GIF_NAME).exists()


def test_the_snapshots_are_the_demos_runs_step_by_step(recorded, data):
    runs, snapshots = recorded
    expected = compare_losses(data, seed=0, epochs=EPOCHS)
    args = demo.parse_args([])
    trained_losses = demo.trained_losses(expected, data, args)
    for name, run in expected.items():
        taken = snapshots[name]
        assert [snapshot.epoch for snapshot in taken] == list(range(EPOCHS + 1))
        # Each frame's loss is the loss of epoch k, measured before its step, then the
        # trained model's: the frames walk the demo's own trajectory. (To rounding: train
        # runs its products on one BLAS thread, the snapshots on however many there are.)
        losses = [snapshot.loss for snapshot in taken]
        np.testing.assert_allclose(losses, run.loss_history + [trained_losses[name]], rtol=1e-12)
        # The last frame's recall is the demo's.
        assert taken[-1].report.recall == run.report.recall
        np.testing.assert_array_equal(taken[-1].report.confusion, run.report.confusion)
        for got, want in zip(runs[name].model.parameters(), run.model.parameters()):
            np.testing.assert_array_equal(got.data, want.data)
    assert snapshots["focal"][-1].report.true_positives == 14  # the README's 14 of 28


def test_shares_are_each_rows_share_of_the_gradient_at_the_logit(data):
    model = article_network(3)
    X, y = data.X_train[:500], data.y_train[:500]
    x = X  # the logit: the network without its last module, the Sigmoid
    for module in model.modules[:-1]:
        x = module.forward(x)
    focal_from_logits = FocalLossWithLogits(alpha=0.25, gamma=2.0)  # the paper's closed form
    focal_from_logits(x, y)
    expected = {
        "BCE": np.abs(1 / (1 + np.exp(-x)) - y),  # |p - y|, BCE's dL/dx up to 1 / n
        "focal": np.abs(focal_from_logits.backward()),
    }
    for name, loss_fn in (("BCE", BCELoss()), ("focal", FocalLoss(alpha=0.25, gamma=2.0))):
        loss, p, shares = gradient_shares(model, loss_fn, X, y)
        assert shares.shape == (500,) and np.isclose(shares.sum(), 1.0)
        np.testing.assert_allclose(shares, expected[name][:, 0] / expected[name].sum(), rtol=1e-9)
        assert loss == loss_fn(p, y)


def test_focal_loss_quiets_the_easy_negatives_and_bce_does_not(recorded, data):
    # What a reader should see in the frames, on the demo's seed: once the networks have
    # learnt the negatives, BCE's easy negatives still send a third of its gradient or
    # more, focal loss's a few percent.
    _, snapshots = recorded
    negative = data.y_train[:, 0] == 0

    def easy_share(snapshot):
        return snapshot.shares[negative & (snapshot.p_train < EASY)].sum()

    for k in range(15, EPOCHS + 1):
        assert easy_share(snapshots["BCE"][k]) > 0.3
        assert easy_share(snapshots["focal"][k]) < 0.05


def test_each_frame_draws_the_shares_the_boundary_and_the_numbers(recorded, data):
    _, snapshots = recorded
    figure, show = learning_figure(snapshots, data, names=NAMES, title="seed 0")
    show(EPOCHS)
    planes = [ax for ax in figure.axes if ax.get_title().startswith(tuple(NAMES.values()))]
    assert len(planes) == 2
    assert figure.get_suptitle() == f"seed 0\nafter epoch {EPOCHS} of {EPOCHS}"
    for ax, name in zip(planes, NAMES):
        last = snapshots[name][-1]
        report = last.report
        assert ax.get_title() == (
            f"{NAMES[name]}\ntraining loss {last.loss:.4f}, test recall {report.recall:.2f} "
            f"({report.true_positives} of 28)"
        )
        negatives, positives = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(negatives.get_offsets()) == 4140 and len(positives.get_offsets()) == 60
        assert positives.get_zorder() > negatives.get_zorder()
        # Each point's colour is its share in equal shares: sorted, as drawn.
        ratio = np.sort(last.shares[data.y_train[:, 0] == 0] * 4200)
        shown = negatives.get_array()
        inside = (ratio > 10**-3.25) & (ratio < 10**2.25)
        np.testing.assert_allclose(shown[inside], ratio[inside])
    # Seed 0's BCE network never reaches p = 0.5 (the demo's figure says so too); focal's does.
    texts = {name: [t.get_text() for t in ax.texts] for ax, name in zip(planes, NAMES)}
    assert "no line: p < 0.5 everywhere" in texts["BCE"]
    assert "no line: p < 0.5 everywhere" not in texts["focal"]
    contours = [[c for c in ax.collections if isinstance(c, ContourSet)] for ax in planes]
    assert contours[0] == []
    # focal's line at p = 0.5, and the region beyond it shaded
    assert sorted((c.filled, c.levels.tolist()) for c in contours[1]) == [
        (False, [0.5]),
        (True, [0.5, 1.0]),
    ]
    plt.close(figure)


def test_a_collapsed_run_is_drawn_without_a_nan(data):
    # lr 100 saturates both networks at the first step: from then on their gradient is
    # exactly 0, so there are no shares to draw, and the frames say so.
    _, snapshots = compare_losses_step_by_step(data, seed=0, epochs=6, lr=100)
    for taken in snapshots.values():
        assert np.isclose(taken[0].shares.sum(), 1.0)
        assert all(not snapshot.shares.any() for snapshot in taken[1:])
    figure, show = learning_figure(snapshots, data, names=NAMES, title="lr 100")
    for k in range(7):
        show(k)
        figure.canvas.draw()  # pytest turns any warning into an error
    notes = [text.get_text() for ax in figure.axes for text in ax.texts]
    assert sum("no gradient at all" in note for note in notes) == 2
    plt.close(figure)


def test_the_committed_animation_is_the_demos_default():
    # docs/figures/learning.gif, which the README shows, as `python demo.py --animate` draws it.
    with Image.open(COMMITTED_GIF) as gif:
        assert gif.n_frames == EPOCHS + 1
    assert frame_durations(COMMITTED_GIF) == [500] * EPOCHS + [2000]
    assert COMMITTED_GIF.stat().st_size < 2_000_000
