"""Experiment files: what to vary, how to sample it, what to keep.

The vocabulary is EMA Workbench's: **levers** are what a city sets (intervention
intensities, targeting, budget shares), **uncertainties** are behavioural parameters
nobody controls, **outcomes** are what the model reports. An experiment file names a base
scenario, its levers and uncertainties (each with a range and a distribution, or levels),
the **design** (full factorial, Latin hypercube or Sobol sequence), the replications per
design point and the outcomes to keep. ``[budget]`` turns the levers into shares of a
fixed total budget. Every problem is one line naming the file and the key
(``ScenarioError``), like scenario files.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from experiments.scenario_files import LoadedScenario, ScenarioError, load_scenario
from experiments.summary import END_ONLY, START_END
from simulation.config import INTERVENTIONS, Scenario
from simulation.outcomes import REPORTERS
from simulation.parameters import PARAMETERS

SCALAR_OUTCOMES = ([f"{c}_{w}" for c in START_END for w in ("start", "end")] + list(END_ONLY)
                   + ["safe_public_change", "safe_neighbourhood_change", "budget_spent_usd"]
                   + [f"cost_usd_{name}" for name in INTERVENTIONS])
"""Scalar outcomes of a run (see ``experiments.summary.run_outcomes``; ``cost_usd_NAME``
per intervention; ``budget_spent_usd`` what the ``[budget]`` programmes cost); any
collected reporter can also be read on a date as ``NAME@YYYY-MM-DD``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variable(_Strict):
    """A lever or an uncertainty: a range with a distribution, or a list of levels."""

    target: str | None = None
    low: float | None = None
    high: float | None = None
    distribution: Literal["uniform", "loguniform", "triangular", "normal"] = "uniform"
    mode: float | None = None
    levels: list[float | int | str | bool] | None = None
    integer: bool = False

    def bounds(self) -> tuple[float, float]:
        return float(self.low), float(self.high)


class Design(_Strict):
    kind: Literal["full_factorial", "latin_hypercube", "sobol"] = "latin_hypercube"
    samples: int = Field(64, ge=1, le=10_000_000)
    levels: int = Field(3, ge=2, le=100)
    seed: int = Field(0, ge=0)


class Outcomes(_Strict):
    scalars: list[str] = Field(default_factory=lambda: ["safe_public_change",
                                                        "safe_neighbourhood_change",
                                                        "victimization_12m_end",
                                                        "severe_violence_per_100k_end",
                                                        "cost_usd_total"])
    timeseries: list[str] = Field(default_factory=list)
    timeseries_every_days: int = Field(30, ge=1, le=3650)


class Budget(_Strict):
    """Split ``total_usd`` over the run across ``interventions`` (a lever per share)."""

    total_usd: float = Field(gt=0)
    interventions: list[Literal[INTERVENTIONS]] = Field(min_length=2)  # type: ignore[valid-type]


class Target(_Strict):
    """Which runs 'reach the target' (for PRIM scenario discovery)."""

    outcome: str = "safe_public_change"
    at_least: float = 0.09


class Experiment(_Strict):
    name: str = "experiment"
    description: str = ""
    scenario: str
    seed: int = Field(0, ge=0)
    replications: int = Field(1, ge=1, le=10_000)
    years: float | None = Field(None, gt=0, le=30)
    inhabitants_per_agent: float | None = Field(None, ge=1, le=100_000)
    city: dict[str, int | float] = Field(default_factory=dict)
    levers: dict[str, Variable] = Field(default_factory=dict)
    uncertainties: dict[str, Variable] = Field(default_factory=dict)
    design: Design = Design()
    outcomes: Outcomes = Outcomes()
    budget: Budget | None = None
    target: Target | None = None

    @field_validator("years", "inhabitants_per_agent", mode="before")
    @classmethod
    def _float(cls, v):
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


@dataclass(frozen=True, eq=False)
class LoadedExperiment:
    experiment: Experiment
    path: Path
    base: LoadedScenario
    variables: dict[str, Variable]  # levers then uncertainties (budget shares included)
    kinds: dict[str, str]           # variable name -> "lever" | "uncertainty"

    @property
    def fingerprint(self) -> str:
        """Hash of everything that determines the results (experiment and scenario)."""
        doc = {"experiment": self.experiment.model_dump(mode="json"),
               "scenario": self.base.scenario.model_dump(mode="json")}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def load_experiment(path: Path | str) -> LoadedExperiment:
    """Read and validate an experiment file and its base scenario; raise ScenarioError."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ScenarioError(path, None, "expected an existing experiment file, found nothing")
    try:
        doc = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, None, f"expected valid TOML, found {exc}") from None
    try:
        experiment = Experiment.model_validate(doc)
    except ValidationError as exc:
        raise _one_line(path, exc.errors()[0]) from None
    base = load_scenario((path.parent / experiment.scenario))
    for key, value in experiment.city.items():
        try:
            apply_values(base.scenario, {f"city.{key}": value})
        except (ValueError, KeyError) as exc:
            raise ScenarioError(path, f"city.{key}", f"expected a [city] key of the scenario and a "
                                f"valid value, found {value!r} ({_short(exc)})") from None
    variables, kinds = _variables(experiment, path)
    loaded = LoadedExperiment(experiment, path, base, variables, kinds)
    _check_variables(loaded)
    _check_outcomes(experiment, path)
    _check_design_and_budget(loaded)
    return loaded


def _check_design_and_budget(loaded: LoadedExperiment):
    from experiments.budget import check_budget_scenario

    exp, path = loaded.experiment, loaded.path
    n = exp.design.samples
    if exp.design.kind == "sobol" and n & (n - 1):
        raise ScenarioError(path, "design.samples",
                            f"expected a power of two for a Sobol design, found {n}")
    if exp.budget is not None:
        why = check_budget_scenario(loaded.base.scenario, exp.budget.interventions)
        if why:
            raise ScenarioError(path, "budget.interventions",
                                f"expected programmes the scenario prices, found {why}")


def _one_line(path: Path, error: dict) -> ScenarioError:
    key = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return ScenarioError(path, key, "unknown key")
    if error["type"] == "missing":
        return ScenarioError(path, key, "expected a value, found nothing (the key is required)")
    found = error.get("input")
    return ScenarioError(path, key, f"expected {error['msg'].lower()}, found {found!r}")


def _variables(experiment: Experiment, path: Path) -> tuple[dict[str, Variable], dict[str, str]]:
    variables, kinds = {}, {}
    for name, var in experiment.levers.items():
        if var.target is None:
            raise ScenarioError(path, f"levers.{name}.target",
                                "expected a scenario key such as interventions.street_lighting."
                                "intensity, found nothing")
        variables[name], kinds[name] = var, "lever"
    if experiment.budget is not None:
        for item in experiment.budget.interventions:
            name = f"share_{item}"
            variables[name] = Variable(target=f"budget.{item}", low=0.0, high=1.0)
            kinds[name] = "lever"
    for name, var in experiment.uncertainties.items():
        if name in variables:
            raise ScenarioError(path, f"uncertainties.{name}", "expected a name not used by a lever")
        if var.target is None:
            if name not in PARAMETERS:
                raise ScenarioError(path, f"uncertainties.{name}",
                                    f"expected a parameter listed by `barrios params` (or a "
                                    f"target), found {name!r}")
            low, high = PARAMETERS[name].plausible
            var = var.model_copy(update={"target": f"parameters.{name}",
                                         "low": var.low if var.low is not None else low,
                                         "high": var.high if var.high is not None else high})
        variables[name], kinds[name] = var, "uncertainty"
    return variables, kinds


def _check_variables(loaded: LoadedExperiment):
    """Each variable has a usable range, and the scenario accepts its extremes."""
    path = loaded.path
    kind_key = {"lever": "levers", "uncertainty": "uncertainties"}
    for name, var in loaded.variables.items():
        key = f"{kind_key[loaded.kinds[name]]}.{name}"
        if name.startswith("share_") and loaded.experiment.budget is not None:
            continue
        if var.levels is None:
            if var.low is None or var.high is None:
                raise ScenarioError(path, key, "expected low and high (or levels), found "
                                    f"low={var.low}, high={var.high}")
            if not var.low < var.high:
                raise ScenarioError(path, key, f"expected low < high, found low={var.low}, high={var.high}")
            if var.distribution == "loguniform" and var.low <= 0:
                raise ScenarioError(path, key, f"expected low > 0 for loguniform, found {var.low}")
            if var.distribution == "triangular" and not (var.mode is not None and var.low <= var.mode <= var.high):
                raise ScenarioError(path, key, f"expected a mode within [low, high], found {var.mode}")
            extremes = [("low", var.low), ("high", var.high)]
        else:
            if not var.levels:
                raise ScenarioError(path, key, "expected at least one level, found []")
            extremes = [("levels", v) for v in var.levels]
        for where, value in extremes:
            value = int(round(value)) if var.integer else value
            try:
                apply_values(loaded.base.scenario, {var.target: value})
            except KeyError as exc:
                raise ScenarioError(path, f"{key}.target", f"expected a scenario key, found "
                                    f"{var.target!r} ({_short(exc)})") from None
            except ValueError as exc:
                raise ScenarioError(path, f"{key}.{where}", f"expected a value {var.target} "
                                    f"accepts, found {value!r} ({_short(exc)})") from None


def _check_outcomes(experiment: Experiment, path: Path):
    for i, name in enumerate(experiment.outcomes.scalars):
        base = name.split("@", 1)[0]
        ok = name in SCALAR_OUTCOMES or ("@" in name and base in REPORTERS)
        if not ok:
            raise ScenarioError(path, f"outcomes.scalars[{i}]", "expected one of "
                                f"{', '.join(SCALAR_OUTCOMES)} or REPORTER@YYYY-MM-DD, found {name!r}")
        if "@" in name:
            try:
                import datetime as dt
                dt.date.fromisoformat(name.split("@", 1)[1])
            except ValueError:
                raise ScenarioError(path, f"outcomes.scalars[{i}]",
                                    f"expected a date YYYY-MM-DD after '@', found {name!r}") from None
    for i, name in enumerate(experiment.outcomes.timeseries):
        if name not in REPORTERS:
            raise ScenarioError(path, f"outcomes.timeseries[{i}]",
                                f"expected a collected outcome ({', '.join(REPORTERS)}), found {name!r}")


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc).splitlines()[0]


def apply_values(scenario: Scenario, values: dict[str, object]) -> Scenario:
    """A copy of ``scenario`` with dotted keys set (e.g. ``interventions.cero_acoso.intensity``).

    A missing intervention table is created with its defaults, so a lever can switch a
    programme on. Raises ValueError / pydantic ValidationError for bad keys or values.
    """
    doc = scenario.model_dump(mode="json", exclude_none=False)
    for target, value in values.items():
        parts = target.split(".")
        node = doc
        for part in parts[:-1]:
            if part not in node:
                raise KeyError(f"no key {part!r}")
            if node[part] is None:
                node[part] = {}
            node = node[part]
        if parts[0] != "parameters" and parts[-1] not in node and node:
            raise KeyError(f"no key {parts[-1]!r}")
        node[parts[-1]] = value
    return Scenario.model_validate(_json_to_python(doc))


def _json_to_python(doc):
    """model_dump(mode="json") turned dates into strings; strict models want dates back."""
    import datetime as dt

    if isinstance(doc, dict):
        return {k: _json_to_python(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_json_to_python(v) for v in doc]
    if isinstance(doc, str) and len(doc) == 10 and doc[4] == "-" and doc[7] == "-":
        try:
            return dt.date.fromisoformat(doc)
        except ValueError:
            return doc
    return doc
