"""``barrios evaluate``: a programme's effect measured inside the model the way
evaluators measure it, never as a treated-versus-untreated comparison of barrios the
programme chose.

An evaluation file (TOML, e.g. ``evidence/evaluations/street_lighting.toml``) is a study
file (``experiments.study.StudyFile``: base scenario, its changes, seed) that names a
``programme`` (an intervention of ``barrios.INTERVENTIONS``), ``replications`` and a
``[design]``:

- ``randomized``: on ``start`` (the first day of a month) the eligible barrios (all, or
  the top ``eligible_share``/``eligible_count`` by ``indicator``) are assigned at random,
  optionally in ``blocks`` of consecutive rank, ``treated_share`` to the programme and the
  rest to control; difference in differences over ``pre_months`` and ``post_months``;
- ``hot_spots``: the ``eligible_count`` (40) barrios with the most *reported* incidents on
  ``start``, randomized within pairs (after Braga & Weisburd); patrols and operations are
  confined to the treated ones; catchments of one step are measured;
- ``catchment``: a sparse random treatment (``treated_share`` 0.02) against far controls
  (more than ``far_steps`` away), with the catchment (``catchment_steps``) and the weighted
  displacement quotient (Bowers & Johnson 2003);
- ``matched``: the programme as the scenario deploys it (worst first, staggered); each
  adopting barrio against matched never-treated ones (``experiments.matching``), with
  the naive treated-versus-untreated ratio beside it to show the bias;
- any of them at several intensities: ``[design.dose]`` names a ``key`` (``treated_share``,
  a setting of the programme such as ``units`` or ``per_year``, or a parameter) and its
  ``values``: dose-response, the same assignments at each dose (common random numbers).

The assignment is drawn inside each run (``experiments.assignment``) on its own seeded
stream, so it is reproducible and independent of the number of workers. Runs keep the
barrio panel's columns the estimators need and the assignment; ``experiments.effects``
turns them into effects (% change / log rate ratio, percentage points, Cohen's d, WDQ)
with 95% intervals over replications; ``experiments.evaluation_report`` writes the report.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments import effects
from experiments.assignment import Assignment
from experiments.execution import Execution, Report, execute_design
from experiments.files import BadInput
from experiments.runs import Run
from experiments.scenario_files import LoadedScenario, override
from experiments.study import (LoadedStudy, StudyFile, load_study, open_store, scenario_definition,
                               successful)
from simulation.interventions import INTERVENTIONS, Indicator
from simulation.outcomes import GROUPS
from simulation.parameters import PARAMETERS, check_parameter
from simulation.schema import StrictModel

KINDS = ("randomized", "hot_spots", "catchment", "matched")
HOT_SPOTS = 40
"""Hot spots in a ``hot_spots`` design without ``eligible_count``, for a city of
``city.counts_for_population`` people (Quito's 40 patrol units: two for each treated one)."""
SETTING_DOSES = ("units", "per_year", "heavy_handedness")
"""Programme settings a dose may vary (besides ``treated_share`` and parameters)."""


class Dose(StrictModel):
    key: str
    values: list[float] = Field(min_length=1, max_length=50)


class Matching(StrictModel):
    neighbours: int = Field(1, ge=1, le=20)
    caliper: float = Field(0.5, gt=0, le=10)
    on_outcome: bool | None = None  # also match on pre-period incidents (default: if targeted by them)


class Design(StrictModel):
    kind: Literal["randomized", "hot_spots", "catchment", "matched"] = "randomized"
    start: dt.date | None = None       # default: the base scenario's start (matched: the programme's)
    pre_months: int = Field(12, ge=1, le=120)
    post_months: int = Field(24, ge=1, le=240)
    follow_up_months: int = Field(3, ge=1, le=60)  # shares: mean over each window's last months
    indicator: Indicator | None = None    # default: the programme's (hot spots: incidents)
    eligible_share: float = Field(1.0, gt=0, le=1)
    eligible_count: int | None = Field(None, ge=2, le=250_000)
    treated_share: float | None = Field(None, gt=0, lt=1)
    blocks: int | None = Field(None, ge=1, le=250_000)
    ramp_months: float = Field(0.0, ge=0, le=120)
    catchment_steps: int | None = Field(None, ge=0, le=20)
    far_steps: int | None = Field(None, ge=1, le=100)
    dose: Dose | None = None
    matching: Matching = Matching()

    @model_validator(mode="after")
    def _windows(self):
        if self.follow_up_months > min(self.pre_months, self.post_months):
            raise ValueError(f"follow_up_months ({self.follow_up_months}) must not exceed "
                             f"pre_months ({self.pre_months}) or post_months ({self.post_months})")
        return self

    # the kind's defaults
    @property
    def share(self) -> float:
        return self.treated_share or (0.02 if self.kind == "catchment" else 0.5)

    @property
    def count(self) -> int | None:
        return self.eligible_count or (HOT_SPOTS if self.kind == "hot_spots" else None)

    @property
    def strata(self) -> int | None:
        if self.blocks is None and self.kind == "hot_spots":
            return math.ceil(self.count / 2)   # pairs of consecutive rank
        return self.blocks

    @property
    def catchment(self) -> int:
        if self.catchment_steps is not None:
            return self.catchment_steps
        return 1 if self.kind in ("hot_spots", "catchment") else 0

    @property
    def far(self) -> int:
        return self.far_steps or 2 * max(self.catchment, 1) + 1


class EvaluationFile(StudyFile):
    programme: str
    replications: int = Field(10, ge=2, le=10_000)
    design: Design = Design()
    outcomes: list[str] = Field(default_factory=lambda: list(effects.EFFECT_OUTCOMES))
    groups: list[str] = Field(default_factory=lambda: list(GROUPS))


@dataclass(frozen=True, eq=False)
class LoadedEvaluation(LoadedStudy[EvaluationFile]):
    window: LoadedScenario | None = None  # the base scenario over the evaluation's months
    start: dt.date | None = None          # the trial's start
    indicator: str = "disadvantage"
    doses: list[float | None] = field(default_factory=lambda: [None])

    @property
    def design(self) -> Design:
        """The file's design on this city. Hot spots' default count (``HOT_SPOTS``, for
        Quito's 2.8 million) scales with the city as its police does (``city.count_scale``),
        so a treated hot spot gets the same patrols in a smaller city: with 40 on a quarter
        city, a quarter of the units spread over as many hot spots cut crime a third as
        much (-13% against -40%)."""
        design = self.spec.design
        if design.kind != "hot_spots" or design.eligible_count is not None or self.window is None:
            return design
        scale = self.window.scenario.city.count_scale
        return design.model_copy(update={"eligible_count": max(2, round(HOT_SPOTS * scale))})

    @property
    def start_day(self) -> int:
        return (self.start - self.window.scenario.run.start).days

    @property
    def outcomes(self) -> list[effects.EffectOutcome]:
        return [effects.EFFECT_OUTCOMES[o] for o in self.spec.outcomes]

    def definition(self) -> dict:
        return {"evaluation": self.spec.model_dump(mode="json", exclude={"name", "description"}),
                "scenario": scenario_definition(self.window)}


def load_evaluation(path: Path | str, *, replications: int | None = None) -> LoadedEvaluation:
    """Read and check an evaluation file; every problem is a one-line BadInput."""
    loaded = load_study(path, EvaluationFile, "evaluation file")
    spec, path = loaded.spec, loaded.path
    if replications is not None:
        spec = spec.model_copy(update={"replications": replications})
    _check_names(spec, path)
    for key in ("start", "years"):
        if getattr(spec.run, key) is not None:
            raise BadInput(path, f"run.{key}", "expected no run start or length (the design's "
                           f"start, pre_months and post_months set them), found {key} = "
                           f"{getattr(spec.run, key)}")
    start = _start(spec, loaded.base, path)
    first = add_months(start, -spec.design.pre_months)
    last = add_months(start, spec.design.post_months)
    window = override(loaded.base, {"run": {"start": first, "years": (last - first).days / 365}},
                      f"{path} (design.start and the windows)")
    doses = _doses(spec, path)
    indicator = spec.design.indicator or _default_indicator(spec, loaded.base)
    return LoadedEvaluation(spec, path, loaded.base, window, start, indicator, doses)


def _check_names(spec: EvaluationFile, path: Path):
    if spec.programme not in INTERVENTIONS:
        raise BadInput(path, "programme", f"expected one of {', '.join(INTERVENTIONS)}, found "
                       f"{spec.programme!r}")
    for key, names, allowed in (("outcomes", spec.outcomes, effects.EFFECT_OUTCOMES),
                                ("groups", spec.groups, GROUPS)):
        for i, name in enumerate(names):
            if name not in allowed:
                raise BadInput(path, f"{key}[{i}]", f"expected one of {', '.join(allowed)}, "
                               f"found {name!r}")
    if not spec.outcomes:
        raise BadInput(path, "outcomes", "expected at least one outcome, found none")
    design, counts = spec.design, INTERVENTIONS[spec.programme].counts
    if design.kind == "matched" and counts != "barrios":
        raise BadInput(path, "design.kind", f"expected a design for {spec.programme} "
                       "(randomized or hot_spots: patrols and operations cover no barrio to "
                       "match on), found 'matched'")


def _start(spec: EvaluationFile, base: LoadedScenario, path: Path) -> dt.date:
    design = spec.design
    start = design.start
    if start is None and design.kind == "matched":
        cfg = base.scenario.interventions.active().get(spec.programme)
        if cfg is None:
            raise BadInput(path, "programme", f"expected a programme the scenario deploys (a "
                           f"matched design evaluates it as deployed), found {spec.programme} "
                           "off in the scenario")
        start = cfg.start.replace(day=1)
    start = start or base.scenario.run.start
    if start.day != 1:
        raise BadInput(path, "design.start", f"expected the first day of a month (coverage is "
                       f"planned monthly), found {start}")
    return start


def _default_indicator(spec: EvaluationFile, base: LoadedScenario) -> str:
    if spec.design.kind == "hot_spots":
        return "incidents"
    cfg = base.scenario.interventions.active().get(spec.programme)
    return cfg.indicator if cfg is not None else INTERVENTIONS[spec.programme].indicator


def _doses(spec: EvaluationFile, path: Path) -> list[float | None]:
    dose = spec.design.dose
    if dose is None:
        return [None]
    entry = INTERVENTIONS[spec.programme]
    settings = [k for k in SETTING_DOSES if k in entry.settings.model_fields]
    allowed = ["treated_share", *settings, "any parameter (barrios params)"]
    for i, value in enumerate(dose.values):
        where = f"design.dose.values[{i}]"
        if dose.key == "treated_share":
            if spec.design.kind == "matched" or not 0 < value < 1:
                raise BadInput(path, where, f"expected a share in (0, 1) for a design that "
                               f"assigns, found {value:g} ({spec.design.kind})")
        elif dose.key in settings:
            _check_setting(entry, dose.key, value, path, where)
        elif dose.key in PARAMETERS:
            try:
                check_parameter(dose.key, value)
            except ValueError as exc:
                raise BadInput(path, where, str(exc)) from None
        else:
            raise BadInput(path, "design.dose.key", f"expected one of {', '.join(allowed)}, "
                           f"found {dose.key!r}")
    return list(dose.values)


def _check_setting(entry, key: str, value: float, path: Path, where: str):
    from pydantic import ValidationError

    try:
        entry.settings.model_validate({key: int(value) if key == "units" else value})
    except ValidationError as exc:
        raise BadInput(path, where, f"expected a valid {key}, found {value:g} "
                       f"({exc.errors()[0]['msg']})") from None
    if key == "units" and value != int(value):
        raise BadInput(path, where, f"expected a whole number of units, found {value:g}")


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# --- design ---------------------------------------------------------------------------------


def panel_columns(loaded: LoadedEvaluation) -> tuple[str, ...]:
    """The panel columns the estimators read."""
    columns = ["incidents", loaded.spec.programme]
    for outcome in loaded.outcomes:
        for group in ("", *loaded.spec.groups) if outcome.by_group else ("",):
            columns += [c for c in effects.panel_columns(outcome, group) if c]
    return tuple(dict.fromkeys(columns))


def design_runs(loaded: LoadedEvaluation) -> list[Run]:
    spec, design = loaded.spec, loaded.design
    key = design.dose.key if design.dose else None
    runs = []
    for point, dose in enumerate(loaded.doses):
        for k in range(spec.replications):
            runs.append(Run(point=point, replication=k, seed=spec.seed,
                            scenario=loaded.window.scenario,
                            values={} if dose is None else {"dose": dose},
                            overrides={f"parameters.{key}": dose} if key in PARAMETERS else {},
                            hook=_hook(loaded, key, dose, k), panel=panel_columns(loaded),
                            city_table=loaded.window.city_table))
    return runs


def _hook(loaded: LoadedEvaluation, key: str | None, dose, replication: int) -> Assignment:
    design = loaded.design
    matched = design.kind == "matched"
    settings = ((key, int(dose) if key == "units" else dose),) if key in SETTING_DOSES else ()
    return Assignment(day=0 if matched else loaded.start_day, programme=loaded.spec.programme,
                      kind=design.kind, indicator=loaded.indicator, seed=loaded.spec.seed,
                      replication=replication, eligible_share=design.eligible_share,
                      eligible_count=design.count,
                      treated_share=dose if key == "treated_share" else design.share,
                      blocks=design.strata, ramp_months=design.ramp_months,
                      catchment_steps=design.catchment, far_steps=design.far, settings=settings)


# --- running and analysing --------------------------------------------------------------------


@dataclass
class EvaluationResult:
    loaded: LoadedEvaluation
    report: Report
    folder: Path
    effects: pd.DataFrame      # per dose, comparison, outcome, group, measure: over replications
    estimates: pd.DataFrame    # the same, per replication
    events: pd.DataFrame       # event study: per dose, outcome and month offset
    balance: pd.DataFrame      # standardized mean differences of the covariates
    arms: pd.DataFrame         # barrios per area (mean over replications)
    files: list[Path] = field(default_factory=list)


def evaluate(loaded: LoadedEvaluation, out: Path | None = None,
             execution: Execution = Execution(), client=None) -> EvaluationResult:
    """Run the evaluation's design (what the store lacks; on ``client``, a Dask client the
    caller holds, if given) and analyse it."""
    folder = out or Path("runs") / f"evaluate-{loaded.name}-{loaded.spec.seed}"
    with open_store(folder, "evaluate", loaded.definition(), loaded.sources) as store:
        report = execute_design(design_runs(loaded), store, execution, client)
        runs = store.runs()
        runs = successful(runs[runs["replication"] < loaded.spec.replications], folder)
        panel = store.dataset("panel", run_ids=runs["run_id"])
        barrios = store.dataset("barrios", run_ids=runs["run_id"])
    return EvaluationResult(loaded, report, folder, *analyse(loaded, runs, panel, barrios))


def analyse(loaded: LoadedEvaluation, runs: pd.DataFrame, panel: pd.DataFrame,
            barrios: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    """Per-run estimates, then their summaries over replications."""
    dose_of = dict(zip(runs["run_id"], runs["dose"] if "dose" in runs else [math.nan] * len(runs)))
    panels = dict(tuple(panel.groupby("run_id", sort=False)))
    tables = dict(tuple(barrios.groupby("run_id", sort=False)))
    estimates, events, balances, arms = [], [], [], []
    for rid in runs["run_id"]:
        tagged = {"run_id": rid, "dose": dose_of[rid]}
        result = analyse_run(loaded, panels[rid], tables[rid])
        estimates += [{**tagged, **row} for row in result.estimates]
        events.append(result.events.assign(**tagged))
        balances += [{**tagged, **row} for row in result.balance]
        arms.append({**tagged, **result.arms})
    estimates = pd.DataFrame(estimates)
    events = pd.concat(events, ignore_index=True)
    summary = effects.summarize(estimates)
    wdq = pooled_wdq(estimates)
    if len(wdq):
        summary = pd.concat([summary, wdq], ignore_index=True)
    event_summary = effects.summarize(events.assign(se=math.nan, measure="event"),
                                      keys=("dose", "outcome", "offset"))
    balance = pd.DataFrame(balances)
    balance = (balance.drop(columns="run_id").groupby(["dose", "stage", "covariate"], dropna=False)
               .mean().reset_index()) if len(balance) else balance
    arms = pd.DataFrame(arms).drop(columns="run_id").groupby("dose", dropna=False).mean().reset_index()
    return summary, estimates, event_summary, balance, arms


@dataclass
class RunAnalysis:
    estimates: list[dict]
    events: pd.DataFrame
    balance: list[dict]
    arms: dict


def analyse_run(loaded: LoadedEvaluation, panel: pd.DataFrame, table: pd.DataFrame) -> RunAnalysis:
    """Everything one run tells: its estimates, event study, balance and arm sizes."""
    design, programme = loaded.design, loaded.spec.programme
    matrix = effects.MonthMatrix(panel, [c for c in panel.columns if c not in
                                         ("run_id", "barrio_id", "month")])
    covariates = table[["barrio_id", *_covariate_names()]]
    balance: list[dict] = []
    if design.kind == "matched":
        from experiments.matching import match, naive_ratio

        matched = match(matrix, programme, covariates, loaded.indicator, design.pre_months,
                        design.post_months, design.matching.neighbours, design.matching.caliper,
                        design.matching.on_outcome)
        units, comparisons = matched.units, {"direct": effects.COMPARISONS["direct"]}
        balance += _balance_rows("before matching", matched.pool_features, matched.pool_treated)
        treated = matched.units.area == "treatment"
        balance += _balance_rows("after matching", matched.features, treated,
                                 matched.units.weight)
        extra = [{"comparison": "naive", "outcome": "incidents", "group": "everyone",
                  "measure": "log_rate_ratio", "se": math.nan,
                  "value": naive_ratio(matrix, programme, design.pre_months)}]
        arms = {"treated_adopters": matched.treated, "dropped_outside_caliper": matched.dropped,
                "treatment": int(treated.sum()), "control_units": int((~treated).sum())}
    else:
        units = effects.Units.fixed(table["barrio_id"].to_numpy(), table["area"].to_numpy(),
                                    design.pre_months, design.pre_months, design.post_months)
        comparisons = _comparisons(design.kind, design.catchment)
        pre_incidents = effects.period_values(units, matrix, "incidents", "count", 1)[0]
        features = covariates.drop(columns="barrio_id").assign(
            incidents_pre=pre_incidents / design.pre_months)
        balance += _balance_rows("at assignment", features, units.area == "treatment",
                                 mask_b=units.area == "control")
        extra = effects.displacement_rows(units, matrix, loaded.outcomes) if design.catchment else []
        arms = table["area"].value_counts().to_dict()
    rows = effects.estimate_run(units, matrix, loaded.outcomes, loaded.spec.groups,
                                design.follow_up_months, comparisons) + extra
    events = pd.concat([effects.event_study(units, matrix, o, design.pre_months,
                                            design.post_months) for o in loaded.outcomes],
                       ignore_index=True)
    return RunAnalysis(rows, events, balance, arms)


def _covariate_names() -> list[str]:
    from experiments.assignment import COVARIATES

    return list(COVARIATES)


def _comparisons(kind: str, catchment_steps: int) -> dict:
    if catchment_steps == 0:
        return {"direct": effects.COMPARISONS["direct"]}
    comparisons = dict(effects.COMPARISONS)
    if kind == "catchment":  # far controls have no catchment: compare with them directly
        comparisons["catchment"] = ("catchment", "control", "untreated barrios next to treated "
                                    "ones against far controls")
        comparisons["net"] = (("treatment", "catchment"), "control",
                              "treated barrios with their catchment against far controls")
    return comparisons


def _balance_rows(stage: str, features: pd.DataFrame, in_a, weight=None, mask_b=None) -> list[dict]:
    if features.empty or in_a.sum() == 0:
        return []
    in_b = ~in_a if mask_b is None else mask_b
    if in_b.sum() == 0:
        return []
    smd = effects.balance(features.reset_index(drop=True), np.asarray(in_a), np.asarray(in_b),
                          None if weight is None else np.asarray(weight))
    return [{"stage": stage, "covariate": k, "smd": v} for k, v in smd.items()]


def pooled_wdq(estimates: pd.DataFrame) -> pd.DataFrame:
    """The WDQ of the counts summed over replications (a ratio of sums: stabler than the
    mean of per-replication quotients), per dose and outcome."""
    totals = estimates[estimates["measure"].str.startswith("total_")]
    if totals.empty:
        return pd.DataFrame()
    rows = []
    for (dose, outcome), df in totals.groupby(["dose", "outcome"], dropna=False):
        t = df.groupby("measure")["value"].sum()
        pair = lambda area: (t[f"total_{area}_before"], t[f"total_{area}_after"])  # noqa: E731
        own = pair("control_catchment") if "total_control_catchment_before" in t else None
        result = effects.displacement(pair("treatment"), pair("catchment"), pair("control"), own)
        for measure, value in (("pooled_wdq", result.wdq), ("pooled_success_measure", result.success),
                               ("pooled_buffer_measure", result.buffer)):
            rows.append({"dose": dose, "comparison": "catchment", "outcome": outcome,
                         "group": "everyone", "measure": measure,
                         "replications": df["run_id"].nunique(), "mean": value})
    return pd.DataFrame(rows)
