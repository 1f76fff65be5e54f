"""Optimizers: Adam and SGD, each implementing the update rule PyTorch documents for it.

* An optimizer keeps its Parameters, usually ``model.parameters()``, in ``params``. It
  declares its ``settings`` (lr, betas, ...: name and allowed range) and its ``buffers``,
  lists aligned with ``params`` (``exp_avg[i]`` belongs to ``params[i]``). ``Optimizer``
  checks the one, makes the other, and saves and restores both: a new optimizer is one
  class with its declarations and its ``step``.
* ``step()`` updates every ``param.data`` **in place** from ``param.grad``, so the layers
  that own the parameters compute with the new values. Float32 stays float32. A gradient
  holding NaN or infinity is refused first (``FloatingPointError``): one NaN in Adam's
  ``exp_avg_sq`` would poison every later update of that entry.
* ``zero_grad()`` is never needed (``backward`` overwrites gradients); it is kept so a
  loop can read line for line like PyTorch's.
"""

from __future__ import annotations

import math

import numpy as np

from scratchnet.doors.values import (
    DECAY_RATE,
    NON_NEGATIVE,
    POSITIVE,
    GradientError,
    GradientOverflow,
    Pair,
)
from scratchnet._state import checked_optimizer_state, copy_all, optimizer_state
from scratchnet.layers import Module, Parameter


class Optimizer:
    """What every optimizer shares: parameters, settings, buffers, step count, saving.

    A subclass declares ``settings``, {name: the check of its value}, and ``buffers``,
    the names of its per-parameter arrays, and passes its settings to ``__init__``.
    """

    settings: dict = {}
    buffers: tuple[str, ...] = ()

    def __init__(self, params, **settings):
        self.params = checked_params(params)
        for name, check in self.settings.items():
            setattr(self, name, check.check(settings[name], name))
        for name in self.buffers:
            setattr(self, name, [np.zeros_like(param.data) for param in self.params])
        self.step_count = 0  # steps taken so far; during a step, the t of its update rule

    def step(self) -> None:
        name = type(self).__name__
        raise NotImplementedError(f"{name} has no step: write {name}.step(self)")

    def zero_grad(self) -> None:
        """Set every ``param.grad`` to zeros of its parameter's shape and dtype."""
        for param in self.params:
            param.grad = np.zeros_like(param.data)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Type, step count, settings and a copy of every buffer, by name (see _state)."""
        return optimizer_state(self)

    def load_state_dict(self, state) -> None:
        """Restore a ``state_dict()``, after checking all of it, so training resumes exactly."""
        copies, step_count = self.checked_state(state)
        copy_all(copies)
        self.step_count = step_count

    def checked_state(self, state) -> tuple[list, int]:
        """(buffer, saved array) pairs and the saved step count, once everything fits."""
        return checked_optimizer_state(self, state)

    def checked_gradients(self) -> list[np.ndarray]:
        """Every ``param.grad``, once all have their parameter's shape and are finite."""
        return checked_gradients(self.params)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with the update rule PyTorch documents for
    ``torch.optim.Adam`` (amsgrad and maximize off).

    At each step the step count t is incremented first (t = 1 at the first step), then,
    for every parameter theta with gradient grad, elementwise:

        g      = grad + weight_decay * theta         (only when weight_decay != 0)
        m      = beta1 * m + (1 - beta1) * g         first moment,  ``exp_avg[i]``
        v      = beta2 * v + (1 - beta2) * g^2       second moment, ``exp_avg_sq[i]``
        m_hat  = m / (1 - beta1^t)
        v_hat  = v / (1 - beta2^t)
        theta  = theta - lr * m_hat / (sqrt(v_hat) + eps)

    m and v start at 0, so early on they are biased towards 0; 1 - beta^t is the total
    weight the average has given to gradients so far, and dividing by it removes the
    bias. One consequence: the first step moves every entry by lr |g| / (|g| + eps),
    against the sign of g: almost exactly lr whenever |g| is well above eps, however
    small or large g is.

    weight_decay adds the gradient of the L2 penalty (weight_decay / 2) * theta^2 to g,
    so it passes through m and v (PyTorch's Adam; AdamW instead shrinks theta directly).

    Arguments: lr > 0; betas, each in [0, 1); eps > 0 (at 0, an entry whose gradient was
    0 at every step, a dead ReLU unit's weight, would get 0 / 0 = NaN); weight_decay >= 0.
    State: ``step_count`` (t after the last step), ``exp_avg`` and ``exp_avg_sq``.
    """

    settings = {
        "lr": POSITIVE,
        "betas": Pair(DECAY_RATE, ("beta1", "beta2")),
        "eps": POSITIVE,
        "weight_decay": NON_NEGATIVE,
    }
    buffers = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def step(self) -> None:
        """Update every ``param.data`` in place by the rule in the class docstring."""
        gradients = self.checked_gradients()
        self.step_count += 1
        t = self.step_count
        beta1, beta2 = self.betas
        for param, grad, m, v in zip(self.params, gradients, self.exp_avg, self.exp_avg_sq):
            g = grad + self.weight_decay * param.data if self.weight_decay != 0 else grad
            # Assigning into m[...] and v[...] updates the arrays held in the state lists,
            # and keeps their dtype even if the gradient came in another one.
            m[...] = beta1 * m + (1 - beta1) * g
            v[...] = beta2 * v + (1 - beta2) * g**2
            m_hat = m / (1 - beta1**t)
            v_hat = v / (1 - beta2**t)
            param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def checked_gradients(self) -> list[np.ndarray]:
        """As ``Optimizer.checked_gradients``, and refuse a g whose g^2 overflows."""
        return checked_gradients(self.params, self.weight_decay)

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} parameters, lr={self.lr}, betas={self.betas}, "
            f"eps={self.eps}, weight_decay={self.weight_decay})"
        )


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum: the rule PyTorch documents
    for ``torch.optim.SGD`` with dampening 0, no Nesterov and no weight decay.

    For every parameter theta with gradient grad, elementwise:

        b      = momentum * b + grad                 ``momentum_buffer[i]``
        theta  = theta - lr * b

    b starts at 0, so the first step gives b = grad exactly, as PyTorch's rule states.
    With momentum = 0 this is plain gradient descent, theta = theta - lr * grad. Like
    PyTorch, lr multiplies b at each step instead of being folded into it (as in
    Sutskever et al., 2013); the two agree while lr stays constant.

    Arguments: lr > 0; momentum in [0, 1). State: ``step_count``, ``momentum_buffer``.
    """

    settings = {"lr": POSITIVE, "momentum": DECAY_RATE}
    buffers = ("momentum_buffer",)

    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, lr=lr, momentum=momentum)

    def step(self) -> None:
        """Update every ``param.data`` in place by the rule in the class docstring."""
        gradients = self.checked_gradients()
        self.step_count += 1
        for param, grad, b in zip(self.params, gradients, self.momentum_buffer):
            b[...] = self.momentum * b + grad  # into the stored array, in its dtype
            param.data -= self.lr * b

    def __repr__(self) -> str:
        return f"SGD({len(self.params)} parameters, lr={self.lr}, momentum={self.momentum})"


def require_optimizer_of(optimizer, model: Module) -> None:
    """Refuse an optimizer built for another model: it would update parameters this one
    does not use. (An optimizer given only some of the model's parameters is fine: the
    others stay frozen.)"""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            "optimizer must be a scratchnet optimizer, such as sn.Adam(model.parameters()); "
            f"got a {type(optimizer).__name__}"
        )
    model_param_ids = {id(param) for param in model.parameters()}
    for index, param in enumerate(optimizer.params):
        if id(param) not in model_param_ids:
            raise ValueError(
                f"optimizer.params[{index}] is not a parameter of model; "
                "build the optimizer from model.parameters()"
            )


def checked_params(params) -> list[Parameter]:
    """``params`` as a list of distinct Parameters holding float arrays, or an error."""
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
        if not isinstance(param, Parameter):
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
    training has diverged. For Adam, ``weight_decay`` is given: v adds up g^2 for
    g = grad + weight_decay * theta, and a g^2 that overflows (above 1.8e19 in float32)
    would leave v at inf for good. One cheap test per gradient, g . g, is finite unless
    an entry is NaN or infinite or the squares overflow their sum; only a gradient that
    fails it is looked at entry by entry, to say what is wrong (a sum that overflows
    where no single square does is fine).
    """
    gradients = [np.asarray(param.grad) for param in params]
    for index, (param, grad) in enumerate(zip(params, gradients)):
        if grad.shape != param.data.shape:
            raise GradientError(
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
        raise GradientOverflow(
            f"the gradient of params[{index}] (shape {param.data.shape}) contains "
            "NaN or infinity, so training has diverged; no parameter was updated"
        )
    if g_to_square is None:
        return
    with np.errstate(over="ignore"):  # the overflow is what is looked for, and refused
        squares_fit = np.isfinite(g_to_square * g_to_square).all()
    if not squares_fit:
        raise GradientOverflow(
            f"the squared gradient of params[{index}] (shape {param.data.shape}) "
            f"overflows {param.data.dtype}, so training has diverged; no parameter "
            "was updated"
        )
