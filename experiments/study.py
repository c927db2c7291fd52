"""The study kernel: what every study file shares, and the steps every batch study takes.

A study is a **schema** (a ``StudyFile`` subclass: what its file may say), a **design**
(the ``experiments.runs.Run`` objects it needs), an **analysis** (the stored runs ->
tables) and a **report** (tables -> files). The kernel gives each kind the rest:

- ``StudyFile``: the keys every study file has. ``scenario`` names the base scenario, and
  the ``[run]``, ``[city]``, ``[parameters]`` and ``[interventions]`` tables change it as a
  scenario file that extends it would (``experiments.scenario_files.override``);
- ``load_study``: the one reader (TOML, schema, base scenario, changes), every problem a
  one-line ``BadInput`` naming the file and the key;
- ``open_store``: the result folder, locked for this process, refusing results of another
  definition (the fingerprint covers the scenario after every change, so the whole
  ``extend`` chain, and the barrio table);
- ``execute_design`` (``experiments.execution``): the runs the store lacks, locally or on
  a Dask cluster, written as they finish;
- ``successful``: the runs to analyse, or ``AllRunsFailed`` when there are none.

``barrios compare``, ``sweep`` and ``sensitivity`` are built this way; ``calibrate`` uses
the same schema base, reader, run verb and fingerprint around pyabc's sampler.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field

from experiments.files import BadInput, existing_file, read_toml, validate
from experiments.scenario_files import LoadedScenario, load_scenario, nest, override
from experiments.store import (FolderError, ResultStore, file_digests, fingerprint, source_digest,
                               table_digest)
from simulation.config import NAME
from simulation.schema import StrictModel


class StudyRun(StrictModel):
    """The base scenario's ``[run]`` keys a study may change (its seed and replications
    are the study's own)."""

    start: dt.date | None = None
    years: float | None = None
    burn_in_days: int | None = None
    survey_sample_size: int | None = None


class StudyFile(StrictModel):
    """What every study file has: a name, the base scenario and its changes, a seed."""

    name: str | None = Field(None, pattern=NAME)  # default: the file's name
    description: str = ""
    scenario: str                       # the base scenario, relative to this file
    seed: int = Field(0, ge=0)  # replication k of every run uses child k
    run: StudyRun = StudyRun()
    city: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, float] = Field(default_factory=dict)
    interventions: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def layer(self) -> dict[str, Any]:
        """The changes to the base scenario, as a partial scenario document."""
        layer = {"run": self.run.model_dump(exclude_none=True), "city": dict(self.city),
                 "parameters": dict(self.parameters), "interventions": dict(self.interventions)}
        return {k: v for k, v in layer.items() if v}


@dataclass(frozen=True, eq=False)
class LoadedStudy[S: StudyFile]:
    """A validated study file and its base scenario (with the file's changes)."""

    spec: S
    path: Path
    base: LoadedScenario

    @property
    def name(self) -> str:
        return self.spec.name or self.path.stem

    @property
    def sources(self) -> tuple[Path, ...]:
        return (self.path, *self.base.sources)


def load_study[S: StudyFile](path: Path | str, schema: type[S], what: str) -> LoadedStudy[S]:
    """Read and check a study file of kind ``what`` (e.g. "experiment file") and its base
    scenario; raise BadInput."""
    path = existing_file(path, what)
    spec = validate(schema, read_toml(path), path)
    scenario_path = (path.parent / spec.scenario).resolve()
    if not scenario_path.is_file():
        raise BadInput(path, "scenario", f"expected an existing scenario file, found "
                       f"{spec.scenario!r} (no such file)")
    return LoadedStudy(spec, path, override(load_scenario(scenario_path), spec.layer(), path))


def changed_by(loaded: LoadedScenario, *, seed: int | None = None,
               replications: int | None = None, years: float | None = None,
               scale: float | None = None, city: dict | None = None,
               parameters: dict | None = None, levers: dict | None = None) -> LoadedScenario:
    """The scenario with the command line's flags or the Python API's keywords applied,
    each as an ``override`` layer blamed on its flag or keyword. ``levers`` are
    intervention settings, dotted (``{"street_lighting.intensity": 0.8}``) or as tables."""
    layers = (("--seed", {"run": {"seed": seed}}, seed),
              ("--replications", {"run": {"replications": replications}}, replications),
              ("--years", {"run": {"years": years}}, years),
              ("--scale", {"city": {"inhabitants_per_agent": scale}}, scale),
              ("city", {"city": city}, city),
              ("parameters", {"parameters": parameters}, parameters),
              ("levers", {"interventions": nest(levers or {})}, levers))
    for source, layer, value in layers:
        if value is not None:
            loaded = override(loaded, layer, source)
    return loaded


def scenario_definition(loaded: LoadedScenario) -> dict:
    """What a run's result depends on in a scenario: its values, its barrio table, and the
    model's code (stored runs of another model version are never mixed in)."""
    return {"scenario": loaded.scenario.model_dump(mode="json"),
            "barrio_table": table_digest(loaded.city_table), "model": model_digest()}


@functools.cache
def model_digest() -> str:
    """Hash of the model's source files (``simulation/*.py``), read once per process (a
    study asks for it for every scenario it runs)."""
    import simulation

    return source_digest(Path(simulation.__file__).parent)


def manifest(kind: str, definition: dict, sources) -> dict:
    """What a result folder says about itself (``experiment.json``)."""
    return {"kind": kind, "fingerprint": fingerprint(definition),
            "created": dt.datetime.now().isoformat(timespec="seconds"),
            "definition": definition, "sources": file_digests(sources)}


def open_store(folder: Path, kind: str, definition: dict, sources) -> ResultStore:
    """The study's result folder, locked for writing; refused if it holds results of
    another definition."""
    return ResultStore(folder).open(manifest(kind, definition, sources))


class AllRunsFailed(FolderError):
    """A study with nothing to analyse: every run failed."""

    def __init__(self, folder: Path, error: str):
        super().__init__(folder, f"every run failed, so there is no result; the first error "
                         f"was: {error} (the runs table keeps each run's error)")


def successful(runs: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """The runs that succeeded; AllRunsFailed if none did."""
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    if ok.empty:
        first = runs["error"].iloc[0] if len(runs) else "no run was stored"
        raise AllRunsFailed(folder, first)
    return ok


def check_out(out: Path | str | None) -> Path | None:
    """An output folder that can be created or written (BadInput naming ``--out``)."""
    return None if out is None else writable_folder(Path(out), "--out", None)


def writable_folder(path: Path, source: Path | str, key: str | None) -> Path:
    """``path`` if it is, or can be made, a folder this process can write; else a
    BadInput naming ``source`` (a flag or a file) and ``key``."""
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise BadInput(source, key, f"expected a folder, found the file {existing}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInput(source, key, f"expected a folder this user can write, found {existing} "
                       "read-only")
    return path
