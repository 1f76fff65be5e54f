"""The article's experiment: train one network with one loss, or both from the same weights.

    data = load_article_data()
    runs = compare_losses(data, seed=0)        # {"BCE": TrainedModel, "focal": TrainedModel}
    runs["focal"].report.recall                # minority recall on the test set
    stages = train_in_stages(BCELoss(), data, seed=0, stops=[30, 100])  # one run, two stops

Both networks start from the same initial weights (drawn from ``seed``), so the only
difference between the two runs is the loss. (The article drew each network's weights
afresh and unseeded, which mixes the luck of the draw into its comparison.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from scratchnet.article.data import ArticleData
from scratchnet.article.evaluation import BinaryReport, evaluate
from scratchnet.doors.values import (
    NON_NEGATIVE_INT,
    POSITIVE_INT,
    Number,
    as_generator,
    require_float_dtype,
)
from scratchnet.layers import Linear, ReLU, Sequential, Sigmoid
from scratchnet.losses import BCELoss, FocalLoss
from scratchnet.optimizers import Adam
from scratchnet.training import train

EPOCHS = 30
LEARNING_RATE = 0.01
ALPHA = 0.25
GAMMA = 2.0


def article_network(rng=None, dtype=np.float64, in_features: int = 2) -> Sequential:
    """The article's MLP: 2 -> 16 -> 8 -> 1 with ReLU, ReLU, Sigmoid; PyTorch's default init.

    in_features: the width of the input, 2 in the article; the study across data gives
    real data sets their own (64 pixels for digits, 30 measurements for breast cancer).
    """
    rng = as_generator(rng)
    return Sequential(
        Linear(in_features, 16, rng=rng, dtype=dtype), ReLU(),
        Linear(16, 8, rng=rng, dtype=dtype), ReLU(),
        Linear(8, 1, rng=rng, dtype=dtype), Sigmoid(),
    )  # fmt: skip


@dataclass(frozen=True)
class TrainedModel:
    """One trained network and what it did.

    loss_history: the training loss of each epoch (see ``train``).
    test_probabilities: p on the test set, (N_test, 1).
    report: its test-set metrics at the threshold 0.5.
    """

    model: Sequential
    loss_history: list[float]
    test_probabilities: np.ndarray
    report: BinaryReport


def train_article_model(
    loss_fn,
    data: ArticleData,
    *,
    seed,
    epochs: int = EPOCHS,
    lr: float = LEARNING_RATE,
    dtype=np.float64,
    positive_prior: float | None = None,
) -> TrainedModel:
    """Initialise the article's network from ``seed``, train it full batch with Adam, test it.

    ``seed`` is a non-negative int: the same seed gives the same initial weights, and the
    same trained model bit for bit. ``positive_prior`` (pi, in (0, 1)) applies the focal
    loss paper's initialisation of the output layer: see ``set_prior_bias``.
    """
    stops = [POSITIVE_INT.check(epochs, "epochs")]
    (trained,) = train_in_stages(
        loss_fn, data, seed=seed, stops=stops, lr=lr, dtype=dtype, positive_prior=positive_prior
    )
    return trained


def train_in_stages(
    loss_fn,
    data: ArticleData,
    *,
    seed,
    stops,
    lr: float = LEARNING_RATE,
    dtype=np.float64,
    positive_prior: float | None = None,
) -> Iterator[TrainedModel]:
    """``train_article_model`` for each of the epoch counts ``stops``, from one training run.

        for trained in train_in_stages(BCELoss(), data, seed=0, stops=[30, 100, 300]):
            print(len(trained.loss_history), trained.report.recall)

    Full-batch training is deterministic, and ``train`` keeps nothing between calls
    (Adam's moments and step count live in the optimizer), so training 30 epochs, then
    70 more, then 200 more passes through exactly the states of one 300-epoch run, bit
    for bit: each stop yields what ``train_article_model(..., epochs=stop)`` returns, for
    the price of the longest run alone. stops: increasing positive ints. Every yielded
    ``model`` is the same network, which goes on training: read it before the next stop.
    data: the article's, or any object with X_train (N, d), y_train (N, 1), X_test and
    y_test; the network's input is d wide.
    """
    stops = [POSITIVE_INT.check(stop, "each of stops") for stop in stops]
    if not stops or any(later <= earlier for earlier, later in zip(stops, stops[1:])):
        raise ValueError(f"stops must be increasing epoch counts, got {stops}")
    dtype = require_float_dtype(dtype)
    seed = NON_NEGATIVE_INT.check(seed, "seed")
    model = article_network(seed, dtype, in_features=data.X_train.shape[1])
    if positive_prior is not None:
        set_prior_bias(model, positive_prior)
    optimizer = Adam(model.parameters(), lr=lr)
    history: list[float] = []
    for stop in stops:
        history += train(
            model, loss_fn, optimizer, data.X_train, data.y_train, epochs=stop - len(history)
        )
        p_test = model.forward(data.X_test)
        yield TrainedModel(model, list(history), p_test, evaluate(data.y_test, p_test))


def compare_losses(
    data: ArticleData,
    *,
    seed,
    epochs: int = EPOCHS,
    lr: float = LEARNING_RATE,
    alpha: float = ALPHA,
    gamma: float = GAMMA,
    dtype=np.float64,
) -> dict[str, TrainedModel]:
    """The article's comparison: the same network trained with BCE and with its focal loss."""
    return {
        name: train_article_model(loss_fn, data, seed=seed, epochs=epochs, lr=lr, dtype=dtype)
        for name, loss_fn in article_losses(alpha, gamma).items()
    }


def article_losses(alpha: float = ALPHA, gamma: float = GAMMA) -> dict:
    """The two losses ``compare_losses`` trains with: {"BCE": BCELoss, "focal": FocalLoss}."""
    return {"BCE": BCELoss(), "focal": FocalLoss(alpha=alpha, gamma=gamma)}


def set_prior_bias(model: Sequential, positive_prior: float) -> None:
    """Set the last Linear layer's bias to b = -log((1 - pi) / pi), pi = ``positive_prior``.

    This is the focal loss paper's initialisation (Lin et al., 2017, section 4.1). With
    b as the logit's offset, the untrained network predicts p = sigma(b) = pi where the
    rest of the logit is near 0, instead of p near 0.5 for every input: the rare class
    starts rare, and the first steps are not spent pushing thousands of negatives down.
    """
    positive_prior = Number(low=0, high=1).check(positive_prior, "positive_prior")
    last_linear = [module for module in model.modules if isinstance(module, Linear)][-1]
    bias = last_linear.bias.data
    bias[...] = -np.log((1 - positive_prior) / positive_prior)
