"""Exercise relu: write ReLU.backward.

Read first: docs/tour.md, section "Layers", the paragraph ReLU.
Check it:   python -m scratchnet.exercises check relu

ReLU is the lesson's class (scratchnet/layers.py), with its forward given. The check
compares your backward with finite differences on several shapes, in float64 and
float32, then with a case worked by hand, and makes sure backward changes nothing it is
given.
"""

import numpy as np

from scratchnet import Module


class ReLU(Module):
    """y = max(x, 0), elementwise; x and y of shape (N, features), same dtype.

    Convention: relu'(0) = 0 (the kink counts as inactive), as in PyTorch.
    """

    def forward(self, x):
        """x (N, features) -> y = max(x, 0), (N, features). Caches y: y > 0 where x > 0."""
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, dL_dy):
        """dL_dy (N, features) -> dL_dx (N, features)."""
        # The derivation to carry out:
        # 1. Each y[n, i] depends on x[n, i] alone, so dL/dx[n, i] = dL/dy[n, i] * dy/dx[n, i]
        #    (the chain rule, one element at a time).
        # 2. Write dy/dx of max(x, 0) where x > 0 and where x < 0; at x = 0 take the
        #    convention in the class docstring.
        # 3. forward kept y, not x: say where x > 0 in terms of y.
        # 4. Return a new array of dL_dy's shape; never change dL_dy itself.
        raise NotImplementedError("ReLU.backward is yours to write: follow the steps above it")
