"""Saving and loading: a model's parameters and an optimizer's state, in a NumPy ``.npz`` file.

    sn.save("run.npz", model, optimizer)     # the optimizer is optional
    sn.load("run.npz", model, optimizer)     # into a model (and optimizer) built the same way

Why ``.npz`` and never pickle: unpickling can run any code the file asks for, so a saved
model from someone else could take over the machine that loads it. A scratchnet file
holds plain arrays, read with ``np.load(path, allow_pickle=False)``.

The file holds a ``state_dict()`` of each, flat ``dict[str, np.ndarray]``, prefixed
"model/" and "optimizer/", and "format", a marker that tells it from any other ``.npz``:

    model state       each parameter by name ("0.weight", "0.bias", ...), a copy of its data
    optimizer state   "type" ("Adam"), "step_count", each setting ("lr", "betas", ...),
                      and "<buffer>/<i>" ("exp_avg/0", ...): the running averages of params[i]

Loading is all or nothing: every array is checked against the one it will replace (name,
shape, dtype, finite) before anything is written. Values are copied *into* the existing
arrays, so whoever holds them (an optimizer holds the model's Parameters) sees them.
"""

from __future__ import annotations

import os
import tempfile
import zipfile

import numpy as np

from scratchnet.doors.values import require_instance
from scratchnet._state import copy_all
from scratchnet.layers import Module
from scratchnet.optimizers import Optimizer, require_optimizer_of

FORMAT = "scratchnet-state-1"


def save(path, model: Module, optimizer: Optimizer | None = None) -> None:
    """Write ``model``'s parameters, and ``optimizer``'s state if given, to ``path``.

    The file is written exactly at ``path`` (``np.savez`` alone would append ".npz" to
    a path without it), replacing any file there, and never leaves half a file: it is
    written next to ``path`` first and then renamed over it in one step (``os.replace``),
    so a save cut short (Ctrl-C, a killed process, a full disk) keeps the previous one.
    """
    require_instance(model, Module, "model", "a scratchnet Module")
    arrays = {"format": np.array(FORMAT)}
    arrays.update((f"model/{key}", value) for key, value in model.state_dict().items())
    if optimizer is not None:
        require_instance(optimizer, Optimizer, "optimizer", "a scratchnet optimizer")
        state = optimizer.state_dict()
        arrays.update((f"optimizer/{key}", value) for key, value in state.items())
    folder, name = os.path.split(os.path.abspath(path))
    descriptor, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as file:
            np.savez(file, **arrays)
        os.replace(partial, path)
    except BaseException:
        os.remove(partial)
        raise


def load(path, model: Module, optimizer: Optimizer | None = None) -> None:
    """Load a file written by ``save`` into ``model``, and into ``optimizer`` if given.

    Raises ``FileNotFoundError`` for a missing file, and ``ValueError`` naming the path
    for a file that is not a scratchnet save, or naming the parameter that does not fit.
    A file saved with an optimizer can be loaded into a model alone.
    """
    require_instance(model, Module, "model", "a scratchnet Module")
    if optimizer is not None:
        require_optimizer_of(optimizer, model)
    arrays = _read(path)
    copies = model.checked_state(_with_prefix(arrays, "model/"))
    step_count = None
    if optimizer is not None:
        optimizer_arrays = _with_prefix(arrays, "optimizer/")
        if not optimizer_arrays:
            raise ValueError(f"{path} holds no optimizer state: it was saved without one")
        optimizer_copies, step_count = optimizer.checked_state(optimizer_arrays)
        copies += optimizer_copies
    copy_all(copies)
    if optimizer is not None:
        optimizer.step_count = step_count


def _read(path) -> dict[str, np.ndarray]:
    """Every array in a scratchnet file, by key, or a ValueError naming the path."""
    try:
        contents = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: there is nothing to load") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile):
        # NumPy's own message here may suggest allow_pickle=True: the one thing never to do
        # with a file of unknown origin, so it is not passed on.
        raise ValueError(
            f"{path} is not a scratchnet save file: it is not a NumPy .npz archive of arrays"
        ) from None
    if not isinstance(contents, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is not a scratchnet save file: it holds one bare array")
    with contents:
        try:
            arrays = {key: contents[key] for key in contents.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile):
            raise ValueError(
                f"{path} is not a scratchnet save file: its arrays cannot be read without "
                "unpickling, which scratchnet never does"
            ) from None
    marker = arrays.get("format")
    if marker is None or marker.shape != () or str(marker) != FORMAT:
        raise ValueError(
            f"{path} is not a scratchnet save file: it has no {FORMAT!r} format marker"
        )
    return arrays


def _with_prefix(arrays: dict, prefix: str) -> dict[str, np.ndarray]:
    return {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}
