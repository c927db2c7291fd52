"""Shared helpers for small, fast model runs.

The shipped scenarios describe Quito at 1 agent per 100 inhabitants over 3 years; tests
run them at reduced scale (``inhabitants_per_agent = 500`` gives ~5,600 residents) over
a few months, so a run takes well under a second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.runner import replication_seeds
from experiments.scenario_files import load_scenario
from simulation import BarriosModel, Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SMALL_CITY = {"inhabitants_per_agent": 500.0}
SHORT_RUN = {"years": 0.5, "burn_in_days": 60}


def small_scenario(*, city: dict | None = None, run: dict | None = None, **fields) -> Scenario:
    """A reduced-scale scenario (validated, so values must have the schema's types)."""
    return Scenario(city={**SMALL_CITY, **(city or {})}, run={**SHORT_RUN, **(run or {})},
                    **fields)


def shipped(name: str, *, city: dict | None = None, run: dict | None = None) -> Scenario:
    """A shipped scenario file at reduced scale (``city`` and ``run`` override its tables)."""
    scenario = load_scenario(SCENARIOS / f"{name}.toml").scenario
    new_city = scenario.city.model_validate({**scenario.city.model_dump(), **SMALL_CITY,
                                             **(city or {})})
    new_run = scenario.run.model_validate({**scenario.run.model_dump(), **SHORT_RUN,
                                           **(run or {})})
    return scenario.model_copy(update={"city": new_city, "run": new_run})


def run_model(scenario: Scenario, rng=None, city_table=None) -> BarriosModel:
    model = BarriosModel(scenario, rng=rng, city_table=city_table)
    model.run()
    return model


def timeseries(model: BarriosModel) -> pd.DataFrame:
    return model.datacollector.get_model_vars_dataframe().reset_index(drop=True)


def final_outcomes(scenario: Scenario, seed: int, replications: int,
                   columns: list[str]) -> np.ndarray:
    """The last collected value of ``columns`` in each replication (rows), on the spawned
    seeds of ``seed`` (so two scenarios run with the same seeds are paired)."""
    out = []
    for seq in replication_seeds(seed, replications):
        ts = timeseries(run_model(scenario, rng=seq))
        out.append(ts[columns].iloc[-1].to_numpy(float))
    return np.array(out)


def paired_z(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of the paired differences a - b (per column)."""
    d = np.asarray(a) - np.asarray(b)
    return d.mean(axis=0), d.std(axis=0, ddof=1) / np.sqrt(len(d))


@pytest.fixture(scope="session")
def small_model() -> BarriosModel:
    """A baseline model at reduced scale, built (burn-in done) but not stepped.

    Session-scoped to save time: tests that change its state must use ``fresh_model``."""
    return BarriosModel(shipped("baseline_2023"), rng=11)


@pytest.fixture
def fresh_model() -> BarriosModel:
    """A baseline model at reduced scale that the test may modify freely."""
    return BarriosModel(shipped("baseline_2023"), rng=12)
