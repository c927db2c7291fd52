"""The output folder of ``barrios run``.

Each replication's rows are appended to ``timeseries.parquet`` and ``barrios.parquet`` as
soon as it finishes, so an interrupted run keeps every finished replication;
``summary.json`` and ``perception.png`` describe whatever was finished.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.plots import perception_figure
from experiments.summary import summarize, yearly


class RunFolder:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.timeseries: list[pd.DataFrame] = []
        self.residents = 0

    def add(self, result):
        """Store one finished replication."""
        self._append("timeseries", result.timeseries)
        self._append("barrios", result.barrios)
        self.timeseries.append(result.timeseries)
        self.residents = result.residents

    def _append(self, name: str, df: pd.DataFrame):
        table = pa.Table.from_pandas(df, preserve_index=False)
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self.path / f"{name}.parquet", table.schema)
        self._writers[name].write_table(table)

    def finish(self, scenario) -> tuple[dict, pd.DataFrame | None]:
        """Close the Parquet files; write summary.json and perception.png."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        if not self.timeseries:
            return {}, None
        summary = summarize(scenario, self.timeseries, self.residents)
        (self.path / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        ts_all = pd.concat(self.timeseries, ignore_index=True)
        perception_figure(ts_all, summary["observed"],
                          f"Perceived safety — {scenario.name}", self.path / "perception.png")
        return summary, yearly(ts_all)
