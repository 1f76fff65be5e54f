"""The studies' intervals: bootstrap percentile intervals over one level or two, and Wilson's.

    mean_interval(recalls)               # a mean over seeds, resampling the seeds
    two_level_interval(differences)      # (data seeds, initialisations): resample both
    wilson_interval(wins, data_seeds)    # a share of successes

Every interval is a 95% interval. The bootstrap ones are percentile intervals: the 2.5%
and 97.5% quantiles of the mean over resamples drawn with replacement. A resampled
mean of numbers in [0, 1] lies in [0, 1], so unlike mean +- t s / sqrt(n) these never
claim a recall below 0 or a precision above 1, however few the seeds. Each draws its
resamples from a generator seeded with ``BOOTSTRAP_SEED``, so the same numbers give the
same interval, bit for bit, whatever was computed before.

With few resampled units, a percentile interval is too narrow: it cannot see further
than the units at hand. Five is the fewest accepted; the tables give the counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.stats

BOOTSTRAP_RESAMPLES = 9999
BOOTSTRAP_SEED = 0
CONFIDENCE = 0.95
FEWEST_VALUES = 5  # one-level: the fewest seeds an interval is computed from
FEWEST_CLUSTERS = 2  # two-level: the fewest data seeds


@dataclass(frozen=True)
class Interval:
    """A mean (or share) and its 95% interval [low, high]."""

    mean: float
    low: float
    high: float


def mean_interval(values) -> Interval:
    """The mean of ``values`` (n >= 5 numbers) with its 95% bootstrap percentile interval.

    ``scipy.stats.bootstrap`` resamples the n values with replacement 9,999 times; the
    interval runs from the 2.5% to the 97.5% quantile of the resampled means.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size < FEWEST_VALUES:
        raise ValueError(
            f"values must hold at least {FEWEST_VALUES} numbers for an interval, got {values.size}"
        )
    result = scipy.stats.bootstrap(
        (values,),
        np.mean,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    )
    interval = result.confidence_interval
    return Interval(float(np.mean(values)), float(interval.low), float(interval.high))


def two_level_resampled_means(values) -> np.ndarray:
    """The means of 9,999 two-level bootstrap resamples of ``values``, (9999,).

    values: (D, I), one number per data seed (row) and initialisation (column). Each
    resample draws D rows with replacement, then, within each row drawn, I columns with
    replacement, and takes the mean of the D x I numbers drawn. So the spread covers
    both what another draw of the data and another draw of the weights would change.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < FEWEST_CLUSTERS or values.shape[1] < 1:
        raise ValueError(
            f"values must be (data seeds, initialisations) with at least {FEWEST_CLUSTERS} "
            f"data seeds, got shape {values.shape}"
        )
    clusters, inner = values.shape
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    rows = rng.integers(clusters, size=(BOOTSTRAP_RESAMPLES, clusters, 1))
    columns = rng.integers(inner, size=(BOOTSTRAP_RESAMPLES, clusters, inner))
    return values[rows, columns].mean(axis=(1, 2))


def two_level_interval(values) -> Interval:
    """The mean of ``values`` (D data seeds, I initialisations) with its 95% two-level
    bootstrap percentile interval (``two_level_resampled_means``)."""
    means = two_level_resampled_means(values)
    low, high = scipy.stats.quantile(means, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return Interval(float(np.mean(values)), float(low), float(high))


def detectable_difference(values, power: float = 0.8) -> float:
    """The smallest true mean difference a study like this one finds with ``power``.

    (z(0.975) + z(power)) * SE, with SE the standard deviation of the two-level resampled
    means: a true difference that large has an 80% chance of an interval that excludes
    0, at the 5% level; a smaller one is likely to be missed.
    """
    standard_error = float(np.std(two_level_resampled_means(values), ddof=1))
    z = scipy.stats.norm.ppf([(1 + CONFIDENCE) / 2, power])
    return float(np.sum(z)) * standard_error


def wilson_interval(successes: int, trials: int) -> Interval:
    """The share successes / trials with its 95% Wilson score interval (scipy's
    ``binomtest``), which stays within [0, 1] and is not empty at 0 or all successes."""
    if trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials}")
    interval = scipy.stats.binomtest(successes, trials).proportion_ci(
        confidence_level=CONFIDENCE, method="wilson"
    )
    return Interval(successes / trials, float(interval.low), float(interval.high))


def formatted(interval: Interval, places: int = 3) -> str:
    """ "mean [low, high]" to ``places`` decimals, e.g. "0.275 [0.242, 0.309]"."""
    values = (interval.mean, interval.low, interval.high)
    mean, low, high = (rounded(value, places) for value in values)
    return f"{mean} [{low}, {high}]"


def rounded(value: float, places: int = 3) -> str:
    """``value`` to ``places`` decimals, and 0.000 rather than -0.000 for one that rounds to 0.

    A table's -0.000 would claim a sign that the digits shown do not carry. (Python
    3.11's "z" format option does this; scratchnet still supports 3.10.)
    """
    text = f"{value:.{places}f}"
    return text.lstrip("-") if float(text) == 0 else text
