"""Joint calibration by history matching with Gaussian-process emulators (Vernon et al.
2010; Andrianakis et al. 2015), against the survey, the homicide rate, a victimization
level and the published effects of the evidence table, each measured by its own design.

A history-matching file (``method = "history_matching"``, e.g.
``experiments/calibrate_joint.toml``) is a study file with

- ``[targets.OUTCOME]``: outcomes of the scenario's run (``barrios.OUTCOMES``) with their
  observed value and standard deviation (survey shares: the survey's sampling error by
  default, from ``survey.observed_sample_size``);
- ``[evidence]``: entries of the evidence table (``table``, ``entries``) whose published
  effect the model must reproduce, each measured by its ``evaluate`` design on the
  calibration's city; the entry's statement becomes an observation (a 95% interval: its
  centre and half-width / 1.96; a range or a null band: its centre and half-width);
- ``[priors.PARAMETER]``: the parameters fitted (ranges from evaluation studies where the
  registry has them, else plausible ranges);
- ``[holdout]``: targets and evidence entries left out of the fit and predicted by it;
- ``[matching]``: waves, points per wave, candidates, the implausibility cut-off, model
  discrepancy, the share of runs held back to validate the emulators.

Each wave runs, at every design point, the scenario, the ``baseline`` scenario (for the
plan-versus-baseline sensitivity) and each evidence design, one replication each, stored
as they finish (a wave resumes; ``--scheduler`` runs it on a cluster). An emulator per
output is fitted to all waves so far; the implausibility of a candidate x for target k is
``|z_k - E_k(x)| / sqrt(Var_emulator + Var_observed + Var_discrepancy)``; candidates whose
largest implausibility is below the cut-off are *not ruled out yet*, and the next wave's
points are drawn among them. The emulators are validated on held-back runs (at least 95%
inside their 95% intervals, each run held back once); the calibrated values are the most
plausible candidate of the last wave, and the not-ruled-out set is the uncertainty. A
Bayesian step inside that set (``experiments.posterior``) weighs its points by how well
they meet the observations: the hold-outs are predicted from that posterior too.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from experiments import effects, posterior
from experiments.calibration import Prior, Survey, _check_outputs, _prior_range
from experiments.emulator import Emulator, Space
from experiments.implausibility import (FINAL_POINTS, box_between, final_predictions, fit_emulators,
                                        in_region, not_ruled_out, plausible_box, top_up,
                                        validation_table)
from experiments.evaluation import (LoadedEvaluation, _hook, analyse_run, load_evaluation,
                                   panel_columns)
from experiments.evidence import Entry, EvidenceTable
from experiments.execution import Execution, Report, dask_client, execute_design
from experiments.files import BadInput, read_toml, validate as validate_schema
from experiments.runs import Run
from experiments.scenario_files import LoadedScenario, change, load_scenario
from experiments.store import fingerprint
from experiments.study import (LoadedStudy, StudyFile, load_study, open_store, scenario_definition,
                               successful)
from simulation.outcomes import OUTCOMES
from simulation.schema import StrictModel

# the ``*_on_survey_*`` outputs are the shares on the days of the scenario's surveys
# ([observed] start_date, end_date), where the observed ones were taken
RUN_OUTPUTS = ("safe_public_start", "safe_public_end", "safe_neighbourhood_start",
               "safe_neighbourhood_end", "safe_public_change", "safe_neighbourhood_change",
               "severe_violence_per_100k_end", "victimization_12m_end",
               "safe_public_on_survey_start", "safe_public_on_survey_end",
               "safe_neighbourhood_on_survey_start", "safe_neighbourhood_on_survey_end",
               "victimization_12m_on_survey_start", "victimization_12m_on_survey_end")


class HMTarget(StrictModel):
    observed: float
    sd: float | None = Field(None, gt=0)      # shares: the survey's sampling error by default
    discrepancy: float = Field(0.0, ge=0)     # model discrepancy sd
    # the full city's mean minus the calibration city's (measured), and its uncertainty
    scale_shift: float = 0.0
    scale_shift_sd: float = Field(0.0, ge=0)


class EvidenceTargets(StrictModel):
    table: str = "../evidence/table.toml"
    entries: list[str] = Field(default_factory=list)
    discrepancy: float = Field(2.0, ge=0)     # model discrepancy sd (the measure's units)


class Holdout(StrictModel):
    targets: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)


class Matching(StrictModel):
    waves: int = Field(3, ge=1, le=20)
    points: int = Field(120, ge=10, le=100_000)
    candidates: int = Field(40_000, ge=1000, le=10_000_000)
    cutoff: float = Field(3.0, gt=0, le=10)
    validation_share: float = Field(0.2, gt=0, lt=0.5)
    restarts: int = Field(2, ge=0, le=20)
    refits: int = Field(1, ge=1, le=20)        # emulators per output: 1, or a mixture of refits
    posterior_waves: int = Field(0, ge=0, le=20)  # the last waves: points from the posterior


SENSITIVITY_OUTPUTS = ["safe_public_change", "safe_neighbourhood_change",
                       "plan_minus_baseline_safe_public_change",
                       "plan_minus_baseline_safe_neighbourhood_change"]


class EmulatorSensitivity(StrictModel):
    outputs: list[str] = Field(default_factory=lambda: list(SENSITIVITY_OUTPUTS))
    samples: int = Field(4096, ge=64, le=1_048_576)   # Sobol base samples (a power of two)
    groups: int = Field(10, ge=2, le=100)               # jackknife: emulators refitted without each
    restarts: int = Field(2, ge=0, le=20)               # optimiser restarts per emulator fit
    box: Literal["posterior", "not_ruled_out"] = "posterior"   # where the indices are taken
    # a design of its own in the box (experiments.sensitivity_design); 0: the waves' runs
    points: int = Field(0, ge=0, le=100_000)
    replications: int = Field(2, ge=1, le=100)         # per point of that design


class Robustness(StrictModel):
    reference: str                                      # the scenario the others are set against
    scenarios: list[str] = Field(min_length=1)          # the intervention mixes ranked
    draws: int = Field(40, ge=2, le=10_000)             # parameter sets not ruled out
    replications: int = Field(1, ge=1, le=1000)         # per draw and scenario


class HistoryMatchingFile(StudyFile):
    method: Literal["history_matching"]
    baseline: str                              # the scenario the plan is compared with
    survey: Survey = Survey()
    targets: dict[str, HMTarget]
    evidence: EvidenceTargets = EvidenceTargets()
    holdout: Holdout = Holdout()
    priors: dict[str, Prior]
    matching: Matching = Matching()
    sensitivity: EmulatorSensitivity | None = None
    robustness: Robustness | None = None
    results: str | None = None
    write_scenario: str | None = None


@dataclass(frozen=True)
class Observation:
    name: str
    kind: Literal["run", "evidence"]
    observed: float
    sd: float
    discrepancy: float
    held_out: bool
    scale_shift: float = 0.0   # added to the calibration city's output: the full city's


@dataclass(frozen=True, eq=False)
class LoadedMatching(LoadedStudy[HistoryMatchingFile]):
    baseline: LoadedScenario | None = None
    space: Space | None = None
    observations: tuple[Observation, ...] = ()
    entries: dict[str, Entry] = field(default_factory=dict)
    designs: dict[str, LoadedEvaluation] = field(default_factory=dict)  # by evidence entry
    ranked: tuple[LoadedScenario, ...] = ()              # robustness: reference first

    @property
    def sources(self) -> tuple[Path, ...]:
        files = [*super().sources, *self.baseline.sources]
        files += [f for design in self.designs.values() for f in design.sources]
        return tuple(dict.fromkeys(files))

    def definition(self) -> dict:
        spec = self.spec
        return {"scenario": scenario_definition(self.base),
                "baseline": scenario_definition(self.baseline), "seed": spec.seed,
                "priors": {n: [float(lo), float(hi), bool(log)] for n, lo, hi, log in
                           zip(self.space.names, self.space.low, self.space.high, self.space.log)},
                "evidence": sorted(self.designs),
                "evaluations": {k: v.definition() for k, v in sorted(self.designs.items())},
                "matching": spec.matching.model_dump(exclude={"waves", "posterior_waves"})}


def load_matching(path: Path | str) -> LoadedMatching:
    """Read and check a history-matching file; every problem is a one-line BadInput."""
    study = load_study(path, HistoryMatchingFile, "calibration file")
    spec, path = study.spec, study.path
    baseline = _baseline(spec, path, study.base)
    space = _space(spec, path)
    chosen = list(dict.fromkeys([*spec.evidence.entries, *spec.holdout.evidence]))
    entries = {e.id: e for e in _evidence_table(spec, path).entry} if chosen else {}
    designs = {}
    for i, name in enumerate(chosen):
        if name not in entries:
            raise BadInput(path, "evidence.entries", f"expected entries of {spec.evidence.table}, "
                           f"found {name!r}")
        entry = entries[name]
        if entry.interval not in ("ci95", "range", "null", "point"):
            raise BadInput(path, "evidence.entries", f"expected entries with a published value "
                           f"or interval (ci95, range, null, point), found {name!r} "
                           f"({entry.interval})")
        evaluation = (path.parent / spec.evidence.table).parent / entry.evaluation
        designs[name] = _on_city(load_evaluation(evaluation), study.spec.city, path)
    observations = _observations(spec, path, entries, chosen)
    _check_outputs(spec, path)
    _check_sensitivity(spec, path)
    if spec.matching.posterior_waves >= spec.matching.waves:
        raise BadInput(path, "matching.posterior_waves", f"expected fewer posterior waves than "
                       f"waves ({spec.matching.waves}: the first samples the priors), found "
                       f"{spec.matching.posterior_waves}")
    return LoadedMatching(spec, path, study.base, baseline, space, observations,
                          {k: entries[k] for k in chosen}, designs, _ranked(spec, path))


def _check_sensitivity(spec, path):
    if spec.sensitivity is None:
        return
    n = spec.sensitivity.samples
    if n & (n - 1):
        raise BadInput(path, "sensitivity.samples", f"expected a power of two, found {n}")
    known = [*RUN_OUTPUTS, *SENSITIVITY_OUTPUTS]
    for name in spec.sensitivity.outputs:
        if name not in known and name not in spec.evidence.entries:
            raise BadInput(path, "sensitivity.outputs", f"expected outputs of the runs "
                           f"({', '.join(dict.fromkeys(known))}) or evidence entries, found {name!r}")
    # the sensitivity design runs the plan and the baseline only: no evidence design
    entries = [n for n in spec.sensitivity.outputs if n in spec.evidence.entries]
    if spec.sensitivity.points and entries:
        raise BadInput(path, "sensitivity.outputs", f"expected outputs of the plan and the "
                       f"baseline with a sensitivity design (points = "
                       f"{spec.sensitivity.points}), found evidence entries "
                       f"{', '.join(entries)}: take them out or set points = 0 (the waves' runs)")


def _ranked(spec, path) -> tuple[LoadedScenario, ...]:
    """The robustness table's scenarios, the reference first, each with the file's layer."""
    if spec.robustness is None:
        return ()
    out = []
    for key, file in [("robustness.reference", spec.robustness.reference),
                      *(("robustness.scenarios", f) for f in spec.robustness.scenarios)]:
        scenario = (path.parent / file).resolve()
        if not scenario.is_file():
            raise BadInput(path, key, f"expected an existing scenario file, found {file!r} "
                           "(no such file)")
        out.append(_with_layer(load_scenario(scenario), spec, path))
    names = [item.scenario.name for item in out]
    if len(set(names)) != len(names):
        raise BadInput(path, "robustness.scenarios", f"expected scenarios with distinct names, "
                       f"found {', '.join(names)}")
    return tuple(out)


def _baseline(spec, path, base: LoadedScenario) -> LoadedScenario:
    file = (path.parent / spec.baseline).resolve()
    if not file.is_file():
        raise BadInput(path, "baseline", f"expected an existing scenario file, found "
                       f"{spec.baseline!r} (no such file)")
    return _with_layer(load_scenario(file), spec, path)


def _with_layer(loaded: LoadedScenario, spec, path) -> LoadedScenario:
    from experiments.scenario_files import override

    return override(loaded, spec.layer(), path)


def _on_city(evaluation: LoadedEvaluation, city: dict, path: Path) -> LoadedEvaluation:
    """The evaluation on the calibration's city (its ``[city]`` changes)."""
    from dataclasses import replace

    if not city:
        return evaluation
    window = change(evaluation.window.scenario, {"city": city}, path)
    return replace(evaluation, window=LoadedScenario(window, evaluation.window.path,
                                                     evaluation.window.chain,
                                                     evaluation.window.city_table,
                                                     evaluation.window.table_file))


def _space(spec, path) -> Space:
    if not spec.priors:
        raise BadInput(path, "priors", "expected at least one parameter to fit, found none")
    ranges = {name: _prior_range(name, prior, path) for name, prior in spec.priors.items()}
    names = list(ranges)
    return Space(names, np.array([ranges[n][0] for n in names]),
                 np.array([ranges[n][1] for n in names]),
                 np.array([ranges[n][2] == "loguniform" for n in names]))


def _evidence_table(spec, path) -> EvidenceTable:
    file = (path.parent / spec.evidence.table).resolve()
    if not file.is_file():
        raise BadInput(path, "evidence.table", f"expected an existing evidence table, found "
                       f"{spec.evidence.table!r} (no such file)")
    return validate_schema(EvidenceTable, read_toml(file), file)


def _observations(spec, path, entries, chosen) -> tuple[Observation, ...]:
    out = []
    n = spec.survey.observed_sample_size
    for name, target in spec.targets.items():
        if name not in RUN_OUTPUTS:
            raise BadInput(path, f"targets.{name}", f"expected one of {', '.join(RUN_OUTPUTS)}, "
                           f"found {name!r}")
        share = OUTCOMES[name].unit == "share 0-1"
        if not math.isfinite(target.observed):
            raise BadInput(path, f"targets.{name}.observed", f"expected a finite number, found "
                           f"{target.observed}")
        if share and not 0 < target.observed < 1:
            raise BadInput(path, f"targets.{name}.observed", f"expected a share between 0 and 1 "
                           f"(41% is 0.41), found {target.observed:g}")
        sd = target.sd
        if sd is None:
            if not share:
                raise BadInput(path, f"targets.{name}.sd", "expected a standard deviation (the "
                               "target is not a survey share), found nothing")
            sd = math.sqrt(target.observed * (1 - target.observed) / n)
        # the shift's uncertainty is one more discrepancy, independent of the model's
        discrepancy = math.hypot(target.discrepancy, target.scale_shift_sd)
        out.append(Observation(name, "run", target.observed, sd, discrepancy,
                               name in spec.holdout.targets, target.scale_shift))
    for key in spec.holdout.targets:
        if key not in spec.targets:
            raise BadInput(path, "holdout.targets", f"expected targets of [targets], found {key!r}")
    for name in chosen:
        z, sd = evidence_observation(entries[name])
        out.append(Observation(name, "evidence", z, sd, spec.evidence.discrepancy,
                               name in spec.holdout.evidence))
    return tuple(out)


def evidence_observation(entry: Entry) -> tuple[float, float]:
    """A published statement as a value and a standard deviation."""
    if entry.interval == "ci95":
        return (entry.effect if entry.effect is not None else (entry.low + entry.high) / 2,
                (entry.high - entry.low) / (2 * effects.Z95))
    if entry.interval in ("range", "null"):
        return (entry.low + entry.high) / 2, (entry.high - entry.low) / 2
    return entry.effect, abs(entry.effect) / 2  # a value without an interval: ±50%


# --- one wave ------------------------------------------------------------------------------------


def wave_runs(loaded: LoadedMatching, wave: int, points: np.ndarray) -> list[Run]:
    """Every run of a wave: at each point the scenario, the baseline and each evidence
    design, once. Point i runs on replication i of the wave's seed: its own stream (the
    emulators see independent run noise, not one seed's luck shared by every point),
    common to the plan and the baseline (their difference is paired)."""
    runs = []
    seed = loaded.spec.seed
    for i, x in enumerate(points):
        values = dict(zip(loaded.space.names, map(float, x)))
        overrides = {f"parameters.{k}": v for k, v in values.items()}
        for label, scenario in (("scenario", loaded.base), ("baseline", loaded.baseline)):
            runs.append(Run(point=i, replication=i, seed=seed + wave,
                            scenario=scenario.scenario, values={**values, "target": label},
                            overrides=overrides, scalars=RUN_OUTPUTS,
                            city_table=scenario.city_table))
        for name, design in loaded.designs.items():
            runs.append(Run(point=i, replication=i, seed=seed + wave,
                            scenario=design.window.scenario, values={**values, "target": name},
                            overrides=overrides, hook=_hook(design, None, None, wave * 100_000 + i),
                            panel=panel_columns(design), city_table=design.window.city_table))
    return runs


def wave_outputs(loaded: LoadedMatching, runs: pd.DataFrame, panels: pd.DataFrame,
                 barrios: pd.DataFrame) -> pd.DataFrame:
    """One row per design point: the scenario's outcomes, the plan-minus-baseline rises,
    and each evidence design's estimate in the entry's measure."""
    ok = runs[runs["status"] == "ok"]
    rows = {}
    by_panel = dict(tuple(panels.groupby("run_id"))) if len(panels) else {}
    by_table = dict(tuple(barrios.groupby("run_id"))) if len(barrios) else {}
    for _, run in ok.iterrows():
        row = rows.setdefault(int(run["point"]), {n: run[n] for n in loaded.space.names})
        target = run["target"]
        if target == "scenario":
            row.update({k: run[k] for k in RUN_OUTPUTS})
        elif target == "baseline":
            row.update({f"baseline_{k}": run[k] for k in ("safe_public_change",
                                                            "safe_neighbourhood_change")})
        elif run["run_id"] in by_panel:
            row[target] = evidence_estimate(loaded, target, by_panel[run["run_id"]],
                                            by_table[run["run_id"]])
    out = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    for rise in ("safe_public_change", "safe_neighbourhood_change"):
        if rise in out and f"baseline_{rise}" in out:
            out[f"plan_minus_baseline_{rise}"] = out[rise] - out[f"baseline_{rise}"]
    return out


def evidence_estimate(loaded: LoadedMatching, name: str, panel: pd.DataFrame,
                      table: pd.DataFrame) -> float:
    """The entry's measure from one trial run (a % change, points or Cohen's d)."""
    entry = loaded.entries[name]
    result = analyse_run(loaded.designs[name], panel, table)
    measure = "log_rate_ratio" if entry.measure == "percent_change" else entry.measure
    for row in result.estimates:
        if (row["comparison"], row["outcome"], row["group"], row["measure"]) == (
                entry.comparison, entry.outcome, entry.group, measure):
            value = row["value"]
            return 100 * math.expm1(value) if entry.measure == "percent_change" else value
    return math.nan


# --- the match -----------------------------------------------------------------------------------


@dataclass
class Wave:
    number: int
    points: np.ndarray
    outputs: pd.DataFrame
    report: Report
    non_implausible_share: float = math.nan   # of the candidates, after this wave
    region_runs: int = 0                      # design points its emulators were fitted to
    validation: dict = field(default_factory=dict)


@dataclass
class MatchResult:
    loaded: LoadedMatching
    folder: Path
    waves: list[Wave]
    data: pd.DataFrame                  # every point of every wave with its outputs
    emulators: dict[str, Emulator]
    nroy: pd.DataFrame                  # not ruled out by any observation (the calibration)
    best: dict[str, float]              # the most plausible candidate
    predictions: pd.DataFrame           # each observation at the best point and over NROY
    validation: pd.DataFrame            # each emulator's held-back check
    nroy_without_holdouts: pd.DataFrame | None = None  # what the fit without them left
    region: pd.DataFrame | None = None        # the runs the last wave's emulators are fitted to
    sensitivity: pd.DataFrame | None = None   # Sobol indices on the emulators
    robustness: dict | None = None            # ranking of intervention mixes over draws
    posterior: pd.DataFrame | None = None     # weighted draws given the observations not held out
    reanalysed: bool = False                  # made from a stored design, no runs
    defaults_before: dict | None = None       # a reanalysis: the defaults before the first fit
    files: list[Path] = field(default_factory=list)


def history_match(loaded: LoadedMatching, out: Path | None = None,
                  execution: Execution = Execution(),
                  design: pd.DataFrame | None = None) -> MatchResult:
    """Run the waves (resuming stored runs), then the final emulators and their checks.

    With ``design`` (a results folder's ``design.parquet``: every wave's points and
    outputs) its waves are not run: each is read from it and every analysis is done again
    (``--reanalyse``: a change in the emulators or their checks, not in the model); only
    the robustness ranking runs, at the new posterior's draws (resumed if they are the
    stored ones), and the waves the file adds beyond the design's, whose points the new
    emulators choose.

    Each wave's emulators are fitted to the runs in the region the earlier waves left
    (implausibility below the cut-off plus one under every earlier wave's emulators), so
    they need to be right only there; a candidate is not ruled out when no wave's
    emulators rule it out (Vernon et al. 2010's refocusing)."""
    folder = out or Path("runs") / f"calibrate-{loaded.name}-{loaded.spec.seed}"
    spec = loaded.spec.matching
    waves: list[Wave] = []
    sets: list[dict[str, Emulator]] = []
    points = loaded.space.latin_hypercube(spec.points, seed=loaded.spec.seed)
    stored = _check_design(loaded, design)
    needs_runs = (stored < spec.waves or loaded.spec.robustness is not None
                  or (loaded.spec.sensitivity is not None and loaded.spec.sensitivity.points > 0))
    cluster = dask_client(execution.scheduler, execution.workers) if needs_runs else nullcontext()
    with cluster as client:
        for number in range(1, spec.waves + 1):
            if number <= stored:
                wave = _design_wave(loaded, design, number)
            else:
                points = _stored_points(folder, f"wave{number}", points)
                wave = _run_wave(loaded, folder, number, points, execution, client)
            waves.append(wave)
            data = pd.concat([w.outputs for w in waves], ignore_index=True)
            region = in_region(loaded, sets, data, spec.cutoff + 1)
            sets.append(fit_emulators(loaded, region, execution.workers))
            candidates = loaded.space.latin_hypercube(spec.candidates,
                                                      seed=loaded.spec.seed + 100 * number)
            nroy = not_ruled_out(loaded, sets, candidates)
            # the share among uniform candidates estimates the volume not ruled out
            wave.non_implausible_share = float(len(nroy) / len(candidates))
            wave.region_runs = len(region)
            last = number == spec.waves
            nroy = top_up(loaded, sets, nroy, FINAL_POINTS if last else spec.points,
                           loaded.spec.seed + number)
            if last or len(nroy) < 2:
                break
            if number < stored:
                continue                     # the next wave's points are in the design
            points = next_points(loaded, sets, nroy, number)
        validation = validation_table(loaded, region, execution.workers)
        without_holdouts = nroy
        nroy, best, predictions = final_predictions(loaded, sets, without_holdouts, candidates)
        result = MatchResult(loaded, folder, waves, data, sets[-1], nroy, best, predictions,
                             validation, without_holdouts, region=region, reanalysed=stored > 0)
        result.posterior = posterior.sample_posterior(
            loaded, sets, plausible_box(loaded.space, without_holdouts), loaded.spec.seed + 5)
        result.predictions = posterior.with_predictions(predictions, sets[-1], loaded.space,
                                                        result.posterior)
        result.sensitivity = _sensitivity(loaded, folder, region, nroy, result.posterior,
                                          execution, client)
        result.robustness = _robustness(loaded, folder, result, execution, client)
    return result


def next_points(loaded, sets: list[dict[str, Emulator]], nroy: pd.DataFrame,
                number: int) -> np.ndarray:
    """The points of wave ``number + 1``: drawn uniformly from the set not ruled out, or,
    for the last ``posterior_waves`` waves, from the posterior given the waves so far.

    Why the posterior: the set not ruled out stays much wider than the posterior (after
    six waves 32 of 474 runs lay in the posterior's 90% box), so its emulators are least
    sure where the hold-outs, the Sobol indices and the calibrated point are taken; a
    posterior wave puts its runs there. It sees only the observations not held out, so
    the hold-outs stay tests."""
    rng = np.random.default_rng(loaded.spec.seed + number)
    pool, weight = nroy[loaded.space.names].to_numpy(), None
    if from_posterior(loaded.spec.matching, number + 1):
        draws = posterior.sample_posterior(loaded, sets, plausible_box(loaded.space, nroy),
                                           loaded.spec.seed + 50 + number)
        if len(draws) and draws["weight"].sum() > 0:
            pool, weight = draws[loaded.space.names].to_numpy(), draws["weight"].to_numpy()
    available = len(pool) if weight is None else int(np.count_nonzero(weight))
    # without replacement, by weight: distinct points, a little wider than the posterior
    return pool[rng.choice(len(pool), min(loaded.spec.matching.points, available),
                           replace=False, p=None if weight is None else weight / weight.sum())]


def from_posterior(matching: Matching, number: int) -> bool:
    """Whether wave ``number``'s points are drawn from the posterior (the last
    ``posterior_waves`` waves)."""
    return number > matching.waves - matching.posterior_waves


def _check_design(loaded: LoadedMatching, design: pd.DataFrame | None) -> int:
    """How many of the file's waves the stored ``design`` holds (0 without one)."""
    if design is None:
        return 0
    found = int(design["wave"].max()) if "wave" in design and len(design) else 0
    missing = [n for n in loaded.space.names if n not in design]
    if missing or found == 0:
        raise BadInput(loaded.path, "matching.waves", f"expected a stored design with "
                       f"waves of the parameters {', '.join(loaded.space.names)} for "
                       f"--reanalyse, found {found} waves"
                       + (f" without {', '.join(missing)}" if missing else ""))
    return min(found, loaded.spec.matching.waves)


def _design_wave(loaded: LoadedMatching, design: pd.DataFrame, number: int) -> Wave:
    """A wave read back from a stored design: its points and outputs, no runs."""
    outputs = design[design["wave"] == number].reset_index(drop=True)
    runs_per_point = 2 + len(loaded.designs)          # plan, baseline, each evidence design
    return Wave(number, outputs[loaded.space.names].to_numpy(), outputs,
                Report(skipped=runs_per_point * len(outputs), folder="design.parquet"))


SENSITIVITY_SEED_OFFSET = 1000
"""The sensitivity design's seed is the calibration's plus this (the waves use the
calibration's plus their number): its streams are none of the waves'."""


def _sensitivity(loaded: LoadedMatching, folder: Path, region: pd.DataFrame,
                 nroy: pd.DataFrame, draws: pd.DataFrame | None, execution: Execution,
                 client) -> pd.DataFrame | None:
    """Sobol indices on emulators (``experiments.emulator_sensitivity``) over
    ``[sensitivity] box``: the posterior's central 90% of each parameter (where the
    evidence puts the parameters), or the box the not-ruled-out points span. The
    emulators are fitted to a design of its own inside the box (``points`` > 0,
    ``experiments.sensitivity_design``), else to the last region's runs."""
    config = loaded.spec.sensitivity
    if config is None:
        return None
    from experiments.emulator_sensitivity import emulator_sobol

    box = sensitivity_box(loaded, nroy, draws)
    data = _box_design(loaded, folder, box, execution, client) if config.points else region
    x = data[box.names].to_numpy()
    outputs = [o for o in config.outputs if o in data]
    table = emulator_sobol(loaded.space, data, outputs, box=box, samples=config.samples,
                           groups=config.groups, restarts=config.restarts,
                           seed=loaded.spec.seed)
    return table.assign(box_low=table["parameter"].map(dict(zip(box.names, box.low))),
                        box_high=table["parameter"].map(dict(zip(box.names, box.high))),
                        runs=len(data),
                        runs_in_box=int(np.all((x >= box.low) & (x <= box.high), axis=1).sum()),
                        design_points=config.points,
                        design_replications=config.replications if config.points else 1,
                        box="posterior" if _on_posterior(loaded, draws) else "not_ruled_out")


def _box_design(loaded, folder: Path, box: Space, execution, client) -> pd.DataFrame:
    """The sensitivity design's point means, its runs stored under the design's digest
    (a reanalysis whose posterior box did not move reruns nothing)."""
    from experiments import sensitivity_design

    config = loaded.spec.sensitivity
    seed = loaded.spec.seed + SENSITIVITY_SEED_OFFSET
    definition = {"plan": scenario_definition(loaded.base),
                  "baseline": scenario_definition(loaded.baseline),
                  "box": [np.round(box.low, 12).tolist(), np.round(box.high, 12).tolist()],
                  "points": config.points, "replications": config.replications, "seed": seed}
    runs = sensitivity_design.design_runs(box, loaded.base, loaded.baseline, config.points,
                                          config.replications, seed, RUN_OUTPUTS)
    _, stored = _stored_runs(folder, "sensitivity", definition, loaded.sources, runs,
                             execution, client)
    return sensitivity_design.design_outputs(stored, list(box.names), RUN_OUTPUTS)


def _stored_runs(folder: Path, kind: str, definition: dict, sources, runs: list[Run],
                 execution: Execution, client) -> tuple[Report, pd.DataFrame]:
    """``runs`` in the store ``folder/KIND-<digest of definition>`` (those already stored
    are not rerun) and the successful ones read back."""
    store_folder = folder / f"{kind}-{fingerprint(definition)[:12]}"
    with open_store(store_folder, kind, definition, sources) as store:
        report = execute_design(runs, store, execution, client)
        return report, successful(store.runs(), store.folder)


def sensitivity_box(loaded, nroy: pd.DataFrame, draws: pd.DataFrame | None) -> Space:
    """The posterior's 5-95% range of each parameter (``[sensitivity] box = "posterior"``,
    with a posterior), else the not-ruled-out set's span."""
    space = loaded.space
    if not _on_posterior(loaded, draws):
        return plausible_box(space, nroy)
    weights = draws["weight"].to_numpy()
    bounds = np.array([posterior.weighted_quantiles(draws[n].to_numpy(), weights, [0.05, 0.95])
                       for n in space.names])
    return box_between(space, bounds[:, 0], bounds[:, 1])


def _on_posterior(loaded, draws: pd.DataFrame | None) -> bool:
    return loaded.spec.sensitivity.box == "posterior" and draws is not None and len(draws) > 0


def _robustness(loaded, folder, result, execution, client) -> dict | None:
    """The ranking of ``[robustness]``'s scenarios over draws from the posterior. Its runs
    are stored under the draws' digest: a resumed or re-analysed calibration that draws
    the same points reruns nothing, one whose analysis moved the posterior runs afresh."""
    config = loaded.spec.robustness
    if config is None:
        return None
    from experiments import robustness

    draws = robustness_draws(loaded, result, config.draws)
    definition = {"scenarios": [scenario_definition(s) for s in loaded.ranked],
                  "draws": np.round(draws.to_numpy(), 12).tolist(),
                  "replications": config.replications, "seed": loaded.spec.seed}
    sources = [f for s in loaded.ranked for f in s.sources]
    runs = robustness.robustness_runs(draws, list(loaded.ranked), config.replications,
                                      loaded.spec.seed)
    report, stored = _stored_runs(folder, "robustness", definition, sources, runs,
                                  execution, client)
    table = robustness.scores(stored, loaded.ranked[0].scenario.name)
    order = robustness.ranking(table)
    return {"report": report, "scores": table, "ranking": order, "draws": draws,
            "flips": robustness.flips(table, draws, order)}


def robustness_draws(loaded, result, count: int) -> pd.DataFrame:
    """``count`` parameter sets drawn from the posterior (by its importance weights, with
    replacement: a heavy draw may come twice, and then runs on other seeds); uniformly
    from the set not ruled out if there is no posterior, or the best point if that set
    is empty."""
    names = loaded.space.names
    rng = np.random.default_rng(loaded.spec.seed + 999)
    weighted = result.posterior is not None and len(result.posterior) \
        and result.posterior["weight"].sum() > 0
    if weighted:
        pool, p = result.posterior[names].to_numpy(), result.posterior["weight"].to_numpy()
        return pd.DataFrame(pool[rng.choice(len(pool), count, p=p / p.sum())], columns=names)
    pool = (result.nroy[names].to_numpy() if len(result.nroy)
            else np.array([list(result.best.values())]))
    return pd.DataFrame(pool[rng.choice(len(pool), count, replace=len(pool) < count)],
                        columns=names)


def _stored_points(folder: Path, name: str, points: np.ndarray) -> np.ndarray:
    """A wave's design points: those stored by an earlier (killed) call, so a resumed
    calibration reruns exactly the same runs, else ``points``, stored now."""
    path = folder / f"{name}.points.npy"
    if path.is_file():
        return np.load(path)
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, points)
    partial.replace(path)
    return points


def _run_wave(loaded, folder, number, points, execution, client) -> Wave:
    definition = {**loaded.definition(), "wave": number,
                  "points": np.round(points, 12).tolist()}
    with open_store(folder / f"wave{number}", "history-matching", definition,
                    loaded.sources) as store:
        report = execute_design(wave_runs(loaded, number, points), store, execution, client)
        runs = successful(store.runs(), store.folder)
        panels = store.dataset("panel")
        barrios = store.dataset("barrios")
    outputs = wave_outputs(loaded, runs, panels, barrios).assign(wave=number)
    return Wave(number, points, outputs, report)


def write_scenario(result: MatchResult, path: Path):
    """The calibrated values as a scenario file, with their provenance and ranges."""
    loaded = result.loaded
    passed = int((result.validation["inside_95"] >= 0.95).sum()) if len(result.validation) else 0
    header = [
        "# Calibrated parameter values: the most plausible point of a history matching with",
        "# Gaussian-process emulators (docs/calibration.md).",
        "# Written by `barrios calibrate`; do not edit by hand (run the calibration again).",
        f"# Calibration file: experiments/{loaded.path.name}",
        f"# Seed {loaded.spec.seed}, {len(result.waves)} waves, "
        f"{sum(len(w.points) for w in result.waves)} design points, "
        f"{len(result.nroy)} candidates not ruled out, date {dt.date.today()}.",
        f"# Emulators at the 95% validation target: {passed} of {len(result.validation)}.",
        "# Report, figures and hold-outs: results/calibration/",
        "# simulation/parameters.py carries these values as defaults "
        "(scripts/adopt_calibration.py)."]
    path.write_text(calibrated_text(loaded, result.best, result.nroy, header), encoding="utf-8")


def calibrated_text(loaded, values: dict[str, float], nroy: pd.DataFrame, header: list[str],
                    description: str = "Parameter values from the joint calibration "
                                       "(history matching)") -> str:
    """A parameters scenario (scenarios/calibrated.toml) of ``values``, each with its
    not-ruled-out 5-95% range and prior, below ``header`` (comment lines)."""
    lines = [*header, "",
             'name = "calibrated"',
             f'description = "{description}"',
             'title = "Calibrated parameter values"',
             'title_es = "Valores calibrados de los parámetros"',
             'kind = "parameters"   # not an intervention mix: the workshop does not offer it', "",
             "[parameters]"]
    space = loaded.space
    for i, name in enumerate(space.names):
        kept = (f"not ruled out 5-95%: {nroy[name].quantile(0.05):.4g}-"
                f"{nroy[name].quantile(0.95):.4g}; " if len(nroy) else "")
        lines.append(f"{name} = {values[name]:.4g}  # {kept}prior {space.low[i]:.4g}-{space.high[i]:.4g}")
    return "\n".join(lines) + "\n"
