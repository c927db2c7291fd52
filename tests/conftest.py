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

from experiments.runs import replication_seed
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
    for seq in (replication_seed(seed, k) for k in range(replications)):
        ts = timeseries(run_model(scenario, rng=seq))
        out.append(ts[columns].iloc[-1].to_numpy(float))
    return np.array(out)


def paired_z(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of the paired differences a - b (per column)."""
    d = np.asarray(a) - np.asarray(b)
    return d.mean(axis=0), d.std(axis=0, ddof=1) / np.sqrt(len(d))


@pytest.fixture(scope="module")
def cluster():
    """A local Dask cluster (two single-threaded worker processes) for tests that pass a
    scheduler address; one per test module saves start-ups."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as c:
        yield c.scheduler_address


@pytest.fixture(scope="session")
def small_model() -> BarriosModel:
    """A baseline model at reduced scale, built (burn-in done) but not stepped.

    Session-scoped to save time: tests that change its state must use ``fresh_model``."""
    return BarriosModel(shipped("baseline_2023"), rng=11)


@pytest.fixture
def fresh_model() -> BarriosModel:
    """A baseline model at reduced scale that the test may modify freely."""
    return BarriosModel(shipped("baseline_2023"), rng=12)


# --- experiment runners (test_sweep, test_store, test_experiment_files, ...) ---------------
# A tiny experiment: the shipped Quito plan on a 6 x 12 city of 200,000 people at 1 agent
# per 500 inhabitants (~400 residents) for 0.1 years, so a run takes well under a second.

QUITO = SCENARIOS / "quito_2023_2025.toml"
TINY_CITY = """
[city]
width = 6
height = 12
population = 200_000
inhabitants_per_agent = 500
"""
"""The tiny city as a study file's ``[city]`` table (about 400 residents)."""
TINY_SCENARIO = f"""extend = "{QUITO.as_posix()}"
name = "tiny"

[run]
years = 0.15
burn_in_days = 10

[city]
width = 6
height = 12
population = 200_000
inhabitants_per_agent = 500
"""
"""The Quito plan on a 6 x 12 city of 200,000 people at 500 per agent (about 400
residents), for a few weeks: a run takes a fraction of a second."""
TINY_SWEEP_BODY = """
[levers.lighting]            # street lighting starts on 2023-03-01: inert in a 0.1-year run
target = "interventions.street_lighting.intensity"
levels = [0.0, 0.5]

[uncertainties.fear_contagion]
low = 0.05
high = 0.2

[design]
kind = "full_factorial"
levels = 2

[outcomes]
scalars = ["safe_public_change", "cost_usd_total", "victimization_12m_end",
           "safe_public@2023-01-21"]
timeseries = ["safe_public", "incidents"]
timeseries_every_days = 5
"""


def write_tiny_experiment(path: Path, body: str = TINY_SWEEP_BODY, *, name: str = "tiny",
                          scenario: Path | str = QUITO, seed: int = 5, replications: int = 2,
                          city: str = "width = 6\nheight = 12\npopulation = 200000",
                          top: str = "") -> Path:
    """Write an experiment file on the tiny city; ``body`` holds levers, design, outcomes
    (tables after ``[city]``), ``top`` more top-level keys."""
    path.write_text(f'''name = "{name}"
scenario = "{Path(scenario).as_posix()}"
seed = {seed}
replications = {replications}
{top}
[run]
years = 0.1

[city]
inhabitants_per_agent = 500
{city}
{body}''', encoding="utf-8")
    return path


def raw_parquet_rows(folder: Path) -> pd.DataFrame:
    """Every row of every part of a folder of Parquet parts (superseded records included)."""
    parts = sorted(Path(folder).glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()


@pytest.fixture(scope="session")
def tiny_sweeps(tmp_path_factory):
    """The tiny experiment (4 design points x 2 replications) swept twice: with 1 worker
    and batches of 3 runs into ``one``, and with 2 workers and the default batch size into
    ``two``. Tests may read these folders but must not write to them (copy them first)."""
    import types

    from experiments import execution
    from experiments.execution import Execution
    from experiments.sweep import sweep

    root = tmp_path_factory.mktemp("tiny_sweeps")
    path = write_tiny_experiment(root / "tiny.toml")
    saved = execution.BATCH_RUNS, execution.BATCH_SECONDS
    try:  # parts by count only: on a loaded machine the 20-second write would add parts
        execution.BATCH_SECONDS = float("inf")
        execution.BATCH_RUNS = 3
        one = sweep(path, root / "one", execution=Execution(workers=1, progress=False))
        execution.BATCH_RUNS = saved[0]
        two = sweep(path, root / "two", execution=Execution(workers=2, progress=False))
    finally:
        execution.BATCH_RUNS, execution.BATCH_SECONDS = saved
    return types.SimpleNamespace(path=path, one=one, two=two, total=len(one.design) * 2)


LONGEST_FIRST = ("test_workshop_classroom.py",)
"""Files that take minutes, started first: with two workers (``-n 2`` in the Makefile's
test target) the rest of the suite runs beside them instead of after them."""


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: order kept


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright, one per test file (the browser
    tests skip themselves where either is missing)."""
    from playwright.sync_api import sync_playwright

    from workshop.screenshot import launch

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()
