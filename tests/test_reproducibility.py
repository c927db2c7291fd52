"""Reproducibility: the same seed gives the same run; replications are independent
streams, and replication k does not depend on how many replications are requested."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from conftest import SCENARIOS, shipped, timeseries
from experiments.replications import replicate
from experiments.runs import Run, days_to_record, execute_run, replication_seed, simulate
from experiments.scenario_files import LoadedScenario
from simulation import BarriosModel

YEARS = 0.25


@pytest.fixture(scope="module")
def quito():
    return shipped("quito_2023_2025", run={"years": YEARS, "seed": 5})


def test_same_seed_gives_identical_time_series_and_panel(quito):
    a, b = BarriosModel(quito, rng=123), BarriosModel(quito, rng=123)
    a.run()
    b.run()
    assert_frame_equal(timeseries(a), timeseries(b))
    assert_frame_equal(a.barrio_panel(), b.barrio_panel())
    np.testing.assert_array_equal(a.population.safe_public, b.population.safe_public)


def test_scenario_seed_is_the_default_seed(quito):
    a, b = BarriosModel(quito), BarriosModel(quito, rng=quito.run.seed)
    for _ in range(20):
        a.step()
        b.step()
    assert_frame_equal(timeseries(a), timeseries(b))


def test_same_seed_sequence_gives_identical_results(quito):
    a = simulate(quito, seed=9, replication=0)
    b = simulate(quito, seed=9, replication=0)
    assert_frame_equal(a.timeseries, b.timeseries)
    assert_frame_equal(a.barrios, b.barrios)
    assert a.residents == b.residents


def test_different_replications_differ(quito):
    a, b = simulate(quito, seed=9, replication=0), simulate(quito, seed=9, replication=1)
    outcomes = ["safe_public", "safe_neighbourhood", "incidents", "victimization_12m"]
    for col in outcomes:
        assert not np.array_equal(a.timeseries[col].to_numpy(), b.timeseries[col].to_numpy()), col
    assert not np.array_equal(a.barrios["incidents"].to_numpy(), b.barrios["incidents"].to_numpy())


def test_different_seeds_differ(quito):
    a, b = BarriosModel(quito, rng=1), BarriosModel(quito, rng=2)
    for _ in range(30):
        a.step()
        b.step()
    assert not timeseries(a)["safe_public"].equals(timeseries(b)["safe_public"])


def test_replication_k_does_not_depend_on_the_number_requested(quito):
    def first_two(replications: int) -> list:
        scenario = quito.model_copy(update={"run": quito.run.model_copy(
            update={"replications": replications})})
        loaded = LoadedScenario(scenario, SCENARIOS / "quito_2023_2025.toml",
                                (SCENARIOS / "quito_2023_2025.toml",))
        return list(itertools.islice(replicate(loaded), 2))  # results come lazily

    two, five = first_two(2), first_two(5)
    for k in (0, 1):
        assert two[k].replication == five[k].replication == k
        assert (two[k].timeseries["replication"] == k).all()
        assert_frame_equal(two[k].timeseries, five[k].timeseries)
        assert_frame_equal(two[k].barrios, five[k].barrios)
    # and replication k's stream is child k of the seed, whatever the number spawned
    for n in (2, 5):
        for k, child in enumerate(np.random.SeedSequence(quito.run.seed).spawn(n)[:2]):
            stream = replication_seed(quito.run.seed, k)
            assert (child.spawn_key, child.entropy) == (stream.spawn_key, stream.entropy)
    assert not two[0].timeseries["safe_public"].equals(two[1].timeseries["safe_public"])


def test_simulate_tables_have_dates_and_steps(quito):
    result = simulate(quito, seed=9, replication=3)
    ts = result.timeseries
    assert list(ts.columns[:3]) == ["replication", "step", "date"]
    assert (ts["replication"] == 3).all() and (result.barrios["replication"] == 3).all()
    np.testing.assert_array_equal(ts["step"], np.arange(quito.n_days + 1))
    assert ts["date"].iloc[0] == pd.Timestamp(quito.run.start)
    assert (ts["date"].diff().dropna() == pd.Timedelta(days=1)).all()


def test_recording_fewer_days_keeps_those_days_and_the_run_unchanged(quito):
    """Batch runs record only the days they keep; the simulation is the same run."""
    daily = simulate(quito, seed=9)
    days = {7, 30, 31, 60}
    sparse = simulate(quito, seed=9, record_days=days)
    last = int(daily.timeseries["step"].iloc[-1])
    assert sparse.timeseries["step"].tolist() == sorted(days | {0, last})
    kept = daily.timeseries[daily.timeseries["step"].isin(sparse.timeseries["step"])]
    assert_frame_equal(sparse.timeseries, kept.reset_index(drop=True))
    assert_frame_equal(sparse.barrios, daily.barrios)


def test_execute_run_records_only_what_its_run_keeps(quito):
    run = Run(point=0, replication=0, seed=3, scenario=quito,
              scalars=("safe_public_end", "safe_public@2023-02-15"),
              timeseries=("safe_public",), timeseries_every_days=30)
    assert days_to_record(run, quito) == {0, 30, 60, 90, 45}
    row, tables = execute_run(run)
    series = tables["timeseries"]
    daily = simulate(quito, seed=3).timeseries.set_index("date")
    assert row["safe_public@2023-02-15"] == daily.loc["2023-02-15", "safe_public"]
    assert row["safe_public_end"] == daily["safe_public"].iloc[-1]
    assert series["step"].tolist() == [s for s in daily["step"] if s % 30 == 0] + (
        [] if daily["step"].iloc[-1] % 30 == 0 else [daily["step"].iloc[-1]])
