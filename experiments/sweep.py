"""Sweeps: run an experiment's design points x replications through the runner and store.

``sweep(path)`` is what ``barrios sweep`` does. Design point ``i``'s replication ``k``
uses child ``k`` of ``SeedSequence(seed)`` (common random numbers across points), so the
results are the same whatever the number of workers and the order of completion; runs
already stored in the output folder are skipped, failed ones are retried only when asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments import budget
from experiments.execution import Report, RunSpec, execute, run_id
from experiments.experiment_files import LoadedExperiment, apply_values, load_experiment
from experiments.sampling import make_design
from experiments.store import ResultStore
from simulation.config import Scenario


@dataclass
class SweepResult:
    report: Report
    folder: Path
    design: pd.DataFrame


def base_scenario(loaded: LoadedExperiment) -> Scenario:
    """The base scenario with the experiment's run length, city and scale."""
    exp, scenario = loaded.experiment, loaded.base.scenario
    if exp.city:
        scenario = apply_values(scenario, {f"city.{k}": v for k, v in exp.city.items()})
    update = {}
    if exp.years is not None:
        update["run"] = scenario.run.model_copy(update={"years": exp.years})
    if exp.inhabitants_per_agent is not None:
        update["city"] = scenario.city.model_copy(update={"inhabitants_per_agent": exp.inhabitants_per_agent})
    return scenario.model_copy(update=update) if update else scenario


def overrides_for(loaded: LoadedExperiment, base: Scenario, values: dict) -> dict:
    """The dotted scenario keys one design point sets: levers and uncertainties, and the
    intensities its budget shares buy."""
    targets = {loaded.variables[n].target: v for n, v in values.items()
               if not loaded.variables[n].target.startswith("budget.")}
    exp = loaded.experiment
    if exp.budget is not None:
        shares = budget.split({name: values[f"share_{name}"] for name in exp.budget.interventions})
        targets.update(budget.intensities(base, exp.budget.total_usd, shares,
                                          budget.barrio_count(base, loaded.base.city_table)))
    return targets


def scenario_for(loaded: LoadedExperiment, values: dict) -> Scenario:
    """The scenario of one design point."""
    base = base_scenario(loaded)
    return apply_values(base, overrides_for(loaded, base, values))


def manifest(loaded: LoadedExperiment, kind: str = "sweep") -> dict:
    return {"kind": kind, "file": str(loaded.path), "fingerprint": loaded.fingerprint,
            "created": dt.datetime.now().isoformat(timespec="seconds"),
            "definition": {"experiment": loaded.experiment.model_dump(mode="json"),
                           "scenario": loaded.base.scenario.model_dump(mode="json")}}


def default_folder(loaded: LoadedExperiment) -> Path:
    return Path("runs") / f"sweep-{loaded.experiment.name}"


def sweep(experiment: LoadedExperiment | Path | str, out: Path | str | None = None, *,
          scheduler: str | None = None, workers: int | None = None,
          retry_failed: bool = False, progress: bool = True) -> SweepResult:
    """Run an experiment (a file path or a loaded experiment) into a result folder.

    Returns what was done and the design table. Load the results with
    ``experiments.store.load_results(folder)``.
    """
    loaded = experiment if isinstance(experiment, LoadedExperiment) else load_experiment(experiment)
    folder = Path(out) if out is not None else default_folder(loaded)
    store = ResultStore(folder).open(manifest(loaded))
    design = make_design(loaded.variables, loaded.experiment.design)
    design.insert(0, "point", range(len(design)))
    design.to_parquet(folder / "design.parquet", index=False)

    exp, name = loaded.experiment, loaded.base.scenario.name
    stored = store.stored_status()
    todo, skipped = [], 0
    for row in design.to_dict("records"):
        point = row.pop("point")
        for k in range(exp.replications):
            status = stored.get(run_id(name, row, exp.seed, k))
            if status == "ok" or (status == "failed" and not retry_failed):
                skipped += 1
            else:
                todo.append((point, k, row))

    base = base_scenario(loaded)

    def specs():
        for point, k, values in todo:
            yield RunSpec(point=point, replication=k, seed=exp.seed, scenario=base,
                          values=values, overrides=overrides_for(loaded, base, values),
                          scalars=tuple(dict.fromkeys([*exp.outcomes.scalars, *(
                              ["budget_spent_usd"] if exp.budget else [])])),
                          timeseries=tuple(exp.outcomes.timeseries),
                          timeseries_every_days=exp.outcomes.timeseries_every_days,
                          city_table=loaded.base.city_table,
                          budget_programmes=tuple(exp.budget.interventions) if exp.budget else ())

    report = execute(specs(), store, total=len(todo), scheduler=scheduler, workers=workers,
                     progress=progress) if todo else Report(folder=str(folder))
    report.skipped = skipped
    return SweepResult(report, folder, design)


def analyse(result_folder: Path | str, loaded: LoadedExperiment) -> str:
    """Write points.csv (design-point means), and for experiments with a cost outcome the
    Pareto front of cost against perceived-safety gain (pareto.csv, tradeoff.png) and, with
    a ``[target]``, the PRIM box of lever ranges that reach it (prim.csv). Returns the
    text to print."""
    from experiments.analysis import pareto_front, point_means, prim_box, tradeoff_figure
    from experiments.store import load_results

    folder = Path(result_folder)
    exp = loaded.experiment
    runs = load_results(folder)
    if runs.empty or not (runs["status"] == "ok").any():
        return "No successful runs to analyse."
    variables = list(loaded.variables)
    scalars = list(exp.outcomes.scalars) + (["budget_spent_usd"] if exp.budget else [])
    points = point_means(runs, variables, [c for c in dict.fromkeys(scalars) if c in runs])
    if exp.budget is not None:  # design coordinates -> the budget shares they stand for
        names = [f"share_{n}" for n in exp.budget.interventions]
        shares = points[names].apply(lambda r: pd.Series(budget.split(r.to_dict())), axis=1)
        points[names] = shares[names]
    points.to_csv(folder / "points.csv", index=False)
    lines = [f"Design points: {len(points)} (means over replications in points.csv)"]
    # With a budget, the trade-off is what the budgeted programmes cost, not the status quo.
    cost = "budget_spent_usd" if exp.budget and "budget_spent_usd" in points else "cost_usd_total"
    gain = exp.target.outcome if exp.target else "safe_public_change"
    if cost in points and gain in points:
        front = pareto_front(points, cost, gain)
        front.to_csv(folder / "pareto.csv", index=False)
        tradeoff_figure(points, front, cost, gain, exp.target.at_least if exp.target else None,
                        folder / "tradeoff.png")
        lines.append(f"Pareto front of cost vs {gain}: {len(front)} mixes (pareto.csv, tradeoff.png)")
    if exp.target is not None and exp.target.outcome in points:
        levers = [n for n in variables if loaded.kinds[n] == "lever"]
        reached = (points[exp.target.outcome] >= exp.target.at_least).to_numpy()
        best = points[exp.target.outcome].max()
        lines.append(f"{int(reached.sum())} of {len(points)} mixes reach {exp.target.outcome} >= "
                     f"{exp.target.at_least:g} (the best reaches {best:.3g}).")
        if 0 < reached.sum() < len(points):
            box, stats = prim_box(points, levers, reached)
            box.to_csv(folder / "prim.csv", index=False)
            lines.append(f"PRIM: mixes in this box reach it (coverage {stats['coverage']:.0%} of "
                         f"the successes, density {stats['density']:.0%}), prim.csv:")
            lines += [f"  {r.lever}: {r.min:.3g} to {r.max:.3g}" for r in box.itertuples()] or [
                "  (no lever range restricts them)"]
    return "\n".join(lines)
