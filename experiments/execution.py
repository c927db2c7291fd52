"""Running many simulations: locally (one process per core) or on a Dask cluster.

Every batch study (comparisons, sweeps, sensitivity analysis, evaluations, a calibration's
predictive draws) hands its runs to ``execute`` as ``experiments.runs.Run`` objects. Runs go
to Dask: a ``LocalCluster`` with one single-threaded worker process per core by default,
or an existing cluster given by its scheduler address (``tcp://HOST:PORT``) — nothing else
changes. At most a few runs per worker are in flight, and finished runs are written to the
``ResultStore`` in batches, so the driver's memory does not grow with the number of runs.
Each run's seed stream is fixed by its ``Run``, so results do not depend on the number of
workers or the order in which runs finish.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from experiments.runs import Run, execute_run
from experiments.store import ResultStore

BATCH_RUNS = int(os.environ.get("BARRIOS_BATCH_RUNS", 25))  # runs per Parquet batch
BATCH_SECONDS = 20.0   # or fewer, if this long has passed since the last write
IN_FLIGHT_PER_WORKER = 2


@dataclass(frozen=True)
class Execution:
    """Where and how a study's runs execute (the command line's execution options)."""

    scheduler: str | None = None   # tcp://HOST:PORT of a Dask cluster; None: a local one
    workers: int | None = None     # local worker processes (default: one per core)
    progress: bool = True          # a progress bar on stderr
    retry_failed: bool = False     # run again the runs that failed before


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


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A Dask client: on the cluster at ``scheduler``, or on a local cluster of single-
    threaded worker processes (one per core unless ``workers`` says)."""
    from distributed import Client, LocalCluster

    if scheduler:
        client, cluster = Client(scheduler), None
    else:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def execute_design(runs: Iterable[Run], store: ResultStore, execution: Execution,
                   client=None) -> Report:
    """Run what ``store`` does not hold yet (each run id once; failed runs again only with
    ``execution.retry_failed``) and store it; on ``client`` if given (a Dask client the
    caller holds), else on the execution's cluster."""
    stored = store.stored_status()
    todo, seen, skipped = [], set(), 0
    for run in runs:
        rid = run.run_id
        if rid in seen:
            continue
        seen.add(rid)
        status = stored.get(rid)
        if status == "ok" or (status == "failed" and not execution.retry_failed):
            skipped += 1
        else:
            todo.append(run)
    report = execute(todo, store, execution, client) if todo else Report(folder=str(store.folder))
    report.skipped = skipped
    return report


def execute(runs: list[Run], store: ResultStore, execution: Execution, client=None) -> Report:
    """Run the given runs on Dask and store them as they finish."""
    from distributed import as_completed
    from tqdm import tqdm

    started = time.perf_counter()
    report = Report(folder=str(store.folder))
    pending = iter(runs)
    bar = tqdm(total=len(runs), unit="run", disable=not execution.progress, dynamic_ncols=True)
    rows, tables, last_write = [], {}, time.perf_counter()
    given = contextlib.nullcontext(client) if client is not None else None
    with given or dask_client(execution.scheduler, execution.workers) as client:
        try:
            n_workers = max(len(client.scheduler_info(n_workers=-1)["workers"]), 1)
            futures = as_completed()
            for run in _take(pending, IN_FLIGHT_PER_WORKER * n_workers + 1):
                futures.add(client.submit(execute_run, run, pure=False))
            for future in futures:
                row, kept = future.result()
                future.release()
                rows.append(row)
                for name, df in kept.items():
                    tables.setdefault(name, []).append(df)
                report.done += 1
                report.failed += row["status"] != "ok"
                bar.update(1)
                for run in _take(pending, 1):
                    futures.add(client.submit(execute_run, run, pure=False))
                if len(rows) >= BATCH_RUNS or time.perf_counter() - last_write > BATCH_SECONDS:
                    store.write_batch(rows, tables)
                    rows, tables, last_write = [], {}, time.perf_counter()
        finally:
            store.write_batch(rows, tables)  # keep what finished, even on Ctrl-C
            bar.close()
    report.seconds = time.perf_counter() - started
    return report


def _take(iterator, n: int):
    for _ in range(n):
        try:
            yield next(iterator)
        except StopIteration:
            return
