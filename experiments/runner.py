"""Running a scenario: one model run, or replications on independent random streams.

Replication ``k`` of seed ``s`` always uses child ``k`` of
``numpy.random.SeedSequence(s).spawn(...)``: the same whatever the number of
replications, and independent of every other replication.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.scenario_files import LoadedScenario
from simulation import BarriosModel
from simulation.config import Scenario


@dataclass
class RunResult:
    replication: int
    timeseries: pd.DataFrame  # one row per collected step
    barrios: pd.DataFrame     # the monthly barrio panel
    residents: int            # agents in the run
    cost_by: dict             # US$ per intervention over the run


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(seed).spawn(replications)


def with_run_options(scenario: Scenario, *, seed=None, replications=None, years=None) -> Scenario:
    """A copy of the scenario with command-line overrides of its ``[run]`` table."""
    update = {k: v for k, v in (("seed", seed), ("replications", replications), ("years", years))
              if v is not None}
    if not update:
        return scenario
    run = scenario.run.model_validate({**scenario.run.model_dump(), **update})
    return scenario.model_copy(update={"run": run})


def run_once(scenario: Scenario, seed_sequence, city_table=None, replication: int = 0,
             progress: Callable[[int], None] | None = None, record_days=None) -> RunResult:
    """Build the model on ``seed_sequence``, run it to the end and collect its tables.

    ``record_days``: the steps to keep in the time series besides the first and the last
    (``None``: every day); the run itself is the same either way."""
    model = BarriosModel(scenario, rng=seed_sequence, city_table=city_table, record_days=record_days)
    model.run(progress)
    ts = model.datacollector.get_model_vars_dataframe()
    ts.insert(0, "step", np.asarray(model.recorded_steps, dtype=np.int64))
    ts.insert(1, "date", pd.Timestamp(scenario.run.start) + pd.to_timedelta(ts["step"], unit="D"))
    ts.insert(0, "replication", replication)
    panel = model.barrio_panel()
    panel.insert(0, "replication", replication)
    return RunResult(replication, ts.reset_index(drop=True), panel, model.population.n,
                     dict(model.timeline.cost_by))


def run_replications(loaded: LoadedScenario, progress: Callable[[int], None] | None = None
                     ) -> Iterator[RunResult]:
    """Yield each replication's result as soon as it is done (so callers can store it)."""
    scenario = loaded.scenario
    for k, seq in enumerate(replication_seeds(scenario.run.seed, scenario.run.replications)):
        yield run_once(scenario, seq, loaded.city_table, k, progress)
