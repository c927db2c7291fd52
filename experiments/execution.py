"""Running many simulations: locally (one process per core) or on a Dask cluster.

Every batch job in Barrios (sweeps, comparisons, sensitivity analysis) comes here as an
iterable of ``RunSpec``. Runs go to Dask: a ``LocalCluster`` with one single-threaded
worker process per core by default, or an existing cluster given by its scheduler address
(``tcp://HOST:PORT``) — nothing else changes. At most a few runs per worker are in flight,
and finished runs are written to the ``ResultStore`` in batches, so the driver's memory
does not grow with the number of runs. Each run's seed stream is fixed by its spec, so
results do not depend on the number of workers or the order in which runs finish.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from experiments.store import ResultStore
from simulation.config import Scenario

BATCH_RUNS = int(os.environ.get("BARRIOS_BATCH_RUNS", 25))  # runs per Parquet batch
BATCH_SECONDS = 20.0   # or fewer, if this long has passed since the last write
IN_FLIGHT_PER_WORKER = 2


@dataclass
class RunSpec:
    """One simulation to run: a scenario, a seed stream, and what to keep."""

    point: int
    replication: int
    seed: int
    scenario: Scenario
    values: dict = field(default_factory=dict)   # the design point's variables
    overrides: dict = field(default_factory=dict)  # dotted scenario keys set in the worker
    scalars: tuple[str, ...] = ()
    timeseries: tuple[str, ...] = ()
    timeseries_every_days: int = 30
    city_table: pd.DataFrame | None = None
    budget_programmes: tuple[str, ...] = ()  # their costs add up to budget_spent_usd

    @property
    def run_id(self) -> str:
        return run_id(self.scenario.name, self.values, self.seed, self.replication)


def run_id(scenario_name: str, values: dict, seed: int, replication: int) -> str:
    """Stable id of a run: derived from the scenario name, the variables and the seed."""
    doc = {"scenario": scenario_name, "values": _plain(values), "seed": seed,
           "replication": replication}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """Child ``replication`` of ``SeedSequence(seed)`` (common random numbers: every design
    point's replication k uses the same stream)."""
    return np.random.SeedSequence(seed, spawn_key=(replication,))


def execute_run(spec: RunSpec) -> tuple[dict, pd.DataFrame | None]:
    """Run one simulation (in a worker). Never raises: a failure is a row with its error."""
    from experiments.experiment_files import apply_values
    from experiments.runner import run_once
    from experiments.summary import run_outcomes

    row = {"run_id": spec.run_id, "point": spec.point, "replication": spec.replication,
           "seed": spec.seed, "scenario": spec.scenario.name, **_plain(spec.values)}
    start = time.perf_counter()
    try:
        scenario = apply_values(spec.scenario, spec.overrides) if spec.overrides else spec.scenario
        result = run_once(scenario, replication_seed(spec.seed, spec.replication),
                          spec.city_table, spec.replication, record_days=days_to_record(spec, scenario))
        ts = result.timeseries
        outcomes = run_outcomes(ts)
        outcomes.update({f"cost_usd_{name}": usd for name, usd in result.cost_by.items()})
        outcomes["budget_spent_usd"] = sum(result.cost_by.get(n, 0.0) for n in spec.budget_programmes)
        for name in spec.scalars:
            row[name] = _scalar(name, outcomes, ts)
        series = None
        if spec.timeseries:
            keep = ts["step"] % spec.timeseries_every_days == 0
            keep.iloc[-1] = True
            series = ts.loc[keep, ["step", "date", *spec.timeseries]].copy()
            series.insert(0, "run_id", spec.run_id)
        row.update(status="ok", error="")
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the sweep goes on
        series = None
        for name in spec.scalars:
            row[name] = float("nan")
        last = traceback.extract_tb(exc.__traceback__)[-1]
        row.update(status="failed",
                   error=f"{type(exc).__name__}: {exc} ({os.path.basename(last.filename)}:{last.lineno})")
    row["duration_s"] = time.perf_counter() - start
    return row, series


def days_to_record(spec: RunSpec, scenario: Scenario) -> set[int]:
    """The steps a run must collect for what the spec keeps: the time-series cadence and
    the dates of ``column@date`` scalars (the first and last steps are always collected)."""
    days = set(range(0, scenario.n_days + 1, spec.timeseries_every_days)) if spec.timeseries else set()
    for name in spec.scalars:
        if "@" in name:
            days.add((pd.Timestamp(name.split("@", 1)[1]).date() - scenario.run.start).days)
    return days


def _scalar(name: str, outcomes: dict, ts: pd.DataFrame) -> float:
    if "@" not in name:
        return float(outcomes[name])
    column, day = name.split("@", 1)
    at = ts.loc[ts["date"] <= pd.Timestamp(day)]
    return float(at[column].iloc[-1]) if len(at) else float("nan")


def _plain(values: dict) -> dict:
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in values.items()}


@dataclass
class Report:
    """What a batch job did, for the summary line at its end."""

    done: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    folder: str = ""

    def __str__(self) -> str:
        return (f"{self.done} run(s) done ({self.failed} failed), {self.skipped} already stored, "
                f"in {self.seconds:.1f} s; results in {self.folder}")


def execute(specs: Iterable[RunSpec], store: ResultStore, *, total: int | None = None,
            scheduler: str | None = None, workers: int | None = None,
            progress: bool = True) -> Report:
    """Run the given specs (the caller has left out those already stored) and store them."""
    from distributed import Client, LocalCluster, as_completed
    from tqdm import tqdm

    started = time.perf_counter()
    report = Report(folder=str(store.folder))
    pending = iter(specs)
    if scheduler:
        client, cluster = Client(scheduler), None
    else:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    bar = tqdm(total=total, unit="run", disable=not progress, dynamic_ncols=True)
    rows, series, last_write = [], [], time.perf_counter()
    try:
        n_workers = max(len(client.scheduler_info(n_workers=-1)["workers"]), 1)
        futures = as_completed()
        for spec in _take(pending, IN_FLIGHT_PER_WORKER * n_workers + 1):
            futures.add(client.submit(execute_run, spec, pure=False))
        for future in futures:
            row, ts = future.result()
            future.release()
            rows.append(row)
            if ts is not None:
                series.append(ts)
            report.done += 1
            report.failed += row["status"] != "ok"
            bar.update(1)
            for spec in _take(pending, 1):
                futures.add(client.submit(execute_run, spec, pure=False))
            if len(rows) >= BATCH_RUNS or time.perf_counter() - last_write > BATCH_SECONDS:
                store.write_batch(rows, series)
                rows, series, last_write = [], [], time.perf_counter()
    finally:
        store.write_batch(rows, series)  # keep what finished, even on Ctrl-C
        bar.close()
        client.close()
        if cluster is not None:
            cluster.close()
    report.seconds = time.perf_counter() - started
    return report


def _take(iterator, n: int):
    for _ in range(n):
        try:
            yield next(iterator)
        except StopIteration:
            return
