"""The run verb: one simulation of one scenario on one seed stream, the way every study,
the command line and the workshop run the model.

``simulate`` builds the model, runs it and returns its tables and scalar outcomes.
``Run`` describes one run of a study (a scenario, a seed, a replication, the design
point's values, a change made on a given day, and what to keep) and ``execute_run``
performs it where it lands (in this process or a Dask worker) and returns a row and the
kept tables for the result store; it never raises.

Replication ``k`` of seed ``s`` always uses child ``k`` of
``numpy.random.SeedSequence(s)`` (``replication_seed``): the same whatever the number of
replications or workers, and independent of every other replication. Across scenarios and
design points, replication ``k`` uses the same stream: common random numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from simulation.config import Scenario


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """Child ``replication`` of ``SeedSequence(seed)`` (what ``spawn`` would give)."""
    return np.random.SeedSequence(seed, spawn_key=(replication,))


class DayHook(Protocol):
    """A change a study makes to a run on a given day (an evaluation's assignment): called
    with the model before day ``day`` is simulated; what it returns (a per-barrio table,
    or None) is kept with the run. It must be picklable (it travels to Dask workers)."""

    day: int

    def __call__(self, model) -> pd.DataFrame | None: ...


@dataclass
class RunResult:
    replication: int
    timeseries: pd.DataFrame   # one row per collected step: replication, step, date, series
    barrios: pd.DataFrame      # the monthly barrio panel
    outcomes: dict[str, float]  # every scalar outcome (simulation.outcomes.OUTCOMES)
    residents: int             # agents in the run
    cost_by: dict[str, float]  # US$ per intervention over the run
    hook_table: pd.DataFrame | None = None  # what the run's DayHook returned


def simulate(scenario: Scenario, *, seed: int | np.random.SeedSequence,
             replication: int | None = 0, city_table=None, record_days=None,
             progress: Callable[[int], None] | None = None,
             hook: DayHook | None = None) -> RunResult:
    """Run ``scenario`` to its end and collect its tables.

    The run uses child ``replication`` of ``SeedSequence(seed)`` (the command line and
    every study), or, with ``replication=None``, ``seed`` itself as the model's ``rng``
    (``BarriosModel(scenario, rng=seed)``, as the workshop's live page runs).
    ``record_days``: the steps to keep in the time series besides the first and the last
    (``None``: every day); the run itself is the same either way. ``hook`` is called
    with the model before its day ``hook.day`` is simulated."""
    from simulation import BarriosModel
    from simulation.outcomes import run_outcomes

    stream = seed if replication is None else replication_seed(seed, replication)
    replication = replication or 0
    survey_days = scenario.survey_days()
    if record_days is not None:  # the surveys' days are always recorded: outcomes read them
        record_days = set(record_days) | {d for d in survey_days.values() if d is not None}
    model = BarriosModel(scenario, rng=stream, city_table=city_table, record_days=record_days)
    hook_table = None
    if hook is not None:
        while model.running and model.day < hook.day:
            model.step()
        hook_table = hook(model)
    model.run(progress)
    ts = model.datacollector.get_model_vars_dataframe()
    ts.insert(0, "step", np.asarray(model.recorded_steps, dtype=np.int64))
    ts.insert(1, "date", pd.Timestamp(scenario.run.start) + pd.to_timedelta(ts["step"], unit="D"))
    ts.insert(0, "replication", replication)
    ts = ts.reset_index(drop=True)
    panel = model.barrio_panel()
    panel.insert(0, "replication", replication)
    cost_by = dict(model.timeline.cost_by)
    return RunResult(replication, ts, panel, run_outcomes(ts, cost_by, survey_days), model.population.n,
                     cost_by, hook_table)


# --- a study's runs -------------------------------------------------------------------------


@dataclass
class Run:
    """One run of a study: a scenario, a seed stream, the design point's values and the
    dotted scenario keys they set (applied where the run lands), a change made on a given
    day (``hook``), and what to keep: scalar outcomes, time series (every
    ``timeseries_every_days``), barrio-panel columns (``panel``; ``barrio_id`` and
    ``month`` always come with them) and the hook's per-barrio table."""

    point: int
    replication: int
    seed: int
    scenario: Scenario
    values: dict = field(default_factory=dict)     # the design point's variables
    overrides: dict = field(default_factory=dict)  # dotted scenario keys -> values
    scalars: tuple[str, ...] = ()
    timeseries: tuple[str, ...] = ()
    timeseries_every_days: int = 30
    city_table: pd.DataFrame | None = None
    hook: DayHook | None = None
    panel: tuple[str, ...] = ()

    @property
    def run_id(self) -> str:
        return run_id(self.scenario.name, self.values, self.seed, self.replication)


def run_id(scenario_name: str, values: dict, seed: int, replication: int) -> str:
    """Stable id of a run: derived from the scenario name, the variables and the seed."""
    doc = {"scenario": scenario_name, "values": plain(values), "seed": seed,
           "replication": replication}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]


def execute_run(run: Run) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Perform one run (in a worker). Never raises: a failure is a row with its error.
    Returns the row and the kept tables by store dataset (``timeseries``, ``panel``,
    ``barrios``), each with a ``run_id`` column."""
    row = {"run_id": run.run_id, "point": run.point, "replication": run.replication,
           "seed": run.seed, "scenario": run.scenario.name, **plain(run.values)}
    start = time.perf_counter()
    try:
        scenario = changed(run.scenario, run.overrides, run.city_table)
        result = simulate(scenario, seed=run.seed, replication=run.replication,
                          city_table=run.city_table, record_days=days_to_record(run, scenario),
                          hook=run.hook)
        for name in run.scalars:
            row[name] = scalar(name, result.outcomes, result.timeseries)
        tables = kept_tables(run, result)
        row.update(status="ok", error="")
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the study goes on
        tables = {}
        for name in run.scalars:
            row[name] = float("nan")
        last = traceback.extract_tb(exc.__traceback__)[-1]
        row.update(status="failed",
                   error=f"{type(exc).__name__}: {exc} ({os.path.basename(last.filename)}:{last.lineno})")
    row["duration_s"] = time.perf_counter() - start
    return row, tables


def kept_tables(run: Run, result: RunResult) -> dict[str, pd.DataFrame]:
    """What ``run`` keeps of ``result`` besides its scalars, by store dataset."""
    tables = {}
    if run.timeseries:
        ts = result.timeseries
        keep = ts["step"] % run.timeseries_every_days == 0
        keep.iloc[-1] = True
        tables["timeseries"] = ts.loc[keep, ["step", "date", *run.timeseries]]
    if run.panel:
        columns = list(dict.fromkeys(["barrio_id", "month", *run.panel]))
        tables["panel"] = result.barrios[columns]
    if result.hook_table is not None:
        tables["barrios"] = result.hook_table
    return {name: _with_run_id(df, run.run_id) for name, df in tables.items()}


def _with_run_id(df: pd.DataFrame, rid: str) -> pd.DataFrame:
    df = df.copy()
    df.insert(0, "run_id", rid)
    return df.reset_index(drop=True)


def changed(scenario: Scenario, values: dict, city_table=None) -> Scenario:
    """``scenario`` with dotted keys set (``experiments.scenario_files.change``)."""
    from experiments.scenario_files import change, nest

    return change(scenario, nest(values), "design point", city_table)


def days_to_record(run: Run, scenario: Scenario) -> set[int]:
    """The steps a run must collect for what it keeps: the time-series cadence and the
    dates of ``series@date`` scalars (the first and last steps are always collected)."""
    days = set(range(0, scenario.n_days + 1, run.timeseries_every_days)) if run.timeseries else set()
    for name in run.scalars:
        if "@" in name:
            days.add((pd.Timestamp(name.split("@", 1)[1]).date() - scenario.run.start).days)
    return days


def scalar(name: str, outcomes: dict, ts: pd.DataFrame) -> float:
    """A registry outcome, or ``series@YYYY-MM-DD``: the series on the last recorded day
    up to that date."""
    if "@" not in name:
        return float(outcomes[name])
    column, day = name.split("@", 1)
    at = ts.loc[ts["date"] <= pd.Timestamp(day)]
    return float(at[column].iloc[-1]) if len(at) else float("nan")


def plain(values: dict) -> dict:
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in values.items()}
