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
from pathlib import Path

import numpy as np

from scratchnet import _checks, losses, training

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
def losses_log_floor_default_weight():
    """losses.py, ``def _log_floor(dtype, w: float = 1.0)``: default 1.0 -> 2.0 (or 0.0).

    Every call passes w, so the default is never used."""
    calls = calls_of(losses, "_log_floor")
    assert calls and all(len(call.args) == 2 for call in calls)


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
def checks_number_contains_is_only_negated():
    """_checks.py, ``Number._contains``: ``return False`` -> ``return None``;
    ``return bool(np.isfinite(value))`` and ``return bool(value <= self.high ...)`` with
    ``bool(...)`` removed.

    ``_contains`` is private and read in one place only, ``if not self._contains(value)``,
    where None and False, and np.bool_ and bool, take the same branch."""
    assert reads_of(_checks, "_contains") == (1, 1)
    for value in (np.float64(np.inf), 1e400, 0.5, np.nan, -1.0):
        assert (not np.isfinite(value)) == (not bool(np.isfinite(value)))
        assert (not np.float64(value) <= 1.0) == (not bool(np.float64(value) <= 1.0))
    assert (not None) is (not False)


@probe
def training_has_diverged_from_one_epoch():
    """training.py, ``return len(history) >= 2 and history[-1] > history[0]``: 2 -> 1.

    With one epoch, history[-1] is history[0], never above itself (NaN included); with
    none, both versions stop at the length test; with two or more they read alike."""
    for history in ([], [0.7], [np.nan], [np.inf], [0.7, 0.9], [0.9, 0.7], [0.5, np.nan]):
        mutant = len(history) >= 1 and history[-1] > history[0]
        assert training.has_diverged(history) == mutant


def main() -> None:
    for function in PROBES:
        function()
        print(f"identical: {function.__name__}")
    print(f"{len(PROBES)} probes, every mutant behaves as the original")


if __name__ == "__main__":
    main()
