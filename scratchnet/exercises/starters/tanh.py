"""Exercise tanh: write a layer of your own, Tanh, forward and backward.

Read first: docs/tour.md, section "Writing your own layer", its first part, MyTanh (try
the derivation before you read its code).
Check it:   python -m scratchnet.exercises check tanh

Tanh is the lesson's class (scratchnet/layers.py); nothing of it is given. The check
compares your forward with np.tanh and your backward with finite differences on several
shapes, in float64 and float32, then with a case worked by hand, and makes sure backward
changes nothing it is given.
"""

import numpy as np  # noqa: F401 (yours to use)

from scratchnet import Module


class Tanh(Module):
    """y = tanh(x), elementwise; x and y of shape (N, features), same dtype."""

    def forward(self, x):
        """x (N, features) -> y = tanh(x), (N, features)."""
        # 1. Compute y (NumPy has the function).
        # 2. Keep in the cache what backward will need: the derivative can be written
        #    with the output alone, which saves computing tanh twice.
        raise NotImplementedError("Tanh.forward is yours to write: follow the steps above it")

    def backward(self, dL_dy):
        """dL_dy (N, features) -> dL_dx (N, features)."""
        # The derivation to carry out:
        # 1. Write tanh(x) = sinh(x) / cosh(x) and differentiate with the quotient rule.
        # 2. Rewrite the result using tanh(x) itself, that is with y.
        # 3. Each y[n, i] depends on x[n, i] alone: multiply elementwise by dL_dy.
        # 4. Return a new array of dL_dy's shape; never change dL_dy itself.
        raise NotImplementedError("Tanh.backward is yours to write: follow the steps above it")
