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

Step and tolerance per dtype (``PRECISIONS``). A module is checked in the dtype it
computes in, and an entry passes when |a - b| / max(|a| + |b|, floor) <= tolerance: a
relative tolerance, with an absolute floor below which a difference is rounding.
* float64: h = 1e-3, tolerance 1e-7 (CS231n's bound for a whole network), floor 1e-12.
  Measured: layers ~1e-12, the 2-16-8-1 network below 1e-8 (plain D(1e-6): 1e-6).
* float32: h = 1e-2, tolerance 1e-2, floor 1e-2; h balances rounding (6e-8 of each
  output, divided by h) against curvature. Worst error over 20 seeds: tanh, sigmoid, Linear
  3e-4; BCE and focal loss, on p or logits, 3e-4; a 3-8-1 tanh network 1e-3; the
  2-16-8-1 ReLU network 3e-3, where entries near 1e-3 are off by 2e-5 (hence the floor).
  At h = 5e-3 rounding takes the network to 5e-3; at h = 2e-2 steps cross ReLU's kink.
  A wrong backward (tanh's 1 - y for 1 - y^2, sigmoid's p^2 for p q, a lost transpose)
  is off by 0.9 or more.

Kinks. A step across a kink (ReLU's at 0) measures neither side's slope. Two signs give
it away: D(h) and D(2h) disagree (a smooth f keeps them within ~h^2), or the one-sided
slopes at step h disagree by more than a tenth (x sits on the kink). A tensor whose
every failing entry shows one is "inconclusive", never passed.

``python -m scratchnet.gradcheck`` checks every layer, every loss and the article's
network; ``python -m scratchnet.gradcheck mylayers:Tanh`` checks a module of your own (a
class built with no arguments, or a function returning a module), drawing new inputs
up to ``RETRIES`` times while a check is inconclusive. Exit status: 0 when every tensor
passes, 1 when one fails, 3 when none fails but one is inconclusive, 2 for bad arguments
or a module that cannot be loaded or run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from dataclasses import dataclass, replace

import numpy as np

from scratchnet.doors.values import as_float_array, as_generator, require_instance
from scratchnet.layers import Linear, Module, ReLU, Sequential, Sigmoid, Tanh
from scratchnet.losses import BCELoss, BCEWithLogitsLoss, FocalLoss, FocalLossWithLogits


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
RETRIES = 3  # new inputs the command draws for a check that came out inconclusive


def relative_error(a, b, floor: float = 1e-12) -> np.ndarray:
    """Elementwise |a - b| / max(|a| + |b|, floor): 0 where both are 0, never a division by 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)


def max_relative_error(a, b) -> float:
    """The worst elementwise relative error between two arrays of the same shape."""
    if np.shape(a) != np.shape(b):
        raise ValueError(f"a and b must have the same shape, got {np.shape(a)} and {np.shape(b)}")
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
    """One tensor's check: its worst relative error and what that means. status: "pass",
    "FAIL", or "inconclusive" (every entry off by more sits where a step crossed a kink,
    so the error proves nothing); ``detail`` says why a tensor did not pass."""

    tensor: str
    error: float
    tolerance: float
    status: str
    dtype: str = "float64"
    detail: str = ""


def coarsest(*dtypes) -> tuple[str, Precision]:
    """The coarsest floating dtype among these (others are ignored), and its precision."""
    floats = [dtype for dtype in map(np.dtype, dtypes) if dtype.kind == "f"]
    dtype = max(floats, key=lambda each: np.finfo(each).eps)
    if dtype not in PRECISIONS:
        raise TypeError(f"gradient checks know float64 and float32, not {dtype}")
    return dtype.name, PRECISIONS[dtype]


def check_gradients(module: Module, x, *, rng=None) -> list[TensorCheck]:
    """Check ``module.backward`` against finite differences, for its input and every parameter.

    ``module(x)`` checks x; x is then converted to the module's dtype (float64 if it
    declares none), and the coarsest dtype of x, the output and the parameters sets the
    step and tolerance. A random dL_dy ~ N(0, 1), of the output's shape and dtype, is
    drawn from ``rng``. One row per tensor: "input", then each parameter ("weight",
    "0.bias", ...); a forward that writes into its input fails at once, and a failing
    Sequential's first failing row names its first module that fails on its own. The
    module is left as after ``forward(x)`` and ``backward(dL_dy)``, parameters unchanged.
    """
    require_instance(module, Module, "module", "a scratchnet Module (a layer or a model); "
                     "check a loss with check_loss")  # fmt: skip
    rng = as_generator(rng)
    module(x.copy() if isinstance(x, np.ndarray) else x)  # the front door's checks of x
    x = np.array(x, dtype=module.input_module.dtype or np.float64)
    params = module.named_parameters()
    untouched, y = x.copy(), module.forward(x)
    dtype, precision = coarsest(x.dtype, y.dtype, *(param.data.dtype for _, param in params))
    if not np.array_equal(x, untouched):
        return [TensorCheck("input", np.nan, precision.tolerance, "FAIL", dtype,
                            "forward modified its input")]  # fmt: skip
    dL_dy = rng.standard_normal(y.shape).astype(y.dtype)
    analytic = {"input": module.backward(dL_dy)} | {name: p.grad for name, p in params}
    rows = [
        _tensor_check(name, analytic[name], precision, dtype,
                      *_vjp_in_place(lambda: module.forward(x), array, dL_dy, precision))
        for name, array in [("input", x)] + [(name, param.data) for name, param in params]
    ]  # fmt: skip
    failed = [i for i, row in enumerate(rows) if row.status == "FAIL"]
    if isinstance(module, Sequential) and failed:  # said once, on the first failing row
        culprit = first_failing_module(module, x, rng=rng)
        rows[failed[0]] = replace(rows[failed[0]], detail=f"{rows[failed[0]].detail}; {culprit}")
    module.forward(x)
    module.backward(dL_dy)
    return rows


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
    """The row of one tensor: its worst error, its status and, unless it passed, why not."""
    errors = relative_error(analytic, estimate, precision.floor)
    failing = errors > precision.tolerance
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
            return kept[:n]
    raise ValueError(
        f"found only {len(kept)} of {n} inputs whose every ReLU input is {margin} or more "
        "from 0 (a unit whose input never strays that far, say); try a smaller margin"
    )


def check_loss(loss_fn, inputs, y, *, rng=None) -> list[TensorCheck]:
    """Check a loss's ``backward`` against finite differences of ``loss_fn(inputs, y)``,
    with a random upstream gradient (an array for reduction "none") drawn from ``rng``,
    in float32 for float32 inputs and float64 otherwise (integers too, as the losses
    convert them). One row, for dL/d(input). Probabilities must stay 2h from 0 and 1,
    where the steps would leave [0, 1]."""
    rng = as_generator(rng)
    inputs = as_float_array(inputs, "inputs")
    dtype, precision = coarsest(inputs.dtype)
    reach = 2 * precision.step
    if loss_fn.input_name == "p" and ((inputs < reach) | (inputs > 1 - reach)).any():
        raise ValueError(
            f"inputs must lie in [{reach:g}, {1 - reach:g}] to check a loss on probabilities: "
            f"the finite-difference steps reach {reach:g} either way and must stay in [0, 1]"
        )
    value = loss_fn(inputs, y)
    upstream = rng.standard_normal(np.shape(value)) if np.ndim(value) else rng.standard_normal()
    analytic = loss_fn.backward(upstream)
    estimate = _vjp_in_place(lambda: loss_fn(inputs, y), inputs, upstream, precision)
    loss_fn(inputs, y)  # leave the loss's cache as for inputs
    return [_tensor_check(f"dL/d{loss_fn.input_name}", analytic, precision, dtype, *estimate)]


def check_drawn(check, draw) -> list[TensorCheck]:
    """``check(draw())``, drawn again up to ``RETRIES`` times while it is inconclusive."""
    for _ in range(RETRIES):
        rows = check(draw())
        statuses = {row.status for row in rows}
        if "inconclusive" not in statuses or "FAIL" in statuses:
            return rows
    return check(draw())


def format_table(checks: dict[str, list[TensorCheck]]) -> str:
    """The checks as a table, then the step and tolerance of each dtype, and what failed."""
    width = max(len("checked"), *map(len, checks)) + 2
    header = f"{'checked':<{width}}{'tensor':<12}{'dtype':<9}{'worst rel. error':>18}"
    lines = [f"{header}{'tolerance':>11}  result"]
    rows = [(what, row) for what, each in checks.items() for row in each]
    lines += [
        f"{what:<{width}}{row.tensor:<12}{row.dtype:<9}{row.error:>18.2e}"
        f"{row.tolerance:>11.0e}  {row.status}"
        for what, row in rows
    ]
    for dtype in sorted({row.dtype for _, row in rows}, reverse=True):
        p = PRECISIONS[np.dtype(dtype)]
        lines.append(f"{dtype}: step h = {p.step:g}, tolerance {p.tolerance:g} on "
                     f"|a - b| / max(|a| + |b|, {p.floor:g})")  # fmt: skip
    return "\n".join(lines + [f"{what}, {row.tensor}: {row.detail}" for what, row in rows
                              if row.detail])  # fmt: skip


def scratchnet_checks(seed: int = 0) -> dict[str, list[TensorCheck]]:
    """Every layer, every loss and the article's 2-16-8-1 network, checked."""
    rng = np.random.default_rng(seed)
    network = Sequential(
        Linear(2, 16, rng=rng), ReLU(), Linear(16, 8, rng=rng), ReLU(),
        Linear(8, 1, rng=rng), Sigmoid(),
    )  # fmt: skip
    layers = {
        "Linear(3, 4)": Linear(3, 4, rng=rng),
        "Linear(3, 4, float32)": Linear(3, 4, rng=rng, dtype=np.float32),
        "ReLU()": ReLU(), "Sigmoid()": Sigmoid(), "Tanh()": Tanh(),
    }  # fmt: skip
    checks = {name: _drawn(layer, lambda: rng.standard_normal((5, 3)), rng)
              for name, layer in layers.items()}  # fmt: skip
    away = lambda: inputs_away_from_kinks(network, rng, 20)  # noqa: E731
    checks["the article's network, 2-16-8-1"] = _drawn(network, away, rng)
    p = lambda: rng.uniform(0.1, 0.9, size=(16, 1))  # noqa: E731  well inside the clamp
    logits = lambda: rng.uniform(-2, 2, size=(16, 1))  # noqa: E731
    y = np.tile([[0.0], [1.0]], (8, 1))
    for name, loss, draw in [
        ("BCELoss()", BCELoss(), p),
        ("BCELoss(pos_weight=8.3)", BCELoss(pos_weight=8.3), p),
        ("FocalLoss(), the article's", FocalLoss(), p),
        ("FocalLoss(0.75, alpha_mode='per_class')", FocalLoss(0.75, alpha_mode="per_class"), p),
        ("BCEWithLogitsLoss()", BCEWithLogitsLoss(), logits),
        ("BCEWithLogitsLoss(pos_weight=8.3)", BCEWithLogitsLoss(pos_weight=8.3), logits),
        ("FocalLossWithLogits()", FocalLossWithLogits(), logits),
    ]:
        checks[name] = check_drawn(lambda p, loss=loss: check_loss(loss, p, y, rng=rng), draw)
    return checks


def _drawn(module: Module, draw, rng) -> list[TensorCheck]:
    return check_drawn(lambda x: check_gradients(module, x, rng=rng), draw)


def module_checks(target: str, seed: int = 0) -> dict[str, list[TensorCheck]]:
    """Check the module named by ``target``, "package.module:Name": a Module, a Module
    class built with no arguments, or a function that returns a Module. Its input is 5
    standard normal rows of its ``in_features`` columns (3 when it declares none)."""
    module_name, _, attribute = target.partition(":")
    if not (module_name and attribute):
        raise ValueError(f"target must be package.module:Name, got {target!r}")
    try:
        found = getattr(importlib.import_module(module_name), attribute, None)
    except Exception as error:  # a learner's file: a SyntaxError, or any error it raises
        raise ValueError(f"cannot import {module_name}: {_where(error)}") from None
    if found is None:
        raise ValueError(f"target {target!r}: {module_name} has no {attribute}")
    try:
        module = found if isinstance(found, Module) or not callable(found) else found()
    except Exception as error:
        raise ValueError(f"target {target!r} cannot be built with no arguments: "
                         f"{_where(error)}") from None  # fmt: skip
    require_instance(module, Module, f"target {target!r}", "a scratchnet Module")
    rng = np.random.default_rng(seed)
    width = module.input_module.in_features or 3
    return {target: _drawn(module, lambda: rng.standard_normal((5, width)), rng)}


def _where(error: BaseException) -> str:
    """The error as one sentence, with the file and line of yours it was raised at."""
    if isinstance(error, SyntaxError):
        return f"SyntaxError: {error.msg} ({error.filename}, line {error.lineno})"
    yours = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__]
    where = f" ({yours[-1].filename}, line {yours[-1].lineno})" if yours else ""
    return f"{type(error).__name__}: {error}{where}"


def main(argv=None) -> int:
    """``python -m scratchnet.gradcheck [package.module:Name ...]``; the docstring's statuses."""
    parser = argparse.ArgumentParser(
        prog="python -m scratchnet.gradcheck",
        description="Check hand-written backward passes against finite differences.",
    )
    parser.add_argument(
        "targets",
        nargs="*",
        help="modules of your own, as package.module:Name "
        "(default: every scratchnet layer and loss, and the article's network)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs (default 0)")
    args = parser.parse_args(argv)
    checks = {}
    for target in args.targets:
        try:
            checks.update(module_checks(target, args.seed))
        except (NotImplementedError, TypeError, ValueError) as error:  # a sentence already
            parser.error(f"{target}: {error}")  # one line and exit status 2, as for a bad flag
        except Exception as error:  # anything else a learner's code raised
            parser.error(f"{target}: {_where(error)}")
    checks = checks or scratchnet_checks(args.seed)
    print(format_table(checks))
    statuses = [row.status for rows in checks.values() for row in rows]
    if "inconclusive" in statuses:
        print("inconclusive: a finite-difference step crossed a kink (ReLU's at 0, say), so "
              "that error proves nothing either way; try other inputs (--seed)")  # fmt: skip
    passed, failed, unsure = map(statuses.count, ("pass", "FAIL", "inconclusive"))
    print(f"{passed} passed, {failed} failed, {unsure} inconclusive")
    return 1 if failed else 3 if unsure else 0


if __name__ == "__main__":
    sys.exit(main())
