"""Barrios: an agent-based simulation of violence-prevention interventions in Quito's
barrios (Mesa 3.5). The public Python API; ``barrios.cli`` is the command line.

    import barrios
    result = barrios.run("scenarios/quito_2023_2025.toml", years=1, scale=500, seed=7)
    result.outcomes        # one row per replication, every outcome of barrios.OUTCOMES
    result.timeseries      # the collected series, one row per recorded day
    result.panel           # the monthly barrio panel

    barrios.compare([...]), barrios.sweep(file), barrios.sensitivity(file),
    barrios.calibrate(file), barrios.evaluate(file), barrios.evidence(): the studies;
    barrios.ModelFunction and barrios.problem plug the model into EMA Workbench and
    SALib (docs/api.md).

The registries are the vocabulary: ``PARAMETERS`` (uncertainties), ``INTERVENTIONS``
(levers), ``OUTCOMES`` and ``SERIES``. Names are imported on first use, so
``import barrios`` (and the command line's start) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.2.0"

_WHERE = {
    **dict.fromkeys(("run", "compare", "sweep", "sensitivity", "calibrate", "evaluate",
                     "evidence", "pathways", "scenario", "load_results", "load_timeseries", "load_panel",
                     "ModelFunction", "problem", "RunOutputs", "Interrupted"), "barrios.api"),
    "load_scenario": "experiments.scenario_files",
    "LoadedScenario": "experiments.scenario_files",
    "BadInput": "experiments.files",
    "Scenario": "simulation.config",
    "BarriosModel": "simulation.model",
    "PARAMETERS": "simulation.parameters",
    "Params": "simulation.parameters",
    "INTERVENTIONS": "simulation.interventions",
    "OUTCOMES": "simulation.outcomes",
    "SERIES": "simulation.outcomes",
}
__all__ = ["BadInput", "BarriosModel", "INTERVENTIONS", "Interrupted", "LoadedScenario",
           "ModelFunction", "OUTCOMES", "PARAMETERS", "Params", "RunOutputs", "SERIES", "Scenario",
           "calibrate", "compare", "evaluate", "evidence", "load_panel", "load_results", "pathways",
           "load_scenario", "load_timeseries", "problem", "run", "scenario", "sensitivity",
           "sweep"]

if TYPE_CHECKING:  # what type checkers and editors see
    from barrios.api import (Interrupted, ModelFunction, RunOutputs, calibrate, compare, evaluate,
                             evidence, load_panel, load_results, load_timeseries, pathways,
                             problem, run, scenario, sensitivity, sweep)
    from experiments.files import BadInput
    from experiments.scenario_files import LoadedScenario, load_scenario
    from simulation.config import Scenario
    from simulation.interventions import INTERVENTIONS
    from simulation.model import BarriosModel
    from simulation.outcomes import OUTCOMES, SERIES
    from simulation.parameters import PARAMETERS, Params


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'barrios' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
