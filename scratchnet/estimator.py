"""``MLPClassifier``: scratchnet's hand-written network behind scikit-learn's interface.

Bring your own data, and scikit-learn's tools (pipelines, cross-validation, grid search,
tuned thresholds, calibration plots) work with a network whose every gradient you can
read in ``scratchnet.layers`` and ``scratchnet.losses``.

This module imports scikit-learn; ``import scratchnet`` alone does not load it.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from scratchnet.doors.values import (
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    as_generator,
    require_float_dtype,
)
from scratchnet.estimator_training import StoppingRule, fit_network
from scratchnet.functional import sigmoid_and_complement
from scratchnet.layers import Linear, ReLU, Sequential
from scratchnet.losses import BCEWithLogitsLoss, FocalLossWithLogits
from scratchnet.optimizers import Adam

LOSSES = ("bce", "focal")
# For each loss, the settings that only the other loss uses, and what to choose instead.
UNUSED_BY = {
    "bce": {
        "focal_alpha": "loss='focal'",
        "focal_gamma": "loss='focal'",
        "focal_alpha_mode": "loss='focal'",
    },
    "focal": {
        "pos_weight": "loss='bce', or class_weight, which weights focal loss's classes",
    },
}


# The article's setup (Adam at lr 0.01, 30 full-batch epochs, the 2-16-8-1 network, no
# penalty), and its focal loss: alpha = 0.25 on every term, gamma = 2. See from_article.
ARTICLE_SETTINGS = {
    "hidden_layer_sizes": (16, 8),
    "alpha": 0.0,
    "learning_rate_init": 0.01,
    "max_iter": 30,
    "batch_size": None,
    "tol": None,  # no stopping rule: every one of the 30 epochs runs
    "n_iter_no_change": 10,
}
ARTICLE_FOCAL_SETTINGS = {"focal_alpha": 0.25, "focal_gamma": 2.0}


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """A binary classifier: scratchnet's ReLU network, trained with Adam from its logits.

    The network is ``Linear -> ReLU`` once per hidden layer, then ``Linear(..., 1)``: its
    one output is the logit x of the positive class, ``classes_[1]``, and p = sigma(x).
    There is no ``Sigmoid`` layer: the loss is computed from x, by ``BCEWithLogitsLoss``
    or ``FocalLossWithLogits``, which stay finite and keep their digits where a loss
    taken from p = sigma(x) would need a clamp. ``fit`` runs the article's loop, in a
    version of its own that weighs each row (``scratchnet.estimator_training``), with
    Adam at ``learning_rate_init``, plus scikit-learn's L2 penalty ``alpha``
    (``AdamWithL2``).

    A parameter that scikit-learn's ``MLPClassifier`` also has means the same here:
    ``hidden_layer_sizes``, ``alpha``, ``learning_rate_init``, ``max_iter``,
    ``batch_size``, ``random_state``. ``MLPClassifier.from_article()`` gives the article's
    setup; with it and ``random_state=s``, the initial weights are exactly those of
    ``article_network(s)`` (``demo.py --seed s``), drawn in the same order from
    ``np.random.default_rng(s)``, and the run is the demo's without its Sigmoid.

    Parameters
    ----------
    ``fit`` checks them; as scikit-learn expects, ``__init__`` only stores them.

    hidden_layer_sizes: the width of each hidden layer, a tuple of positive ints, or one
        int for one hidden layer (100 is (100,)); default (64, 32) (scikit-learn's is
        (100,), the article's (16, 8)). () gives no hidden layer: logistic regression.
    loss: "bce" (binary cross-entropy, the default) or "focal" (focal loss, Lin et al.,
        2017).
    alpha: scikit-learn's L2 penalty, alpha / (2 n) times the sum of the squares of the
        weights (not of the biases), n being the sum of the row weights (the number of
        rows when none is given); a number >= 0, default 3.0. scikit-learn's default is
        0.0001, but it divides by the rows of each mini-batch, 200, where this divides by
        all the training rows: on 13,000 rows, alpha = 3 here is alpha = 0.05 there.
    pos_weight: the weight of each positive example in BCE (PyTorch's name), used with
        loss="bce" only; None (the default) for 1. n_negatives / n_positives weighs the two
        classes equally. Not together with class_weight, which weights classes too.
    focal_alpha, focal_gamma, focal_alpha_mode: focal loss's alpha, gamma and alpha_mode,
        as ``FocalLossWithLogits`` takes them; with loss="focal" only. None (the default)
        for gamma = 2, the paper's, and no alpha: alpha_t = 1 for every example.
        focal_alpha_mode goes with a focal_alpha: "constant" (None, the default) puts
        alpha on every example, as the article does; "per_class" puts alpha on the
        positives and 1 - alpha on the negatives, so alpha > 0.5 weights a rare positive
        class up.
    class_weight: None, "balanced" or a dict {label: weight}, as in scikit-learn: every
        row of a class has its class's weight, multiplied with ``fit``'s sample_weight.
        "balanced" gives class c the weight N / (2 N_c) (``compute_class_weight`` on y),
        so that the two classes weigh the same in total.
    learning_rate_init: Adam's step size lr, a positive number; default 0.001, as in
        scikit-learn (the article's is 0.01).
    max_iter: the most epochs (passes over the training data) to run, a positive int;
        default 200, as in scikit-learn.
    batch_size: rows per step, a positive int; "auto" (the default) for min(200, N), as
        in scikit-learn; None for full batch, one step per epoch, as in the article.
    tol, n_iter_no_change: scikit-learn's stopping rule. Training stops once the loss
        (the loss_curve_'s, penalty included) has not fallen by at least tol below its
        best for more than n_iter_no_change epochs in a row; defaults 1e-4 and 10, as in
        scikit-learn. A run that reaches max_iter first warns with scikit-learn's
        ``ConvergenceWarning``. tol=None turns the rule off: every epoch runs, with no
        warning (as ``SGDClassifier``'s tol=None does).
    random_state: None, an int seed, a ``numpy.random.Generator`` or a
        ``numpy.random.RandomState``. One Generator made from it draws the initial
        weights, layer by layer, and then shuffles the mini-batches, so an int makes
        every fit the same. None draws fresh weights at each fit; a Generator is used as
        it is, and advances with every fit. (A
        ``numpy.random.RandomState``, which is what ``sklearn.utils.check_random_state``
        gives, seeds the Generator with one number drawn from it.)
    dtype: np.float64 (the default) or np.float32: the dtype of the weights, and what X
        is converted to.

    The defaults were chosen on six development data sets and judged on six others that
    played no part in choosing them (``python benchmarks/compare_estimators.py``; the
    tables and the search are in docs/estimator.md).

    Attributes set by ``fit``
    -------------------------
    classes_: the two labels, sorted; predict_proba's columns are in this order.
    network_: the trained ``Sequential``; ``network_.forward(X)`` gives the logits. It
        keeps no rows: ``fit`` and the predictions drop what forward caches for backward,
        so a pickle of the model holds its parameters, not its data. A forward of one's
        own caches as always.
    loss_curve_: the training objective of each epoch (as ``scratchnet.train``'s
        history): the weighted mean of the loss over the rows plus the L2 penalty, as
        scikit-learn's ``loss_curve_`` includes it.
    n_iter_: the epochs run: max_iter, or fewer where the stopping rule stopped.
    coefs_, intercepts_: as scikit-learn's, the weight matrix (fan_in, fan_out) and the
        bias (fan_out,) of each Linear layer: the network's own arrays.
    n_features_in_ (and feature_names_in_ for a DataFrame): what X had at fit.

    Example
    -------
    >>> import numpy as np
    >>> from scratchnet import MLPClassifier
    >>> X = np.array([[-2.0, -1.0], [-1.0, -2.0], [1.0, 2.0], [2.0, 1.0]])
    >>> y = np.array(["ham", "ham", "spam", "spam"])
    >>> # four rows: the penalty is divided by them, so a smaller alpha than the default
    >>> # (at 3, every output flattens to 0.5); one step an epoch, so a larger step
    >>> model = MLPClassifier(loss="focal", alpha=0.1, learning_rate_init=0.01, random_state=0)
    >>> model = model.fit(X, y)
    >>> model.classes_
    array(['ham', 'spam'], dtype='<U4')
    >>> model.predict([[-3.0, -3.0], [3.0, 3.0]])
    array(['ham', 'spam'], dtype='<U4')
    >>> model.predict_proba([[3.0, 3.0]]).shape      # (N, 2): p(ham), p(spam)
    (1, 2)
    """

    def __init__(
        self,
        hidden_layer_sizes=(64, 32),
        loss="bce",
        *,
        alpha=3.0,
        pos_weight=None,
        focal_alpha=None,
        focal_gamma=None,
        focal_alpha_mode=None,
        class_weight=None,
        learning_rate_init=0.001,
        max_iter=200,
        batch_size="auto",
        tol=1e-4,
        n_iter_no_change=10,
        random_state=None,
        dtype=np.float64,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.loss = loss
        self.alpha = alpha
        self.pos_weight = pos_weight
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma
        self.focal_alpha_mode = focal_alpha_mode
        self.class_weight = class_weight
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.dtype = dtype

    @classmethod
    def from_article(cls, loss="bce", **settings):
        """The article's setup: ``ARTICLE_SETTINGS``, and for loss="focal" its focal loss.

        Adam at lr 0.01 for 30 full-batch epochs on the 2-16-8-1 network, no L2 penalty;
        focal loss with alpha = 0.25 on every example and gamma = 2. ``settings`` add to
        them or replace them: ``MLPClassifier.from_article("focal", random_state=0)``.
        """
        article = {**ARTICLE_SETTINGS, **(ARTICLE_FOCAL_SETTINGS if loss == "focal" else {})}
        return cls(loss=loss, **{**article, **settings})

    def fit(self, X, y, sample_weight=None):
        """Train a new network on X (N, features) and y (N labels, two classes); return self.

        sample_weight: None, or a weight >= 0 for each row, (N,). It multiplies the row's
        loss, and so does class_weight's weight of its class: with sw their product, the
        loss is the weighted mean sum(sw l) / sum(sw), and an integer weight k counts as
        k copies of the row.
        """
        # Every setting is checked before the data is looked at, as scikit-learn does.
        hidden_layer_sizes = _checked_sizes(self.hidden_layer_sizes)
        loss_fn = self._loss_fn()
        _check_class_weight(self.class_weight)
        alpha = NON_NEGATIVE.check(self.alpha, "alpha")
        learning_rate_init = POSITIVE.check(self.learning_rate_init, "learning_rate_init")
        max_iter = POSITIVE_INT.check(self.max_iter, "max_iter")
        batch_size = _checked_batch_size(self.batch_size)
        stopping = self._stopping_rule()
        dtype = require_float_dtype(self.dtype)
        rng = _generator(self.random_state)

        X, y = validate_data(self, X, y, dtype=dtype)
        if batch_size == "auto":  # scikit-learn's: min(200, N)
            batch_size = min(200, len(X))
        self.classes_, targets = _binary_targets(y)
        weights = self._row_weights(X, y, targets, sample_weight)
        self.network_ = _network(X.shape[1], hidden_layer_sizes, rng, dtype)
        optimizer = AdamWithL2(
            self.network_, lr=learning_rate_init, alpha=alpha, n=float(np.sum(weights))
        )
        self.loss_curve_ = fit_network(
            self.network_, loss_fn, optimizer, X, targets.astype(X.dtype).reshape(-1, 1),
            weights.reshape(-1, 1), max_iter=max_iter, batch_size=batch_size, rng=rng,
            stopping=stopping,
        )  # fmt: skip
        _forget_inputs(self.network_)
        self.n_iter_ = len(self.loss_curve_)
        return self

    @property
    def coefs_(self) -> list[np.ndarray]:
        """The weight matrices W_k, (fan_in, fan_out), as scikit-learn's ``coefs_``: the
        network's own arrays, so a change to one changes the other."""
        check_is_fitted(self, "network_")
        return [layer.weight.data for layer in self.network_ if isinstance(layer, Linear)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The bias vectors b_k, (fan_out,), as scikit-learn's ``intercepts_``."""
        check_is_fitted(self, "network_")
        return [layer.bias.data for layer in self.network_ if isinstance(layer, Linear)]

    def decision_function(self, X):
        """The logit x of ``classes_[1]`` for each row of X, shape (N,); x > 0 predicts it."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=self.network_.input_module.dtype)
        logits = self.network_.forward(X)[:, 0]
        _forget_inputs(self.network_)
        return logits

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

    def _stopping_rule(self) -> StoppingRule | None:
        """scikit-learn's rule from tol and n_iter_no_change; None for tol=None."""
        n_iter_no_change = POSITIVE_INT.check(self.n_iter_no_change, "n_iter_no_change")
        if self.tol is None:
            return None
        return StoppingRule(NON_NEGATIVE.check(self.tol, "tol"), n_iter_no_change)

    def _loss_fn(self):
        """The loss named by ``loss``, once no setting of the other loss is given."""
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        unused = [name for name in UNUSED_BY[self.loss] if getattr(self, name) is not None]
        if unused:
            raise ValueError(
                f"{unused[0]}={getattr(self, unused[0])!r} is not used by loss={self.loss!r}; "
                f"leave it None, or choose {UNUSED_BY[self.loss][unused[0]]}"
            )
        if self.pos_weight is not None and self.class_weight is not None:
            raise ValueError(
                "pos_weight and class_weight both weight the classes; give one of them "
                "(class_weight='balanced' weights the positives n_negatives / n_positives "
                "times as much as the negatives, as that pos_weight does)"
            )
        if self.loss == "bce":
            return BCEWithLogitsLoss("none", pos_weight=self.pos_weight)
        if self.focal_alpha is None and self.focal_alpha_mode is not None:
            raise ValueError(
                f"focal_alpha_mode={self.focal_alpha_mode!r} says where focal_alpha goes, "
                "and focal_alpha is None; give a focal_alpha, or leave focal_alpha_mode None"
            )
        return _focal_loss(self.focal_alpha, self.focal_gamma, self.focal_alpha_mode)

    def _row_weights(self, X, y, targets, sample_weight) -> np.ndarray:
        """Each row's weight, (N,): its sample_weight (1 if None) times its class's weight."""
        weights = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        class_weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        weights = weights * class_weights[targets].astype(X.dtype)
        if not weights.any():
            raise ValueError(
                "every row weighs 0 (its sample_weight times its class_weight): there is "
                "nothing to learn from"
            )
        return weights


class AdamWithL2(Adam):
    """Adam on the training loss plus scikit-learn's L2 penalty on the weight matrices.

    The objective, scikit-learn's for its MLPClassifier:

        J = L + alpha / (2 n) * sum_k ||W_k||^2

    L the loss ``train`` computes, W_k the weight matrix of the k-th Linear layer (its
    bias b_k is not penalised), n the sum of the row weights: the number of rows when
    every row weighs 1, so the penalty shrinks as the data grows.

    Gradient: the penalty is alpha / (2 n) times a sum of squares, and d(W^2)/dW = 2 W, so

        dJ/dW_k = dL/dW_k + (alpha / n) W_k          dJ/db_k = dL/db_k

    ``backward`` leaves dL/dW_k in ``W_k.grad``; ``step`` adds (alpha / n) W_k to it and
    takes Adam's step. Adam's own ``weight_decay`` adds weight_decay * theta to the
    gradient of every parameter, biases included, and is not divided by n: not the same
    penalty. scikit-learn divides by the weight of the mini-batch at each mini-batch step;
    here n is the whole training set's, so alpha means the same at any batch size, and
    the two agree exactly at full batch.
    """

    def __init__(self, network: Sequential, lr: float, alpha: float, n: float):
        super().__init__(network.parameters(), lr=lr)
        self.weights = [layer.weight for layer in network if isinstance(layer, Linear)]
        self.decay = alpha / n  # alpha / n, the factor of W_k in the penalty's gradient

    def step(self) -> None:
        if self.decay != 0:
            for weight in self.weights:
                weight.grad = weight.grad + self.decay * weight.data  # a new array
        super().step()

    def penalty(self) -> float:
        """alpha / (2 n) * sum_k ||W_k||^2 at the weights' current values; 0.0 for alpha = 0."""
        if self.decay == 0:
            return 0.0
        return 0.5 * self.decay * sum(float(np.sum(weight.data**2)) for weight in self.weights)


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


def _check_class_weight(class_weight) -> None:
    """None, "balanced", or a dict of weights >= 0 by label, or an error."""
    if class_weight is None or class_weight == "balanced":
        return
    if not isinstance(class_weight, dict):
        raise ValueError(
            "class_weight must be None, 'balanced' or a dict {label: weight}, got "
            f"{class_weight!r}"
        )
    for label, weight in class_weight.items():
        NON_NEGATIVE.check(weight, f"class_weight[{label!r}]")


def _checked_sizes(hidden_layer_sizes) -> tuple[int, ...]:
    """The widths as a tuple of positive ints; one int is one hidden layer, as in
    scikit-learn."""
    if isinstance(hidden_layer_sizes, numbers.Integral) and not isinstance(
        hidden_layer_sizes, bool
    ):
        hidden_layer_sizes = (hidden_layer_sizes,)
    if not isinstance(hidden_layer_sizes, (tuple, list)):
        raise TypeError(
            "hidden_layer_sizes must be a positive integer or a tuple of them, such as 100, "
            f"(16, 8) or (16,), got {hidden_layer_sizes!r}"
        )
    return tuple(
        POSITIVE_INT.check(size, f"hidden_layer_sizes[{index}]")
        for index, size in enumerate(hidden_layer_sizes)
    )


def _focal_loss(alpha, gamma, alpha_mode) -> FocalLossWithLogits:
    """Focal loss from the estimator's settings; None for gamma 2 and for no alpha.

    The loss checks them, naming them as it does ("gamma must be ..."); the estimator
    calls them focal_gamma and so on, so its sentence says that name.
    """
    try:
        return FocalLossWithLogits(
            alpha,
            2.0 if gamma is None else gamma,
            "none",
            alpha_mode="constant" if alpha_mode is None else alpha_mode,
        )
    except (TypeError, ValueError) as error:
        raise type(error)(f"focal_{error}") from None  # "alpha must" -> "focal_alpha must"


def _generator(random_state) -> np.random.Generator:
    """The Generator that draws the initial weights and then shuffles the mini-batches."""
    if isinstance(random_state, np.random.RandomState):
        # scikit-learn's kind of generator: take one seed from it, which advances it as
        # scikit-learn's own estimators advance theirs.
        return np.random.default_rng(random_state.randint(2**31 - 1))
    if random_state is None or isinstance(random_state, np.random.Generator):
        return as_generator(random_state, "random_state")
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError(
            "random_state must be None, an int seed, a numpy.random.Generator or a "
            f"numpy.random.RandomState, got {random_state!r}"
        )
    return np.random.default_rng(NON_NEGATIVE_INT.check(random_state, "random_state as a seed"))


def _checked_batch_size(batch_size):
    """None (full batch), "auto", or a positive int, or an error."""
    if batch_size is None or (isinstance(batch_size, str) and batch_size == "auto"):
        return batch_size
    if isinstance(batch_size, str):
        raise ValueError(
            f"batch_size must be 'auto', None or a positive integer, got {batch_size!r}"
        )
    return POSITIVE_INT.check(batch_size, "batch_size")


def _forget_inputs(network: Sequential) -> None:
    """Drop what forward cached for backward (each Linear's input x, each ReLU's output y,
    the network's output), so that a fitted or predicting model keeps none of the rows it
    saw, and a pickle of it holds its parameters alone. The layers are left as a learner
    wrote them: ``network_.forward(X)`` caches again, and ``backward`` may follow it."""
    for module in (network, *network):
        for name, value in list(vars(module).items()):
            if isinstance(value, np.ndarray):
                vars(module).pop(name, None)


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
