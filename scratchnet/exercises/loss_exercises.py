"""Grading of the loss exercises: bce, bce_logits, focal and focal_logits.

Each loss is graded on:
* the gradient check of dL/d(input) against central differences of the loss's own
  forward, for every reduction ("mean", "sum", "none") and, for the focal losses, both
  alpha modes, with a random upstream dL_out (never 1, so a dropped one shows), on a
  column (N, 1) and a vector (N,), in float64 and float32;
* hand-worked values (the article's example; the focal loss's clamp; p = 0 and 1 for
  BCE; a logit of 40 for BCE from logits);
* a second backward giving the same gradient, and dL_out left as it was.

pos_weight and per-example weights are not graded.

A mistake's model here gives dl/d(input) for each element, before the reduction; the
chain rule through the reduction (``_through``) is applied to it as to the right answer,
and mistakes in that chain rule are catalogued once for every loss (``_REDUCTION``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from scratchnet.exercises.grading import (
    CATALOGUED,
    DTYPES,
    SEEDS,
    Check,
    Hint,
    LearnerError,
    Mistake,
    class_in,
    diagnose,
    failed,
    finite_differences,
    no_class,
    passed,
    require_dtype,
    run,
    tolerance_of,
    with_probe,
)
from scratchnet.functional import log_sigmoid, sigmoid

SHAPES = ((8, 1), (5,))
REDUCTIONS = ("mean", "sum", "none")


@dataclass(frozen=True)
class LossCase:
    """One forward and backward of the learner's loss, in float64, and the expected
    gradient: the fields a mistake's model reads. ``x`` is the input, p or logits."""

    x: np.ndarray
    y: np.ndarray
    dL_out: object
    reduction: str
    options: dict
    dtype: type
    expected: np.ndarray | None = None
    tolerance: float = 0.0
    visible: Callable | None = None  # the exercise's quantities the learner can see

    @property
    def s(self) -> np.ndarray:
        return 2 * self.y - 1

    @property
    def alpha_t(self) -> np.ndarray:
        alpha = self.options["alpha"]
        if self.options.get("alpha_mode", "constant") == "constant":
            return np.full_like(self.y, alpha)
        return np.where(self.y == 1, alpha, 1 - alpha)

    def pattern_context(self) -> dict:
        """What ``patterns.describe`` may name: the factor n, the two classes, and the
        exercise's visible quantities."""
        n = self.y.size
        positive = np.broadcast_to(self.y == 1, np.shape(self.expected))
        return {
            "factors": {f"n = {n}": n, f"1/n = 1/{n}": 1 / n} if n > 2 else {},
            "groups": {"where y = 1": positive, "where y = 0": ~positive},
            "quantities": self.visible(self) if self.visible else {},
        }


def _through(case: LossCase):
    """dL/dl for each element: the chain rule through the reduction."""
    if case.reduction == "mean":
        return case.dL_out / case.y.size
    return case.dL_out


def each_element(hint: str, local) -> Mistake:
    """A mistake in dl/d(input) of one element, carried through the reduction as it should."""
    return Mistake(hint, lambda case: _through(case) * local(case))


def _local(case: LossCase) -> np.ndarray:
    """The right dl/d(input) of each element, read back from the expected dL/d(input)."""
    return case.expected / _through(case)


_REDUCTION = [
    Mistake(
        "{tensor} is dl/d{input} of each element, without the chain rule through the "
        "reduction: multiply by dL/dl, which is dL_out / n for 'mean', dL_out for 'sum', "
        "dL_out elementwise for 'none' (Loss.through_reduction(dL_out) computes it)",
        _local,
    ),
    Mistake(
        "{tensor} is n times too large for reduction 'mean': L = sum(l) / n, so dL/dl = dL_out / n",
        lambda case: case.dL_out * _local(case) if case.reduction == "mean" else None,
    ),
    Mistake(
        "{tensor} ignores dL_out, the gradient of what follows the loss: multiply by it "
        "(dL/dl = dL_out / n for 'mean')",
        lambda case: _local(case) / case.y.size if case.reduction == "mean" else None,
    ),
    Mistake(
        "{tensor} is divided by n for reduction 'sum': only 'mean' divides by n",
        lambda case: case.dL_out * _local(case) / case.y.size if case.reduction == "sum" else None,
    ),
]


@dataclass(frozen=True)
class HandWorked:
    """A case worked by hand: the loss's options, input, labels, dL_out, expected gradient."""

    description: str
    options: dict
    x: list
    y: list
    dL_out: float
    expected: list
    mistakes: list = field(default_factory=list)


@dataclass(frozen=True)
class LossExercise:
    """What grading a loss needs: its class, the configurations to check (constructor
    keyword arguments, a reduction included), how to draw its input, and its mistakes."""

    class_name: str
    tensor: str  # "dL_dp" or "dL_dx"
    configs: tuple
    draw_x: object
    mistakes: list
    hand_worked: tuple = ()
    visible: Callable | None = None  # case -> {name: array}, for patterns.describe

    def __call__(self, answer) -> Iterator[Check]:
        """Grade the learner's module ``answer``: the catalogue's grader."""
        return grade_loss(self, answer)

    def catalogue(self) -> list[str]:
        """The hint of every mistake catalogued for this loss, hand-worked cases' too."""
        mistakes = self.mistakes + _REDUCTION
        for worked in self.hand_worked:
            mistakes = mistakes + worked.mistakes
        return [mistake.hint for mistake in _named(self, mistakes)]


def catalogued_mistakes(grader: LossExercise) -> list[str]:
    """The hints of ``grader``'s catalogue, as ``Exercise.catalogued_mistakes`` asks."""
    return grader.catalogue()


def grade_loss(exercise: LossExercise, answer) -> Iterator[Check]:
    """Every check of ``exercise`` on the learner's module ``answer``, one at a time."""
    cls = class_in(answer, exercise.class_name)
    if cls is None:
        yield no_class(exercise.class_name)
        return
    mistakes = _named(exercise, exercise.mistakes + _REDUCTION)
    for options in exercise.configs:
        hint = _first_failure(exercise, cls, options, mistakes)
        settings = ", ".join(f"{name}={value!r}" for name, value in options.items())
        description = (
            f"{exercise.tensor} with {settings}: gradient check in float64 and float32 "
            f"({len(SHAPES)} shapes x {len(SEEDS)} seeds)"
        )
        yield passed(description) if hint is None else failed(description, hint)
    for worked in exercise.hand_worked:
        yield _hand_worked_check(exercise, cls, worked, mistakes)
    yield from _must_not_checks(exercise, cls)


def _named(exercise: LossExercise, mistakes: list[Mistake]) -> list[Mistake]:
    """The mistakes with their hints naming the tensor ("dL_dp") and the input ("p")."""
    names = {"tensor": exercise.tensor, "input": exercise.tensor.removeprefix("dL_d")}
    return [replace(mistake, hint=mistake.hint.format(**names)) for mistake in mistakes]


def _first_failure(exercise: LossExercise, cls, options: dict, mistakes) -> Hint | None:
    for dtype in DTYPES:
        for shape in SHAPES:
            for seed in SEEDS:
                got, case = _one_case(exercise, cls, options, shape, dtype, seed)
                hint = diagnose(exercise.tensor, got, case, mistakes)
                hint = hint or require_dtype(exercise.tensor, got, dtype)
                if hint is not None:
                    hint = _probe_gamma(exercise, cls, options, (shape, dtype, seed), hint)
                    return replace(hint, where=f"{np.dtype(dtype)}, shape {shape}, seed {seed}")
    return None


def _probe_gamma(exercise: LossExercise, cls, options: dict, at, hint: Hint) -> Hint:
    """An uncatalogued focal gradient, probed again at gamma = 0 with all else the same:
    right there, what is wrong changes with gamma, and the hint says so."""
    if hint.kind == CATALOGUED or not options.get("gamma"):
        return hint
    try:
        got, case = _one_case(exercise, cls, {**options, "gamma": 0.0}, *at)
    except LearnerError:  # a probe of ours their code need not survive: it decides nothing
        return hint
    if diagnose(exercise.tensor, got, case, []) is not None:
        return hint
    return with_probe(
        hint,
        "It is right at gamma = 0, all else the same (where the focal loss is alpha_t "
        "times BCE's): what is wrong changes with gamma, so look at the terms gamma "
        "touches, (1 - p_t)^gamma and its derivative",
    )


def _one_case(exercise: LossExercise, cls, options: dict, shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = exercise.draw_x(rng, shape).astype(dtype)
    y = (rng.permutation(x.size) % 2).reshape(shape).astype(dtype)  # both classes present
    options = dict(options)
    loss = run(cls, **options)
    reduction = options.get("reduction", "mean")
    if reduction == "none":
        dL_out = rng.standard_normal(shape).astype(dtype)
    else:
        dL_out = float(rng.uniform(0.5, 2.0))
    # float64 copies, taken before their code could change what it was given
    x64, y64, dL_out64 = x.astype(np.float64), y.astype(np.float64), np.array(dL_out, float)
    run(loss.forward, x, y)
    got = run(loss.backward, dL_out)
    got = None if got is None else np.array(got, copy=True)
    expected = finite_differences(lambda v: loss.forward(v, y64), x64, dL_out64)
    case = LossCase(
        x64, y64, dL_out64, reduction, options, dtype, expected, tolerance_of(dtype),
        exercise.visible,
    )  # fmt: skip
    return got, case


def _hand_worked_check(exercise: LossExercise, cls, worked: HandWorked, mistakes) -> Check:
    x = np.array(worked.x, dtype=np.float64)
    y = np.array(worked.y, dtype=np.float64)
    loss = run(cls, **worked.options)
    run(loss.forward, x, y)
    got = run(loss.backward, worked.dL_out)
    reduction = worked.options.get("reduction", "mean")
    case = LossCase(
        x, y, worked.dL_out, reduction, worked.options, np.float64, np.array(worked.expected), 1e-7,
        exercise.visible,
    )  # fmt: skip
    hint = diagnose(exercise.tensor, got, case, _named(exercise, worked.mistakes) + mistakes)
    description = f"hand-worked: {worked.description}"
    return passed(description) if hint is None else failed(description, hint)


def _must_not_checks(exercise: LossExercise, cls) -> Iterator[Check]:
    """A second backward gives the same gradient, and dL_out is left as it was."""
    rng = np.random.default_rng(3)
    options = {**exercise.configs[0], "reduction": "none"}
    x = exercise.draw_x(rng, (6, 1))
    y = (np.arange(6) % 2).reshape(6, 1).astype(np.float64)
    loss = run(cls, **options)
    run(loss.forward, x, y)
    dL_out = rng.standard_normal((6, 1))
    before = dL_out.copy()
    first = np.array(run(loss.backward, dL_out), copy=True)
    description = "backward leaves dL_out as it was"
    if np.array_equal(dL_out, before):
        yield passed(description)
    else:
        yield failed(
            description,
            "backward changed dL_out in place (an in-place *= or a write into it): compute "
            "a new array instead",
        )
    second = run(loss.backward, before.copy())
    description = "a second backward gives the same gradient"
    if np.array_equal(np.asarray(second, dtype=np.float64), first):
        yield passed(description)
    else:
        yield failed(
            description,
            f"{exercise.tensor} changed on a second backward with the same dL_out: backward "
            "must not change what forward cached",
        )


# --- the exercises --------------------------------------------------------------------------


def _probabilities(rng, shape):
    return rng.uniform(0.05, 0.95, size=shape)  # inside every clamp and floor


def _logits(rng, shape):
    return rng.uniform(-4.0, 4.0, size=shape)


def _p_t(case: LossCase) -> np.ndarray:
    """p_t from a probability: p for positives, 1 - p for negatives."""
    return np.where(case.y == 1, case.x, 1 - case.x)


def _seen_in_p(case: LossCase) -> dict:
    """The quantities a learner sees in a loss of p, for ``patterns.describe``."""
    p = case.x
    return {"p": p, "1 - p": 1 - p, "p (1 - p)": p * (1 - p), "(1 - p) / p": (1 - p) / p}


def _seen_in_p_t(case: LossCase) -> dict:
    """The same for a focal loss of p, written in p_t."""
    p_t = np.clip(_p_t(case), 1e-7, 1 - 1e-7)
    return {"p_t": p_t, "1 - p_t": 1 - p_t, "p_t (1 - p_t)": p_t * (1 - p_t)}


def _seen_in_logits(case: LossCase) -> dict:
    """The same for a loss of logits x, z = s x, written in p_t = sigma(z)."""
    z = case.s * case.x
    p_t, one_minus_p_t = sigmoid(z), sigmoid(-z)
    return {"p_t": p_t, "1 - p_t": one_minus_p_t, "p_t (1 - p_t)": p_t * one_minus_p_t,
            "|x|": np.abs(case.x)}  # fmt: skip


REDUCTION_CONFIGS = tuple({"reduction": reduction} for reduction in REDUCTIONS)

BCE = LossExercise(
    visible=_seen_in_p,
    class_name="BCELoss",
    tensor="dL_dp",
    configs=REDUCTION_CONFIGS,
    draw_x=_probabilities,
    mistakes=[
        each_element(
            "dL_dp has the wrong sign on the (1 - y) term: the derivative of log(1 - p) is "
            "-1 / (1 - p), the inner derivative of 1 - p being -1",
            lambda c: -c.y / c.x - (1 - c.y) / (1 - c.x),
        ),
        each_element(
            "dL_dp has only the y log p term: the (1 - y) log(1 - p) term gives the "
            "negatives (y = 0) their gradient, (1 - y) / (1 - p)",
            lambda c: -c.y / c.x,
        ),
        each_element(
            "dL_dp has only the (1 - y) log(1 - p) term: the y log p term gives the "
            "positives their gradient, -y / p",
            lambda c: (1 - c.y) / (1 - c.x),
        ),
        each_element(
            "dL_dp is p - y: that is the gradient at the logit x, after Sigmoid; BCELoss "
            "takes p, so dl/dp = -y / p + (1 - y) / (1 - p)",
            lambda c: c.x - c.y,
        ),
    ],
    hand_worked=(
        HandWorked(
            "p = [0.8, 0.8], y = [1, 0], mean",
            options={},
            x=[[0.8], [0.8]],
            y=[[1], [0]],
            dL_out=1.0,
            expected=[[-0.625], [2.5]],  # -1 / 0.8 = -1.25 and 1 / 0.2 = 5, halved by the mean
        ),
        HandWorked(
            "p = [0, 1, 0, 1], y = [0, 0, 1, 1], sum: where a log is floored",
            options={"reduction": "sum"},
            x=[[0], [1], [0], [1]],
            y=[[0], [0], [1], [1]],
            dL_out=1.0,
            # (1 - y) / (1 - p) = 1 at p = 0, y = 0; -y / p = -1 at p = 1, y = 1; elsewhere
            # the log that matters is floored, its term constant, its derivative 0.
            expected=[[1], [0], [0], [-1]],
            mistakes=[
                each_element(
                    "dL_dp holds NaN or infinity at p = 0 or p = 1: where a log is floored "
                    "its term is constant, so its derivative is 0; divide only where the "
                    "log is not floored (np.divide(..., where=...)), never 0 / 0",
                    lambda c: -c.y / c.x + (1 - c.y) / (1 - c.x),
                ),
            ],
        ),
    ),
)


BCE_LOGITS = LossExercise(
    visible=_seen_in_logits,
    class_name="BCEWithLogitsLoss",
    tensor="dL_dx",
    configs=REDUCTION_CONFIGS,
    draw_x=_logits,
    mistakes=[
        each_element(
            "dL_dx has the wrong sign for the negatives: the sign s = 2y - 1 is missing; "
            "z = s x, so dz/dx = s and dl/dx = -s sigma(-z)",
            lambda c: -sigmoid(-c.s * c.x),
        ),
        each_element(
            "dL_dx uses sigma(z) where sigma(-z) belongs: d/dz log sigma(z) = 1 - sigma(z) "
            "= sigma(-z)",
            lambda c: -c.s * sigmoid(c.s * c.x),
        ),
        each_element(
            "dL_dx is dl/dp, the gradient BCELoss gives for p: this loss takes the logit "
            "x, so multiply by dp/dx = p (1 - p), which leaves p - y",
            lambda c: -c.y / sigmoid(c.x) + (1 - c.y) / sigmoid(-c.x),
        ),
    ],
    hand_worked=(
        HandWorked(
            "x = [0, 0], y = [1, 0], mean",
            options={},
            x=[[0], [0]],
            y=[[1], [0]],
            dL_out=1.0,
            expected=[[-0.25], [0.25]],  # p - y = -0.5 and 0.5, halved by the mean
        ),
        HandWorked(
            "x = 40, y = 1, sum: where p rounds to 1",
            options={"reduction": "sum"},
            x=[[40]],
            y=[[1]],
            dL_out=1.0,
            expected=[[-4.248354255291589e-18]],  # -s sigma(-z) = -sigma(-40)
            mistakes=[
                each_element(
                    "dL_dx is 0 at x = 40: p rounds to 1 there, so p - y is 0; compute "
                    "-s sigma(-z), which keeps -4.2e-18",
                    lambda c: np.zeros_like(c.x),
                ),
            ],
        ),
    ),
)


FOCAL_CONFIGS = tuple(
    {"alpha": alpha, "gamma": gamma, "reduction": reduction, "alpha_mode": mode}
    for alpha, gamma, mode in ((0.25, 2.0, "constant"), (0.75, 1.5, "per_class"))
    for reduction in REDUCTIONS
)


def _focal_dl_dp_t(case: LossCase, inner=-1.0, log_term=True, power_term=True, alpha=True):
    """dl/dp_t of the focal loss, or one of its mistaken forms: ``inner`` is the
    derivative of 1 - p_t; ``log_term`` and ``power_term`` keep each half of the product
    rule; ``alpha`` keeps alpha_t."""
    gamma, p_t = case.options["gamma"], _p_t(case)
    one_minus_p_t = 1 - p_t
    focal_term = -inner * gamma * one_minus_p_t ** (gamma - 1) * np.log(p_t) if power_term else 0
    log_term_value = -(one_minus_p_t**gamma) / p_t if log_term else 0
    weight = case.alpha_t if alpha else 1.0
    return weight * (focal_term + log_term_value)


# Hints both focal losses give; "{tensor}" becomes dL_dp or dL_dx (see _named).
INNER_DERIVATIVE_MISSED = (
    "{tensor} misses the inner derivative of 1 - p_t: d/dp_t (1 - p_t)^gamma = "
    "-gamma (1 - p_t)^(gamma - 1)"
)
ALPHA_T_MISSING = (
    "{tensor} is missing alpha_t: l = -alpha_t (1 - p_t)^gamma log p_t, and alpha_t "
    "multiplies its derivative too"
)
ALPHA_FOR_EVERY_EXAMPLE = (
    "{tensor} uses alpha for every example: with alpha_mode 'per_class' the negatives "
    "weigh alpha_t = 1 - alpha"
)

FOCAL = LossExercise(
    visible=_seen_in_p_t,
    class_name="FocalLoss",
    tensor="dL_dp",
    configs=FOCAL_CONFIGS,
    draw_x=_probabilities,
    mistakes=[
        each_element(
            "dL_dp has the wrong sign for the negatives: dp_t/dp = s = 2y - 1; for y = 0, "
            "p_t = 1 - p, so dl/dp = -dl/dp_t",
            lambda c: _focal_dl_dp_t(c),
        ),
        each_element(INNER_DERIVATIVE_MISSED, lambda c: c.s * _focal_dl_dp_t(c, inner=1.0)),
        each_element(
            "dL_dp differentiates -log p_t but not the factor (1 - p_t)^gamma: it has only "
            "half of the product rule",
            lambda c: c.s * _focal_dl_dp_t(c, power_term=False),
        ),
        each_element(
            "dL_dp differentiates (1 - p_t)^gamma but not -log p_t: it has only half of "
            "the product rule",
            lambda c: c.s * _focal_dl_dp_t(c, log_term=False),
        ),
        each_element(ALPHA_T_MISSING, lambda c: c.s * _focal_dl_dp_t(c, alpha=False)),
        each_element(
            ALPHA_FOR_EVERY_EXAMPLE,
            lambda c: c.s * c.options["alpha"] * _focal_dl_dp_t(c, alpha=False),
        ),
    ],
    hand_worked=(
        HandWorked(
            "the article's loss at p = [0.9, 0.1], y = [1, 0], mean",
            options={"alpha": 0.25, "gamma": 2.0},
            x=[[0.9], [0.1]],
            y=[[1], [0]],
            dL_out=1.0,
            # p_t = 0.9 for both: dl/dp_t = 0.25 (2 (0.1) ln 0.9 - 0.1^2 / 0.9) = -0.0080458,
            # times s = +1 and -1, halved by the mean
            expected=[[-0.004022901780334544], [0.004022901780334544]],
        ),
        HandWorked(
            "p = [0, 1e-9, 1, 1 - 1e-9, 0.5], y = [1, 0, 0, 1, 1], sum: the clamp",
            options={"alpha": 0.25, "gamma": 2.0, "reduction": "sum"},
            x=[[0], [1e-9], [1], [1 - 1e-9], [0.5]],
            y=[[1], [0], [0], [1], [1]],
            dL_out=1.0,
            # outside [eps, 1 - eps] the clamp is flat: 0. At p = 0.5, y = 1:
            # 0.25 (2 (0.5) ln 0.5 - 0.5^2 / 0.5) = -0.2982868
            expected=[[0], [0], [0], [0], [-0.29828679513998635]],
            mistakes=[
                each_element(
                    "dL_dp is not 0 where the clamp is active: p_c = clamp(p, eps, 1 - eps) "
                    "is flat for p < eps and p > 1 - eps, so dp_c/dp = 0 there and those "
                    "examples send back no gradient",
                    lambda c: c.s * _focal_dl_dp_t(replace(c, x=np.clip(c.x, 1e-7, 1 - 1e-7))),
                ),
            ],
        ),
    ),
)


def _focal_dl_dz(case: LossCase, inner=-1.0, alpha=True):
    """dl/dz of the focal loss from logits, or a mistaken form (see ``_focal_dl_dp_t``)."""
    gamma, z = case.options["gamma"], case.s * case.x
    p_t, one_minus_p_t, log_p_t = sigmoid(z), sigmoid(-z), log_sigmoid(z)
    weight = case.alpha_t if alpha else 1.0
    return weight * one_minus_p_t**gamma * (-inner * gamma * p_t * log_p_t - one_minus_p_t)


FOCAL_LOGITS = LossExercise(
    visible=_seen_in_logits,
    class_name="FocalLossWithLogits",
    tensor="dL_dx",
    configs=FOCAL_CONFIGS,
    draw_x=_logits,
    mistakes=[
        each_element(
            "dL_dx has the wrong sign for the negatives: z = s x with s = 2y - 1, so "
            "dl/dx = s dl/dz",
            lambda c: _focal_dl_dz(c),
        ),
        each_element(
            "dL_dx is dl/dp_t times s: the loss takes the logit, so multiply by "
            "dp_t/dz = p_t (1 - p_t) as well",
            lambda c: c.s * _focal_dl_dp_t(replace(c, x=sigmoid(c.x))),
        ),
        each_element(INNER_DERIVATIVE_MISSED, lambda c: c.s * _focal_dl_dz(c, inner=1.0)),
        each_element(ALPHA_T_MISSING, lambda c: c.s * _focal_dl_dz(c, alpha=False)),
        each_element(
            ALPHA_FOR_EVERY_EXAMPLE,
            lambda c: c.s * c.options["alpha"] * _focal_dl_dz(c, alpha=False),
        ),
    ],
    hand_worked=(
        HandWorked(
            "x = [0, 0], y = [1, 0], sum",
            options={"alpha": 0.25, "gamma": 2.0, "reduction": "sum"},
            x=[[0], [0]],
            y=[[1], [0]],
            dL_out=1.0,
            # p_t = 0.5: 0.25 (0.5)^2 (2 (0.5) ln 0.5 - 0.5) = -0.0745717, times s
            expected=[[-0.07457169878499659], [0.07457169878499659]],
        ),
    ),
)


def grade_bce_logits(answer) -> Iterator[Check]:
    return grade_loss(BCE_LOGITS, answer)


def grade_focal_logits(answer) -> Iterator[Check]:
    return grade_loss(FOCAL_LOGITS, answer)
