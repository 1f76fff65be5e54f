"""The doors of the gradient check (``scratchnet.gradcheck``): what it accepts, and what
a backward must hand back for its gradients to be compared at all. A backward that returns
None, a number, an array of another shape or dtype, or NaN, or that writes into the upstream
gradient it was handed, is told so here: that tensor is a FAIL, never a pass nor a crash.
"""

from __future__ import annotations

import numpy as np

from scratchnet._module import Module
from scratchnet.doors.values import GradientError, GradientOverflow, kind_of, require_instance

# The row of each parameter when a Sequential's backward stopped at a module inside it.
UNFINISHED = "not compared: backward stopped before the end (see the input's row)"


def module_input(module, x) -> np.ndarray:
    """x as ``check_gradients`` perturbs it, once ``module(x)`` has accepted it: a copy in
    the dtype the module declares (float64 if it declares none)."""
    require_instance(module, Module, "module", "a scratchnet Module (a layer or a model); "
                     "check a loss with check_loss")  # fmt: skip
    module(x.copy() if isinstance(x, np.ndarray) else x)  # the front door's checks of x
    return np.array(x, dtype=module.input_module.dtype or np.float64)


def require_checkable(dtype: np.dtype, precisions) -> None:
    """Refuse a dtype the check has no step and tolerance for (float16, say)."""
    if dtype not in precisions:
        raise TypeError(f"gradient checks know float64 and float32, not {dtype}")


def require_same_shape(a, b) -> None:
    if np.shape(a) != np.shape(b):
        raise ValueError(f"a and b must have the same shape, got {np.shape(a)} and {np.shape(b)}")


def require_room_for_steps(loss_fn, inputs: np.ndarray, reach: float) -> None:
    """Refuse probabilities that steps of ``reach`` either way would push out of [0, 1]."""
    if loss_fn.input_name == "p" and ((inputs < reach) | (inputs > 1 - reach)).any():
        raise ValueError(
            f"inputs must lie in [{reach:g}, {1 - reach:g}] to check a loss on probabilities: "
            f"the finite-difference steps reach {reach:g} either way and must stay in [0, 1]"
        )


def require_enough_inputs(kept: np.ndarray, n: int, margin: float) -> None:
    if len(kept) < n:
        raise ValueError(
            f"found only {len(kept)} of {n} inputs whose every ReLU input is {margin} or more "
            "from 0 (a unit whose input never strays that far, say); try a smaller margin"
        )


def backward_of(module, dL_dy) -> tuple[object, str]:
    """(what ``module.backward(dL_dy)`` returned, ""), or (None, the sentence) when a
    Sequential's backward refused what a module inside it returned, naming that module."""
    try:
        return module.backward(dL_dy), ""
    except (GradientError, GradientOverflow) as error:
        return None, str(error)


def forward_modified(x: np.ndarray, untouched: np.ndarray) -> str:
    """Why no gradient of a module can be checked at x, or "" when nothing is wrong."""
    return "" if np.array_equal(x, untouched) else "forward modified its input"


def what_backward_got_wrong(returned, x, params, drawn, handed, *, own_dtypes: bool,
                            x_name: str = "x") -> dict[str, str]:  # fmt: skip
    """The sentence of each tensor whose gradient cannot be compared, by row: "input" for
    what backward returned, or for writing into ``handed`` (a copy of ``drawn``), and each
    parameter's name for its ``grad``. With ``own_dtypes`` (a module checked on its own,
    not a Sequential), each gradient must have its tensor's dtype too."""
    said = {"input": _returned(returned, x, x_name, own_dtypes) or _modified(drawn, handed)}
    said |= {name: _parameter_grad(name, param, own_dtypes) for name, param in params}
    return {name: sentence for name, sentence in said.items() if sentence}


def _returned(dL_dx, x: np.ndarray, x_name: str, own_dtype: bool) -> str:
    expected = f"dL/d{x_name}, an array of {x_name}'s shape {x.shape}"
    if not isinstance(dL_dx, np.ndarray):
        return f"backward returned {kind_of(dL_dx)}; it must return {expected}"
    if dL_dx.shape != x.shape:
        return (
            f"backward returned an array of shape {dL_dx.shape}; dL/d{x_name} must have "
            f"{x_name}'s shape, {x.shape}"
        )
    if dL_dx.dtype != x.dtype and (own_dtype or dL_dx.dtype.kind != "f"):
        return (
            f"dL/d{x_name} is {dL_dx.dtype}, but {x_name} is {x.dtype}: backward must return "
            f"dL/d{x_name} in {x_name}'s dtype"
        )
    return _not_finite(f"dL/d{x_name}", dL_dx)


def _parameter_grad(name: str, param, own_dtype: bool) -> str:
    grad, data = getattr(param, "grad", None), param.data
    expected = f"dL/d{name}, an array of {name}'s shape {data.shape}"
    if grad is None:
        return f"backward left {name}.grad None; it must set it to {expected}"
    if not isinstance(grad, np.ndarray):
        return f"{name}.grad is {kind_of(grad)}; it must be {expected}"
    if grad.shape != data.shape:
        shape = f"{name}'s shape, {data.shape}"
        return f"{name}.grad has shape {grad.shape}; dL/d{name} must have {shape}"
    if grad.dtype != data.dtype and (own_dtype or grad.dtype.kind != "f"):
        return (
            f"{name}.grad is {grad.dtype}, but {name} is {data.dtype}: a gradient must have "
            "its parameter's dtype"
        )
    return _not_finite(f"{name}.grad", grad)


def _not_finite(what: str, array: np.ndarray) -> str:
    """Where ``array`` first holds NaN or infinity, or "" where it is finite throughout."""
    bad = ~np.isfinite(array)
    if not bad.any():
        return ""
    at = np.unravel_index(np.argmax(bad), array.shape)
    return f"{what} holds {array[at]} at {list(map(int, at))}"


def _modified(drawn, handed) -> str:
    if np.array_equal(drawn, handed):
        return ""
    return (
        "backward modified dL_dy, the upstream gradient it was handed: compute a new array "
        "(dL_dy * g), never write into it (dL_dy *= g)"
    )
