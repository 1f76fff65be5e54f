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


def as_samples(value, name: str, dtype=None) -> np.ndarray:
    """A non-empty, finite 2-D float array of shape (N, features), as ``as_float_array``."""
    array = as_float_array(value, name, dtype)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (N, features), got shape {array.shape}"
        )
    require_nonempty(array, name)
    require_finite(array, name)
    return array


def as_grad_output(grad_output, shape: tuple[int, ...], dtype, of: str) -> np.ndarray:
    """An upstream gradient as a finite array of ``shape`` and ``dtype``, or a clear error.

    ``of`` names what it is the gradient of, for the message ("the last output").
    """
    grad_output = as_float_array(grad_output, "grad_output", dtype=dtype)
    if grad_output.shape != shape:
        raise ValueError(
            f"grad_output must have the shape of {of}, {shape}, got {grad_output.shape}"
        )
    require_finite(grad_output, "grad_output")
    return grad_output


def require_binary_labels(y: np.ndarray, name: str = "y") -> None:
    """Refuse NaN and every label other than 0 and 1."""
    require_finite(y, name)
    not_a_label = (y != 0) & (y != 1)
    if not_a_label.any():
        raise ValueError(f"{name} must hold only the labels 0 and 1, found {y[not_a_label][0]}")


def require_probabilities(p: np.ndarray, name: str = "p", hint: str = "") -> None:
    """Refuse every value outside [0, 1]; ``hint`` is appended to the message.

    Call it after ``require_finite``: NaN compares false both ways and would pass.
    """
    outside = (p < 0) | (p > 1)
    if outside.any():
        raise ValueError(f"{name} must hold probabilities in [0, 1], found {p[outside][0]}{hint}")


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


def require_in_open_interval(value, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in ({low:g}, {high:g}), got {value!r}")
    if not low < value < high:
        raise ValueError(f"{name} must be a number in ({low:g}, {high:g}), got {value}")
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


def require_seed(value, name: str = "seed") -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return int(value)


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
    return np.random.default_rng(require_seed(rng, f"{name} as a seed"))
