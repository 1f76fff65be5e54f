"""A learner's own layer is a built-in's equal: what they wrote is what runs, its
parameters are found by assignment, it prints, and its mistakes get sentences."""

import importlib.metadata
import subprocess
import sys
import traceback

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.gradcheck import check_gradients

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 3))


class MyTanh(sn.Module):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dL_dy):
        return dL_dy * (1 - self.y)  # wrong: the square is missing


class Scale(sn.Module):
    """y = x * w, a learnable scale per feature: dL_dw = sum_n dL_dy * x, dL_dx = dL_dy * w."""

    def __init__(self, features):
        self.w = sn.Parameter(np.linspace(0.5, 1.5, features))

    def forward(self, x):
        self.x = x
        return x * self.w.data

    def backward(self, dL_dy):
        self.w.grad = (dL_dy * self.x).sum(axis=0)
        return dL_dy * self.w.data


class Dropoutish(sn.Module):
    """A forward with an argument of its own, as PyTorch layers have them."""

    def forward(self, x, training=True):
        self.mask = np.ones_like(x) if not training else (np.arange(x.size) % 2).reshape(x.shape)
        return x * self.mask

    def backward(self, dL_dy):
        return dL_dy * self.mask


class Flatten(sn.Module):
    """(N, C, H, W) -> (N, C * H * W), no in_features: it takes any shape."""

    def forward(self, x):
        self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dL_dy):
        return dL_dy.reshape(self.shape)


def all_pass(checks) -> bool:
    return all(check.status == "pass" for check in checks)


def test_a_method_fixed_in_a_notebook_runs_everywhere_at_once():
    class Tanh(MyTanh):
        pass

    model = sn.Sequential(sn.Linear(3, 4, rng=0), Tanh(), sn.Linear(4, 1, rng=1))
    assert not all_pass(check_gradients(model, X, rng=0))

    def fixed(self, dL_dy):
        return dL_dy * (1 - self.y**2)

    Tanh.backward = fixed  # what a notebook cell does
    assert all_pass(check_gradients(Tanh(), X, rng=0))
    assert all_pass(check_gradients(model, X, rng=0))


def test_a_parameter_assigned_to_an_attribute_is_listed_checked_trained_and_saved(tmp_path):
    layer = Scale(3)
    assert layer.named_parameters() == [("w", layer.w)]
    assert [check.tensor for check in check_gradients(layer, X, rng=0)] == ["input", "w"]
    assert all_pass(check_gradients(layer, X, rng=0))

    model = sn.Sequential(layer, sn.Linear(3, 1, rng=0), sn.Sigmoid())
    assert [name for name, _ in model.named_parameters()] == ["0.w", "1.weight", "1.bias"]
    before = layer.w.data.copy()
    y = (X[:, 0] > 0).astype(float)
    sn.train(model, sn.BCELoss(), sn.Adam(model.parameters(), lr=0.1), X, y, epochs=3)
    assert not np.array_equal(layer.w.data, before)  # trained

    sn.save(tmp_path / "scale.npz", model)
    fresh = sn.Sequential(Scale(3), sn.Linear(3, 1, rng=5), sn.Sigmoid())
    sn.load(tmp_path / "scale.npz", fresh)
    np.testing.assert_array_equal(fresh[0].w.data, layer.w.data)  # saved and loaded


def test_parameters_are_found_in_the_order_first_set_with_inner_modules_prefixed():
    class Block(sn.Module):
        def __init__(self):  # no super().__init__(): not needed
            self.scale = Scale(2)
            self.linear = sn.Linear(2, 2, rng=0)
            self.gain = sn.Parameter(np.ones(2))
            self.scale = Scale(2)  # set again: keeps its place

    names = [name for name, _ in Block().named_parameters()]
    assert names == ["scale.w", "linear.weight", "linear.bias", "gain"]


def test_a_parameter_in_two_modules_is_refused_by_the_optimizer_with_a_sentence():
    first, second = Scale(3), Scale(3)
    second.w = first.w  # one parameter in two places: it would be updated twice per step
    model = sn.Sequential(first, second)
    with pytest.raises(ValueError, match="params must not contain the same Parameter twice"):
        sn.Adam(model.parameters())


def test_a_forward_with_extra_arguments_is_called_as_written():
    layer, x = Dropoutish(), np.ones((2, 2))
    np.testing.assert_array_equal(layer(x), [[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(layer(x, training=False), x)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    np.testing.assert_array_equal(layer.backward(np.full((2, 2), 3.0)), np.full((2, 2), 3.0))


def test_a_first_module_without_in_features_takes_any_shape():
    images = RNG.standard_normal((4, 2, 3, 3))
    model = sn.Sequential(Flatten(), sn.Linear(18, 1, rng=0))
    assert model(images).shape == (4, 1)
    assert model.backward(np.ones((4, 1))).shape == images.shape
    with pytest.raises(ValueError, match=r"x must be a 2-D array of shape \(N, features\)"):
        sn.Sequential(sn.Linear(2, 1, rng=0))([1.0, 2.0])


def test_a_learners_layer_prints_its_class_and_parameter_shapes():
    assert repr(Scale(3)) == "Scale(w: (3,))"
    assert repr(MyTanh()) == "MyTanh()"
    assert "(0): Scale(w: (3,))" in repr(sn.Sequential(Scale(3), MyTanh()))


def test_a_layer_without_backward_says_which_method_to_write():
    class Forgetful(sn.Module):
        def forward(self, x):
            return x

    with pytest.raises(NotImplementedError, match=r"Forgetful has no backward: write "
                       r"Forgetful.backward\(self, dL_dy\)"):  # fmt: skip
        Forgetful().backward(np.ones((1, 1)))
    with pytest.raises(NotImplementedError, match=r"Module has no forward: write"):
        sn.Module()(np.ones((1, 1)))


def test_backward_before_forward_is_refused_on_a_learners_layer_and_loss():
    with pytest.raises(ValueError, match="MyTanh has no y yet: forward sets it, and has not run"):
        MyTanh().backward(np.ones((1, 1)))

    class Fixed(MyTanh):
        pass

    Fixed.backward = lambda self, dL_dy: dL_dy * (1 - self.y**2)  # set from outside the class
    with pytest.raises(ValueError, match="Fixed has no y yet"):
        Fixed().backward(np.ones((1, 1)))

    class MeanSquare(sn.Loss):
        def forward(self, p, y):
            self.p, self.y = p, y
            return self.reduce((p - y) ** 2)

        def backward(self, dL_out=1.0):
            return self.through_reduction(dL_out) * 2 * (self.p - self.y)

    with pytest.raises(ValueError, match="MeanSquare has no y yet"):
        MeanSquare().backward()
    assert not hasattr(MyTanh(), "y")  # still an AttributeError to Python
    with pytest.raises(AttributeError, match="'MyTanh' object has no attribute 'typo'"):
        MyTanh().typo  # noqa: B018 (outside backward: the usual message)


def test_a_bug_in_a_learners_forward_is_reported_at_the_front_door_then_their_line():
    class Buggy(sn.Module):
        def forward(self, x):
            return x @ np.ones((5, 1))  # wrong width

    with pytest.raises(ValueError) as raised:
        Buggy()(np.ones((2, 3)))
    *_, door, line = traceback.extract_tb(raised.tb)  # NumPy raised in C: no frame of its own
    assert (door.name, door.filename) == ("__call__", sn._module.__file__)
    assert (line.name, line.filename) == ("forward", __file__)
    assert line.line == "return x @ np.ones((5, 1))  # wrong width"


def test_an_interrupted_save_keeps_the_last_good_file(tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    model = sn.Sequential(sn.Linear(2, 3, rng=0))
    sn.save(path, model)
    saved = model.state_dict()

    def interrupted_savez(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt  # Ctrl-C, midway

    monkeypatch.setattr(np, "savez", interrupted_savez)
    changed = sn.Sequential(sn.Linear(2, 3, rng=1))
    with pytest.raises(KeyboardInterrupt):
        sn.save(path, changed)
    monkeypatch.undo()
    sn.load(path, changed)
    for name, array in changed.state_dict().items():
        np.testing.assert_array_equal(array, saved[name])
    assert [file.name for file in tmp_path.iterdir()] == ["run.npz"]  # no fragment left


def test_import_works_from_a_checkout_that_was_never_installed():
    code = (
        "import importlib.metadata as metadata\n"
        "def not_installed(name): raise metadata.PackageNotFoundError(name)\n"
        "metadata.version = not_installed\n"
        "import scratchnet\n"
        "print(type(scratchnet.__version__).__name__, scratchnet.__version__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("str ")
    assert sn.__version__ == importlib.metadata.version("scratchnet")


def test_a_misspelt_attribute_in_backward_is_not_called_backward_before_forward():
    class Typo(sn.Module):
        def forward(self, x):
            self.y = np.tanh(x)
            return self.y

        def backward(self, dL_dy):
            return dL_dy * (1 - self.yy**2)  # no forward sets yy

    layer = Typo()
    layer(X)
    with pytest.raises(AttributeError, match="'Typo' object has no attribute 'yy'") as raised:
        layer.backward(np.ones_like(X))
    assert not isinstance(raised.value, ValueError)  # not "called before forward"


def test_backward_before_forward_is_named_through_a_helper_that_takes_the_loss():
    loss_fn = sn.BCELoss(reduction="none")
    with pytest.raises(ValueError, match="BCELoss has no y yet"):
        loss_fn.backward(np.ones((3, 1)))  # the array path reads loss.y in a helper


def test_a_nested_sequential_hands_on_its_width():
    inner = sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU())
    assert inner.out_features == 3
    with pytest.raises(ValueError, match=r"module 1 \(Linear.*takes 5 features, but module 0"):
        sn.Sequential(inner, sn.Linear(5, 1, rng=0))
    model = sn.Sequential(sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU()), sn.Sigmoid())
    assert [line.split()[-2] for line in model.summary().splitlines()[1:3]] == ["3", "3"]
