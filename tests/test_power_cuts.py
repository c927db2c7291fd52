"""Power cuts (``[[power_cuts]]``, ``simulation.power_cuts``): for their period, a share of
the night's street lighting is off, and the night is as dangerous as that darkness makes
it; outside it, and at a share of 0, the run is the one without cuts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from conftest import small_scenario
from simulation.config import PowerCut
from simulation.model import BarriosModel
from simulation.parameters import Params
from simulation.power_cuts import dark_share

K = 4.0  # standard errors for a statistical check (p ~ 6e-5 one-sided: ~3e-5)

START = dt.date(2024, 1, 1)


def _cut(first: dt.date, last: dt.date, share: float) -> dict:
    return {"start": first, "end": last, "night_dark_share": share}


def _series(cuts: list[dict], seed: int, days: int = 90) -> pd.DataFrame:
    scenario = small_scenario(run={"start": START, "years": days / 365}, power_cuts=cuts)
    model = BarriosModel(scenario, rng=seed)
    model.run()
    return model.datacollector.get_model_vars_dataframe().reset_index(drop=True)


def test_the_dark_share_is_the_period_s_on_its_days_only():
    cuts = [PowerCut(**_cut(dt.date(2024, 10, 1), dt.date(2024, 10, 31), 0.4)),
            PowerCut(**_cut(dt.date(2024, 11, 5), dt.date(2024, 11, 10), 0.2))]
    expected = {(9, 30): 0.0, (10, 1): 0.4, (10, 31): 0.4, (11, 1): 0.0, (11, 5): 0.2,
                (11, 10): 0.2, (11, 11): 0.0}
    for (month, day), share in expected.items():
        assert dark_share(cuts, dt.date(2024, month, day)) == share


def test_lighting_on_at_night_is_coverage_less_the_cut_and_nothing_changes_before_it():
    cut = _cut(START + dt.timedelta(days=30), START + dt.timedelta(days=59), 0.5)
    without, with_cut = _series([], seed=4), _series([cut], seed=4)
    # row k is day k (day 0 recorded at the start); the cut darkens days 30-59
    pd.testing.assert_frame_equal(with_cut.iloc[:31], without.iloc[:31])
    during = slice(31, 60)  # recorded at the end of days 30..58, lit as the cut sets it
    np.testing.assert_allclose(with_cut["night_lighting"].iloc[during],
                               0.5 * without["night_lighting"].iloc[during], rtol=1e-12)
    assert (without["night_lighting"] > 0.3).all()  # there is lighting to lose
    after = slice(61, None)
    np.testing.assert_allclose(with_cut["night_lighting"].iloc[after],
                               without["night_lighting"].iloc[after], rtol=1e-12)


def test_a_cut_of_no_night_hours_changes_nothing():
    cut = _cut(START, START + dt.timedelta(days=60), 0.0)
    pd.testing.assert_frame_equal(_series([cut], seed=6), _series([], seed=6))


def test_a_dark_night_brings_more_night_incidents_by_no_more_than_full_darkness_can():
    """Paired seeds, a whole night cut for 60 days: night incidents rise by a ratio above 1
    (beyond the pairs' spread) and below 1 / (1 - lighting_night_risk_reduction), the rise
    if every barrio had been fully lit before."""
    cut = _cut(START, START + dt.timedelta(days=59), 1.0)
    ratios, differences = [], []
    for seed in range(10):
        lit = _series([], seed=100 + seed, days=60)["incidents_night"].sum()
        dark = _series([cut], seed=100 + seed, days=60)["incidents_night"].sum()
        assert lit > 100  # enough incidents for a ratio to mean something
        ratios.append(dark / lit)
        differences.append(dark - lit)
    differences = np.array(differences)
    assert differences.mean() > K * differences.std(ddof=1) / np.sqrt(len(differences))
    most = 1 / (1 - Params().lighting_night_risk_reduction)
    assert 1 < np.mean(ratios) < most


def test_the_run_figure_shades_the_cuts_inside_the_run_only():
    from experiments.plots import perception_bands

    ts = _series([], seed=1, days=40).assign(
        replication=0, date=pd.date_range(START, periods=41, freq="D"))
    cuts = [PowerCut(**_cut(dt.date(2023, 6, 1), dt.date(2023, 6, 30), 0.5)),   # before
            PowerCut(**_cut(START + dt.timedelta(days=10), START + dt.timedelta(days=12), 0.25)),
            PowerCut(**_cut(dt.date(2025, 1, 1), dt.date(2025, 1, 9), 0.5))]    # after
    shaded = perception_bands(ts, cuts)["cuts"]
    assert shaded == [(np.datetime64("2024-01-11"), np.datetime64("2024-01-14"), 0.25)]
