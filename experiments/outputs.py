"""The output folder of ``barrios run``: ``timeseries.parquet``, ``barrios.parquet``,
``perception.png`` and ``summary.json``, written whole or not at all.

Each replication's rows are streamed, as it finishes, into temporary files next to the
outputs; when the run ends (or is interrupted with Ctrl-C: the finished replications are
kept) each temporary file is synced and renamed over its output, and ``summary.json``
comes last. So a run killed at any moment (even with SIGKILL) or stopped by a full disk
leaves either the previous outputs or the new ones, each file readable, never a Parquet
file without its footer or half a summary. The folder is locked while a run writes it: a
second ``barrios run`` into the same folder is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.plots import Painter
from experiments.store import FolderLock, WriteFailed, atomic_write
from experiments.summary import summarize, yearly

OUTPUTS = ("summary.json", "timeseries.parquet", "barrios.parquet", "perception.png")


class RunFolder:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = FolderLock(self.path)
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.timeseries: list[pd.DataFrame] = []
        self.outcomes: list[dict] = []
        self.residents = 0

    def open(self) -> RunFolder:
        """Create and lock the folder; clear what an earlier killed run left behind."""
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        for stale in self.path.glob("*.tmp"):
            stale.unlink()
        self._painter = Painter()  # imports matplotlib while the model runs
        return self

    def add(self, result):
        """Store one finished replication."""
        with self._writing("timeseries.parquet, barrios.parquet"):
            self._append("timeseries", result.timeseries)
            self._append("barrios", result.barrios)
        self.timeseries.append(result.timeseries)
        self.outcomes.append(result.outcomes)
        self.residents = result.residents

    def _append(self, name: str, df: pd.DataFrame):
        table = pa.Table.from_pandas(df, preserve_index=False)
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self._tmp(f"{name}.parquet"), table.schema)
        self._writers[name].write_table(table)

    def _tmp(self, name: str) -> Path:
        return self.path / f"{name}.tmp"

    @contextlib.contextmanager
    def _writing(self, what: str):
        try:
            yield
        except OSError as error:
            raise WriteFailed(self.path, what, error) from None

    def finish(self, scenario) -> tuple[dict, pd.DataFrame | None]:
        """Put the finished replications in place (none finished: the folder is left as
        it was) and release the folder; returns the summary and the by-year table."""
        try:
            with self._writing("timeseries.parquet, barrios.parquet"):
                self._close_writers()
            if not self.outcomes:
                return {}, None
            summary = summarize(scenario, self.outcomes, self.residents)
            ts_all = pd.concat(self.timeseries, ignore_index=True)
            with self._writing("the outputs"):
                self._commit(scenario, summary, ts_all)
            return summary, yearly(ts_all)
        finally:
            self._painter.close()
            for stale in self.path.glob("*.tmp"):
                stale.unlink()
            self._lock.release()

    def _close_writers(self):
        """Close every Parquet writer even if one fails (a full disk), then raise the
        first failure: a writer left open would fail again, noisily, when collected."""
        writers, self._writers = list(self._writers.values()), {}
        failure = None
        for writer in writers:
            try:
                writer.close()
            except OSError as error:
                failure = failure or error
            finally:
                writer.is_open = False  # pyarrow retries a failed close when collected
        if failure is not None:
            raise failure

    def _commit(self, scenario, summary: dict, ts_all: pd.DataFrame):
        (self.path / "summary.json").unlink(missing_ok=True)  # never beside other outputs
        self._painter.draw(ts_all, summary["observed"], f"Perceived safety — {scenario.name}",
                           self._tmp("perception.png"), scenario.power_cuts)
        for name in ("timeseries.parquet", "barrios.parquet", "perception.png"):
            _sync(self._tmp(name))
            self._tmp(name).replace(self.path / name)
        atomic_write(self.path / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())


def _sync(path: Path):
    with open(path, "rb") as f:
        os.fsync(f.fileno())
