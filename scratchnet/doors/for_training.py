"""The doors of ``train``: its arguments, checked once before the first step; the loss and
the errors of each step; and the warnings at the end of a run that went bad."""

from __future__ import annotations

import math
import numbers
import warnings
from contextlib import contextmanager

import numpy as np

from scratchnet._loss import Loss
from scratchnet.doors import for_losses
from scratchnet.doors.for_modules import where_not_finite
from scratchnet.doors.for_saving import optimizer_of
from scratchnet.doors.values import (
    NON_NEGATIVE_INT,
    POSITIVE_INT,
    GradientError,
    GradientOverflow,
    as_generator,
    as_labels,
    as_samples,
    kind_of,
    require_binary_labels,
    require_instance,
)
from scratchnet.layers import Module, Sequential, Sigmoid


class CollapseWarning(RuntimeWarning):
    """Training ran to the end, but the loss stopped moving: see ``has_collapsed``."""


class DivergenceWarning(RuntimeWarning):
    """Training ran to the end, but the loss went bad: see ``has_diverged``, ``has_gone_bad``."""


# When a run has gone bad (see has_gone_bad), chosen from the loss curves of
# benchmarks/gone_bad.py and docs/tour.md's table of them.
CLIMB = 100.0  # an epoch's loss above 100 times the first's
RISE = 1.5  # the last loss above 1.5 times the lowest ...
RISE_SHARE = 0.02  # ... and more than 2% of the way from the lowest back up to the first


def data(model, loss_fn, optimizer, X, y, validation) -> tuple:
    """(X, y, validation), checked, after the model, the loss and the optimizer; a model
    ending in Sigmoid before a loss on logits is warned."""
    _model_and_loss(model, loss_fn)
    optimizer_of(optimizer, model)
    _warn_if_squashed_twice(model, loss_fn)
    X, y = _samples_and_targets(model, loss_fn, X, y, "X", "y")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise TypeError(
                f"validation must be a pair (X_val, y_val), got a {type(validation).__name__}"
            )
        validation = _samples_and_targets(
            model, loss_fn, *validation, "validation X", "validation y"
        )
    return X, y, validation


def schedule(epochs, batch_size, rng, verbose) -> tuple:
    """(epochs, batch_size, rng, every): a positive number of epochs; a positive batch
    size with a Generator (or seed) to shuffle, or None for full batch; how often to
    print, 0 for never, 1 for every epoch, k for every k-th."""
    epochs = POSITIVE_INT.check(epochs, "epochs")
    if batch_size is not None:
        batch_size = POSITIVE_INT.check(batch_size, "batch_size")
        if rng is None:
            raise ValueError(
                "rng is required when batch_size is given: pass a numpy.random.Generator "
                "or an integer seed, so that the shuffling of the batches can be repeated"
            )
        rng = as_generator(rng)
    if isinstance(verbose, (bool, np.bool_)):
        return epochs, batch_size, rng, int(verbose)
    return epochs, batch_size, rng, NON_NEGATIVE_INT.check(verbose, "verbose")


def output(loss_fn, p: np.ndarray, y: np.ndarray, first_step: bool) -> None:
    """At the first step, a scratchnet loss checks the model's output as ``loss_fn(p, y)``
    would; one gone NaN or infinite is left to ``loss``, which names the module."""
    if first_step and isinstance(loss_fn, Loss) and np.isfinite(p).all():
        for_losses.pair(loss_fn, p, y)


def loss(value, where: str, model, X_batch) -> None:
    """Refuse a batch's loss that is not one finite number, saying where."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            "loss_fn.forward must return one number, the mean loss of the batch "
            f"(reduction 'mean'), got {kind_of(value)}"
        )
    if not math.isfinite(value):
        overflowed = ""
        if not np.isfinite(model.forward(X_batch)).all():
            overflowed = f": {where_not_finite(model, X_batch)} contains NaN or infinity"
        raise FloatingPointError(
            f"loss became {value} at {where}{overflowed}; the parameters were left as they "
            "were before this step (a smaller learning rate may help)"
        )


@contextmanager
def located(where: str):
    """Say where training was ("epoch 3, batch 2 of 5") when a step raises: in the text of
    scratchnet's sentences about a gradient ("at epoch 3: the gradient of params[0] ..."),
    as a note on any other exception, which keeps its type, arguments and traceback
    (Python 3.10 has no notes: there it passes unchanged)."""
    try:
        yield
    except (GradientError, GradientOverflow) as error:
        error.args = (f"at {where}: {error}", *error.args[1:])
        raise
    except Exception as error:
        if hasattr(error, "add_note"):
            error.add_note(f"raised during training, at {where}")
        raise


def validation_loss(model, loss_fn, X, y) -> float:
    """The loss on the validation rows, through the checked front doors of both."""
    p = model(X)
    return float(loss_fn(p, y) if isinstance(loss_fn, Loss) else loss_fn.forward(p, y))


def warn_if_gone_bad(history, stacklevel: int = 3) -> None:
    """A ``CollapseWarning`` if the loss stopped moving, else a ``DivergenceWarning`` if it
    diverged or went bad; ``stacklevel`` points at the caller of ``train`` (or ``fit``)."""
    lowest = int(np.argmin(history))  # train runs at least one epoch
    at_lowest = f"its lowest was {history[lowest]:.6g}, at epoch {lowest + 1}"
    if has_collapsed(history):
        warnings.warn(
            f"training has collapsed: the loss stayed at {history[-1]:.6g} over the last "
            "epochs, so nothing is learning any more (every output is likely saturated at "
            "0 or 1); a smaller learning rate may help",
            CollapseWarning,
            stacklevel=stacklevel,
        )
    elif has_diverged(history):
        warnings.warn(
            f"training diverged: the loss ended above where it started: {history[0]:.6g} "
            f"at epoch 1, {history[-1]:.6g} at epoch {len(history)}; a smaller learning "
            f"rate may help ({at_lowest})",
            DivergenceWarning,
            stacklevel=stacklevel,
        )
    elif has_gone_bad(history):
        peak = int(np.argmax(history))
        climbed = (
            f"climbed to {history[peak]:.6g} at epoch {peak + 1} ({history[peak] / history[0]:.3g}"
            f" times its first, {history[0]:.6g}) and "
            if 0 < CLIMB * history[0] < history[peak]
            else ""
        )
        warnings.warn(
            f"training went bad: the loss {climbed}ended at {history[-1]:.6g} at epoch "
            f"{len(history)}; {at_lowest}; a smaller learning rate may help",
            DivergenceWarning,
            stacklevel=stacklevel,
        )


def has_collapsed(history, window: int = 5) -> bool:
    """True when the last ``window`` losses all equal the one before them, to 1e-9 relative,
    and are above 1% of the first: every output saturated, as a learning rate far too large
    leaves it (why, and what is not a collapse: docs/tour.md)."""
    if len(history) <= window:
        return False
    recent = np.asarray(history[-window - 1 :], dtype=np.float64)
    flat = np.all(np.abs(recent - recent[0]) <= 1e-9 * np.abs(recent[0]))
    return bool(flat and recent[-1] > 0.01 * history[0])


def has_diverged(history, factor: float = 1.5) -> bool:
    """True when the last epoch's loss is above ``factor`` times the first's: training
    made the model clearly worse. One epoch, or a first loss at or below 0, gives no
    scale to compare with (see docs/tour.md for what is not a divergence)."""
    return len(history) >= 2 and history[0] > 0 and history[-1] > factor * history[0]


def has_gone_bad(history) -> bool:
    """True when the loss climbed above ``CLIMB`` times its first, or ended above ``RISE``
    times its lowest *and* ``RISE_SHARE`` of the way back up to its first, or is not finite
    (the rules, as measured: docs/tour.md)."""
    history = np.asarray(history, dtype=np.float64)
    if len(history) < 2:
        return False
    if not np.isfinite(history).all():
        return True
    first, lowest, last = history[0], history.min(), history[-1]
    climbed = first > 0 and history.max() > CLIMB * first
    rose = lowest > 0 and last > RISE * lowest and last - lowest > RISE_SHARE * (first - lowest)
    return bool(climbed or rose)


def _model_and_loss(model, loss_fn) -> None:
    require_instance(model, Module, "model", "a scratchnet Module")
    if isinstance(loss_fn, type):
        raise TypeError(
            f"loss_fn must be a loss object, got the class {loss_fn.__name__}; "
            f"create one: {loss_fn.__name__}()"
        )
    has_forward = callable(getattr(loss_fn, "forward", None))
    if not (has_forward and callable(getattr(loss_fn, "backward", None))):
        raise TypeError(
            "loss_fn must have forward(p, y) and backward() methods, such as sn.BCELoss(); "
            f"got a {type(loss_fn).__name__}"
        )


def _samples_and_targets(model, loss_fn, X, y, X_name, y_name) -> tuple:
    """X as the model's input, (N, in_features), and y as targets (N, 1), or an error:
    scratchnet's losses need 0/1 labels; a loss of your own may take other targets."""
    first = model.input_module
    X = as_samples(X, X_name, first.dtype, first.in_features, type(first).__name__)
    y = as_labels(y, len(X), X.dtype, y_name)
    if isinstance(loss_fn, Loss):
        require_binary_labels(y, y_name)
    return X, y


def _warn_if_squashed_twice(model, loss_fn) -> None:
    """Warn when a model ending in Sigmoid feeds a loss on logits (BCEWithLogitsLoss,
    FocalLossWithLogits): the loss applies sigma again, so the p it scores,
    sigma(sigma(x)), never leaves (0.5, 0.73), and nothing else would say so."""
    last = model
    while isinstance(last, Sequential) and last.modules:
        last = last.modules[-1]
    if isinstance(last, Sigmoid) and getattr(loss_fn, "input_name", None) == "logits":
        warnings.warn(
            f"model ends in Sigmoid, and {type(loss_fn).__name__} takes logits: it applies "
            "the sigmoid again, so the network squashes twice and its p = sigma(sigma(x)) "
            "stays in (0.5, 0.73); drop the Sigmoid, or use a loss on probabilities "
            "(BCELoss, FocalLoss)",
            stacklevel=4,
        )
