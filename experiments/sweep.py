"""Sweeps (``barrios sweep``): an experiment file's levers and uncertainties, sampled by a
design, each design point run a number of replications.

The vocabulary is EMA Workbench's: **levers** are what a city sets (intervention
intensities, targeting, budget shares), **uncertainties** are behavioural parameters
nobody controls, **outcomes** are what the model reports. An experiment file is a study
file (``experiments.study.StudyFile``: base scenario, its changes, seed) with its levers
and uncertainties (each a range with a distribution, or levels), the **design** (full
factorial, Latin hypercube or Sobol sequence), the replications per design point, the
outcomes to keep, optionally a **budget** (levers as shares of a fixed total) and a
**target** (for PRIM scenario discovery).

Design point ``i``'s replication ``k`` uses child ``k`` of ``SeedSequence(seed)`` (common
random numbers across points), so results are the same whatever the number of workers and
the order of completion; runs already stored are skipped, failed ones retried only when
asked. Analysis: ``experiments.sweep_analysis``; report: ``experiments.sweep_report``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
from pydantic import Field

from experiments import budget
from experiments.execution import Execution, Report, execute_design
from experiments.files import BadInput
from experiments.runs import Run, changed
from experiments.sampling import Design, Variable, make_design
from experiments.store import atomic_parquet, fingerprint
from experiments.study import LoadedStudy, StudyFile, load_study, open_store, scenario_definition
from simulation.interventions import INTERVENTIONS
from simulation.outcomes import OUTCOMES, REPORTERS
from simulation.parameters import PARAMETERS
from simulation.schema import StrictModel

BUDGET_SPENT = "budget_spent_usd"
"""What the ``[budget]`` programmes cost over the run (the sum of their ``cost_usd_NAME``)."""


class Outcomes(StrictModel):
    scalars: list[str] = Field(default_factory=lambda: ["safe_public_change",
                                                        "safe_neighbourhood_change",
                                                        "victimization_12m_end",
                                                        "severe_violence_per_100k_end",
                                                        "cost_usd_total"])
    timeseries: list[str] = Field(default_factory=list)
    timeseries_every_days: int = Field(30, ge=1, le=3650)


class Budget(StrictModel):
    """Split ``total_usd`` over the run across ``interventions`` (a lever per share)."""

    total_usd: float = Field(gt=0, le=1e13)
    interventions: list[Literal[tuple(INTERVENTIONS)]] = Field(min_length=2)  # type: ignore[valid-type]


class Target(StrictModel):
    """Which runs 'reach the target' (for PRIM scenario discovery)."""

    outcome: str = "safe_public_change"
    at_least: float = 0.09


class ExperimentFile(StudyFile):
    replications: int = Field(1, ge=1, le=10_000)
    levers: dict[str, Variable] = Field(default_factory=dict)
    uncertainties: dict[str, Variable] = Field(default_factory=dict)
    design: Design = Design()
    outcomes: Outcomes = Outcomes()
    budget: Budget | None = None
    target: Target | None = None


@dataclass(frozen=True, eq=False)
class LoadedExperiment(LoadedStudy[ExperimentFile]):
    variables: dict[str, Variable] = field(default_factory=dict)  # levers, then uncertainties
    kinds: dict[str, str] = field(default_factory=dict)  # variable name -> lever | uncertainty

    @property
    def scalars(self) -> list[str]:
        """The scalar outcomes each run keeps (the budget's spending too)."""
        extra = [f"cost_usd_{n}" for n in self.spec.budget.interventions] if self.spec.budget else []
        return list(dict.fromkeys([*self.spec.outcomes.scalars, *extra]))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.definition())

    def definition(self) -> dict:
        """What the stored runs depend on: the scenario they start from and the
        experiment (more replications, or another ``[target]``, reuse them)."""
        study_keys = {"name", "description", "scenario", "run", "city", "parameters",
                      "interventions", "replications", "target"}
        return {**scenario_definition(self.base),
                "experiment": self.spec.model_dump(mode="json", exclude=study_keys)}


def load_experiment(path: Path | str) -> LoadedExperiment:
    """Read and check an experiment file and its base scenario; raise BadInput."""
    study = load_study(path, ExperimentFile, "experiment file")
    variables, kinds = _variables(study.spec, study.path)
    loaded = LoadedExperiment(study.spec, study.path, study.base, variables, kinds)
    _check_variables(loaded)
    _check_outcomes(loaded)
    _check_design_and_budget(loaded)
    return loaded


def _variables(exp: ExperimentFile, path: Path) -> tuple[dict[str, Variable], dict[str, str]]:
    variables, kinds = {}, {}
    for name, var in exp.levers.items():
        if var.target is None:
            raise BadInput(path, f"levers.{name}.target", "expected a scenario key such as "
                           "interventions.street_lighting.intensity, found nothing")
        variables[name], kinds[name] = var, "lever"
    if exp.budget is not None:
        for item in exp.budget.interventions:
            name = f"share_{item}"
            variables[name] = Variable(target=f"budget.{item}", low=0.0, high=1.0)
            kinds[name] = "lever"
    for name, var in exp.uncertainties.items():
        if name in variables:
            raise BadInput(path, f"uncertainties.{name}", "expected a name not used by a lever, "
                           f"found {name!r} again")
        if var.target is None:
            if name not in PARAMETERS:
                raise BadInput(path, f"uncertainties.{name}", "expected a parameter listed by "
                               f"`barrios params` (or a target), found {name!r}")
            low, high = PARAMETERS[name].plausible
            var = var.model_copy(update={"target": f"parameters.{name}",
                                         "low": var.low if var.low is not None else low,
                                         "high": var.high if var.high is not None else high})
        variables[name], kinds[name] = var, "uncertainty"
    return variables, kinds


def _check_variables(loaded: LoadedExperiment):
    """Each variable has a usable range, and the scenario accepts its extremes."""
    path, base = loaded.path, loaded.base
    kind_key = {"lever": "levers", "uncertainty": "uncertainties"}
    for name, var in loaded.variables.items():
        key = f"{kind_key[loaded.kinds[name]]}.{name}"
        if var.target.startswith("budget."):
            continue
        if var.levels is None:
            extremes = _range_extremes(var, path, key)
        else:
            if not var.levels:
                raise BadInput(path, f"{key}.levels", "expected at least one level, found []")
            extremes = [("levels", v) for v in var.levels]
        for where, value in extremes:
            value = int(round(value)) if var.integer else value
            try:
                changed(base.scenario, {var.target: value}, base.city_table)
            except BadInput as exc:
                what = f"{key}.target" if "unknown key" in exc.detail or exc.key is None else f"{key}.{where}"
                raise BadInput(path, what, f"expected a value {var.target} accepts, found "
                               f"{value!r} ({exc.key + ': ' if exc.key else ''}{exc.detail})") from None


def _range_extremes(var: Variable, path: Path, key: str) -> list[tuple[str, float]]:
    if var.low is None or var.high is None:
        raise BadInput(path, key, "expected low and high (or levels), found "
                       f"low={var.low}, high={var.high}")
    if not var.low < var.high:
        raise BadInput(path, key, f"expected low < high, found low={var.low:g}, high={var.high:g}")
    if var.distribution == "loguniform" and var.low <= 0:
        raise BadInput(path, f"{key}.low", f"expected low > 0 for loguniform, found {var.low:g}")
    if var.distribution == "triangular" and not (var.mode is not None and var.low <= var.mode <= var.high):
        raise BadInput(path, f"{key}.mode", f"expected a mode within [low, high], found {var.mode}")
    return [("low", var.low), ("high", var.high)]


def _check_outcomes(loaded: LoadedExperiment):
    exp, path = loaded.spec, loaded.path
    run = loaded.base.scenario.run
    for i, name in enumerate(exp.outcomes.scalars):
        key = f"outcomes.scalars[{i}]"
        if "@" not in name:
            if name not in OUTCOMES:
                raise BadInput(path, key, f"expected one of {', '.join(OUTCOMES)} or "
                               f"SERIES@YYYY-MM-DD, found {name!r}")
            continue
        series, when = name.split("@", 1)
        if series not in REPORTERS:
            raise BadInput(path, key, f"expected a collected series before '@' "
                           f"({', '.join(REPORTERS)}), found {series!r}")
        try:
            day = dt.date.fromisoformat(when)
        except ValueError:
            raise BadInput(path, key, f"expected a date YYYY-MM-DD after '@', found {name!r}") from None
        if not run.start <= day <= run.end:
            raise BadInput(path, key, f"expected a date within the run ({run.start} to "
                           f"{run.end}), found {day}")
    for i, name in enumerate(exp.outcomes.timeseries):
        if name not in REPORTERS:
            raise BadInput(path, f"outcomes.timeseries[{i}]",
                           f"expected a collected series ({', '.join(REPORTERS)}), found {name!r}")
    if exp.target is not None:
        allowed = [*exp.outcomes.scalars, *([BUDGET_SPENT] if exp.budget else [])]
        if exp.target.outcome not in allowed:
            raise BadInput(path, "target.outcome", f"expected one of the kept outcomes "
                           f"({', '.join(allowed)}), found {exp.target.outcome!r}")


def _check_design_and_budget(loaded: LoadedExperiment):
    exp, path = loaded.spec, loaded.path
    n = exp.design.samples
    if exp.design.kind == "sobol" and n & (n - 1):
        raise BadInput(path, "design.samples", f"expected a power of two for a Sobol design, found {n}")
    if exp.budget is not None:
        why = budget.check_budget_scenario(loaded.base.scenario, exp.budget.interventions)
        if why:
            raise BadInput(path, "budget.interventions",
                           f"expected programmes the scenario prices, found {why}")


# --- design --------------------------------------------------------------------------------


def overrides_for(loaded: LoadedExperiment, values: dict) -> dict:
    """The dotted scenario keys one design point sets: levers and uncertainties, and the
    intensities its budget shares buy."""
    targets = {loaded.variables[n].target: v for n, v in values.items()
               if not loaded.variables[n].target.startswith("budget.")}
    exp, base = loaded.spec, loaded.base
    if exp.budget is not None:
        shares = budget.split({name: values[f"share_{name}"] for name in exp.budget.interventions})
        targets.update(budget.intensities(base.scenario, exp.budget.total_usd, shares,
                                          budget.barrio_count(base.scenario, base.city_table)))
    return targets


def scenario_for(loaded: LoadedExperiment, values: dict):
    """The scenario of one design point."""
    base = loaded.base
    return changed(base.scenario, overrides_for(loaded, values), base.city_table)


def design_table(loaded: LoadedExperiment) -> pd.DataFrame:
    design = make_design(loaded.variables, loaded.spec.design)
    design.insert(0, "point", range(len(design)))
    return design


def runs_of(loaded: LoadedExperiment, design: pd.DataFrame) -> list[Run]:
    exp, base = loaded.spec, loaded.base
    runs = []
    for row in design.to_dict("records"):
        point = row.pop("point")
        overrides = overrides_for(loaded, row)
        runs += [Run(point=point, replication=k, seed=exp.seed, scenario=base.scenario,
                     values=row, overrides=overrides, scalars=tuple(loaded.scalars),
                     timeseries=tuple(exp.outcomes.timeseries),
                     timeseries_every_days=exp.outcomes.timeseries_every_days,
                     city_table=base.city_table)
                 for k in range(exp.replications)]
    return runs


# --- the study ------------------------------------------------------------------------------


@dataclass
class SweepResult:
    report: Report
    folder: Path
    design: pd.DataFrame
    loaded: LoadedExperiment
    run_ids: list[str]     # this design's runs (the folder may hold more replications)


def default_folder(loaded: LoadedExperiment) -> Path:
    return Path("runs") / f"sweep-{loaded.name}"


def sweep(experiment: LoadedExperiment | Path | str, out: Path | str | None = None, *,
          execution: Execution = Execution()) -> SweepResult:
    """Run every design point's replications (skipping stored ones) into ``out``."""
    loaded = experiment if isinstance(experiment, LoadedExperiment) else load_experiment(experiment)
    folder = Path(out) if out is not None else default_folder(loaded)
    design = design_table(loaded)
    runs = runs_of(loaded, design)
    with open_store(folder, "sweep", loaded.definition(), loaded.sources) as store:
        atomic_parquet(pa.Table.from_pandas(design, preserve_index=False), folder / "design.parquet")
        report = execute_design(runs, store, execution)
    return SweepResult(report, folder, design, loaded, [r.run_id for r in runs])
