"""The calibrated model holds up: the Quito plan reproduces the observed survey shift.

The defaults in ``simulation/parameters.py`` are what every scenario uses: for the fitted
parameters, the most plausible point of the joint calibration
``experiments/calibrate_joint.toml`` (``scenarios/calibrated.toml``). The Quito plan runs on the
calibration's quarter city ([city] of experiments/calibrate_joint.toml) for a few
replications, and each of the calibration's targets is held against the model's value on
its survey's day plus the target's measured ``scale_shift`` (what the full city adds to the
quarter city). Each survey share must be met within 1.5 points, severe violence within 2
per 100,000 of 8, and victimization within two of its discrepancies; since the mean of a
few replications is itself uncertain, the tolerance is widened by the 99% t-interval
half-width of that mean (from the replication spread). ``barrios run
scenarios/quito_2023_2025.toml --replications 20`` at full scale is the README's check.
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
CALIBRATION = tomllib.loads((SCENARIOS.parent / "experiments" / "calibrate_joint.toml")
                            .read_text(encoding="utf-8"))
TARGETS = CALIBRATION["targets"]      # on the surveys' days, with each target's scale shift
# the README's check: every survey share within 1.5 points, severe violence 6-10 per
# 100,000; victimization (survey counts any crime, the model street crime) within two of
# its discrepancies
TOLERANCE = {name: 2 * target.get("discrepancy", 0.0) if name.startswith("victimization")
             else 2.0 if name.startswith("severe") else 0.015
             for name, target in TARGETS.items()}


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
                         city=CALIBRATION["city"])
    return result.outcomes.to_dict("records")


@pytest.mark.parametrize("name", list(TARGETS))
def test_quito_plan_reproduces_the_observed_figures(quito_runs, name):
    x = np.array([run[name] for run in quito_runs]) + TARGETS[name].get("scale_shift", 0.0)
    half = stats.t.ppf(0.995, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    observed = TARGETS[name]["observed"]
    assert abs(x.mean() - observed) <= TOLERANCE[name] + half, (name, x.mean(), half)
