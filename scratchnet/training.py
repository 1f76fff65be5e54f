"""Training: the article's loop of forward, loss, backward and step, repeated for epochs."""

from __future__ import annotations

import math
import numbers
from contextlib import contextmanager

import numpy as np

from scratchnet._blas import one_blas_thread
from scratchnet._checks import as_generator, as_samples, require_positive_int
from scratchnet.layers import Module
from scratchnet.optimizers import require_optimizer_of


def train(model, loss_fn, optimizer, X, y, *, epochs, batch_size=None, rng=None) -> list[float]:
    """Train ``model`` in place for ``epochs`` passes over (X, y); return each epoch's loss.

    Every step is the article's loop:

        p = model.forward(X_batch)            (B, outputs)
        loss = loss_fn.forward(p, y_batch)    a float: the mean loss over the batch
        optimizer.zero_grad()                 not needed in scratchnet; reads like PyTorch
        model.backward(loss_fn.backward())    fills every param.grad
        optimizer.step()                      updates every param.data in place

    Arguments
    ---------
    model: a ``Module``; it is modified in place.
    loss_fn: has ``forward(p, y)``, returning the mean loss of the batch as a number, and
        ``backward()``, returning dL/dp of p's shape (e.g. ``BCELoss()``).
    optimizer: a scratchnet optimizer whose parameters all belong to ``model``. Leaving
        some of the model's parameters out of it freezes them.
    X: (N, features). y: N rows, in the shape ``loss_fn`` expects next to p, e.g. (N, 1).
    epochs: a positive int. batch_size: a positive int, or None for full batch.
    rng: a ``numpy.random.Generator`` or int seed to shuffle mini-batches; required when
        ``batch_size`` is given, so that every run can be repeated; unused otherwise.

    Batches and the history returned (a list of ``epochs`` floats)
    ---------------------------------------------------------------
    * Full batch (``batch_size=None``, the default, as in the article): one step per
      epoch on all N rows. ``history[e]`` is the loss computed by epoch e's forward pass,
      *before* its step, as the article's loop computes it: ``history[0]`` is the loss of
      the untrained model, and the loss after the last step is not in the history.
    * Mini-batches: each epoch draws a new permutation of the rows from ``rng`` and takes
      one step per ``batch_size`` consecutive rows of it; the last batch holds the rows
      left over, so every row is used once per epoch. ``history[e]`` is the size-weighted
      mean of the epoch's batch losses, sum_b N_b L_b / N: the mean loss over all N rows
      when ``loss_fn`` averages over its batch, each L_b taken before its own step.

    Threads: matrix products run on one BLAS thread while ``train`` runs, which is faster
    for matrices this small (``scratchnet._blas`` says why and what that means).

    Divergence: a loss that is NaN or infinite raises ``FloatingPointError`` ("loss became
    nan at epoch 7", epochs counted from 1, with the batch for mini-batches) before its
    backward pass, so the parameters are left as they were when they produced it. It is
    not a ``ValueError`` because no argument was wrong: the numbers went bad during
    training (often a learning rate too large).
    """
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
    require_optimizer_of(optimizer, model)
    X, y = _checked_samples(X, y)
    epochs = require_positive_int(epochs, "epochs")
    if batch_size is not None:
        batch_size = require_positive_int(batch_size, "batch_size")
        if rng is None:
            raise ValueError(
                "rng is required when batch_size is given: pass a numpy.random.Generator "
                "or an integer seed, so that the shuffling of the batches can be repeated"
            )
        rng = as_generator(rng)

    history = []
    with one_blas_thread():  # small matrices: threads cost more than they save (see _blas)
        for epoch in range(1, epochs + 1):
            if batch_size is None:
                epoch_loss = _training_step(model, loss_fn, optimizer, X, y, f"epoch {epoch}")
            else:
                epoch_loss = _mini_batch_epoch(
                    model, loss_fn, optimizer, X, y, batch_size, rng, epoch
                )
            history.append(epoch_loss)
    return history


def _mini_batch_epoch(model, loss_fn, optimizer, X, y, batch_size, rng, epoch) -> float:
    """One pass over the rows in a random order; the size-weighted mean of batch losses."""
    order = rng.permutation(len(X))
    batch_count = math.ceil(len(X) / batch_size)
    weighted_loss_sum = 0.0
    for batch_index, start in enumerate(range(0, len(X), batch_size)):
        rows = order[start : start + batch_size]
        where = f"epoch {epoch}, batch {batch_index + 1} of {batch_count}"
        loss = _training_step(model, loss_fn, optimizer, X[rows], y[rows], where)
        weighted_loss_sum += loss * len(rows)
    return weighted_loss_sum / len(X)


def _training_step(model, loss_fn, optimizer, X_batch, y_batch, where: str) -> float:
    """forward, loss, backward, step on one batch; returns the loss before the step."""
    with _located(where):
        p = model.forward(X_batch)
    loss = loss_fn.forward(p, y_batch)
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
    if not np.isfinite(loss):
        raise FloatingPointError(
            f"loss became {loss} at {where}; the parameters were left as they were "
            "before this step (a smaller learning rate may help)"
        )
    optimizer.zero_grad()
    with _located(where):
        dL_dp = loss_fn.backward()
        if not np.isfinite(dL_dp).all():
            raise FloatingPointError("the loss's gradient dL/dp contains NaN or infinity")
        model.backward(dL_dp)
        optimizer.step()
    return float(loss)


@contextmanager
def _located(where: str):
    """Add where training was ("epoch 7") to a FloatingPointError raised inside."""
    try:
        yield
    except FloatingPointError as error:
        raise FloatingPointError(f"at {where}: {error}") from error


def _checked_samples(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X as a finite float array (N, features) and y as an array of N rows, or an error."""
    X = as_samples(X, "X")
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"y must have one row per row of X, {len(X)}, got shape {y.shape}")
    return X, y


def has_collapsed(history, window: int = 5) -> bool:
    """True when the loss stopped moving: the last ``window`` epochs' losses are all equal
    to the one before them, to 1e-9 relative.

    That is what a learning rate far too large leaves behind: every output saturated at 0
    or 1, each log at its floor or each example past the focal loss's clamp, where the
    gradient is exactly 0, so nothing learns any more and the loss stays flat. A run that
    is merely slow still moves by more than that.
    """
    if len(history) <= window:
        return False
    recent = np.asarray(history[-window - 1 :], dtype=np.float64)
    return bool(np.all(np.abs(recent - recent[0]) <= 1e-9 * np.abs(recent[0])))
