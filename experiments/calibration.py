"""Calibration: ABC-SMC (pyabc) of the parameters no study pins down, against the
Tándem survey figures and Quito's homicide rate.

A calibration file (TOML, e.g. ``experiments/calibrate_quito.toml``) is a study file
(``experiments.study.StudyFile``: the base scenario, its changes, a seed; one Quito run
gives both survey waves: its start is the pre-plan state) with the fitted parameters'
``[priors]`` (each parameter's range from evaluation studies other than the survey where
the registry has one, else its plausible range from ``barrios params``, unless
``low``/``high`` are given), the observed ``[targets]`` (the ``[observed]`` keys the
outcome registry holds outcomes against), the observed survey's sample size, and the ABC
settings: population size, generations, a simulation budget and a wall-time limit.

Distance. The observed shares come from a survey of ``survey.observed_sample_size``
people (not in the seeds: a documented setting); the simulated ones from the model's own
simulated survey of ``run.survey_sample_size`` residents (the outcomes the registry names
as each target's ``survey``).
Each squared difference is divided by the sum of both sampling variances,
``p(1-p)/n_observed + p(1-p)/n_simulated`` at the observed share ``p``, so a point of
difference counts as much as the surveys can tell apart; severe violence is divided by
the square of its stated ``sd``. The distance is thus a sum of squared z-scores.

Execution. pyabc's ``DaskDistributedSampler`` on a local Dask cluster (one worker per
core) or on ``--scheduler tcp://HOST:PORT``. The history is SQLite (``history.db`` in
the output folder): a calibration started again on the same folder continues from its
last finished generation. The simulation budget counts all invocations; the wall-time
limit counts each invocation and is checked after each generation. pyabc's parallel
samplers draw each job's random numbers from fresh entropy, so two calibrations agree in
distribution, not bit for bit; the calibration's ``seed`` fixes the model's seed stream
family, the posterior predictive draws and their runs. A calibration in which every
simulation fails stops with ``AllRunsFailed`` instead of reporting prior draws.

This module is the schema, the design (ABC-SMC) and the analysis (posterior table and
summary); ``experiments.calibration_report`` writes the figures, tables and scenario.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from experiments.execution import Execution, dask_client, execute_design
from experiments.files import BadInput
from experiments.runs import Run, changed, simulate
from experiments.store import claim, fingerprint
from experiments.study import (AllRunsFailed, LoadedStudy, StudyFile, load_study, scenario_definition,
                               writable_folder)
from simulation.outcomes import OUTCOMES
from simulation.parameters import PARAMETERS
from simulation.schema import StrictModel

TARGETS = {o.observed: o.survey or o.name for o in OUTCOMES.values() if o.observed}
"""Observed key -> the simulated outcome held against it (the simulated survey's, where
the observation is a survey share)."""
SURVEY_TARGETS = {k: v for k, v in TARGETS.items() if OUTCOMES[v].series.startswith("survey_")}
PREDICTED = ("safe_public_start", "safe_public_end", "safe_neighbourhood_start",
             "safe_neighbourhood_end", "survey_safe_public_start", "survey_safe_public_end",
             "survey_safe_neighbourhood_start", "survey_safe_neighbourhood_end",
             "severe_violence_per_100k_end", "victimization_12m_end")


class Prior(StrictModel):
    low: float | None = None
    high: float | None = None
    distribution: Literal["uniform", "loguniform"] = "uniform"


class Target(StrictModel):
    observed: float
    sd: float | None = Field(None, gt=0)  # required for non-survey targets


class Survey(StrictModel):
    observed_sample_size: int = Field(1200, ge=10, le=10_000_000)


class ABC(StrictModel):
    population_size: int = Field(100, ge=2, le=100_000)
    max_generations: int = Field(10, ge=1, le=1000)
    max_simulations: int = Field(3000, ge=1)
    max_walltime_minutes: float = Field(60, gt=0)
    min_epsilon: float = Field(1.0, ge=0)
    epsilon_quantile: float = Field(0.5, gt=0, lt=1)  # next epsilon: this quantile of distances
    # Proposal kernel: "local" (pyabc.LocalTransition: each particle's covariance from its
    # nearest quarter) follows the ridges that non-identified effect parameters form;
    # "global" (pyabc.MultivariateNormalTransition, one covariance for all) puts a ridge's
    # ends in the kernel's tails, where they get most of the weight (effective sample
    # size of 2 of 100 particles in the Quito calibration).
    transition: Literal["local", "global"] = "local"


class Predictive(StrictModel):
    draws: int = Field(40, ge=2, le=10_000)
    every_days: int = Field(15, ge=1, le=3650)


class CalibrationFile(StudyFile):
    survey: Survey = Survey()
    targets: dict[str, Target]
    priors: dict[str, Prior]
    abc: ABC = ABC()
    predictive: Predictive = Predictive()
    results: str | None = None           # folder for the committed figures and tables
    write_scenario: str | None = None    # e.g. "../scenarios/calibrated.toml"


@dataclass(frozen=True, eq=False)
class LoadedCalibration(LoadedStudy[CalibrationFile]):
    priors: dict[str, tuple[float, float, str]] = field(default_factory=dict)

    @property
    def scenario(self):
        """The scenario every simulation starts from."""
        return self.base.scenario

    def definition(self) -> dict:
        """What the stored history depends on (not the ABC, predictive or output settings):
        the scenario without the fitted parameters' values (each particle sets them, so
        writing the calibrated values into a scenario the base extends changes nothing)."""
        scenario = scenario_definition(self.base)
        params = scenario["scenario"]["parameters"]
        scenario["scenario"]["parameters"] = {k: v for k, v in params.items() if k not in self.priors}
        cfg = self.spec
        return {**scenario, "seed": cfg.seed, "survey": cfg.survey.model_dump(),
                "targets": {k: v.model_dump() for k, v in cfg.targets.items()},
                "priors": {k: list(v) for k, v in self.priors.items()},
                # histories sampled log-uniform priors in natural units before this
                "log_scaled_sampling": True}

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.definition())

    @property
    def n_observed(self) -> int:
        return self.spec.survey.observed_sample_size

    @property
    def n_simulated(self) -> int:
        return self.scenario.run.survey_sample_size


def load_calibration(path: Path | str) -> LoadedCalibration:
    """Read and check a calibration file; every problem is a one-line BadInput."""
    study = load_study(path, CalibrationFile, "calibration file")
    config, path = study.spec, study.path
    _check_targets(config, path)
    if not config.priors:
        raise BadInput(path, "priors", "expected at least one parameter to fit, found none")
    priors = {name: _prior_range(name, prior, path) for name, prior in config.priors.items()}
    _check_outputs(config, path)
    return LoadedCalibration(study.spec, study.path, study.base, priors)


def _check_outputs(config: CalibrationFile, path: Path):
    """Where the results go must be writable before hours of sampling, not after."""
    if config.results:
        writable_folder((path.parent / config.results).resolve(), path, "results")
    if config.write_scenario:
        target = (path.parent / config.write_scenario).resolve()
        if target.is_dir():
            raise BadInput(path, "write_scenario", f"expected a scenario file to write, found "
                           f"the folder {target}")
        if not target.parent.is_dir():
            raise BadInput(path, "write_scenario", f"expected a file in an existing folder, "
                           f"found no folder {target.parent}")
        writable_folder(target.parent, path, "write_scenario")


def _check_targets(config: CalibrationFile, path: Path):
    if not config.targets:
        raise BadInput(path, "targets", "expected at least one target, found none")
    for name, target in config.targets.items():
        if name not in TARGETS:
            raise BadInput(path, f"targets.{name}", f"expected one of {', '.join(TARGETS)}, "
                           f"found {name!r}")
        if name in SURVEY_TARGETS and not 0 < target.observed < 1:
            raise BadInput(path, f"targets.{name}.observed",
                           f"expected a share in (0, 1), found {target.observed!r}")
        if name not in SURVEY_TARGETS and target.sd is None:
            raise BadInput(path, f"targets.{name}.sd", "expected a standard deviation (how "
                           "close is close enough), found nothing")


def _prior_range(name: str, prior: Prior, path: Path) -> tuple[float, float, str]:
    key = f"priors.{name}"
    if name not in PARAMETERS:
        raise BadInput(path, key, f"expected a parameter listed by `barrios params`, found {name!r}")
    p = PARAMETERS[name]
    default = p.evidence[:2] if p.evidence else p.plausible  # evidence from other studies first
    low = default[0] if prior.low is None else prior.low
    high = default[1] if prior.high is None else prior.high
    if not low < high:
        raise BadInput(path, key, f"expected low < high, found low={low:g}, high={high:g}")
    if not (p.bounds[0] <= low and high <= p.bounds[1]):
        raise BadInput(path, key, f"expected a range within the parameter's bounds "
                       f"[{p.bounds[0]:g}, {p.bounds[1]:g}], found [{low:g}, {high:g}]")
    if prior.distribution == "loguniform" and low <= 0:
        raise BadInput(path, f"{key}.low", f"expected low > 0 for loguniform, found {low:g}")
    return float(low), float(high), prior.distribution


# --- the pieces pyabc calls (picklable: they travel to Dask workers) ------------------

class Simulator:
    """Run the scenario with a particle's parameters; return the targets' simulated values."""

    def __init__(self, scenario, city_table, seed: int, log_scaled: frozenset = frozenset()):
        self.scenario, self.city_table, self.seed = scenario, city_table, seed
        self.log_scaled = log_scaled  # parameters pyabc samples as log10 values

    def __call__(self, pars) -> dict:
        stream = np.random.SeedSequence([self.seed, int(np.random.randint(0, 2**31 - 1))])
        try:
            return self.outcomes(pars, stream)
        except Exception:  # noqa: BLE001 - a failed simulation is rejected, ABC goes on
            return {name: float("nan") for name in PREDICTED}

    def outcomes(self, pars, stream) -> dict:
        """The predicted outcomes of one simulation (raises what the run raises)."""
        values = {f"parameters.{k}": natural(k, float(v), self.log_scaled) for k, v in pars.items()}
        scenario = changed(self.scenario, values, self.city_table)
        result = simulate(scenario, seed=stream, replication=None, city_table=self.city_table,
                          record_days=())
        return {name: float(result.outcomes[name]) for name in PREDICTED}


class SurveyDistance:
    """Sum of squared z-scores: survey shares weighted by both surveys' sampling variances."""

    def __init__(self, weights: dict[str, float]):
        self.weights = weights  # simulated outcome name -> 1 / variance

    def __call__(self, x: dict, x0: dict) -> float:
        total = 0.0
        for name, w in self.weights.items():
            d = x[name] - x0[name]
            if not math.isfinite(d):
                return float("inf")
            total += w * d * d
        return total


def distance_weights(loaded: LoadedCalibration) -> dict[str, float]:
    weights = {}
    for name, target in loaded.spec.targets.items():
        if name in SURVEY_TARGETS:
            p = target.observed
            var = p * (1 - p) / loaded.n_observed + p * (1 - p) / loaded.n_simulated
        else:
            var = target.sd ** 2
        weights[TARGETS[name]] = 1.0 / var
    return weights


def observed_stats(loaded: LoadedCalibration) -> dict[str, float]:
    return {TARGETS[n]: t.observed for n, t in loaded.spec.targets.items()}


def log_scaled(loaded: LoadedCalibration) -> frozenset:
    """Parameters with a log-uniform prior. pyabc samples them as log10 values with a
    uniform prior, so its Gaussian transition kernel moves them by factors, not by
    amounts; in natural units a kernel wide enough for the prior's upper decade jumps
    straight out of its lower one, and the importance weights degenerate."""
    return frozenset(n for n, (_, _, dist) in loaded.priors.items() if dist == "loguniform")


def natural(name: str, value: float, log_scaled: frozenset) -> float:
    return 10.0 ** value if name in log_scaled else value


def _prior(loaded: LoadedCalibration):
    import pyabc

    rvs = {}
    for name, (low, high, dist) in loaded.priors.items():
        if dist == "loguniform":
            low, high = math.log10(low), math.log10(high)
        rvs[name] = pyabc.RV("uniform", low, high - low)
    return pyabc.Distribution(**rvs)


def _transition(kind: str):
    import pyabc

    return pyabc.LocalTransition(k_fraction=0.25) if kind == "local" else pyabc.MultivariateNormalTransition()


# --- running ---------------------------------------------------------------------------

@dataclass
class CalibrationResult:
    loaded: LoadedCalibration
    folder: Path
    generations: int
    simulations: int
    epsilon: float
    seconds: float
    posterior: pd.DataFrame   # particles of the last generation with a "weight" column
    table: pd.DataFrame       # prior, posterior median and 90% interval per parameter
    summary: dict
    predictive: tuple[pd.DataFrame, pd.DataFrame] | None = None  # draws' rows and series

    @property
    def results(self) -> Path:
        """Where the report goes: the file's ``results`` folder, or OUT/results."""
        cfg = self.loaded.spec
        return (self.loaded.path.parent / cfg.results).resolve() if cfg.results else self.folder / "results"


def calibrate(loaded: LoadedCalibration | Path | str, out: Path | str | None = None, *,
              execution: Execution = Execution(), predictive: bool = True,
              outputs_only: bool = False) -> CalibrationResult:
    """Run (or continue) the calibration in ``out`` and analyse its last generation
    (``experiments.calibration_report`` writes the outputs)."""
    if not isinstance(loaded, LoadedCalibration):
        loaded = load_calibration(loaded)
    folder = Path(out or Path("runs") / f"calibrate-{loaded.name}")
    from experiments.study import manifest

    lock = claim(folder, manifest("calibration", loaded.definition(), loaded.sources))
    try:
        return _calibrate(loaded, folder, execution, predictive, outputs_only)
    finally:
        lock.release()


def _calibrate(loaded: LoadedCalibration, folder: Path, execution: Execution, predictive: bool,
               outputs_only: bool) -> CalibrationResult:
    import pyabc

    cfg = loaded.spec
    _quiet_pyabc(execution.progress)
    started = time.perf_counter()
    db_file = folder / "history.db"
    db = f"sqlite:///{db_file.resolve()}"
    history = _existing_history(db_file)
    done = 0 if history is None else history.max_t + 1
    if outputs_only and history is None:
        raise BadInput(loaded.path, None, f"expected a stored history with a finished "
                       f"generation in {folder}, found none (run without --outputs-only)")
    finished = history is not None and (
        outputs_only or done >= cfg.abc.max_generations
        or history.total_nr_simulations >= cfg.abc.max_simulations
        or _last_epsilon(history) <= cfg.abc.min_epsilon)
    simulator = Simulator(loaded.scenario, loaded.base.city_table, cfg.seed, log_scaled(loaded))
    if history is None:
        _preflight(loaded, simulator, folder)
    if finished and not predictive:
        client_context = contextlib.nullcontext(None)
    else:
        client_context = dask_client(execution.scheduler, execution.workers)
    with client_context as client:
        if not finished:
            history = _sample(loaded, simulator, db, history, done, client)
        history = pyabc.History(db, _id=history.id)
        if history.max_t < 0:
            raise RuntimeError("no generation finished; run the same command again to continue")
        _check_simulated(history, folder)
        runtime = _record_time(folder, time.perf_counter() - started, history.total_nr_simulations)
        result = analyse(loaded, folder, history, runtime)
        if predictive:
            result.predictive = _predictive(loaded, result.posterior, folder, execution, client)
    return result


def _quiet_pyabc(progress: bool):
    logging.getLogger("ABC").setLevel(logging.INFO if progress else logging.WARNING)
    for name in ("ABC.Sampler", "ABC.Distance", "ABC.Epsilon", "ABC.Acceptor",
                 "ABC.Adaptation", "ABC.Population", "ABC.History", "ABC.Transition"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _preflight(loaded: LoadedCalibration, simulator: Simulator, folder: Path):
    """One simulation at the priors' centre before sampling: a calibration whose every
    simulation fails (a prior the model cannot run) stops here with the error, instead
    of accepting prior draws at an infinite epsilon."""
    centre = {}
    for name, (low, high, dist) in loaded.priors.items():
        mid = math.sqrt(low * high) if dist == "loguniform" else (low + high) / 2
        centre[name] = math.log10(mid) if name in simulator.log_scaled else mid
    try:
        simulator.outcomes(centre, np.random.SeedSequence([loaded.spec.seed, 0]))
    except Exception as exc:  # noqa: BLE001 - reported as the study's failure
        raise AllRunsFailed(folder, f"{type(exc).__name__}: {exc} (at the priors' centre)") from None


def _sample(loaded: LoadedCalibration, simulator: Simulator, db: str, history, done: int, client):
    import pyabc

    cfg = loaded.spec
    n_workers = max(len(client.scheduler_info(n_workers=-1)["workers"]), 1)
    sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client,
                                                   client_max_jobs=2 * n_workers, batch_size=1)
    np.random.seed(cfg.seed + done)
    abc = pyabc.ABCSMC(simulator, _prior(loaded), SurveyDistance(distance_weights(loaded)),
                       population_size=cfg.abc.population_size, sampler=sampler,
                       transitions=_transition(cfg.abc.transition),
                       eps=pyabc.epsilon.QuantileEpsilon(alpha=cfg.abc.epsilon_quantile))
    if history is not None:
        abc.load(db, abc_id=history.id)
    else:
        abc.new(db, observed_stats(loaded))
    # The wall-time limit is checked after each generation (pyabc), so a run can exceed
    # it by up to one generation.
    abc.run(minimum_epsilon=cfg.abc.min_epsilon,
            max_nr_populations=cfg.abc.max_generations - done,
            max_total_nr_simulations=cfg.abc.max_simulations,
            max_walltime=dt.timedelta(minutes=cfg.abc.max_walltime_minutes))
    return abc.history


def _check_simulated(history, folder: Path):
    """A last generation whose every particle failed (infinite distance) is no posterior."""
    distances = history.get_weighted_distances(t=history.max_t)["distance"].to_numpy(float)
    if not np.isfinite(distances).any():
        raise AllRunsFailed(folder, "every simulation of the last generation failed (infinite "
                            "distance); see the workers' logs")


def _existing_history(db_file: Path):
    """The stored history if at least one generation finished; else start afresh."""
    import pyabc

    if not db_file.exists():
        return None
    try:
        history = pyabc.History(f"sqlite:///{db_file.resolve()}")
        if history.id is not None and history.max_t >= 0:
            return history
    except Exception:  # noqa: BLE001 - an unreadable history is started again
        pass
    db_file.unlink()
    return None


def _last_epsilon(history) -> float:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return float(pops["epsilon"].iloc[-1]) if len(pops) else float("inf")


def _record_time(folder: Path, seconds: float, simulations: int) -> dict:
    """Wall time summed over invocations (each invocation's own time added)."""
    path = folder / "runtime.json"
    doc = json.loads(path.read_text()) if path.exists() else {"invocations": []}
    doc["invocations"].append({"finished": dt.datetime.now().isoformat(timespec="seconds"),
                               "seconds": round(seconds, 1), "simulations_total": simulations})
    doc["seconds_total"] = round(sum(i["seconds"] for i in doc["invocations"]), 1)
    doc["simulations_total"] = simulations
    path.write_text(json.dumps(doc, indent=2))
    return doc


# --- outputs ---------------------------------------------------------------------------

def effective_sample_size(weights) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / np.sum(w ** 2))


def weighted_quantile(values, weights, q):
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cdf, v)


def _prior_quantile(low, high, dist, q):
    if dist == "loguniform":
        return math.exp(math.log(low) + q * (math.log(high) - math.log(low)))
    return low + q * (high - low)


def posterior_table(loaded: LoadedCalibration, posterior: pd.DataFrame) -> pd.DataFrame:
    rows = []
    w = posterior["weight"].to_numpy()
    for name, (low, high, dist) in loaded.priors.items():
        q05, q50, q95 = weighted_quantile(posterior[name], w, [0.05, 0.5, 0.95])
        prior_width = _prior_quantile(low, high, dist, 0.95) - _prior_quantile(low, high, dist, 0.05)
        ratio = (q95 - q05) / prior_width
        rows.append({"parameter": name, "unit": PARAMETERS[name].unit, "prior": dist,
                     "prior_low": low, "prior_high": high, "default": PARAMETERS[name].default,
                     "posterior_median": q50, "ci90_low": q05, "ci90_high": q95,
                     "width_ratio": ratio,
                     "identified": ("well" if ratio < 0.4 else "partly" if ratio < 0.75 else "no")})
    return pd.DataFrame(rows)


def analyse(loaded: LoadedCalibration, folder: Path, history, runtime: dict) -> CalibrationResult:
    """The last generation as a weighted posterior, its table and a summary."""
    cfg = loaded.spec
    frame, w = history.get_distribution(m=0, t=history.max_t)
    posterior = frame.reset_index(drop=True).copy()
    for name in log_scaled(loaded):
        posterior[name] = 10.0 ** posterior[name]
    posterior["weight"] = np.asarray(w) / np.sum(w)
    posterior.to_csv(folder / "posterior.csv", index=False)
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    epsilon = float(pops["epsilon"].iloc[-1])
    table = posterior_table(loaded, posterior)
    city = loaded.scenario.city
    summary = {
        "calibration_file": _rel(loaded.path), "name": loaded.name, "seed": cfg.seed,
        "scenario": loaded.scenario.name, "population_size": cfg.abc.population_size,
        "generations": int(history.max_t + 1), "final_epsilon": epsilon,
        "simulations": int(history.total_nr_simulations),
        "wall_time_s": runtime["seconds_total"], "date": dt.date.today().isoformat(),
        "city": {"width": city.width, "height": city.height, "population": city.population,
                 "inhabitants_per_agent": city.inhabitants_per_agent},
        "survey_sample_size": {"observed": loaded.n_observed, "simulated": loaded.n_simulated},
        "targets": {n: t.model_dump(exclude_none=True) for n, t in cfg.targets.items()},
        "epsilons": [float(e) for e in pops["epsilon"]],
        # Importance weights concentrated on few particles make the credible intervals
        # rough: report how many particles the last generation is worth.
        "effective_sample_size": effective_sample_size(posterior["weight"]),
        # Sampling noise alone gives a sum of squared z-scores of about the number of
        # targets; a final epsilon above that means the fit is not yet within the noise.
        "converged": bool(epsilon <= len(cfg.targets)),
        "posterior_median": {r.parameter: float(r.posterior_median) for r in table.itertuples()},
    }
    return CalibrationResult(loaded, folder, summary["generations"], summary["simulations"],
                             epsilon, runtime["seconds_total"], posterior, table, summary)


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _predictive(loaded: LoadedCalibration, posterior: pd.DataFrame, folder: Path,
                execution: Execution, client) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posterior predictive: run draws from the posterior with their time series (stored in
    OUT/predictive, so the draws a finished calibration has run are not run again)."""
    from experiments.study import open_store

    cfg = loaded.spec
    rng = np.random.default_rng(cfg.seed)
    idx = rng.choice(len(posterior), size=cfg.predictive.draws, p=posterior["weight"].to_numpy())
    runs = []
    for k, i in enumerate(idx):
        values = {n: float(posterior.loc[i, n]) for n in loaded.priors}
        runs.append(Run(point=k, replication=k, seed=cfg.seed + 1, scenario=loaded.scenario,
                        values=values, overrides={f"parameters.{n}": v for n, v in values.items()},
                        scalars=PREDICTED, timeseries=("safe_public", "safe_neighbourhood"),
                        timeseries_every_days=cfg.predictive.every_days,
                        city_table=loaded.base.city_table))
    definition = {**loaded.definition(), "every_days": cfg.predictive.every_days}
    with open_store(folder / "predictive", "calibration-predictive", definition,
                    loaded.sources) as store:
        execute_design(runs, store, execution, client)
        stored, series = store.runs(), store.timeseries()
    wanted = [r.run_id for r in runs]
    rows = stored.set_index("run_id").reindex(wanted).reset_index()
    rows = rows[rows["status"] == "ok"]
    return rows, series[series["run_id"].isin(set(rows["run_id"]))]


