"""Argument checks, shared by every place where a user's data or settings enter scratchnet.

Each check raises a ``TypeError`` (wrong kind of thing) or a ``ValueError`` (right kind,
wrong value) whose message names the argument and says what was expected, so that a
mistake surfaces as a sentence rather than as NaN or a broadcasting error deep in NumPy.

Numbers are declared, not checked by hand: ``Number(int, low=0)`` is "a positive
integer", ``Number(low=0, high=1, closed="left")`` is "a number in [0, 1)", and
``spec.check(value, name)`` returns the value or raises the sentence.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from dataclasses import dataclass

import numpy as np

# The floating dtypes scratchnet computes in; every other real input becomes float64.
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@dataclass(frozen=True)
class Number:
    """A scalar setting: whole or real, its bounds, and which bounds are allowed.

    kind: ``int`` or ``float``. low, high: the bounds, or None for none. closed: which
    bounds the value may equal: "neither", "left", "right" or "both". A real number with
    no upper bound must also be finite, so that NaN and infinity are refused with the rest.
    """

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


def as_labels(y, rows: int, dtype, name: str = "y") -> np.ndarray:
    """Finite targets for ``rows`` samples, as a float array of ``dtype``, (rows, 1) or wider.

    A label vector of shape (N,), as scikit-learn's loaders and a pandas Series give it,
    becomes the column (N, 1) that a network's single output is compared with.
    """
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


def require_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{name} must be a NumPy floating dtype, got {dtype!r}") from error
    if resolved not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {resolved}")
    return resolved


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


def checked_params(params, kind: type) -> list:
    """``params`` as a list of distinct ``kind`` (Parameters) holding float arrays, or an error."""
    try:
        if hasattr(params, "named_parameters"):  # a model: iterable, but over its modules
            raise TypeError
        params = list(params)
    except TypeError:
        raise TypeError(
            "params must be an iterable of Parameters, such as model.parameters(), "
            f"got a {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError("params must not be empty: the optimizer would have nothing to update")
    first_index = {}
    for index, param in enumerate(params):
        if not isinstance(param, kind):
            raise TypeError(
                f"params must contain only Parameters, but params[{index}] is a "
                f"{type(param).__name__}"
            )
        data = param.data
        if not (isinstance(data, np.ndarray) and data.dtype.kind == "f"):
            found = f"dtype {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
            raise TypeError(
                f"params[{index}].data must be a floating-point NumPy array, got {found}"
            )
        earlier = first_index.setdefault(id(param), index)
        if earlier != index:
            raise ValueError(
                f"params must not contain the same Parameter twice: params[{earlier}] and "
                f"params[{index}] are one object, which would be updated twice per step"
            )
    return params


def checked_gradients(params, weight_decay=None) -> list[np.ndarray]:
    """Every ``param.grad``, in order, once all are known to be usable, or an error.

    A gradient of another shape could broadcast silently; a NaN or infinity means
    training has diverged. For Adam, ``weight_decay`` is given: its v adds up g^2 for
    g = grad + weight_decay * theta, and a g^2 that overflows (above 1.8e19 in float32)
    would leave v at inf for good, so that is refused too. Nothing has changed yet when
    anything is refused.

    One cheap test per gradient, g . g, is finite exactly when no entry is NaN or
    infinite and the squares add up without overflow; only a gradient that fails it is
    looked at entry by entry, to say what is wrong (a sum of squares can overflow where
    no single square does, and that is fine).
    """
    gradients = [np.asarray(param.grad) for param in params]
    for index, (param, grad) in enumerate(zip(params, gradients)):
        if grad.shape != param.data.shape:
            raise ValueError(
                f"params[{index}].grad must have its parameter's shape "
                f"{param.data.shape}, got {grad.shape}"
            )
        grad = grad.astype(param.data.dtype, copy=False)  # squared as the buffers hold it
        g = grad + weight_decay * param.data if weight_decay else grad
        if not math.isfinite(np.vdot(g, g)):
            _require_usable(index, param, grad, g if weight_decay is not None else None)
    return gradients


def _require_usable(index: int, param, grad: np.ndarray, g_to_square) -> None:
    if not np.isfinite(grad).all():
        raise FloatingPointError(
            f"the gradient of params[{index}] (shape {param.data.shape}) contains "
            "NaN or infinity, so training has diverged; no parameter was updated"
        )
    if g_to_square is None:
        return
    with np.errstate(over="ignore"):  # the overflow is what is looked for, and refused
        squares_fit = np.isfinite(g_to_square * g_to_square).all()
    if not squares_fit:
        raise FloatingPointError(
            f"the squared gradient of params[{index}] (shape {param.data.shape}) "
            f"overflows {param.data.dtype}, so training has diverged; no parameter "
            "was updated"
        )


# --- layers: Module.__init_subclass__ wraps each forward and backward in these ----------


def require_modules(modules, kind: type) -> None:
    """Refuse no modules, a non-module (a class, say), and one module in two places."""
    if not modules:
        raise ValueError("Sequential needs at least one module")
    for index, module in enumerate(modules):
        if not isinstance(module, kind):
            found = (
                f"the class {module.__name__}; create one: {module.__name__}()"
                if isinstance(module, type)
                else f"a {type(module).__name__}"
            )
            raise TypeError(
                f"Sequential's modules must be scratchnet modules; module {index} is {found}"
            )
        if any(module is earlier for earlier in modules[:index]):
            raise ValueError(
                f"module {index} ({module!r}) already appears earlier in this Sequential; "
                "each place needs its own module, because each caches its own forward pass"
            )
    width, giver = None, None  # the width the modules so far hand on, and who fixed it
    for index, module in enumerate(modules):
        takes = module.input_module.in_features
        if takes is not None and width is not None and takes != width:
            raise ValueError(
                f"module {index} ({module!r}) takes {takes} features, but module {giver} "
                f"gives {width}"
            )
        if getattr(module, "out_features", None) is not None:
            width, giver = module.out_features, index


def wrap_math_in_checks(cls, checked, checked_backward, recorded=None) -> None:
    """Put checked versions of ``cls``'s own forward and backward in their place, and keep
    the math callable as ``forward_unchecked`` and ``backward_unchecked``.

    ``checked`` and ``checked_backward`` make the checked versions; ``recorded``, when
    given, wraps the forward math in what it must record for backward's checks.
    """
    if "forward" in vars(cls):
        forward = cls.forward if recorded is None else recorded(cls.forward)
        cls.forward_unchecked = forward
        cls.forward = checked(forward)
    if "backward" in vars(cls):
        cls.backward_unchecked = cls.backward
        cls.backward = checked_backward(cls.backward)


def arguments(signature: inspect.Signature, self, args, kwargs) -> list:
    """The values a function of this ``signature`` would receive after ``self``, as
    Python would bind them (a missing or unknown argument is a TypeError); parameters
    left to their defaults are not listed."""
    return list(signature.bind(self, *args, **kwargs).arguments.values())[1:]


def recorded_forward(forward):
    """A layer's forward math, recording the shape and dtype of its output: what the
    checks of its backward compare an upstream gradient with. Every path records it,
    checked or not, so the record is always that of the last forward."""

    @functools.wraps(forward)
    def forward_unchecked(self, x):
        y = forward(self, x)
        self._output_spec = (y.shape, y.dtype)
        return y

    return forward_unchecked


def checked_forward(forward):
    """A layer's ``forward(x)`` behind the checks of ``scratchnet.layers``' docstring."""

    signature = inspect.signature(forward)  # once: binding is per call, reading is not

    @functools.wraps(forward)
    def checked_forward(self, *args, **kwargs):
        (x,) = arguments(signature, self, args, kwargs)
        if type(self).forward is not checked_forward:  # a subclass's forward calling super()'s:
            return forward(self, x)  # the subclass's own entry has checked x already
        first = self.input_module
        x = as_samples(x, "x", dtype=first.dtype)
        require_features(x, first, "x")
        with _overflow_caught_below():
            y = forward(self, x)
        if not np.isfinite(y).all():
            raise _overflow(where_not_finite(self, x))
        return y

    return checked_forward


def checked_backward(backward):
    """A layer's ``backward(dL_dy)`` behind the checks of ``scratchnet.layers``' docstring."""

    signature = inspect.signature(backward)  # once: binding is per call, reading is not

    @functools.wraps(backward)
    def checked_backward(self, *args, **kwargs):
        (grad_output,) = arguments(signature, self, args, kwargs)
        if type(self).backward is not checked_backward:  # called as super().backward
            return backward(self, grad_output)
        if self._output_spec is None:
            raise ValueError(
                f"{type(self).__name__}.backward was called before forward: there is no "
                "cached input to differentiate at; call forward(x) first"
            )
        shape, dtype = self._output_spec
        dL_dy = as_grad_output(grad_output, shape, dtype, "the last output")
        with _overflow_caught_below():
            dL_dx = backward(self, dL_dy)
        if not np.isfinite(dL_dx).all():
            raise _overflow(where_not_finite(self, None, dL_dy))
        return dL_dx

    return checked_backward


def require_features(x: np.ndarray, first, name: str) -> None:
    """Refuse input whose number of columns is not what the first layer takes."""
    if first.in_features is not None and x.shape[1] != first.in_features:
        raise ValueError(
            f"{name} must have {first.in_features} features (columns) for this "
            f"{type(first).__name__} layer, got shape {x.shape}"
        )


def where_not_finite(module, x, dL_dy=None) -> str:
    """Which output first went NaN or infinite ("the output of module 2", "module 1's
    dL/dx"), found by running a model's modules again one at a time; called only after
    one did. Without ``dL_dy`` it looks forward from ``x``, with it backward."""
    modules = getattr(module, "modules", None)
    if modules is None:  # a single layer
        name = type(module).__name__
        return f"the output of {name}" if dL_dy is None else f"{name}'s dL/dx"
    with _overflow_caught_below():
        if dL_dy is None:
            for index, each in enumerate(modules):
                x = each.forward_unchecked(x)
                if not np.isfinite(x).all():
                    return f"the output of module {index}"
            return "the output"  # not reached: the caller saw a NaN or infinity
        for index in range(len(modules) - 1, -1, -1):
            dL_dy = modules[index].backward_unchecked(dL_dy)
            if not np.isfinite(dL_dy).all():
                return f"module {index}'s dL/dx"
    return "dL/dx"  # not reached, as above


def _overflow_caught_below():
    """Silence NumPy's overflow warnings: the check that follows says it in words."""
    return np.errstate(over="ignore", invalid="ignore")


def _overflow(where: str) -> FloatingPointError:
    return FloatingPointError(
        f"{where} contains NaN or infinity: the numbers overflowed inside the network "
        "(a smaller learning rate or smaller weights may help)"
    )
