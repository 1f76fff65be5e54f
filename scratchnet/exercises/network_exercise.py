"""Grading of the network exercise: the article's network, built from the learner's own
linear, relu and sigmoid files, trained by their own loop with their own focal loss and
Adam for the demo's 30 epochs.

The lesson's run is the answer: the demo's focal network from seed 0 (``train_article_model``).
The learner's loss curve must follow it to 1e-6 relative (sums in another order round
differently), and their trained network must find as many positives of the test set.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from scratchnet.article.data import load_article_data
from scratchnet.article.experiment import (
    ALPHA,
    EPOCHS,
    GAMMA,
    LEARNING_RATE,
    article_network,
    train_article_model,
)
from scratchnet.exercises.grading import Check, failed, passed, run
from scratchnet.losses import FocalLoss as LessonFocalLoss

SEED = 0
TOLERANCE = 1e-6
COMPONENTS = {"linear": "Linear", "relu": "ReLU", "sigmoid": "Sigmoid"}
LAYOUT = ("linear", "relu", "linear", "relu", "linear", "sigmoid")


def catalogued_mistakes(grader) -> list[str]:
    """None: the network's hints are about the loop, told by the checks themselves."""
    return []


def grade_network(load) -> Iterator[Check]:
    network = load("network")
    classes = {name: getattr(load(name), cls, None) for name, cls in COMPONENTS.items()}
    FocalLoss, Adam = getattr(load("focal"), "FocalLoss", None), getattr(load("adam"), "Adam", None)
    for name in ("article_network", "train"):
        if not callable(getattr(network, name, None)):
            yield failed(f"network.py defines {name}", f"no function {name}: keep the starter's")
            return
    model = run(network.article_network, np.random.default_rng(SEED))
    lesson_model = article_network(np.random.default_rng(SEED))
    yield _layout_check(model, classes)
    yield _initial_weights_check(model, lesson_model)

    data = load_article_data()
    lesson = train_article_model(LessonFocalLoss(alpha=ALPHA, gamma=GAMMA), data, seed=SEED)
    loss_fn = run(FocalLoss, alpha=ALPHA, gamma=GAMMA)
    optimizer = run(Adam, run(model.parameters), lr=LEARNING_RATE)
    history = run(
        network.train, model, loss_fn, optimizer, data.X_train, data.y_train, epochs=EPOCHS
    )
    yield _loss_curve_check(history, lesson.loss_history)
    p_test = np.asarray(run(model.forward, data.X_test))
    found = int(np.sum((p_test.reshape(-1) > 0.5) & (data.y_test.reshape(-1) == 1)))
    description = (
        f"the trained network finds the demo's {lesson.report.true_positives} of "
        f"{lesson.report.positives} test positives"
    )
    if found == lesson.report.true_positives:
        yield passed(description)
    else:
        yield failed(
            description,
            f"it finds {found}: with the loss curve right this cannot happen; check that "
            "forward after training uses the trained parameters",
        )


def _modules(model) -> list:
    return list(getattr(model, "modules", None) or [])


def _layout_check(model, classes) -> Check:
    description = "article_network is 2-16-8-1 from your Linear, ReLU and Sigmoid"
    modules = _modules(model)
    kinds = [type(module) for module in modules]
    wanted = [classes[name] for name in LAYOUT]
    if kinds != wanted:
        shown = ", ".join(kind.__name__ for kind in kinds) or "no modules"
        return failed(
            description,
            f"it holds {shown}: build Sequential(Linear(2, 16), ReLU(), Linear(16, 8), "
            "ReLU(), Linear(8, 1), Sigmoid()) from the classes of your own linear.py, "
            "relu.py and sigmoid.py",
        )
    sizes = [(module.in_features, module.out_features) for module in modules[::2]]
    if sizes != [(2, 16), (16, 8), (8, 1)]:
        return failed(description, f"its Linear layers are {sizes}: the article's are 2-16-8-1")
    return passed(description)


def _initial_weights_check(model, lesson_model) -> Check:
    description = f"its initial weights are the lesson's from seed {SEED}"
    ours = [param.data for param in lesson_model.parameters()]
    theirs = [np.asarray(param.data) for param in run(model.parameters)]
    if len(theirs) == len(ours) and all(
        a.shape == b.shape and np.array_equal(a, b) for a, b in zip(theirs, ours)
    ):
        return passed(description)
    return failed(
        description,
        "the weights differ: pass the one generator rng to every Linear, in the article's "
        "order (2-16, then 16-8, then 8-1), and draw nothing else from it",
    )


def _loss_curve_check(history, lesson_history) -> Check:
    description = (
        f"train's {EPOCHS} epochs of Adam (lr {LEARNING_RATE}) give the demo's loss curve, "
        f"to {TOLERANCE:g} relative"
    )
    try:
        got = np.asarray(history, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return failed(description, "train must return a list of the epochs' losses (floats)")
    expected = np.asarray(lesson_history)
    if got.shape != expected.shape:
        return failed(
            description,
            f"train returned {got.size} losses: one per epoch, {EPOCHS}, each measured by "
            "that epoch's forward pass before its step",
        )
    close = np.abs(got - expected) <= TOLERANCE * np.abs(expected)
    if close.all():
        return passed(description)
    return failed(description, _curve_hint(got, expected, close))


def _curve_hint(got, expected, close) -> str:
    first = int(np.argmin(close))
    if np.allclose(got[:-1], expected[1:], rtol=TOLERANCE):
        return (
            "each loss is the next epoch's: record the loss of each epoch's forward pass, "
            "before its step, as the demo does"
        )
    if first > 0 and np.allclose(got, got[0], rtol=TOLERANCE):
        return (
            "the loss never changes: after model.backward(loss_fn.backward()), "
            "optimizer.step() updates the parameters"
        )
    if first == 0:
        return (
            f"the first epoch's loss is {got[0]:.8g}, the demo's {expected[0]:.8g}: the "
            "untrained network or its loss differ; check that focal passes its own check"
        )
    return (
        f"the curves part at epoch {first + 1} ({got[first]:.8g} against the demo's "
        f"{expected[first]:.8g}): a gradient or an update differs; check that linear, relu, "
        "sigmoid, focal and adam each pass their own check, then the order of the loop: "
        "forward, loss, backward, step"
    )
