"""scratchnet: a pure-NumPy neural network whose every gradient is written out by hand.

Read ``scratchnet/layers.py`` first: each layer's forward pass, backward pass and the
derivation between them sit side by side.
"""

from scratchnet import gradcheck
from scratchnet.data import load_article_data
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
