"""A battery of the mistakes learners make, through the public API and demo.py's command line.

Each row is one mistake: what is called, the exception expected, and a pattern its
message must match, naming the argument at fault. Every error must be raised by
scratchnet (or by argparse, for the command line), never from deep inside NumPy, and
nothing may return NaN instead.
"""

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import demo
import scratchnet as sn
from scratchnet.article.experiment import article_network, compare_losses

NUMPY_DIR = Path(np.__file__).parent
P = np.array([[0.2], [0.7]])
Y = np.array([[0.0], [1.0]])
X = np.array([[0.5, -1.0], [2.0, 0.3]])


def network(seed=0, dtype=np.float64):
    return article_network(np.random.default_rng(seed), dtype)


def small_model():
    return sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU(), sn.Linear(3, 1, rng=0), sn.Sigmoid())


def train(X=X, y=Y, *, loss_fn=None, **kwargs):
    model = small_model()
    kwargs.setdefault("epochs", 1)
    optimizer = sn.Adam(model.parameters())
    return sn.train(model, loss_fn or sn.BCELoss(), optimizer, X, y, **kwargs)


def backward_after_forward(module, grad_output):
    module.forward(X)
    return module.backward(grad_output)


def load_into_adam(path, **adam_settings):
    model = network()
    return sn.load(path, model, sn.Adam(model.parameters(), **adam_settings))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Files a learner might try to load, each wrong in its own way."""
    folder = tmp_path_factory.mktemp("files")
    files = SimpleNamespace(
        text=folder / "notes.txt",
        bare_array=folder / "weights.npy",
        foreign_npz=folder / "foreign.npz",
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
    # (what the learner did, action(files), exception, message pattern)
    # -- layers and models --------------------------------------------------------------
    ("integer dtype for parameters", lambda f: sn.Linear(2, 3, dtype=np.int32), TypeError,
     "dtype must be float32 or float64, got int32"),
    ("complex dtype for parameters", lambda f: sn.Linear(2, 3, dtype=complex), TypeError,
     "dtype must be float32 or float64, got complex128"),
    ("a made-up dtype", lambda f: sn.Linear(2, 3, dtype="banana"), TypeError,
     "dtype must be a NumPy floating dtype, got 'banana'"),
    ("zero input features", lambda f: sn.Linear(0, 3), ValueError,
     "in_features must be a positive integer, got 0"),
    ("negative output features", lambda f: sn.Linear(2, -1), ValueError,
     "out_features must be a positive integer, got -1"),
    ("a float layer size", lambda f: sn.Linear(2.5, 3), TypeError,
     "in_features must be a positive integer, got 2.5"),
    ("a layer class, not a layer", lambda f: sn.Sequential(sn.Linear(2, 2), sn.ReLU), TypeError,
     r"module 1 is the class ReLU; create one: ReLU\(\)"),
    ("an object array as input", lambda f: small_model()(X.astype(object)), TypeError,
     "x must be an array of real numbers, got an array of dtype object"),
    ("strings as input", lambda f: small_model()([["1", "2"]]), TypeError,
     "x must be an array of real numbers, got an array of dtype <U1"),
    ("one string as input", lambda f: small_model()("1, 2"), TypeError,
     "x must be an array of numbers, got a str"),
    ("complex input", lambda f: small_model()(X + 1j), TypeError,
     "x must be an array of real numbers, got an array of dtype complex128"),
    ("None as input", lambda f: small_model()(None), TypeError,
     "x must be an array of real numbers, got None"),
    ("rows of different lengths", lambda f: small_model()([[1.0, 2.0], [3.0]]), ValueError,
     "x must be a rectangular array of numbers"),
    ("a 1-D input", lambda f: small_model()(np.ones(2)), ValueError,
     r"x must be a 2-D array of shape \(N, features\), got shape \(2,\)"),
    ("a 0-d input", lambda f: small_model()(3.0), ValueError,
     r"x must be a 2-D array of shape \(N, features\), got shape \(\)"),
    ("a 3-D input", lambda f: small_model()(np.ones((2, 2, 2))), ValueError,
     r"x must be a 2-D array.*got shape \(2, 2, 2\)"),
    ("the wrong number of features", lambda f: small_model()(np.ones((4, 3))), ValueError,
     r"x must have 2 features \(columns\) for this Linear layer, got shape \(4, 3\)"),
    ("an empty batch", lambda f: small_model()(np.ones((0, 2))), ValueError,
     r"x must not be empty, got shape \(0, 2\)"),
    ("NaN in the input", lambda f: small_model()([[np.nan, 1.0]]), ValueError,
     "x must be finite, but it contains NaN or infinity"),
    ("infinity in the input", lambda f: small_model()([[1.0, -np.inf]]), ValueError,
     "x must be finite, but it contains NaN or infinity"),
    ("backward before forward", lambda f: sn.Sigmoid().backward(np.ones((2, 1))), ValueError,
     "Sigmoid.backward was called before forward"),
    ("a model's backward before its forward",
     lambda f: small_model().backward(np.ones((2, 1))), ValueError,
     "Sequential.backward was called before forward"),
    ("an upstream gradient of the wrong shape",
     lambda f: backward_after_forward(small_model(), np.ones((2, 3))), ValueError,
     r"grad_output must have the shape of the last output, \(2, 1\), got \(2, 3\)"),
    ("NaN in the upstream gradient",
     lambda f: backward_after_forward(small_model(), [[np.nan], [1.0]]), ValueError,
     "grad_output must be finite"),
    # -- losses ---------------------------------------------------------------------------
    ("labels outside {0, 1}", lambda f: sn.BCELoss()(P, [[0], [2]]), ValueError,
     "y must hold only the labels 0 and 1, found 2"),
    ("labels of -1 and 1", lambda f: sn.FocalLoss()(P, [[-1], [1]]), ValueError,
     "y must hold only the labels 0 and 1, found -1"),
    ("labels as strings", lambda f: sn.BCELoss()(P, [["0"], ["1"]]), TypeError,
     "y must be an array of real numbers, got an array of dtype <U1"),
    ("labels as objects", lambda f: sn.FocalLoss()(P, Y.astype(object)), TypeError,
     "y must be an array of real numbers, got an array of dtype object"),
    ("NaN in the labels", lambda f: sn.BCELoss()(P, [[np.nan], [1]]), ValueError,
     "y must be finite"),
    ("probabilities above 1", lambda f: sn.BCELoss()([[1.5], [0.5]], Y), ValueError,
     r"p must hold probabilities in \[0, 1\], found 1.5; pass logits to BCEWithLogitsLoss"),
    ("negative probabilities", lambda f: sn.FocalLoss()([[-0.1], [0.5]], Y), ValueError,
     r"p must hold probabilities in \[0, 1\], found -0.1"),
    ("NaN probabilities", lambda f: sn.FocalLoss()([[np.nan], [0.5]], Y), ValueError,
     "p must be finite"),
    ("infinite logits", lambda f: sn.BCEWithLogitsLoss()([[np.inf], [0.0]], Y), ValueError,
     "logits must be finite"),
    ("p and y of different shapes", lambda f: sn.BCELoss()(P, np.ones(3)), ValueError,
     r"p and y must have the same shape, got \(2, 1\) and \(3,\)"),
    ("an empty batch of probabilities", lambda f: sn.BCELoss()(np.ones((0, 1)), np.ones((0, 1))),
     ValueError, "p must not be empty"),
    ("an unknown reduction", lambda f: sn.FocalLoss(reduction="average"), ValueError,
     r"reduction must be one of \('mean', 'sum', 'none'\), got 'average'"),
    ("a negative gamma", lambda f: sn.FocalLoss(gamma=-2), ValueError,
     "gamma must be a non-negative finite number, got -2"),
    ("alpha above 1 per class", lambda f: sn.FocalLoss(alpha=1.5, alpha_mode="per_class"),
     ValueError, r"alpha must be in \[0, 1\] with alpha_mode='per_class', got 1.5"),
    ("NaN as the upstream gradient of a loss",
     lambda f: (lambda loss: (loss(P, Y), loss.backward(np.nan)))(sn.BCELoss()), ValueError,
     "grad_output must be finite, got nan"),
    # -- optimizers -----------------------------------------------------------------------
    ("an optimizer given no parameters", lambda f: sn.Adam([]), ValueError,
     "params must not be empty"),
    ("an optimizer given the model", lambda f: sn.Adam(small_model()), TypeError,
     r"params must be an iterable of Parameters, such as model.parameters\(\), got a Sequential"),
    ("a parameter list with duplicates",
     lambda f: sn.SGD(small_model().parameters() * 2, lr=0.1), ValueError,
     r"params must not contain the same Parameter twice: params\[0\] and params\[4\]"),
    ("a learning rate of 0", lambda f: sn.Adam(small_model().parameters(), lr=0), ValueError,
     "lr must be a positive finite number, got 0"),
    ("a negative learning rate", lambda f: sn.SGD(small_model().parameters(), lr=-0.1),
     ValueError, "lr must be a positive finite number, got -0.1"),
    ("a learning rate as a string", lambda f: sn.Adam(small_model().parameters(), lr="0.01"),
     TypeError, "lr must be a positive number, got '0.01'"),
    ("momentum of 1", lambda f: sn.SGD(small_model().parameters(), lr=0.1, momentum=1),
     ValueError, r"momentum must be a number in \[0, 1\), got 1"),
    # -- training -------------------------------------------------------------------------
    ("zero epochs", lambda f: train(epochs=0), ValueError,
     "epochs must be a positive integer, got 0"),
    ("a fractional number of epochs", lambda f: train(epochs=2.5), TypeError,
     "epochs must be a positive integer, got 2.5"),
    ("a batch size of 0", lambda f: train(batch_size=0, rng=0), ValueError,
     "batch_size must be a positive integer, got 0"),
    ("a loss class, not a loss", lambda f: train(loss_fn=sn.BCELoss), TypeError,
     r"loss_fn must be a loss object, got the class BCELoss; create one: BCELoss\(\)"),
    ("labels for other rows", lambda f: train(y=np.ones((3, 1))), ValueError,
     r"y must have one row per row of X, 2, got shape \(3, 1\)"),
    ("labels outside {0, 1} in training", lambda f: train(y=[[0], [3]]), ValueError,
     "y must hold only the labels 0 and 1, found 3"),
    ("NaN in the training data", lambda f: train(X=[[0.0, np.nan], [1.0, 1.0]]), ValueError,
     "X must be finite"),
    ("a 1-D training set", lambda f: train(X=np.ones(2)), ValueError,
     r"X must be a 2-D array of shape \(N, features\)"),
    ("a negative seed", lambda f: compare_losses(None, seed=-1), ValueError,
     "seed must be a non-negative integer, got -1"),
    ("an integer dtype for the data", lambda f: sn.load_article_data(dtype=int), TypeError,
     "dtype must be float32 or float64, got int64"),
    # -- saving and loading ---------------------------------------------------------------
    ("loading a file that does not exist", lambda f: sn.load(f.missing, network()),
     FileNotFoundError, r"never_saved.npz does not exist"),
    ("loading a text file", lambda f: sn.load(f.text, network()), ValueError,
     r"notes.txt is not a scratchnet save file"),
    ("loading a bare .npy array", lambda f: sn.load(f.bare_array, network()), ValueError,
     r"weights.npy is not a scratchnet save file: it holds one bare array"),
    ("loading some other .npz", lambda f: sn.load(f.foreign_npz, network()), ValueError,
     r"foreign.npz is not a scratchnet save file: it has no 'scratchnet-state-1' format marker"),
    ("loading weights of other shapes", lambda f: sn.load(f.other_shapes, network()), ValueError,
     r"0.weight: expected shape \(2, 16\), got \(3, 16\)"),
    ("loading float32 weights into float64", lambda f: sn.load(f.float32, network()), ValueError,
     "0.weight: expected dtype float64, got float32"),
    ("loading into a model with other layers",
     lambda f: sn.load(f.adam, sn.Sequential(sn.Linear(2, 16, rng=0))), ValueError,
     r"the saved state does not fit the model's parameters: unexpected \['2.weight'"),
    ("loading SGD's state into Adam", lambda f: load_into_adam(f.sgd), ValueError,
     "optimizer: the saved state is for SGD, not for Adam"),
    ("loading Adam's state with another lr", lambda f: load_into_adam(f.adam, lr=0.1), ValueError,
     "optimizer lr: the state was saved with 0.01, this optimizer has 0.1"),
    ("loading an optimizer from a model-only file", lambda f: load_into_adam(f.model_only),
     ValueError, "model_only.npz holds no optimizer state"),
    ("a state dict with NaN in it",
     lambda f: small_model().load_state_dict(
         {**small_model().state_dict(), "0.bias": np.full(3, np.nan)}), ValueError,
     "0.bias: the saved values contain NaN or infinity"),
    ("a state dict that is not a dict", lambda f: small_model().load_state_dict([1, 2]),
     TypeError, "state must be a dict of arrays by name, got a list"),
    ("saving something that is not a model", lambda f: sn.save(f.missing, "my model"),
     TypeError, "model must be a scratchnet Module, got a str"),
    # -- demo.py's command line: exit code 2 and one line on stderr -----------------------
    ("--lr 0", lambda f: demo.parse_args(["--lr", "0"]), SystemExit,
     "argument --lr: expected a positive number, got '0'"),
    ("--lr that overflows", lambda f: demo.parse_args(["--lr", "1e400"]), SystemExit,
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
    ("action", "error", "pattern"),
    [pytest.param(*row[1:], id=row[0]) for row in MISTAKES],
)
def test_each_mistake_gets_a_sentence_naming_what_is_wrong(files, capsys, action, error, pattern):
    with pytest.raises(error) as raised:
        action(files)
    if error is SystemExit:
        assert raised.value.code == 2
        message = capsys.readouterr().err
        assert message.count("\n") == 1 and message.startswith("demo.py: error: ")
    else:
        message = str(raised.value)
    assert re.search(pattern, message), message
    raised_in = Path(raised.traceback[-1].path)
    assert NUMPY_DIR not in raised_in.parents, f"raised inside NumPy, at {raised_in}"


def test_the_battery_covers_at_least_thirty_mistakes():
    assert len(MISTAKES) >= 30
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
