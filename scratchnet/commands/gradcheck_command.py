"""``python -m scratchnet.gradcheck [package.module:Name ...]``: gradient checks as a table,
of every layer, loss and the article's network, or of modules of your own (a class built
with no arguments, or a function returning a module), drawing new inputs up to ``RETRIES``
times while a check is inconclusive. Exit status: 0 when every tensor passes, 1 when one
fails, 3 when one is inconclusive and none fails, 2 for bad arguments or a module that
cannot be loaded or run. (``scratchnet/gradcheck.py``, run as a script, calls ``main``.)
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

import numpy as np

from scratchnet.doors.values import require_instance
from scratchnet.gradcheck import (
    PRECISIONS,
    TensorCheck,
    check_gradients,
    check_loss,
    inputs_away_from_kinks,
)
from scratchnet.layers import Linear, Module, ReLU, Sequential, Sigmoid, Tanh
from scratchnet.losses import BCELoss, BCEWithLogitsLoss, FocalLoss, FocalLossWithLogits

RETRIES = 3  # new inputs the command draws for a check that came out inconclusive


def check_drawn(check, draw) -> list[TensorCheck]:
    """``check(draw())``, drawn again up to ``RETRIES`` times while it is inconclusive."""
    for _ in range(RETRIES):
        rows = check(draw())
        statuses = {row.status for row in rows}
        if "inconclusive" not in statuses or "FAIL" in statuses:
            return rows
    return check(draw())


def format_table(checks: dict[str, list[TensorCheck]]) -> str:
    """The checks as a table, then the step and tolerance of each dtype, what set the dtype
    of a module that mixes them, and what did not pass."""
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
    lines += [
        f"{what}: checked in {each[0].dtype}, its coarsest dtype, set by {each[0].dtype_set_by}"
        for what, each in checks.items() if each and each[0].dtype_set_by
    ]  # fmt: skip
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
    """Check the Module ``target`` names ("package.module:Name", built with no arguments if
    a class or function) on 5 standard normal rows of its ``in_features`` (or 3) columns."""
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
