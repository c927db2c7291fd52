"""``barrios sensitivity``: Morris screening, then Sobol indices, of a scenario.

A sensitivity file (TOML, e.g. ``experiments/sensitivity_quito.toml``) is a study file
(``experiments.study.StudyFile``: base scenario, its changes, seed) that says which
parameters to vary (``[vary]``: default every behavioural and intervention-effect
parameter with a plausible range, ``barrios params``; the plausible range is the interval
explored) and the two stages:

- ``[morris]``: ``trajectories`` of D+1 points on a ``levels``-level grid, each point run
  ``replications`` times;
- ``[sobol]``: the ``top`` parameters by Morris μ* (or an explicit ``parameters`` list)
  on ``samples`` (N, a power of two) base samples, N·(D+2) points, optionally on its own
  smaller ``[sobol.city]``.

Every run goes through the study kernel (``experiments.execution.execute_design``) into a
result folder (OUT/morris, OUT/sobol), so an interrupted analysis resumes (stored run ids
are skipped) and ``--scheduler`` runs it on a Dask cluster. Replication k of every design
point uses the same seed stream (common random numbers); outcomes are averaged over
replications before the indices are computed, and the report says how much of the
variance is replication noise. The indices themselves come from
``experiments.sensitivity`` (generic, SALib); the report from
``experiments.sensitivity_report``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field

from experiments import sensitivity as sa
from experiments.execution import Execution, Report, execute_design
from experiments.files import BadInput
from experiments.runs import Run, changed, run_id
from experiments.scenario_files import LoadedScenario, override
from experiments.study import (LoadedStudy, StudyFile, load_study, open_store, scenario_definition,
                               successful)
from simulation.config import Scenario
from simulation.parameters import PARAMETERS
from simulation.schema import StrictModel

DEFAULT_GROUPS = ["routine", "victimization", "offending", "perception", "committees",
                  "police", "programmes"]
"""Behavioural and intervention-effect parameter groups (not the census shares, nor the
form of the mechanisms, ``structure``)."""

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
"""What the analysis computes from each run's registry outcomes (``derive_outcomes``):
the two rises (``safe_*_change``) in points, each distance to the survey and their root
mean square, and ``victimization_12m_end`` in percent."""
OUTCOME_TEXT_ES = {
    "public_change_pp": "cambio en la seguridad percibida en espacios públicos, del inicio al "
                        "final (puntos)",
    "neighbourhood_change_pp": "cambio en la seguridad percibida en el barrio, del inicio al "
                               "final (puntos)",
    "gap_public_start_pp": "|simulado − observado| espacios públicos al inicio (puntos)",
    "gap_public_end_pp": "|simulado − observado| espacios públicos al final (puntos)",
    "gap_neighbourhood_start_pp": "|simulado − observado| barrio al inicio (puntos)",
    "gap_neighbourhood_end_pp": "|simulado − observado| barrio al final (puntos)",
    "fit_rmse_pp": "raíz del error cuadrático medio de las cuatro brechas con la encuesta "
                   "(puntos)",
    "victimization_pct": "víctimas en los últimos 12 meses, al final (%)",
}
MAIN_OUTCOMES = list(OUTCOME_TEXT)
BASE_SCALARS = ["safe_public_start", "safe_public_end", "safe_neighbourhood_start",
                "safe_neighbourhood_end", "victimization_12m_end"]


class Range(StrictModel):
    low: float | None = None
    high: float | None = None


class ParameterSelection(StrictModel):
    groups: list[str] = Field(default_factory=lambda: list(DEFAULT_GROUPS))
    include: list[str] = Field(default_factory=list)   # added to the groups' parameters
    exclude: list[str] = Field(default_factory=list)
    ranges: dict[str, Range] = Field(default_factory=dict)  # instead of the plausible range


class MorrisStage(StrictModel):
    trajectories: int = Field(6, ge=2, le=10_000)
    levels: int = Field(4, ge=2, le=20)
    replications: int = Field(2, ge=1, le=1000)
    seed: int = Field(1, ge=0)


class SobolStage(StrictModel):
    samples: int = Field(1024, ge=2, le=1_048_576)
    top: int = Field(8, ge=1, le=200)
    parameters: list[str] | None = None
    second_order: bool = False
    replications: int = Field(1, ge=1, le=1000)
    seed: int = Field(2, ge=0)
    city: dict[str, int | float] = Field(default_factory=dict)   # changes the [city] again


class SensitivityFile(StudyFile):
    vary: ParameterSelection = ParameterSelection()
    morris: MorrisStage = MorrisStage()
    sobol: SobolStage = SobolStage()
    outcomes: list[str] = Field(default_factory=lambda: list(MAIN_OUTCOMES))
    by_year: bool = True
    conf_level: float = Field(0.95, gt=0.5, lt=1)
    num_resamples: int = Field(1000, ge=10, le=100_000)


@dataclass(frozen=True, eq=False)
class LoadedSensitivity(LoadedStudy[SensitivityFile]):
    names: list[str] = field(default_factory=list)
    bounds: list[list[float]] = field(default_factory=list)
    sobol_base: LoadedScenario | None = None    # the base with [sobol.city] too

    @property
    def morris_scenario(self) -> Scenario:
        return self.base.scenario

    @property
    def sobol_scenario(self) -> Scenario:
        return self.sobol_base.scenario

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
    """Read and check a sensitivity file; every problem is a one-line BadInput.
    ``trajectories`` and ``samples`` replace the file's Morris r and Sobol N (the command
    line's --trajectories / --samples; the designs grow by prefixes, so stored runs count)."""
    study = load_study(path, SensitivityFile, "sensitivity file")
    spec, path = study.spec, study.path
    if trajectories is not None:
        spec = spec.model_copy(update={"morris": spec.morris.model_copy(update={"trajectories": trajectories})})
    if samples is not None:
        spec = spec.model_copy(update={"sobol": spec.sobol.model_copy(update={"samples": samples})})
    names, bounds = _varied(spec, path)
    _check_outcomes_and_stages(spec, path, study.base, names)
    for name, (low, high) in zip(names, bounds):
        for v in (low, high):
            try:
                changed(study.base.scenario, {f"parameters.{name}": v})
            except BadInput as exc:
                raise BadInput(path, f"vary.ranges.{name}", f"expected values the model "
                               f"accepts, found {v:g} ({exc.detail})") from None
    sobol_base = override(study.base, {"city": dict(spec.sobol.city)}, path,
                          keys={"city": "sobol.city"})
    return LoadedSensitivity(spec, path, study.base, names, bounds, sobol_base)


def _varied(spec: SensitivityFile, path: Path) -> tuple[list[str], list[list[float]]]:
    """The varied parameters (registry order) and their ranges."""
    vary = spec.vary
    groups = sorted({p.group for p in PARAMETERS.values()})
    for i, g in enumerate(vary.groups):
        if g not in groups:
            raise BadInput(path, f"vary.groups[{i}]", f"expected one of {', '.join(groups)}, found {g!r}")
    for key in ("include", "exclude"):
        for i, n in enumerate(getattr(vary, key)):
            if n not in PARAMETERS:
                raise BadInput(path, f"vary.{key}[{i}]",
                               f"expected a parameter listed by `barrios params`, found {n!r}")
    names = [p.name for p in PARAMETERS.values()
             if (p.group in vary.groups or p.name in vary.include) and p.name not in vary.exclude]
    kept, bounds = [], []
    for name in names:
        p = PARAMETERS[name]
        r = vary.ranges.get(name)
        low = r.low if r and r.low is not None else p.plausible[0]
        high = r.high if r and r.high is not None else p.plausible[1]
        if low == high and not r:
            continue  # a fixed parameter (e.g. safe_threshold): nothing to explore
        if not low < high:
            raise BadInput(path, f"vary.ranges.{name}", f"expected low < high, found "
                           f"low={low:g}, high={high:g}")
        if not (p.bounds[0] <= low and high <= p.bounds[1]):
            raise BadInput(path, f"vary.ranges.{name}", f"expected a range within the valid "
                           f"bounds {p.bounds[0]:g}–{p.bounds[1]:g}, found {low:g}–{high:g}")
        kept.append(name)
        bounds.append([float(low), float(high)])
    for name in vary.ranges:
        if name not in kept:
            raise BadInput(path, f"vary.ranges.{name}",
                           f"expected a varied parameter (in the groups or include), found {name!r}")
    if not kept:
        raise BadInput(path, "vary", "expected at least one parameter to vary, found none")
    return kept, bounds


def _check_outcomes_and_stages(spec: SensitivityFile, path: Path, base: LoadedScenario,
                               names: list[str]):
    for i, o in enumerate(spec.outcomes):
        if o not in MAIN_OUTCOMES:
            raise BadInput(path, f"outcomes[{i}]", f"expected one of {', '.join(MAIN_OUTCOMES)}, "
                           f"found {o!r}")
    if any(o.startswith("gap_") or o == "fit_rmse_pp" for o in spec.outcomes):
        obs = base.scenario.observed
        for key in ("safe_public_start", "safe_public_end", "safe_neighbourhood_start",
                    "safe_neighbourhood_end"):
            if getattr(obs, key) is None:
                raise BadInput(path, "outcomes", f"expected the scenario's [observed] {key} "
                               "for the distance to the survey, found nothing")
    sob = spec.sobol
    if sob.samples & (sob.samples - 1):
        raise BadInput(path, "sobol.samples", f"expected a power of two, found {sob.samples}")
    if spec.morris.levels % 2:
        raise BadInput(path, "morris.levels", f"expected an even number, found {spec.morris.levels}")
    for i, n in enumerate(sob.parameters or []):
        if n not in names:
            raise BadInput(path, f"sobol.parameters[{i}]",
                           f"expected one of the varied parameters, found {n!r}")


# --- running a design through the store ---------------------------------------------------

def scalars_for(loaded: LoadedSensitivity, scenario: Scenario) -> tuple[str, ...]:
    extra = []
    if loaded.spec.by_year:
        for y in loaded.years(scenario):
            extra += [f"safe_public@{y}-12-31", f"safe_neighbourhood@{y}-12-31"]
    return tuple(BASE_SCALARS + extra)


def definition(loaded: LoadedSensitivity, stage: str, base: LoadedScenario, names: list[str]) -> dict:
    """What a stage's runs depend on (sizes and replications may grow: runs are reused)."""
    idx = [loaded.names.index(n) for n in names]
    return {"stage": stage, "seed": loaded.spec.seed, "parameters": names,
            "bounds": [loaded.bounds[i] for i in idx], **scenario_definition(base)}


@dataclass
class StageRuns:
    report: Report
    runs: pd.DataFrame      # one row per (point, replication): the scalars
    means: pd.DataFrame     # one row per design point: outcomes averaged over replications


def run_design(loaded: LoadedSensitivity, stage: str, X: np.ndarray, names: list[str],
               base: LoadedScenario, replications: int, folder: Path,
               execution: Execution) -> StageRuns:
    """Run every design point ``replications`` times (stored runs are skipped) and return
    the per-run scalars and the per-point means of the derived outcomes."""
    seed, scenario = loaded.spec.seed, base.scenario
    scalars = scalars_for(loaded, scenario)
    points = [{n: float(v) for n, v in zip(names, row)} for row in X]
    runs = [Run(point=p, replication=k, seed=seed, scenario=scenario, values=values,
                overrides={f"parameters.{n}": v for n, v in values.items()},
                scalars=scalars, city_table=base.city_table)
            for p, values in enumerate(points) for k in range(replications)]
    with open_store(folder, f"sensitivity-{stage}", definition(loaded, stage, base, names),
                    loaded.sources) as store:
        report = execute_design(runs, store, execution)
        stored = store.runs()
    successful(stored, folder)
    stored_runs = stored.set_index("run_id")
    flat = [(p, k, run_id(scenario.name, points[p], seed, k))
            for p in range(len(points)) for k in range(replications)]
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


def run_morris(loaded: LoadedSensitivity, out: Path, execution: Execution) -> StageResult:
    spec, m = loaded.spec, loaded.spec.morris
    problem = loaded.problem()
    X = sa.sample(problem, "morris", m.trajectories, seed=m.seed, num_levels=m.levels)
    sr = run_design(loaded, "morris", X, loaded.names, loaded.base, m.replications,
                    out / "morris", execution)
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


def run_sobol(loaded: LoadedSensitivity, names: list[str], out: Path,
              execution: Execution) -> StageResult:
    spec, s = loaded.spec, loaded.spec.sobol
    problem = loaded.problem(names)
    X = sa.sample(problem, "sobol", s.samples, seed=s.seed, second_order=s.second_order)
    sr = run_design(loaded, "sobol", X, names, loaded.sobol_base, s.replications,
                    out / "sobol", execution)
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
    return Path("runs") / f"sensitivity-{loaded.name}"


@dataclass
class SensitivityResult:
    loaded: LoadedSensitivity
    folder: Path
    morris: StageResult
    sobol: StageResult | None


def sensitivity(source: LoadedSensitivity | Path | str, out: Path | str | None = None, *,
                stages: str = "both", execution: Execution = Execution()) -> SensitivityResult:
    """Run the Morris stage and (unless ``stages == "morris"``) the Sobol stage on the top
    parameters (``experiments.sensitivity_report`` writes the tables, figures and report)."""
    loaded = source if isinstance(source, LoadedSensitivity) else load_sensitivity(source)
    out = Path(out) if out is not None else default_folder(loaded)
    morris = run_morris(loaded, out, execution)
    sobol = None
    if stages != "morris":
        sobol = run_sobol(loaded, choose_top(loaded, morris), out, execution)
    return SensitivityResult(loaded, out, morris, sobol)
