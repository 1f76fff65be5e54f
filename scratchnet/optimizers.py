"""Optimizers: Adam and SGD, each implementing the update rule PyTorch documents for it.

Conventions used throughout
---------------------------
* An optimizer is built from Parameters, usually ``model.parameters()``, and keeps them
  in that order in ``params``. Its state is plain attributes: ``step_count``, the number
  of steps taken, and lists aligned with ``params`` (``exp_avg[i]`` belongs to
  ``params[i]``) whose arrays have their parameter's shape and dtype. Nothing is hidden,
  so the state can be inspected, saved and restored.
* ``step()`` reads every ``param.grad`` and updates ``param.data`` **in place**, so the
  layers that own the parameters compute with the new values. Float32 parameters and
  their state stay float32.
* ``step()`` refuses a gradient that contains NaN or infinity with a
  ``FloatingPointError``, before changing anything: no parameter moves, no state changes
  and the step is not counted. A non-finite gradient means training has diverged (a
  learning rate too large, a loss evaluated at log 0), and continuing would hide it: a
  single NaN in Adam's ``exp_avg_sq`` stays there for good and turns every later update
  of that parameter into NaN. ``FloatingPointError`` rather than ``ValueError`` marks
  this as numbers gone bad during training, not a wrong argument.
* ``zero_grad()`` sets every gradient to zero. scratchnet's ``backward`` overwrites
  gradients instead of adding to them (see ``scratchnet.layers``), so this is never
  needed for correctness; it is kept so that a training loop reads line for line like
  PyTorch's, where gradients accumulate until reset.
"""

from __future__ import annotations

import numpy as np

from scratchnet._checks import (
    require_decay_rate,
    require_nonnegative_float,
    require_positive_float,
)
from scratchnet.layers import Module, Parameter


class Optimizer:
    """What every optimizer shares: its parameters, its step count and ``zero_grad``."""

    def __init__(self, params):
        self.params = _checked_params(params)
        self.step_count = 0  # steps taken so far; during a step, the t of its update rule

    def step(self) -> None:
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Set every ``param.grad`` to zeros of its parameter's shape and dtype."""
        for param in self.params:
            param.grad = np.zeros_like(param.data)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Step count, settings and a copy of the buffers; see ``scratchnet.serialization``."""
        from scratchnet import serialization  # here: serialization imports this module

        return serialization.optimizer_state(self)

    def load_state_dict(self, state) -> None:
        """Restore a ``state_dict()``, after checking all of it, so training resumes exactly."""
        from scratchnet import serialization

        serialization.load_optimizer_state(self, state)

    def _checked_gradients(self) -> list[np.ndarray]:
        """Every ``param.grad``, in order, once all are known to be usable, or an error."""
        gradients = []
        for index, param in enumerate(self.params):
            grad = np.asarray(param.grad)
            # Checked because a gradient of another shape could broadcast silently.
            if grad.shape != param.data.shape:
                raise ValueError(
                    f"params[{index}].grad must have its parameter's shape "
                    f"{param.data.shape}, got {grad.shape}"
                )
            if not np.isfinite(grad).all():
                raise FloatingPointError(
                    f"the gradient of params[{index}] (shape {param.data.shape}) contains "
                    "NaN or infinity, so training has diverged; no parameter was updated"
                )
            gradients.append(grad)
        return gradients


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

    Arguments: params, a non-empty iterable of distinct Parameters; lr > 0;
    betas = (beta1, beta2), each in [0, 1); eps > 0; weight_decay >= 0. eps = 0 is
    refused: an entry whose gradient has been exactly 0 at every step so far (a dead ReLU
    unit's weights) would get 0 / 0 = NaN.

    State: ``step_count`` (t after the last step), and ``exp_avg`` and ``exp_avg_sq``,
    lists of arrays aligned with ``params``, zeros before the first step.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params)
        self.lr = require_positive_float(lr, "lr")
        self.betas = _checked_betas(betas)
        self.eps = require_positive_float(eps, "eps")
        self.weight_decay = require_nonnegative_float(weight_decay, "weight_decay")
        self.exp_avg = [np.zeros_like(param.data) for param in self.params]
        self.exp_avg_sq = [np.zeros_like(param.data) for param in self.params]

    def step(self) -> None:
        """Update every ``param.data`` in place by the rule in the class docstring."""
        with np.errstate(over="ignore"):  # an overflow of g^2 is refused below, in words
            moments = [
                self._next_moments(index, grad)
                for index, grad in enumerate(self._checked_gradients())
            ]
        self.step_count += 1
        t = self.step_count
        beta1, beta2 = self.betas
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        for param, m, v, (next_m, next_v) in zip(
            self.params, self.exp_avg, self.exp_avg_sq, moments
        ):
            # Assigning into m[...] and v[...] updates the arrays held in the state lists,
            # and keeps their dtype even if the gradient came in another one.
            m[...] = next_m
            v[...] = next_v
            m_hat = m / bias_correction1
            v_hat = v / bias_correction2
            param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _next_moments(self, index: int, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """m and v after this step, for params[index]; checked before any state changes.

        A finite gradient can still overflow g^2 (above 1.8e19 in float32): v would then
        be inf for good and freeze that entry without a word, so it is refused here.
        """
        param = self.params[index]
        beta1, beta2 = self.betas
        g = grad + self.weight_decay * param.data if self.weight_decay != 0 else grad
        next_v = beta2 * self.exp_avg_sq[index] + (1 - beta2) * g**2
        next_v = next_v.astype(param.data.dtype, copy=False)  # in float32, g**2 may be float64
        if not np.isfinite(next_v).all():
            raise FloatingPointError(
                f"the squared gradient of params[{index}] (shape {param.data.shape}) overflows "
                f"{param.data.dtype}, so training has diverged; no parameter was updated"
            )
        next_m = beta1 * self.exp_avg[index] + (1 - beta1) * g
        return next_m, next_v

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

    Arguments: params, a non-empty iterable of distinct Parameters; lr > 0;
    momentum in [0, 1).

    State: ``step_count``, and ``momentum_buffer``, a list of arrays aligned with
    ``params``, zeros before the first step.
    """

    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params)
        self.lr = require_positive_float(lr, "lr")
        self.momentum = require_decay_rate(momentum, "momentum")
        self.momentum_buffer = [np.zeros_like(param.data) for param in self.params]

    def step(self) -> None:
        """Update every ``param.data`` in place by the rule in the class docstring."""
        gradients = self._checked_gradients()
        self.step_count += 1
        for param, grad, b in zip(self.params, gradients, self.momentum_buffer):
            b[...] = self.momentum * b + grad  # into the stored array, in its dtype
            param.data -= self.lr * b

    def __repr__(self) -> str:
        return f"SGD({len(self.params)} parameters, lr={self.lr}, momentum={self.momentum})"


def _checked_params(params) -> list[Parameter]:
    """``params`` as a list of distinct Parameters holding floating-point arrays, or an error."""
    try:
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


def _checked_betas(betas) -> tuple[float, float]:
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__"):
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {len(betas)} values")
    beta1, beta2 = betas
    return require_decay_rate(beta1, "betas[0]"), require_decay_rate(beta2, "betas[1]")


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
