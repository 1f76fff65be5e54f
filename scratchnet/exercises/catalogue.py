"""The exercises, in the order a learner takes them: what each asks, teaches, and grades.

A grader is named as "module:name" and imported only when its exercise is checked,
so that listing the exercises stays instant (the network's grader loads scikit-learn).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    """name: the file the learner writes, ``name.py``. writes: the method(s) to write.
    teaches: one line. tour: the heading of docs/tour.md whose derivation to read, and
    which part of it. grader: "module:name" of a callable that takes the learner's module
    (or, with ``needs``, a function loading any of the learner's files by exercise name)
    and yields the checks."""

    name: str
    writes: str
    teaches: str
    tour: str
    tour_part: str
    grader: str
    needs: tuple[str, ...] = ()

    @property
    def tour_anchor(self) -> str:
        """GitHub's anchor of the tour heading, as docs links write it."""
        kept = "".join(c for c in self.tour.lower() if c.isalnum() or c in " -_")
        return kept.replace(" ", "-")

    def grade(self, load):
        """The grader's checks, one at a time, on the learner's files."""
        module_name, _, name = self.grader.partition(":")
        grader = getattr(importlib.import_module(module_name), name)
        return grader(load) if self.needs else grader(load(self.name))

    def catalogued_mistakes(self) -> list[str]:
        """What each catalogued mistake's hint says it is: the hint up to its first colon.
        Each grader module answers with its ``catalogued_mistakes(grader)``."""
        module_name, _, name = self.grader.partition(":")
        module = importlib.import_module(module_name)
        return [hint.split(":")[0] for hint in module.catalogued_mistakes(getattr(module, name))]


def mistakes_table() -> str:
    """docs/exercises.md's table of the catalogued mistakes, made from the catalogue."""
    from scratchnet.exercises.grading import generic_mistakes  # NumPy: only when asked

    rows = ["| exercise | the catalogued mistakes, as their hints name them |", "|---|---|"]
    for exercise in EXERCISES:
        named = exercise.catalogued_mistakes()
        if named:
            rows.append(f"| `{exercise.name}` | {'; '.join(named)} |")
    generic = [mistake.hint.split(":")[0] for mistake in generic_mistakes("gradient")]
    rows.append(f"| every gradient | {'; '.join(generic)} |")
    return "\n".join(rows) + "\n"


_LAYERS = "scratchnet.exercises.layer_exercises"
_LOSSES = "scratchnet.exercises.loss_exercises"

EXERCISES = (
    Exercise(
        "relu",
        "ReLU.backward",
        "the chain rule through a mask; relu'(0) = 0",
        "Layers",
        "the paragraph ReLU",
        f"{_LAYERS}:RELU",
    ),
    Exercise(
        "sigmoid",
        "Sigmoid.backward",
        "sigma' = p (1 - p), and why 1 - p is cached as sigma(-x)",
        "Layers",
        "the paragraph Sigmoid",
        f"{_LAYERS}:SIGMOID",
    ),
    Exercise(
        "linear",
        "Linear.backward (weight, bias and input gradients)",
        "matrix gradients, with a sum over the batch and a transpose in the right place",
        "Layers",
        "the paragraph Linear",
        f"{_LAYERS}:LINEAR",
    ),
    Exercise(
        "bce",
        "BCELoss.backward",
        "a loss's gradient, through the reduction; floored logs",
        "Losses",
        "the paragraph BCE",
        f"{_LOSSES}:BCE",
    ),
    Exercise(
        "bce_logits",
        "BCEWithLogitsLoss.backward",
        "why sigmoid + BCE collapses to p - y, computed without cancellation",
        "Losses",
        "the paragraphs BCE and From logits",
        f"{_LOSSES}:BCE_LOGITS",
    ),
    Exercise(
        "focal",
        "FocalLoss.backward",
        "the product rule through p_t, alpha_t and the article's clamp",
        "Losses",
        "the paragraph Focal loss",
        f"{_LOSSES}:FOCAL",
    ),
    Exercise(
        "focal_logits",
        "FocalLossWithLogits.backward",
        "the chain rule through the sigmoid cancels both divisions",
        "Losses",
        "the paragraph From logits",
        f"{_LOSSES}:FOCAL_LOGITS",
    ),
    Exercise(
        "adam",
        "Adam.step",
        "moving averages and their bias correction, as PyTorch does them",
        "Optimizers and the training loop",
        "the update rule at its start",
        "scratchnet.exercises.adam_exercise:grade_adam",
    ),
    Exercise(
        "tanh",
        "Tanh.forward and Tanh.backward",
        "a layer of your own from nothing: what to cache, and the derivative",
        "Writing your own layer",
        "its first part, MyTanh (the lesson's Tanh under another name)",
        f"{_LAYERS}:TANH",
    ),
    Exercise(
        "network",
        "article_network and train",
        "your own layers, loss and Adam train the article's network to the demo's numbers",
        "Optimizers and the training loop",
        "the article's loop written out, at its end",
        "scratchnet.exercises.network_exercise:grade_network",
        needs=("linear", "relu", "sigmoid", "focal", "adam"),
    ),
)

BY_NAME = {exercise.name: exercise for exercise in EXERCISES}
