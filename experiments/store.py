"""The result store: a folder of Parquet files written as runs finish.

    OUT/experiment.json           what was run (definition and fingerprint)
    OUT/runs/part-000001.parquet  one row per run: run_id, point, replication, seed,
                                  the variables, scalar outcomes, status, error, duration_s
    OUT/timeseries/part-000001.parquet   run_id, step, date and the kept time series

Each batch is written to a temporary file and renamed, time series first and the runs
table last, so a batch is stored whole or not at all (a ``runs`` part is the commit
record; a ``timeseries`` part without its ``runs`` part is a leftover from a kill and is
deleted on the next start). Nothing is held in memory beyond the current batch. The
folders are plain Parquet datasets: pandas, polars and DuckDB read them directly.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

PART = re.compile(r"part-(\d{6})\.parquet$")


class ExperimentChanged(Exception):
    """The folder holds results of a different experiment definition."""


class ResultStore:
    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.runs_dir = self.folder / "runs"
        self.ts_dir = self.folder / "timeseries"

    # --- opening -------------------------------------------------------------------
    def open(self, manifest: dict) -> "ResultStore":
        """Create the folder, or check that it holds the same experiment."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.ts_dir.mkdir(parents=True, exist_ok=True)
        path = self.folder / "experiment.json"
        if path.exists():
            old = json.loads(path.read_text())
            if old.get("fingerprint") != manifest["fingerprint"]:
                raise ExperimentChanged(_difference(old.get("definition", {}),
                                                    manifest.get("definition", {})))
        else:
            _atomic_write(path, json.dumps(manifest, indent=2, default=str).encode())
        self._clean_leftovers()
        return self

    def _clean_leftovers(self):
        committed = {m[1] for p in self.runs_dir.glob("part-*.parquet") if (m := PART.search(p.name))}
        for p in self.ts_dir.glob("part-*.parquet"):
            m = PART.search(p.name)
            if m and m[1] not in committed:
                p.unlink()
        for folder in (self.runs_dir, self.ts_dir):
            for p in folder.glob("*.tmp"):
                p.unlink()

    # --- writing -------------------------------------------------------------------
    def next_part(self) -> int:
        numbers = [int(m[1]) for p in self.runs_dir.glob("part-*.parquet") if (m := PART.search(p.name))]
        return max(numbers, default=0) + 1

    def write_batch(self, rows: list[dict], series: list[pd.DataFrame]):
        if not rows:
            return
        part = f"part-{self.next_part():06d}.parquet"
        if series:
            table = pa.Table.from_pandas(pd.concat(series, ignore_index=True), preserve_index=False)
            _atomic_parquet(table, self.ts_dir / part)
        _atomic_parquet(pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False),
                        self.runs_dir / part)

    # --- reading -------------------------------------------------------------------
    def stored_status(self) -> dict[str, str]:
        """run_id -> latest status ("ok" or "failed"), reading only those two columns."""
        status = {}
        for p in sorted(self.runs_dir.glob("part-*.parquet")):
            t = pq.read_table(p, columns=["run_id", "status"]).to_pydict()
            status.update(zip(t["run_id"], t["status"]))
        return status

    def runs(self) -> pd.DataFrame:
        """All runs, the latest record of each (a retried run supersedes its failure),
        ordered by design point and replication."""
        parts = sorted(self.runs_dir.glob("part-*.parquet"))
        if not parts:
            return pd.DataFrame()
        df = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        df = df.drop_duplicates("run_id", keep="last")
        return df.sort_values(["point", "replication"]).reset_index(drop=True)

    def timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        parts = sorted(self.ts_dir.glob("part-*.parquet"))
        if not parts:
            return pd.DataFrame()
        df = pd.concat([pd.read_parquet(p, columns=columns) for p in parts], ignore_index=True)
        return df.sort_values(["run_id", "step"]).reset_index(drop=True)

    def manifest(self) -> dict:
        return json.loads((self.folder / "experiment.json").read_text())


def load_results(folder: Path | str) -> pd.DataFrame:
    """The runs table of a result folder as a pandas DataFrame (one call from Python)."""
    return ResultStore(folder).runs()


def load_timeseries(folder: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    """The stored time series of a result folder as a pandas DataFrame."""
    return ResultStore(folder).timeseries(columns)


def _atomic_parquet(table: pa.Table, path: Path):
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    _fsync(tmp)
    os.replace(tmp, path)


def _atomic_write(path: Path, data: bytes):
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    _fsync(tmp)
    os.replace(tmp, path)


def _fsync(path: Path):
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _difference(old: dict, new: dict, prefix: str = "") -> str:
    """The first few keys whose values differ, as 'key: old -> new'."""
    diffs = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = _difference(a, b, f"{prefix}{key}.")
            if inner:
                diffs.append(inner)
        elif a != b:
            diffs.append(f"{prefix}{key}: {a!r} -> {b!r}")
    return "; ".join(diffs[:3])
