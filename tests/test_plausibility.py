"""Plausibility at the calibration's resolution (100 inhabitants per agent) with a short
burn-in, over a few replications on common seeds: the baseline's perceived safety is in
a believable band, and Quito's plan raises both measures over its three years.

The comparison is paired: replication k of both scenarios starts from the same seed
stream, so the difference of their outcomes removes most of the shared noise. The plan
is judged better only if the mean paired difference is positive and larger than both
two standard errors and the one-sided 99% t critical value times the standard error.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from conftest import paired_z, shipped, timeseries, run_model
from experiments.runs import replication_seed

SEED = 2023
REPLICATIONS = 4
# the plan's three years: with its programmes' sourced start dates (lighting from 2024)
# and the calibrated slow memory, most of its effect comes after the first year
YEARS = 3.0
# the calibration's resolution: perception is not resolution-free (at 500 inhabitants per
# agent the baseline's shares run about 15 points higher; docs/status.md, Known gaps)
CITY = {"inhabitants_per_agent": 100.0}
MEASURES = ["safe_public", "safe_neighbourhood"]


def _runs(name: str) -> list:
    scenario = shipped(name, run={"years": YEARS}, city=CITY)
    return [timeseries(run_model(scenario, rng=seq))
            for seq in (replication_seed(SEED, k) for k in range(REPLICATIONS))]


@pytest.fixture(scope="module")
def baseline():
    return _runs("baseline_2023")


@pytest.fixture(scope="module")
def plan():
    return _runs("quito_2023_2025")


@pytest.mark.parametrize("measure", MEASURES)
def test_baseline_perceived_safety_is_between_30_and_70_percent(baseline, measure):
    for ts in baseline:
        assert ts[measure].between(0.30, 0.70).all(), (ts[measure].min(), ts[measure].max())
    ends = np.array([ts[measure].iloc[-1] for ts in baseline])
    assert 0.30 < ends.mean() < 0.70


def test_more_people_feel_safe_in_their_neighbourhood_than_in_public_spaces(baseline):
    """The survey's ordering (51% vs 41%, seed 000), paired within each run."""
    diffs = np.array([ts["safe_neighbourhood"].iloc[0] - ts["safe_public"].iloc[0]
                      for ts in baseline])
    se = diffs.std(ddof=1) / np.sqrt(len(diffs))
    assert diffs.mean() > max(2.0, stats.t.ppf(0.99, len(diffs) - 1)) * se


@pytest.mark.parametrize("measure", MEASURES)
def test_quito_plan_raises_perceived_safety(baseline, plan, measure):
    a = np.array([ts[measure].iloc[-1] for ts in plan])
    b = np.array([ts[measure].iloc[-1] for ts in baseline])
    mean, se = paired_z(a, b)
    critical = max(2.0, stats.t.ppf(0.99, REPLICATIONS - 1))
    assert mean > 0
    assert mean > critical * se, (mean, se)


def test_quito_plan_costs_money_and_baseline_less(baseline, plan):
    cost_plan = np.array([ts["cost_usd"].iloc[-1] for ts in plan])
    cost_base = np.array([ts["cost_usd"].iloc[-1] for ts in baseline])
    assert np.all(cost_base > 0)
    assert np.all(cost_plan > cost_base)
