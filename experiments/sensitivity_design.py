"""The runs the calibration's Sobol indices are computed from: a design of their own,
inside the box where the indices are taken.

The waves' runs serve the history matching: they spread over the set not ruled out, and
few lie in the posterior's box (after seven waves, 61 of 543), so emulators fitted to them
were least sure exactly where the indices were taken. The jackknife then gave the
influential indices intervals of ±0.09 to ±0.51 and resolved 7 to 10 of 13 parameters.

``[sensitivity] points`` puts every run there instead: a Latin hypercube of ``points``
parameter sets in the box, each run ``replications`` times, and one emulator per output
fitted to each point's mean (the replications halve the run noise the emulator must see
through; the points pin down its shape). At each point the plan and the baseline run on
the same streams (replication ``i * replications + k`` of the design's seed), so the
plan-minus-baseline difference is paired, as in the waves.
"""

from __future__ import annotations

import pandas as pd

from experiments.emulator import Space
from experiments.runs import Run
from experiments.scenario_files import LoadedScenario

RISES = ("safe_public_change", "safe_neighbourhood_change")


def design_runs(box: Space, plan: LoadedScenario, baseline: LoadedScenario, points: int,
                replications: int, seed: int, outputs: tuple[str, ...]) -> list[Run]:
    """The plan and the baseline at ``points`` Latin-hypercube points of ``box``,
    ``replications`` times each; point i, replication k on replication
    ``i * replications + k`` of ``seed`` for both."""
    runs = []
    for i, x in enumerate(box.latin_hypercube(points, seed=seed)):
        values = dict(zip(box.names, map(float, x)))
        overrides = {f"parameters.{k}": v for k, v in values.items()}
        for k in range(replications):
            for label, item in (("scenario", plan), ("baseline", baseline)):
                runs.append(Run(point=i, replication=i * replications + k, seed=seed,
                                scenario=item.scenario, values={**values, "target": label},
                                overrides=overrides, scalars=outputs,
                                city_table=item.city_table))
    return runs


def design_outputs(runs: pd.DataFrame, names: list[str], outputs: tuple[str, ...]) -> pd.DataFrame:
    """One row per point: its parameters, the plan's mean of each output over the
    replications, and the plan-minus-baseline rises (the mean of paired differences)."""
    ok = runs[runs["status"] == "ok"]
    plan = ok[ok["target"] == "scenario"].groupby("point")
    baseline = ok[ok["target"] == "baseline"].groupby("point")[list(RISES)].mean()
    table = plan[list(names)].first().join(plan[list(outputs)].mean())
    table["replications"] = plan.size()
    for rise in RISES:
        table[f"plan_minus_baseline_{rise}"] = table[rise] - baseline[rise].reindex(table.index)
    return table.reset_index()
