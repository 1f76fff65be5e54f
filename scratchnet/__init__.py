"""scratchnet: a pure-NumPy neural network whose every gradient is written out by hand.

The lesson, in reading order: ``layers``, ``losses``, ``optimizers``, ``gradcheck``,
``training``, ``serialization``. Each layer's forward pass, backward pass and the
derivation between them sit side by side.

The article's experiment (its data, metrics, study and figures) lives beside the lesson
in ``scratchnet.article``, which the lesson never imports.
"""

from scratchnet import gradcheck
from scratchnet.layers import Linear, Module, Parameter, ReLU, Sequential, Sigmoid
from scratchnet.losses import BCELoss, BCEWithLogitsLoss, FocalLoss, FocalLossWithLogits
from scratchnet.optimizers import SGD, Adam
from scratchnet.serialization import load, save
from scratchnet.training import train

__all__ = [
    "Adam",
    "BCELoss",
    "BCEWithLogitsLoss",
    "FocalLoss",
    "FocalLossWithLogits",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "SGD",
    "Sequential",
    "Sigmoid",
    "gradcheck",
    "load",
    "load_article_data",
    "save",
    "train",
]


def __getattr__(name):
    # sn.load_article_data, kept for the scripts and notebooks that use it, is loaded on
    # first use: `import scratchnet` alone loads the lesson and not scikit-learn.
    if name == "load_article_data":
        from scratchnet.article.data import load_article_data

        return load_article_data
    raise AttributeError(f"module 'scratchnet' has no attribute {name!r}")
