"""Saving and loading: a model's parameters and an optimizer's state, in a NumPy ``.npz`` file.

    sn.save("run.npz", model, optimizer)     # the optimizer is optional
    sn.load("run.npz", model, optimizer)     # into a model (and optimizer) built the same way

Why ``.npz`` and never pickle: unpickling can run any code the file asks for, so a saved
model from someone else could take over the machine that loads it. A scratchnet file
holds plain arrays only and is read with ``np.load(path, allow_pickle=False)``; a file
that needs pickle is refused, not trusted.

State dicts
-----------
A state is a flat ``dict[str, np.ndarray]``, exactly what the file holds:

    model state       "<name>" for each parameter of ``model.named_parameters()``
                      ("0.weight", "0.bias", "2.weight", ...): a copy of ``param.data``
    optimizer state   "type"              "Adam" or "SGD"
                      "step_count"        the number of steps taken, an integer
                      "<setting>"         lr, betas, eps, weight_decay (Adam); lr, momentum (SGD)
                      "<buffer>/<i>"      exp_avg/i, exp_avg_sq/i (Adam), momentum_buffer/i
                                          (SGD): the running averages of ``params[i]``

The file prefixes them with "model/" and "optimizer/", and adds "format", a marker by
which a scratchnet file is told from any other ``.npz``.

Loading is all or nothing: every array is checked against the one it will replace (its
name, shape and dtype, and that it is finite) before anything is written, so a mistake
leaves the model and optimizer as they were. Values are copied *into* the existing
arrays, so everything that holds them (an optimizer holds the model's Parameter
objects) sees the loaded values at once.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping

import numpy as np

from scratchnet.layers import Module
from scratchnet.optimizers import SGD, Adam, Optimizer, require_optimizer_of

FORMAT = "scratchnet-state-1"

# What an optimizer's next step depends on besides the parameters: settings fixed when it
# is built, and buffers (lists aligned with ``params``) that every step updates.
_SETTINGS = {Adam: ("lr", "betas", "eps", "weight_decay"), SGD: ("lr", "momentum")}
_BUFFERS = {Adam: ("exp_avg", "exp_avg_sq"), SGD: ("momentum_buffer",)}


def model_state(model: Module) -> dict[str, np.ndarray]:
    """A copy of every parameter, by name: later training does not change it."""
    _require_instance(model, Module, "model", "a scratchnet Module")
    return {name: param.data.copy() for name, param in model.named_parameters()}


def load_model_state(model: Module, state) -> None:
    """Copy ``state`` (as from ``model_state``) into ``model``'s parameters, or raise."""
    _copy_all(_checked_model_state(model, state))


def optimizer_state(optimizer: Optimizer) -> dict[str, np.ndarray]:
    """The optimizer's type, step count, settings and a copy of its buffers."""
    kind = _optimizer_kind(optimizer)
    state = {"type": np.array(kind.__name__), "step_count": np.array(optimizer.step_count)}
    state.update((name, np.array(getattr(optimizer, name))) for name in _SETTINGS[kind])
    for buffer in _BUFFERS[kind]:
        for index, array in enumerate(getattr(optimizer, buffer)):
            state[f"{buffer}/{index}"] = array.copy()
    return state


def load_optimizer_state(optimizer: Optimizer, state) -> None:
    """Restore ``state`` (as from ``optimizer_state``) into ``optimizer``, or raise.

    The optimizer must be of the saved type, built with the saved settings, over
    parameters of the saved shapes. A different learning rate is refused rather than
    silently replaced: to resume with another one, load first, then set ``optimizer.lr``.
    """
    copies, step_count = _checked_optimizer_state(optimizer, state)
    _copy_all(copies)
    optimizer.step_count = step_count


def save(path, model: Module, optimizer: Optimizer | None = None) -> None:
    """Write ``model``'s parameters, and ``optimizer``'s state if given, to ``path``.

    The file is written exactly at ``path`` (``np.savez`` alone would append ".npz" to
    a path without it), replacing any file there.
    """
    arrays = {"format": np.array(FORMAT)}
    arrays.update((f"model/{key}", value) for key, value in model_state(model).items())
    if optimizer is not None:
        state = optimizer_state(optimizer)
        arrays.update((f"optimizer/{key}", value) for key, value in state.items())
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def load(path, model: Module, optimizer: Optimizer | None = None) -> None:
    """Load a file written by ``save`` into ``model``, and into ``optimizer`` if given.

    Raises ``FileNotFoundError`` for a missing file, and ``ValueError`` naming the path
    for a file that is not a scratchnet save, or naming the parameter that does not fit.
    A file saved with an optimizer can be loaded into a model alone.
    """
    if optimizer is not None:
        require_optimizer_of(optimizer, model)
    arrays = _read(path)
    copies = _checked_model_state(model, _with_prefix(arrays, "model/"))
    step_count = None
    if optimizer is not None:
        optimizer_arrays = _with_prefix(arrays, "optimizer/")
        if not optimizer_arrays:
            raise ValueError(f"{path} holds no optimizer state: it was saved without one")
        optimizer_copies, step_count = _checked_optimizer_state(optimizer, optimizer_arrays)
        copies += optimizer_copies
    _copy_all(copies)
    if optimizer is not None:
        optimizer.step_count = step_count


def _read(path) -> dict[str, np.ndarray]:
    """Every array in a scratchnet file, by key, or a ValueError naming the path."""
    try:
        contents = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: there is nothing to load") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a scratchnet save file: {error}") from None
    if not isinstance(contents, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is not a scratchnet save file: it holds one bare array")
    with contents:
        try:
            arrays = {key: contents[key] for key in contents.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path} is not a scratchnet save file: {error}") from None
    marker = arrays.get("format")
    if marker is None or marker.shape != () or str(marker) != FORMAT:
        raise ValueError(
            f"{path} is not a scratchnet save file: it has no {FORMAT!r} format marker"
        )
    return arrays


def _with_prefix(arrays: dict, prefix: str) -> dict[str, np.ndarray]:
    return {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}


def _checked_model_state(model: Module, state) -> list[tuple[np.ndarray, np.ndarray]]:
    """(parameter array, saved array) pairs, once every name, shape and dtype fits."""
    _require_instance(model, Module, "model", "a scratchnet Module")
    named = dict(model.named_parameters())
    _require_keys(state, named, "the model's parameters")
    return [
        (param.data, _checked_array(state[name], param.data, name)) for name, param in named.items()
    ]


def _checked_optimizer_state(optimizer, state) -> tuple[list, int]:
    """(buffer, saved array) pairs and the saved step count, once everything fits."""
    kind = _optimizer_kind(optimizer)
    buffers = {
        f"{buffer}/{index}": array
        for buffer in _BUFFERS[kind]
        for index, array in enumerate(getattr(optimizer, buffer))
    }
    _require_mapping(state)
    saved_type = str(state.get("type", "an unknown optimizer"))
    if saved_type != kind.__name__:
        raise ValueError(f"optimizer: the saved state is for {saved_type}, not for {kind.__name__}")
    _require_keys(
        state, ["type", "step_count", *_SETTINGS[kind], *buffers], f"this {kind.__name__}"
    )
    for setting in _SETTINGS[kind]:
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
        (array, _checked_array(state[key], array, f"optimizer {key}"))
        for key, array in buffers.items()
    ]
    return copies, int(step_count)


def _checked_array(saved, target: np.ndarray, name: str) -> np.ndarray:
    """``saved`` as an array with ``target``'s shape and dtype, all finite, or an error."""
    saved = np.asarray(saved)
    if saved.shape != target.shape:
        raise ValueError(f"{name}: expected shape {target.shape}, got {saved.shape}")
    if saved.dtype != target.dtype:
        raise ValueError(f"{name}: expected dtype {target.dtype}, got {saved.dtype}")
    if not np.isfinite(saved).all():
        raise ValueError(f"{name}: the saved values contain NaN or infinity")
    return saved


def _require_keys(state, expected, what: str) -> None:
    """Refuse a state that is not a dict, or whose keys are not exactly ``expected``."""
    _require_mapping(state)
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    if missing or unexpected:
        found = [
            f"{label} {keys}"
            for label, keys in [("missing", missing), ("unexpected", unexpected)]
            if keys
        ]
        raise ValueError(f"the saved state does not fit {what}: {'; '.join(found)}")


def _require_mapping(state) -> None:
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a dict of arrays by name, got a {type(state).__name__}")


def _copy_all(copies) -> None:
    for target, saved in copies:
        target[...] = saved


def _optimizer_kind(optimizer) -> type:
    _require_instance(optimizer, Optimizer, "optimizer", "a scratchnet optimizer")
    kind = type(optimizer)
    if kind not in _SETTINGS:
        raise TypeError(f"optimizer: saving the state of a {kind.__name__} is not supported")
    return kind


def _require_instance(value, kind: type, name: str, description: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be {description}, got a {type(value).__name__}")
