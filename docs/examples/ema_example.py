"""Barrios in EMA Workbench, through the public API only (docs/api.md).

The model is ``barrios.ModelFunction``: keyword arguments are uncertainties (parameter
names from ``barrios.PARAMETERS``, explored over their plausible ranges) and levers
(intervention settings, ``patrol_units__intensity``: EMA Workbench wants names that are
Python identifiers, so ``__`` stands for the dot); it returns outcomes named
in ``barrios.OUTCOMES``. EMA Workbench samples scenarios x policies and runs them.

    python docs/examples/ema_example.py          # 8 scenarios x 2 policies, a tiny city

For a real study use the full city (drop ``city`` and ``scale``), three years, more
scenarios, and ``MultiprocessingEvaluator`` (ModelFunction is picklable).
"""

from __future__ import annotations

import warnings

import barrios

UNCERTAINTIES = ("fear_contagion", "memory_decay", "lighting_perception_effect")
# (patrols, not lighting: the tiny run's first quarter of 2023 ends before lighting starts)
LEVERS = {"patrol_units__intensity": (0.5, 1.0), "safety_committees__intensity": (0.1, 0.6)}
OUTCOMES = ("safe_public_change", "safe_neighbourhood_change", "victimization_12m_end",
            "cost_usd_total")
TINY = {"years": 0.25, "scale": 500, "city": {"width": 6, "height": 12, "population": 200_000}}


def barrios_function(**size) -> barrios.ModelFunction:
    """The model EMA Workbench calls: one seed, so a row of experiments reruns exactly."""
    return barrios.ModelFunction("scenarios/quito_2023_2025.toml", outcomes=OUTCOMES,
                                 seed=1, **(size or TINY))


def main(scenarios: int = 8, policies: int = 2, **size):
    with warnings.catch_warnings():  # EMA Workbench warns about optional packages
        warnings.simplefilter("ignore")
        from ema_workbench import Model, RealParameter, ScalarOutcome, perform_experiments

    model = Model("barrios", function=barrios_function(**size))
    model.uncertainties = [RealParameter(name, *barrios.PARAMETERS[name].plausible)
                           for name in UNCERTAINTIES]
    model.levers = [RealParameter(name, low, high) for name, (low, high) in LEVERS.items()]
    model.outcomes = [ScalarOutcome(name) for name in OUTCOMES]
    return perform_experiments(model, scenarios=scenarios, policies=policies)


if __name__ == "__main__":
    experiments, outcomes = main()
    print(experiments[[*UNCERTAINTIES, *LEVERS]].round(3).assign(
        safe_public_change=outcomes["safe_public_change"]).to_string())
