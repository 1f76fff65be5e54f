"""Optimizers: Adam and SGD, each implementing the update rule PyTorch documents for it.

Each assigns its settings and buffers (``exp_avg[i]`` belongs to ``params[i]``) in its own
``__init__``; ``step()`` updates every ``param.data`` **in place** from ``param.grad``.
"""

from __future__ import annotations

import numpy as np

from scratchnet.doors import for_optimizers as doors
from scratchnet.doors.state import optimizer_state


class Optimizer:
    """What every optimizer shares: its parameters, its step count, and saving
    (``state_dict`` saves what ``settings`` and ``buffers`` name)."""

    settings: tuple[str, ...] = ()
    buffers: tuple[str, ...] = ()

    def __init__(self, params):
        self.params = doors.params(params)
        self.step_count = 0  # steps taken so far; during a step, the t of its update rule

    def step(self) -> None:
        name = type(self).__name__
        raise NotImplementedError(f"{name} has no step: write {name}.step(self)")

    def zero_grad(self) -> None:
        """Zero every ``param.grad``: not needed (backward overwrites); reads like PyTorch."""
        for param in self.params:
            param.grad = np.zeros_like(param.data)

    def state_dict(self) -> dict[str, np.ndarray]:
        """"type", "step_count", each setting ("lr", ...) and a copy of each buffer's array
        for params[i], as "<buffer>/<i>" ("exp_avg/0", ...)."""
        state = {"type": np.array(type(self).__name__), "step_count": np.array(self.step_count)}
        state.update((name, np.array(getattr(self, name))) for name in self.settings)
        for name in self.buffers:
            state.update((f"{name}/{i}", each.copy()) for i, each in enumerate(getattr(self, name)))
        return state

    def load_state_dict(self, state) -> None:
        """Restore a ``state_dict()``, once all of it is checked, so training resumes exactly."""
        copies, step_count = optimizer_state(self, state)
        for target, saved in copies:
            target[...] = saved
        self.step_count = step_count

    def zeros(self) -> list[np.ndarray]:
        """A buffer: one array of zeros like each parameter, in its dtype."""
        return [np.zeros_like(param.data) for param in self.params]


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
    bias. weight_decay adds the gradient of the L2 penalty (weight_decay / 2) theta^2
    to g, so it passes through m and v (AdamW instead shrinks theta directly).
    """

    settings = ("lr", "betas", "eps", "weight_decay")
    buffers = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = doors.adam_settings(
            lr, betas, eps, weight_decay
        )
        self.exp_avg = self.zeros()  # m for each parameter
        self.exp_avg_sq = self.zeros()  # v for each parameter

    def step(self) -> None:
        """Update every ``param.data`` in place by the rule in the class docstring."""
        gradients = doors.gradients(self.params, self.weight_decay)
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
    """

    settings = ("lr", "momentum")
    buffers = ("momentum_buffer",)

    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params)
        self.lr, self.momentum = doors.sgd_settings(lr, momentum)
        self.momentum_buffer = self.zeros()  # b for each parameter

    def step(self) -> None:
        """Update every ``param.data`` in place by the rule in the class docstring."""
        gradients = doors.gradients(self.params)
        self.step_count += 1
        for param, grad, b in zip(self.params, gradients, self.momentum_buffer):
            b[...] = self.momentum * b + grad  # into the stored array, in its dtype
            param.data -= self.lr * b

    def __repr__(self) -> str:
        return f"SGD({len(self.params)} parameters, lr={self.lr}, momentum={self.momentum})"
