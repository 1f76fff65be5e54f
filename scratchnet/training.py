"""Training: the article's loop of forward, loss, backward and step, repeated for epochs."""

from __future__ import annotations

import math
import numbers
import time
import warnings
from contextlib import contextmanager

import numpy as np

from scratchnet._blas import one_blas_thread
from scratchnet.doors.values import (
    NON_NEGATIVE_INT,
    POSITIVE_INT,
    as_generator,
    as_labels,
    as_samples,
    require_binary_labels,
    require_weights,
)
from scratchnet.doors.modules import where_not_finite
from scratchnet.doors.values import GradientError, GradientOverflow
from scratchnet._loss import Loss, require_takes_sample_weight
from scratchnet.layers import Module, Sequential, Sigmoid
from scratchnet.optimizers import require_optimizer_of


class History(list):
    """The training loss of each epoch, as a list, and ``validation``: the validation
    loss after each epoch when a validation set was given (else an empty list)."""

    def __init__(self):
        super().__init__()
        self.validation: list[float] = []


class CollapseWarning(RuntimeWarning):
    """Training ran to the end, but the loss stopped moving: see ``has_collapsed``."""


class DivergenceWarning(RuntimeWarning):
    """Training ran to the end, but the loss ended at over 1.5 times where it started: see
    ``has_diverged``."""


def train(
    model,
    loss_fn,
    optimizer,
    X,
    y,
    *,
    epochs,
    batch_size=None,
    rng=None,
    validation=None,
    verbose=False,
    sample_weight=None,
) -> History:
    """Train ``model`` in place for ``epochs`` passes over (X, y); return each epoch's loss.

    The loop below is the article's. Each step, on the rows of one batch:

        X_batch, y_batch = X[rows], y[rows]
        p = model.forward(X_batch)                            (B, outputs)
        loss = loss_fn.forward(p, y_batch, **weights(rows))   the batch's mean loss
        model.backward(scale * loss_fn.backward())            fills every param.grad
        optimizer.step()                                      updates every param.data

    Without ``sample_weight``, ``weights(rows)`` is {} and ``scale`` is 1. PyTorch's loop
    also calls ``optimizer.zero_grad()``: scratchnet's backward overwrites the gradients.
    The arguments are checked once, here, and at the first step the loss checks the
    model's output (probabilities for ``BCELoss``, of y's shape); the loop's other lines
    check the loss and say where a step went wrong.

    Arguments: ``model``, a ``Module``, changed in place. ``loss_fn``, with ``forward(p,
    y)`` returning the batch's mean loss and ``backward()`` returning dL/dp (``BCELoss()``,
    say). ``optimizer``, over parameters of ``model`` (those left out stay frozen). ``X``
    (N, features); ``y``, 0/1 labels (N, 1) or (N,). ``epochs``, a positive int;
    ``batch_size``, a positive int, or None for full batch. ``rng``, a Generator or an
    int seed to shuffle mini-batches, required with ``batch_size``; an int starts anew at
    every call, so a loop of ``train(epochs=1, rng=0)`` shuffles every epoch alike: pass
    one Generator instead. ``validation``, an optional (X_val, y_val) whose loss is kept
    after each epoch in ``history.validation``. ``verbose``, True for a line per epoch, k
    for every k-th and the last. ``sample_weight``, an optional weight >= 0 per row, for
    a loss whose forward takes one (scratchnet's do): ``weights(rows)`` is then
    {"sample_weight": those rows' weights}, and an integer weight k counts as k copies.

    The history: one float per epoch. Full batch (the default, as in the article):
    ``history[e]`` is the loss epoch e's forward computed, *before* its step, so
    ``history[0]`` is the untrained model's. Mini-batches: each epoch draws a new
    permutation of the rows and steps on each ``batch_size`` rows of it; ``history[e]``
    is the mean of the batch losses, each weighted by its share of the rows (of their
    weight, with ``sample_weight``). A weighted batch's gradient is multiplied by
    ``scale``, its rows' mean weight over all rows' mean weight, so that light batches
    move the model less and the steps follow the weighted mean over all rows; a batch
    whose rows all weigh 0 is skipped.

    Matrix products run on one BLAS thread meanwhile, faster at this size (see ``_blas``).
    A loss gone NaN or infinite raises ``FloatingPointError`` ("loss became nan at epoch
    7", with the batch and the module that overflowed) before its backward pass, leaving
    the parameters that produced it. A run ends with a ``CollapseWarning`` if its loss
    stopped moving (``has_collapsed``), a ``DivergenceWarning`` if it ended at over 1.5 times
    its start (``has_diverged``); a model ending in ``Sigmoid`` with a loss on logits is
    warned before the first step that it would squash twice.
    """
    _require_model_and_loss(model, loss_fn)
    require_optimizer_of(optimizer, model)
    _warn_if_squashed_twice(model, loss_fn)
    X, y = _checked_data(model, loss_fn, X, y, "X", "y")
    if validation is not None:
        validation = _checked_validation(model, loss_fn, validation)
    if sample_weight is not None:
        sample_weight = _checked_row_weights(loss_fn, sample_weight, y)

    def weights(rows) -> dict:
        return {} if sample_weight is None else {"sample_weight": sample_weight[rows]}

    epochs = POSITIVE_INT.check(epochs, "epochs")
    batches = _batches(len(X), batch_size, rng, sample_weight)
    every = _checked_verbose(verbose)
    first_step = True

    history = History()
    # One BLAS thread: small matrices, where threads cost more than they save (see _blas).
    # NumPy's overflow warnings are silenced: a loss or gradient gone NaN or infinite is
    # refused below, in words that say where.
    with one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, epochs + 1):
            start, epoch_loss = time.perf_counter(), 0.0
            for where, rows, share, scale in batches(epoch):
                X_batch, y_batch = X[rows], y[rows]
                p = model.forward(X_batch)
                if first_step:
                    _check_output(loss_fn, p, y_batch)
                loss = loss_fn.forward(p, y_batch, **weights(rows))
                _require_finite_loss(loss, where, model, X_batch)
                with _located(where):
                    model.backward(scale * loss_fn.backward())
                    optimizer.step()
                epoch_loss += loss * share  # the batch's share of the rows (or weight)
                first_step = False
            history.append(float(epoch_loss))  # a Python float, whatever the loss returns
            if validation is not None:
                history.validation.append(_validation_loss(model, loss_fn, *validation))
            if every and (epoch % every == 0 or epoch == epochs):
                print(_progress_line(history, epoch, epochs, time.perf_counter() - start))
    if has_collapsed(history):
        warnings.warn(
            f"training has collapsed: the loss stayed at {history[-1]:.6g} over the last "
            "epochs, so nothing is learning any more (every output is likely saturated at "
            "0 or 1); a smaller learning rate may help",
            CollapseWarning,
            stacklevel=2,
        )
    elif has_diverged(history):
        warnings.warn(
            f"training diverged: the loss ended above where it started: {history[0]:.6g} "
            f"at epoch 1, {history[-1]:.6g} at epoch {len(history)}; a smaller learning "
            "rate may help",
            DivergenceWarning,
            stacklevel=2,
        )
    return history


def has_collapsed(history, window: int = 5) -> bool:
    """True when the loss stopped moving far from 0: the last ``window`` epochs' losses
    all equal the one before them, to 1e-9 relative, and are still above 1% of the
    first epoch's.

    That is what a learning rate far too large leaves behind: every output saturated at 0
    or 1, each log at its floor or each example past the focal loss's clamp, where the
    gradient is exactly 0, so nothing learns any more and the loss stays flat. A run that
    is merely slow still moves by more than that, and one that has fitted its data
    perfectly is flat near 0, which is not a collapse.
    """
    if len(history) <= window:
        return False
    recent = np.asarray(history[-window - 1 :], dtype=np.float64)
    flat = np.all(np.abs(recent - recent[0]) <= 1e-9 * np.abs(recent[0]))
    return bool(flat and recent[-1] > 0.01 * history[0])


def has_diverged(history, factor: float = 1.5) -> bool:
    """True when the last epoch's loss is above ``factor`` times the first's: training
    made the model clearly worse, as a learning rate too large does (the loss climbs, or
    swings ever wider).

    Not a mere rise: a model trained again near its minimum wobbles a little above where
    the call started (0.03924 to 0.03926 over 20 epochs of Adam at lr 0.01), and that is
    no divergence. A run that spikes and comes back has not diverged either; a run of one
    epoch has nothing to compare, and a loss of one's own that starts at or below 0 has
    no scale to compare with.
    """
    return len(history) >= 2 and history[0] > 0 and history[-1] > factor * history[0]


def _batches(n: int, batch_size, rng, sample_weight=None):
    """``batches(epoch)``: that epoch's (where, rows, share, scale) for each step.

    "where" names the step in messages; ``share``, the batch's share of the rows, or of
    their weight, SW_b / SW, weighs its loss in the epoch's history; ``scale`` = (SW_b /
    N_b) / (SW / N) multiplies its gradient, 1 without weights (see ``train``).
    Full batch: one step on every row (a slice, so that X[rows] is X itself, not a copy).
    Mini-batches: a new permutation of the rows each epoch, cut into ``batch_size`` rows;
    a batch whose rows all weigh 0 is left out.
    """
    if batch_size is None:
        return lambda epoch: [(f"epoch {epoch}", slice(None), 1.0, 1.0)]
    batch_size = POSITIVE_INT.check(batch_size, "batch_size")
    if rng is None:
        raise ValueError(
            "rng is required when batch_size is given: pass a numpy.random.Generator "
            "or an integer seed, so that the shuffling of the batches can be repeated"
        )
    rng, count = as_generator(rng), math.ceil(n / batch_size)
    total = n if sample_weight is None else float(np.sum(sample_weight))

    def mini_batches(epoch):
        order = rng.permutation(n)
        for index, start in enumerate(range(0, n, batch_size)):
            rows = order[start : start + batch_size]
            where = f"epoch {epoch}, batch {index + 1} of {count}"
            if sample_weight is None:
                yield where, rows, len(rows) / n, 1.0
                continue
            weight = float(np.sum(sample_weight[rows]))
            if weight > 0:  # else every row weighs 0: nothing to learn from, no step
                yield where, rows, weight / total, (weight / len(rows)) / (total / n)

    return mini_batches


def _require_finite_loss(loss, where: str, model, X_batch) -> None:
    """Refuse a loss that is not one number, or that is NaN or infinite, saying where."""
    if isinstance(loss, bool) or not isinstance(loss, numbers.Real):
        found = (
            f"an array of shape {loss.shape}"
            if isinstance(loss, np.ndarray)
            else f"a {type(loss).__name__}"
        )
        raise TypeError(
            "loss_fn.forward must return one number, the mean loss of the batch "
            f"(reduction 'mean'), got {found}"
        )
    if not math.isfinite(loss):
        overflowed = ""
        if not np.isfinite(model.forward(X_batch)).all():
            overflowed = f": {where_not_finite(model, X_batch)} contains NaN or infinity"
        raise FloatingPointError(
            f"loss became {loss} at {where}{overflowed}; the parameters were left as they "
            "were before this step (a smaller learning rate may help)"
        )


def _check_output(loss_fn, p, y) -> None:
    """Let a scratchnet loss check the model's output, as ``loss_fn(p, y)`` would. An
    output already NaN or infinite is left to ``_require_finite_loss``, which names the
    module that overflowed."""
    if isinstance(loss_fn, Loss) and np.isfinite(p).all():
        loss_fn.check(p, y)


def _validation_loss(model, loss_fn, X, y) -> float:
    """The loss on the validation rows, through the checked front doors of both."""
    p = model(X)
    return float(loss_fn(p, y) if isinstance(loss_fn, Loss) else loss_fn.forward(p, y))


@contextmanager
def _located(where: str):
    """Say where training was ("epoch 3, batch 2 of 5") when a step raises.

    scratchnet's own sentences about a gradient carry it in their text ("at epoch 3:
    the gradient of params[0] ..."). Any other exception, a learner's among them, keeps
    its type, arguments and traceback, and gets the step as a note (Python 3.11 and newer
    print notes under the message; on 3.10, which has no notes, it passes unchanged).
    """
    try:
        yield
    except (GradientError, GradientOverflow) as error:
        error.args = (f"at {where}: {error}", *error.args[1:])
        raise
    except Exception as error:
        if hasattr(error, "add_note"):
            error.add_note(f"raised at {where} of training")
        raise


def _progress_line(history: History, epoch: int, epochs: int, seconds: float) -> str:
    validation = f", validation loss {history.validation[-1]:.6f}" if history.validation else ""
    return f"epoch {epoch}/{epochs}: loss {history[-1]:.6f}{validation} ({seconds:.3f} s)"


def _require_model_and_loss(model, loss_fn) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"model must be a scratchnet Module, got a {type(model).__name__}")
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


def _checked_data(model, loss_fn, X, y, X_name, y_name) -> tuple[np.ndarray, np.ndarray]:
    """X as the model's input, (N, in_features), and y as targets (N, 1), or an error.

    scratchnet's losses need 0/1 labels; a loss of your own may take other targets.
    """
    first = model.input_module
    X = as_samples(X, X_name, first.dtype, first.in_features, type(first).__name__)
    y = as_labels(y, len(X), X.dtype, y_name)
    if isinstance(loss_fn, Loss):
        require_binary_labels(y, y_name)
    return X, y


def _checked_row_weights(loss_fn, sample_weight, y: np.ndarray) -> np.ndarray:
    """The row weights, finite, >= 0 and not all 0, for a loss that takes them: one per
    row, repeated across y's columns, since a loss weighs each element of y."""
    require_takes_sample_weight(loss_fn)
    sample_weight = as_labels(sample_weight, len(y), y.dtype, "sample_weight")
    if sample_weight.shape[1] != 1:
        raise ValueError(
            "sample_weight must hold one weight per row, shape (N,) or (N, 1), got shape "
            f"{sample_weight.shape}"
        )
    require_weights(sample_weight, "sample_weight")
    return np.repeat(sample_weight, y.shape[1], axis=1)


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
            stacklevel=3,
        )


def _checked_validation(model, loss_fn, validation) -> tuple[np.ndarray, np.ndarray]:
    if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
        raise TypeError(
            f"validation must be a pair (X_val, y_val), got a {type(validation).__name__}"
        )
    return _checked_data(model, loss_fn, *validation, "validation X", "validation y")


def _checked_verbose(verbose) -> int:
    """How often to print: 0 for never, 1 for every epoch, k for every k-th."""
    if isinstance(verbose, (bool, np.bool_)):
        return int(verbose)
    return NON_NEGATIVE_INT.check(verbose, "verbose")
