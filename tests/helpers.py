"""Shared test helpers: inputs kept away from ReLU's kink, as the gradient checker draws them,
and a small model with data of the shape a learner brings."""

import importlib.util
from pathlib import Path

import numpy as np

import scratchnet as sn
from scratchnet.gradcheck import KINK_MARGIN, inputs_away_from_kinks

__all__ = [
    "KINK_MARGIN", "PLANE_LABELS", "PLANE_X", "inputs_away_from_kinks", "load_benchmark",
    "small_model",
]  # fmt: skip

# 40 points in the plane, labelled by the side of x0 + x1 = 0 they lie on: a label vector of
# shape (40,), as scikit-learn returns labels.
PLANE_X = np.random.default_rng(0).standard_normal((40, 2))
PLANE_LABELS = (PLANE_X[:, 0] + PLANE_X[:, 1] > 0).astype(float)


def small_model(seed=0, sigmoid=True):
    """Linear(2, 4), ReLU, Linear(4, 1), and a Sigmoid unless sigmoid=False."""
    rng = np.random.default_rng(seed)
    modules = [sn.Linear(2, 4, rng=rng), sn.ReLU(), sn.Linear(4, 1, rng=rng)]
    return sn.Sequential(*modules, sn.Sigmoid()) if sigmoid else sn.Sequential(*modules)


def load_benchmark(name: str):
    """The script benchmarks/<name>.py as a module, for a test of its pieces (the folder is
    not a package)."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
