"""The result store: a folder of Parquet files written as runs finish, one writer at a time.

    OUT/experiment.json           what was run: kind, fingerprint, definition, source files
    OUT/.lock                     held by the process writing the folder
    OUT/runs/part-000001.parquet  one row per run: run_id, point, replication, seed,
                                  the variables, scalar outcomes, status, error, duration_s
    OUT/timeseries/part-000001.parquet   run_id, step, date and the kept time series
    OUT/panel/part-000001.parquet        run_id and the kept barrio-panel columns
    OUT/barrios/part-000001.parquet      run_id and a study's per-barrio table (an
                                         evaluation's assignment)

Each batch is written to temporary files and renamed, the per-run datasets first and
the runs table last, so a batch is stored whole or not at all (a ``runs`` part is the
commit record; a dataset part without its ``runs`` part is a leftover from a kill, which
readers ignore and the next writer deletes). Nothing is held in memory beyond the current
batch. Readers see each run once: its latest record (a retried run supersedes its
failure), and each dataset's rows from that run's latest part. The folders are plain
Parquet datasets: pandas, polars and DuckDB read them.

A second process that opens the same folder for writing is refused (``StoreBusy``): the
lock is an advisory ``flock`` on ``OUT/.lock``, released when the writer closes the store
or dies, even by SIGKILL. (On network file systems that do not honour ``flock``, give each
concurrent study its own folder.)

The **fingerprint** says what the stored runs depend on: the study's definition, the
scenario each run starts from after every change (which covers the contents of the whole
``extend`` chain), the barrio table's values and the model's code (``simulation/*.py``). A folder holding runs with another
fingerprint is refused (``ExperimentChanged``), so results of two definitions never mix;
``experiment.json`` also lists every file read with its SHA-256, for provenance.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

PART = re.compile(r"part-(\d{6})\.parquet$")
DATASETS = ("timeseries", "panel", "barrios")
"""The per-run datasets a store may hold besides the runs table."""


class FolderError(Exception):
    """A result folder that cannot be used as asked, told in one line naming it."""

    def __init__(self, folder: Path, detail: str):
        super().__init__(folder, detail)
        self.folder, self.detail = Path(folder), detail

    def __str__(self) -> str:
        return f"{self.folder}: {self.detail}"


class ExperimentChanged(FolderError):
    """The folder holds results of a different definition."""

    def __init__(self, folder: Path, difference: str):
        super().__init__(Path(folder) / "experiment.json", "expected the same definition as "
                         f"the stored results, found a changed one ({difference}); use a new "
                         "--out folder")


class StoreBusy(FolderError):
    """Another process is writing the folder."""

    def __init__(self, folder: Path, holder: str):
        super().__init__(folder, f"expected a result folder no other process is writing, "
                         f"found one in use{holder}; wait for it to finish or use another --out")


class WriteFailed(FolderError):
    """An output could not be written (a full disk, a file size limit, a lost mount); what
    was in place before is left as it was."""

    def __init__(self, folder: Path, name: str, error: OSError):
        super().__init__(folder, f"could not write {name} ({error.strerror or error}); "
                         "the folder keeps what it held before")


class FolderLock:
    """An exclusive, non-blocking ``flock`` on ``folder/.lock`` (released on ``release``
    or when the process ends)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        path = self.folder / ".lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            os.close(fd)
            raise StoreBusy(self.folder, f" (process {holder})" if holder else "") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def release(self):
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def fingerprint(definition: dict) -> str:
    """Hash of a study's definition (JSON-able: dates and paths as text)."""
    text = json.dumps(definition, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def table_digest(table: pd.DataFrame | None) -> str | None:
    """Hash of a barrio table's values (None for the synthetic city)."""
    if table is None:
        return None
    return hashlib.sha256(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes()
                          + ",".join(table.columns).encode()).hexdigest()[:16]


def source_digest(folder: Path) -> str:
    """Hash of the Python sources in ``folder`` (names and contents, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def file_digests(paths: Iterable[Path]) -> dict[str, str]:
    """SHA-256 of each file read (provenance in experiment.json; a scenario given as an
    object in Python has no file)."""
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest()
            for p in dict.fromkeys(paths) if Path(p).is_file()}


def claim(folder: Path, manifest: dict) -> FolderLock:
    """Create ``folder``, lock it for this process and check (or write) its manifest,
    ``experiment.json``: a folder holding another definition's results is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(folder).acquire()
    try:
        path = folder / "experiment.json"
        if path.exists():
            old = json.loads(path.read_text())
            if old.get("fingerprint") != manifest["fingerprint"]:
                raise ExperimentChanged(folder, _difference(old.get("definition", {}),
                                                            manifest.get("definition", {})))
        else:
            atomic_write(path, json.dumps(manifest, indent=2, default=str).encode())
    except BaseException:
        lock.release()
        raise
    return lock


class ResultStore:
    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.runs_dir = self.folder / "runs"
        self.ts_dir = self.folder / "timeseries"
        self._lock = FolderLock(self.folder)

    def dataset_dir(self, name: str) -> Path:
        if name not in DATASETS:
            raise ValueError(f"expected a dataset of {DATASETS}, found {name!r}")
        return self.folder / name

    # --- opening -------------------------------------------------------------------
    def open(self, manifest: dict) -> ResultStore:
        """Create the folder (or check that it holds the same definition) and lock it for
        writing: ``manifest`` has ``fingerprint`` and ``definition``."""
        self._lock = claim(self.folder, manifest)
        try:
            self.runs_dir.mkdir(exist_ok=True)
            self.ts_dir.mkdir(exist_ok=True)
            self._clean_leftovers()
        except BaseException:
            self._lock.release()
            raise
        return self

    def close(self):
        self._lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _clean_leftovers(self):
        committed = self._committed()
        for name in DATASETS:
            for p in self.dataset_dir(name).glob("part-*.parquet"):
                if p.name not in committed:
                    p.unlink()
        for folder in (self.runs_dir, *map(self.dataset_dir, DATASETS)):
            for p in folder.glob("*.tmp"):
                p.unlink()

    def _committed(self) -> set[str]:
        return {p.name for p in self.runs_dir.glob("part-*.parquet") if PART.search(p.name)}

    # --- writing -------------------------------------------------------------------
    def next_part(self) -> int:
        numbers = [int(m[1]) for p in self.runs_dir.glob("part-*.parquet") if (m := PART.search(p.name))]
        return max(numbers, default=0) + 1

    def write_batch(self, rows: list[dict], tables: dict[str, list[pd.DataFrame]] | None = None):
        """Store a batch of runs: their rows and their per-run datasets (name -> one
        DataFrame per run, each with a ``run_id`` column); the runs part goes last."""
        if not rows:
            return
        part = f"part-{self.next_part():06d}.parquet"
        for name, frames in (tables or {}).items():
            if frames:
                folder = self.dataset_dir(name)
                folder.mkdir(exist_ok=True)
                table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True),
                                             preserve_index=False)
                atomic_parquet(table, folder / part)
        atomic_parquet(pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False),
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
        """The kept series of committed runs (each run's latest record)."""
        if columns is not None:
            columns = ["step", *columns]
        df = self.dataset("timeseries", columns)
        return df.sort_values(["run_id", "step"]).reset_index(drop=True) if len(df) else df

    def dataset(self, name: str, columns: list[str] | None = None,
                run_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """A per-run dataset of committed runs (``runs`` or ``run_ids`` only), each run's
        rows from the latest part that holds it (a retried run supersedes its earlier
        record)."""
        committed = self._committed()
        folder = self.dataset_dir(name)
        parts = sorted(p for p in folder.glob("part-*.parquet") if p.name in committed)
        if columns is not None:
            columns = list(dict.fromkeys(["run_id", *columns]))
        wanted = None if run_ids is None else set(run_ids)
        frames = []
        for number, p in enumerate(parts):
            df = pd.read_parquet(p, columns=columns)
            if wanted is not None:
                df = df[df["run_id"].isin(wanted)]
            frames.append(df.assign(_part=number))
        if not frames:
            return pd.DataFrame()
        df = pd.concat(frames, ignore_index=True)
        latest = df.groupby("run_id")["_part"].transform("max")
        return df[df["_part"] == latest].drop(columns="_part").reset_index(drop=True)

    def manifest(self) -> dict:
        return json.loads((self.folder / "experiment.json").read_text())


def load_results(folder: Path | str) -> pd.DataFrame:
    """The runs table of a result folder as a pandas DataFrame (one call from Python)."""
    return ResultStore(folder).runs()


def load_timeseries(folder: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    """The stored time series of a result folder as a pandas DataFrame."""
    return ResultStore(folder).timeseries(columns)


# --- atomic files ---------------------------------------------------------------------------


def atomic_parquet(table: pa.Table, path: Path):
    """Write a Parquet file whole or not at all (a temporary file, synced, then renamed)."""
    with _replacing(path) as tmp:
        pq.write_table(table, tmp)


def atomic_write(path: Path, data: bytes):
    with _replacing(path) as tmp:
        tmp.write_bytes(data)


@contextlib.contextmanager
def _replacing(path: Path):
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
