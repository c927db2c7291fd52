"""Summaries of runs: scalar outcomes per replication, means with 95% intervals, and the
readable table ``barrios run`` prints.

The 95% interval is the t-interval of the mean over replications (independent seeds);
with a single replication there is no interval (``null`` in JSON).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from simulation.outcomes import GROUPS

START_END = ("safe_public", "safe_neighbourhood", "survey_safe_public", "survey_safe_neighbourhood")
END_ONLY = {
    "victimization_12m_end": "victimization_12m",
    "severe_violence_per_100k_end": "severe_violence_per_100k_12m",
    "severe_events_per_100k_end": "severe_events_per_100k_12m",
    "incidents_per_100k_end": "incidents_per_100k_12m",
    "legitimacy_end": "legitimacy",
    "committee_members_end": "committee_members",
    "cost_usd_total": "cost_usd",
    **{f"safe_{m}_{g}_end": f"safe_{m}_{g}" for m in ("public", "neighbourhood") for g in GROUPS},
}


def run_outcomes(ts: pd.DataFrame) -> dict[str, float]:
    """Scalar outcomes of one run from its time series."""
    first, last = ts.iloc[0], ts.iloc[-1]
    out = {}
    for col in START_END:
        out[f"{col}_start"] = float(first[col])
        out[f"{col}_end"] = float(last[col])
    for name, col in END_ONLY.items():
        out[name] = float(last[col])
    out["safe_public_change"] = out["safe_public_end"] - out["safe_public_start"]
    out["safe_neighbourhood_change"] = out["safe_neighbourhood_end"] - out["safe_neighbourhood_start"]
    return out


def mean_ci(values) -> dict:
    """Mean and 95% t-interval of independent replications."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return {"mean": mean, "ci95": None}
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return {"mean": mean, "ci95": [mean - half, mean + half]}


def yearly(ts_all: pd.DataFrame) -> pd.DataFrame:
    """Perceived safety at the start and end of each calendar year, mean over replications."""
    ts = ts_all.assign(year=ts_all["date"].dt.year)
    firsts = ts.groupby(["replication", "year"]).first()
    lasts = ts.groupby(["replication", "year"]).last()
    cols = ["safe_public", "safe_neighbourhood"]
    table = pd.concat({"start": firsts[cols].groupby("year").mean(),
                       "end": lasts[cols].groupby("year").mean()}, axis=1)
    table.columns = [f"{c}_{when}" for when, c in table.columns]
    return table


def summarize(scenario, timeseries: list[pd.DataFrame], residents: int) -> dict:
    per_run = [run_outcomes(ts) for ts in timeseries]
    names = per_run[0].keys() if per_run else []
    observed = scenario.observed.model_dump(exclude_none=True)
    return {
        "scenario": scenario.name,
        "seed": scenario.run.seed,
        "replications": len(per_run),
        "years": scenario.run.years,
        "residents": residents,
        "outcomes": {k: mean_ci([r[k] for r in per_run]) for k in names},
        "observed": observed,
    }


def _pct(x) -> str:
    return "   —  " if x is None else f"{100 * x:5.1f}%"


def _interval(o: dict, scale: float = 100, fmt: str = "{:.1f}") -> str:
    if o["ci95"] is None:
        return ""
    lo, hi = o["ci95"]
    return f"  (95% CI {fmt.format(lo * scale)}–{fmt.format(hi * scale)})"


def format_summary(summary: dict, years: pd.DataFrame | None = None) -> str:
    """The human-readable summary printed by ``barrios run``."""
    o, obs = summary["outcomes"], summary["observed"]
    lines = [f"Scenario {summary['scenario']}: seed {summary['seed']}, "
             f"{summary['replications']} replication(s), {summary['residents']:,} residents, "
             f"{summary['years']:g} years", ""]
    lines.append("Perceived safety (share feeling safe)   simulated          observed")
    for measure, label in (("safe_public", "public spaces"), ("safe_neighbourhood", "neighbourhoods")):
        for when in ("start", "end"):
            key = f"{measure}_{when}"
            lines.append(f"  {label:15s} {when:5s}              {_pct(o[key]['mean'])}"
                         f"{_interval(o[key]):24s} {_pct(obs.get(key))}")
    if years is not None and len(years):
        lines += ["", "By year (mean over replications)      public start→end   neighbourhood start→end"]
        for year, row in years.iterrows():
            lines.append(f"  {year}                                 {_pct(row['safe_public_start'])} → "
                         f"{_pct(row['safe_public_end'])}    {_pct(row['safe_neighbourhood_start'])} → "
                         f"{_pct(row['safe_neighbourhood_end'])}")
    v, s, c = o["victimization_12m_end"], o["severe_violence_per_100k_end"], o["cost_usd_total"]
    lines += ["",
              f"Victimized in the last 12 months        {_pct(v['mean'])}{_interval(v)}",
              f"Severe violence per 100,000 per year    {s['mean']:6.1f}{_interval(s, 1)}"
              + (f"    observed {obs['severe_violence_per_100k']:g}" if "severe_violence_per_100k" in obs else ""),
              f"Cumulative cost                         US$ {c['mean'] / 1e6:,.1f} million"
              + (_interval(c, 1e-6, "{:,.1f}") if c["ci95"] else "")]
    groups = [(g, o[f"safe_public_{g}_end"]["mean"], o[f"safe_neighbourhood_{g}_end"]["mean"])
              for g in GROUPS]
    lines += ["", "Feeling safe at the end, by group       public   neighbourhood"]
    lines += [f"  {g:37s} {_pct(p)}   {_pct(n)}" for g, p, n in groups]
    return "\n".join(lines)
