"""scratchnet: a pure-NumPy neural network whose every gradient is written out by hand.

The lesson, in reading order: ``layers``, ``losses``, ``optimizers``, ``gradcheck``,
``training``, ``serialization``. The article's experiment (data, metrics, study, figures)
lives in ``scratchnet.article``, which the lesson never imports.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version

from scratchnet._loss import Loss
from scratchnet.layers import Linear, Module, Parameter, ReLU, Sequential, Sigmoid, Tanh
from scratchnet.losses import BCELoss, BCEWithLogitsLoss, FocalLoss, FocalLossWithLogits
from scratchnet.optimizers import SGD, Adam, Optimizer
from scratchnet.serialization import load, save
from scratchnet.training import train

try:
    __version__ = version("scratchnet")
except PackageNotFoundError:  # a source checkout that was never pip-installed
    __version__ = "unknown (not installed)"

__all__ = [
    "Adam", "BCELoss", "BCEWithLogitsLoss", "FocalLoss", "FocalLossWithLogits", "Linear",
    "Loss", "MLPClassifier", "Module", "Optimizer", "Parameter", "ReLU", "SGD",
    "Sequential", "Sigmoid", "Tanh", "gradcheck", "load", "load_article_data", "save",
    "train",
]  # fmt: skip


_LOADED_ON_FIRST_USE = {
    # sn.gradcheck, so that `python -m scratchnet.gradcheck` runs it as a fresh module;
    # sn.load_article_data and sn.MLPClassifier, so that `import scratchnet` alone does
    # not load scikit-learn.
    "gradcheck": ("scratchnet.gradcheck", None),
    "load_article_data": ("scratchnet.article.data", "load_article_data"),
    "MLPClassifier": ("scratchnet.estimator", "MLPClassifier"),
}


def __getattr__(name):
    if name not in _LOADED_ON_FIRST_USE:
        raise AttributeError(f"module 'scratchnet' has no attribute {name!r}")
    module_name, attribute = _LOADED_ON_FIRST_USE[name]
    module = importlib.import_module(module_name)
    return module if attribute is None else getattr(module, attribute)
