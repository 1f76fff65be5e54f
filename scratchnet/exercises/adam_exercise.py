"""Grading of the adam exercise: ``Adam.step``, PyTorch's update rule, as the lesson's.

The learner's Adam and the lesson's are given the same parameters and the same gradients
for several steps; after each step every parameter must be where the lesson's is, to
1e-7 of the distance it has moved (float64; 1e-3 in float32, whose parameters keep only
about 7 digits of themselves, fewer of their movement). Each catalogued mistake is
simulated by ``simulate`` on the same steps, and the first the learner's parameters
follow gives its hint. Weight decay is not graded.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from scratchnet.exercises.grading import (
    MEASURED,
    UNEXPLAINED,
    Check,
    Hint,
    class_in,
    failed,
    no_class,
    passed,
    run,
    same,
)
from scratchnet.layers import Parameter
from scratchnet.optimizers import Adam as LessonAdam

STEPS = 6
SHAPES = ((3, 2), (2,))
# The defaults, then settings where every term of the rule weighs: an eps of 0.1 next to
# gradients of 0.01 to 10, so that where eps goes shows.
SETTINGS = ({}, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 0.1})
TOLERANCE = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-3}

MISTAKES = {
    "no bias correction": (
        "the parameters move as if without the bias correction: divide m by "
        "1 - beta1^t and v by 1 - beta2^t, or the first steps are far too small (m and v "
        "start at 0)"
    ),
    "step count after": (
        "the parameters became NaN or infinite at the first step: the step count must be "
        "incremented before the bias correction, so that t = 1 at the first step; with "
        "t = 0, 1 - beta^t is 0"
    ),
    "moments not kept": (
        "exp_avg and exp_avg_sq do not carry over from one step to the next: `m = beta1 * "
        "m + ...` binds a new local array; write into the stored one, m[...] = ..."
    ),
    "eps inside the square root": (
        "eps is inside the square root: the rule divides by sqrt(v_hat) + eps"
    ),
    "g instead of g squared": (
        "the second moment averages g instead of g^2: v = beta2 v + (1 - beta2) g^2"
    ),
    "betas swapped": (
        "beta and 1 - beta are swapped in a moving average: m = beta1 m + (1 - beta1) g, "
        "so the past keeps the weight beta1"
    ),
    "sign flipped": (
        "the parameters move up the gradient: theta = theta - lr m_hat / (sqrt(v_hat) + eps)"
    ),
}


def catalogued_mistakes(grader) -> list[str]:
    """The hints of the catalogue, as ``Exercise.catalogued_mistakes`` asks."""
    return list(MISTAKES.values())


def simulate(initial, gradients, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, mistake=None):
    """The parameters after each step of Adam, or of Adam with one of ``MISTAKES``.

    initial: a list of arrays; gradients: for each step, a list of arrays like it. Returns
    for each step the list of parameters after it, in float64.
    """
    beta1, beta2 = betas
    theta = [np.array(value, dtype=np.float64) for value in initial]
    m = [np.zeros_like(value) for value in theta]
    v = [np.zeros_like(value) for value in theta]
    trajectory = []
    with np.errstate(all="ignore"):  # the step count after the update divides by 0
        for step, grads in enumerate(gradients, start=1):
            t = step - 1 if mistake == "step count after" else step
            for i, g in enumerate(grads):
                if mistake == "moments not kept":
                    m[i], v[i] = np.zeros_like(m[i]), np.zeros_like(v[i])
                if mistake == "betas swapped":
                    m[i] = (1 - beta1) * m[i] + beta1 * g
                    v[i] = (1 - beta2) * v[i] + beta2 * g**2
                else:
                    m[i] = beta1 * m[i] + (1 - beta1) * g
                    squared = g if mistake == "g instead of g squared" else g**2
                    v[i] = beta2 * v[i] + (1 - beta2) * squared
                m_hat, v_hat = m[i] / (1 - beta1**t), v[i] / (1 - beta2**t)
                if mistake == "no bias correction":
                    m_hat, v_hat = m[i], v[i]
                if mistake == "eps inside the square root":
                    update = lr * m_hat / np.sqrt(v_hat + eps)
                else:
                    update = lr * m_hat / (np.sqrt(v_hat) + eps)
                theta[i] = theta[i] + update if mistake == "sign flipped" else theta[i] - update
            trajectory.append([value.copy() for value in theta])
    return trajectory


def grade_adam(answer) -> Iterator[Check]:
    cls = class_in(answer, "Adam")
    if cls is None:
        yield no_class("Adam")
        return
    for settings in SETTINGS:
        yield _trajectory_check(cls, settings, np.float64)
    yield _trajectory_check(cls, SETTINGS[0], np.float32)
    yield _hand_worked_check(cls)
    yield _gradients_left_alone(cls)


def _steps(dtype, seed=0):
    """Initial parameters, and for each step a gradient per parameter, of sizes 0.01 to 10."""
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    gradients = [
        [
            (rng.standard_normal(shape) * 10 ** rng.uniform(-2, 1, size=shape)).astype(dtype)
            for shape in SHAPES
        ]
        for _ in range(STEPS)
    ]
    return initial, gradients


def _run_optimizer(cls, initial, gradients, settings) -> list[list[np.ndarray]]:
    """Parameters after each step of the optimizer class ``cls``, and their dtypes."""
    params = [Parameter(value.copy()) for value in initial]
    optimizer = run(cls, params, **settings)
    trajectory = []
    for grads in gradients:
        for param, grad in zip(params, grads):
            param.grad = grad.copy()
        run(optimizer.step)
        trajectory.append([np.array(param.data, copy=True) for param in params])
    return trajectory


def _trajectory_check(cls, settings, dtype) -> Check:
    shown = ", ".join(f"{name}={value}" for name, value in settings.items()) or "the defaults"
    description = f"{STEPS} steps in {np.dtype(dtype)} with {shown} follow PyTorch's rule"
    initial, gradients = _steps(dtype)
    got = _run_optimizer(cls, initial, gradients, settings)
    expected = _run_optimizer(LessonAdam, initial, gradients, settings)
    hint = _trajectory_hint(got, expected, initial, gradients, settings, dtype)
    return passed(description) if hint is None else failed(description, hint)


def _trajectory_hint(got, expected, initial, gradients, settings, dtype) -> Hint | str | None:
    tolerance = TOLERANCE[np.dtype(dtype)]
    for step, (params, right) in enumerate(zip(got, expected), start=1):
        for index, (param, value) in enumerate(zip(params, right)):
            if param.dtype != np.dtype(dtype):
                return (
                    f"params[{index}] became {param.dtype} at step {step}: keep each "
                    f"parameter's dtype, {np.dtype(dtype)} (write into the arrays in place)"
                )
            moved = np.max(np.abs(value - initial[index].astype(np.float64)))
            error = np.max(np.abs(param - value), initial=0.0) / max(moved, 1e-30)
            if not (np.isfinite(param).all() and error <= tolerance):
                return _diagnosis(got, expected, initial, gradients, settings, index, step)
    return None


def _follows(got, expected, initial, tolerance: float) -> bool:
    """Whether the trajectory ``got`` is ``expected`` to ``tolerance`` of the distance each
    parameter moved, as the check measures it; NaN and infinity where ``expected`` has them."""
    for params, values in zip(got, expected):
        for param, value, start in zip(params, values, initial):
            param, value = np.asarray(param, dtype=np.float64), np.asarray(value)
            if not np.isfinite(value).all():
                if not same(param, value):
                    return False
                continue
            moved = np.max(np.abs(value - np.asarray(start, dtype=np.float64)))
            if not np.max(np.abs(param - value), initial=0.0) <= tolerance * max(moved, 1e-30):
                return False
    return True


def _diagnosis(got, expected, initial, gradients, settings, index: int, step: int) -> Hint:
    """A catalogued mistake is named where the learner's steps follow its model, to the
    check's own tolerance, and the model's steps are told from the right ones at that
    tolerance (with eps = 1e-8, eps inside the root is not)."""
    tolerance = TOLERANCE[np.asarray(got[0][0]).dtype]
    for mistake, hint in MISTAKES.items():
        model = simulate(initial, gradients, mistake=mistake, **settings)
        visible = not _follows(model, expected, initial, tolerance)
        if visible and _follows(got, model, initial, tolerance):
            return Hint(hint)
    where = f"params[{index}] is not where PyTorch's rule puts it after step {step}"
    measured = _measured(got, expected, initial, gradients, settings)
    if measured is not None:
        return Hint(f"{where}: {measured}", MEASURED)
    return Hint(f"{where}: check each line of the rule in the starter's comments, in order",
                UNEXPLAINED)  # fmt: skip


def _moves(trajectory, initial) -> list[list[np.ndarray]]:
    """How far each parameter moved at each step: theta after it minus theta before."""
    before = [np.asarray(value, dtype=np.float64) for value in initial]
    moves = []
    for params in trajectory:
        after = [np.asarray(param, dtype=np.float64) for param in params]
        moves.append([a - b for a, b in zip(after, before)])
        before = after
    return moves


def _measured(got, expected, initial, gradients, settings) -> str | None:
    """What the learner's steps look like against the right ones, measured step by step:
    the step count t each move is Adam's for, else where the moves part, and their ratio."""
    # float32 parameters keep about 7 digits of themselves, so a move of theirs is known
    # to a few units of float32's spacing at the parameter's size, not to its own digits
    rtol, atol = 1e-6, 0.0
    if np.asarray(got[0][0]).dtype != np.float64:
        largest = max(float(np.max(np.abs(value))) for value in initial)
        rtol, atol = 1e-3, 4 * float(np.spacing(np.float32(max(largest, 1.0))))
    theirs, right = _moves(got, initial), _moves(expected, initial)
    size = len(theirs[0])
    ok = [[bool(np.allclose(a, b, rtol=rtol, atol=atol)) for a, b in zip(*pair)]
          for pair in zip(theirs, right)]  # fmt: skip
    if all(all(row) for row in ok):
        return None  # wrong by less than these probes can tell
    t_used = _step_counts(got, initial, gradients, settings, rtol, atol)
    if t_used is not None:
        return _told_step_counts(t_used)
    told = []
    first_wrong = next(step for step, row in enumerate(ok, start=1) if not all(row))
    if first_wrong > 1:
        told.append(f"every move is right up to step {first_wrong - 1}, and wrong from step "
                    f"{first_wrong}")  # fmt: skip
    always_right = [i for i in range(size) if all(row[i] for row in ok)]
    if always_right:
        shown = ", ".join(f"params[{i}]" for i in always_right)
        told.append(f"{shown} move{'s' if len(always_right) == 1 else ''} right at every step")
    ratios = [_ratio(a, b) for row_a, row_b in zip(theirs, right) for a, b in zip(row_a, row_b)]
    if all(r is not None for r in ratios):
        per_step = np.array(ratios).reshape(len(theirs), size)
        if np.allclose(per_step, per_step[0, 0], rtol=1e-3):
            told.append(f"every move is {per_step[0, 0]:.4g} times the right one")
        elif np.allclose(per_step, per_step[:, :1], rtol=1e-3):
            factors = per_step[:, 0]
            way = {1: ", growing with t", -1: ", shrinking with t"}.get(
                int(np.sign(np.diff(factors)).mean()) if len(factors) > 1 else 0, "")
            shown = ", ".join(f"{r:.3g}" for r in factors)
            told.append(f"at each step every move is one factor times the right one: {shown} "
                        f"at t = 1 to {len(factors)}{way}")  # fmt: skip
    return "; ".join(told) or None


def _ratio(a: np.ndarray, b: np.ndarray) -> float | None:
    """a / b when a is one number times b, to 3 digits, else None."""
    weighty = np.abs(b) > 1e-3 * np.max(np.abs(b), initial=0.0)
    if not weighty.any():
        return None
    ratio = a[weighty] / b[weighty]
    middle = float(np.median(ratio))
    if np.allclose(ratio, middle, rtol=1e-3) and np.allclose(
        a[~weighty], middle * b[~weighty], rtol=1e-3
    ):
        return middle
    return None


def _step_counts(got, initial, gradients, settings, rtol, atol) -> np.ndarray | None:
    """For each step and parameter, the t whose bias correction gives the learner's move
    exactly, the moments being right; None unless every move has one."""
    lr = settings.get("lr", 1e-3)
    beta1, beta2 = settings.get("betas", (0.9, 0.999))
    eps = settings.get("eps", 1e-8)
    m = [np.zeros_like(value, dtype=np.float64) for value in initial]
    v = [np.zeros_like(value, dtype=np.float64) for value in initial]
    candidates = range(1, 4 * len(gradients) * len(initial) + 2)
    moves = _moves(got, initial)
    t_used = np.zeros((len(gradients), len(initial)), dtype=int)
    for step, grads in enumerate(gradients):
        for i, g in enumerate(grads):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g**2
            for t in candidates:
                move = -lr * (m[i] / (1 - beta1**t)) / (np.sqrt(v[i] / (1 - beta2**t)) + eps)
                if np.allclose(moves[step][i], move, rtol=rtol, atol=atol):
                    t_used[step, i] = t
                    break
            else:
                return None
    return t_used


def _told_step_counts(t_used: np.ndarray) -> str:
    steps, size = t_used.shape
    right = np.arange(1, steps + 1)[:, None]
    if np.all(t_used == 1):
        return ("every move is the right move for t = 1: the bias correction does not "
                "change from step to step, where 1 - beta^t should")  # fmt: skip
    offset = t_used - right
    if np.all(offset == offset[0, 0]):
        return f"every move is the right move for a step count t off by {int(offset[0, 0]):+d}"
    seen = "; ".join(f"at step {s + 1}, t = {', '.join(map(str, row))}"
                     for s, row in enumerate(t_used[:3]))  # fmt: skip
    which = "params[0] and params[1]" if size == 2 else f"params[0] to params[{size - 1}]"
    text = (f"each move is the right move for another step count t in the bias correction "
            f"({seen}, for {which})")  # fmt: skip
    if np.array_equal(t_used.reshape(-1), np.arange(1, steps * size + 1)):
        text += ": t advances once for each parameter, where it should once for each step"
    return text


def _hand_worked_check(cls) -> Check:
    """theta = [1, -2], lr = 0.1: the first step moves each entry by lr against the sign
    of g, whatever its size; the second, with g = [0.5, 1], by the numbers below."""
    description = "hand-worked: theta = [1, -2], lr = 0.1, two steps"
    initial = [np.array([1.0, -2.0])]
    gradients = [[np.array([0.5, -3.0])], [np.array([0.5, 1.0])]]
    got = _run_optimizer(cls, initial, gradients, {"lr": 0.1})
    # step 1: m_hat = g, v_hat = g^2, so theta -= 0.1 g / (|g| + 1e-8)
    # step 2: m = 0.9 (0.1 g1) + 0.1 g2, v = 0.999 (0.001 g1^2) + 0.001 g2^2, then the
    # bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999
    expected = [[np.array([0.900000002, -1.9000000003333333])],
                [np.array([0.8000000040000006, -1.8599781433169098])]]  # fmt: skip
    hint = _trajectory_hint(got, expected, initial, gradients, {"lr": 0.1}, np.float64)
    return passed(description) if hint is None else failed(description, hint)


def _gradients_left_alone(cls) -> Check:
    description = "step leaves every param.grad as it was"
    initial, gradients = _steps(np.float64, seed=1)
    params = [Parameter(value.copy()) for value in initial]
    optimizer = run(cls, params)
    for param, grad in zip(params, gradients[0]):
        param.grad = grad.copy()
    run(optimizer.step)
    for index, (param, grad) in enumerate(zip(params, gradients[0])):
        if not np.array_equal(param.grad, grad):
            return failed(
                description,
                f"step changed params[{index}].grad: read the gradient, never write into "
                "it (the model's backward owns it)",
            )
    return passed(description)
