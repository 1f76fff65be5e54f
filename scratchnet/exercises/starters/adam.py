"""Exercise adam: write Adam.step, the update rule PyTorch documents for torch.optim.Adam.

Read first: docs/tour.md, section "Optimizers and the training loop", the update rule.
Check it:   python -m scratchnet.exercises check adam

Adam is the lesson's class (scratchnet/optimizers.py), with its constructor given. The
check gives your Adam and the lesson's the same parameters and gradients for several
steps and compares where the parameters go, in float64 and float32, then works two
steps by hand, and makes sure step leaves the gradients alone.
Not graded: weight_decay; your step may leave it out.
"""

import numpy as np  # noqa: F401 (yours to use)

from scratchnet import Optimizer


class Adam(Optimizer):
    """Adam with PyTorch's update rule. State: step_count (t after the last step), and
    exp_avg (m) and exp_avg_sq (v), lists of arrays aligned with params, zeros at first."""

    settings = ("lr", "betas", "eps", "weight_decay")  # what state_dict saves, with
    buffers = ("exp_avg", "exp_avg_sq")  # these lists of arrays

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params)  # self.params, and self.step_count = 0
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.exp_avg = self.zeros()  # m for each parameter
        self.exp_avg_sq = self.zeros()  # v for each parameter

    def step(self):
        """Update every param.data in place from its param.grad."""
        # The rule to carry out, at each step:
        # 1. Increment self.step_count first: t is 1 at the first step.
        # 2. For every parameter theta (param.data) with its gradient g (param.grad), and
        #    its m = self.exp_avg[i] and v = self.exp_avg_sq[i]:
        #    m = beta1 m + (1 - beta1) g          the moving average of g
        #    v = beta2 v + (1 - beta2) g^2        the moving average of g^2
        #    Write into the stored arrays (m[...] = ...): they must carry over to the
        #    next step.
        # 3. m and v start at 0, so they are biased towards 0. Which factor removes the
        #    bias? (The tour says; work out why from the sum of the weights so far.)
        # 4. theta = theta - lr m_hat / (sqrt(v_hat) + eps), in place (param.data -= ...).
        # 5. Never write into param.grad.
        raise NotImplementedError("Adam.step is yours to write: follow the steps above it")
