"""Comparing intervention mixes: every scenario on the same seeds (common random numbers).

``compare(paths)`` is what ``barrios compare`` does: replication k of every scenario uses
the same seed stream, so differences against the first scenario are paired (the noise the
scenarios share cancels). For each scenario it reports the change in both perception
shares, victimization, severe violence, cost, and US$ per percentage point of perceived
safety gained — means with 95% intervals, and paired differences against the first
scenario with their intervals; and the same for women, men, youth and migrants.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from experiments.execution import Report, RunSpec, execute, run_id
from experiments.runner import with_run_options
from experiments.scenario_files import LoadedScenario, ScenarioError, load_scenario
from experiments.store import ResultStore
from simulation.outcomes import GROUPS

OUTCOMES = {
    "safe_public_change": ("Δ feel safe in public spaces", "pp", 100),
    "safe_neighbourhood_change": ("Δ feel safe in neighbourhood", "pp", 100),
    "victimization_12m_end": ("victimized in last 12 months", "%", 100),
    "severe_violence_per_100k_end": ("severe violence per 100,000", "", 1),
    "cost_usd_total": ("cost", "US$ M", 1e-6),
}
GROUP_OUTCOMES = [f"safe_{m}_{g}_end" for m in ("public", "neighbourhood") for g in GROUPS]
SCALARS = (*OUTCOMES, "safe_public_start", "safe_public_end", "safe_neighbourhood_start",
           "safe_neighbourhood_end", *GROUP_OUTCOMES)
BOOTSTRAP = 2000


@dataclass
class Comparison:
    report: Report
    folder: Path
    table: pd.DataFrame        # one row per scenario and outcome
    groups: pd.DataFrame       # end shares by group, per scenario
    scenarios: list[LoadedScenario]
    seed: int = 0              # the comparison's seed (replication k uses its child k)


def _fingerprint(loaded: list[LoadedScenario], seed: int, years, scale) -> str:
    as_float = (lambda x: None if x is None else float(x))  # 500 and 500.0 are one setting
    doc = {"scenarios": [l.scenario.model_dump(mode="json") for l in loaded],
           "seed": int(seed), "years": as_float(years), "scale": as_float(scale)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def compare(paths: list[Path | str], *, replications: int = 30, seed: int = 0,
            years: float | None = None, inhabitants_per_agent: float | None = None,
            out: Path | str | None = None, scheduler: str | None = None,
            workers: int | None = None, progress: bool = True) -> Comparison:
    """Run every scenario ``replications`` times on common seeds, then analyse."""
    loaded = [load_scenario(p) for p in paths]
    scenarios = [_adjust(l.scenario, years, inhabitants_per_agent) for l in loaded]
    names = [s.name for s in scenarios]
    _distinct_names(loaded, names)
    folder = Path(out) if out else Path("runs") / f"compare-{'-'.join(names)[:80]}-{seed}"
    fingerprint = _fingerprint(loaded, seed, years, inhabitants_per_agent)
    store = ResultStore(folder).open({
        "kind": "compare", "fingerprint": fingerprint,
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "definition": {"scenarios": [str(l.path) for l in loaded], "seed": seed,
                       "years": years, "inhabitants_per_agent": inhabitants_per_agent}})
    stored = store.stored_status()
    todo = [(i, k) for i, s in enumerate(scenarios) for k in range(replications)
            if stored.get(run_id(s.name, {"scenario": s.name}, seed, k)) != "ok"]

    def specs():
        for i, k in todo:
            yield RunSpec(point=i, replication=k, seed=seed, scenario=scenarios[i],
                          values={"scenario": names[i]}, scalars=SCALARS,
                          timeseries=("safe_public", "safe_neighbourhood"),
                          city_table=loaded[i].city_table)

    report = (execute(specs(), store, total=len(todo), scheduler=scheduler, workers=workers,
                      progress=progress) if todo else Report(folder=str(folder)))
    report.skipped = len(scenarios) * replications - len(todo)
    runs = store.runs()
    runs = runs[(runs["status"] == "ok") & (runs["replication"] < replications)]
    table, groups = analyse(runs, names)
    return Comparison(report, folder, table, groups, loaded, seed)


def _distinct_names(loaded: list[LoadedScenario], names: list[str]):
    """Runs are identified by scenario name: two scenarios must not share one."""
    for i, name in enumerate(names):
        if name in names[:i]:
            first = loaded[names.index(name)].path.name
            raise ScenarioError(loaded[i].path, "name", f"expected a name not used by another "
                                f"compared scenario, found {name!r} (also {first}); set name = "
                                f"\"...\" in one of them")


def _adjust(scenario, years, scale):
    scenario = with_run_options(scenario, years=years)
    if scale is not None:
        scenario = scenario.model_copy(update={"city": scenario.city.model_copy(
            update={"inhabitants_per_agent": float(scale)})})
    return scenario


# --- analysis --------------------------------------------------------------------


def t_interval(x: np.ndarray) -> tuple[float, float, float]:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def cost_per_point(cost: np.ndarray, gain: np.ndarray, rng) -> tuple[float, float, float]:
    """US$ per percentage point: ratio of mean cost to mean gain (in points), with a
    percentile bootstrap interval over replications. NaN where the gain is not positive."""
    gain_pp = 100 * np.asarray(gain, dtype=float)
    cost = np.asarray(cost, dtype=float)
    if len(gain_pp) == 0 or gain_pp.mean() <= 0:
        return math.nan, math.nan, math.nan
    point = cost.mean() / gain_pp.mean()
    if len(gain_pp) < 2:
        return point, math.nan, math.nan
    idx = rng.integers(0, len(gain_pp), (BOOTSTRAP, len(gain_pp)))
    g, c = gain_pp[idx].mean(axis=1), cost[idx].mean(axis=1)
    ratios = np.where(g > 0, c / np.where(g > 0, g, 1), np.inf)
    # An order statistic, not an interpolation: resamples without a gain give +inf,
    # and interpolating between two of them is undefined.
    low, high = np.percentile(ratios, [2.5, 97.5], method="inverted_cdf")
    return point, float(low), float(high)


def analyse(runs: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Means with 95% intervals and paired differences against the first scenario."""
    rng = np.random.default_rng(0)
    by = {name: runs[runs["scenario"] == name].set_index("replication").sort_index() for name in names}
    first = by[names[0]]
    rows = []
    for name in names:
        df = by[name]
        common = df.index.intersection(first.index)
        for outcome in OUTCOMES:
            mean, low, high = t_interval(df[outcome])
            diff = df.loc[common, outcome] - first.loc[common, outcome]
            d_mean, d_low, d_high = t_interval(diff) if name != names[0] else (0.0, 0.0, 0.0)
            rows.append({"scenario": name, "outcome": outcome, "replications": len(df),
                         "mean": mean, "ci_low": low, "ci_high": high,
                         "diff_mean": d_mean, "diff_low": d_low, "diff_high": d_high})
        for measure in ("safe_public_change", "safe_neighbourhood_change"):
            absolute = cost_per_point(df["cost_usd_total"], df[measure], rng)
            incremental = (cost_per_point(df.loc[common, "cost_usd_total"] - first.loc[common, "cost_usd_total"],
                                          df.loc[common, measure] - first.loc[common, measure], rng)
                           if name != names[0] else (math.nan,) * 3)
            rows.append({"scenario": name, "outcome": f"usd_per_pp_{measure.removesuffix('_change')}",
                         "replications": len(df), "mean": absolute[0], "ci_low": absolute[1],
                         "ci_high": absolute[2], "diff_mean": incremental[0],
                         "diff_low": incremental[1], "diff_high": incremental[2]})
    groups = []
    for name in names:
        df = by[name]
        for measure in ("public", "neighbourhood"):
            for g in GROUPS:
                mean, low, high = t_interval(df[f"safe_{measure}_{g}_end"])
                groups.append({"scenario": name, "measure": measure, "group": g,
                               "mean": mean, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows), pd.DataFrame(groups)
