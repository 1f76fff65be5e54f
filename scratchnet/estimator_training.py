"""The estimator's training loop: the article's loop, with every row weighed.

``sn.train`` is the lesson's loop: forward, loss, backward, step. ``MLPClassifier`` needs
three things more, built here, beside the lesson, from the lesson's parts: a weight for
each row (its ``sample_weight`` times its class's ``class_weight``), the L2 penalty in
the loss it reports, and scikit-learn's rule for when to stop (``StoppingRule``).

The loss, made with ``reduction="none"``, returns each row's loss l_i. The loop takes
their weighted mean itself, with sw_i the weight of row i:

    L = sum_i sw_i l_i / sum_i sw_i

sum(sw) does not depend on the network, so each l_i enters L once, times a constant,
and the chain rule through the weighted mean is

    dL/dl_i = sw_i / sum(sw)

which is the upstream gradient the loop hands to the loss's ``backward``; the loss
multiplies it by dl_i/dx_i, as it does for any reduction. An integer weight k counts a
row k times: the same L and the same gradient as k copies of it.

Mini-batches: each epoch draws a new permutation of the rows and cuts it into batches of
``batch_size``. Batch b, with rows of total weight SW_b among N_b rows, gives its own
weighted mean L_b; its gradient is multiplied by

    scale_b = (SW_b / N_b) / (SW / N)

(SW and N over all rows), its rows' mean weight over all rows' mean weight, so a light
batch moves the network less, and the steps follow the weighted mean over all rows. A
batch whose rows all weigh 0 has nothing to learn from and takes no step. The epoch's
loss is the mean of the batch losses, each weighted by its share of the weight,
SW_b / SW. At full batch, scale = share = 1 and the loss is the one L.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from scratchnet._allocator import keep_freed_memory
from scratchnet._blas import one_blas_thread
from scratchnet.doors.for_training import warn_if_gone_bad


def fit_network(
    network, loss_fn, optimizer, X, y, sample_weight, *, max_iter, batch_size, rng, stopping
):
    """Train ``network`` in place on the weighted rows of (X, y); return each epoch's loss.

    X (N, features), y (N, 1) of 0/1 and sample_weight (N, 1), all of the network's dtype,
    checked by the estimator. ``loss_fn`` has reduction "none"; ``optimizer`` steps on
    the network's parameters and has ``penalty()``, the L2 penalty at their values
    (``AdamWithL2``); ``batch_size`` is None for full batch; ``rng`` shuffles the
    mini-batches; ``stopping`` is a ``StoppingRule``, or None to run all ``max_iter``
    epochs. The history is that of ``sn.train``, penalty included: at full batch, entry
    e is the objective L + penalty before epoch e's step.
    """
    batches = _batches(len(X), batch_size, rng, sample_weight)
    history = []
    keep_freed_memory()  # as sn.train: no page faults each epoch on large data
    # One BLAS thread, as sn.train: small matrices, where threads cost more than they save.
    # NumPy's overflow warnings are silenced: a loss gone NaN or infinite is refused below.
    with one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, max_iter + 1):
            epoch_loss = 0.0
            for where, rows, share, scale in batches(epoch):
                sw = sample_weight[rows]
                l_rows = loss_fn.forward(network.forward(X[rows]), y[rows])  # (B, 1): each l_i
                loss, dL_dl = weighted_mean(l_rows, sw)
                _require_finite(loss, where)
                objective = loss + optimizer.penalty()  # at the weights forward used
                try:
                    network.backward(scale * loss_fn.backward(dL_dl))
                    optimizer.step()
                except (FloatingPointError, ValueError) as error:
                    error.add_note(f"(training MLPClassifier, at {where})")
                    raise
                epoch_loss += objective * share
            history.append(float(epoch_loss))
            if stopping is not None and stopping.should_stop(history):
                break
    warn_if_gone_bad(history, stacklevel=4)  # the lesson's warnings, as sn.train gives them
    if stopping is not None and not stopping.stopped:
        stopping.warn_not_converged(max_iter)
    return history


class StoppingRule:
    """scikit-learn's rule for ``MLPClassifier`` without early stopping: stop once the
    training loss (penalty included) has failed to fall below its best so far by at
    least ``tol`` for more than ``n_iter_no_change`` epochs in a row.

    A run that reaches ``max_iter`` epochs first gets scikit-learn's
    ``ConvergenceWarning``: it stopped for lack of epochs, not because it converged.
    """

    def __init__(self, tol: float, n_iter_no_change: int):
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.best, self.epochs_without_progress, self.stopped = math.inf, 0, False

    def should_stop(self, history) -> bool:
        loss = history[-1]
        progress = loss <= self.best - self.tol  # fell by tol below the best so far
        self.epochs_without_progress = 0 if progress else self.epochs_without_progress + 1
        self.best = min(self.best, loss)
        self.stopped = self.epochs_without_progress > self.n_iter_no_change
        return self.stopped

    def warn_not_converged(self, max_iter: int) -> None:
        warnings.warn(
            f"MLPClassifier ran all max_iter={max_iter} epochs and the training loss was "
            f"still falling by more than tol={self.tol:g} within n_iter_no_change="
            f"{self.n_iter_no_change} epochs: it has not converged; raise max_iter, or "
            "raise tol",
            ConvergenceWarning,
            stacklevel=4,
        )


def weighted_mean(l_rows: np.ndarray, sw: np.ndarray) -> tuple[float, np.ndarray]:
    """L = sum(sw l) / sum(sw) from each row's loss l and weight sw, and dL/dl = sw / sum(sw).

    l_rows and sw (B, 1); not every sw is 0. L is a Python float; dL_dl has l's shape.
    """
    total = np.sum(sw)
    return float(np.sum(sw * l_rows) / total), sw / total


def _batches(n: int, batch_size, rng, sample_weight):
    """``batches(epoch)``: that epoch's (where, rows, share, scale) for each step, as in
    the module's docstring. Full batch: one step on every row (a slice, so X[rows] is X
    itself, not a copy)."""
    if batch_size is None:
        return lambda epoch: [(f"epoch {epoch}", slice(None), 1.0, 1.0)]
    count, total = math.ceil(n / batch_size), float(np.sum(sample_weight))

    def mini_batches(epoch):
        order = rng.permutation(n)
        for index, start in enumerate(range(0, n, batch_size)):
            rows = order[start : start + batch_size]
            weight = float(np.sum(sample_weight[rows]))
            if weight > 0:  # else every row weighs 0: nothing to learn from, no step
                where = f"epoch {epoch}, batch {index + 1} of {count}"
                yield where, rows, weight / total, (weight / len(rows)) / (total / n)

    return mini_batches


def _require_finite(loss: float, where: str) -> None:
    if not math.isfinite(loss):
        raise FloatingPointError(
            f"loss became {loss} at {where}; the network's parameters were left as they were "
            "before this step (a smaller learning_rate_init may help)"
        )
