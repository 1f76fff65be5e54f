"""Numerically stable sigmoid and log-sigmoid, shared by the Sigmoid layer and the losses.

The textbook ``1 / (1 + exp(-x))`` overflows ``exp`` for large negative ``x`` (and warns),
and ``log(sigmoid(x))`` turns into ``log(0) = -inf`` long before the true value, ``-|x|``,
is out of range. Both functions below only ever call ``exp`` on ``-|x| <= 0``, whose
result lies in (0, 1], so nothing overflows for any finite input.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """sigma(x) = 1 / (1 + exp(-x)), elementwise, with the same shape and dtype as ``x``.

    With ``e = exp(-|x|)``:
        x >= 0:  sigma(x) = 1 / (1 + e)
        x <  0:  sigma(x) = e / (1 + e)      (multiply top and bottom by exp(x))
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def sigmoid_and_complement(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sigma(x) and 1 - sigma(x) = sigma(-x), each computed directly from e = exp(-|x|).

    1 - sigma(x) taken as a subtraction loses digits when sigma(x) is near 1 (at x = 40
    it is 0, not 4.2e-18); here neither number is a difference.
    """
    e = np.exp(-np.abs(x))
    non_negative = x >= 0
    one_plus_e = 1.0 + e
    return np.where(non_negative, 1.0, e) / one_plus_e, np.where(non_negative, e, 1.0) / one_plus_e


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log sigma(x) = -softplus(-x) = min(x, 0) - log(1 + exp(-|x|)), elementwise.

    For x -> -inf this tends to x itself (no log(0)); for x -> +inf it tends to 0.
    ``log1p`` keeps the last digits where exp(-|x|) is tiny.
    """
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))
