"""The evaluation instrument on known truths: synthetic barrio panels with planted effects
(so the truth is exact), a constructed catchment example for the weighted displacement
quotient, and the estimators' own standard errors checked for coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments import effects
from experiments.effects import EFFECT_OUTCOMES, MonthMatrix, Units

MONTHS, START = 24, 12  # 12 months before the start, 12 after


def synthetic_panel(rng, n: int = 400, effect: float = 0.8, share_shift: float = 0.05,
                    base: float = 3.0) -> tuple[pd.DataFrame, np.ndarray]:
    """A panel of ``n`` barrios: Poisson incidents around barrio-specific rates (gamma
    heterogeneity) times ``effect`` in treated barrios from month START; a share feeling
    safe that rises by ``share_shift`` there. Half the barrios treated at random."""
    treated = rng.permutation(n) < n // 2
    rate = rng.gamma(2.0, base / 2.0, n)
    months = np.arange(MONTHS)
    multiplier = np.where(treated[:, None] & (months[None, :] >= START), effect, 1.0)
    trend = 1 + 0.01 * months  # a city-wide trend both arms share
    incidents = rng.poisson(rate[:, None] * trend[None, :] * multiplier)
    residents = rng.integers(50, 150, n)
    level = rng.uniform(0.3, 0.6, n)
    shift = np.where(treated[:, None] & (months[None, :] >= START), share_shift, 0.0)
    safe = np.clip(level[:, None] + 0.002 * months[None, :] + shift
                   + rng.normal(0, 0.02, (n, MONTHS)), 0, 1)
    panel = pd.DataFrame({"barrio_id": np.repeat(np.arange(n), MONTHS),
                          "month": np.tile(months, n), "incidents": incidents.reshape(-1),
                          "safe_public": safe.reshape(-1),
                          "residents": np.repeat(residents, MONTHS)})
    return panel, treated


def estimate(panel: pd.DataFrame, treated: np.ndarray, outcome: str) -> list[dict]:
    matrix = MonthMatrix(panel, ["incidents", "safe_public", "residents"])
    units = Units.fixed(np.arange(len(treated)), np.where(treated, "treatment", "control"),
                        START, START, MONTHS - START)
    return effects.estimate_run(units, matrix, [EFFECT_OUTCOMES[outcome]], [], 3,
                                {"direct": effects.COMPARISONS["direct"]})


def replicate(outcome: str, measure: str, reps: int = 200, **planted) -> pd.DataFrame:
    rng = np.random.default_rng(20261201)
    rows = []
    for _ in range(reps):
        panel, treated = synthetic_panel(rng, **planted)
        rows += [r for r in estimate(panel, treated, outcome) if r["measure"] == measure]
    return pd.DataFrame(rows)


def covers(values: np.ndarray, truth: float, level: float = 0.999) -> bool:
    """Whether the ``level`` t-interval of the mean of ``values`` contains ``truth``."""
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return abs(values.mean() - truth) <= half


def test_a_planted_rate_effect_is_recovered_with_calibrated_intervals():
    est = replicate("incidents", "log_rate_ratio", reps=1000, effect=0.8)
    truth = math.log(0.8)
    assert covers(est["value"].to_numpy(), truth)
    # each trial's own standard error (delta method, clustered by barrio) is the spread of
    # the estimates across trials, and its 95% interval covers the truth about 95% of the
    # time (1,000 trials: within 3.5 binomial SDs of 0.95)
    assert est["se"].mean() / est["value"].std() == pytest.approx(1.0, abs=0.1)
    inside = (abs(est["value"] - truth) <= effects.Z95 * est["se"]).mean()
    assert abs(inside - 0.95) <= 3.5 * math.sqrt(0.95 * 0.05 / len(est))


def test_no_effect_gives_no_effect():
    est = replicate("incidents", "log_rate_ratio", effect=1.0)
    assert covers(est["value"].to_numpy(), 0.0)
    significant = (abs(est["value"]) > effects.Z95 * est["se"]).mean()
    assert significant <= 0.05 + 3.5 * math.sqrt(0.05 * 0.95 / len(est))  # the test's size


def test_a_planted_share_shift_is_recovered_in_points():
    est = replicate("safe_public", "points", reps=1000, share_shift=0.05)
    assert covers(est["value"].to_numpy(), 5.0)   # 0.05 of a share = 5 points
    assert est["se"].mean() / est["value"].std() == pytest.approx(1.0, abs=0.1)
    inside = (abs(est["value"] - 5.0) <= effects.Z95 * est["se"]).mean()
    assert abs(inside - 0.95) <= 3.5 * math.sqrt(0.95 * 0.05 / len(est))


def test_cohens_d_is_the_standardized_difference_of_changes():
    rng = np.random.default_rng(3)
    n = 4000
    change = np.concatenate([rng.normal(-0.3, 1.0, n), rng.normal(0.0, 1.0, n)])
    in_a = np.arange(2 * n) < n
    d = effects.cohens_d(change, np.ones(2 * n), in_a, ~in_a)
    assert abs(d.value - (-0.3)) < 3 * d.se   # planted d = -0.3 (unit SD)
    assert d.se == pytest.approx(math.sqrt(2 / n + d.value ** 2 / (4 * n)), rel=1e-9)


def test_changes_are_per_month_when_windows_differ():
    units = Units.fixed(np.arange(2), np.array(["treatment", "control"]), 12, 12, 6)
    change = effects.monthly_change(np.array([24.0, 12.0]), np.array([6.0, 6.0]), units)
    assert np.allclose(change, [6 / 6 - 24 / 12, 6 / 6 - 12 / 12])
    per_resident = effects.monthly_change(np.array([24.0, 12.0]), np.array([6.0, 6.0]), units,
                                          np.array([10.0, 0.0]))
    assert per_resident[0] == pytest.approx(-0.1) and np.isnan(per_resident[1])


def test_the_wdq_of_a_constructed_catchment_example():
    """R: 100 -> 70, buffer B: 50 -> 60, control C: 200 -> 200. Bowers & Johnson:
    success = 70/200 - 100/200 = -0.15; buffer = 60/200 - 50/200 = +0.05; WDQ = -1/3
    (displacement, a third of the direct effect)."""
    result = effects.displacement((100, 70), (50, 60), (200, 200))
    assert result.success == pytest.approx(-0.15)
    assert result.buffer == pytest.approx(0.05)
    assert result.wdq == pytest.approx(-1 / 3)
    # the same numbers from a panel: areas summed over their months
    panel, units = _catchment_panel({"treatment": (100, 70), "catchment": (50, 60),
                                     "control": (200, 200)})
    rows = effects.displacement_rows(units, MonthMatrix(panel, ["incidents"]),
                                     [EFFECT_OUTCOMES["incidents"]])
    got = {r["measure"]: r["value"] for r in rows}
    assert got["wdq"] == pytest.approx(-1 / 3)
    assert got["total_catchment_after"] == pytest.approx(60)


def test_the_wdq_is_undefined_without_a_direct_effect_and_follows_diffusion():
    assert math.isnan(effects.displacement((100, 110), (50, 40), (200, 200)).wdq)
    diffusion = effects.displacement((100, 70), (50, 40), (200, 200))
    assert diffusion.wdq == pytest.approx((40 / 200 - 50 / 200) / (70 / 200 - 100 / 200))
    assert diffusion.wdq > 0


def test_a_catchment_with_its_own_control_trend():
    """With the control catchment as the buffer's counterfactual, a buffer that moved
    exactly as its control did shows no displacement, whatever the control hot spots did
    (they regress to the mean)."""
    result = effects.displacement((100, 60), (50, 55), (100, 80), c_for_b=(500, 550))
    assert result.buffer == pytest.approx(0.0)
    assert result.success == pytest.approx(60 / 80 - 100 / 100)


def _catchment_panel(totals: dict) -> tuple[pd.DataFrame, Units]:
    """One barrio per area, its before and after totals spread over 6 + 6 months."""
    rows = []
    for b, (area, (before, after)) in enumerate(totals.items()):
        for m in range(12):
            total = before if m < 6 else after
            rows.append({"barrio_id": b, "month": m, "incidents": total / 6})
    units = Units.fixed(np.arange(len(totals)), np.array(list(totals)), 6, 6, 6)
    return pd.DataFrame(rows), units


def test_window_sums_and_follow_up_means_match_pandas():
    rng = np.random.default_rng(5)
    panel, treated = synthetic_panel(rng, n=30)
    matrix = MonthMatrix(panel, ["incidents", "safe_public"])
    units = Units.fixed(np.arange(30), np.where(treated, "treatment", "control"), START,
                        START, MONTHS - START)
    pre, post = effects.period_values(units, matrix, "incidents", "count", 3)
    by = panel.assign(after=panel["month"] >= START).groupby(["barrio_id", "after"])["incidents"].sum()
    assert np.array_equal(pre, by.xs(False, level="after").to_numpy())
    assert np.array_equal(post, by.xs(True, level="after").to_numpy())
    pre_s, post_s = effects.period_values(units, matrix, "safe_public", "share", 3)
    last = panel[panel["month"].between(MONTHS - 3, MONTHS - 1)].groupby("barrio_id")["safe_public"].mean()
    assert np.allclose(post_s, last.to_numpy())


def test_the_event_study_is_flat_before_the_start_and_shows_the_effect_after():
    rng = np.random.default_rng(8)
    frames = []
    for _ in range(40):
        panel, treated = synthetic_panel(rng, effect=0.7, base=6.0)
        matrix = MonthMatrix(panel, ["incidents", "safe_public", "residents"])
        units = Units.fixed(np.arange(len(treated)), np.where(treated, "treatment", "control"),
                            START, START, MONTHS - START)
        frames.append(effects.event_study(units, matrix, EFFECT_OUTCOMES["incidents"], START,
                                          MONTHS - START))
    ev = pd.concat(frames).groupby("offset")["value"]
    mean, sd, n = ev.mean(), ev.std(), ev.count()
    half = 4 * sd / np.sqrt(n)
    assert (mean[mean.index < 0].abs() <= half[mean.index < 0]).all()
    assert ((mean[mean.index >= 0] - math.log(0.7)).abs() <= half[mean.index >= 0]).all()


def test_summaries_give_percent_changes_and_trial_ranges():
    est = pd.DataFrame({"dose": np.nan, "comparison": "direct", "outcome": "incidents",
                        "group": "everyone", "measure": "log_rate_ratio",
                        "value": [math.log(0.9), math.log(0.8), math.log(0.85)],
                        "se": [0.01, 0.2, 0.01]})
    table = effects.summarize(est).set_index("measure")
    pct = table.loc["percent_change"]
    assert pct["mean"] == pytest.approx(100 * (math.exp(est["value"].mean()) - 1))
    assert pct["ci_low"] < pct["mean"] < pct["ci_high"]
    assert table.loc["log_rate_ratio", "significant_share"] == pytest.approx(2 / 3)
    assert table.loc["log_rate_ratio", "replications"] == 3
