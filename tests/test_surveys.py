"""The survey's figures are set beside the model on the days the surveys were taken
(``[observed] start_date``, ``end_date``): the ``*_on_survey_*`` outcomes."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from conftest import shipped
from experiments.runs import simulate
from experiments.summary import format_summary, summarize

SURVEYED = ("safe_public", "safe_neighbourhood", "victimization_12m")


def _with_surveys(scenario, **dates):
    observed = scenario.observed.model_copy(update=dates)
    return scenario.model_copy(update={"observed": observed})


@pytest.fixture(scope="module")
def quito():
    return shipped("quito_2023_2025", run={"years": 0.25, "seed": 5})


def test_shipped_plan_dates_its_surveys_one_year_apart():
    observed = shipped("quito_2023_2025").observed
    assert (observed.end_date - observed.start_date).days == 365
    assert observed.start_date.year == 2024 and observed.end_date.year == 2025


def test_outcomes_on_survey_days_are_the_series_on_those_days(quito):
    scenario = _with_surveys(quito, start_date=dt.date(2023, 2, 1), end_date=dt.date(2023, 3, 15))
    daily = simulate(scenario, seed=9)
    by_date = daily.timeseries.set_index("date")
    for name in SURVEYED:
        assert daily.outcomes[f"{name}_on_survey_start"] == by_date.loc["2023-02-01", name]
        assert daily.outcomes[f"{name}_on_survey_end"] == by_date.loc["2023-03-15", name]
    # the two days differ, so the outcomes are not the run's start or end by accident
    assert daily.outcomes["safe_public_on_survey_end"] != daily.outcomes["safe_public_end"]
    # a batch run that records almost nothing still records the surveys' days
    sparse = simulate(scenario, seed=9, record_days={0})
    assert {31, 73} <= set(sparse.timeseries["step"])
    for name in SURVEYED:
        for when in ("start", "end"):
            key = f"{name}_on_survey_{when}"
            assert sparse.outcomes[key] == daily.outcomes[key]


def test_without_dates_the_surveys_are_the_runs_first_and_last_day(quito):
    scenario = _with_surveys(quito, start_date=None, end_date=None)
    out = simulate(scenario, seed=9).outcomes
    assert out["safe_public_on_survey_start"] == out["safe_public_start"]
    assert out["safe_neighbourhood_on_survey_end"] == out["safe_neighbourhood_end"]
    assert out["victimization_12m_on_survey_end"] == out["victimization_12m_end"]


def test_a_survey_after_the_run_is_missing_not_the_last_day(quito):
    # the shipped dates (2024, 2025) lie beyond this quarter-year run
    out = simulate(quito, seed=9).outcomes
    assert math.isnan(out["safe_public_on_survey_start"])
    assert math.isnan(out["safe_neighbourhood_on_survey_end"])
    assert not math.isnan(out["safe_public_end"])


def test_summary_sets_the_observed_figures_beside_the_survey_days(quito):
    scenario = _with_surveys(quito, start_date=dt.date(2023, 2, 1), end_date=dt.date(2023, 3, 15))
    runs = [simulate(scenario, seed=9, replication=k) for k in range(2)]
    summary = summarize(scenario, [r.outcomes for r in runs], runs[0].residents)
    assert summary["observed"]["start_date"] == "2023-02-01"  # JSON-ready
    text = format_summary(summary)
    on_day = pd.Series([r.outcomes["safe_public_on_survey_start"] for r in runs]).mean()
    line = next(s for s in text.splitlines() if "public spaces   2023-02-01" in s)
    assert f"{100 * on_day:.1f}%" in line and "41.0%" in line
