"""The gradient check fails closed: a backward that hands back nothing to compare (None, a
number, NaN, a misshapen array, another dtype) or that writes into its upstream gradient is
a FAIL with a sentence, from ``check_gradients``, ``check_loss`` and the command, never a
pass and never a crash. A network that mixes float32 and float64 is checked at the coarsest
of its dtypes, and says which module or parameter set it."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.commands.gradcheck_command import main
from scratchnet.gradcheck import FLOAT64, TensorCheck, _tensor_check, check_gradients, check_loss

# Each class is a mistake a learner makes; mylayers.py holds them for the command.
LEARNER = '''
import numpy as np
import scratchnet as sn


class Tanh(sn.Module):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dL_dy):
        return dL_dy * (1 - self.y**2)


class NoReturn(Tanh):
    def backward(self, dL_dy):
        dL_dx = dL_dy * (1 - self.y**2)  # and no return


class OneNaN(Tanh):
    def backward(self, dL_dy):
        dL_dx = dL_dy * (1 - self.y**2)
        dL_dx[1, 2] = np.nan
        return dL_dx


class OneInf(Tanh):
    def backward(self, dL_dy):
        dL_dx = dL_dy * (1 - self.y**2)
        dL_dx[0, 1] = -np.inf
        return dL_dx


class Summed(Tanh):
    def backward(self, dL_dy):
        return (dL_dy * (1 - self.y**2)).sum(axis=0)


class Number(Tanh):
    def backward(self, dL_dy):
        return float((dL_dy * (1 - self.y**2)).sum())


class InPlace(Tanh):
    def backward(self, dL_dy):
        dL_dy *= 1 - self.y**2  # right values, in the caller's array
        return dL_dy


class Scale(sn.Module):
    """y = x * w, w (3,)."""

    def __init__(self):
        self.w = sn.Parameter(np.array([0.5, -1.0, 2.0]))

    def forward(self, x):
        self.x = x
        return x * self.w.data

    def backward(self, dL_dy):
        self.w.grad = self.w_grad(dL_dy)
        return dL_dy * self.w.data

    def w_grad(self, dL_dy):
        return (dL_dy * self.x).sum(axis=0)


class UnsummedScale(Scale):
    def w_grad(self, dL_dy):
        return dL_dy * self.x  # the sum over the batch forgotten


class NoneScale(Scale):
    def w_grad(self, dL_dy):
        return None


class NaNScale(Scale):
    def w_grad(self, dL_dy):
        return super().w_grad(dL_dy) * np.array([1.0, np.nan, 1.0])


class NumberScale(Scale):
    def w_grad(self, dL_dy):
        return float(super().w_grad(dL_dy).sum())


class Tanh32(Tanh):
    dtype = np.float32

    def forward(self, x):
        return super().forward(x.astype(np.float32))  # in a Sequential too


class Returns64(Tanh32):
    def backward(self, dL_dy):
        return (dL_dy * (1 - self.y**2)).astype(np.float64)


class Scale32(Scale):
    dtype = np.float32

    def __init__(self):
        self.w = sn.Parameter(np.array([0.5, -1.0, 2.0], dtype=np.float32))


class Grad64Scale32(Scale32):
    def w_grad(self, dL_dy):
        return super().w_grad(dL_dy).astype(np.float64)


def mixed():
    """A correct network with one float32 layer among float64 ones."""
    return sn.Sequential(sn.Linear(3, 4, rng=0), Tanh32(), sn.Linear(4, 1, rng=1))


def chain_of(middle):
    return sn.Sequential(sn.Linear(3, 4, rng=0), middle, sn.Linear(4, 1, rng=1))


def chain_without_return():
    return chain_of(NoReturn())


def chain_summed():
    return chain_of(Summed())

'''


@pytest.fixture
def mylayers(tmp_path, monkeypatch):
    (tmp_path / "mylayers.py").write_text(LEARNER)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("mylayers", None)
    import mylayers

    yield mylayers
    sys.modules.pop("mylayers", None)


X = np.random.default_rng(0).standard_normal((5, 3))  # what the command draws first, seed 0

# (the learner's class, the tensor that fails, the sentence it fails with)
MISTAKES = [
    ("NoReturn", "input", "backward returned None; it must return dL/dx, an array of x's "
     "shape (5, 3)"),
    ("OneNaN", "input", "dL/dx holds nan at [1, 2]"),
    ("OneInf", "input", "dL/dx holds -inf at [0, 1]"),
    ("Summed", "input", "backward returned an array of shape (3,); dL/dx must have x's shape, "
     "(5, 3)"),
    ("Number", "input", "backward returned a float; it must return dL/dx, an array of x's "
     "shape (5, 3)"),
    ("InPlace", "input", "backward modified dL_dy, the upstream gradient it was handed: "
     "compute a new array (dL_dy * g), never write into it (dL_dy *= g)"),
    ("UnsummedScale", "w", "w.grad has shape (5, 3); dL/dw must have w's shape, (3,)"),
    ("NoneScale", "w", "backward left w.grad None; it must set it to dL/dw, an array of w's "
     "shape (3,)"),
    ("NaNScale", "w", "w.grad holds nan at [1]"),
    ("NumberScale", "w", "w.grad is a float; it must be dL/dw, an array of w's shape (3,)"),
    ("Returns64", "input", "dL/dx is float64, but x is float32: backward must return dL/dx in "
     "x's dtype"),
    ("Grad64Scale32", "w", "w.grad is float64, but w is float32: a gradient must have its "
     "parameter's dtype"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "tensor", "sentence"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_fails_with_its_sentence_from_check_gradients(
    mylayers, name, tensor, sentence
):
    rows = check_gradients(getattr(mylayers, name)(), X, rng=0)
    (failed,) = [row for row in rows if row.tensor == tensor]
    assert (failed.status, failed.detail) == ("FAIL", sentence)
    assert failed.error == np.inf  # nothing to compare: no max() or `<` lets it through


@pytest.mark.parametrize(("name", "tensor", "sentence"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_fails_with_its_sentence_and_status_1_from_the_command(
    mylayers, capsys, name, tensor, sentence
):
    assert main([f"mylayers:{name}"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert f"mylayers:{name}, {tensor}: {sentence}" in lines
    assert lines[-1].split(", ")[1] == "1 failed"


def test_the_rows_that_can_be_compared_still_are(mylayers):
    rows = check_gradients(mylayers.UnsummedScale(), X, rng=0)
    assert [(row.tensor, row.status) for row in rows] == [("input", "pass"), ("w", "FAIL")]
    assert rows[0].error < 1e-8


def test_a_backward_that_writes_into_dL_dy_is_judged_on_the_gradient_drawn(mylayers):
    """The finite differences use the upstream gradient as drawn, not the one backward left."""
    rows = check_gradients(mylayers.InPlace(), X, rng=0)
    assert [row.status for row in rows] == ["FAIL"]
    model = sn.Sequential(sn.Linear(3, 3, rng=0), mylayers.InPlace())
    rows = check_gradients(model, X, rng=0)
    assert rows[0].detail.startswith("backward modified dL_dy")
    assert rows[0].detail.endswith("; module 1, InPlace(), is the first to fail on its own")
    assert [row.status for row in rows[1:]] == ["pass", "pass"]


def test_the_model_is_left_as_after_one_pass_even_when_backward_writes_into_dL_dy(mylayers):
    layer = mylayers.InPlace()
    check_gradients(layer, X, rng=0)
    np.testing.assert_array_equal(layer.y, np.tanh(X))


# --- mixed dtypes -------------------------------------------------------------------------


def test_a_float32_layer_among_float64_ones_passes_at_float32s_tolerance(mylayers):
    rows = check_gradients(mylayers.mixed(), X, rng=0)
    assert [row.status for row in rows] == ["pass"] * 5
    assert {(row.dtype, row.tolerance) for row in rows} == {("float32", 1e-2)}
    assert {row.dtype_set_by for row in rows} == {"the output of module 1"}


def test_the_report_says_which_module_set_the_dtype(mylayers, capsys):
    assert main(["mylayers:mixed"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "mylayers:mixed: checked in float32, its coarsest dtype, set by the output of " \
        "module 1" in lines  # fmt: skip
    assert lines[-1] == "5 passed, 0 failed, 0 inconclusive"


def test_a_float32_parameter_or_a_nested_module_sets_the_dtype_too(mylayers):
    model = sn.Sequential(mylayers.Tanh(), mylayers.Scale32(), sn.Linear(3, 1, rng=0))
    rows = check_gradients(model, X, rng=0)
    assert {(row.status, row.dtype, row.dtype_set_by) for row in rows} == {
        ("pass", "float32", "parameter 1.w")
    }
    nested = sn.Sequential(sn.Linear(3, 3, rng=0), sn.Sequential(sn.Tanh(), mylayers.Tanh32()),
                           sn.Linear(3, 1, rng=1))  # fmt: skip
    rows = check_gradients(nested, X, rng=0)
    assert {(row.status, row.dtype, row.dtype_set_by) for row in rows} == {
        ("pass", "float32", "the output of module 1.1")
    }


def test_one_dtype_throughout_needs_no_word_on_who_set_it(mylayers):
    for module in (mylayers.Tanh32(), sn.Linear(3, 2, rng=0, dtype=np.float32), mylayers.Tanh()):
        assert {row.dtype_set_by for row in check_gradients(module, X, rng=0)} == {""}


def test_inner_modules_gradients_are_not_dtype_checked(mylayers):
    model = sn.Sequential(sn.Linear(3, 3, rng=0), mylayers.Returns64(), mylayers.Grad64Scale32())
    assert {row.status for row in check_gradients(model, X, rng=0)} == {"pass"}


def test_a_float32_gradient_in_a_float64_layer_keeps_the_layers_precision(mylayers):
    """The step and tolerance come from the parameter's dtype, never its gradient's."""

    class Grad32Scale(mylayers.Scale):
        def w_grad(self, dL_dy):
            return super().w_grad(dL_dy).astype(np.float32)

    model = sn.Sequential(Grad32Scale(), sn.Linear(3, 1, rng=0))
    model.forward(X)
    model.backward(np.ones((5, 1)))
    assert model[0].w.grad.dtype == np.float32  # as after a step of training
    rows = check_gradients(model, X, rng=0)
    assert [(row.tensor, row.status, row.dtype, row.tolerance) for row in rows] == [
        (tensor, "pass", "float64", 1e-7) for tensor in ("input", "0.w", "1.weight", "1.bias")
    ]  # float32 rounding (3e-8) is within float64's tolerance here
    layer = Grad32Scale()
    check_gradients(layer, X, rng=0)
    (w,) = [row for row in check_gradients(layer, X, rng=0) if row.tensor == "w"]
    assert (w.status, w.dtype, w.tolerance) == ("FAIL", "float64", 1e-7)
    assert w.detail == "w.grad is float32, but w is float64: a gradient must have its " \
        "parameter's dtype"  # fmt: skip


def test_linear_gives_its_parameter_gradients_its_own_dtype():
    layer = sn.Linear(3, 2, rng=0, dtype=np.float32)
    layer.forward(X.astype(np.float32))
    layer.backward(np.ones((5, 2)))  # a float64 upstream gradient
    assert layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32
    layer = sn.Linear(3, 2, rng=0)
    layer.forward(X)
    layer.backward(np.ones((5, 2), dtype=np.float32))
    assert layer.weight.grad.dtype == layer.bias.grad.dtype == np.float64


# --- the verdict, the kinks, the losses ---------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_tensor_with_a_non_finite_entry_never_passes(bad):
    for analytic, estimate in (([1.0, bad], [1.0, 1.0]), ([1.0, 1.0], [1.0, bad])):
        with np.errstate(invalid="raise"):
            row = _tensor_check("t", np.array(analytic), FLOAT64, "float64",
                                np.array(estimate), np.array([False, False]))  # fmt: skip
        assert row.status == "FAIL" and row.error == np.inf, row
        assert row.detail.startswith("at [1] backward gives ")


def test_a_non_finite_estimate_near_a_kink_is_no_pass_either():
    row = _tensor_check("t", np.array([1.0]), FLOAT64, "float64", np.array([np.nan]),
                        np.array([True]))  # fmt: skip
    assert row.status == "inconclusive" and row.error == np.inf


class LeakyReLU32(sn.Module):
    """y = x for x > 0, 0.5 x otherwise, in float32: one-sided slopes 1 and 0.5 at 0."""

    dtype = np.float32

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, np.float32(0.5) * x)

    def backward(self, dL_dy):
        return dL_dy * np.where(self.x > 0, np.float32(1), np.float32(0.5))


def test_a_float32_leaky_relu_at_its_kink_is_inconclusive_not_failed():
    """At the kink D(h) and D(2h) agree (0.75 d both, d the upstream gradient there): only
    the one-sided slopes, d and 0.5 d, give it away."""
    (row,) = check_gradients(LeakyReLU32(), np.array([[0.0, 1.0, -1.0]]), rng=0)
    assert (row.dtype, row.status) == ("float32", "inconclusive")
    (row,) = check_gradients(LeakyReLU32(), np.array([[0.5, 1.0, -1.0]]), rng=0)
    assert (row.dtype, row.status) == ("float32", "pass")


def test_a_float32_kink_is_found_where_its_one_sided_slopes_are_below_the_floor():
    """Where d is 0.002 to 0.004, the slopes d and 0.5 d sum to less than float32's floor,
    0.01; they still differ by more than a tenth of it, so the kink is found, and the
    entry, off by 0.25 d / 0.01 > 0.01, is inconclusive, not failed."""
    d = np.random.default_rng(0).standard_normal((1, 4000))  # the dL_dy the check draws
    small = (2e-3 < np.abs(d)) & (np.abs(d) < 4e-3)
    assert small.sum() >= 3
    (row,) = check_gradients(LeakyReLU32(), np.where(small, 0.0, 1.0), rng=0)
    assert (row.dtype, row.status) == ("float32", "inconclusive")


class LossReturning(sn.BCELoss):
    """A BCE whose backward hands back what ``wrong`` makes of the right gradient."""

    def __init__(self, wrong, reduction="mean"):
        super().__init__(reduction=reduction)
        self.wrong = wrong

    def backward(self, dL_out=1.0):
        return self.wrong(super().backward(dL_out), dL_out)


def in_place(dL_dp, dL_out):
    dL_out *= 2.0
    return dL_dp


P = np.linspace(0.2, 0.8, 6).reshape(-1, 1)
Y = np.array([[0.0], [1.0]] * 3)


@pytest.mark.parametrize(
    ("wrong", "reduction", "sentence"),
    [
        (lambda g, _: None, "mean", "backward returned None; it must return dL/dp, an array of "
         "p's shape (6, 1)"),
        (lambda g, _: g.sum(), "mean", "backward returned a float64; it must return dL/dp, an "
         "array of p's shape (6, 1)"),
        (lambda g, _: g.ravel(), "mean", "backward returned an array of shape (6,); dL/dp must "
         "have p's shape, (6, 1)"),
        (lambda g, _: g / (g != g[2]), "mean", "dL/dp holds inf at [2, 0]"),
        (lambda g, _: g.astype(np.float32), "mean", "dL/dp is float32, but p is float64: "
         "backward must return dL/dp in p's dtype"),
        (in_place, "none", "backward modified dL_dy, the upstream gradient it was handed: "
         "compute a new array (dL_dy * g), never write into it (dL_dy *= g)"),
    ],
)  # fmt: skip
def test_a_losss_backward_fails_closed_too(wrong, reduction, sentence):
    with np.errstate(divide="ignore"):
        (row,) = check_loss(LossReturning(wrong, reduction), P, Y, rng=0)
    assert (row.tensor, row.status, row.error, row.detail) == ("dL/dp", "FAIL", np.inf, sentence)


def test_a_failure_row_is_a_tensor_check_with_all_its_public_fields():
    row = check_gradients(sn.Tanh(), X, rng=0)[0]
    assert isinstance(row, TensorCheck)
    assert (row.tensor, row.status, row.detail) == ("input", "pass", "")
    assert row.error < 1e-8


# --- the command, as a learner runs it ----------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def test_python_m_scratchnet_gradcheck_fails_a_backward_that_returns_none(mylayers, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scratchnet.gradcheck", "mylayers:NoReturn", "mylayers:Tanh"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"},
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (1, "")
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["mylayers:NoReturn", "input", "float64", "inf", "1e-07", "FAIL"]
    assert "mylayers:NoReturn, input: backward returned None; it must return dL/dx, an array " \
        "of x's shape (5, 3)" in lines  # fmt: skip
    assert lines[-1] == "1 passed, 1 failed, 0 inconclusive"


# A Sequential's backward names a module inside it that returns None or a misshapen array
# (GradientError); the check makes that sentence a FAIL, exit 1, never an exception.
CHAINS = [
    ("chain_without_return", "returned None from backward"),
    ("chain_summed", "returned an array of shape (4,) from backward"),
]


@pytest.mark.parametrize(("name", "returned"), CHAINS)
def test_a_broken_module_inside_a_sequential_is_a_fail_with_its_sentence(mylayers, name, returned):
    model = getattr(mylayers, name)()
    rows = check_gradients(model, X, rng=0)
    assert [row.tensor for row in rows] == ["input", "0.weight", "0.bias", "2.weight", "2.bias"]
    assert {(row.status, row.error) for row in rows} == {("FAIL", np.inf)}
    culprit = type(model[1]).__name__
    assert rows[0].detail.startswith(f"module 1, {culprit}, {returned} (")
    must = "backward must return dL/dx, an array of the shape of its input, (5, 4)"
    assert must in rows[0].detail
    assert all(row.detail.startswith("not compared: backward stopped") for row in rows[1:])


@pytest.mark.parametrize(("name", "returned"), CHAINS)
def test_a_broken_module_inside_a_sequential_exits_1_from_the_command(
    mylayers, tmp_path, name, returned
):
    result = subprocess.run(
        [sys.executable, "-m", "scratchnet.gradcheck", f"mylayers:{name}"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"},
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (1, "")
    lines = result.stdout.splitlines()
    said = [line for line in lines if line.startswith(f"mylayers:{name}, input: module 1, ")]
    assert len(said) == 1 and returned in said[0]
    assert lines[-1] == "0 passed, 5 failed, 0 inconclusive"
