"""The graders on wrong answers no catalogue names (tests/exercise_uncatalogued.py): each
gets the hint it was judged to get, none a misleading one, and no check of theirs claims a
catalogued mistake that is not theirs."""

from types import SimpleNamespace

import pytest
from exercise_uncatalogued import (
    HELD_OUT,
    HELD_OUT_VERDICTS,
    MISLEADING,
    NAMES,
    UNCATALOGUED,
    VAGUE,
    VERDICTS,
)

from scratchnet.exercises.catalogue import BY_NAME
from scratchnet.exercises.grading import CATALOGUED

CLASS_OF = {
    "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Linear", "bce": "BCELoss",
    "bce_logits": "BCEWithLogitsLoss", "focal": "FocalLoss",
    "focal_logits": "FocalLossWithLogits", "adam": "Adam", "tanh": "Tanh",
}  # fmt: skip


def failures(name, wrong) -> list:
    answer = SimpleNamespace(**{CLASS_OF[name]: wrong})
    return [check for check in BY_NAME[name].grade(lambda _: answer) if not check.passed]


def test_the_measurement_covers_20_answers_across_6_exercises_and_none_is_misleading():
    assert len(UNCATALOGUED) >= 20 and len({name for name, _, _ in UNCATALOGUED}) >= 6
    assert set(VERDICTS) == {wrong for _, wrong, _ in UNCATALOGUED}
    verdicts = [verdict for verdict, _, _ in VERDICTS.values()]
    assert verdicts.count(MISLEADING) == 0
    assert (verdicts.count(NAMES), verdicts.count(VAGUE)) == (15, 9)


def test_on_answers_held_out_from_the_tuning_none_is_misleading():
    assert len({name for name, _, _ in HELD_OUT}) == 9
    assert set(HELD_OUT_VERDICTS) == {wrong for _, wrong, _ in HELD_OUT}
    verdicts = [verdict for verdict, _, _ in HELD_OUT_VERDICTS.values()]
    assert (verdicts.count(NAMES), verdicts.count(VAGUE), verdicts.count(MISLEADING)) == (3, 11, 0)


ALL = [(name, wrong) for name, wrong, _ in UNCATALOGUED + HELD_OUT]


@pytest.mark.parametrize(("name", "wrong"), ALL, ids=[wrong.__name__ for _, wrong in ALL])
def test_an_uncatalogued_answer_gets_the_hint_it_was_judged_on(name, wrong):
    _, piece, catalogued_allowed = {**VERDICTS, **HELD_OUT_VERDICTS}[wrong]
    failed = failures(name, wrong)
    assert failed, f"{wrong.__name__} passed every check"
    assert piece in failed[0].hint, failed[0].hint
    for check in failed:
        if check.kind == CATALOGUED:
            assert any(allowed in check.hint for allowed in catalogued_allowed), check.hint
