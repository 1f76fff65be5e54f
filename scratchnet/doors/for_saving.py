"""The doors of saving and loading: what ``save`` and ``load`` are given, and what a file
must be (each saved array is then checked by ``doors.state``)."""

from __future__ import annotations

import zipfile

import numpy as np

from scratchnet._module import Module
from scratchnet.doors.values import require_instance
from scratchnet.optimizers import Optimizer

FORMAT = "scratchnet-state-1"  # the marker that tells a scratchnet file from any other .npz


def load_arguments(path, model, optimizer) -> dict[str, np.ndarray]:
    """The arrays of the file at ``path``, once the model and the optimizer (its own) pass."""
    require_instance(model, Module, "model", "a scratchnet Module")
    if optimizer is not None:
        optimizer_of(optimizer, model)
    return read(path)


def read(path) -> dict[str, np.ndarray]:
    """Every array in a scratchnet file, by key, or a sentence naming the path."""
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


def with_prefix(arrays: dict, prefix: str, path=None) -> dict[str, np.ndarray]:
    """The arrays whose key starts with ``prefix``, without it; for "optimizer/" from a
    file (``path`` given), at least one."""
    found = {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}
    if path is not None and not found:
        raise ValueError(f"{path} holds no optimizer state: it was saved without one")
    return found


def model_and_optimizer(model, optimizer) -> None:
    """Refuse a model that is not a Module, and an optimizer that is not one."""
    require_instance(model, Module, "model", "a scratchnet Module")
    if optimizer is not None:
        require_instance(optimizer, Optimizer, "optimizer", "a scratchnet optimizer")


def optimizer_of(optimizer, model) -> None:
    """Refuse an optimizer built for another model, whose parameters this one does not use
    (one given only some of the model's parameters is fine: the others stay frozen)."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            "optimizer must be a scratchnet optimizer, such as sn.Adam(model.parameters()); "
            f"got a {type(optimizer).__name__}"
        )
    model_param_ids = {id(param) for param in model.parameters()}
    for index, param in enumerate(optimizer.params):
        if id(param) not in model_param_ids:
            raise ValueError(
                f"optimizer.params[{index}] is not a parameter of model; "
                "build the optimizer from model.parameters()"
            )
