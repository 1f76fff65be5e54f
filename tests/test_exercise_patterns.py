"""patterns.describe, probe by probe, on tensors made to show one pattern each; and
nothing said where the probes see none."""

from types import SimpleNamespace

import numpy as np
import pytest
from exercise_mistakes import AdamWith
from exercise_uncatalogued import FocalPowerRuleKeepsGamma

from scratchnet.exercises.catalogue import BY_NAME
from scratchnet.exercises.patterns import describe

RNG = np.random.default_rng(7)
RIGHT = RNG.uniform(0.5, 2.0, size=(6, 3)) * RNG.choice([-1.0, 1.0], size=(6, 3))


@pytest.mark.parametrize(
    ("factor", "named"),
    [(2.0, "2"), (0.5, "1/2"), (-1.0, "-1"), (6.0, "N = 6"), (1 / 6, "1/N = 1/6"), (3.7, "3.7")],
)
def test_a_constant_factor_is_named(factor, named):
    factors = {"N = 6": 6, "1/N = 1/6": 1 / 6}
    text = describe("weight gradient", factor * RIGHT, RIGHT, factors=factors)
    assert text == f"the weight gradient is {named} times the right value"


def test_the_right_one_transposed_or_reshaped_is_told_with_both_shapes():
    square = RIGHT[:3]
    told = describe("t", square.T, square)
    assert told == "the t is the right one transposed: rows and columns swapped"
    assert describe("t", RIGHT.T, RIGHT) == (
        "the t has shape (3, 6); it must have shape (6, 3). It is the right one transposed"
    )
    told = describe("bias gradient", RIGHT[0][None, :], RIGHT[0])
    assert told == (
        "the bias gradient has shape (1, 3); it must have shape (3,). Its values are the right "
        "ones, in the wrong shape"
    )


def test_wrong_only_where_y_is_0_says_so_and_what_it_is_there():
    y = (np.arange(RIGHT.size) % 2).reshape(RIGHT.shape)
    groups = {"where y = 1": y == 1, "where y = 0": y == 0}
    got = np.where(y == 1, RIGHT, 0.0)
    assert describe("dL_dp", got, RIGHT, groups=groups) == (
        "the dL_dp is wrong where y = 0 (there it is 0), and right where y = 1"
    )
    got = np.where(y == 1, -RIGHT, RIGHT)
    assert describe("dL_dp", got, RIGHT, groups=groups) == (
        "the dL_dp is wrong where y = 1 (there it is -1 times the right value), and right where "
        "y = 0"
    )


def test_wrong_only_in_some_rows_or_columns_names_them():
    got = RIGHT.copy()
    got[[1, 4]] *= 3
    assert describe("input gradient", got, RIGHT) == (
        "the input gradient is wrong only in rows 1, 4 of 6 (there it is 3 times the right "
        "value), and right in the others"
    )
    got = RIGHT.copy()
    got[:, 2] = RNG.standard_normal(6)
    assert describe("input gradient", got, RIGHT).startswith(
        "the input gradient is wrong only in columns 2 of 3"
    )


def test_a_ratio_that_is_a_power_of_a_visible_quantity_is_named_and_else_its_trend():
    p_t = np.linspace(0.05, 0.95, RIGHT.size).reshape(RIGHT.shape)
    seen = {"p_t": p_t, "1 - p_t": 1 - p_t}
    assert describe("dL_dx", RIGHT / (1 - p_t), RIGHT, quantities=seen) == (
        "the dL_dx is exactly 1 / (1 - p_t) times the right value"
    )
    told = describe("dL_dx", RIGHT * (1 + p_t**3), RIGHT, quantities=seen)
    assert told.startswith(
        "the dL_dx is off by a factor that grows with p_t across its 18 entries: 1 times the right"
    )
    assert told.endswith("nearly right where p_t is small")


def test_where_no_probe_sees_a_pattern_nothing_is_said():
    noise = RIGHT + RNG.standard_normal(RIGHT.shape)
    p_t = RNG.uniform(0.05, 0.95, RIGHT.shape)
    y = RNG.integers(0, 2, RIGHT.shape)
    assert describe("dL_dp", noise, RIGHT, quantities={"p_t": p_t},
                    groups={"where y = 1": y == 1, "where y = 0": y == 0}) is None  # fmt: skip
    assert describe("dL_dp", 2 * RIGHT[:1, :3], RIGHT[:1, :3]) is None  # 3 entries: too few
    assert describe("dL_dp", np.full(RIGHT.shape, np.nan), RIGHT) is None


class AdamOneStepAhead(AdamWith):
    def corrected(self, m, v, t):
        return super().corrected(m, v, t + 1)


class AdamRightOnlyAtTheFirstStep(AdamWith):
    def step(self):
        super().step()
        if self.step_count > 1:
            for param in self.params:
                param.data += 1e-4 * param.grad


@pytest.mark.parametrize(
    ("wrong", "told"),
    [
        (AdamOneStepAhead, "every move is the right move for a step count t off by +1"),
        (AdamRightOnlyAtTheFirstStep, "every move is right up to step 1, and wrong from step 2"),
    ],
)
def test_adams_moves_are_matched_to_a_step_count_or_to_the_step_they_part(wrong, told):
    answer = SimpleNamespace(Adam=wrong)
    checks = list(BY_NAME["adam"].grade(lambda _: answer))
    first = next(check for check in checks if not check.passed)
    assert told in first.hint and first.kind == "measured", first.hint


class FocalRefusingGammaZero(FocalPowerRuleKeepsGamma):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.gamma == 0:
            raise ValueError("this focal loss wants gamma > 0")


def test_a_probe_the_learners_code_cannot_take_decides_nothing_and_is_not_their_error():
    answer = SimpleNamespace(FocalLoss=FocalRefusingGammaZero)
    checks = list(BY_NAME["focal"].grade(lambda _: answer))
    first = next(check for check in checks if not check.passed)
    assert "off by a factor that shrinks with p_t" in first.hint
    assert "gamma = 0" not in first.hint
