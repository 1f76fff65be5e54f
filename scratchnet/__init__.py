"""scratchnet: a pure-NumPy neural network whose every gradient is written out by hand.

Read ``scratchnet/layers.py`` first: each layer's forward pass, backward pass and the
derivation between them sit side by side.
"""

from scratchnet import gradcheck
from scratchnet.layers import Linear, Module, Parameter, ReLU, Sequential, Sigmoid

__all__ = ["Linear", "Module", "Parameter", "ReLU", "Sequential", "Sigmoid", "gradcheck"]
