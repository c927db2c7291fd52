"""``barrios pathways``: where a simulated rise in perceived safety comes from.

The scenario runs as it is and once with each perception channel switched off
(``simulation.perception.PATHWAYS``: less victimization, each visible programme's direct
effect, contagion, memory), plus all the direct effects at once and everything at once,
on the same seeds (common random numbers). A channel's **contribution** to a rise (in
public spaces, in the neighbourhood, from the run's start to its end) is the rise with
everything on minus the rise with that channel off, paired by replication, with its 95%
interval. Channels interact, so contributions need not add up to the rise: the report
shows the sum beside it.

Schema: the scenario and the flags. Design: (1 + channels + 2) x replications. Analysis:
``analyse``. Report: ``experiments.pathways_report``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from experiments.execution import Execution, Report, execute_design
from experiments.runs import Run
from experiments.scenario_files import LoadedScenario
from experiments.statistics import t_interval
from experiments.study import open_store, scenario_definition, successful
from simulation.perception import DIRECT, PATHWAYS

RISES = ("safe_public_change", "safe_neighbourhood_change")
SCALARS = (*RISES, "safe_public_start", "safe_public_end", "safe_neighbourhood_start",
           "safe_neighbourhood_end", "victimization_12m_end")


def switches() -> dict[str, dict[str, float]]:
    """Every counterfactual: none, each channel, the direct effects, everything."""
    direct = {k: v for name in DIRECT for k, v in PATHWAYS[name].items()}
    everything = {k: v for values in PATHWAYS.values() for k, v in values.items()}
    return {"none (as it is)": {}, **PATHWAYS, "all direct effects": direct,
            "every channel": everything}


@dataclass
class Pathways:
    loaded: LoadedScenario
    report: Report
    folder: Path
    table: pd.DataFrame          # per switch and rise: contribution, interval; the rise itself
    replications: int
    seed: int
    files: list[Path] = field(default_factory=list)


def pathways(loaded: LoadedScenario, *, replications: int = 10, seed: int = 0,
             out: Path | None = None, execution: Execution = Execution()) -> Pathways:
    """Run the scenario with each channel switched off and analyse the contributions."""
    folder = out or Path("runs") / f"pathways-{loaded.scenario.name}-{seed}"
    definition = {**scenario_definition(loaded), "seed": seed, "switches": switches()}
    runs = [Run(point=i, replication=k, seed=seed, scenario=loaded.scenario,
                values={"switch": name},
                overrides={f"parameters.{p}": v for p, v in values.items()},
                scalars=SCALARS, city_table=loaded.city_table)
            for i, (name, values) in enumerate(switches().items()) for k in range(replications)]
    with open_store(folder, "pathways", definition, loaded.sources) as store:
        report = execute_design(runs, store, execution)
        stored = store.runs()
    stored = successful(stored[stored["replication"] < replications], folder)
    return Pathways(loaded, report, folder, analyse(stored), replications, seed)


def analyse(runs: pd.DataFrame) -> pd.DataFrame:
    """Each switch's contribution to each rise (paired by replication), and the rise."""
    full = runs[runs["switch"] == "none (as it is)"].set_index("replication")
    rows = []
    for name, df in runs.groupby("switch", sort=False):
        df = df.set_index("replication")
        common = df.index.intersection(full.index)
        for rise in RISES:
            if name == "none (as it is)":
                mean, low, high = t_interval(full[rise])
                kind = "rise"
            else:
                mean, low, high = t_interval(full.loc[common, rise] - df.loc[common, rise])
                kind = "contribution"
            rows.append({"switch": name, "rise": rise, "kind": kind, "replications": len(common),
                         "mean": mean, "ci_low": low, "ci_high": high,
                         "rise_without": float(df[rise].mean())})
    return pd.DataFrame(rows)
