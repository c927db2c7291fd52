"""Budgets: turn shares of a fixed total budget into intervention intensities.

Design coordinates become shares through ``split`` (uniform on the simplex). A
programme's share of ``total_usd`` over the run's years buys, at its capital cost once
plus its running cost each year (``cost_over``), a number of barrios (barrio programmes,
committees, UPC posts), patrol units or operations a year. The intensity is that number over what full intensity means (every barrio,
the scenario's ``units`` or ``per_year``), capped at 1. On a reduced city both the budget
and the stated counts are scaled by ``city.count_scale`` (population over
``counts_for_population``). Costs are counted at full ramp,
so a ramped programme spends somewhat less than its share.
"""

from __future__ import annotations

import math

from simulation.config import Scenario
from simulation.interventions import INTERVENTIONS


def barrio_count(scenario: Scenario, city_table=None) -> int:
    c = scenario.city
    return len(city_table) if city_table is not None else c.width * c.height


def split(draws: dict[str, float]) -> dict[str, float]:
    """Budget shares from design coordinates in [0, 1): -log(1 - u), normalised, is a
    uniform draw on the simplex (Dirichlet(1, ..., 1)), so a space-filling design of the
    coordinates covers concentrated mixes as well as balanced ones."""
    weights = {k: -math.log1p(-min(u, 1 - 1e-12)) for k, u in draws.items()}
    total = sum(weights.values())
    n = len(weights)
    return {k: (w / total if total > 0 else 1 / n) for k, w in weights.items()}


def intensities(scenario: Scenario, total_usd: float, shares: dict[str, float],
                n_barrios: int) -> dict[str, float]:
    """Intensity per intervention (dotted scenario keys) for the given shares (normalised
    to sum to 1)."""
    total_share = sum(shares.values())
    years = scenario.run.years
    # A reduced city (README, "Reduced scale") stands for a share of Quito: it gets that
    # share of the budget, and full intensity means that share of the stated counts.
    scale = scenario.city.count_scale
    out = {}
    for name, share in shares.items():
        cfg = getattr(scenario.interventions, name)
        usd = scale * total_usd * (share / total_share if total_share > 0 else 1 / len(shares))
        units_bought = usd / cfg.cost_over(years)
        full = INTERVENTIONS[name].full_units(cfg, n_barrios, scale)
        out[f"interventions.{name}.intensity"] = min(1.0, units_bought / full) if full else 0.0
    return out


def check_budget_scenario(scenario: Scenario, names) -> str | None:
    """Why a scenario cannot be used for a budget split (None if it can)."""
    for name in names:
        cfg = getattr(scenario.interventions, name)
        if cfg is None or not cfg.enabled:
            return f"{name} is not in the scenario (add its table with a unit_cost_usd)"
        if cfg.cost_over(scenario.run.years) <= 0:
            return f"{name} has no unit_cost_usd or capital_cost_usd in the scenario"
    return None
