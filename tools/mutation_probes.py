"""Probes for the mutants that tools/mutation.py reports as surviving and that are judged
equivalent: each probe runs the original code and the mutant's version of it on the
inputs that could tell them apart, and asserts that they behave identically.

Not part of the test suite (a probe restates a line of the lesson, which a test should
not); run it by hand after a mutation run:

    python tools/mutation_probes.py          # prints one line per probe, fails loudly

Each probe's docstring names the file, the line as it reads, the mutation, and why the
two cannot differ.
"""

from __future__ import annotations

import ast
import inspect
import tempfile
import textwrap
from pathlib import Path

import numpy as np

import scratchnet as sn
from scratchnet import _loss, functional, gradcheck, losses, serialization, training
from scratchnet.doors import values

ROOT = Path(__file__).resolve().parent.parent
PROBES = []


def probe(function):
    PROBES.append(function)
    return function


def calls_of(module, name: str) -> list[ast.Call]:
    tree = ast.parse(inspect.getsource(module))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name
    ]


@probe
def losses_log_floor_without_float():
    """losses.py, ``return max(LOG_FLOOR, float(np.log(max(w, 1.0) * np.finfo(dtype).tiny)))``:
    ``float(...)`` removed.

    np.log of w * tiny is a NumPy scalar of ``dtype`` itself (tiny is one, and a Python
    float does not widen it), so the floor has the same value and keeps p's dtype in
    ``np.maximum(np.log(p), floor)`` either way."""
    for dtype in (np.float32, np.float64):
        for w in (1.0, 0.5, 8.3, 69.0, 1e30):
            original = losses._log_floor(dtype, w)
            mutant = max(losses.LOG_FLOOR, np.log(max(w, 1.0) * np.finfo(dtype).tiny))
            assert original == mutant
            p = np.array([0.0, 1e-40, 0.5], dtype=dtype)
            with np.errstate(divide="ignore"):
                kept = np.maximum(np.log(p), original), np.maximum(np.log(p), mutant)
            assert kept[0].dtype == kept[1].dtype == dtype
            np.testing.assert_array_equal(*kept)


def reads_of(module, attribute: str) -> tuple[int, int]:
    """How often ``module`` reads ``.<attribute>``, and how often as ``not x.<attribute>(...)``."""
    tree = ast.parse(inspect.getsource(module))
    reads = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == attribute
    ]
    negated = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.Not)
        and isinstance(node.operand, ast.Call)
        and getattr(node.operand.func, "attr", None) == attribute
    ]
    return len(reads), len(negated)


@probe
def values_number_contains_is_only_negated():
    """doors/values.py, ``Number._contains``: ``return False`` -> ``return None``;
    ``return bool(np.isfinite(value))`` and ``return bool(value <= self.high ...)`` with
    ``bool(...)`` removed.

    ``_contains`` is private and read in one place only, ``if not self._contains(value)``,
    where None and False, and np.bool_ and bool, take the same branch."""
    assert reads_of(values, "_contains") == (1, 1)
    for value in (np.float64(np.inf), 1e400, 0.5, np.nan, -1.0):
        assert (not np.isfinite(value)) == (not bool(np.isfinite(value)))
        assert (not np.float64(value) <= 1.0) == (not bool(np.float64(value) <= 1.0))
    assert (not None) is (not False)


@probe
def training_has_diverged_from_one_epoch():
    """doors/for_training.py, ``has_diverged``: ``return len(history) >= 2 and history[0] > 0
    and history[-1] > factor * history[0]``: 2 -> 1.

    With one epoch, history[-1] is history[0], never above 1.5 times itself once it is above
    0 (NaN included); with none, both versions stop at the length test; with two or more
    they read alike."""
    for history in ([], [0.7], [np.nan], [np.inf], [0.7, 0.9], [0.9, 0.7], [0.5, np.nan]):
        mutant = len(history) >= 1 and history[0] > 0 and history[-1] > 1.5 * history[0]
        assert training.has_diverged(history) == mutant


def mutant_of(function, old: str, new: str):
    """``function`` recompiled, in its own module's namespace, with ``old`` replaced."""
    source = textwrap.dedent(inspect.getsource(function))
    assert source.count(old) == 1, old
    namespace = dict(vars(inspect.getmodule(function)))
    exec(compile(source.replace(old, new), "<mutant>", "exec"), namespace)
    return namespace[function.__name__]


@probe
def loss_through_reduction_without_the_array_shortcut():
    """_loss.py, ``Loss.through_reduction``: ``if isinstance(dL_out, np.ndarray): return
    dL_out`` removed.

    An array dL_out (reduction "none", no weights) then falls through to
    ``np.array(dL_out, dtype=self.y.dtype)``: dL_out was already converted to the labels'
    dtype and shape, so this is a copy with the same values and dtype, and every loss
    only multiplies it into a new array; backward returns the same numbers."""
    # "if False:" is the statement removed: its body never runs.
    mutant = mutant_of(
        _loss.Loss.through_reduction, "if isinstance(dL_out, np.ndarray):", "if False:"
    )
    rng = np.random.default_rng(0)
    for make in (
        losses.BCELoss,
        losses.FocalLoss,
        losses.BCEWithLogitsLoss,
        losses.FocalLossWithLogits,
    ):
        for dtype in (np.float32, np.float64):
            p = rng.uniform(0.05, 0.95, (6, 1)).astype(dtype)
            y = rng.integers(0, 2, (6, 1)).astype(dtype)
            for dL_out in (rng.standard_normal((6, 1)), rng.standard_normal((6, 1)).tolist(), 2.0):
                results = []
                for through_reduction in (_loss.Loss.through_reduction, mutant):
                    loss_fn = make(reduction="none")
                    loss_fn.through_reduction = through_reduction.__get__(loss_fn)
                    loss_fn(p, y)
                    results.append(loss_fn.backward(dL_out))
                assert results[0].dtype == results[1].dtype == dtype
                np.testing.assert_array_equal(*results)


@probe
def gradcheck_vjp_without_converting_grad_output():
    """gradcheck.py, ``_vjp_in_place``: ``grad_output = np.asarray(grad_output,
    dtype=np.float64)`` with ``np.asarray(...)`` removed.

    grad_output only ever multiplies a float64 difference of outputs, and NumPy converts a
    list, a float32 or an integer array to the same float64 values in that product."""
    mutant_in_place = mutant_of(
        gradcheck._vjp_in_place,
        "grad_output = np.asarray(grad_output, dtype=np.float64)",
        "grad_output = grad_output",
    )
    x = np.array([[0.3, -1.2, 0.5], [2.0, 0.7, -0.1]])
    upstreams = [
        np.array([[1.0, -0.5, 2.0], [0.25, 2.0, -1.0]]),
        [[1.0, -0.5, 2.0], [0.25, 2.0, -1.0]],
        np.array([[1.5, -0.5, 2.0], [0.25, 2.0, -1.0]], dtype=np.float32),
        np.array([[1, -2, 3], [0, 2, -1]]),
        2.5,
    ]
    for upstream in upstreams:
        results = [
            in_place(lambda: np.tanh(x), x, upstream, gradcheck.FLOAT64)
            for in_place in (gradcheck._vjp_in_place, mutant_in_place)
        ]
        for original, mutant in zip(*results):
            np.testing.assert_array_equal(original, mutant)


@probe
def functional_sigmoid_at_zero_either_way():
    """functional.py, ``sigmoid``: ``np.where(x >= 0, 1.0, e)`` and, in
    ``sigmoid_and_complement``, ``non_negative = x >= 0``, each with ``>=`` -> ``>``.

    The two branches differ only in which of 1 and e = exp(-|x|) they take, and at the
    one input where the test changes, x = 0 (and -0.0), e = exp(0) = 1 exactly: both
    branches give 1 / 2. NaN goes to the same branch either way."""
    sigmoid = mutant_of(functional.sigmoid, "np.where(x >= 0, 1.0, e)", "np.where(x > 0, 1.0, e)")
    both = mutant_of(
        functional.sigmoid_and_complement, "non_negative = x >= 0", "non_negative = x > 0"
    )
    for dtype in (np.float32, np.float64):
        tiny = np.finfo(dtype).smallest_subnormal
        x = np.array([0.0, -0.0, tiny, -tiny, 1e-30, -1e-30, 3.0, -3.0, np.inf, -np.inf, np.nan])
        x = x.astype(dtype)
        np.testing.assert_array_equal(functional.sigmoid(x), sigmoid(x))
        for original, mutant in zip(functional.sigmoid_and_complement(x), both(x)):
            assert original.dtype == mutant.dtype
            np.testing.assert_array_equal(original, mutant)


@probe
def serialization_save_marker_as_a_str():
    """serialization.py, ``save``: ``arrays = {"format": np.array(doors.FORMAT)}`` with
    ``np.array(...)`` removed.

    np.savez turns every value into an array itself (np.asanyarray), so the file holds
    the same marker array, of the same dtype, and loads the same."""
    mutant = mutant_of(serialization.save, "np.array(doors.FORMAT)", "doors.FORMAT")
    model = sn.Sequential(sn.Linear(2, 3, rng=0), sn.ReLU(), sn.Linear(3, 1, rng=1))
    adam = sn.Adam(model.parameters(), lr=0.01)
    with tempfile.TemporaryDirectory() as folder:
        files = [Path(folder, "original.npz"), Path(folder, "mutant.npz")]
        for save, path in zip((serialization.save, mutant), files):
            save(path, model, adam)
        with np.load(files[0]) as original, np.load(files[1]) as mutated:
            assert original.files == mutated.files
            for key in original.files:
                assert original[key].dtype == mutated[key].dtype, key
                np.testing.assert_array_equal(original[key], mutated[key])
        for path in files:
            sn.load(path, model, adam)


def main() -> None:
    for function in PROBES:
        function()
        print(f"identical: {function.__name__}")
    print(f"{len(PROBES)} probes, every mutant behaves as the original")


if __name__ == "__main__":
    main()
