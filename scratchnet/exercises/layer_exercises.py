"""Grading of the layer exercises: relu, sigmoid, linear and tanh.

Each layer is graded on:
* the gradient check: the input gradient and every parameter's gradient against central
  differences of the layer's own forward, on several shapes and seeds, in float64 and
  float32 (float32 gradients against float64 differences of the same weights);
* hand-worked values, each chosen to show one thing (relu'(0) = 0; a sigmoid whose p
  rounds to 1);
* what backward must not do: change dL_dy in place, or give other gradients when called
  a second time (a ``+=`` that accumulates, a cache it changed).
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
    copies,
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

INPUT = "input gradient"


@dataclass(frozen=True)
class LayerCase:
    """One forward and backward of the learner's layer, in float64 terms, and what one
    tensor should be: the fields a mistake's model reads."""

    x: np.ndarray
    dL_dy: np.ndarray
    y: np.ndarray
    params: dict
    dtype: type
    expected: np.ndarray | None = None
    tolerance: float = 0.0
    visible: Callable | None = None  # the exercise's quantities the learner can see

    def pattern_context(self) -> dict:
        """What ``patterns.describe`` may name: the batch size N, where x is positive or
        negative, and the exercise's visible quantities, for a tensor of x's shape."""
        shaped = np.shape(self.expected) == self.x.shape
        n = len(self.x) if self.x.ndim == 2 else 1
        context = {"factors": {f"N = {n}": n, f"1/N = 1/{n}": 1 / n} if n > 2 else {}}
        if shaped:
            context["groups"] = {"where x > 0": self.x > 0, "where x < 0": self.x < 0}
            context["quantities"] = self.visible(self) if self.visible else {}
        return context


@dataclass(frozen=True)
class HandWorked:
    """A case worked by hand: parameters to set, x and dL_dy, and the tensors expected."""

    description: str
    x: list
    dL_dy: list
    expected: dict
    params: dict = field(default_factory=dict)
    mistakes: dict = field(default_factory=dict)
    shape: tuple = ()  # the shape arguments() takes, when it is not x's


@dataclass(frozen=True)
class LayerExercise:
    """What grading a layer needs to know.

    arguments(shape, dtype, seed) gives the (args, kwargs) of the learner's class for an
    input of ``shape``;
    draw_x(rng, shape) draws its input; ``parameters`` names its Parameter attributes;
    ``forward_reference`` is what a forward the learner writes must compute;
    ``mistakes`` maps each tensor ("input gradient", "weight gradient") to its catalogue.
    """

    class_name: str
    arguments: Callable
    draw_x: Callable
    shapes: tuple
    parameters: tuple = ()
    mistakes: dict = field(default_factory=dict)
    hand_worked: tuple = ()
    forward_reference: Callable | None = None  # NumPy's function, where forward is theirs
    visible: Callable | None = None  # case -> {name: array}, for patterns.describe

    @property
    def tensors(self) -> list[str]:
        return [INPUT] + [f"{name} gradient" for name in self.parameters]

    def __call__(self, answer) -> Iterator[Check]:
        """Grade the learner's module ``answer``: the catalogue's grader."""
        return grade_layer(self, answer)

    def catalogue(self) -> list[str]:
        """The hint of every mistake catalogued for this layer, hand-worked cases' too."""
        mistakes = [m for tensor in self.tensors for m in self.mistakes.get(tensor, [])]
        for worked in self.hand_worked:
            mistakes += [m for tensor in self.tensors for m in worked.mistakes.get(tensor, [])]
        return [mistake.hint for mistake in mistakes]


def catalogued_mistakes(grader: LayerExercise) -> list[str]:
    """The hints of ``grader``'s catalogue, as ``Exercise.catalogued_mistakes`` asks."""
    return grader.catalogue()


def grade_layer(exercise: LayerExercise, answer) -> Iterator[Check]:
    """Every check of ``exercise`` on the learner's module ``answer``, one at a time."""
    cls = class_in(answer, exercise.class_name)
    if cls is None:
        yield no_class(exercise.class_name)
        return
    if exercise.forward_reference is not None:
        yield from _forward_checks(exercise, cls)
    for dtype in DTYPES:
        yield from _gradient_checks(exercise, cls, dtype)
    for worked in exercise.hand_worked:
        yield _hand_worked_check(exercise, cls, worked)
    yield from _must_not_checks(exercise, cls)


def _forward_checks(exercise: LayerExercise, cls) -> Iterator[Check]:
    """The forward pass of a layer the learner writes whole, against NumPy's own function."""
    function = exercise.forward_reference
    for dtype in DTYPES:
        rng = np.random.default_rng(0)
        x = exercise.draw_x(rng, exercise.shapes[0]).astype(dtype)
        module = _build(exercise, cls, x.shape, dtype, 0)
        y = run(module.forward, x)
        expected = function(x.astype(np.float64))
        case = LayerCase(x, x, expected, {}, dtype, expected, tolerance_of(dtype))
        hint = diagnose("output of forward", y, case, []) or require_dtype("output", y, dtype)
        description = f"forward returns {function.__name__}(x) in {np.dtype(dtype)}"
        yield passed(description) if hint is None else failed(description, hint)


def _gradient_checks(exercise: LayerExercise, cls, dtype) -> Iterator[Check]:
    """One line per tensor: every shape and seed agree with finite differences.

    The cases stop at the first that shows a wrong tensor: the next shape could make the
    same mistake raise an exception (a transposed product of a square layer runs, of
    another does not), which would hide the hint.
    """
    hints: dict[str, Hint] = {}
    cases = [(shape, seed) for shape in exercise.shapes for seed in SEEDS]
    count = 0
    for shape, seed in cases:
        count += 1
        got, expected = _one_case(exercise, cls, shape, dtype, seed)
        for tensor, case in expected.items():
            hint = diagnose(tensor, got[tensor], case, exercise.mistakes.get(tensor, []))
            hint = hint or require_dtype(tensor, got[tensor], dtype)
            if hint is not None:
                hint = _probe_one_example(exercise, cls, tensor, (shape, dtype, seed), hint)
                hints[tensor] = replace(hint, where=f"input shape {case.x.shape}, seed {seed}")
        if hints:
            break
    cases_run = f"{len(exercise.shapes)} shapes x {len(SEEDS)} seeds"
    if count < len(cases):
        cases_run = f"{count} of {len(cases)} cases, up to the first failure"
    for tensor in exercise.tensors:
        description = f"{tensor}: gradient check in {np.dtype(dtype)} ({cases_run})"
        yield passed(description) if tensor not in hints else failed(description, hints[tensor])


def _probe_one_example(exercise: LayerExercise, cls, tensor: str, at, hint: Hint) -> Hint:
    """An uncatalogued wrong parameter gradient, probed again on a batch of one example
    for each seed, all else the same: right there, what is wrong is how the examples of
    a batch combine (the input gradient's rows never combine, so it is not probed)."""
    shape, dtype, _ = at
    if hint.kind == CATALOGUED or tensor == INPUT or shape[0] == 1:
        return hint
    for seed in SEEDS:
        try:
            got, cases = _one_case(exercise, cls, (1, *shape[1:]), dtype, seed)
        except LearnerError:  # a probe of ours their code need not survive: it decides nothing
            return hint
        if not np.any(cases[tensor].expected) or diagnose(tensor, got[tensor], cases[tensor], []):
            return hint
    return with_probe(
        hint,
        "It is right for a batch of one example (N = 1), all else the same: what is wrong "
        "is how the examples of a batch combine into it",
    )


def _build(exercise: LayerExercise, cls, shape, dtype, seed):
    """The learner's layer for an input of ``shape``, built by their constructor."""
    args, kwargs = exercise.arguments(shape, dtype, seed)
    return run(cls, *args, **kwargs)


def _one_case(exercise: LayerExercise, cls, shape, dtype, seed):
    """The learner's tensors after one forward and backward, and each tensor's LayerCase."""
    rng = np.random.default_rng(seed)
    module = _build(exercise, cls, shape, dtype, seed)
    x = exercise.draw_x(rng, shape).astype(dtype)
    x64 = x.astype(np.float64)  # copies, taken before their code could change x or y
    y = run(module.forward, x)
    y64 = np.array(y, dtype=np.float64)
    dL_dy = rng.standard_normal(np.shape(y)).astype(dtype)
    dL_dy64 = dL_dy.astype(np.float64)
    got = copies(_tensors(exercise, module, run(module.backward, dL_dy)))

    # The expected values: finite differences in float64 of the same layer's forward, on a
    # float64 twin holding the same parameter values when the layer computes in float32.
    twin = module
    if np.dtype(dtype) != np.float64:
        twin = _build(exercise, cls, shape, np.float64, seed)
        for name in exercise.parameters:
            getattr(twin, name).data = getattr(module, name).data.astype(np.float64)
    expected = {INPUT: finite_differences(lambda v: twin.forward(v), x64, dL_dy64)}
    for name in exercise.parameters:
        expected[f"{name} gradient"] = _parameter_differences(twin, name, x64, dL_dy64)
    params = {name: getattr(twin, name).data.copy() for name in exercise.parameters}
    base = LayerCase(x64, dL_dy64, y64, params, dtype, visible=exercise.visible)
    tolerance = tolerance_of(dtype)
    cases = {
        tensor: replace(base, expected=value, tolerance=tolerance)
        for tensor, value in expected.items()
    }
    return got, cases


def _parameter_differences(module, name: str, x: np.ndarray, dL_dy: np.ndarray) -> np.ndarray:
    """dL/d(parameter ``name``) by finite differences, the parameter restored after."""
    param = getattr(module, name)
    original = param.data

    def forward_at(value):
        param.data = value
        return module.forward(x)

    try:
        return finite_differences(forward_at, original, dL_dy)
    finally:
        param.data = original


def _tensors(exercise: LayerExercise, module, dL_dx) -> dict:
    """The learner's input gradient and each parameter's ``grad``, by tensor name."""
    tensors = {INPUT: dL_dx}
    for name in exercise.parameters:
        tensors[f"{name} gradient"] = getattr(getattr(module, name), "grad", None)
    return tensors


def _hand_worked_check(exercise: LayerExercise, cls, worked: HandWorked) -> Check:
    x = np.array(worked.x, dtype=np.float64)
    dL_dy = np.array(worked.dL_dy, dtype=np.float64)
    module = _build(exercise, cls, worked.shape or x.shape, np.float64, 0)
    for name, value in worked.params.items():
        getattr(module, name).data = np.array(value, dtype=np.float64)
    y = run(module.forward, x)
    got = _tensors(exercise, module, run(module.backward, dL_dy))
    description = f"hand-worked: {worked.description}"
    params = {name: np.array(value, dtype=np.float64) for name, value in worked.params.items()}
    for tensor, value in worked.expected.items():
        case = LayerCase(
            x, dL_dy, y, params, np.float64, np.array(value), 1e-9, exercise.visible
        )
        mistakes = worked.mistakes.get(tensor, []) + exercise.mistakes.get(tensor, [])
        hint = diagnose(tensor, got[tensor], case, mistakes)
        if hint is not None:
            return failed(description, hint)
    return passed(description)


def _must_not_checks(exercise: LayerExercise, cls) -> Iterator[Check]:
    """backward leaves dL_dy alone, and a second call gives the same gradients."""
    shape = exercise.shapes[-1]
    rng = np.random.default_rng(2)
    module = _build(exercise, cls, shape, np.float64, 2)
    x = exercise.draw_x(rng, shape)
    y = run(module.forward, x)
    dL_dy = rng.standard_normal(np.shape(y))
    before = dL_dy.copy()
    first = copies(_tensors(exercise, module, run(module.backward, dL_dy)))
    description = "backward leaves dL_dy as it was"
    if np.array_equal(dL_dy, before):
        yield passed(description)
    else:
        yield failed(
            description,
            "backward changed dL_dy in place (an in-place *= or a write into it): the "
            "layer before it, or a second backward, would read the changed values; "
            "compute a new array instead",
        )
    second = _tensors(exercise, module, run(module.backward, before.copy()))
    description = "a second backward gives the same gradients (overwritten, not accumulated)"
    for tensor in exercise.tensors:
        if first[tensor] is None or np.array_equal(np.asarray(second[tensor]), first[tensor]):
            continue
        if np.allclose(second[tensor], 2 * first[tensor]):
            yield failed(
                description,
                f"the {tensor} doubled on a second backward: += adds to the last "
                "gradient; assign it (=), since scratchnet overwrites gradients",
            )
        else:
            yield failed(
                description,
                f"the {tensor} changed on a second backward with the same dL_dy: "
                "backward must not change what forward cached",
            )
        return
    yield passed(description)


# --- the exercises --------------------------------------------------------------------------


def _elementwise(shape, dtype, seed):
    return (), {}


def _away_from_the_kink(rng, shape):
    """Inputs at least 0.05 from relu's kink at 0, well beyond a finite-difference step."""
    return rng.uniform(0.05, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _upstream_dropped(tensor: str, derivative: str) -> Mistake:
    """backward returned the local derivative alone, without the upstream gradient."""
    return Mistake(
        f"the {tensor} ignores dL_dy, the upstream gradient: the chain rule multiplies "
        f"{derivative} by dL_dy",
        lambda case: case.expected / case.dL_dy,
    )


RELU = LayerExercise(
    class_name="ReLU",
    arguments=_elementwise,
    draw_x=_away_from_the_kink,
    shapes=((4, 3), (1, 5), (6, 2)),
    mistakes={
        INPUT: [
            _upstream_dropped(INPUT, "relu'(x) = 1[x > 0]"),
            Mistake(
                "the input gradient is dL_dy unchanged everywhere: y = max(x, 0) >= 0 always "
                "holds; the mask is where y > 0",
                lambda case: case.dL_dy,
            ),
            Mistake(
                "the input gradient is dL_dy times the output y: multiply by relu'(x), which "
                "is 1 where x > 0 and 0 elsewhere, not by y",
                lambda case: case.dL_dy * case.y,
            ),
            Mistake(
                "the input gradient is masked where dL_dy > 0: the mask is where the input "
                "was positive (y > 0), whatever the sign of dL_dy",
                lambda case: case.dL_dy * (case.dL_dy > 0),
            ),
            Mistake(
                "the input gradient passes where x <= 0: the mask is inverted; the gradient "
                "flows where the unit was active, x > 0",
                lambda case: case.dL_dy * (case.y <= 0),
            ),
        ]
    },
    hand_worked=(
        HandWorked(
            "x = [[-2, 0, 3], [0.5, -0.5, 0]]: relu'(0) = 0",
            x=[[-2, 0, 3], [0.5, -0.5, 0]],
            dL_dy=[[5, 6, 7], [1, 2, 3]],
            expected={INPUT: [[0, 0, 7], [1, 0, 0]]},
            mistakes={
                INPUT: [
                    Mistake(
                        "the input gradient passes at x = 0: by convention relu'(0) = 0 (as "
                        "in PyTorch), so use x > 0 (or y > 0), not >=",
                        lambda case: case.dL_dy * (case.x >= 0),
                    )
                ]
            },
        ),
    ),
)


def _seen_in_sigmoid(case: LayerCase) -> dict:
    p = case.y
    return {"p": p, "1 - p": 1 - p, "p (1 - p)": p * (1 - p), "|x|": np.abs(case.x)}


def _seen_in_tanh(case: LayerCase) -> dict:
    return {"|x|": np.abs(case.x), "y^2": case.y**2, "1 - y^2": 1 - case.y**2}


SIGMOID = LayerExercise(
    visible=_seen_in_sigmoid,
    class_name="Sigmoid",
    arguments=_elementwise,
    draw_x=lambda rng, shape: 3 * rng.standard_normal(shape),
    shapes=((4, 3), (1, 5), (6, 2)),
    mistakes={
        INPUT: [
            _upstream_dropped(INPUT, "sigma'(x) = p (1 - p)"),
            Mistake(
                "the input gradient is dL_dp * p: the factor 1 - p (the cached q) is "
                "missing, since sigma'(x) = p (1 - p)",
                lambda case: case.dL_dy * case.y,
            ),
            Mistake(
                "the input gradient is dL_dp * (1 - p): the factor p is missing, since "
                "sigma'(x) = p (1 - p)",
                lambda case: case.dL_dy * (1 - case.y),
            ),
        ]
    },
    hand_worked=(
        HandWorked(
            "x = [[0, ln 3, -ln 3]], where p = 0.5, 0.75, 0.25",
            x=[[0.0, np.log(3), -np.log(3)]],
            dL_dy=[[1, 2, -4]],
            # p (1 - p) = 0.25, 0.1875, 0.1875, times dL_dp
            expected={INPUT: [[0.25, 0.375, -0.75]]},
        ),
        HandWorked(
            "x = [[40, -40]], where p rounds to 1 and to 4.2e-18",
            x=[[40.0, -40.0]],
            dL_dy=[[1, 1]],
            # p q = sigma(40) sigma(-40) = 4.248e-18 both ways; 1 - p would be 0 at x = 40
            expected={INPUT: [[4.248354255291589e-18, 4.248354255291589e-18]]},
            mistakes={
                INPUT: [
                    Mistake(
                        "the input gradient is 0 at x = 40: p rounds to 1 there, so 1 - p is "
                        "0 and the gradient is lost; use q, which forward computed as "
                        "sigma(-x) = 4.2e-18",
                        lambda case: case.dL_dy * case.y * (1 - case.y),
                    )
                ]
            },
        ),
    ),
)


def _linear(shape, dtype, seed):
    """Linear(in_features, out_features) for shape (N, in_features, out_features)."""
    return (shape[1], shape[2]), {"rng": seed, "dtype": dtype}


def _ones_upstream(case):
    return np.ones_like(case.dL_dy)


WEIGHT, BIAS = "weight gradient", "bias gradient"
LINEAR = LayerExercise(
    class_name="Linear",
    arguments=_linear,
    draw_x=lambda rng, shape: rng.standard_normal(shape[:2]),
    # (N, in_features, out_features); square first, where a transposed product runs
    shapes=((5, 3, 3), (4, 3, 2), (1, 2, 5)),
    parameters=("weight", "bias"),
    mistakes={
        INPUT: [
            Mistake(
                "the input gradient is dL_dy @ W: a transposed product; dL_dx = dL_dy @ W.T, "
                "of x's shape (N, in_features)",
                lambda case: case.dL_dy @ case.params["weight"],
            ),
            Mistake(
                "the input gradient ignores dL_dy, the upstream gradient: it is "
                "dL_dy @ W.T, not ones @ W.T",
                lambda case: _ones_upstream(case) @ case.params["weight"].T,
            ),
            Mistake(
                "the input gradient is dL_dy itself: multiply by W.T, dL_dx = dL_dy @ W.T",
                lambda case: case.dL_dy,
            ),
        ],
        WEIGHT: [
            Mistake(
                "the weight gradient is transposed, shape (out_features, in_features): "
                "dL_dW = x.T @ dL_dy has W's shape (in_features, out_features)",
                lambda case: case.dL_dy.T @ case.x,
            ),
            Mistake(
                "the weight gradient is divided by the batch size N: sum over the batch, "
                "x.T @ dL_dy; the loss's mean already divided by N",
                lambda case: case.x.T @ case.dL_dy / len(case.x),
            ),
            Mistake(
                "the weight gradient ignores dL_dy, the upstream gradient: it is "
                "x.T @ dL_dy, not x.T @ ones",
                lambda case: case.x.T @ _ones_upstream(case),
            ),
            Mistake(
                "the weight gradient uses only the first example: x[0] and dL_dy[0]; "
                "sum over the batch, x.T @ dL_dy",
                lambda case: np.outer(case.x[0], case.dL_dy[0]),
            ),
        ],
        BIAS: [
            Mistake(
                "the bias gradient is dL_dy itself, one row per example: b is added to "
                "every row, so its gradient sums dL_dy over the batch, dL_dy.sum(axis=0)",
                lambda case: case.dL_dy,
            ),
            Mistake(
                "the bias gradient is one row's: dL_dy[0]; b is added to every row, so its "
                "gradient sums dL_dy over the batch, dL_dy.sum(axis=0)",
                lambda case: case.dL_dy[0],
            ),
            Mistake(
                "the bias gradient is dL_dy summed over axis 1, one number per example: sum "
                "over the batch, axis 0",
                lambda case: case.dL_dy.sum(axis=1),
            ),
            Mistake(
                "the bias gradient is the batch mean: a factor N too small; sum over the "
                "batch, dL_dy.sum(axis=0), since the loss's mean already divided by N",
                lambda case: case.dL_dy.mean(axis=0),
            ),
            Mistake(
                "the bias gradient ignores dL_dy, the upstream gradient: it sums dL_dy over "
                "the batch, not ones",
                lambda case: _ones_upstream(case).sum(axis=0),
            ),
        ],
    },
    hand_worked=(
        HandWorked(
            "x = [[1, 2], [3, -1]], W = [[1, 0, -1], [2, 1, 0]], dL_dy = [[1, 2, 3], [0, -1, 1]]",
            x=[[1, 2], [3, -1]],
            dL_dy=[[1, 2, 3], [0, -1, 1]],
            shape=(2, 2, 3),
            params={"weight": [[1, 0, -1], [2, 1, 0]], "bias": [0.5, -0.5, 0]},
            # dL_dW = x.T @ dL_dy, dL_db = the column sums of dL_dy, dL_dx = dL_dy @ W.T
            expected={
                WEIGHT: [[1, -1, 6], [2, 5, 5]],
                BIAS: [1, 1, 4],
                INPUT: [[-2, 4], [-1, -1]],
            },
        ),
    ),
)


TANH = LayerExercise(
    visible=_seen_in_tanh,
    class_name="Tanh",
    arguments=_elementwise,
    draw_x=lambda rng, shape: 1.5 * rng.standard_normal(shape),
    shapes=((4, 3), (1, 5), (6, 2)),
    forward_reference=np.tanh,
    mistakes={
        INPUT: [
            _upstream_dropped(INPUT, "tanh'(x) = 1 - y^2"),
            Mistake(
                "the input gradient is dL_dy * (1 - y): the square is missing, tanh'(x) = "
                "1 - tanh(x)^2 = 1 - y^2",
                lambda case: case.dL_dy * (1 - case.y),
            ),
            Mistake(
                "the input gradient is dL_dy * (1 - x^2): the derivative is 1 - y^2 with y = "
                "tanh(x), the output, not the input",
                lambda case: case.dL_dy * (1 - case.x**2),
            ),
        ]
    },
    hand_worked=(
        HandWorked(
            "x = [[0, ln 2, -ln 2]], where y = 0, 0.6, -0.6",
            x=[[0.0, np.log(2), -np.log(2)]],
            dL_dy=[[1, 1, 2]],
            expected={INPUT: [[1, 0.64, 1.28]]},  # 1 - y^2 = 1, 0.64, 0.64, times dL_dy
        ),
    ),
)


def grade_sigmoid(answer) -> Iterator[Check]:
    return grade_layer(SIGMOID, answer)


def grade_tanh(answer) -> Iterator[Check]:
    return grade_layer(TANH, answer)
