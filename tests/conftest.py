"""Shared test settings: hypothesis runs the same examples every time, so CI is repeatable;
every test's figures are closed after it."""

import sys

import pytest
from hypothesis import settings

# derandomize: the examples come from a fixed seed, so a run in CI tries exactly what a
# run on a laptop tried. No example database (nothing written next to the tests), no
# deadline (a gradient check of a wide layer legitimately takes a fraction of a second).
settings.register_profile(
    "scratchnet", derandomize=True, database=None, deadline=None, max_examples=20
)
settings.load_profile("scratchnet")


@pytest.fixture(autouse=True)
def close_figures():
    """Close each test's figures: pyplot keeps every figure open until told otherwise.

    Only where pyplot is loaded already, so a test of the lesson alone never imports it.
    """
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
