"""Summaries over replications: the mean with its 95% interval, and ratios with a
bootstrap interval. How an outcome aggregates is in its registry entry
(``simulation.outcomes.Outcome.aggregate``); ``aggregate`` applies it.

The 95% interval of a mean is Student's t-interval over independent replications (or over
paired differences, on common random numbers); with a single replication there is none.
"""

from __future__ import annotations

import math

import numpy as np

BOOTSTRAP = 2000


def t_interval(values) -> tuple[float, float, float]:
    """(mean, low, high) of the finite values; NaN bounds with fewer than two."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    from scipy.special import stdtrit  # here: a single replication needs no scipy

    half = stdtrit(len(x) - 1, 0.975) * x.std(ddof=1) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def aggregate(values, how: str = "mean") -> dict:
    """``{"mean": ..., "ci95": [low, high] | None}`` over replications (``how``: the
    outcome's ``aggregate``)."""
    if how != "mean":
        raise ValueError(f"expected an aggregate the registry knows ('mean'), found {how!r}")
    mean, low, high = t_interval(values)
    return {"mean": mean, "ci95": None if math.isnan(low) else [low, high]}


def ratio_of_means(cost, gain, rng) -> tuple[float, float, float]:
    """Mean cost over mean gain with a percentile bootstrap interval over replications;
    NaN where the mean gain is not positive."""
    gain = np.asarray(gain, dtype=float)
    cost = np.asarray(cost, dtype=float)
    if len(gain) == 0 or gain.mean() <= 0:
        return math.nan, math.nan, math.nan
    point = cost.mean() / gain.mean()
    if len(gain) < 2:
        return point, math.nan, math.nan
    idx = rng.integers(0, len(gain), (BOOTSTRAP, len(gain)))
    g, c = gain[idx].mean(axis=1), cost[idx].mean(axis=1)
    ratios = np.where(g > 0, c / np.where(g > 0, g, 1), np.inf)
    # An order statistic, not an interpolation: resamples without a gain give +inf,
    # and interpolating between two of them is undefined.
    low, high = np.percentile(ratios, [2.5, 97.5], method="inverted_cdf")
    return point, float(low), float(high)
