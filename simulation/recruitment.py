"""Armed-group recruitment of youth, barrio by barrio (seed 004: the northern border).

Each barrio carries a recruitment intensity (layer ``recruitment``, 0-1): the pressure
armed groups and gangs put on its youth (``recruitment_pressure``), rising with
disadvantage, and lowered where the programmes whose theory of change is recruitment
work (seed 004: peaceful dispute resolution for youth, income support for refugees,
community protection networks): youth prevention in proportion to the youth it reaches,
migrant inclusion, committees. Recruitment moves toward that target by
``recruitment_adjustment_rate`` a month, so a programme lowers it over months, not at
once. It raises youth offending (``offending``) and the chance an incident is severe
violence (``victimization.severe_chance``). In Quito the pressure is about nil.
"""

from __future__ import annotations

import numpy as np


def target(city, params, prevention_reach: np.ndarray, inclusion: np.ndarray,
           committees: np.ndarray) -> np.ndarray:
    """Where each barrio's recruitment is heading, given the programmes in it:
    ``prevention_reach`` the share of its youth in prevention, ``inclusion`` and
    ``committees`` whether those programmes run there."""
    pressure = params.recruitment_pressure * np.exp(
        params.disadvantage_recruitment_effect * (city.layer("disadvantage") - 0.5))
    relief = ((1 - params.prevention_recruitment_reduction * prevention_reach)
              * (1 - params.inclusion_recruitment_reduction * inclusion)
              * (1 - params.committee_recruitment_reduction * committees))
    return np.clip(pressure * relief, 0.0, 1.0)


def settle(city, goal: np.ndarray):
    """Start at the target of the programmes that exist when the model starts."""
    city.layer("recruitment")[:] = goal


def adjust(city, params, goal: np.ndarray):
    """One month's move toward the target."""
    layer = city.layer("recruitment")
    layer += params.recruitment_adjustment_rate * (goal - layer)


def prevention_reach(pop, n_barrios: int) -> np.ndarray:
    """The share of each barrio's youth reached by youth prevention."""
    youth = np.bincount(pop.home, weights=pop.youth, minlength=n_barrios)
    reached = np.bincount(pop.home, weights=pop.in_prevention, minlength=n_barrios)
    return np.divide(reached, youth, out=np.zeros(n_barrios), where=youth > 0)
