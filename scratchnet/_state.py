"""Checking a saved state against the arrays it will replace, shared by models and optimizers.

Loading is all or nothing: every saved array is checked against its target (its name,
shape and dtype, and that it is finite) before anything is written, so that a mistake
leaves the model and the optimizer as they were.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def checked_copies(state, targets: dict[str, np.ndarray], what: str) -> list[tuple]:
    """(target, saved) pairs, one per key of ``targets``, once ``state`` fits all of them.

    ``state`` must be a dict with exactly the keys of ``targets``; ``what`` names what it
    should fit, for the message ("the model's parameters").
    """
    require_keys(state, targets, what)
    return [(target, checked_array(state[key], target, key)) for key, target in targets.items()]


def checked_array(saved, target: np.ndarray, name: str) -> np.ndarray:
    """``saved`` as an array with ``target``'s shape and dtype, all finite, or an error."""
    saved = np.asarray(saved)
    if saved.shape != target.shape:
        raise ValueError(f"{name}: expected shape {target.shape}, got {saved.shape}")
    if saved.dtype != target.dtype:
        raise ValueError(f"{name}: expected dtype {target.dtype}, got {saved.dtype}")
    if not np.isfinite(saved).all():
        raise ValueError(f"{name}: the saved values contain NaN or infinity")
    return saved


def require_keys(state, expected, what: str) -> None:
    """Refuse a state that is not a dict, or whose keys are not exactly ``expected``."""
    require_mapping(state)
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    if missing or unexpected:
        found = [
            f"{label} {keys}"
            for label, keys in [("missing", missing), ("unexpected", unexpected)]
            if keys
        ]
        raise ValueError(f"the saved state does not fit {what}: {'; '.join(found)}")


def require_mapping(state) -> None:
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a dict of arrays by name, got a {type(state).__name__}")


def copy_all(copies) -> None:
    """Write each saved array into its target, in place: whoever holds the target sees it."""
    for target, saved in copies:
        target[...] = saved
