"""``barrios sensitivity``: Morris screening, then Sobol indices, of the Quito scenario.

A sensitivity file (TOML, e.g. ``experiments/sensitivity_quito.toml``) names the base
scenario, the reduced scale, which parameters to vary (default: every behavioural and
intervention-effect parameter with a plausible range, ``barrios params``; the plausible
range is the interval explored) and the two stages:

- ``[morris]``: ``trajectories`` of D+1 points on a ``levels``-level grid, each point run
  ``replications`` times;
- ``[sobol]``: the ``top`` parameters by Morris μ* (or an explicit ``parameters`` list)
  on ``samples`` (N, a power of two) base samples, N·(D+2) points, optionally at its own
  smaller ``[sobol.city]``.

Every run goes through ``experiments.execution.execute`` into a ``ResultStore`` folder
(OUT/morris, OUT/sobol), so an interrupted analysis resumes (stored run ids are skipped)
and ``--scheduler`` runs it on a Dask cluster. Replication k of every design point uses
the same seed stream (``replication_seed(seed, k)``: common random numbers); outcomes are
averaged over replications before the indices are computed, and the report says how much
of the variance is replication noise. The indices themselves come from
``experiments.sensitivity`` (generic, SALib).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from experiments import sensitivity as sa
from experiments.execution import Report, RunSpec, execute, run_id
from experiments.experiment_files import _one_line, _short, apply_values
from experiments.scenario_files import LoadedScenario, ScenarioError, load_scenario
from experiments.store import ResultStore
from simulation.config import Scenario
from simulation.parameters import PARAMETERS

DEFAULT_GROUPS = ["routine", "victimization", "offending", "perception", "committees",
                  "police", "programmes"]
"""Behavioural and intervention-effect parameter groups (not the census shares)."""

MAIN_OUTCOMES = ["public_change_pp", "neighbourhood_change_pp", "gap_public_start_pp",
                 "gap_public_end_pp", "gap_neighbourhood_start_pp", "gap_neighbourhood_end_pp",
                 "fit_rmse_pp", "victimization_pct"]
OUTCOME_TEXT = {
    "public_change_pp": "change in perceived safety in public spaces, start to end (points)",
    "neighbourhood_change_pp": "change in perceived safety in neighbourhoods, start to end (points)",
    "gap_public_start_pp": "|simulated − observed| public spaces at the start (points)",
    "gap_public_end_pp": "|simulated − observed| public spaces at the end (points)",
    "gap_neighbourhood_start_pp": "|simulated − observed| neighbourhoods at the start (points)",
    "gap_neighbourhood_end_pp": "|simulated − observed| neighbourhoods at the end (points)",
    "fit_rmse_pp": "root mean square of the four gaps to the survey (points)",
    "victimization_pct": "victimized in the last 12 months at the end (%)",
}
BASE_SCALARS = ["safe_public_start", "safe_public_end", "safe_neighbourhood_start",
                "safe_neighbourhood_end", "victimization_12m_end"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    low: float | None = None
    high: float | None = None


class ParameterSelection(_Strict):
    groups: list[str] = Field(default_factory=lambda: list(DEFAULT_GROUPS))
    include: list[str] = Field(default_factory=list)   # added to the groups' parameters
    exclude: list[str] = Field(default_factory=list)
    ranges: dict[str, Range] = Field(default_factory=dict)  # instead of the plausible range


class MorrisStage(_Strict):
    trajectories: int = Field(6, ge=2, le=10_000)
    levels: int = Field(4, ge=2, le=20)
    replications: int = Field(2, ge=1, le=1000)
    seed: int = Field(1, ge=0)


class SobolStage(_Strict):
    samples: int = Field(1024, ge=2, le=1_048_576)
    top: int = Field(8, ge=1, le=200)
    parameters: list[str] | None = None
    second_order: bool = False
    replications: int = Field(1, ge=1, le=1000)
    seed: int = Field(2, ge=0)
    city: dict[str, int | float] = Field(default_factory=dict)   # overrides the file's [city]


class SensitivityFile(_Strict):
    name: str = "sensitivity"
    description: str = ""
    scenario: str
    seed: int = Field(0, ge=0)
    years: float | None = Field(None, gt=0, le=30)
    inhabitants_per_agent: float | None = Field(None, ge=1, le=100_000)
    city: dict[str, int | float] = Field(default_factory=dict)
    parameters: ParameterSelection = ParameterSelection()
    morris: MorrisStage = MorrisStage()
    sobol: SobolStage = SobolStage()
    outcomes: list[str] = Field(default_factory=lambda: list(MAIN_OUTCOMES))
    by_year: bool = True
    conf_level: float = Field(0.95, gt=0.5, lt=1)
    num_resamples: int = Field(1000, ge=10, le=100_000)


@dataclass(frozen=True, eq=False)
class LoadedSensitivity:
    spec: SensitivityFile
    path: Path
    base: LoadedScenario
    names: list[str]
    bounds: list[list[float]]
    morris_scenario: Scenario
    sobol_scenario: Scenario

    def problem(self, names: list[str] | None = None) -> dict:
        names = names or self.names
        idx = [self.names.index(n) for n in names]
        return {"names": names, "bounds": [self.bounds[i] for i in idx]}

    @property
    def observed(self) -> dict:
        return self.base.scenario.observed.model_dump()

    def years(self, scenario: Scenario) -> list[int]:
        start = scenario.run.start
        end = start + dt.timedelta(days=scenario.n_days)
        return [y for y in range(start.year, end.year + 1) if dt.date(y, 12, 31) <= end] or []


def load_sensitivity(path: Path | str, *, trajectories: int | None = None,
                     samples: int | None = None) -> LoadedSensitivity:
    """Read and check a sensitivity file; every problem is a one-line ScenarioError.
    ``trajectories`` and ``samples`` replace the file's Morris r and Sobol N (the command
    line's --trajectories / --samples; the designs grow by prefixes, so stored runs count)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ScenarioError(path, None, "expected an existing sensitivity file, found nothing")
    try:
        doc = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, None, f"expected valid TOML, found {exc}") from None
    for table, key, value in (("morris", "trajectories", trajectories), ("sobol", "samples", samples)):
        if value is not None and isinstance(doc.setdefault(table, {}), dict):
            doc[table][key] = value
    try:
        spec = SensitivityFile.model_validate(doc)
    except ValidationError as exc:
        raise _one_line(path, exc.errors()[0]) from None
    base = load_scenario(path.parent / spec.scenario)
    groups = sorted({p.group for p in PARAMETERS.values()})
    for i, g in enumerate(spec.parameters.groups):
        if g not in groups:
            raise ScenarioError(path, f"parameters.groups[{i}]",
                                f"expected one of {', '.join(groups)}, found {g!r}")
    for key in ("include", "exclude"):
        for i, n in enumerate(getattr(spec.parameters, key)):
            if n not in PARAMETERS:
                raise ScenarioError(path, f"parameters.{key}[{i}]",
                                    f"expected a parameter listed by `barrios params`, found {n!r}")
    names = [p.name for p in PARAMETERS.values()
             if (p.group in spec.parameters.groups or p.name in spec.parameters.include)
             and p.name not in spec.parameters.exclude]
    bounds = []
    kept = []
    for name in names:
        p = PARAMETERS[name]
        r = spec.parameters.ranges.get(name)
        low = r.low if r and r.low is not None else p.plausible[0]
        high = r.high if r and r.high is not None else p.plausible[1]
        key = f"parameters.ranges.{name}" if r else f"parameters: {name}"
        if low == high and not r:
            continue  # a fixed parameter (e.g. safe_threshold): nothing to explore
        if not low < high:
            raise ScenarioError(path, key if r else f"parameters.ranges.{name}",
                                f"expected low < high, found low={low:g}, high={high:g}")
        if not (p.bounds[0] <= low and high <= p.bounds[1]):
            raise ScenarioError(path, f"parameters.ranges.{name}",
                                f"expected a range within the valid bounds {p.bounds[0]:g}–"
                                f"{p.bounds[1]:g}, found {low:g}–{high:g}")
        kept.append(name)
        bounds.append([float(low), float(high)])
    for name in spec.parameters.ranges:
        if name not in kept:
            raise ScenarioError(path, f"parameters.ranges.{name}",
                                f"expected a varied parameter (in the groups or include), found {name!r}")
    if not kept:
        raise ScenarioError(path, "parameters", "expected at least one parameter to vary, found none")
    for i, o in enumerate(spec.outcomes):
        if o not in MAIN_OUTCOMES:
            raise ScenarioError(path, f"outcomes[{i}]", f"expected one of {', '.join(MAIN_OUTCOMES)}, "
                                f"found {o!r}")
    if any(o.startswith("gap_") or o == "fit_rmse_pp" for o in spec.outcomes):
        obs = base.scenario.observed
        for key in ("safe_public_start", "safe_public_end", "safe_neighbourhood_start",
                    "safe_neighbourhood_end"):
            if getattr(obs, key) is None:
                raise ScenarioError(path, "outcomes", f"expected the scenario's [observed] {key} "
                                    "for the distance to the survey, found nothing")
    sob = spec.sobol
    if sob.samples & (sob.samples - 1):
        raise ScenarioError(path, "sobol.samples", f"expected a power of two, found {sob.samples}")
    if spec.morris.levels % 2:
        raise ScenarioError(path, "morris.levels", f"expected an even number, found {spec.morris.levels}")
    for i, n in enumerate(sob.parameters or []):
        if n not in kept:
            raise ScenarioError(path, f"sobol.parameters[{i}]",
                                f"expected one of the varied parameters, found {n!r}")
    morris_scenario = _scenario(base.scenario, spec, spec.city, path, "city")
    sobol_scenario = _scenario(base.scenario, spec, {**spec.city, **sob.city}, path, "sobol.city")
    for name, (low, high) in zip(kept, bounds):
        for v in (low, high):
            try:
                apply_values(morris_scenario, {f"parameters.{name}": v})
            except (ValueError, KeyError) as exc:
                raise ScenarioError(path, f"parameters.ranges.{name}",
                                    f"expected values the model accepts, found {v:g} ({_short(exc)})") from None
    return LoadedSensitivity(spec, path, base, kept, bounds, morris_scenario, sobol_scenario)


def _scenario(scenario: Scenario, spec: SensitivityFile, city: dict, path: Path, where: str) -> Scenario:
    for key, value in city.items():
        try:
            scenario = apply_values(scenario, {f"city.{key}": value})
        except (ValueError, KeyError) as exc:
            raise ScenarioError(path, f"{where}.{key}", f"expected a [city] key of the scenario and a "
                                f"valid value, found {value!r} ({_short(exc)})") from None
    update = {}
    if spec.years is not None:
        update["run"] = scenario.run.model_copy(update={"years": spec.years})
    if spec.inhabitants_per_agent is not None:
        update["city"] = scenario.city.model_copy(update={"inhabitants_per_agent": spec.inhabitants_per_agent})
    return scenario.model_copy(update=update) if update else scenario


# --- running a design through the store ---------------------------------------------------

def scalars_for(loaded: LoadedSensitivity, scenario: Scenario) -> tuple[str, ...]:
    extra = []
    if loaded.spec.by_year:
        for y in loaded.years(scenario):
            extra += [f"safe_public@{y}-12-31", f"safe_neighbourhood@{y}-12-31"]
    return tuple(BASE_SCALARS + extra)


def _manifest(loaded: LoadedSensitivity, stage: str, scenario: Scenario, names: list[str]) -> dict:
    """What determines a run's result (sizes and replications may grow: runs are reused)."""
    idx = [loaded.names.index(n) for n in names]
    definition = {"stage": stage, "seed": loaded.spec.seed, "parameters": names,
                  "bounds": [loaded.bounds[i] for i in idx],
                  "scenario": scenario.model_dump(mode="json")}
    fingerprint = hashlib.sha256(json.dumps(definition, sort_keys=True, default=str)
                                 .encode()).hexdigest()[:16]
    return {"kind": f"sensitivity-{stage}", "file": str(loaded.path), "fingerprint": fingerprint,
            "created": dt.datetime.now().isoformat(timespec="seconds"), "definition": definition}


@dataclass
class StageRuns:
    report: Report
    runs: pd.DataFrame      # one row per (point, replication): the scalars
    means: pd.DataFrame     # one row per design point: outcomes averaged over replications


def run_design(loaded: LoadedSensitivity, stage: str, X: np.ndarray, names: list[str],
               scenario: Scenario, replications: int, folder: Path, *, scheduler=None,
               workers=None, progress=True, retry_failed=False) -> StageRuns:
    """Run every design point ``replications`` times (stored runs are skipped) and return
    the per-run scalars and the per-point means of the derived outcomes."""
    store = ResultStore(folder).open(_manifest(loaded, stage, scenario, names))
    seed = loaded.spec.seed
    scalars = scalars_for(loaded, scenario)
    points = [{n: float(v) for n, v in zip(names, row)} for row in X]
    ids = [[run_id(scenario.name, values, seed, k) for k in range(replications)] for values in points]
    stored = store.stored_status()
    todo, seen, skipped = [], set(), 0
    for p, values in enumerate(points):
        for k in range(replications):
            rid = ids[p][k]
            if rid in seen:
                continue
            seen.add(rid)
            status = stored.get(rid)
            if status == "ok" or (status == "failed" and not retry_failed):
                skipped += 1
            else:
                todo.append((p, k, values))

    def specs():
        for p, k, values in todo:
            yield RunSpec(point=p, replication=k, seed=seed, scenario=scenario, values=values,
                          overrides={f"parameters.{n}": v for n, v in values.items()},
                          scalars=scalars, city_table=loaded.base.city_table)

    report = execute(specs(), store, total=len(todo), scheduler=scheduler, workers=workers,
                     progress=progress) if todo else Report(folder=str(folder))
    report.skipped = skipped
    stored_runs = store.runs().set_index("run_id")
    flat = [(p, k, ids[p][k]) for p in range(len(points)) for k in range(replications)]
    runs = stored_runs.reindex([rid for _, _, rid in flat])[list(scalars)].reset_index(drop=True)
    runs.insert(0, "replication", [k for _, k, _ in flat])
    runs.insert(0, "point", [p for p, _, _ in flat])
    derived = derive_outcomes(runs, loaded.observed, loaded.years(scenario) if loaded.spec.by_year else [])
    derived.insert(0, "replication", runs["replication"])
    derived.insert(0, "point", runs["point"])
    means = derived.groupby("point").mean().drop(columns="replication").reset_index(drop=True)
    return StageRuns(report, derived, means)


def derive_outcomes(runs: pd.DataFrame, observed: dict, years: list[int]) -> pd.DataFrame:
    """The analysed outcomes, in percentage points, from the stored scalars."""
    pp = 100.0
    out = pd.DataFrame(index=runs.index)
    out["public_change_pp"] = pp * (runs["safe_public_end"] - runs["safe_public_start"])
    out["neighbourhood_change_pp"] = pp * (runs["safe_neighbourhood_end"] - runs["safe_neighbourhood_start"])
    gaps = []
    for measure in ("public", "neighbourhood"):
        for when in ("start", "end"):
            obs = observed.get(f"safe_{measure}_{when}")
            col = f"gap_{measure}_{when}_pp"
            out[col] = (pp * (runs[f"safe_{measure}_{when}"] - obs)).abs() if obs is not None else np.nan
            gaps.append(col)
    out["fit_rmse_pp"] = np.sqrt((out[gaps] ** 2).mean(axis=1))
    out["victimization_pct"] = pp * runs["victimization_12m_end"]
    for y in years:
        out[f"public_change_pp@{y}"] = pp * (runs[f"safe_public@{y}-12-31"] - runs["safe_public_start"])
        out[f"neighbourhood_change_pp@{y}"] = pp * (runs[f"safe_neighbourhood@{y}-12-31"]
                                                    - runs["safe_neighbourhood_start"])
    return out


def noise_table(derived: pd.DataFrame, outcomes: list[str], replications: int) -> pd.DataFrame:
    """How much of the variance is replication noise, per outcome.

    ``single_run``: within-point variance / variance over all runs (the share of a single
    run's variance that is noise); ``point_means``: (within-point variance / R) / variance
    of the point means (the share left in what the indices are computed from)."""
    rows = []
    for o in outcomes:
        if o not in derived or replications < 2:
            continue
        within = float(derived.groupby("point")[o].var(ddof=1).mean())
        total = float(derived[o].var(ddof=1))
        means = float(derived.groupby("point")[o].mean().var(ddof=1))
        rows.append({"outcome": o, "noise_sd": math.sqrt(within), "total_sd": math.sqrt(total),
                     "noise_share_single_run": within / total if total > 0 else float("nan"),
                     "noise_share_point_means": (within / replications) / means if means > 0 else float("nan")})
    return pd.DataFrame(rows)


# --- the analysis -------------------------------------------------------------------------

@dataclass
class StageResult:
    stage: str
    names: list[str]
    runs: StageRuns
    indices: pd.DataFrame
    convergence: pd.DataFrame
    warnings: list[str]
    by_year: pd.DataFrame
    noise: pd.DataFrame
    size: int
    replications: int
    scenario: Scenario


def run_morris(loaded: LoadedSensitivity, out: Path, **exec_kw) -> StageResult:
    spec, m = loaded.spec, loaded.spec.morris
    problem = loaded.problem()
    X = sa.sample(problem, "morris", m.trajectories, seed=m.seed, num_levels=m.levels)
    sr = run_design(loaded, "morris", X, loaded.names, loaded.morris_scenario, m.replications,
                    out / "morris", **exec_kw)
    kw = dict(num_levels=m.levels, conf_level=spec.conf_level, num_resamples=spec.num_resamples,
              seed=m.seed)
    Y = sr.means[spec.outcomes]
    full = sa.morris_indices(problem, X, Y, **kw)
    half = sa.morris_indices(problem, X, Y, trajectories=max(m.trajectories // 2, 2), **kw)
    conv, warnings = sa.convergence(half, full, "morris", m.trajectories)
    year_cols = [c for c in sr.means if "@" in c]
    by_year = sa.morris_indices(problem, X, sr.means[year_cols], **kw) if year_cols else pd.DataFrame()
    noise = noise_table(sr.runs, spec.outcomes + year_cols, m.replications)
    full = _add_noise_floor(full, noise, m.levels, m.replications)
    return StageResult("morris", loaded.names, sr, full, conv, warnings, by_year, noise,
                       m.trajectories, m.replications, loaded.morris_scenario)


def _add_noise_floor(indices: pd.DataFrame, noise: pd.DataFrame, levels: int, reps: int) -> pd.DataFrame:
    """μ* a parameter without any effect would show from replication noise alone:
    E|difference of two noisy means| / Δ = √(2σ²/R)·√(2/π) / Δ (an upper bound: common
    random numbers make neighbouring points' noise partly cancel)."""
    delta = levels / (2 * (levels - 1))
    floor = {r.outcome: math.sqrt(2 * r.noise_sd ** 2 / reps) * math.sqrt(2 / math.pi) / delta
             for r in noise.itertuples()}
    indices = indices.copy()
    indices["noise_floor"] = indices["outcome"].map(floor)
    indices["influential"] = (indices["mu_star"] - indices["mu_star_conf"]) > indices["noise_floor"].fillna(0)
    return indices


def choose_top(loaded: LoadedSensitivity, morris: StageResult) -> list[str]:
    """The file's explicit [sobol] parameters, or the ``top`` most influential: first those
    Morris found above the replication-noise floor on some outcome, then the rest; each
    group ordered by μ* relative to each outcome's largest, maximised over the outcomes.
    (A large μ* with an interval reaching down into the noise is no evidence of an effect,
    so it must not crowd out a smaller but detected one.)"""
    if loaded.spec.sobol.parameters:
        return list(loaded.spec.sobol.parameters)
    return top_parameters(morris.indices, loaded.spec.sobol.top)


def top_parameters(indices: pd.DataFrame, top: int) -> list[str]:
    rel = relative_importance(indices)
    detected = set(indices.loc[indices["influential"].astype(bool), "parameter"])
    order = sorted(rel.index, key=lambda p: (p not in detected, -rel[p]))
    return order[:top]


def relative_importance(indices: pd.DataFrame) -> pd.Series:
    rel = indices.assign(rel=indices["mu_star"] / indices.groupby("outcome")["mu_star"].transform("max"))
    return rel.groupby("parameter")["rel"].max().sort_values(ascending=False)


def run_sobol(loaded: LoadedSensitivity, names: list[str], out: Path, **exec_kw) -> StageResult:
    spec, s = loaded.spec, loaded.spec.sobol
    problem = loaded.problem(names)
    X = sa.sample(problem, "sobol", s.samples, seed=s.seed, second_order=s.second_order)
    sr = run_design(loaded, "sobol", X, names, loaded.sobol_scenario, s.replications,
                    out / "sobol", **exec_kw)
    kw = dict(second_order=s.second_order, conf_level=spec.conf_level,
              num_resamples=spec.num_resamples, seed=s.seed)
    Y = sr.means[spec.outcomes]
    full = sa.sobol_indices(problem, Y, **kw)
    half = sa.sobol_indices(problem, Y, base_samples=max(s.samples // 2, 1), **kw)
    conv, warnings = sa.convergence(half, full, "sobol", s.samples)
    year_cols = [c for c in sr.means if "@" in c]
    by_year = sa.sobol_indices(problem, sr.means[year_cols], **kw) if year_cols else pd.DataFrame()
    noise = noise_table(sr.runs, spec.outcomes + year_cols, s.replications)
    return StageResult("sobol", names, sr, full, conv, warnings, by_year, noise, s.samples,
                       s.replications, loaded.sobol_scenario)


def default_folder(loaded: LoadedSensitivity) -> Path:
    return Path("runs") / f"sensitivity-{loaded.spec.name}"


def sensitivity(source: LoadedSensitivity | Path | str, out: Path | str | None = None, *,
                stages: str = "both", report_dir: Path | str | None = None,
                scheduler: str | None = None, workers: int | None = None,
                progress: bool = True, retry_failed: bool = False) -> dict:
    """Run the Morris stage and (unless ``stages == "morris"``) the Sobol stage on the top
    parameters; write tables, figures and the report to ``report_dir`` (default: OUT).
    Returns {"morris": StageResult, "sobol": StageResult | None, "files": [...]}.
    """
    from experiments.sensitivity_report import write_outputs

    loaded = source if isinstance(source, LoadedSensitivity) else load_sensitivity(source)
    out = Path(out) if out is not None else default_folder(loaded)
    exec_kw = dict(scheduler=scheduler, workers=workers, progress=progress, retry_failed=retry_failed)
    morris = run_morris(loaded, out, **exec_kw)
    sobol = None
    if stages != "morris":
        sobol = run_sobol(loaded, choose_top(loaded, morris), out, **exec_kw)
    files = write_outputs(loaded, morris, sobol, Path(report_dir) if report_dir else out)
    return {"morris": morris, "sobol": sobol, "files": files, "folder": out}
