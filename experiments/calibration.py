"""Calibration: ABC-SMC (pyabc) of the parameters no study pins down, against the
Tándem survey figures and Quito's homicide rate.

A calibration file (TOML, e.g. ``experiments/calibrate_quito.toml``) names a scenario
(one Quito run gives both survey waves: its start is the pre-plan state), the fitted
parameters (priors: each parameter's plausible range from ``barrios params`` unless
``low``/``high`` are given), the observed targets, the survey sample sizes, and the ABC
settings: population size, generations, a simulation budget and a wall-time limit.

Distance. The observed shares come from a survey of ``survey.observed_sample_size``
people (not in the seeds: a documented setting); the simulated ones from the model's own
simulated survey of ``run.survey_sample_size`` residents (outcomes ``survey_safe_*``).
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
family, the posterior predictive draws and their runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from experiments.experiment_files import _one_line, _short, apply_values
from experiments.scenario_files import LoadedScenario, ScenarioError, load_scenario
from experiments.store import ExperimentChanged
from simulation.parameters import PARAMETERS

SURVEY_TARGETS = {  # observed name -> simulated survey outcome
    "safe_public_start": "survey_safe_public_start",
    "safe_public_end": "survey_safe_public_end",
    "safe_neighbourhood_start": "survey_safe_neighbourhood_start",
    "safe_neighbourhood_end": "survey_safe_neighbourhood_end",
}
OTHER_TARGETS = {"severe_violence_per_100k": "severe_violence_per_100k_end"}
TARGETS = {**SURVEY_TARGETS, **OTHER_TARGETS}
PREDICTED = ("safe_public_start", "safe_public_end", "safe_neighbourhood_start",
             "safe_neighbourhood_end", "survey_safe_public_start", "survey_safe_public_end",
             "survey_safe_neighbourhood_start", "survey_safe_neighbourhood_end",
             "severe_violence_per_100k_end", "victimization_12m_end")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Prior(_Strict):
    low: float | None = None
    high: float | None = None
    distribution: Literal["uniform", "loguniform"] = "uniform"


class Target(_Strict):
    observed: float
    sd: float | None = Field(None, gt=0)  # required for non-survey targets


class Survey(_Strict):
    observed_sample_size: int = Field(1200, ge=10, le=10_000_000)
    simulated_sample_size: int | None = Field(None, ge=10, le=1_000_000)


class ABC(_Strict):
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


class Predictive(_Strict):
    draws: int = Field(40, ge=2, le=10_000)
    every_days: int = Field(15, ge=1, le=3650)


class CalibrationFile(_Strict):
    name: str = "calibration"
    description: str = ""
    scenario: str
    seed: int = Field(0, ge=0)
    years: float | None = Field(None, gt=0, le=30)
    inhabitants_per_agent: float | None = Field(None, ge=1, le=100_000)
    city: dict[str, int | float] = Field(default_factory=dict)
    survey: Survey = Survey()
    targets: dict[str, Target]
    parameters: dict[str, Prior]
    abc: ABC = ABC()
    predictive: Predictive = Predictive()
    results: str | None = None           # folder for the committed figures and tables
    write_scenario: str | None = None    # e.g. "../scenarios/calibrated.toml"


@dataclass(frozen=True, eq=False)
class LoadedCalibration:
    config: CalibrationFile
    path: Path
    base: LoadedScenario
    scenario: object                      # the scenario every simulation starts from
    priors: dict[str, tuple[float, float, str]]

    @property
    def fingerprint(self) -> str:
        doc = {"calibration": self.config.model_dump(mode="json", exclude={"abc", "predictive",
                                                                           "results", "write_scenario"}),
               "scenario": self._scenario_doc(),
               # histories sampled log-uniform priors in natural units before this
               "log_scaled_sampling": True}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]

    def _scenario_doc(self) -> dict:
        """The scenario without the fitted parameters' values (each particle sets them), so
        writing the calibrated values into a scenario the base extends changes nothing."""
        doc = self.scenario.model_dump(mode="json")
        doc["parameters"] = {k: v for k, v in (doc.get("parameters") or {}).items()
                             if k not in self.priors}
        return doc

    @property
    def n_observed(self) -> int:
        return self.config.survey.observed_sample_size

    @property
    def n_simulated(self) -> int:
        return self.scenario.run.survey_sample_size


def load_calibration(path: Path | str) -> LoadedCalibration:
    """Read and check a calibration file; every problem is a one-line ScenarioError."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ScenarioError(path, None, "expected an existing calibration file, found nothing")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, None, f"expected valid TOML, found {exc}") from None
    try:
        config = CalibrationFile.model_validate(doc)
    except ValidationError as exc:
        raise _one_line(path, exc.errors()[0]) from None
    base = load_scenario(path.parent / config.scenario)
    updates = {f"city.{k}": (f"city.{k}", v) for k, v in config.city.items()}
    if config.inhabitants_per_agent is not None:
        updates["inhabitants_per_agent"] = ("city.inhabitants_per_agent", config.inhabitants_per_agent)
    if config.years is not None:
        updates["years"] = ("run.years", config.years)
    if config.survey.simulated_sample_size is not None:
        updates["survey.simulated_sample_size"] = ("run.survey_sample_size",
                                                   config.survey.simulated_sample_size)
    scenario = base.scenario
    for file_key, (target, value) in updates.items():
        try:
            scenario = apply_values(scenario, {target: value})
        except (ValueError, KeyError) as exc:
            raise ScenarioError(path, file_key, f"expected a valid value, found {value!r} "
                                f"({_short(exc)})") from None
    if not config.targets:
        raise ScenarioError(path, "targets", "expected at least one target, found none")
    for name, target in config.targets.items():
        if name not in TARGETS:
            raise ScenarioError(path, f"targets.{name}",
                                f"expected one of {', '.join(TARGETS)}, found {name!r}")
        if name in SURVEY_TARGETS and not 0 < target.observed < 1:
            raise ScenarioError(path, f"targets.{name}.observed",
                                f"expected a share in (0, 1), found {target.observed!r}")
        if name not in SURVEY_TARGETS and target.sd is None:
            raise ScenarioError(path, f"targets.{name}.sd",
                                "expected a standard deviation (how close is close enough), "
                                "found nothing")
    if not config.parameters:
        raise ScenarioError(path, "parameters", "expected at least one parameter to fit, found none")
    priors = {}
    for name, prior in config.parameters.items():
        key = f"parameters.{name}"
        if name not in PARAMETERS:
            raise ScenarioError(path, key, f"expected a parameter listed by `barrios params`, "
                                f"found {name!r}")
        p = PARAMETERS[name]
        low = p.plausible[0] if prior.low is None else prior.low
        high = p.plausible[1] if prior.high is None else prior.high
        if not low < high:
            raise ScenarioError(path, key, f"expected low < high, found low={low:g}, high={high:g}")
        if not p.bounds[0] <= low and high <= p.bounds[1]:
            raise ScenarioError(path, key, f"expected a range within [{p.bounds[0]:g}, "
                                f"{p.bounds[1]:g}], found [{low:g}, {high:g}]")
        if prior.distribution == "loguniform" and low <= 0:
            raise ScenarioError(path, f"{key}.low", f"expected low > 0 for loguniform, found {low:g}")
        priors[name] = (float(low), float(high), prior.distribution)
    return LoadedCalibration(config, path, base, scenario, priors)


# --- the pieces pyabc calls (picklable: they travel to Dask workers) ------------------

class Simulator:
    """Run the scenario with a particle's parameters; return the targets' simulated values."""

    def __init__(self, scenario, city_table, seed: int, log_scaled: frozenset = frozenset()):
        self.scenario, self.city_table, self.seed = scenario, city_table, seed
        self.log_scaled = log_scaled  # parameters pyabc samples as log10 values

    def __call__(self, pars) -> dict:
        from experiments.runner import run_once
        from experiments.summary import run_outcomes

        values = {f"parameters.{k}": natural(k, float(v), self.log_scaled) for k, v in pars.items()}
        stream = np.random.SeedSequence([self.seed, int(np.random.randint(0, 2**31 - 1))])
        try:
            scenario = apply_values(self.scenario, values)
            ts = run_once(scenario, stream, self.city_table, record_days=()).timeseries  # start, end
            outcomes = run_outcomes(ts)
            return {name: float(outcomes[name]) for name in PREDICTED}
        except Exception:  # noqa: BLE001 - a failed simulation is rejected, ABC goes on
            return {name: float("nan") for name in PREDICTED}


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
    for name, target in loaded.config.targets.items():
        if name in SURVEY_TARGETS:
            p = target.observed
            var = p * (1 - p) / loaded.n_observed + p * (1 - p) / loaded.n_simulated
        else:
            var = target.sd ** 2
        weights[TARGETS[name]] = 1.0 / var
    return weights


def observed_stats(loaded: LoadedCalibration) -> dict[str, float]:
    return {TARGETS[n]: t.observed for n, t in loaded.config.targets.items()}


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
    folder: Path
    results: Path
    generations: int
    simulations: int
    epsilon: float
    seconds: float
    posterior: pd.DataFrame   # particles of the last generation with a "weight" column
    table: pd.DataFrame
    summary: dict


def calibrate(loaded: LoadedCalibration | Path | str, out: Path | str | None = None, *,
              scheduler: str | None = None, workers: int | None = None,
              progress: bool = True, predictive: bool = True,
              outputs_only: bool = False) -> CalibrationResult:
    """Run (or continue) the calibration, then write the figures, tables and scenario."""
    import pyabc
    from distributed import Client, LocalCluster

    if not isinstance(loaded, LoadedCalibration):
        loaded = load_calibration(loaded)
    cfg = loaded.config
    folder = Path(out or Path("runs") / f"calibrate-{cfg.name}")
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / "calibration.json"
    manifest = {"name": cfg.name, "file": str(loaded.path), "fingerprint": loaded.fingerprint}
    db_file = folder / "history.db"
    if manifest_path.exists():
        stored = json.loads(manifest_path.read_text())
        if stored.get("fingerprint") != loaded.fingerprint and db_file.exists():
            raise ExperimentChanged(f"calibration {stored.get('name')!r} was stored with "
                                    f"fingerprint {stored.get('fingerprint')}, this file gives "
                                    f"{loaded.fingerprint}")
    manifest_path.write_text(json.dumps(manifest, indent=2))
    logging.getLogger("ABC").setLevel(logging.INFO if progress else logging.WARNING)
    for name in ("ABC.Sampler", "ABC.Distance", "ABC.Epsilon", "ABC.Acceptor",
                 "ABC.Adaptation", "ABC.Population", "ABC.History", "ABC.Transition"):
        logging.getLogger(name).setLevel(logging.WARNING)

    started = time.perf_counter()
    db = f"sqlite:///{db_file.resolve()}"
    history = _existing_history(db_file)
    done = 0 if history is None else history.max_t + 1
    if outputs_only and history is None:
        raise ScenarioError(loaded.path, None, f"expected a stored history with a finished "
                            f"generation in {folder}, found none (run without --outputs-only)")
    finished = history is not None and (
        outputs_only or done >= cfg.abc.max_generations
        or history.total_nr_simulations >= cfg.abc.max_simulations
        or _last_epsilon(history) <= cfg.abc.min_epsilon)
    client = cluster = None
    if not finished or predictive:
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
    try:
        if not finished:
            n_workers = max(len(client.scheduler_info(n_workers=-1)["workers"]), 1)
            sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client,
                                                           client_max_jobs=2 * n_workers,
                                                           batch_size=1)
            np.random.seed(cfg.seed + done)
            abc = pyabc.ABCSMC(Simulator(loaded.scenario, loaded.base.city_table, cfg.seed,
                                         log_scaled(loaded)),
                               _prior(loaded), SurveyDistance(distance_weights(loaded)),
                               population_size=cfg.abc.population_size, sampler=sampler,
                               transitions=_transition(cfg.abc.transition),
                               eps=pyabc.epsilon.QuantileEpsilon(alpha=cfg.abc.epsilon_quantile))
            if history is not None:
                abc.load(db, abc_id=history.id)
            else:
                abc.new(db, observed_stats(loaded))
            history = abc.history
            # The wall-time limit is checked after each generation (pyabc), so a run
            # can exceed it by up to one generation.
            abc.run(minimum_epsilon=cfg.abc.min_epsilon,
                    max_nr_populations=cfg.abc.max_generations - done,
                    max_total_nr_simulations=cfg.abc.max_simulations,
                    max_walltime=dt.timedelta(minutes=cfg.abc.max_walltime_minutes))
        history = pyabc.History(db, _id=history.id)
        if history.max_t < 0:
            raise RuntimeError("no generation finished; run the same command again to continue")
        seconds = time.perf_counter() - started
        runtime = _record_time(folder, seconds, history.total_nr_simulations)
        result = _write_outputs(loaded, folder, history, client if predictive else None, runtime)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return result


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


def _write_outputs(loaded: LoadedCalibration, folder: Path, history, client, runtime) -> CalibrationResult:
    cfg = loaded.config
    results = (loaded.path.parent / cfg.results).resolve() if cfg.results else folder / "results"
    results.mkdir(parents=True, exist_ok=True)
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
    table.to_csv(results / "parameters.csv", index=False, float_format="%.6g")
    summary = {
        "calibration_file": _rel(loaded.path), "name": cfg.name, "seed": cfg.seed,
        "scenario": loaded.scenario.name, "population_size": cfg.abc.population_size,
        "generations": int(history.max_t + 1), "final_epsilon": epsilon,
        "simulations": int(history.total_nr_simulations),
        "wall_time_s": runtime["seconds_total"], "date": dt.date.today().isoformat(),
        "city": {"width": loaded.scenario.city.width, "height": loaded.scenario.city.height,
                 "population": loaded.scenario.city.population,
                 "inhabitants_per_agent": loaded.scenario.city.inhabitants_per_agent},
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
    _plot_marginals(loaded, posterior, results / "posterior_marginals.png")
    _plot_pairs(loaded, posterior, results / "posterior_pairs.png")
    if client is not None:
        draws = _predictive(loaded, posterior, client)
        summary["predictive"] = _predictive_summary(loaded, draws)
        _plot_predictive(loaded, draws, results / "posterior_predictive.png")
    (results / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    (results / "parameters.md").write_text(_markdown(loaded, table, summary), encoding="utf-8")
    if cfg.write_scenario:
        write_calibrated_scenario(loaded, table, summary,
                                  (loaded.path.parent / cfg.write_scenario).resolve(), results)
    return CalibrationResult(folder, results, summary["generations"], summary["simulations"],
                             epsilon, runtime["seconds_total"], posterior, table, summary)


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _predictive(loaded: LoadedCalibration, posterior: pd.DataFrame, client):
    """Posterior predictive: run draws from the posterior with their time series."""
    from experiments.execution import RunSpec, execute_run

    cfg = loaded.config
    rng = np.random.default_rng(cfg.seed)
    idx = rng.choice(len(posterior), size=cfg.predictive.draws, p=posterior["weight"].to_numpy())
    specs = []
    for k, i in enumerate(idx):
        values = {n: float(posterior.loc[i, n]) for n in loaded.priors}
        specs.append(RunSpec(point=k, replication=k, seed=cfg.seed + 1, scenario=loaded.scenario,
                             values=values,
                             overrides={f"parameters.{n}": v for n, v in values.items()},
                             scalars=PREDICTED,
                             timeseries=("safe_public", "safe_neighbourhood"),
                             timeseries_every_days=cfg.predictive.every_days,
                             city_table=loaded.base.city_table))
    out = client.gather(client.map(execute_run, specs, pure=False))
    rows = pd.DataFrame([r for r, _ in out])
    series = pd.concat([s for _, s in out if s is not None], ignore_index=True)
    return rows[rows["status"] == "ok"], series


def _predictive_summary(loaded: LoadedCalibration, draws) -> dict:
    rows, _ = draws
    rng = np.random.default_rng(loaded.config.seed + 2)
    out = {"draws": int(len(rows))}
    for name in PREDICTED:
        x = rows[name].to_numpy(float)
        out[name] = {"median": float(np.median(x)), "ci90": [float(np.quantile(x, 0.05)),
                                                              float(np.quantile(x, 0.95))]}
    n = loaded.n_observed
    for name in SURVEY_TARGETS:  # what a survey of the observed size would report
        share = rows[name].to_numpy(float)
        surveyed = rng.binomial(n, np.clip(share, 0, 1)) / n
        out[f"observed_survey_{name}"] = {"median": float(np.median(surveyed)),
                                          "ci90": [float(np.quantile(surveyed, 0.05)),
                                                   float(np.quantile(surveyed, 0.95))]}
    return out


def _plot_marginals(loaded, posterior, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(loaded.priors)
    cols = 3
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        low, high, dist = loaded.priors[name]
        bins = (np.geomspace(low, high, 21) if dist == "loguniform" else np.linspace(low, high, 21))
        ax.hist(posterior[name], bins=bins, weights=posterior["weight"], density=True,
                color="tab:blue", alpha=0.7, label="posterior")
        prior_density = (1 / (high - low) if dist == "uniform" else None)
        if prior_density:
            ax.axhline(prior_density, color="grey", ls="--", lw=1, label="prior")
        if dist == "loguniform":
            ax.set_xscale("log")
        ax.axvline(weighted_quantile(posterior[name], posterior["weight"], 0.5), color="k", lw=1)
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Posterior marginals ({loaded.config.name}); dashed: prior", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _plot_pairs(loaded, posterior, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(loaded.priors)
    k = len(names)
    fig, axes = plt.subplots(k, k, figsize=(1.5 * k + 1, 1.5 * k + 1), squeeze=False)
    w = posterior["weight"].to_numpy()
    size = 4 + 60 * w / w.max()
    for i, yi in enumerate(names):
        for j, xj in enumerate(names):
            ax = axes[i, j]
            ax.set_xticks([]), ax.set_yticks([])
            if i == j:
                ax.hist(posterior[xj], bins=15, weights=w, color="tab:blue", alpha=0.7)
            elif i > j:
                ax.scatter(posterior[xj], posterior[yi], s=size, alpha=0.4, color="tab:blue", lw=0)
            else:
                ax.axis("off")
                continue
            ax.set_xlim(*loaded.priors[xj][:2])
            if i != j:
                ax.set_ylim(*loaded.priors[yi][:2])
            if i == k - 1:
                ax.set_xlabel(xj, fontsize=6, rotation=30, ha="right")
            if j == 0:
                ax.set_ylabel(yi, fontsize=6, rotation=0, ha="right")
    fig.suptitle(f"Posterior pairs ({loaded.config.name}), axes span the prior ranges", fontsize=9)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)


def _plot_predictive(loaded, draws, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, series = draws
    cfg = loaded.config
    start = pd.Timestamp(loaded.scenario.run.start)
    end = series["date"].max()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colours = {"safe_public": "tab:orange", "safe_neighbourhood": "tab:blue"}
    labels = {"safe_public": "public spaces", "safe_neighbourhood": "neighbourhoods"}
    n = loaded.n_observed
    for col, colour in colours.items():
        g = series.groupby("date")[col]
        q = g.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
        ax.fill_between(q.index, q[0.05] * 100, q[0.95] * 100, color=colour, alpha=0.18, lw=0)
        ax.fill_between(q.index, q[0.25] * 100, q[0.75] * 100, color=colour, alpha=0.35, lw=0)
        ax.plot(q.index, q[0.5] * 100, color=colour, lw=1.5, label=f"{labels[col]} (median, 50% and 90% bands)")
        for when, date in (("start", start), ("end", end)):
            key = f"{col}_{when}"
            target = cfg.targets.get(key)
            if target is None:
                obs = (loaded.base.scenario.observed.model_dump().get(key))
                if obs is not None:
                    ax.plot(date, obs * 100, marker="o", mfc="white", mec=colour, ms=8, ls="",
                            label=f"{labels[col]} {when}: observed, held out")
                continue
            p = target.observed
            se = math.sqrt(p * (1 - p) / n) * 100
            ax.errorbar(date, p * 100, yerr=1.96 * se, marker="o", color=colour, mec="k", ms=7,
                        capsize=3, ls="")
    ax.plot([], [], marker="o", color="grey", mec="k", ls="", label=f"observed (Tándem), 95% sampling interval at n = {n}")
    ax.set_ylabel("share feeling safe (%)")
    ax.set_title(f"Posterior predictive ({cfg.name}): {len(draws[0])} posterior draws, "
                 f"{loaded.scenario.city.width}x{loaded.scenario.city.height} barrios", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _markdown(loaded, table, summary) -> str:
    lines = [f"# Calibration `{summary['name']}`", "",
             f"ABC-SMC (pyabc), {summary['generations']} generations of {summary['population_size']} "
             f"particles, {summary['simulations']} simulations, final epsilon "
             f"{summary['final_epsilon']:.3g} (sum of squared z-scores over "
             f"{len(loaded.config.targets)} targets), effective sample size of the last "
             f"generation {summary['effective_sample_size']:.1f}, "
             f"{summary['wall_time_s'] / 60:.1f} min; "
             f"file `{summary['calibration_file']}`, seed {summary['seed']}, {summary['date']}.",
             "" if summary["converged"] else
             f"\n**Not converged**: the final epsilon is above {len(loaded.config.targets)}, what "
             "survey sampling noise alone gives; run the same command again to continue.", "",
             "| parameter | prior | prior range | default when written | posterior median | 90% credible interval | posterior/prior width | identified |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in table.itertuples():
        lines.append(f"| `{r.parameter}` | {r.prior} | {r.prior_low:.4g}–{r.prior_high:.4g} | "
                     f"{r.default:.4g} | {r.posterior_median:.4g} | "
                     f"{r.ci90_low:.4g}–{r.ci90_high:.4g} | {r.width_ratio:.2f} | {r.identified} |")
    pred = summary.get("predictive")
    if pred:
        lines += ["", f"Posterior predictive ({pred['draws']} draws; simulated survey of "
                  f"{loaded.n_simulated}; 90% intervals):", "",
                  "| outcome | observed | simulated median | 90% interval |", "| --- | --- | --- | --- |"]
        obs = loaded.base.scenario.observed.model_dump()
        for name in ("safe_public_start", "safe_public_end", "safe_neighbourhood_start",
                     "safe_neighbourhood_end"):
            s = pred[f"survey_{name}"]
            held = "" if name in loaded.config.targets else " (held out)"
            o = obs.get(name)
            lines.append(f"| {name}{held} | {'' if o is None else f'{100 * o:.0f}%'} | "
                         f"{100 * s['median']:.1f}% | {100 * s['ci90'][0]:.1f}–{100 * s['ci90'][1]:.1f}% |")
        s = pred["severe_violence_per_100k_end"]
        lines.append(f"| severe violence per 100,000 | 8 | {s['median']:.1f} | "
                     f"{s['ci90'][0]:.1f}–{s['ci90'][1]:.1f} |")
    return "\n".join(lines) + "\n"


def write_calibrated_scenario(loaded, table, summary, path: Path, results: Path):
    """A scenario holding the posterior medians, with provenance, for others to extend."""
    lines = ["# Calibrated parameter values: the posterior median of an ABC-SMC calibration.",
             "# Written by `barrios calibrate`; do not edit by hand (run the calibration again).",
             f"# Calibration file: {summary['calibration_file']}",
             f"# Seed {summary['seed']}, population size {summary['population_size']}, "
             f"{summary['generations']} generations, {summary['simulations']} simulations,",
             f"# final epsilon {summary['final_epsilon']:.4g}, date {summary['date']}.",
             f"# Figures and the table with 90% credible intervals: {_rel(results)}/",
             f"# Effective sample size of the last generation: "
             f"{summary['effective_sample_size']:.1f} of {summary['population_size']}.",
             *([] if summary["converged"] else [
                 f"# NOT CONVERGED to the survey noise: final epsilon {summary['final_epsilon']:.4g} "
                 f"is above {len(loaded.config.targets)} (what",
                 "# sampling noise alone gives), so the credible intervals are wider than the "
                 "data alone would give;",
                 "# run the same `barrios calibrate` command again to continue."]),
             "# simulation/parameters.py carries these values as defaults when they pass the",
             "# full-scale check (README, \"Calibration\"; tests/test_calibration_fit.py).", "",
             'name = "calibrated"',
             'description = "Posterior-median parameter values from the ABC-SMC calibration"', "",
             "[parameters]"]
    for r in table.itertuples():
        lines.append(f"{r.parameter} = {float(f'{r.posterior_median:.4g}')!r}"
                     f"  # 90% CI {r.ci90_low:.4g}-{r.ci90_high:.4g}; prior {r.prior_low:g}-{r.prior_high:g}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
