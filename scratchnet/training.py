"""Training: the article's loop of forward, loss, backward and step, repeated for epochs.

Its checks and warnings are ``scratchnet.doors.for_training``'s, where ``has_collapsed`` and
``has_diverged`` say when a run went bad.
"""

from __future__ import annotations

import math
import time

import numpy as np

from scratchnet._allocator import keep_freed_memory
from scratchnet._blas import one_blas_thread
from scratchnet.doors import for_training as doors
from scratchnet.doors.for_training import (
    CollapseWarning,
    DivergenceWarning,
    has_collapsed,
    has_diverged,
    has_gone_bad,
)

# What went bad is judged in the door; its names are kept here, where a run is read.
__all__ = [
    "CollapseWarning", "DivergenceWarning", "History", "has_collapsed", "has_diverged",
    "has_gone_bad", "train",
]  # fmt: skip


class History(list):
    """The training loss of each epoch, as a list, and ``validation``: the validation
    loss after each epoch when a validation set was given (else an empty list)."""

    def __init__(self):
        super().__init__()
        self.validation: list[float] = []


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
) -> History:
    """Train ``model`` in place for ``epochs`` passes over (X, y); return each epoch's loss.

    The loop below is the article's. Each step, on the rows of one batch:

        X_batch, y_batch = X[rows], y[rows]
        p = model.forward(X_batch)              (B, outputs)
        loss = loss_fn.forward(p, y_batch)      the batch's mean loss
        model.backward(loss_fn.backward())      fills every param.grad
        optimizer.step()                        updates every param.data

    PyTorch's loop also calls ``optimizer.zero_grad()``: scratchnet's backward overwrites
    the gradients. The doors check the arguments once, say where a step went wrong, and
    warn after a run that went bad (in full: docs/tour.md, "Optimizers and the training loop").

    The history: one float per epoch. Full batch (the default, as in the article):
    ``history[e]`` is the loss epoch e's forward computed, *before* its step. Mini-batches:
    each epoch steps on each ``batch_size`` rows of a new permutation of the rows, and
    ``history[e]`` is the mean of the batch losses, each weighted by its share of the rows.
    """
    X, y, validation = doors.data(model, loss_fn, optimizer, X, y, validation)
    epochs, batch_size, rng, every = doors.schedule(epochs, batch_size, rng, verbose)
    batches = _batches(len(X), batch_size, rng)

    history, first_step = History(), True
    keep_freed_memory()  # no page faults each epoch on large data (see _allocator)
    # One BLAS thread (see _blas). NumPy's overflow warnings are silenced: a loss or gradient
    # gone NaN or infinite is refused by the doors, in words that say where.
    with one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, epochs + 1):
            start, epoch_loss = time.perf_counter(), 0.0
            for where, rows, share in batches(epoch):
                X_batch, y_batch = X[rows], y[rows]
                p = model.forward(X_batch)
                doors.output(loss_fn, p, y_batch, first_step)
                loss = loss_fn.forward(p, y_batch)
                doors.loss(loss, where, model, X_batch)
                with doors.located(where):
                    model.backward(loss_fn.backward())
                    optimizer.step()
                epoch_loss += loss * share  # the batch's share of the rows
                first_step = False
            history.append(float(epoch_loss))  # a Python float, whatever the loss returns
            if validation is not None:
                history.validation.append(doors.validation_loss(model, loss_fn, *validation))
            if every and (epoch % every == 0 or epoch == epochs):
                print(_progress_line(history, epoch, epochs, time.perf_counter() - start))
    doors.warn_if_gone_bad(history)
    return history


def _batches(n: int, batch_size, rng):
    """``batches(epoch)``: that epoch's (where, rows, share) for each step.

    "where" names the step in messages; ``share``, the batch's share of the rows, weighs
    its loss in the epoch's history. Full batch: one step on every row (a slice, so that
    X[rows] is X itself, not a copy). Mini-batches: a new permutation of the rows each
    epoch, cut into ``batch_size`` rows.
    """
    if batch_size is None:
        return lambda epoch: [(f"epoch {epoch}", slice(None), 1.0)]
    count = math.ceil(n / batch_size)

    def mini_batches(epoch):
        order = rng.permutation(n)
        for index, start in enumerate(range(0, n, batch_size)):
            rows = order[start : start + batch_size]
            yield f"epoch {epoch}, batch {index + 1} of {count}", rows, len(rows) / n

    return mini_batches


def _progress_line(history: History, epoch: int, epochs: int, seconds: float) -> str:
    validation = f", validation loss {history.validation[-1]:.6f}" if history.validation else ""
    return f"epoch {epoch}/{epochs}: loss {history[-1]:.6f}{validation} ({seconds:.3f} s)"
