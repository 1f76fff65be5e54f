"""Exercise sigmoid: write Sigmoid.backward.

Read first: docs/tour.md, section "Layers", the paragraph Sigmoid.
Check it:   python -m scratchnet.exercises check sigmoid

Sigmoid is the lesson's class (scratchnet/layers.py), with its forward given. The check
compares your backward with finite differences on several shapes, in float64 and
float32, then with cases worked by hand (one where p rounds to 1), and makes sure
backward changes nothing it is given.
"""

import numpy as np

from scratchnet import Module


def sigmoid_and_complement(x):
    """sigma(x) and 1 - sigma(x) = sigma(-x), each computed from e = exp(-|x|), which
    never overflows; neither is a subtraction that could lose digits."""
    e = np.exp(-np.abs(x))
    non_negative = x >= 0
    one_plus_e = 1.0 + e
    return np.where(non_negative, 1.0, e) / one_plus_e, np.where(non_negative, e, 1.0) / one_plus_e


class Sigmoid(Module):
    """p = sigma(x) = 1 / (1 + exp(-x)), elementwise; x and p of shape (N, features)."""

    def forward(self, x):
        """x (N, features) -> p = sigma(x), (N, features). Caches p and q = 1 - p, each
        (N, features), q computed as sigma(-x)."""
        self.p, self.q = sigmoid_and_complement(x)
        return self.p

    def backward(self, dL_dp):
        """dL_dp (N, features) -> dL_dx (N, features)."""
        # The derivation to carry out:
        # 1. Differentiate sigma(x) = 1 / (1 + exp(-x)) with the chain rule.
        # 2. Rewrite the result using sigma(x) itself, so that it needs only what forward
        #    cached: p, and q = 1 - p.
        # 3. Each p[n, i] depends on x[n, i] alone: multiply elementwise by dL_dp.
        # 4. Where x = 40, p rounds to 1 in float64: which cached array still holds 1 - p?
        raise NotImplementedError("Sigmoid.backward is yours to write: follow the steps above it")
