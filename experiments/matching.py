"""Matched controls for a programme as deployed (worst first, staggered), the design an
evaluator falls back on when nobody randomized.

Treated units are barrios the programme reaches during the run after at least
``pre_months`` without it (their adoption month ``a``: the first month the panel's
programme flag is on); the pool of controls is every barrio it never reaches. Each
adoption cohort is matched on what an evaluator sees before ``a``: the programme's
targeting indicator and the population (log) and, when the programme targets incidents
(``on_outcome``), the barrio's monthly incidents over its pre window (log), standardized
over the cohort and the pool. Matching on pre-period incidents when the programme chose
its barrios by something else picks controls for their chance highs, which then regress
to the mean and bias the difference in differences (Daw & Hatfield 2018); the test suite
shows it on a planted effect. Every treated barrio gets
its ``neighbours`` nearest controls (with replacement, scikit-learn's ``NearestNeighbors``),
unless the nearest is farther than ``caliper`` (standardized units): it is then dropped
(common support), and the report says how many were. Controls take their treated
barrio's calendar windows and weight 1/``neighbours``.

``naive_ratio`` is what the README warns against: incidents in treated barrio-months over
untreated ones, after the start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.effects import MonthMatrix, Units


@dataclass
class Matched:
    units: Units
    features: pd.DataFrame     # per unit: the matching features
    pool_features: pd.DataFrame  # per treated unit and pool member, before matching
    pool_treated: np.ndarray   # which rows of pool_features are treated
    treated: int               # adopters with a full pre window
    dropped: int               # of them, outside the caliper


def adoption_months(matrix: MonthMatrix, flag: str) -> np.ndarray:
    """Each barrio's first month with the programme (-1: never)."""
    on = np.nan_to_num(matrix.values[flag]) > 0
    first = np.where(on.any(axis=1), on.argmax(axis=1), -1)
    return first


def match(matrix: MonthMatrix, flag: str, covariates: pd.DataFrame, indicator: str,
          pre_months: int, post_months: int, neighbours: int = 1,
          caliper: float = 0.5, on_outcome: bool | None = None) -> Matched:
    """Matched treated and control units (see the module's text)."""
    from sklearn.neighbors import NearestNeighbors

    if on_outcome is None:
        on_outcome = indicator == "incidents"
    adoption = adoption_months(matrix, flag)
    pool = np.flatnonzero(adoption == -1)
    cohorts = sorted(set(adoption[(adoption >= pre_months)].tolist()))
    static = covariates.set_index("barrio_id").reindex(matrix.barrios)
    parts, feature_rows, pool_rows, pool_flags = [], [], [], []
    treated_count = dropped = 0
    for a in cohorts:
        treated = np.flatnonzero(adoption == a)
        treated_count += len(treated)
        x_t, x_p = (_features(matrix, static, rows, a, pre_months, indicator, on_outcome)
                    for rows in (treated, pool))
        pool_rows += [x_t, x_p]
        pool_flags += [np.ones(len(x_t), bool), np.zeros(len(x_p), bool)]
        if len(pool) == 0:
            dropped += len(treated)
            continue
        scale = pd.concat([x_t, x_p]).std(ddof=0).replace(0, 1.0)
        k = min(neighbours, len(pool))
        nn = NearestNeighbors(n_neighbors=k).fit((x_p / scale).to_numpy())
        distance, index = nn.kneighbors((x_t / scale).to_numpy())
        keep = distance[:, 0] <= caliper
        dropped += int((~keep).sum())
        if not keep.any():
            continue
        stop = min(a + post_months, matrix.months)
        parts.append(_cohort_units(matrix, treated[keep], pool[index[keep]], a, pre_months, stop))
        feature_rows += [x_t[keep], x_p.iloc[index[keep].reshape(-1)]]
    units = _concat(parts)
    features = pd.concat(feature_rows, ignore_index=True) if feature_rows else pd.DataFrame()
    return Matched(units, features, pd.concat(pool_rows, ignore_index=True) if pool_rows
                   else pd.DataFrame(), np.concatenate(pool_flags) if pool_flags
                   else np.empty(0, bool), treated_count, dropped)


def _features(matrix, static, rows, a, pre_months, indicator, on_outcome) -> pd.DataFrame:
    values = static.iloc[rows]
    features = pd.DataFrame({indicator: values[indicator].to_numpy(),
                             "log_population": np.log1p(values["population"].to_numpy())})
    if on_outcome:
        incidents = matrix.window_sum("incidents", rows, np.full(len(rows), a - pre_months),
                                      np.full(len(rows), a)) / pre_months
        features["log_incidents_pre"] = np.log1p(incidents)
    return features


def _cohort_units(matrix, treated, controls, a, pre_months, stop) -> Units:
    k = controls.shape[1]
    ids = np.concatenate([matrix.barrios[treated], matrix.barrios[controls.reshape(-1)]])
    n_t, n = len(treated), len(treated) * (1 + k)
    area = np.array(["treatment"] * n_t + ["control"] * (n - n_t))
    weight = np.concatenate([np.ones(n_t), np.full(n - n_t, 1.0 / k)])
    full = lambda v: np.full(n, v, dtype=np.int64)  # noqa: E731
    return Units(ids, area, weight, (full(a - pre_months), full(a)), (full(a), full(stop)),
                 full(a))


def _concat(parts: list[Units]) -> Units:
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return Units(empty, np.empty(0, dtype=str), np.empty(0), (empty, empty), (empty, empty),
                     empty)
    cat = np.concatenate
    return Units(cat([p.barrio_id for p in parts]), cat([p.area for p in parts]),
                 cat([p.weight for p in parts]),
                 (cat([p.pre[0] for p in parts]), cat([p.pre[1] for p in parts])),
                 (cat([p.post[0] for p in parts]), cat([p.post[1] for p in parts])),
                 cat([p.anchor for p in parts]))


def naive_ratio(matrix: MonthMatrix, flag: str, first_month: int) -> float:
    """log of (incidents per treated barrio-month) / (per untreated barrio-month) from
    ``first_month`` on: the comparison that targeting biases."""
    on = np.nan_to_num(matrix.values[flag][:, first_month:]) > 0
    y = np.nan_to_num(matrix.values["incidents"][:, first_month:])
    if on.sum() == 0 or (~on).sum() == 0:
        return math.nan
    treated, untreated = y[on].mean(), y[~on].mean()
    return math.log(treated / untreated) if treated > 0 and untreated > 0 else math.nan
