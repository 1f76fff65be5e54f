"""Exercise linear: write Linear.backward, its weight, bias and input gradients.

Read first: docs/tour.md, section "Layers", the paragraph Linear.
Check it:   python -m scratchnet.exercises check linear

Linear is the lesson's class (scratchnet/layers.py), with its constructor and forward
given. The check compares your three gradients with finite differences on several
shapes, in float64 and float32, then with a case worked by hand, and makes sure backward
changes nothing it is given and overwrites the gradients rather than adding to them.
"""

import numpy as np

from scratchnet import Module, Parameter


class Linear(Module):
    """Affine layer y = x @ W + b.

    Shapes: x (N, in_features), W = weight.data (in_features, out_features),
    b = bias.data (out_features,), y (N, out_features). Cache: x.
    Every entry of W and b is drawn from U(-k, k), k = 1/sqrt(in_features), W first.
    """

    def __init__(self, in_features, out_features, *, rng=None, dtype=np.float64):
        self.in_features = in_features
        self.out_features = out_features
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(rng)  # a Generator is used as it is; an int seeds one
        bound = 1.0 / np.sqrt(in_features)
        weight = rng.uniform(-bound, bound, size=(in_features, out_features))
        bias = rng.uniform(-bound, bound, size=out_features)
        self.weight = Parameter(weight.astype(self.dtype))
        self.bias = Parameter(bias.astype(self.dtype))  # both found by named_parameters()

    def forward(self, x):
        """x (N, in_features) -> y = x @ W + b, (N, out_features). Caches x."""
        self.x = x.astype(self.dtype, copy=False)
        return self.x @ self.weight.data + self.bias.data

    def backward(self, dL_dy):
        """dL_dy (N, out_features) -> dL_dx (N, in_features); sets weight.grad and bias.grad."""
        # The derivation to carry out, from y[n, j] = sum_i x[n, i] W[i, j] + b[j]:
        # 1. dL/dW[i, j]: W[i, j] appears in y[n, j] for every example n. Sum
        #    dL/dy[n, j] * dy[n, j]/dW[i, j] over n, then write that sum as one matrix
        #    product. Check its shape against W's.
        # 2. dL/db[j]: b[j] is added to y[n, j] for every n. Which sum is that? Check its
        #    shape against b's.
        # 3. dL/dx[n, i]: x[n, i] appears in y[n, j] for every output j. Sum over j, then
        #    write it as a matrix product of x's shape.
        # 4. Store the first two in self.weight.grad and self.bias.grad, replacing what was
        #    there (scratchnet overwrites gradients, never adds to them); return the third.
        # 5. float32 in, float32 out: an array you create needs dtype=.
        raise NotImplementedError("Linear.backward is yours to write: follow the steps above it")
