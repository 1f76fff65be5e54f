"""The doors of saved states, for models and optimizers alike: every saved array is
checked against the one it will replace before anything is written."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def model_state(model, state) -> list[tuple[np.ndarray, np.ndarray]]:
    """(parameter array, saved array) pairs, once ``state`` has exactly the model's
    parameter names, each of its shape and dtype, all finite."""
    targets = {name: param.data for name, param in model.named_parameters()}
    require_keys(state, targets, "the model's parameters")
    return [(target, checked_array(state[key], target, key)) for key, target in targets.items()]


def optimizer_state(optimizer, state) -> tuple[list, int]:
    """(buffer, saved array) pairs and the saved step count, once the state is of this
    optimizer's type and settings (another lr is refused, not silently replaced: load, then
    set ``optimizer.lr``), over parameters of the same shapes."""
    kind = type(optimizer).__name__
    buffers = {
        f"{name}/{index}": array
        for name in optimizer.buffers
        for index, array in enumerate(getattr(optimizer, name))
    }
    require_mapping(state)
    saved_kind = str(state.get("type", "an unknown optimizer"))
    if saved_kind != kind:
        raise ValueError(f"optimizer: the saved state is for {saved_kind}, not for {kind}")
    require_keys(state, ["type", "step_count", *optimizer.settings, *buffers], f"this {kind}")
    for setting in optimizer.settings:
        saved, current = np.asarray(state[setting]), np.asarray(getattr(optimizer, setting))
        if saved.shape != current.shape or not np.array_equal(saved, current):
            raise ValueError(
                f"optimizer {setting}: the state was saved with {saved.tolist()}, this "
                f"optimizer has {current.tolist()}; build it with the saved settings (to "
                f"change {setting}, set it after loading)"
            )
    step_count = np.asarray(state["step_count"])
    if step_count.shape != () or step_count.dtype.kind not in "iu" or step_count < 0:
        raise ValueError(f"optimizer step_count must be a non-negative integer, got {step_count}")
    copies = [
        (array, checked_array(state[key], array, f"optimizer {key}"))
        for key, array in buffers.items()
    ]
    return copies, int(step_count)


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
        pairs = [("missing", missing), ("unexpected", unexpected)]
        found = "; ".join(f"{label} {keys}" for label, keys in pairs if keys)
        raise ValueError(f"the saved state does not fit {what}: {found}")


def require_mapping(state) -> None:
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a dict of arrays by name, got a {type(state).__name__}")
