"""Gradient checking: compare a hand-written backward pass with finite differences.

For a scalar function f of an array x, the central difference

    D(h)[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)  =  df/dx[i] + c h^2 + O(h^4)

has error O(h^2), against O(h) for a one-sided difference. Its leading error term is
known up to the constant c, so two central differences cancel it (Richardson
extrapolation):

    df/dx[i]  ~=  (4 D(h)[i] - D(2h)[i]) / 3,        error O(h^4).

That is what this module computes. Why not the plain D(h)? The check compares each
entry of the gradient, and some entries are legitimately tiny (a hidden unit barely
active, paths that nearly cancel). D(h) needs h ~ 1e-6 to keep its h^2 error small, and
then the rounding of f itself (~1e-16 / 1e-6 = 1e-10) already exceeds 1e-8 of such an
entry. The fourth-order formula is accurate at h = 1e-3, where rounding costs only
~1e-13. Measured on the 2-16-8-1 network: plain D(1e-6) reaches relative errors near
1e-6, the extrapolation stays below 1e-8.

For an array-valued function y = f(x) and an upstream gradient dL_dy (what backward
receives), backward must return the vector-Jacobian product

    dL/dx[i] = sum_k dL_dy[k] * dy[k]/dx[i],

so each D(h) becomes sum_k dL_dy[k] * (f(x + h e_i) - f(x - h e_i))[k] / (2h).
Subtracting the two outputs elementwise *before* summing keeps rounding small: entries
of y that do not depend on x[i] cancel exactly. A random upstream gradient (rather than
all ones) makes sure no mistake can hide behind a symmetric sum.

Rules for a meaningful check: float64 throughout (in float32, rounding swamps the
difference), and no ReLU input within reach of its kink at 0: perturbing an entry by up
to 2h moves each ReLU input it feeds by up to 2h times the weights and inputs along the
way, and a difference across the kink measures neither side's slope.
``inputs_away_from_kinks`` draws inputs that keep every ReLU input at least 0.05 from 0.

Kinks are also recognised after the fact. Where f is smooth, D(h) and D(2h) agree to
O(h^2); where a step crossed a kink they do not, and that entry's estimate cannot be
trusted either way. ``check_gradients`` reports such a tensor as "near a kink" rather
than as a failure.

From the command line, ``python -m scratchnet.gradcheck`` checks every layer, every loss
and the article's 2-16-8-1 network, prints a table and exits with status 1 on a failure;
``python -m scratchnet.gradcheck mypackage.mymodule:Tanh`` checks a module of your own
(a class built with no arguments, or a function returning a module).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratchnet._checks import as_generator, require_instance
from scratchnet.layers import Linear, Module, ReLU, Sequential, Sigmoid
from scratchnet.losses import BCELoss, BCEWithLogitsLoss, FocalLoss, FocalLossWithLogits

DEFAULT_STEP = 1e-3
TOLERANCE = 1e-7  # CS231n's bound for a whole network; a single layer does far better
KINK_MARGIN = 0.05  # how far inputs_away_from_kinks keeps every ReLU input from 0
# D(h) and D(2h) of a smooth function agree to about h^2 = 1e-6 relative; this much
# disagreement means a step crossed a kink.
KINK_DISAGREEMENT = 1e-4


def relative_error(a, b) -> np.ndarray:
    """Elementwise |a - b| / max(|a| + |b|, 1e-12): 0 where both are 0, never a division by 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)


def max_relative_error(a, b) -> float:
    """The worst elementwise relative error between two arrays of the same shape."""
    if np.shape(a) != np.shape(b):
        raise ValueError(f"a and b must have the same shape, got {np.shape(a)} and {np.shape(b)}")
    return float(np.max(relative_error(a, b), initial=0.0))


def _central_differences(
    evaluate: Callable[[], object],
    x: np.ndarray,
    combine: Callable[[object, object], float],
    h: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Estimate d(evaluate)/dx for each entry of ``x``, perturbing it in place and restoring it.

    Returns the extrapolated estimate and, per entry, how far D(h) and D(2h) disagree
    (relative), which is large only where a step crossed a kink. ``combine(f_plus,
    f_minus)`` turns two evaluations into the numerator of D(step). The denominator is
    the step actually taken, (x + step) - (x - step) as stored in floating point, which
    removes the rounding of x + step from the estimate.
    """
    flat_x = x.reshape(-1)  # a view: writing into it perturbs x itself
    d_h, d_2h = np.zeros(x.size), np.zeros(x.size)

    def central_difference(i: int, step: float) -> float:
        original = flat_x[i]
        flat_x[i] = original + step
        x_plus, f_plus = flat_x[i], evaluate()
        flat_x[i] = original - step
        x_minus, f_minus = flat_x[i], evaluate()
        flat_x[i] = original
        return combine(f_plus, f_minus) / (x_plus - x_minus)

    for i in range(flat_x.size):
        d_h[i], d_2h[i] = central_difference(i, h), central_difference(i, 2 * h)
    estimate = (4 * d_h - d_2h) / 3
    return estimate.reshape(x.shape), relative_error(d_h, d_2h).reshape(x.shape)


def numerical_gradient(f: Callable[[np.ndarray], float], x, h: float = DEFAULT_STEP) -> np.ndarray:
    """Numerical gradient of a scalar function ``f`` at ``x`` (any shape), in float64.

    ``x`` is copied; the caller's array is left untouched.
    """
    x = np.array(x, dtype=np.float64)
    return _central_differences(lambda: float(f(x)), x, lambda fp, fm: fp - fm, h)[0]


def numerical_vjp(
    f: Callable[[np.ndarray], np.ndarray], x, grad_output, h: float = DEFAULT_STEP
) -> np.ndarray:
    """Numerical dL/dx[i] = sum_k dL_dy[k] * dy[k]/dx[i] for y = f(x) and dL_dy of y's shape.

    ``x`` is copied; the caller's array is left untouched.
    """
    x = np.array(x, dtype=np.float64)
    return _vjp_in_place(lambda: f(x), x, grad_output, h)[0]


def _vjp_in_place(evaluate: Callable[[], np.ndarray], x: np.ndarray, grad_output, h: float):
    """``numerical_vjp`` for an ``evaluate()`` that reads ``x`` (perturbed in place) itself;
    returns the estimate and the D(h)/D(2h) disagreement."""
    grad_output = np.asarray(grad_output, dtype=np.float64)
    return _central_differences(
        lambda: np.array(evaluate(), dtype=np.float64),
        x,
        lambda y_plus, y_minus: float(np.sum((y_plus - y_minus) * grad_output)),
        h,
    )


@dataclass(frozen=True)
class TensorCheck:
    """One tensor's check: its worst relative error, and what that means.

    status: "pass" (error <= tolerance), "FAIL", or "near a kink": the error is above the
    tolerance only where a finite-difference step crossed a kink, so it proves nothing.
    """

    tensor: str
    error: float
    tolerance: float
    status: str


def check_gradients(
    module: Module, x, *, rng=None, h: float = DEFAULT_STEP, tolerance: float = TOLERANCE
) -> list[TensorCheck]:
    """Check ``module.backward`` against finite differences, for its input and every parameter.

    A random upstream gradient dL_dy ~ N(0, 1) of the output's shape is drawn from ``rng``.
    One row per tensor: ``"input"`` for dL/dx, then each parameter's name (``"weight"``,
    ``"0.bias"``, ...). The module is left as after ``forward(x)`` and ``backward(dL_dy)``
    with its parameters unchanged, so its caches and gradients are those of ``x``.
    """
    require_instance(
        module,
        Module,
        "module",
        "a scratchnet Module (a layer or a model); check a loss with "
        "numerical_gradient(lambda p: loss(p, y), p) against loss.backward()",
    )
    rng = as_generator(rng)
    x = np.array(x, dtype=np.float64)
    named_parameters = module.named_parameters()
    for name, param in named_parameters:
        if param.data.dtype != np.float64:
            raise TypeError(
                f"gradient checks need float64 parameters; {name} is {param.data.dtype}"
            )

    y = module.forward(x)
    dL_dy = rng.standard_normal(y.shape)
    analytic = {"input": module.backward(dL_dy)}
    analytic.update((name, param.grad.copy()) for name, param in named_parameters)

    numerical = {"input": _vjp_in_place(lambda: module.forward(x), x, dL_dy, h)}
    for name, param in named_parameters:
        numerical[name] = _vjp_in_place(lambda: module.forward(x), param.data, dL_dy, h)

    module.forward(x)
    module.backward(dL_dy)
    return [_tensor_check(name, analytic[name], *numerical[name], tolerance) for name in analytic]


def check_module(module: Module, x, *, rng=None, h: float = DEFAULT_STEP) -> dict[str, float]:
    """The worst relative error of each tensor, as ``check_gradients`` measures it."""
    return {row.tensor: row.error for row in check_gradients(module, x, rng=rng, h=h)}


def _tensor_check(name, analytic, estimate, disagreement, tolerance) -> TensorCheck:
    errors = relative_error(analytic, estimate)
    worst = float(np.max(errors, initial=0.0))
    failing = errors > tolerance
    if not failing.any():
        status = "pass"
    elif (disagreement[failing] > KINK_DISAGREEMENT).all():
        status = "near a kink"
    else:
        status = "FAIL"
    return TensorCheck(name, worst, tolerance, status)


def inputs_away_from_kinks(model: Sequential, rng, n: int, margin: float = KINK_MARGIN):
    """``n`` standard-normal rows of input whose every ReLU input is at least ``margin`` from 0.

    Rows are drawn in bulk and those that come near a kink are rejected, so that a
    finite difference never straddles relu's corner.
    """
    in_features = model.input_module.in_features
    kept = np.empty((0, in_features))
    for _ in range(100):  # bounded: some models have a unit that never leaves its kink
        x = rng.standard_normal((4 * n, in_features))
        far_from_kink = np.ones(len(x), dtype=bool)
        activations = x
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


def check_loss(loss_fn, inputs, y, *, rng=None, h: float = DEFAULT_STEP) -> list[TensorCheck]:
    """Check a loss's ``backward`` against finite differences of its ``forward`` at ``inputs``.

    The upstream gradient is a random number (an array of the loss's shape for reduction
    "none"), drawn from ``rng``. One row, for dL/d(input).
    """
    rng = as_generator(rng)
    inputs = np.array(inputs, dtype=np.float64)
    value = loss_fn(inputs, y)
    upstream = rng.standard_normal(np.shape(value)) if np.ndim(value) else rng.standard_normal()
    analytic = loss_fn.backward(upstream)
    estimate = _vjp_in_place(lambda: loss_fn.forward(inputs, y), inputs, upstream, h)
    return [_tensor_check(f"dL/d{loss_fn.input_name}", analytic, *estimate, TOLERANCE)]


def format_table(checks: dict[str, list[TensorCheck]]) -> str:
    """The checks as a table: what was checked, tensor, worst relative error, tolerance."""
    width = max(len("checked"), *map(len, checks)) + 2
    header = f"{'checked':<{width}}{'tensor':<12}{'worst rel. error':>18}{'tolerance':>11}"
    lines = [f"{header}  result"]
    for what, rows in checks.items():
        lines += [
            f"{what:<{width}}{row.tensor:<12}{row.error:>18.2e}{row.tolerance:>11.0e}  {row.status}"
            for row in rows
        ]
    return "\n".join(lines)


def scratchnet_checks(seed: int = 0) -> dict[str, list[TensorCheck]]:
    """Every layer, every loss and the article's 2-16-8-1 network, checked."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((5, 3))
    away_from_zero = np.where(np.abs(x) < KINK_MARGIN, KINK_MARGIN, x)
    p = rng.uniform(0.1, 0.9, size=(16, 1))  # well inside the focal loss's clamp
    logits = rng.uniform(-2, 2, size=(16, 1))
    y = np.tile([[0.0], [1.0]], (8, 1))
    network = Sequential(
        Linear(2, 16, rng=rng), ReLU(), Linear(16, 8, rng=rng), ReLU(),
        Linear(8, 1, rng=rng), Sigmoid(),
    )  # fmt: skip
    checks = {
        "Linear(3, 4)": check_gradients(Linear(3, 4, rng=rng), x, rng=rng),
        "ReLU()": check_gradients(ReLU(), away_from_zero, rng=rng),
        "Sigmoid()": check_gradients(Sigmoid(), x, rng=rng),
    }
    losses = {
        "BCELoss()": (BCELoss(), p),
        "BCELoss(pos_weight=8.3)": (BCELoss(pos_weight=8.3), p),
        "FocalLoss(), the article's": (FocalLoss(), p),
        "FocalLoss(0.75, alpha_mode='per_class')": (
            FocalLoss(alpha=0.75, alpha_mode="per_class"),
            p,
        ),
        "BCEWithLogitsLoss()": (BCEWithLogitsLoss(), logits),
        "BCEWithLogitsLoss(pos_weight=8.3)": (BCEWithLogitsLoss(pos_weight=8.3), logits),
        "FocalLossWithLogits()": (FocalLossWithLogits(), logits),
    }
    checks.update(
        (name, check_loss(loss, inputs, y, rng=rng)) for name, (loss, inputs) in losses.items()
    )
    checks["the article's network, 2-16-8-1"] = check_gradients(
        network, inputs_away_from_kinks(network, rng, 20), rng=rng
    )
    return checks


def module_checks(target: str, seed: int = 0) -> dict[str, list[TensorCheck]]:
    """Check the module named by ``target``, "package.module:Name": a Module, a Module
    class built with no arguments, or a function that returns a Module. Its input is 5
    standard normal rows of its ``in_features`` columns (3 when it declares none)."""
    module_name, _, attribute = target.partition(":")
    if not (module_name and attribute):
        raise ValueError(f"target must be package.module:Name, got {target!r}")
    found = getattr(importlib.import_module(module_name), attribute, None)
    if found is None:
        raise ValueError(f"target {target!r}: {module_name} has no {attribute}")
    module = found if isinstance(found, Module) else found()
    require_instance(module, Module, f"target {target!r}", "a scratchnet Module")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((5, module.input_module.in_features or 3))
    return {target: check_gradients(module, x, rng=rng)}


def main(argv=None) -> int:
    """``python -m scratchnet.gradcheck [package.module:Name ...]``; 1 if a check fails."""
    parser = argparse.ArgumentParser(
        prog="python -m scratchnet.gradcheck",
        description="Check hand-written backward passes against finite differences.",
    )
    parser.add_argument(
        "targets",
        nargs="*",
        help="modules of your own, as package.module:Name (default: "
        "every scratchnet layer and loss, and the article's network)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs (default 0)")
    args = parser.parse_args(argv)
    checks = {}
    for target in args.targets:
        try:
            checks.update(module_checks(target, args.seed))
        except (ImportError, TypeError, ValueError) as error:
            parser.error(str(error))  # one line and exit status 2, as for a bad flag
    if not args.targets:
        checks = scratchnet_checks(args.seed)
    print(format_table(checks))
    rows = [row for each in checks.values() for row in each]
    if any(row.status == "near a kink" for row in rows):
        print(
            "near a kink: a finite-difference step crossed a kink (ReLU's at 0, say), so "
            "that error proves nothing either way; try other inputs (--seed)"
        )
    failed = sum(row.status == "FAIL" for row in rows)
    print(f"{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
