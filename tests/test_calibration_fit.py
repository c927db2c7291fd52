"""The calibrated model holds up: the Quito plan reproduces the observed survey shift.

The defaults in ``simulation/parameters.py`` are what every scenario uses: for the fitted
parameters, the most plausible point of the joint calibration
``experiments/calibrate_joint.toml`` (``scenarios/calibrated.toml``). The Quito plan runs on the
quarter city (10 x 30 barrios, 700,000 people, 100 per agent: the scale the calibration
uses) for a few replications. The calibration fits the full city: the quarter city's
output plus each target's measured ``scale_shift`` (experiments/calibrate_joint.toml;
the public-space start is 1.8 points higher in the full city), so that is what is held
against the survey here. Each observed share must be met within 1.5 points, severe
violence between 6 and 10 per 100,000, and victimization within two of its sd (4 points)
of the 20% the calibration aimed at; since the mean of a few replications is itself
uncertain, the tolerance is widened by the 99% t-interval half-width of that mean (from
the replication spread). ``barrios run scenarios/quito_2023_2025.toml --replications 20``
at full scale is the README's check.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from scipy import stats

from conftest import SCENARIOS
import barrios
from experiments.scenario_files import load_scenario
from simulation.parameters import PARAMETERS

REPLICATIONS = 5
SEED = 7
OBSERVED = {"safe_public_start": 0.41, "safe_public_end": 0.50,
            "safe_neighbourhood_start": 0.51, "safe_neighbourhood_end": 0.62,
            "severe_violence_per_100k_end": 8.0, "victimization_12m_end": 0.20}
TOLERANCE = {name: 0.015 for name in OBSERVED} | {"severe_violence_per_100k_end": 2.0,
                                                   "victimization_12m_end": 0.08}


def _calibrated() -> dict[str, float]:
    doc = tomllib.loads((SCENARIOS / "calibrated.toml").read_text(encoding="utf-8"))
    return doc["parameters"]


def test_defaults_are_the_calibrated_values():
    """The calibrated values in scenarios/calibrated.toml are the defaults, and each fitted
    parameter's source points to the calibration's results."""
    for name, value in _calibrated().items():
        source = PARAMETERS[name].source
        assert "results/calibration" in source and "history matching" in source, name
        assert PARAMETERS[name].default == pytest.approx(value, rel=2e-3), name


def test_calibrated_scenario_validates_and_names_its_provenance():
    loaded = load_scenario(SCENARIOS / "calibrated.toml")
    assert loaded.scenario.name == "calibrated"
    text = (SCENARIOS / "calibrated.toml").read_text(encoding="utf-8")
    for word in ("experiments/calibrate_joint.toml", "Seed", "waves", "design points",
                 "not ruled out", "validation", "date"):
        assert word in text


@pytest.fixture(scope="module")
def quito_runs():
    result = barrios.run(SCENARIOS / "quito_2023_2025.toml", seed=SEED, replications=REPLICATIONS,
                         city={"width": 10, "height": 30, "population": 700_000})
    return result.outcomes.to_dict("records")


def _scale_shifts() -> dict[str, float]:
    doc = tomllib.loads((SCENARIOS.parent / "experiments" / "calibrate_joint.toml")
                        .read_text(encoding="utf-8"))
    return {name: target.get("scale_shift", 0.0) for name, target in doc["targets"].items()}


@pytest.mark.parametrize("name", list(OBSERVED))
def test_quito_plan_reproduces_the_observed_figures(quito_runs, name):
    x = np.array([run[name] for run in quito_runs]) + _scale_shifts().get(name, 0.0)
    half = stats.t.ppf(0.995, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    assert abs(x.mean() - OBSERVED[name]) <= TOLERANCE[name] + half, (name, x.mean(), half)
