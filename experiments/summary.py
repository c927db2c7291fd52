"""The analysis of ``barrios run``: the outcomes of its replications aggregated (means with
95% intervals), perceived safety by year, and the readable table it prints.

The 95% interval is the t-interval of the mean over replications (independent seeds);
with a single replication there is no interval (``null`` in JSON).
"""

from __future__ import annotations

import pandas as pd

from experiments.statistics import aggregate
from simulation.outcomes import GROUPS, OUTCOMES


def summarize(scenario, outcomes: list[dict[str, float]], residents: int) -> dict:
    """The summary of finished replications: every registry outcome aggregated as its
    entry says (mean with a 95% interval), next to the scenario's observed values."""
    observed = scenario.observed.model_dump(mode="json", exclude_none=True)
    return {
        "scenario": scenario.name,
        "seed": scenario.run.seed,
        "replications": len(outcomes),
        "years": scenario.run.years,
        "residents": residents,
        "outcomes": {name: aggregate([r[name] for r in outcomes], o.aggregate)
                     for name, o in OUTCOMES.items()} if outcomes else {},
        "observed": observed,
    }


def yearly(ts_all: pd.DataFrame) -> pd.DataFrame:
    """Per calendar year, mean over replications: perceived safety at its start and end,
    and the spending in it (running and capital, from the cumulative costs)."""
    ts = ts_all.assign(year=ts_all["date"].dt.year)
    firsts = ts.groupby(["replication", "year"]).first()
    lasts = ts.groupby(["replication", "year"]).last()
    cols = ["safe_public", "safe_neighbourhood"]
    table = pd.concat({"start": firsts[cols].groupby("year").mean(),
                       "end": lasts[cols].groupby("year").mean()}, axis=1)
    table.columns = [f"{c}_{when}" for when, c in table.columns]
    for column, name in (("cost_usd", "spending_usd"), ("cost_capital_usd", "capital_usd")):
        if column in ts:
            spent = lasts[column].groupby("replication").diff().fillna(lasts[column])
            table[name] = spent.groupby("year").mean()
    return table


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
            # on the survey's day where the scenario dates it (the run's edge otherwise)
            key = f"{measure}_on_survey_{when}" if f"{when}_date" in obs else f"{measure}_{when}"
            lines.append(f"  {label:15s} {obs.get(f'{when}_date', when):10s}         "
                         f"{_pct(o[key]['mean'])}{_interval(o[key]):24s} "
                         f"{_pct(obs.get(f'{measure}_{when}'))}")
    if years is not None and len(years):
        lines += ["", "By year (mean over replications)      public start→end   neighbourhood start→end"
                  "   spending (of it capital)"]
        for year, row in years.iterrows():
            spending = (f"   US$ {row['spending_usd'] / 1e6:6,.1f} M ({row['capital_usd'] / 1e6:,.1f} M)"
                        if "spending_usd" in row else "")
            lines.append(f"  {year}                                 {_pct(row['safe_public_start'])} → "
                         f"{_pct(row['safe_public_end'])}    {_pct(row['safe_neighbourhood_start'])} → "
                         f"{_pct(row['safe_neighbourhood_end'])}{spending}")
    v, s, c = o["victimization_12m_end"], o["severe_violence_per_100k_end"], o["cost_usd_total"]
    day, night = o["incidents_day_per_100k_end"], o["incidents_night_per_100k_end"]
    surveyed = (f"    observed {_pct(obs['victimization_12m_end']).strip()} on "
                f"{obs.get('end_date', 'the last day')}"
                if "victimization_12m_end" in obs else "")
    lines += ["",
              f"Victimized in the last 12 months        {_pct(v['mean'])}{_interval(v)}",
              *([f"  on the second survey's day           "
                 f"{_pct(o['victimization_12m_on_survey_end']['mean'])}{surveyed}"] if surveyed else []),
              f"Incidents per 100,000 per year          {day['mean'] + night['mean']:,.0f}"
              f"  (by day {day['mean']:,.0f}, at night {night['mean']:,.0f})",
              f"Severe violence per 100,000 per year    {s['mean']:6.1f}{_interval(s, 1)}"
              + (f"    observed {obs['severe_violence_per_100k']:g}" if "severe_violence_per_100k" in obs else ""),
              f"Cumulative cost                         US$ {c['mean'] / 1e6:,.1f} million"
              + (_interval(c, 1e-6, "{:,.1f}") if c["ci95"] else "")]
    lines += ["", "At the end, by group                    feel safe in:       victimized in",
              "                                        public  neighbourhood  the last 12 months"]
    for g in GROUPS:
        public, neighbourhood, victimized = (o[f"{key}_{g}_end"]["mean"] for key in (
            "safe_public", "safe_neighbourhood", "victimization_12m"))
        lines.append(f"  {g:37s} {_pct(public)}   {_pct(neighbourhood)}         {_pct(victimized)}")
    return "\n".join(lines)
