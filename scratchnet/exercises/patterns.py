"""What a wrong tensor's difference from the right one looks like, measured, for a mistake
no catalogue names.

Each probe compares the learner's tensor with the right one on the same inputs and
asks one question: is it the right one transposed, or reshaped? a constant factor of it?
right in some entries (where y = 1, in some rows) and wrong in the others? does its ratio
to the right one follow a quantity the learner can see (p_t, |x|), as exactly a power
of it, or only growing or shrinking with it (and over how many entries)? A probe that
sees nothing says nothing, and the sentences report what was measured, never a cause.
The graders add probes that run the learner's code again with one thing changed (the
focal losses at gamma = 0, a layer on one example; ``loss_exercises``, ``layer_exercises``)
and Adam's, which match each step to a step count (``adam_exercise``).

``describe`` takes what the case can show: ``factors``, the constants worth naming (the
batch size N); ``groups``, masks of entries the learner can tell apart (where y = 1);
``quantities``, arrays of the tensor's shape whose values the learner can see.
"""

from __future__ import annotations

import numpy as np

RTOL = 1e-4  # "right" for one entry: float32's gradients and float64's, with a margin
POWERS = (1, -1, 2, -2, 0.5, -0.5)
MIN_ENTRIES = 4  # fewer, as in a case worked by hand, show too little to call a pattern


def close(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Entry by entry, whether ``got`` is the right value (NaN never is)."""
    scale = float(np.max(np.abs(expected), initial=0.0))
    return np.abs(got - expected) <= RTOL * np.abs(expected) + 1e-9 * scale


def describe(
    tensor: str,
    got: np.ndarray,
    expected: np.ndarray,
    *,
    factors: dict | None = None,
    groups: dict | None = None,
    quantities: dict | None = None,
) -> str | None:
    """One or two sentences of what was measured, or None when no probe saw a pattern."""
    factors, groups, quantities = factors or {}, groups or {}, quantities or {}
    if got.shape != expected.shape:
        return _shape(tensor, got, expected)
    if not np.isfinite(got).all():
        return None
    if got.ndim == 2 and got.shape[0] == got.shape[1] > 1 and close(got, expected.T).all():
        return f"the {tensor} is the right one transposed: rows and columns swapped"
    right = close(got, expected)
    if right.all() or got.size < MIN_ENTRIES:
        return None
    whole = _values(got, expected, np.ones(got.shape, bool), factors, quantities)
    if whole is not None:
        return f"the {tensor} is {whole}"
    if right.any():
        return _where_wrong(tensor, got, expected, right, factors, groups, quantities)
    return None


def _shape(tensor: str, got: np.ndarray, expected: np.ndarray) -> str | None:
    told = f"the {tensor} has shape {got.shape}; it must have shape {expected.shape}"
    if got.size == expected.size and got.ndim == expected.ndim == 2:
        if close(got.T, expected).all():
            return f"{told}. It is the right one transposed"
    if got.size == expected.size and close(got.reshape(expected.shape), expected).all():
        return f"{told}. Its values are the right ones, in the wrong shape"
    return None


def _values(got, expected, where, factors, quantities) -> str | None:
    """How ``got`` relates to ``expected`` on the entries ``where``: 0, a constant factor,
    a power of a quantity, or a ratio that grows or shrinks with one; None if none."""
    g, e = got[where], expected[where]
    scale = float(np.max(np.abs(e), initial=0.0))
    if np.all(np.abs(g) <= 1e-12 * max(scale, 1e-300)):
        return "0"
    weighty = np.abs(e) > 1e-3 * scale
    if weighty.sum() < 2:
        return None if weighty.any() else "not 0, where the right value is 0"
    ratio = g[weighty] / e[weighty]
    middle = float(np.median(ratio))
    if np.all(np.abs(ratio - middle) <= RTOL * abs(middle)) and middle != 0:
        return f"{_factor_name(middle, factors)} times the right value"
    for name, values in quantities.items():
        q = np.broadcast_to(values, got.shape)[where][weighty]
        found = _power_of(ratio, q, name)
        if found is not None:
            return f"exactly {found} times the right value"
    for name, values in quantities.items():
        q = np.broadcast_to(values, got.shape)[where][weighty]
        trend = _trend(ratio, q, name)
        if trend is not None:
            return trend
    return _few_values(g, e)


def _factor_name(factor: float, factors: dict) -> str:
    for name, value in {"2": 2.0, "1/2": 0.5, "-1": -1.0, **factors}.items():
        if abs(factor - value) <= RTOL * abs(value):
            return name
    return f"{factor:.4g}"


def _power_of(ratio: np.ndarray, q: np.ndarray, name: str) -> str | None:
    """``name``^k when the ratio is exactly q^k for one of POWERS, q taking 3 values or more."""
    if len(np.unique(np.round(q, 12))) < 3 or np.any(q <= 0):
        return None
    for k in POWERS:
        if np.all(np.abs(ratio - q**k) <= RTOL * np.abs(q**k)):
            return _power_name(name, k)
    return None


def _power_name(name: str, k: float) -> str:
    base = f"({name})" if " " in name else name
    if k == 1:
        return name
    if k == -1:
        return f"1 / {base}"
    shown = {2: "^2", -2: "^2", 0.5: "^(1/2)", -0.5: "^(1/2)"}[k]
    return f"{base}{shown}" if k > 0 else f"1 / {base}{shown}"


def _trend(ratio: np.ndarray, q: np.ndarray, name: str) -> str | None:
    """The ratio rising (or falling) strictly with q, over 4 or more distinct values of q:
    said with its two ends, and, where it tends to 1, where the entries are nearly right."""
    order = np.argsort(q, kind="stable")
    q, ratio = q[order], ratio[order]
    distinct = np.diff(q) > 1e-9 * max(float(np.max(np.abs(q))), 1e-300)
    if distinct.sum() < 3:
        return None
    steps = np.diff(ratio)[distinct]
    if np.all(steps > 0):
        way = "grows"
    elif np.all(steps < 0):
        way = "shrinks"
    else:
        return None
    text = (
        f"off by a factor that {way} with {name} across its {len(q)} entries: {ratio[0]:.3g} "
        f"times the right value where {name} = {q[0]:.3g}, {ratio[-1]:.3g} times where "
        f"{name} = {q[-1]:.3g}"
    )
    near = np.abs(ratio - 1) < 0.05
    if near[0] != near[-1]:
        small = "small" if near[0] else "large"
        text += f", nearly right where {name} is {small}"
    return text


def _where_wrong(tensor, got, expected, right, factors, groups, quantities) -> str | None:
    """Right in some entries, wrong in two or more others: which, and what the wrong are."""
    wrong = ~right
    if wrong.sum() < 2:
        return None
    for name, mask in groups.items():
        mask = np.broadcast_to(mask, got.shape)
        if mask.all() or not np.all(mask[wrong]):
            continue
        values = _values(got, expected, wrong, factors, quantities)
        told = f" (there it is {values})" if values is not None else ""
        if not np.all(wrong[mask]):
            told = f", at {int(wrong.sum())} of its {int(mask.sum())} entries{told}"
        return f"the {tensor} is wrong {name}{told}, and right {_complement(name)}"
    if got.ndim == 2 and min(got.shape) > 1:
        for kind, lines in (("rows", wrong.any(axis=1)), ("columns", wrong.any(axis=0))):
            if lines.all():
                continue
            mask = np.broadcast_to(lines[:, None] if kind == "rows" else lines, got.shape)
            values = _values(got, expected, mask, factors, quantities)
            told = f" (there it is {values})" if values is not None else ""
            shown = ", ".join(str(int(i)) for i in np.flatnonzero(lines))
            return (
                f"the {tensor} is wrong only in {kind} {shown} of {len(lines)}{told}, and right "
                "in the others"
            )
    return None


def _complement(name: str) -> str:
    """"where y = 1" for "where y = 0", and the like; otherwise "everywhere else"."""
    if name.endswith(" = 0"):
        return name[: -len(" = 0")] + " = 1"
    if name.endswith(" = 1"):
        return name[: -len(" = 1")] + " = 0"
    return "everywhere else"


def _few_values(got: np.ndarray, expected: np.ndarray) -> str | None:
    """One or two distinct values where the right ones are many: a mask, say."""
    values, right_values = np.unique(got), np.unique(expected)
    if len(values) <= 2 and len(right_values) > 2 * len(values):
        shown = " or ".join(f"{value:g}" for value in values)
        return f"only ever {shown}, where the right values are {len(right_values)} different ones"
    return None
