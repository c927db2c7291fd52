"""Comparing intervention mixes: every scenario on the same seeds (common random numbers).

``compare(paths)`` is what ``barrios compare`` does: replication k of every scenario uses
the same seed stream, so differences against the first scenario are paired (the noise the
scenarios share cancels). For each scenario it reports the change in both perception
shares, victimization, severe violence, cost, and US$ per percentage point of perceived
safety gained — means with 95% intervals, and paired differences against the first
scenario with their intervals; and the same for women, men, youth and migrants.

Schema: the scenario files and the flags. Design: scenarios x replications. Analysis:
``analyse``. Report: ``experiments.compare_report``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.execution import Execution, Report, execute_design
from experiments.files import BadInput
from experiments.runs import Run
from experiments.scenario_files import LoadedScenario, load_scenario
from experiments.statistics import ratio_of_means, t_interval
from experiments.study import changed_by, open_store, scenario_definition, successful
from simulation.outcomes import GROUPS

OUTCOMES = ("safe_public_change", "safe_neighbourhood_change", "victimization_12m_end",
            "severe_violence_per_100k_end", "cost_usd_total")
"""What a comparison reports per scenario (names in ``simulation.outcomes.OUTCOMES``)."""
COST_PER_POINT = {"usd_per_pp_safe_public": "safe_public_change",
                  "usd_per_pp_safe_neighbourhood": "safe_neighbourhood_change"}
"""US$ per percentage point gained: cost_usd_total over each change (in points)."""
GROUP_OUTCOMES = [f"safe_{m}_{g}_end" for m in ("public", "neighbourhood") for g in GROUPS]
SCALARS = (*OUTCOMES, "safe_public_start", "safe_public_end", "safe_neighbourhood_start",
           "safe_neighbourhood_end", *GROUP_OUTCOMES)


@dataclass
class Comparison:
    report: Report
    folder: Path
    table: pd.DataFrame        # one row per scenario and outcome
    groups: pd.DataFrame       # end shares by group, per scenario
    scenarios: list[LoadedScenario]  # as they ran (after --years and --scale)
    seed: int = 0              # the comparison's seed (replication k uses its child k)
    replications: int = 0
    overrides: dict[str, float] = field(default_factory=dict)  # {"years": .., "scale": ..} given


def compare(paths: list[Path | str], *, replications: int = 30, seed: int = 0,
            years: float | None = None, scale: float | None = None,
            out: Path | str | None = None, execution: Execution = Execution()) -> Comparison:
    """Run every scenario ``replications`` times on common seeds, then analyse."""
    loaded = [changed_by(load_scenario(p), years=years, scale=scale) for p in paths]
    names = [item.scenario.name for item in loaded]
    _distinct_names(loaded, names)
    folder = Path(out) if out else Path("runs") / f"compare-{'-'.join(names)[:80]}-{seed}"
    definition = {"scenarios": [scenario_definition(item) for item in loaded], "seed": seed}
    sources = [p for item in loaded for p in item.sources]
    with open_store(folder, "compare", definition, sources) as store:
        runs = [Run(point=i, replication=k, seed=seed, scenario=item.scenario,
                    values={"scenario": names[i]}, scalars=SCALARS,
                    timeseries=("safe_public", "safe_neighbourhood"),
                    city_table=item.city_table)
                for i, item in enumerate(loaded) for k in range(replications)]
        report = execute_design(runs, store, execution)
        stored = store.runs()
    stored = stored[stored["replication"] < replications]
    table, groups = analyse(successful(stored, folder), names)
    overrides = {k: v for k, v in (("years", years), ("scale", scale)) if v is not None}
    return Comparison(report, folder, table, groups, loaded, seed, replications, overrides)


def _distinct_names(loaded: list[LoadedScenario], names: list[str]):
    """Runs are identified by scenario name: two scenarios must not share one."""
    for i, name in enumerate(names):
        if name in names[:i]:
            first = loaded[names.index(name)].path.name
            raise BadInput(loaded[i].path, "name", f"expected a name not used by another "
                           f"compared scenario, found {name!r} (also {first}); set name = "
                           f"\"...\" in one of them")


# --- analysis --------------------------------------------------------------------


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
        for label, measure in COST_PER_POINT.items():
            absolute = ratio_of_means(df["cost_usd_total"], 100 * df[measure], rng)
            incremental = (ratio_of_means(df.loc[common, "cost_usd_total"] - first.loc[common, "cost_usd_total"],
                                          100 * (df.loc[common, measure] - first.loc[common, measure]), rng)
                           if name != names[0] else (math.nan,) * 3)
            rows.append({"scenario": name, "outcome": label,
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
