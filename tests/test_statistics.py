"""The studies' intervals: bootstrap percentile intervals stay in range, two levels cover
both levels, and Wilson's interval matches its formula."""

import math

import numpy as np
import pytest
import scipy.stats

from scratchnet.article.statistics import (
    BOOTSTRAP_RESAMPLES,
    Interval,
    detectable_difference,
    formatted,
    mean_interval,
    two_level_interval,
    two_level_resampled_means,
    wilson_interval,
)


def test_intervals_of_bounded_means_stay_within_0_and_1_at_five_seeds():
    # The t-interval gave recall [-0.143, 0.600] and precision above 1 at --seeds 5.
    rng = np.random.default_rng(0)
    for _ in range(50):
        recalls = rng.choice([0.0, 0.0, 0.0, 1 / 28, 15 / 28], size=5)
        precisions = rng.choice([1.0, 1.0, 0.9, 0.5], size=5)
        for values in (recalls, precisions):
            interval = mean_interval(values)
            assert 0.0 <= interval.low <= interval.mean <= interval.high <= 1.0
    assert mean_interval([0, 0, 0, 0, 1]) == Interval(0.2, 0.0, 0.6)


def test_the_bootstrap_interval_is_the_same_every_time_and_exact_for_constants():
    values = np.random.default_rng(1).uniform(size=40)
    assert mean_interval(values) == mean_interval(values.copy())
    assert mean_interval([0.5] * 6) == Interval(0.5, 0.5, 0.5)
    with pytest.raises(ValueError, match="values must hold at least 5 numbers"):
        mean_interval([0.1, 0.2, 0.3, 0.4])


def test_the_bootstrap_interval_is_close_to_the_t_interval_for_many_smooth_values():
    values = np.random.default_rng(2).normal(0.3, 0.1, size=400)
    interval = mean_interval(values)
    half_width = scipy.stats.t.ppf(0.975, 399) * values.std(ddof=1) / math.sqrt(400)
    assert interval.high - interval.low == pytest.approx(2 * half_width, rel=0.05)


def test_two_levels_see_the_spread_between_data_seeds_that_one_level_over_inits_misses():
    # Every initialisation agrees within a data seed; the data seeds disagree.
    per_data_seed = np.array([0.0, 0.02, -0.01, 0.03, 0.01, -0.02, 0.04, 0.0])
    values = np.repeat(per_data_seed[:, None], 5, axis=1)
    interval = two_level_interval(values)
    assert interval.mean == pytest.approx(per_data_seed.mean())
    assert interval.low < 0 < interval.high  # the data seeds' spread is in it
    assert mean_interval(values[0]) == Interval(0.0, 0.0, 0.0)  # one data set sees none


def test_two_level_resamples_draw_rows_then_columns_within_each_row():
    values = np.arange(6.0).reshape(2, 3)  # rows {0, 1, 2} and {3, 4, 5}
    means = two_level_resampled_means(values)
    assert means.shape == (BOOTSTRAP_RESAMPLES,)
    assert means.min() >= 0.0 and means.max() <= 5.0
    # Both rows drawn as row 0, every column 0: the lowest possible mean, and it occurs.
    assert means.min() < 1.0
    np.testing.assert_array_equal(means, two_level_resampled_means(values))


def test_two_level_intervals_refuse_a_single_data_seed():
    with pytest.raises(ValueError, match="at least 2 data seeds, got shape"):
        two_level_interval(np.ones((1, 5)))
    with pytest.raises(ValueError, match="at least 2 data seeds, got shape"):
        two_level_interval(np.ones(5))


def test_wilson_interval_matches_its_formula():
    # p +- z sqrt(p (1 - p) / n + z^2 / (4 n^2)), centred on (p + z^2 / 2n), / (1 + z^2 / n)
    z = scipy.stats.norm.ppf(0.975)
    for wins, trials in ((7, 10), (0, 10), (10, 10), (3, 21)):
        share = wins / trials
        centre = share + z**2 / (2 * trials)
        spread = z * math.sqrt(share * (1 - share) / trials + z**2 / (4 * trials**2))
        low, high = ((centre - spread), (centre + spread))
        interval = wilson_interval(wins, trials)
        assert interval.mean == share
        assert interval.low == pytest.approx(low / (1 + z**2 / trials), abs=1e-12)
        assert interval.high == pytest.approx(high / (1 + z**2 / trials), abs=1e-12)
        assert 0.0 <= interval.low <= interval.high <= 1.0


def test_the_detectable_difference_is_2_8_standard_errors_of_the_resampled_means():
    values = np.random.default_rng(3).normal(0.0, 0.05, size=(10, 5))
    standard_error = two_level_resampled_means(values).std(ddof=1)
    assert detectable_difference(values) == pytest.approx(2.8016 * standard_error, rel=1e-4)


def test_a_difference_that_rounds_to_zero_is_printed_without_a_sign():
    assert formatted(Interval(-0.0001, -0.004, 0.003)) == "0.000 [-0.004, 0.003]"
