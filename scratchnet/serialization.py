"""Saving and loading: a model's parameters and an optimizer's state, in a NumPy ``.npz`` file.

    sn.save("run.npz", model, optimizer)     # the optimizer is optional
    sn.load("run.npz", model, optimizer)     # into a model (and optimizer) built the same way

Never pickle, which can run any code the file asks for: plain arrays, read with
``allow_pickle=False``. The file holds each ``state_dict()``, prefixed "model/" and
"optimizer/", and a "format" marker (the layout: docs/errors-and-saving.md). Loading is
all or nothing: every array is checked (``doors.state``) before any is copied *into* the
existing arrays, so whoever holds them (an optimizer holds the model's) sees them.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

import numpy as np

from scratchnet.doors import for_saving as doors
from scratchnet.doors.state import model_state, optimizer_state
from scratchnet.layers import Module
from scratchnet.optimizers import Optimizer


def save(path, model: Module, optimizer: Optimizer | None = None) -> None:
    """Write ``model``'s parameters, and ``optimizer``'s state if given, to ``path``.

    Written exactly at ``path``, never half a file: next to it first, then renamed over
    it in one step (``os.replace``), so a save cut short keeps the previous one.
    """
    doors.model_and_optimizer(model, optimizer)
    arrays = {"format": np.array(doors.FORMAT)}
    arrays.update((f"model/{key}", value) for key, value in model.state_dict().items())
    if optimizer is not None:
        state = optimizer.state_dict()
        arrays.update((f"optimizer/{key}", value) for key, value in state.items())
    folder, name = os.path.split(os.path.abspath(path))
    descriptor, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as file:
            np.savez(file, **arrays)
        os.replace(partial, path)
    finally:  # after os.replace there is no partial file left; before it, drop it
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)


def load(path, model: Module, optimizer: Optimizer | None = None) -> None:
    """Load a file written by ``save`` into ``model``, and into ``optimizer`` if given (a file
    saved with an optimizer loads into a model alone)."""
    arrays = doors.load_arguments(path, model, optimizer)
    copies = model_state(model, doors.with_prefix(arrays, "model/"))
    if optimizer is not None:
        saved = doors.with_prefix(arrays, "optimizer/", path)
        optimizer_copies, step_count = optimizer_state(optimizer, saved)
        copies += optimizer_copies
    for target, saved in copies:
        target[...] = saved
    if optimizer is not None:
        optimizer.step_count = step_count
