"""The error messages of scratchnet's lesson and of demo.py, in one table: a row per mistake.

Each row is what was done, the exception expected, and text its message must contain:
the argument at fault and what was expected of it. Every error must be raised by
scratchnet (or by argparse, for demo.py's command line), never from deep inside NumPy,
and no message may suggest allow_pickle.

One row per sentence. A sentence has a second row only where the second path could break
on its own: another function or class that checks for itself, or the other end of a
range; its label says which. The tests of what happens on an error (nothing changed, no
step counted) live with their topic and assert only the exception's type, or the name at
fault: the sentence is proven here.
"""

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import demo
import scratchnet as sn
from scratchnet.article.experiment import article_network, compare_losses
from scratchnet.gradcheck import check_module, max_relative_error

NUMPY_DIR = Path(np.__file__).parent
P = np.array([[0.2], [0.7]])
Y = np.array([[0.0], [1.0]])
X = np.array([[0.5, -1.0], [2.0, 0.3]])


def network(seed=0, dtype=np.float64):
    return article_network(np.random.default_rng(seed), dtype)


def small_model():
    return sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU(), sn.Linear(3, 1, rng=0), sn.Sigmoid())


def train(X=X, y=Y, *, model=None, loss_fn=None, optimizer=None, **kwargs):
    """sn.train for one epoch of BCE and Adam on a small model, with the row's changes."""
    default_model = small_model()
    model = default_model if model is None else model
    optimizer = sn.Adam(default_model.parameters()) if optimizer is None else optimizer
    kwargs.setdefault("epochs", 1)
    return sn.train(model, sn.BCELoss() if loss_fn is None else loss_fn, optimizer, X, y, **kwargs)


def one_relu_in_two_places():
    relu = sn.ReLU()
    return sn.Sequential(sn.Linear(3, 4, rng=0), relu, sn.Linear(4, 4, rng=0), relu)


def backward_after_forward(module, grad_output):
    module(X)
    return module.backward(grad_output)


def loss_backward_after_forward(loss_fn, grad_output):
    loss_fn(P, Y)
    return loss_fn.backward(grad_output)


def overflowing_forward():
    model = sn.Sequential(sn.Linear(2, 2, rng=0), sn.ReLU())
    model.modules[0].weight.data[...] = 1e308
    return model(np.full((1, 2), 10.0))  # and no NumPy warning first


def overflowing_backward():
    model = sn.Sequential(sn.Linear(2, 2, rng=0), sn.Linear(2, 2, rng=0))
    model.modules[1].weight.data[...] = 1e308
    model(np.full((1, 2), 1e-300))
    return model.backward(np.full((1, 2), 10.0))


def overflowing_training():
    model = network()
    model.modules[2].weight.data[...] = 1e308  # the hidden layer's outputs will overflow
    return sn.train(model, sn.BCELoss(), sn.Adam(model.parameters()), X, Y, epochs=3)


class NaNGradientLoss(sn.BCELoss):
    """A loss whose backward goes wrong: the model must refuse the NaN it sends back."""

    def backward(self, dL_out=1.0):
        return np.full_like(self.p, np.nan)


class NaNWeightGradientLinear(sn.Linear):
    """A layer whose backward writes NaN into its weight gradient: the optimizer refuses it."""

    def backward(self, dL_dy):
        dL_dx = super().backward(dL_dy)
        self.weight.grad = np.full_like(self.weight.data, np.nan)
        return dL_dx


def training_on_a_nan_gradient(model=None, loss_fn=None):
    model = small_model() if model is None else model
    loss_fn = sn.BCELoss() if loss_fn is None else loss_fn
    return sn.train(model, loss_fn, sn.Adam(model.parameters()), X, Y, epochs=2)


def a_layer_writing_a_nan_gradient():
    rng = np.random.default_rng(0)
    layers = [NaNWeightGradientLinear(2, 3, rng=rng), sn.ReLU(), sn.Linear(3, 1, rng=rng)]
    return training_on_a_nan_gradient(sn.Sequential(*layers, sn.Sigmoid()))


def focal_clamp_too_fine_for_float32():
    focal = sn.FocalLoss(eps=1e-8)  # fine in float64, where 1 - 1e-8 < 1
    return focal(np.array([0.5, 1.0], dtype=np.float32), np.array([1.0, 0.0]))


def step_with_gradient(grad, data=(1.0,), dtype=np.float64, optimizer=sn.Adam):
    theta = sn.Parameter(np.array(data, dtype=dtype))
    theta.grad = np.array(grad, dtype=dtype)
    optimizer([theta], lr=0.1).step()


def load_into_adam(path, **adam_settings):
    model = network()
    return sn.load(path, model, sn.Adam(model.parameters(), **adam_settings))


def overflowing_layer():
    layer = sn.Linear(2, 2, rng=0)
    layer.weight.data[...] = 1e308
    return layer(np.full((1, 2), 10.0))


def load_adam_state(**changes):
    adam = sn.Adam(small_model().parameters())
    adam.load_state_dict({**adam.state_dict(), **changes})


class LossWithoutBackward:
    def forward(self, p, y):
        return 0.0


class LossGoneNaN:
    """Mean squared error, whose value is NaN from its ``call``-th forward on (from 1)."""

    def __init__(self, call: int):
        self.calls, self.call = 0, call

    def forward(self, p, y):
        self.calls += 1
        self.difference = p - y
        return float("nan") if self.calls >= self.call else float(np.mean(self.difference**2))

    def backward(self):
        return 2 * self.difference / self.difference.size


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Files a learner might try to load, each wrong in its own way."""
    folder = tmp_path_factory.mktemp("files")
    files = SimpleNamespace(
        text=folder / "notes.txt",
        bare_array=folder / "weights.npy",
        foreign_npz=folder / "foreign.npz",
        old_format=folder / "old_format.npz",
        pickled=folder / "pickled.npz",
        other_shapes=folder / "other_shapes.npz",
        float32=folder / "float32.npz",
        adam=folder / "adam.npz",
        sgd=folder / "sgd.npz",
        model_only=folder / "model_only.npz",
        missing=folder / "never_saved.npz",
    )
    files.text.write_text("0.1, 0.2, 0.3\n")
    np.save(files.bare_array, np.ones((2, 16)))
    np.savez(files.foreign_npz, weight=np.ones((2, 16)))
    np.savez(files.old_format, format=np.array("scratchnet-state-0"))
    an_object = np.empty(1, dtype=object)
    an_object[0] = {"weights": [1.0, 2.0]}  # np.savez pickles object arrays
    np.savez(files.pickled, format=np.array("scratchnet-state-1"), **{"model/0.weight": an_object})
    three_inputs = sn.Sequential(
        sn.Linear(3, 16, rng=0), sn.ReLU(), sn.Linear(16, 8, rng=0), sn.ReLU(),
        sn.Linear(8, 1, rng=0), sn.Sigmoid(),
    )  # fmt: skip
    sn.save(files.other_shapes, three_inputs)
    sn.save(files.float32, network(dtype=np.float32))
    model = network()
    sn.save(files.adam, model, sn.Adam(model.parameters(), lr=0.01))
    sn.save(files.sgd, model, sn.SGD(model.parameters(), lr=0.1))
    sn.save(files.model_only, model)
    return files


MISTAKES = [
    # (what was done, action(files), exception, text the message must contain)
    # -- layers and models --------------------------------------------------------------
    ("integer dtype for parameters", lambda f: sn.Linear(2, 3, dtype=np.int32), TypeError,
     "dtype must be float32 or float64, got int32"),
    ("a made-up dtype", lambda f: sn.Linear(2, 3, dtype="banana"), TypeError,
     "dtype must be a NumPy floating dtype, got 'banana'"),
    ("zero input features", lambda f: sn.Linear(0, 3), ValueError,
     "in_features must be a positive integer, got 0"),
    ("a float layer size", lambda f: sn.Linear(2.5, 3), TypeError,
     "in_features must be a positive integer, got 2.5"),
    ("negative output features", lambda f: sn.Linear(2, -1), ValueError,
     "out_features must be a positive integer, got -1"),
    ("None as a layer size", lambda f: sn.Linear(2, None), TypeError,
     "out_features must be a positive integer, got None"),
    ("a string as a layer's seed", lambda f: sn.Linear(2, 2, rng="seed"), TypeError,
     "rng must be a numpy.random.Generator, an integer seed or None, got 'seed'"),
    ("a negative seed for a layer", lambda f: sn.Linear(2, 2, rng=-1), ValueError,
     "rng as a seed must be a non-negative integer, got -1"),
    ("an empty Sequential", lambda f: sn.Sequential(), ValueError,
     "Sequential needs at least one module"),
    ("a layer class, not a layer", lambda f: sn.Sequential(sn.Linear(2, 2, rng=0), sn.ReLU),
     TypeError, "Sequential's modules must be scratchnet modules; module 1 is the class ReLU; "
     "create one: ReLU()"),
    ("a function in a Sequential", lambda f: sn.Sequential(sn.Linear(2, 2, rng=0), lambda x: x),
     TypeError, "Sequential's modules must be scratchnet modules; module 1 is a function"),
    ("one module in two places", lambda f: one_relu_in_two_places(), ValueError,
     "module 3 (ReLU()) already appears earlier in this Sequential; each place needs its own"),
    ("strings as input", lambda f: small_model()([["1", "2"]]), TypeError,
     "x must be an array of real numbers, got an array of dtype <U1"),
    ("one string as input", lambda f: small_model()("1, 2"), TypeError,
     "x must be an array of numbers, got a str"),
    ("None as input", lambda f: small_model()(None), TypeError,
     "x must be an array of real numbers, got None"),
    ("rows of different lengths", lambda f: small_model()([[1.0, 2.0], [3.0]]), ValueError,
     "x must be a rectangular array of numbers"),
    ("a 1-D input", lambda f: small_model()(np.ones(2)), ValueError,
     "x must be a 2-D array of shape (N, features), got shape (2,)"),
    ("the wrong number of features", lambda f: small_model()(np.ones((4, 3))), ValueError,
     "x must have 2 features (columns) for this Linear layer, got shape (4, 3)"),
    ("an empty batch", lambda f: small_model()(np.ones((0, 2))), ValueError,
     "x must not be empty, got shape (0, 2)"),
    ("NaN in the input", lambda f: small_model()([[np.nan, 1.0]]), ValueError,
     "x must be finite, but it contains NaN or infinity"),
    ("NaN into an activation alone (every layer class checks, not only models)",
     lambda f: sn.ReLU()([[np.nan, 0.0]]), ValueError,
     "x must be finite, but it contains NaN or infinity"),
    ("backward before forward, on a layer", lambda f: sn.Sigmoid().backward(np.ones((2, 1))),
     ValueError, "Sigmoid has no p yet: forward sets it, and has not run"),
    ("backward before forward, on a model (Sequential checks for itself)",
     lambda f: small_model().backward(np.ones((2, 1))), ValueError,
     "Sequential has no y yet: forward sets it, and has not run"),
    ("an upstream gradient of the wrong shape",
     lambda f: backward_after_forward(small_model(), np.ones((2, 3))), ValueError,
     "grad_output must have the shape of the last output, (2, 1), got (2, 3)"),
    ("NaN in the upstream gradient",
     lambda f: backward_after_forward(small_model(), [[np.nan], [1.0]]), ValueError,
     "grad_output must be finite, but it contains NaN or infinity"),
    ("weights so large that the forward pass overflows", lambda f: overflowing_forward(),
     FloatingPointError, "the output of module 0 contains NaN or infinity: the numbers "
     "overflowed inside the network (a smaller learning rate or smaller weights may help)"),
    ("weights so large that the backward pass overflows", lambda f: overflowing_backward(),
     FloatingPointError, "module 1's dL/dx contains NaN or infinity: the numbers overflowed"),
    # -- losses ---------------------------------------------------------------------------
    ("labels of -1 and 1", lambda f: sn.FocalLoss()(P, [[-1], [1]]), ValueError,
     "y must hold only the labels 0 and 1, found -1"),
    ("labels as strings", lambda f: sn.BCELoss()(P, [["0"], ["1"]]), TypeError,
     "y must be an array of real numbers, got an array of dtype <U1"),
    ("one string as the labels", lambda f: sn.BCEWithLogitsLoss()(P, "labels"), TypeError,
     "y must be an array of numbers, got a str"),
    ("NaN in the labels", lambda f: sn.BCELoss()(P, [[np.nan], [1]]), ValueError,
     "y must be finite, but it contains NaN or infinity"),
    ("probabilities above 1", lambda f: sn.BCELoss()([[1.5], [0.5]], Y), ValueError,
     "p must hold probabilities in [0, 1], found 1.5; pass logits to BCEWithLogitsLoss or "
     "FocalLossWithLogits instead"),
    ("negative probabilities (FocalLoss has a check_input of its own)",
     lambda f: sn.FocalLoss()([[-0.1], [0.5]], Y), ValueError,
     "p must hold probabilities in [0, 1], found -0.1; pass logits"),
    ("strings as probabilities", lambda f: sn.FocalLoss()([["a"], ["b"]], Y), TypeError,
     "p must be an array of real numbers, got an array of dtype <U1"),
    ("strings as logits", lambda f: sn.FocalLossWithLogits()([["a"], ["b"]], Y), TypeError,
     "logits must be an array of real numbers, got an array of dtype <U1"),
    ("NaN probabilities", lambda f: sn.FocalLoss()([[np.nan], [0.5]], Y), ValueError,
     "p must be finite, but it contains NaN or infinity"),
    ("infinite logits", lambda f: sn.BCEWithLogitsLoss()([[np.inf], [0.0]], Y), ValueError,
     "logits must be finite, but it contains NaN or infinity"),
    ("p and y of different shapes", lambda f: sn.BCELoss()(P, np.ones(3)), ValueError,
     "p and y must have the same shape, got (2, 1) and (3,)"),
    ("logits and y of different shapes", lambda f: sn.FocalLossWithLogits()(P, np.ones(3)),
     ValueError, "logits and y must have the same shape, got (2, 1) and (3,)"),
    ("an empty batch of probabilities", lambda f: sn.BCELoss()(np.ones((0, 1)), np.ones((0, 1))),
     ValueError, "p must not be empty, got shape (0, 1)"),
    ("an empty batch of logits",
     lambda f: sn.BCEWithLogitsLoss()(np.ones((0, 1)), np.ones((0, 1))), ValueError,
     "logits must not be empty, got shape (0, 1)"),
    ("an unknown reduction", lambda f: sn.FocalLoss(reduction="average"), ValueError,
     "reduction must be one of ('mean', 'sum', 'none'), got 'average'"),
    ("a negative gamma", lambda f: sn.FocalLoss(gamma=-2), ValueError,
     "gamma must be a non-negative finite number, got -2"),
    ("a negative gamma (FocalLossWithLogits checks its own options)",
     lambda f: sn.FocalLossWithLogits(gamma=-1.0), ValueError,
     "gamma must be a non-negative finite number, got -1.0"),
    ("gamma as a string", lambda f: sn.FocalLoss(gamma="2"), TypeError,
     "gamma must be a non-negative number, got '2'"),
    ("alpha above 1 per class", lambda f: sn.FocalLoss(alpha=1.5, alpha_mode="per_class"),
     ValueError, "alpha must be in [0, 1] with alpha_mode='per_class', got 1.5"),
    ("alpha below 0 per class (the other end of [0, 1])",
     lambda f: sn.FocalLoss(alpha=-0.25, alpha_mode="per_class"), ValueError,
     "alpha must be in [0, 1] with alpha_mode='per_class', got -0.25"),
    ("a constant alpha of 0 (FocalLossWithLogits checks its own options)",
     lambda f: sn.FocalLossWithLogits(alpha=0.0), ValueError,
     "alpha must be a positive number with alpha_mode='constant', got 0.0"),
    ("alpha as a string", lambda f: sn.FocalLoss(alpha="0.25"), TypeError,
     "alpha must be a number or None, got '0.25'"),
    ("an unknown alpha_mode", lambda f: sn.FocalLoss(alpha_mode="paper"), ValueError,
     "alpha_mode must be one of ('constant', 'per_class'), got 'paper'"),
    ("a clamp eps of 0", lambda f: sn.FocalLoss(eps=0.0), ValueError,
     "eps must be a number in (0, 0.5), got 0.0"),
    ("a clamp eps of 0.5 (the other end of (0, 0.5))", lambda f: sn.FocalLoss(eps=0.5),
     ValueError, "eps must be a number in (0, 0.5), got 0.5"),
    ("a clamp eps as a string", lambda f: sn.FocalLoss(eps="tiny"), TypeError,
     "eps must be a number in (0, 0.5), got 'tiny'"),
    ("a clamp too fine for float32 probabilities", lambda f: focal_clamp_too_fine_for_float32(),
     ValueError, "eps=1e-08 is too small for float32 probabilities: 1 - eps rounds to 1; "
     "use eps >= 5.96e-08"),
    ("a loss's backward before its forward", lambda f: sn.FocalLossWithLogits().backward(),
     ValueError, "FocalLossWithLogits has no y yet: forward sets it, and has not run"),
    ("an upstream gradient of the wrong shape for reduction 'none'",
     lambda f: loss_backward_after_forward(sn.BCELoss(reduction="none"), np.ones(3)), ValueError,
     "grad_output must have the shape of the unreduced loss, (2, 1), got (3,)"),
    ("an array as the upstream gradient of a mean",
     lambda f: loss_backward_after_forward(sn.BCELoss(), np.ones((2, 1))), TypeError,
     "grad_output must be a number for reduction 'mean', got array("),
    ("NaN as the upstream gradient of a loss",
     lambda f: loss_backward_after_forward(sn.BCELoss(), np.nan), ValueError,
     "grad_output must be finite, got nan"),
    # -- optimizers -----------------------------------------------------------------------
    ("an optimizer given no parameters", lambda f: sn.Adam([]), ValueError,
     "params must not be empty: the optimizer would have nothing to update"),
    ("an optimizer given the model", lambda f: sn.Adam(small_model()), TypeError,
     "params must be an iterable of Parameters, such as model.parameters(), got a Sequential"),
    ("an optimizer given one Parameter, not a list (it is not iterable)",
     lambda f: sn.Adam(sn.Parameter(np.ones(2))), TypeError,
     "params must be an iterable of Parameters, such as model.parameters(), got a Parameter"),
    ("an array among the parameters",
     lambda f: sn.Adam([sn.Parameter(np.ones(2)), np.ones(2)]), TypeError,
     "params must contain only Parameters, but params[1] is a ndarray"),
    ("a parameter list with duplicates",
     lambda f: sn.SGD(small_model().parameters() * 2, lr=0.1), ValueError,
     "params must not contain the same Parameter twice: params[0] and params[4] are one "
     "object, which would be updated twice per step"),
    ("a Parameter of integers", lambda f: sn.Adam([sn.Parameter(np.array([1, 2]))]), TypeError,
     "params[0].data must be a floating-point NumPy array, got dtype int64"),
    ("a learning rate of 0", lambda f: sn.Adam(small_model().parameters(), lr=0), ValueError,
     "lr must be a positive finite number, got 0"),
    ("an infinite learning rate (finite is the other end)",
     lambda f: sn.Adam(small_model().parameters(), lr=np.inf), ValueError,
     "lr must be a positive finite number, got inf"),
    ("a learning rate of 0 for SGD (SGD declares its own lr)",
     lambda f: sn.SGD(small_model().parameters(), lr=0.0), ValueError,
     "lr must be a positive finite number, got 0.0"),
    ("a learning rate as a string", lambda f: sn.Adam(small_model().parameters(), lr="0.01"),
     TypeError, "lr must be a positive number, got '0.01'"),
    ("momentum of 1", lambda f: sn.SGD(small_model().parameters(), lr=0.1, momentum=1),
     ValueError, "momentum must be a number in [0, 1), got 1"),
    ("momentum as a bool (a bool is a number to Python)",
     lambda f: sn.SGD(small_model().parameters(), lr=0.1, momentum=True), TypeError,
     "momentum must be a number in [0, 1), got True"),
    ("beta1 of 1", lambda f: sn.Adam(small_model().parameters(), betas=(1.0, 0.999)),
     ValueError, "betas[0] must be a number in [0, 1), got 1.0"),
    ("a negative beta2 (the other end of [0, 1))",
     lambda f: sn.Adam(small_model().parameters(), betas=(0.9, -0.1)), ValueError,
     "betas[1] must be a number in [0, 1), got -0.1"),
    ("beta2 as a string", lambda f: sn.Adam(small_model().parameters(), betas=(0.9, "0.999")),
     TypeError, "betas[1] must be a number in [0, 1), got '0.999'"),
    ("one beta, not two", lambda f: sn.Adam(small_model().parameters(), betas=(0.9,)),
     ValueError, "betas must be a pair (beta1, beta2), got 1 values"),
    ("a number as betas", lambda f: sn.Adam(small_model().parameters(), betas=0.9), TypeError,
     "betas must be a pair (beta1, beta2), got 0.9"),
    ("an eps of 0", lambda f: sn.Adam(small_model().parameters(), eps=0.0), ValueError,
     "eps must be a positive finite number, got 0.0"),
    ("None as eps", lambda f: sn.Adam(small_model().parameters(), eps=None), TypeError,
     "eps must be a positive number, got None"),
    ("a negative weight decay", lambda f: sn.Adam(small_model().parameters(), weight_decay=-0.1),
     ValueError, "weight_decay must be a non-negative finite number, got -0.1"),
    ("a gradient of the wrong shape, in SGD's step",
     lambda f: step_with_gradient([1.0], data=[1.0, 2.0, 3.0], optimizer=sn.SGD), ValueError,
     "params[0].grad must have its parameter's shape (3,), got (1,)"),
    ("a NaN gradient", lambda f: step_with_gradient([np.nan]), FloatingPointError,
     "the gradient of params[0] (shape (1,)) contains NaN or infinity, so training has "
     "diverged; no parameter was updated"),
    ("a gradient whose square overflows float32",
     lambda f: step_with_gradient([2e19], dtype=np.float32), FloatingPointError,
     "the squared gradient of params[0] (shape (1,)) overflows float32, so training has "
     "diverged; no parameter was updated"),
    # -- training -------------------------------------------------------------------------
    ("zero epochs", lambda f: train(epochs=0), ValueError,
     "epochs must be a positive integer, got 0"),
    ("a fractional number of epochs", lambda f: train(epochs=2.5), TypeError,
     "epochs must be a positive integer, got 2.5"),
    ("a batch size of 0", lambda f: train(batch_size=0, rng=0), ValueError,
     "batch_size must be a positive integer, got 0"),
    ("a float batch size", lambda f: train(batch_size=4.0, rng=0), TypeError,
     "batch_size must be a positive integer, got 4.0"),
    ("mini-batches without a seed", lambda f: train(batch_size=4), ValueError,
     "rng is required when batch_size is given: pass a numpy.random.Generator or an integer "
     "seed"),
    ("a loss class, not a loss", lambda f: train(loss_fn=sn.BCELoss), TypeError,
     "loss_fn must be a loss object, got the class BCELoss; create one: BCELoss()"),
    ("a loss without backward", lambda f: train(loss_fn=LossWithoutBackward()), TypeError,
     "loss_fn must have forward(p, y) and backward() methods, such as sn.BCELoss(); "
     "got a LossWithoutBackward"),
    ("a loss that does not reduce", lambda f: train(loss_fn=sn.BCELoss(reduction="none")),
     TypeError, "loss_fn.forward must return one number, the mean loss of the batch "
     "(reduction 'mean'), got an array of shape (2, 1)"),
    ("a function as the model", lambda f: train(model=lambda x: x), TypeError,
     "model must be a scratchnet Module, got a function"),
    ("a string as the optimizer", lambda f: train(optimizer="adam"), TypeError,
     "optimizer must be a scratchnet optimizer, such as sn.Adam(model.parameters()); got a str"),
    ("an optimizer of another model",
     lambda f: train(optimizer=sn.Adam(small_model().parameters())), ValueError,
     "optimizer.params[0] is not a parameter of model; build the optimizer from "
     "model.parameters()"),
    ("labels for other rows", lambda f: train(y=np.ones((3, 1))), ValueError,
     "y must have one row per row of X, 2, got shape (3, 1)"),
    ("labels outside {0, 1} in training (train checks them before any step)",
     lambda f: train(y=[[0], [3]]), ValueError, "y must hold only the labels 0 and 1, found 3"),
    ("strings as training data", lambda f: train(X=[["a", "b"], ["c", "d"]]), TypeError,
     "X must be an array of real numbers, got an array of dtype <U1"),
    ("a 1-D training set", lambda f: train(X=np.ones(2)), ValueError,
     "X must be a 2-D array of shape (N, features), got shape (2,)"),
    ("an empty training set", lambda f: train(X=np.ones((0, 2)), y=np.ones((0, 1))), ValueError,
     "X must not be empty, got shape (0, 2)"),
    ("NaN in the training data", lambda f: train(X=[[0.0, np.nan], [1.0, 1.0]]), ValueError,
     "X must be finite, but it contains NaN or infinity"),
    ("training data with the wrong number of features", lambda f: train(X=np.ones((2, 3))),
     ValueError, "X must have 2 features (columns) for this Linear layer, got shape (2, 3)"),
    ("validation data that is not a pair", lambda f: train(validation=X), TypeError,
     "validation must be a pair (X_val, y_val), got a ndarray"),
    ("validation labels outside {0, 1}", lambda f: train(validation=(X, [[0], [2]])), ValueError,
     "validation y must hold only the labels 0 and 1, found 2"),
    ("a negative verbose", lambda f: train(verbose=-1), ValueError,
     "verbose must be a non-negative integer, got -1"),
    ("a loss gone NaN at epoch 3", lambda f: train(loss_fn=LossGoneNaN(3), epochs=5),
     FloatingPointError, "loss became nan at epoch 3; the parameters were left as they were "
     "before this step (a smaller learning rate may help)"),
    ("a loss gone NaN in the 5th mini-batch, of 3 an epoch",
     lambda f: train(np.ones((10, 2)), np.ones((10, 1)), loss_fn=LossGoneNaN(5), epochs=4,
                     batch_size=4, rng=0), FloatingPointError,
     "loss became nan at epoch 2, batch 2 of 3; the parameters were left as they were"),
    ("weights so large that training overflows", lambda f: overflowing_training(),
     FloatingPointError, "loss became nan at epoch 1: the output of module 2 contains NaN or "
     "infinity; the parameters were left as they were"),
    ("a layer whose backward writes a NaN gradient", lambda f: a_layer_writing_a_nan_gradient(),
     FloatingPointError, "at epoch 1: the gradient of params[0] (shape (2, 3)) contains NaN "
     "or infinity, so training has diverged; no parameter was updated"),
    ("a loss whose backward sends NaN (the model refuses it, at the epoch)",
     lambda f: training_on_a_nan_gradient(loss_fn=NaNGradientLoss()), ValueError,
     "at epoch 1: grad_output must be finite, but it contains NaN or infinity"),
    ("a negative seed for the article's comparison", lambda f: compare_losses(None, seed=-1),
     ValueError, "seed must be a non-negative integer, got -1"),
    ("an integer dtype for the article's data (it checks its own dtype)",
     lambda f: sn.load_article_data(dtype=int), TypeError,
     "dtype must be float32 or float64, got int64"),
    # -- gradient checks ------------------------------------------------------------------
    ("a gradient check of a loss as if it were a layer",
     lambda f: check_module(sn.BCELoss(), np.full((2, 1), 0.5)), TypeError,
     "module must be a scratchnet Module (a layer or a model); check a loss with check_loss, "
     "got a BCELoss"),
    ("relative errors of arrays of different shapes",
     lambda f: max_relative_error(np.zeros(3), np.zeros((3, 1))), ValueError,
     "a and b must have the same shape, got (3,) and (3, 1)"),
    # -- saving and loading ---------------------------------------------------------------
    ("loading a file that does not exist", lambda f: sn.load(f.missing, network()),
     FileNotFoundError, "never_saved.npz does not exist: there is nothing to load"),
    ("loading a text file", lambda f: sn.load(f.text, network()), ValueError,
     "notes.txt is not a scratchnet save file: it is not a NumPy .npz archive of arrays"),
    ("loading a bare .npy array", lambda f: sn.load(f.bare_array, network()), ValueError,
     "weights.npy is not a scratchnet save file: it holds one bare array"),
    ("loading some other .npz", lambda f: sn.load(f.foreign_npz, network()), ValueError,
     "foreign.npz is not a scratchnet save file: it has no 'scratchnet-state-1' format marker"),
    ("loading a file of pickled objects", lambda f: sn.load(f.pickled, network()), ValueError,
     "pickled.npz is not a scratchnet save file: its arrays cannot be read without "
     "unpickling, which scratchnet never does"),
    ("loading weights of other shapes", lambda f: sn.load(f.other_shapes, network()), ValueError,
     "0.weight: expected shape (2, 16), got (3, 16)"),
    ("loading float32 weights into float64", lambda f: sn.load(f.float32, network()), ValueError,
     "0.weight: expected dtype float64, got float32"),
    ("loading into a model with other layers",
     lambda f: sn.load(f.adam, sn.Sequential(sn.Linear(2, 16, rng=0))), ValueError,
     "the saved state does not fit the model's parameters: unexpected ['2.weight'"),
    ("loading into an optimizer of another model (load checks it too)",
     lambda f: sn.load(f.adam, network(), sn.Adam(network(1).parameters())), ValueError,
     "optimizer.params[0] is not a parameter of model"),
    ("loading SGD's state into Adam", lambda f: load_into_adam(f.sgd), ValueError,
     "optimizer: the saved state is for SGD, not for Adam"),
    ("loading Adam's state with another lr", lambda f: load_into_adam(f.adam, lr=0.1), ValueError,
     "optimizer lr: the state was saved with 0.01, this optimizer has 0.1; build it with the "
     "saved settings"),
    ("loading an optimizer from a model-only file", lambda f: load_into_adam(f.model_only),
     ValueError, "model_only.npz holds no optimizer state: it was saved without one"),
    ("a state dict with NaN in it",
     lambda f: small_model().load_state_dict(
         {**small_model().state_dict(), "0.bias": np.full(3, np.nan)}), ValueError,
     "0.bias: the saved values contain NaN or infinity"),
    ("an optimizer state with a negative step count",
     lambda f: load_adam_state(step_count=-1), ValueError,
     "optimizer step_count must be a non-negative integer, got -1"),
    ("an optimizer state with a fractional step count",
     lambda f: load_adam_state(step_count=np.array(2.5)), ValueError,
     "optimizer step_count must be a non-negative integer, got 2.5"),
    ("an optimizer state with a step count per parameter",
     lambda f: load_adam_state(step_count=np.array([1, 2])), ValueError,
     "optimizer step_count must be a non-negative integer, got [1 2]"),
    ("an optimizer state that is not a dict",
     lambda f: sn.Adam(small_model().parameters()).load_state_dict([1, 2]), TypeError,
     "state must be a dict of arrays by name, got a list"),
    ("an optimizer state missing a buffer",
     lambda f: sn.SGD(small_model().parameters(), lr=0.1).load_state_dict(
         {"type": np.array("SGD"), "step_count": np.array(0), "lr": np.array(0.1),
          "momentum": np.array(0.0)}), ValueError,
     "the saved state does not fit this SGD: missing ['momentum_buffer/0'"),
    ("saving with something that is not an optimizer",
     lambda f: sn.save(f.missing, small_model(), "adam"), TypeError,
     "optimizer must be a scratchnet optimizer, got a str"),
    ("loading a save of another format version", lambda f: sn.load(f.old_format, network()),
     ValueError, "old_format.npz is not a scratchnet save file: it has no "
     "'scratchnet-state-1' format marker"),
    ("a single layer whose output overflows", lambda f: overflowing_layer(), FloatingPointError,
     "the output of Linear contains NaN or infinity: the numbers overflowed"),
    ("a state dict that is not a dict", lambda f: small_model().load_state_dict([1, 2]),
     TypeError, "state must be a dict of arrays by name, got a list"),
    ("saving something that is not a model", lambda f: sn.save(f.missing, "my model"),
     TypeError, "model must be a scratchnet Module, got a str"),
    # -- demo.py's command line: exit code 2 and one line on stderr -----------------------
    ("--lr 0", lambda f: demo.parse_args(["--lr", "0"]), SystemExit,
     "argument --lr: expected a positive number, got '0'"),
    ("--lr that overflows (a float, but not a finite one)",
     lambda f: demo.parse_args(["--lr", "1e400"]), SystemExit,
     "argument --lr: expected a positive number, got '1e400'"),
    ("--epochs -1", lambda f: demo.parse_args(["--epochs", "-1"]), SystemExit,
     "argument --epochs: expected a positive integer, got '-1'"),
    ("--seed 1.5", lambda f: demo.parse_args(["--seed", "1.5"]), SystemExit,
     "argument --seed: expected a non-negative integer, got '1.5'"),
    ("--gamma inf", lambda f: demo.parse_args(["--gamma", "inf"]), SystemExit,
     "argument --gamma: expected a non-negative number, got 'inf'"),
    ("--alpha -1", lambda f: demo.main(["--alpha", "-1"]), SystemExit,
     "argument --alpha: expected a positive number, got '-1'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("action", "error", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in MISTAKES],
)
def test_each_mistake_gets_a_sentence_naming_what_is_wrong(files, capsys, action, error, expected):
    with pytest.raises(error) as raised:
        action(files)
    if error is SystemExit:
        assert raised.value.code == 2
        message = capsys.readouterr().err
        assert message.count("\n") == 1 and message.startswith("demo.py: error: ")
    else:
        message = str(raised.value)
    assert expected in message
    assert "allow_pickle" not in message  # never advise unpickling a stranger's file
    raised_in = Path(raised.traceback[-1].path)
    assert NUMPY_DIR not in raised_in.parents, f"raised inside NumPy, at {raised_in}"


def test_the_battery_covers_at_least_a_hundred_and_thirty_mistakes_each_labelled_once():
    assert len(MISTAKES) >= 130
    assert len({row[0] for row in MISTAKES}) == len(MISTAKES)


@pytest.mark.parametrize(
    ("X_given", "y_given"),
    [
        (np.array([[1, -2], [0, 3]]), np.array([[0], [1]])),  # integers, as users pass them
        ([[1, -2], [0, 3]], [[False], [True]]),  # lists, and booleans as labels
        (np.array([[1, -2], [0, 3]], dtype=np.float16), np.array([[0], [1]], dtype=np.uint8)),
    ],
    ids=["integer arrays", "lists and booleans", "float16 and uint8"],
)
def test_integer_and_boolean_data_are_converted_not_refused(X_given, y_given):
    model = small_model()
    history = sn.train(model, sn.BCELoss(), sn.Adam(model.parameters()), X_given, y_given, epochs=2)
    assert np.isfinite(history).all()
    assert model(X_given).dtype == np.float64
    for loss_fn in (sn.BCELoss(), sn.FocalLoss()):
        assert np.isfinite(loss_fn(model(X_given), y_given))
        assert loss_fn.backward().dtype == np.float64


# --- The front doors at their edges: the ends of [0, 1], single numbers, NumPy integers -----


def test_probabilities_of_exactly_0_and_1_are_accepted():
    loss = sn.BCELoss()([[0.0], [1.0]], [[0.0], [1.0]])
    assert loss == 0.0


def test_a_loss_takes_a_single_number_for_p_and_for_y():
    assert sn.BCELoss()(0.3, 1) == pytest.approx(-math.log(0.3), rel=1e-15)


def test_whole_number_settings_given_as_numpy_integers_are_kept_as_python_ints():
    layer = sn.Linear(np.int64(2), np.int32(3), rng=np.int64(0))
    assert type(layer.in_features) is int and type(layer.out_features) is int


def test_a_missing_attribute_outside_backward_is_pythons_usual_error():
    with pytest.raises(AttributeError, match="^'Linear' object has no attribute 'wieght'$"):
        sn.Linear(2, 3, rng=0).wieght  # noqa: B018 (the attribute read is the test)


# --- A declared number's ends ---------------------------------------------------------------------


def test_a_declared_number_allows_exactly_the_ends_it_says():
    from scratchnet.doors.values import Number

    both, left = Number(low=0, high=1, closed="both"), Number(low=0, high=1, closed="left")
    assert both.check(1, "x") == 1.0 and both.check(0, "x") == 0.0 and left.check(0, "x") == 0.0
    with pytest.raises(ValueError, match=r"x must be a number in \[0, 1\), got 1"):
        left.check(1, "x")
    assert sn.FocalLoss(alpha=1, alpha_mode="per_class").alpha == 1.0  # the paper's range's end
