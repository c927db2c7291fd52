"""The public Python API: what the command line does, as functions.

Every function takes what its command takes (a scenario or study file, the same options
as keywords) and returns the results as objects holding pandas DataFrames. The command
line (``barrios.cli``) calls these functions and prints what they return. Bad input raises
``BadInput`` (its text is the one line the command prints).

A scenario may be given as a path, a ``LoadedScenario`` (``load_scenario``) or a
``simulation.config.Scenario`` object. Changes to it are the same everywhere: ``years``,
``scale`` (inhabitants per agent), ``seed``, ``replications``, ``city`` (keys of
``[city]``), ``parameters`` (name -> value, ``barrios params``) and ``levers``
(intervention settings, ``{"street_lighting.intensity": 0.8}``), applied exactly as a
scenario file that extends it would apply them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments.execution import Execution
from experiments.files import BadInput
from experiments.scenario_files import LoadedScenario, from_scenario, load_scenario
from experiments.study import changed_by, check_out, writable_folder
from simulation.config import Scenario
from simulation.outcomes import OUTCOMES
from simulation.parameters import PARAMETERS

ScenarioLike = str | Path | LoadedScenario | Scenario


def scenario(source: ScenarioLike, **changes) -> LoadedScenario:
    """A scenario from a path or an object, with ``changes`` (the keywords above) applied."""
    if isinstance(source, LoadedScenario):
        loaded = source
    elif isinstance(source, Scenario):
        loaded = from_scenario(source)
    else:
        loaded = load_scenario(source)
    return changed_by(loaded, **changes)


# --- run ----------------------------------------------------------------------------------


@dataclass
class RunOutputs:
    """What ``run`` returns: one row per replication of every scalar outcome
    (``simulation.outcomes.OUTCOMES``), the collected series (one row per replication and
    recorded day), the monthly barrio panel, and the summary (means with 95% intervals)."""

    scenario: Scenario
    outcomes: pd.DataFrame
    timeseries: pd.DataFrame
    panel: pd.DataFrame
    summary: dict
    residents: int
    folder: Path | None = None

    def means(self) -> dict[str, float]:
        """Each outcome's mean over the replications."""
        return {name: float(v) for name, v in self.outcomes.mean(numeric_only=True).items()}


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during ``run``: ``outputs`` holds the finished replications (and they are in
    the output folder, if one was given)."""

    def __init__(self, outputs: RunOutputs | None):
        super().__init__()
        self.outputs = outputs


def run(source: ScenarioLike, *, seed: int | None = None, replications: int | None = None,
        years: float | None = None, scale: float | None = None, city: dict | None = None,
        parameters: dict | None = None, levers: dict | None = None,
        out: Path | str | None = None, progress: Callable[[int], None] | None = None
        ) -> RunOutputs:
    """Run a scenario's replications (each on its own seed stream: replication k uses
    child k of ``SeedSequence(seed)``) and return their outcomes, series and panel; with
    ``out``, also write the output folder (summary.json, timeseries.parquet,
    barrios.parquet, perception.png). ``progress(day)`` is called every 30 simulated days."""
    from experiments.outputs import RunFolder
    from experiments.replications import replicate

    loaded = scenario(source, seed=seed, replications=replications, years=years, scale=scale,
                      city=city, parameters=parameters, levers=levers)
    folder = RunFolder(check_out(out)).open() if out is not None else None
    results, interrupted = [], False
    try:
        for result in replicate(loaded, progress):
            if folder is not None:
                folder.add(result)
            results.append(result)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        summary = folder.finish(loaded.scenario)[0] if folder is not None else None
    outputs = _outputs(loaded, results, summary, folder)
    if interrupted:
        raise Interrupted(outputs)
    return outputs


def _outputs(loaded: LoadedScenario, results, summary, folder) -> RunOutputs | None:
    from experiments.summary import summarize

    if not results:
        return None
    rows = pd.DataFrame([{"replication": r.replication, **r.outcomes} for r in results])
    if summary is None:
        summary = summarize(loaded.scenario, [r.outcomes for r in results], results[-1].residents)
    return RunOutputs(loaded.scenario, rows,
                      pd.concat([r.timeseries for r in results], ignore_index=True),
                      pd.concat([r.barrios for r in results], ignore_index=True),
                      summary, results[-1].residents, folder.path if folder else None)


# --- studies -------------------------------------------------------------------------------


def _execution(workers, scheduler, progress, retry_failed=False) -> Execution:
    return Execution(scheduler=scheduler, workers=workers, progress=progress,
                     retry_failed=retry_failed)


def compare(scenarios: Sequence[str | Path], *, replications: int = 30, seed: int = 0,
            years: float | None = None, scale: float | None = None,
            out: Path | str | None = None, workers: int | None = None,
            scheduler: str | None = None, progress: bool = False, lang: str = "en"):
    """Every scenario on common random numbers; writes comparison.csv/.parquet, groups.csv,
    comparison.png, cost_gain.png and report.md/.html (in ``lang``: "en" or "es") to the
    result folder. Returns the Comparison (``table``: one row per scenario and outcome;
    ``groups``; ``folder``)."""
    from experiments.compare import compare as run_comparison
    from experiments.compare_report import write_outputs
    from experiments.reporting import check_lang

    check_lang(lang)  # before the runs, not after
    result = run_comparison(list(scenarios), replications=replications, seed=seed, years=years,
                            scale=scale, out=check_out(out),
                            execution=_execution(workers, scheduler, progress))
    result.files = write_outputs(result, lang)
    return result


def sweep(experiment: str | Path, *, out: Path | str | None = None, workers: int | None = None,
          scheduler: str | None = None, progress: bool = False, retry_failed: bool = False,
          lang: str = "en"):
    """Run an experiment file's design (levers, uncertainties, budget) and analyse it:
    points.csv, pareto.csv, tradeoff.png, with a target prim.csv, and report.md/.html in
    ``lang`` ("en" or "es"). Returns the SweepResult (``folder``, ``design``, ``text``:
    what the command prints); the runs are ``load_results(folder)``."""
    from experiments.reporting import check_lang
    from experiments.sweep import sweep as run_sweep
    from experiments.sweep_report import analyse

    check_lang(lang)  # before the runs, not after
    result = run_sweep(experiment, check_out(out),
                       execution=_execution(workers, scheduler, progress, retry_failed))
    result.text = analyse(result, lang)
    return result


def sensitivity(file: str | Path, *, out: Path | str | None = None, report: Path | str | None = None,
                morris_only: bool = False, trajectories: int | None = None,
                samples: int | None = None, workers: int | None = None,
                scheduler: str | None = None, progress: bool = False, retry_failed: bool = False,
                lang: str = "en", report_only: bool = False):
    """Morris screening, then Sobol indices of the most influential parameters; writes the
    tables, figures and report in ``lang`` ("en" or "es") to ``report`` (default the result
    folder). With ``report_only``, run nothing: write report.md/.html again from the tables
    already there (give the ``trajectories`` / ``samples`` they ran with). Returns the
    SensitivityResult (``morris`` and ``sobol`` stages with their ``indices``)."""
    from experiments.reporting import check_lang
    from experiments.sensitivity_report import read_stored, write_outputs, write_sensitivity_report
    from experiments.sensitivity_study import default_folder, load_sensitivity
    from experiments.sensitivity_study import sensitivity as run_sensitivity

    check_lang(lang)
    loaded = load_sensitivity(file, trajectories=trajectories, samples=samples)
    if report is not None:
        writable_folder(Path(report), "--report", None)
    if report_only:
        folder = Path(report or out or default_folder(loaded))
        result = read_stored(loaded, folder)
        if morris_only:
            result.sobol = None
        result.files = write_sensitivity_report(loaded, result.morris, result.sobol, folder, lang)
        return result
    result = run_sensitivity(loaded, check_out(out), stages="morris" if morris_only else "both",
                             execution=_execution(workers, scheduler, progress, retry_failed))
    result.files = write_outputs(loaded, result.morris, result.sobol,
                                 Path(report) if report else result.folder, lang)
    return result


def calibrate(file: str | Path, *, out: Path | str | None = None, workers: int | None = None,
              scheduler: str | None = None, progress: bool = False, predictive: bool = True,
              outputs_only: bool = False, lang: str = "en", report_only: bool = False,
              reanalyse: bool = False):
    """Calibration, resumable (the same call continues from the stored runs): ABC-SMC
    (pyabc) for a calibration file, or history matching with emulators when the file says
    ``method = "history_matching"``. Writes the results folder and (with write_scenario)
    the calibrated scenario. Returns the CalibrationResult or the MatchResult.

    History matching writes its report in ``lang`` ("en" or "es"); with ``report_only``
    it runs and refits nothing and writes the report again from the results folder's
    tables (returning the paths written); with ``reanalyse`` it runs none of the stored
    waves and does every analysis again on the results folder's design (design.parquet):
    the emulators, their cross-validation, the set not ruled out, the posterior, the
    hold-outs and the sensitivity; the robustness ranking runs at the posterior's draws
    (resuming its store when they are the same), and waves the file adds beyond the
    stored ones run, their points chosen by the new emulators. ABC-SMC's report is in
    English only."""
    from experiments.files import BadInput
    from experiments.reporting import check_lang

    check_lang(lang)
    if _method(file) == "history_matching":
        from experiments.history_matching import history_match, load_matching
        from experiments.history_matching_report import (folder_of, read_stored, write_outputs,
                                                         write_report)

        loaded = load_matching(file)
        if report_only:
            folder = folder_of(loaded)
            if folder is None or not (folder / "parameters.csv").is_file():
                raise BadInput(Path(file), "results", "expected a results folder with a "
                               "calibration's tables (parameters.csv, observations.csv, ...) "
                               f"for --report-only, found {folder or 'no results folder'}")
            return write_report(loaded, read_stored(folder), folder, lang, stored=True)
        if reanalyse:
            return _reanalyse(loaded, out, lang, _execution(workers, scheduler, progress))
        result = history_match(loaded, check_out(out),
                               execution=_execution(workers, scheduler, progress))
        result.files = write_outputs(result, lang)
        return result
    for flag, asked in (("--lang", lang != "en"), ("--report-only", report_only),
                        ("--reanalyse", reanalyse)):
        if asked:
            raise BadInput(flag, None, "expected a history-matching calibration file "
                           "(method = \"history_matching\"; an ABC-SMC report is in English "
                           f"only and is rewritten with --outputs-only), found {Path(file).name}")
    from experiments.calibration import calibrate as run_calibration
    from experiments.calibration_report import write_outputs

    result = run_calibration(file, check_out(out), predictive=predictive,
                             outputs_only=outputs_only,
                             execution=_execution(workers, scheduler, progress))
    result.files = write_outputs(result)
    return result


def _reanalyse(loaded, out, lang: str, execution):
    """Every analysis of a history matching again, on its stored design (no wave runs;
    the robustness ranking runs at the posterior's draws, or resumes)."""
    import pandas as pd

    from experiments.files import BadInput
    from experiments.history_matching import history_match
    from experiments.history_matching_report import folder_of, read_stored, write_outputs

    folder = folder_of(loaded)
    if folder is None or not (folder / "design.parquet").is_file():
        raise BadInput(loaded.path, "results", "expected a results folder with the calibration's "
                       f"design.parquet for --reanalyse, found {folder or 'no results folder'}")
    stored = read_stored(folder)
    result = history_match(loaded, check_out(out), execution,
                           design=pd.read_parquet(folder / "design.parquet"))
    result.defaults_before = dict(zip(stored.params["parameter"], stored.params["default_before"]))
    result.files = write_outputs(result, lang)
    return result


def _method(file) -> str | None:
    """A calibration file's ``method`` (None: ABC-SMC), read leniently: the loader checks."""
    from experiments.files import read_toml

    try:
        return read_toml(Path(file)).get("method")
    except Exception:  # noqa: BLE001 - the proper loader reports the problem
        return None


def pathways(source: ScenarioLike, *, replications: int = 10, seed: int = 0,
             years: float | None = None, scale: float | None = None,
             out: Path | str | None = None, workers: int | None = None,
             scheduler: str | None = None, progress: bool = False):
    """Where a scenario's rise in perceived safety comes from: the rise, and each
    perception channel's contribution (counterfactual switches on common seeds); writes
    pathways.csv, pathways.png and report.md/.html. Returns the Pathways (``table``)."""
    from experiments.pathways import pathways as run_pathways
    from experiments.pathways_report import write_outputs

    loaded = scenario(source, years=years, scale=scale)
    result = run_pathways(loaded, replications=replications, seed=seed, out=check_out(out),
                          execution=_execution(workers, scheduler, progress))
    write_outputs(result)
    return result


def evaluate(file: str | Path, *, replications: int | None = None, out: Path | str | None = None,
             report: Path | str | None = None, workers: int | None = None,
             scheduler: str | None = None, progress: bool = False, retry_failed: bool = False,
             lang: str = "en"):
    """A virtual evaluation (randomized, hot-spot, catchment or matched design) of one
    programme; writes effects.csv/.parquet, estimates.parquet, event_study.csv,
    balance.csv, arms.csv, effects.png, event_study.png and report.md/.html in ``lang``
    ("en" or "es") to ``report`` (default the result folder). Returns the
    EvaluationResult (``effects``: per comparison, outcome, group and measure over
    replications; ``estimates``: per replication)."""
    from experiments.evaluation import evaluate as run_evaluation
    from experiments.evaluation import load_evaluation
    from experiments.evaluation_report import write_outputs
    from experiments.evidence_report import EVIDENCE_TABLE, published_sentence
    from experiments.reporting import check_lang

    check_lang(lang)
    loaded = load_evaluation(file, replications=replications)
    if report is not None:
        writable_folder(Path(report), "--report", None)
    result = run_evaluation(loaded, check_out(out),
                            execution=_execution(workers, scheduler, progress, retry_failed))
    published = published_sentence(result, lang, EVIDENCE_TABLE)
    result.files = write_outputs(result, Path(report) if report else None, lang, published)
    return result


def evidence(table: str | Path = "evidence/table.toml", *, replications: int | None = None,
             out: Path | str | None = None, report: Path | str = "results/evidence",
             only: Sequence[str] | None = None, workers: int | None = None,
             scheduler: str | None = None, progress: bool = False, retry_failed: bool = False,
             lang: str = "en", report_only: bool = False):
    """Run the evaluation of every entry of the evidence table (or of the programmes in
    ``only``) and write the validation report to ``report`` in ``lang`` ("en" or "es"):
    evidence.csv, forest.png, README.md, report.html and each evaluation's report. With
    ``report_only``, run nothing: write the reports again from the tables already in
    ``report``. Returns the EvidenceResult (``table``: one row per entry with the
    published and simulated effects, the verdict and the reason)."""
    from experiments.evaluation_report import write_outputs as write_evaluation
    from experiments.evidence import load_evidence, run_evidence
    from experiments.evidence_report import published_sentence, read_stored, write_outputs
    from experiments.reporting import check_lang

    check_lang(lang)
    loaded = load_evidence(table, replications=replications)
    writable_folder(Path(report), "--report", None)
    if report_only:
        result = read_stored(loaded, Path(report))
        for name, folder in result.reports.items():
            evaluation = result.evaluations[name]
            write_evaluation(evaluation, folder, lang,
                             published_sentence(evaluation, lang, loaded.path))
    else:
        def write(evaluation, folder):
            write_evaluation(evaluation, folder, lang,
                             published_sentence(evaluation, lang, loaded.path))

        result = run_evidence(loaded, only=only, out=check_out(out), report=Path(report),
                              execution=_execution(workers, scheduler, progress, retry_failed),
                              on_evaluation=write)
    write_outputs(result, lang, stored=report_only)
    return result


def load_results(folder: str | Path) -> pd.DataFrame:
    """The runs table of a study's result folder (one row per run)."""
    from experiments.store import load_results as load

    return load(folder)


def load_timeseries(folder: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The kept time series of a study's result folder."""
    from experiments.store import load_timeseries as load

    return load(folder, columns)


def load_panel(folder: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The kept barrio panels of a study's result folder (an evaluation's), one row per
    run, barrio and month."""
    from experiments.store import ResultStore

    return ResultStore(folder).dataset("panel", columns)


# --- the model as a function (EMA Workbench, SALib, notebooks) ---------------------------------


class ModelFunction:
    """The model as a function of named values: ``f(**values) -> {outcome: mean}``.

    Keyword names are parameter names (uncertainties: ``barrios.PARAMETERS``) or
    intervention settings (levers, ``barrios.INTERVENTIONS``), written
    ``street_lighting__intensity`` (a valid identifier, as EMA Workbench asks) or
    ``street_lighting.intensity``; the result is each requested outcome
    (``barrios.OUTCOMES``) averaged over ``replications`` runs on common random numbers
    (replication k of every call uses the same stream). Picklable, so EMA Workbench's
    multiprocessing evaluator can use it."""

    def __init__(self, source: ScenarioLike, *, outcomes: Sequence[str] = (
                 "safe_public_change", "safe_neighbourhood_change", "victimization_12m_end",
                 "cost_usd_total"), seed: int = 0, replications: int = 1, **changes):
        unknown = [o for o in outcomes if o not in OUTCOMES]
        if unknown:
            raise BadInput("outcomes", None, f"expected outcomes of barrios.OUTCOMES, found "
                           f"{', '.join(map(repr, unknown))}")
        self.base = scenario(source, seed=seed, replications=replications, **changes)
        self.outcomes = tuple(outcomes)

    def __call__(self, **values) -> dict[str, float]:
        parameters = {k: v for k, v in values.items() if k in PARAMETERS}
        levers = {k.replace("__", "."): v for k, v in values.items() if k not in PARAMETERS}
        result = run(self.base, parameters=parameters or None, levers=levers or None)
        means = result.means()
        return {name: means[name] for name in self.outcomes}


def problem(names: Sequence[str]) -> dict:
    """A SALib problem over parameters' plausible ranges (``barrios params``)."""
    unknown = [n for n in names if n not in PARAMETERS]
    if unknown:
        raise BadInput("names", None, f"expected parameters listed by `barrios params`, found "
                       f"{', '.join(map(repr, unknown))}")
    return {"num_vars": len(names), "names": list(names),
            "bounds": [list(PARAMETERS[n].plausible) for n in names]}
