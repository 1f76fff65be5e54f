"""The values a user passes, numbers and arrays, checked where they enter: a ``TypeError``
for the wrong kind of thing, a ``ValueError`` for a wrong value, each naming the argument
and what was expected. Numbers are declared: ``Number(low=0, high=1, closed="left")`` is
"a number in [0, 1)", and ``spec.check(value, name)`` returns the value or the sentence."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

# The floating dtypes scratchnet computes in; every other real input becomes float64.
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@dataclass(frozen=True)
class Number:
    """A scalar of ``kind`` int or float between ``low`` and ``high`` (None: no bound);
    ``closed`` ("neither", "left", "right", "both") says which bounds it may equal. A real
    number with no upper bound must be finite too, so NaN and infinity are refused."""

    kind: type = float
    low: float | None = None
    high: float | None = None
    closed: str = "neither"

    def check(self, value, name: str):
        """``value`` as an int or a float, or a sentence naming ``name`` and the range."""
        whole = self.kind is int
        expected_type = numbers.Integral if whole else numbers.Real
        if isinstance(value, bool) or not isinstance(value, expected_type):
            raise TypeError(f"{name} must be {self._describe(finite=False)}, got {value!r}")
        if not self._contains(value):
            raise ValueError(f"{name} must be {self._describe(finite=not whole)}, got {value}")
        return int(value) if whole else float(value)

    def _contains(self, value) -> bool:
        closed_low = self.closed in ("left", "both")
        closed_high = self.closed in ("right", "both")
        if self.low is not None and not (value >= self.low if closed_low else value > self.low):
            return False
        if self.high is None:
            return bool(np.isfinite(value))
        return bool(value <= self.high if closed_high else value < self.high)

    def _describe(self, finite: bool) -> str:
        noun = "integer" if self.kind is int else "number"
        if self.high is None and self.low == 0:
            sign = "non-negative" if self.closed in ("left", "both") else "positive"
            return f"a {sign} {'finite ' if finite else ''}{noun}"
        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") else ")"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"a {noun} in {left}{low}, {high}{right}"


@dataclass(frozen=True)
class Pair:
    """Two numbers of one kind, such as Adam's betas = (beta1, beta2)."""

    number: Number
    names: tuple[str, str]

    def check(self, value, name: str) -> tuple:
        expected = f"a pair ({self.names[0]}, {self.names[1]})"
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
            raise TypeError(f"{name} must be {expected}, got {value!r}")
        if len(value) != 2:
            raise ValueError(f"{name} must be {expected}, got {len(value)} values")
        return tuple(self.number.check(each, f"{name}[{i}]") for i, each in enumerate(value))


POSITIVE_INT = Number(int, low=0)
NON_NEGATIVE_INT = Number(int, low=0, closed="left")
POSITIVE = Number(low=0)
NON_NEGATIVE = Number(low=0, closed="left")
# A factor by which a running average keeps its past at each step. At 1 the past would
# never fade: Adam's moments would stay 0 (and their bias correction 1 - beta^t be 0),
# and SGD's momentum would add up every gradient ever seen with equal weight.
DECAY_RATE = Number(low=0, high=1, closed="left")


def as_float_array(value, name: str, dtype=None) -> np.ndarray:
    """``value`` as a floating-point ndarray of ``dtype``; with none given, float32 and
    float64 keep theirs and all else real becomes float64 (float16 cannot even hold the
    losses' clamp 1 - 1e-7, which rounds to 1 and would put log(0) back)."""
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


def as_upstream(value, like: np.ndarray, of: str, kind: type = ValueError) -> np.ndarray:
    """``grad_output`` as a float array of the dtype and the shape of ``like``, that of ``of``."""
    array = as_float_array(value, "grad_output", dtype=like.dtype)
    if array.shape != like.shape:
        raise kind(f"grad_output must have the shape of {of}, {like.shape}, got {array.shape}")
    return array


def as_samples(value, name: str, dtype=None, width=None, layer: str = "") -> np.ndarray:
    """A non-empty, finite float array of samples, one per row (``as_float_array``); with
    ``width``, the columns the first layer (``layer``) takes, it must be 2-D, (N, width)."""
    array = as_float_array(value, name, dtype)
    if width is not None and array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (N, features), got shape {array.shape}"
        )
    require_nonempty(array, name)
    if width is not None and array.shape[1] != width:
        raise ValueError(
            f"{name} must have {width} features (columns) for this {layer} layer, "
            f"got shape {array.shape}"
        )
    require_finite(array, name)
    return array


def as_labels(y, rows: int, dtype, name: str = "y") -> np.ndarray:
    """Finite targets for ``rows`` samples, a float array of ``dtype``, (rows, 1) or wider; a
    vector (N,), as scikit-learn and pandas give it, becomes the column (N, 1)."""
    y = as_float_array(y, name, dtype=dtype)
    if y.ndim not in (1, 2) or len(y) != rows:
        raise ValueError(f"{name} must have one row per row of X, {rows}, got shape {y.shape}")
    require_finite(y, name)
    return y.reshape(-1, 1) if y.ndim == 1 else y


def require_binary_labels(y: np.ndarray, name: str = "y") -> None:
    """Refuse NaN and every label other than 0 and 1."""
    require_finite(y, name)
    not_a_label = (y != 0) & (y != 1)
    if not_a_label.any():
        raise ValueError(f"{name} must hold only the labels 0 and 1, found {y[not_a_label][0]:g}")


def require_probabilities(p: np.ndarray, name: str = "p", hint: str = "") -> None:
    """Refuse every value outside [0, 1], ``hint`` appended; NaN passes (check it first)."""
    outside = (p < 0) | (p > 1)
    if outside.any():
        raise ValueError(f"{name} must hold probabilities in [0, 1], found {p[outside][0]}{hint}")


def require_finite(array: np.ndarray, name: str, kind: type = ValueError) -> None:
    """Refuse NaN and infinity, which would otherwise spread silently through training."""
    if not np.isfinite(array).all():
        raise kind(f"{name} must be finite, but it contains NaN or infinity")


def require_nonempty(array: np.ndarray, name: str) -> None:
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")


def require_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{name} must be a NumPy floating dtype, got {dtype!r}") from error
    if resolved not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {resolved}")
    return resolved


def kind_of(value) -> str:
    """What a value is, for a sentence: "None", "an array of shape (3,)", "a float"."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return "None" if value is None else f"a {type(value).__name__}"


def require_instance(value, kind: type, name: str, description: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be {description}, got a {type(value).__name__}")


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
    return np.random.default_rng(NON_NEGATIVE_INT.check(rng, f"{name} as a seed"))


class GradientError(ValueError):
    """A gradient that cannot be used: not an array, misshapen, or holding NaN. Raised
    inside a training step, so ``train`` writes the step into its text ("at epoch 3: ...")."""


class GradientOverflow(FloatingPointError):
    """A gradient gone NaN or infinite on the way back, or one whose square overflows.
    Raised inside a training step, so ``train`` writes the step into its text."""
