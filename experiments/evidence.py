"""``barrios evidence``: every programme's simulated effect held against the published
evaluations in the evidence table (``evidence/table.toml``).

The table is data: one ``[[entry]]`` per published finding, with the programme, the
outcome and how it was measured (``comparison``, ``measure``), the published effect in
Barrios' sign convention (treated minus control: negative = fewer incidents, positive =
more people feeling safe) and what kind of statement it is (``interval``):

- ``ci95`` / ``range``: a 95% interval, or the range between estimates (e.g. fixed and
  random effects, or two meta-analyses); the model **agrees** when its 95% interval
  overlaps it;
- ``point``: a value without an interval we could read; the model agrees when the value
  is among the effects single trials in the model report (their 2.5-97.5% range);
- ``at_most`` / ``at_least``: a bound ("at least a 36% reduction" is ``at_most = -36``);
  the model agrees when its interval reaches past the bound;
- ``direction``: a sign only (``effect`` +1 or -1); the model agrees when its interval
  excludes 0 on that side;
- ``null``: no significant effect; ``low``/``high`` is the band we read as "no effect"
  (say so in ``note``); the model agrees when its interval lies inside the band, or when
  it finds no significant effect either (its interval includes 0, its mean in the band);
  otherwise it is stronger on the beneficial side and opposite on the adverse side;
- ``none``: no controlled evaluation exists; listed so the gap is visible.

Otherwise the model is **weaker** (same direction, smaller), **stronger**, or in the
**opposite** direction, and the reason is written out. Each entry names the
``evaluation`` file whose design reproduces the published one; ``barrios evidence`` runs
each file once (one Dask cluster for all) and writes the validation report
(``experiments.evidence_report``). An entry with ``per_participant = PARAMETER`` compares
effects of participation (published treatment-on-the-treated): the model's
intention-to-treat effect divided by the participation share (Bloom 1984).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from experiments import effects
from experiments.evaluation import EvaluationResult, LoadedEvaluation, evaluate, load_evaluation
from experiments.execution import Execution, dask_client
from experiments.files import BadInput, existing_file, read_toml, validate
from simulation.interventions import INTERVENTIONS
from simulation.parameters import PARAMETERS, Params
from simulation.schema import StrictModel

Interval = Literal["ci95", "range", "point", "at_most", "at_least", "direction", "null", "none"]
MEASURES = {"count": ("percent_change", "cohens_d"), "share": ("points", "cohens_d")}


class Entry(StrictModel):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    programme: str
    claim: str
    outcome: str = "incidents"
    group: str = "everyone"
    comparison: Literal["direct", "catchment", "net"] = "direct"
    measure: Literal["percent_change", "points", "cohens_d"] = "percent_change"
    interval: Interval
    effect: float | None = None
    low: float | None = None
    high: float | None = None
    design: str
    studies: int | None = Field(None, ge=1)
    setting: str = ""
    source: str
    read_at: str = ""
    evaluation: str | None = None
    dose: float | None = None
    per_participant: str | None = None
    note: str = ""

    @model_validator(mode="after")
    def _statement(self):
        kind = self.interval
        if kind in ("ci95", "range", "null"):
            if self.low is None or self.high is None or not self.low < self.high:
                raise ValueError(f"interval = '{kind}' needs low < high, found low = {self.low}, "
                                 f"high = {self.high}")
        elif kind in ("point", "at_most", "at_least") and self.effect is None:
            raise ValueError(f"interval = '{kind}' needs an effect")
        elif kind == "direction" and self.effect not in (1.0, -1.0):
            raise ValueError(f"interval = 'direction' needs effect = 1 or -1, found {self.effect}")
        if (kind == "none") != (self.evaluation is None):
            raise ValueError("an entry names an evaluation unless interval = 'none' (no "
                             "controlled evaluation to reproduce)")
        return self


class EvidenceTable(StrictModel):
    description: str = ""
    entry: list[Entry] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedEvidence:
    path: Path
    table: EvidenceTable
    evaluations: dict[str, LoadedEvaluation]   # by the entries' ``evaluation`` text

    def entries(self, only=None) -> list[Entry]:
        return [e for e in self.table.entry if not only or e.programme in only]


def load_evidence(path: Path | str, *, replications: int | None = None) -> LoadedEvidence:
    """Read and check the evidence table and every evaluation file it names."""
    path = existing_file(path, "evidence table")
    table = validate(EvidenceTable, read_toml(path), path)
    evaluations: dict[str, LoadedEvaluation] = {}
    seen = set()
    for i, entry in enumerate(table.entry):
        where = f"entry[{i}]"
        if entry.id in seen:
            raise BadInput(path, f"{where}.id", f"expected a unique id, found {entry.id!r} twice")
        seen.add(entry.id)
        _check_entry(entry, path, where)
        if entry.evaluation is not None:
            if entry.evaluation not in evaluations:
                file = (path.parent / entry.evaluation).resolve()
                if not file.is_file():
                    raise BadInput(path, f"{where}.evaluation", "expected an existing evaluation "
                                   f"file, found {entry.evaluation!r} (no such file)")
                evaluations[entry.evaluation] = load_evaluation(file, replications=replications)
            _check_against(entry, evaluations[entry.evaluation], path, where)
    return LoadedEvidence(path, table, evaluations)


def _check_entry(entry: Entry, path: Path, where: str):
    checks = (("programme", entry.programme, INTERVENTIONS),
              ("outcome", entry.outcome, effects.EFFECT_OUTCOMES),
              ("group", entry.group, ("everyone", *effects_groups())))
    for key, value, allowed in checks:
        if value not in allowed:
            raise BadInput(path, f"{where}.{key}", f"expected one of {', '.join(allowed)}, "
                           f"found {value!r}")
    kind = effects.EFFECT_OUTCOMES[entry.outcome].kind
    if entry.measure not in MEASURES[kind]:
        raise BadInput(path, f"{where}.measure", f"expected one of {', '.join(MEASURES[kind])} "
                       f"for {entry.outcome} (a {kind}), found {entry.measure!r}")
    if entry.per_participant is not None and entry.per_participant not in PARAMETERS:
        raise BadInput(path, f"{where}.per_participant", "expected a parameter (barrios params) "
                       f"giving the participation share, found {entry.per_participant!r}")


def _check_against(entry: Entry, loaded: LoadedEvaluation, path: Path, where: str):
    spec = loaded.spec
    if spec.programme != entry.programme:
        raise BadInput(path, f"{where}.evaluation", f"expected an evaluation of "
                       f"{entry.programme}, found one of {spec.programme} ({entry.evaluation})")
    if entry.outcome not in spec.outcomes:
        raise BadInput(path, f"{where}.outcome", f"expected an outcome {entry.evaluation} "
                       f"measures ({', '.join(spec.outcomes)}), found {entry.outcome!r}")
    if entry.comparison != "direct" and not loaded.design.catchment:
        raise BadInput(path, f"{where}.comparison", f"expected 'direct' ({entry.evaluation} "
                       f"measures no catchment), found {entry.comparison!r}")
    doses = loaded.doses
    if (entry.dose is None) != (doses == [None]) or (entry.dose is not None and entry.dose not in doses):
        raise BadInput(path, f"{where}.dose", f"expected one of the evaluation's doses "
                       f"({', '.join(f'{d:g}' for d in doses if d is not None) or 'none'}), "
                       f"found {entry.dose}")


def effects_groups() -> tuple[str, ...]:
    from simulation.outcomes import GROUPS

    return tuple(GROUPS)


# --- verdicts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Simulated:
    mean: float
    low: float          # 95% interval of the mean over replications
    high: float
    trial_low: float    # what single trials report (2.5-97.5%)
    trial_high: float


@dataclass(frozen=True)
class Verdict:
    verdict: str        # agrees | weaker | stronger | opposite | no benchmark | not measured
    reason: str


def judge(entry: Entry, sim: Simulated | None) -> Verdict:
    """How the simulated effect stands against the published statement (rules above)."""
    if entry.interval == "none":
        return Verdict("no benchmark", "no controlled evaluation of this programme was found")
    if sim is None or not math.isfinite(sim.mean):
        return Verdict("not measured", "the evaluation gave no estimate for this outcome")
    lo, hi = sim.low, sim.high
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo = hi = sim.mean
    kind = entry.interval
    if kind in ("ci95", "range"):
        inside = hi >= entry.low and lo <= entry.high
        return _compare(inside, sim, (entry.low + entry.high) / 2, "the intervals overlap",
                        "the published interval")
    if kind == "point":
        inside = sim.trial_low <= entry.effect <= sim.trial_high
        trials = f"single trials in the model ({sim.trial_low:+.3g} to {sim.trial_high:+.3g})"
        return _compare(inside, sim, entry.effect, f"{trials} include the published value",
                        f"the published value; {trials} do not reach it")
    if kind == "at_most":
        if lo <= entry.effect:
            return Verdict("agrees", "the model's interval reaches the published bound")
        return Verdict("weaker", "the model's interval stops short of the published bound")
    if kind == "at_least":
        if hi >= entry.effect:
            return Verdict("agrees", "the model's interval is within the published bound")
        return Verdict("stronger", "a larger reduction than the published bound allows")
    if kind == "direction":
        return _direction(entry.effect, lo, hi)
    if entry.low <= lo and hi <= entry.high:   # null
        return Verdict("agrees", "the model's interval lies within the band read as no effect")
    if lo <= 0 <= hi and entry.low <= sim.mean <= entry.high:
        return Verdict("agrees", "no significant effect in the model either: its interval "
                       "includes 0 and its mean lies in the band, though the interval reaches "
                       "beyond it")
    if sim.mean * benefit_sign(entry.outcome) > 0:
        return Verdict("stronger", "a clear benefit in the model where the studies found no "
                       "significant effect")
    return Verdict("opposite", "an adverse effect in the model where the studies found no "
                   "significant effect")


def benefit_sign(outcome: str) -> int:
    """The sign of a beneficial change: fewer incidents, arrests, victims; more feeling
    safe, more legitimacy."""
    return -1 if effects.EFFECT_OUTCOMES[outcome].kind == "count" else 1


def _compare(inside: bool, sim: Simulated, centre: float, agreement: str, what: str) -> Verdict:
    if inside:
        return Verdict("agrees", agreement)
    if sim.mean * centre < 0 and sim.low * sim.high > 0:
        return Verdict("opposite", f"the model's effect has the opposite sign of {what}")
    side = "weaker" if abs(sim.mean) < abs(centre) else "stronger"
    return Verdict(side, f"same direction, {'smaller' if side == 'weaker' else 'larger'} "
                   f"than {what}")


def _direction(sign: float, lo: float, hi: float) -> Verdict:
    if (sign > 0 and lo > 0) or (sign < 0 and hi < 0):
        return Verdict("agrees", "significant in the model, in the published direction")
    if lo <= 0 <= hi:
        return Verdict("weaker", "no effect detectable in the model (its interval includes 0)")
    return Verdict("opposite", "significant in the model, in the opposite direction")


def published_text(entry: Entry) -> str:
    """The published statement in words and numbers."""
    unit = {"percent_change": "%", "points": " pp", "cohens_d": ""}[entry.measure]
    match entry.interval:
        case "ci95":
            return f"{entry.effect:+g}{unit} [{entry.low:+g}, {entry.high:+g}] (95% CI)" \
                if entry.effect is not None else f"[{entry.low:+g}, {entry.high:+g}]{unit} (95% CI)"
        case "range":
            return f"{entry.low:+g}{unit} to {entry.high:+g}{unit} (published range)"
        case "point":
            return f"{entry.effect:+g}{unit} (no interval read)"
        case "at_most":
            return f"at most {entry.effect:+g}{unit} (a reduction of at least {abs(entry.effect):g}{unit})" \
                if entry.effect < 0 else f"at most {entry.effect:+g}{unit}"
        case "at_least":
            return f"at least {entry.effect:+g}{unit}"
        case "direction":
            return "an increase" if entry.effect > 0 else "a reduction"
        case "null":
            return f"no significant effect (read as {entry.low:+g}{unit} to {entry.high:+g}{unit})"
    return "no controlled evaluation"


# --- running ---------------------------------------------------------------------------------------


@dataclass
class EvidenceResult:
    loaded: LoadedEvidence
    table: pd.DataFrame                    # one row per entry: published, simulated, verdict
    evaluations: dict[str, EvaluationResult]
    folder: Path
    reports: dict[str, Path] = field(default_factory=dict)  # evaluation -> its report folder
    files: list[Path] = field(default_factory=list)


def run_evidence(loaded: LoadedEvidence, *, only=None, out: Path | None = None,
                 report: Path = Path("results/evidence"),
                 execution: Execution = Execution(), on_evaluation=None) -> EvidenceResult:
    """Run every evaluation the (selected) entries name, then judge each entry.
    ``on_evaluation(result, folder)`` is called as each evaluation finishes, with the
    folder its report belongs in (the caller writes it there, so a kill keeps the reports
    of the evaluations already run; the runner stays free of reporting)."""
    entries = loaded.entries(only)
    if not entries:
        raise BadInput("--only", None, f"expected a programme with entries in {loaded.path}, "
                       f"found {', '.join(only or [])}")
    names = list(dict.fromkeys(e.evaluation for e in entries if e.evaluation))
    root = out or Path("runs") / "evidence"
    results, reports = {}, {}
    with dask_client(execution.scheduler, execution.workers) as client:
        for name in names:
            item = loaded.evaluations[name]
            results[name] = evaluate(item, root / item.name, execution, client)
            reports[name] = report / "evaluations" / item.name
            if on_evaluation is not None:
                on_evaluation(results[name], reports[name])
    rows = [judged_row(e, results.get(e.evaluation), loaded) for e in entries]
    return EvidenceResult(loaded, pd.DataFrame(rows), results, report, reports)


def simulated(entry: Entry, result: EvaluationResult) -> Simulated | None:
    """The evaluation's estimate the entry is held against (per participant if asked)."""
    e = result.effects
    match = e[(e["comparison"] == entry.comparison) & (e["outcome"] == entry.outcome)
              & (e["group"] == entry.group) & (e["measure"] == entry.measure)
              & ((e["dose"] == entry.dose) if entry.dose is not None else e["dose"].isna())]
    if match.empty:
        return None
    row = match.iloc[0]
    values = [row[k] for k in ("mean", "ci_low", "ci_high", "trial_low", "trial_high")]
    if entry.per_participant:
        share = participation(entry, result.loaded)  # the evaluation that ran
        values = [v / share for v in values]
    return Simulated(*map(float, values))


def participation(entry: Entry, evaluation: LoadedEvaluation) -> float:
    """The participation share: the named parameter's value in the evaluation's scenario."""
    return float(getattr(Params(**evaluation.window.scenario.parameters), entry.per_participant))


def judged_row(entry: Entry, result: EvaluationResult | None, loaded: LoadedEvidence) -> dict:
    sim = simulated(entry, result) if result is not None else None
    verdict = judge(entry, sim)
    nan = math.nan
    return {"id": entry.id, "programme": entry.programme, "claim": entry.claim,
            "outcome": entry.outcome, "group": entry.group, "comparison": entry.comparison,
            "measure": entry.measure, "interval": entry.interval, "published": published_text(entry),
            "published_effect": entry.effect if entry.effect is not None else nan,
            "published_low": entry.low if entry.low is not None else nan,
            "published_high": entry.high if entry.high is not None else nan,
            "simulated": sim.mean if sim else nan, "simulated_low": sim.low if sim else nan,
            "simulated_high": sim.high if sim else nan,
            "trial_low": sim.trial_low if sim else nan, "trial_high": sim.trial_high if sim else nan,
            "verdict": verdict.verdict, "reason": verdict.reason, "design": entry.design,
            "studies": entry.studies, "source": entry.source, "read_at": entry.read_at,
            "evaluation": entry.evaluation or "", "note": entry.note}
