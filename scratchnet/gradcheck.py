"""Gradient checking: compare a hand-written backward pass with finite differences.

For a scalar function f of an array x, the central difference

    D(h)[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)  =  df/dx[i] + c h^2 + O(h^4)

has error O(h^2), against O(h) for a one-sided difference. Two of them cancel the h^2
term (Richardson extrapolation):

    df/dx[i]  ~=  (4 D(h)[i] - D(2h)[i]) / 3,        error O(h^4).

Why not the plain D(h)? Some gradient entries are legitimately tiny. D(h) needs h ~ 1e-6
to keep its h^2 error small, and then the rounding of f (~1e-16 / 1e-6 = 1e-10) already
exceeds 1e-8 of such an entry; the fourth-order formula is accurate at h = 1e-3.

For y = f(x) and an upstream gradient dL_dy (what backward receives), backward returns
dL/dx[i] = sum_k dL_dy[k] * dy[k]/dx[i], so each D(h) becomes
sum_k dL_dy[k] * (f(x + h e_i) - f(x - h e_i))[k] / (2h). Subtracting the outputs
*before* summing keeps rounding small (entries that do not depend on x[i] cancel
exactly), and a random dL_dy lets no mistake hide behind a symmetric sum.

An entry passes when |a - b| / max(|a| + |b|, floor) <= tolerance: a relative
tolerance, with an absolute floor below which a difference is rounding. Step, tolerance
and floor are per dtype (``PRECISIONS``; the measurements behind them are in
docs/tour.md), and a module is checked at the coarsest dtype among x, its parameters and
every output its forward makes (a Sequential's, module by module).

Kinks. A step across a kink (ReLU's at 0) measures neither side's slope. Two signs give
it away: D(h) and D(2h) disagree (a smooth f keeps them within ~h^2), or the one-sided
slopes at step h disagree by more than a tenth (x sits on the kink). A tensor whose
every failing entry shows one is "inconclusive", never passed.

A gradient that cannot be compared fails with a sentence (``doors.for_gradcheck``).
``python -m scratchnet.gradcheck`` is in ``scratchnet.commands``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

import numpy as np

from scratchnet.doors import for_gradcheck as door
from scratchnet.doors.values import as_float_array, as_generator
from scratchnet.layers import Module, ReLU, Sequential


@dataclass(frozen=True)
class Precision:
    """Step h; an entry passes when |a - b| / max(|a| + |b|, floor) <= tolerance; a step
    crossed a kink where D(h) and D(2h) differ by more than ``kink``, relative."""

    step: float
    tolerance: float
    floor: float
    kink: float


PRECISIONS = {
    np.dtype(np.float64): Precision(step=1e-3, tolerance=1e-7, floor=1e-12, kink=1e-4),
    np.dtype(np.float32): Precision(step=1e-2, tolerance=1e-2, floor=1e-2, kink=1e-2),
}
FLOAT64 = PRECISIONS[np.dtype(np.float64)]
ONE_SIDED_KINK = 0.1  # how far a smooth f's one-sided slopes at x never are apart
KINK_MARGIN = 0.05  # how far inputs_away_from_kinks keeps every ReLU input from 0


def relative_error(a, b, floor: float = 1e-12) -> np.ndarray:
    """Elementwise |a - b| / max(|a| + |b|, floor): 0 where both are 0, never a division by 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)


def max_relative_error(a, b) -> float:
    """The worst elementwise relative error between two arrays of the same shape."""
    door.require_same_shape(a, b)
    return float(np.max(relative_error(a, b), initial=0.0))


def _central_differences(evaluate, x: np.ndarray, combine, precision: Precision):
    """Estimate d(evaluate)/dx for each entry of ``x``, perturbing it in place and restoring it.

    Returns the extrapolated estimate and where a step seems to have crossed a kink.
    ``combine(f_a, f_b)`` turns two evaluations into a difference; each is divided by
    the step actually taken, as x's dtype stored it, so x + step's rounding drops out.
    """
    flat_x = x.flat  # writing into it perturbs x itself, whatever x's memory layout
    f_x, h = evaluate(), precision.step
    # [step h or 2h, rising or falling side, entry]: f(x + s) - f(x), f(x) - f(x - s), and s
    rises, runs = np.zeros((2, 2, x.size)), np.zeros((2, 2, x.size))
    for i in range(x.size):
        original = float(flat_x[i])  # float64, in which the steps taken are exact
        for s, step in enumerate((h, 2 * h)):
            flat_x[i] = original + step
            rises[s, 0, i], runs[s, 0, i] = combine(evaluate(), f_x), float(flat_x[i]) - original
            flat_x[i] = original - step
            rises[s, 1, i], runs[s, 1, i] = combine(f_x, evaluate()), original - float(flat_x[i])
            flat_x[i] = original
    d_h, d_2h = rises.sum(axis=1) / runs.sum(axis=1)
    kink = near_kink(d_h, d_2h, *(rises[0] / runs[0]), precision)
    return ((4 * d_h - d_2h) / 3).reshape(x.shape), kink.reshape(x.shape)


def near_kink(d_h, d_2h, right, left, precision: Precision) -> np.ndarray:
    """Where D(h) and D(2h), or the one-sided slopes at step h, disagree too much for a
    smooth function: a step crossed a kink there."""
    return (relative_error(d_h, d_2h, precision.floor) > precision.kink) | (
        relative_error(right, left, precision.floor) > ONE_SIDED_KINK
    )


def numerical_gradient(f, x, h: float = FLOAT64.step) -> np.ndarray:
    """Numerical gradient of a scalar function ``f`` at ``x`` (any shape, copied), in float64."""
    x = np.array(x, dtype=np.float64)
    return _central_differences(lambda: float(f(x)), x, np.subtract, replace(FLOAT64, step=h))[0]


def numerical_vjp(f, x, grad_output, h: float = FLOAT64.step) -> np.ndarray:
    """Numerical dL/dx[i] = sum_k dL_dy[k] * dy[k]/dx[i] for y = f(x), x copied, in float64."""
    x = np.array(x, dtype=np.float64)
    return _vjp_in_place(lambda: f(x), x, grad_output, replace(FLOAT64, step=h))[0]


def _vjp_in_place(evaluate, x: np.ndarray, grad_output, precision: Precision):
    """``numerical_vjp`` for an ``evaluate()`` that reads ``x``, perturbed in place, itself;
    returns the estimate and where a kink is suspected."""
    grad_output = np.asarray(grad_output, dtype=np.float64)
    return _central_differences(
        lambda: np.array(evaluate(), dtype=np.float64),
        x,
        lambda y_a, y_b: float(np.sum((y_a - y_b) * grad_output)),
        precision,
    )


@dataclass(frozen=True)
class TensorCheck:
    """One tensor's check: status "pass", "FAIL" or "inconclusive" (every failing entry
    sits where a step crossed a kink); ``error`` is inf where there was nothing to
    compare, so no ``<`` lets it through. See docs/tour.md for every field."""

    tensor: str
    error: float
    tolerance: float
    status: str
    dtype: str = "float64"
    detail: str = ""
    dtype_set_by: str = ""


def coarsest(*dtypes) -> tuple[str, Precision]:
    """The coarsest floating dtype among these (others are ignored), and its precision."""
    floats = [dtype for dtype in map(np.dtype, dtypes) if dtype.kind == "f"]
    dtype = max(floats, key=lambda each: np.finfo(each).eps)
    door.require_checkable(dtype, PRECISIONS)
    return dtype.name, PRECISIONS[dtype]


def check_gradients(module: Module, x, *, rng=None) -> list[TensorCheck]:
    """Check ``module.backward`` against finite differences, for its input and every parameter.

    One row per tensor ("input", "weight", "0.bias", ...), with a random dL_dy ~ N(0, 1)
    drawn from ``rng``. A failing Sequential's first failing row names its first module
    that fails on its own. The module is left as after ``forward(x)`` and ``backward``.
    """
    rng = as_generator(rng)
    x = door.module_input(module, x)
    untouched, y = x.copy(), module.forward(x)
    dtype, precision, set_by = coarsest_met(module, x)
    if modified := door.forward_modified(x, untouched):
        return [_failed("input", modified, precision, dtype, set_by)]
    dL_dy = rng.standard_normal(y.shape).astype(y.dtype)
    rows = _compared(module, x, dL_dy, precision, dtype)
    rows = [replace(row, dtype_set_by=set_by) for row in rows]
    failing = [i for i, row in enumerate(rows) if row.status == "FAIL"]
    if isinstance(module, Sequential) and failing:  # said once, on the first failing row
        culprit = first_failing_module(module, x, rng=rng)
        rows[failing[0]] = replace(rows[failing[0]], detail=f"{rows[failing[0]].detail}; {culprit}")
    module.forward(x)
    door.backward_of(module, dL_dy.copy())
    return rows


def _compared(module: Module, x, dL_dy, precision: Precision, dtype: str) -> list[TensorCheck]:
    """The rows of x and of each parameter: what backward gives, once the door has let it
    through, against finite differences with the upstream gradient dL_dy."""
    params = module.named_parameters()
    handed = dL_dy.copy()  # backward may write into it; the finite differences use dL_dy
    returned, stopped = door.backward_of(module, handed)
    if stopped:  # a Sequential named the module that broke the chain: nothing to compare
        said = [("input", stopped)] + [(name, door.UNFINISHED) for name, _ in params]
        return [_failed(name, sentence, precision, dtype) for name, sentence in said]
    wrong = door.what_backward_got_wrong(returned, x, params, dL_dy, handed,
                                         own_dtypes=not isinstance(module, Sequential))  # fmt: skip
    analytic = {"input": returned} | {name: param.grad for name, param in params}
    rows = []
    for name, array in [("input", x)] + [(name, param.data) for name, param in params]:
        if name in wrong:
            rows.append(_failed(name, wrong[name], precision, dtype))
        else:
            estimate = _vjp_in_place(lambda: module.forward(x), array, dL_dy, precision)
            rows.append(_tensor_check(name, analytic[name], precision, dtype, *estimate))
    return rows


def _failed(name: str, sentence: str, precision: Precision, dtype: str, set_by="") -> TensorCheck:
    """The row of a tensor with nothing to compare: a FAIL, its error inf (see TensorCheck)."""
    return TensorCheck(name, np.inf, precision.tolerance, "FAIL", dtype, sentence, set_by)


def coarsest_met(module: Module, x: np.ndarray) -> tuple[str, Precision, str]:
    """The coarsest dtype that enters ``module.forward(x)`` (x, each parameter, each
    output), its precision, and where it first entered: "" when all are one dtype."""
    met = [("the input", x.dtype)]
    met += [(f"parameter {name}", param.data.dtype) for name, param in module.named_parameters()]
    met += [(where, y.dtype) for where, y in forward_outputs(module, x)]
    dtype, precision = coarsest(*(each for _, each in met))
    mixed = len({each for _, each in met}) > 1
    return dtype, precision, next(where for where, each in met if each == dtype) if mixed else ""


def forward_outputs(module: Module, x, path: tuple[int, ...] = ()) -> list[tuple[str, np.ndarray]]:
    """Each output ``module.forward(x)`` makes, by where: a Sequential's module by module
    (nested ones too), so that a float32 module among float64 ones is seen."""
    if not isinstance(module, Sequential):
        where = f"the output of module {'.'.join(map(str, path))}" if path else "the output"
        return [(where, module.forward(x))]
    outputs = []
    for index, inner in enumerate(module):
        outputs += forward_outputs(inner, x, (*path, index))
        x = outputs[-1][1]
    return outputs


def first_failing_module(model: Sequential, x, *, rng=None) -> str:
    """The first module of ``model`` to fail a check on its own, at the input the modules
    before it give it, or a sentence saying none does."""
    for index, module in enumerate(model):
        if any(row.status == "FAIL" for row in check_gradients(module, x, rng=rng)):
            return f"module {index}, {module!r}, is the first to fail on its own"
        x = module.forward(x)
    return "no module fails on its own: check how the model chains them"


def check_module(module: Module, x, *, rng=None) -> dict[str, float]:
    """The worst relative error of each tensor, as ``check_gradients`` measures it."""
    return {row.tensor: row.error for row in check_gradients(module, x, rng=rng)}


def _tensor_check(name, analytic, precision: Precision, dtype, estimate, kink) -> TensorCheck:
    """The row of one tensor: its worst error, its status and, unless it passed, why not.

    An entry passes on positive evidence only: a finite error within the tolerance. A NaN
    error (``nan > tolerance`` is False) counts as infinitely wrong.
    """
    with np.errstate(invalid="ignore"):  # inf - inf: NaN, and NaN is failed below
        errors = relative_error(analytic, estimate, precision.floor)
    errors = np.where(np.isnan(errors), np.inf, errors)
    failing = ~(errors <= precision.tolerance)
    decisive = failing & ~kink  # failing where no step crossed a kink
    row = TensorCheck(name, float(np.max(errors, initial=0.0)), precision.tolerance, "pass", dtype)
    if not failing.any():
        return row
    shown = decisive if decisive.any() else failing  # the worst entry that decided it
    at = np.unravel_index(np.argmax(np.where(shown, errors, -1)), errors.shape)
    if not decisive.any():
        where = f"at {list(map(int, at))} the finite differences disagree, as across a kink"
        return replace(row, status="inconclusive", detail=where)
    values = f"backward gives {np.asarray(analytic)[at]:.6g}, finite differences {estimate[at]:.6g}"
    return replace(row, status="FAIL", detail=f"at {list(map(int, at))} {values}")


def inputs_away_from_kinks(model: Sequential, rng, n: int, margin: float = KINK_MARGIN):
    """``n`` standard-normal rows of input whose every ReLU input is at least ``margin``
    from 0: rows are drawn in bulk, and those that come near a kink are rejected."""
    in_features = model.input_module.in_features
    kept = np.empty((0, in_features))
    for _ in range(100):  # bounded: some models have a unit that never leaves its kink
        x = activations = rng.standard_normal((4 * n, in_features))
        far_from_kink = np.ones(len(x), dtype=bool)
        for module in model.modules:
            if isinstance(module, ReLU):
                far_from_kink &= (np.abs(activations) > margin).all(axis=1)
            activations = module.forward(activations)
        kept = np.concatenate([kept, x[far_from_kink]])
        if len(kept) >= n:
            break
    door.require_enough_inputs(kept, n, margin)
    return kept[:n]


def check_loss(loss_fn, inputs, y, *, rng=None) -> list[TensorCheck]:
    """Check a loss's ``backward`` against finite differences of ``loss_fn(inputs, y)``,
    with a random upstream gradient (an array for reduction "none") drawn from ``rng``:
    one row, for dL/d(input), as in ``check_gradients``."""
    rng = as_generator(rng)
    inputs = as_float_array(inputs, "inputs")
    dtype, precision = coarsest(inputs.dtype)
    door.require_room_for_steps(loss_fn, inputs, 2 * precision.step)
    tensor = f"dL/d{loss_fn.input_name}"
    value = loss_fn(inputs, y)
    upstream = rng.standard_normal(np.shape(value)) if np.ndim(value) else rng.standard_normal()
    handed = np.copy(upstream) if np.ndim(value) else upstream  # backward may write into it
    analytic = loss_fn.backward(handed)
    wrong = door.what_backward_got_wrong(analytic, inputs, [], upstream, handed,
                                         own_dtypes=True, x_name=loss_fn.input_name)  # fmt: skip
    if wrong:
        row = _failed(tensor, wrong["input"], precision, dtype)
    else:
        estimate = _vjp_in_place(lambda: loss_fn(inputs, y), inputs, upstream, precision)
        row = _tensor_check(tensor, analytic, precision, dtype, *estimate)
    loss_fn(inputs, y)  # leave the loss's cache as for inputs
    return [row]


if __name__ == "__main__":  # python -m scratchnet.gradcheck: the command lives beside the lesson
    from scratchnet.commands.gradcheck_command import main

    sys.exit(main())
