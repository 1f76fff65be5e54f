"""Argument checks shared by every public entry point.

Each check raises a ``TypeError`` (wrong kind of thing) or a ``ValueError`` (right kind,
wrong value) whose message names the argument and says what was expected, so that a
mistake surfaces as a sentence rather than as NaN or a broadcasting error deep in NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np

# The floating dtypes scratchnet computes in; every other real input becomes float64.
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_array(value, name: str, dtype=None) -> np.ndarray:
    """Return ``value`` as a floating-point ndarray, converting integers and booleans.

    ``dtype`` (when given) is the floating dtype to convert to; otherwise float32 and
    float64 input keep their dtype, and everything else real (integers, booleans,
    float16, long double) becomes float64: float16 cannot even hold the losses' clamp
    1 - 1e-7, which rounds to 1 and would put log(0) back.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got a {type(value).__name__}")
    try:
        array = np.asarray(value)
    except ValueError as error:  # rows of different lengths, for one
        raise ValueError(f"{name} must be a rectangular array of numbers: {error}") from None
    kind = array.dtype.kind
    if kind == "O" and array.ndim == 0:
        raise TypeError(f"{name} must be an array of real numbers, got {value!r}")
    if kind not in "biuf":
        raise TypeError(
            f"{name} must be an array of real numbers, got an array of dtype {array.dtype}"
        )
    if dtype is None:
        dtype = array.dtype if array.dtype in _FLOAT_DTYPES else np.float64
    return array.astype(dtype, copy=False)


def require_finite(array: np.ndarray, name: str) -> None:
    """Refuse NaN and infinity, which would otherwise spread silently through training."""
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite, but it contains NaN or infinity")


def require_nonempty(array: np.ndarray, name: str) -> None:
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")


def require_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def require_positive_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return float(value)


def require_nonnegative_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a non-negative number, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {value}")
    return float(value)


def require_decay_rate(value, name: str) -> float:
    """A factor in [0, 1) by which a running average keeps its past at each step.

    At 1 the past would never fade: Adam's moments would stay at 0 (and their bias
    correction 1 - beta^t would be 0), and SGD's momentum buffer would add up every
    gradient ever seen with equal weight. NaN is refused with the rest.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value}")
    return float(value)


def require_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{name} must be a NumPy floating dtype, got {dtype!r}") from error
    if resolved not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {resolved}")
    return resolved


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """Accept a ``numpy.random.Generator``, an integer seed, or ``None`` (unseeded)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, an integer seed or None, got {rng!r}"
        )
    if rng < 0:
        raise ValueError(f"{name} as a seed must be a non-negative integer, got {rng}")
    return np.random.default_rng(int(rng))
