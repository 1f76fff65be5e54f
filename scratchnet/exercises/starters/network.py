"""Exercise network: the article's network from your own files, trained by your own loop.

Read first: docs/tour.md, section "Optimizers and the training loop", the article's loop
written out, at its end.
Check it:   python -m scratchnet.exercises check network

This file imports your linear.py, relu.py, sigmoid.py, focal.py and adam.py from the
same folder: finish those first. The check builds your network from seed 0, trains it
with your FocalLoss(alpha=0.25, gamma=2.0) and your Adam(lr=0.01) for the demo's 30
full-batch epochs, and compares each epoch's loss with the demo's run (to 1e-6
relative), then counts the test positives it finds against the demo's 14 of 28.
"""

# Your own classes, for you to use below; the check uses your Adam and FocalLoss too.
from adam import Adam  # noqa: F401
from focal import FocalLoss  # noqa: F401
from linear import Linear  # noqa: F401
from relu import ReLU  # noqa: F401
from sigmoid import Sigmoid  # noqa: F401

from scratchnet import Sequential  # noqa: F401


def article_network(rng):
    """The article's MLP, 2 -> 16 -> 8 -> 1, with ReLU, ReLU, Sigmoid, as a Sequential.

    rng: a numpy.random.Generator. Pass it to every Linear, in order: each draws its
    weights from it, so that the same generator gives the demo's initial weights.
    """
    # 1. Sequential(*modules) applies modules in order; list them as the docstring says,
    #    with Linear(in_features, out_features, rng=rng), ReLU() and Sigmoid().
    raise NotImplementedError("article_network is yours to write: follow the steps above it")


def train(model, loss_fn, optimizer, X, y, epochs):
    """Train ``model`` full batch for ``epochs`` epochs; return each epoch's loss.

    Each epoch is one step on all of X (N, 2) and y (N, 1); the loss recorded for an
    epoch is the one its forward pass measured, before its step, as the demo records it.
    """
    # For each epoch:
    # 1. Forward: p = model.forward(X), of shape (N, 1).
    # 2. The loss: loss_fn(p, y), a float; record it.
    # 3. Backward: the loss's backward gives dL/dp; the model's backward takes it and
    #    fills every param.grad.
    # 4. The optimizer's step updates every parameter.
    raise NotImplementedError("train is yours to write: follow the steps above it")
