"""``MLPClassifier``: scratchnet's hand-written network behind scikit-learn's interface.

Bring your own data, and scikit-learn's tools (pipelines, cross-validation, grid search,
tuned thresholds, calibration plots) work with a network whose every gradient you can
read in ``scratchnet.layers`` and ``scratchnet.losses``.

This module imports scikit-learn; ``import scratchnet`` alone does not load it.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from scratchnet._checks import POSITIVE, POSITIVE_INT, as_generator, require_float_dtype
from scratchnet.functional import sigmoid_and_complement
from scratchnet.layers import Linear, ReLU, Sequential
from scratchnet.losses import BCEWithLogitsLoss, FocalLossWithLogits
from scratchnet.optimizers import Adam
from scratchnet.training import train

LOSSES = ("bce", "focal")


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """A binary classifier: scratchnet's ReLU network, trained with Adam from its logits.

    The network is ``Linear -> ReLU`` once per hidden layer, then ``Linear(..., 1)``: its
    one output is the logit x of the positive class, ``classes_[1]``, and p = sigma(x).
    There is no ``Sigmoid`` layer: the loss is computed from x, by ``BCEWithLogitsLoss``
    or ``FocalLossWithLogits``, which stay finite and keep their digits where a loss
    taken from p = sigma(x) would need a clamp. ``fit`` runs ``scratchnet.train`` with
    ``Adam(lr=learning_rate)``.

    With the article's sizes and ``random_state=s``, the initial weights are exactly
    those of ``article_network(s)`` (``demo.py --seed s``): the same Linear layers,
    drawn in the same order from ``np.random.default_rng(s)``.

    Parameters
    ----------
    ``fit`` checks them; as scikit-learn expects, ``__init__`` only stores them.

    hidden_layer_sizes: the width of each hidden layer, a tuple of positive ints;
        default (16, 8), the article's. () gives no hidden layer: logistic regression.
    loss: "bce" (binary cross-entropy, the default) or "focal" (focal loss, Lin et al.,
        2017).
    alpha, gamma, alpha_mode: the focal loss's settings, used when loss="focal"; they
        mean what they mean in ``FocalLoss``. The defaults, 0.25, 2.0 and "constant",
        are the article's: alpha then scales every example alike. With
        alpha_mode="per_class", alpha weights the positive class and 1 - alpha the
        negative one, so alpha > 0.5 weights a rare positive class up.
    pos_weight: the weight w of each positive example in BCE, used when loss="bce";
        None for w = 1. n_negatives / n_positives weighs the two classes equally.
    learning_rate: Adam's lr, a positive number; default 0.01, the article's.
    epochs: passes over the training data, a positive int; default 30, the article's.
    batch_size: rows per step, a positive int; None (the default) for full batch, one
        step per epoch, as in the article.
    random_state: None, an int seed, or a ``numpy.random.Generator``. One Generator made
        from it draws the initial weights, layer by layer, and then shuffles the
        mini-batches, so an int makes every fit the same. None draws fresh weights at
        each fit; a Generator is used as it is, and advances with every fit. (A
        ``numpy.random.RandomState``, which is what ``sklearn.utils.check_random_state``
        gives, seeds the Generator with one number drawn from it.)
    dtype: np.float64 (the default) or np.float32: the dtype of the weights, and what X
        is converted to.

    Attributes set by ``fit``
    -------------------------
    classes_: the two labels, sorted; predict_proba's columns are in this order.
    network_: the trained ``Sequential``; ``network_.forward(X)`` gives the logits.
    loss_curve_: the training loss of each epoch (``scratchnet.train``'s history).
    n_features_in_ (and feature_names_in_ for a DataFrame): what X had at fit.

    Example
    -------
    >>> import numpy as np
    >>> from scratchnet import MLPClassifier
    >>> X = np.array([[-2.0, -1.0], [-1.0, -2.0], [1.0, 2.0], [2.0, 1.0]])
    >>> y = np.array(["ham", "ham", "spam", "spam"])
    >>> model = MLPClassifier(loss="focal", random_state=0).fit(X, y)
    >>> model.classes_
    array(['ham', 'spam'], dtype='<U4')
    >>> model.predict([[-3.0, -3.0], [3.0, 3.0]])
    array(['ham', 'spam'], dtype='<U4')
    >>> model.predict_proba([[3.0, 3.0]]).shape      # (N, 2): p(ham), p(spam)
    (1, 2)
    """

    def __init__(
        self,
        hidden_layer_sizes=(16, 8),
        loss="bce",
        *,
        alpha=0.25,
        gamma=2.0,
        alpha_mode="constant",
        pos_weight=None,
        learning_rate=0.01,
        epochs=30,
        batch_size=None,
        random_state=None,
        dtype=np.float64,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.loss = loss
        self.alpha = alpha
        self.gamma = gamma
        self.alpha_mode = alpha_mode
        self.pos_weight = pos_weight
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.random_state = random_state
        self.dtype = dtype

    def fit(self, X, y):
        """Train a new network on X (N, features) and y (N labels, two classes); return self."""
        # Every setting is checked before the data is looked at, as scikit-learn does.
        hidden_layer_sizes = _checked_sizes(self.hidden_layer_sizes)
        loss_fn = self._loss_fn()
        learning_rate = POSITIVE.check(self.learning_rate, "learning_rate")
        epochs = POSITIVE_INT.check(self.epochs, "epochs")
        batch_size = self.batch_size
        if batch_size is not None:
            batch_size = POSITIVE_INT.check(batch_size, "batch_size")
        dtype = require_float_dtype(self.dtype)
        rng = _generator(self.random_state)

        X, y = validate_data(self, X, y, dtype=dtype)
        self.classes_, targets = _binary_targets(y)
        self.network_ = _network(X.shape[1], hidden_layer_sizes, rng, dtype)
        optimizer = Adam(self.network_.parameters(), lr=learning_rate)
        self.loss_curve_ = train(
            self.network_, loss_fn, optimizer, X, targets,
            epochs=epochs, batch_size=batch_size, rng=rng,
        )  # fmt: skip
        return self

    def decision_function(self, X):
        """The logit x of ``classes_[1]`` for each row of X, shape (N,); x > 0 predicts it."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=self.network_.input_module.dtype)
        return self.network_.forward(X)[:, 0]

    def predict_proba(self, X):
        """(N, 2): the probabilities of ``classes_[0]`` and ``classes_[1]`` for each row.

        p = sigma(x) and 1 - p = sigma(-x) are each computed from the logit directly, so
        a tiny 1 - p keeps its digits instead of rounding to 0 in a subtraction.
        """
        p, one_minus_p = sigmoid_and_complement(self.decision_function(X))
        return np.column_stack([one_minus_p, p])

    def predict(self, X):
        """The label of each row: ``classes_[1]`` where its logit is above 0 (p > 0.5)."""
        logits = self.decision_function(X)  # before classes_: it refuses an unfitted model
        return self.classes_[(logits > 0).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # one output unit: two classes only
        return tags

    def _loss_fn(self):
        """The loss named by ``loss``. Both are built, so that every setting is checked,
        also those the chosen loss ignores."""
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        bce = BCEWithLogitsLoss(pos_weight=self.pos_weight)
        focal = FocalLossWithLogits(self.alpha, self.gamma, alpha_mode=self.alpha_mode)
        return bce if self.loss == "bce" else focal


def _binary_targets(y) -> tuple[np.ndarray, np.ndarray]:
    """The two labels in y, sorted, and y as 0/1 (1 for the second), or an error."""
    check_classification_targets(y)  # refuses a continuous y: regression targets
    classes, targets = np.unique(y, return_inverse=True)
    if type_of_target(y, input_name="y") != "binary":
        raise ValueError(
            "Only binary classification is supported: MLPClassifier has one output unit, "
            f"and y holds {len(classes)} classes"
        )
    if len(classes) == 1:
        (only,) = classes.tolist()
        raise ValueError(
            f"y holds one class only ({only!r}); MLPClassifier needs two classes to tell apart"
        )
    return classes, targets


def _checked_sizes(hidden_layer_sizes) -> tuple[int, ...]:
    if not isinstance(hidden_layer_sizes, (tuple, list)):
        raise TypeError(
            "hidden_layer_sizes must be a tuple of positive integers, such as (16, 8) or "
            f"(16,), got {hidden_layer_sizes!r}"
        )
    return tuple(
        POSITIVE_INT.check(size, f"hidden_layer_sizes[{index}]")
        for index, size in enumerate(hidden_layer_sizes)
    )


def _generator(random_state) -> np.random.Generator:
    """The Generator that draws the initial weights and then shuffles the mini-batches."""
    if isinstance(random_state, np.random.RandomState):
        # scikit-learn's kind of generator: take one seed from it, which advances it as
        # scikit-learn's own estimators advance theirs.
        return np.random.default_rng(random_state.randint(2**31 - 1))
    return as_generator(random_state, "random_state")


def _network(n_features, hidden_layer_sizes, rng, dtype) -> Sequential:
    """Linear and ReLU per hidden layer, then Linear(..., 1): the logit, with no Sigmoid.

    The Linear layers are built in order from one ``rng``, each drawing its W then its
    b, as ``article_network`` draws them.
    """
    widths = (n_features, *hidden_layer_sizes)
    modules = []
    for fan_in, fan_out in zip(widths, widths[1:]):
        modules += [Linear(fan_in, fan_out, rng=rng, dtype=dtype), ReLU()]
    modules.append(Linear(widths[-1], 1, rng=rng, dtype=dtype))
    return Sequential(*modules)
