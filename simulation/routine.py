"""Daily routine: where every resident is in the day phase and in the night phase.

By day residents go to their activity barrio (work, school, market; chosen near home at
set-up, nearer likelier) or stay around their home barrio. At night some go out to a
public space near home; fear keeps people in, which removes guardians from the street
(Jacobs 1961: "eyes on the street"; Groff 2007: routines bring offenders, targets and
guardians together). Detained offenders are nowhere.

Locations are barrio indices; ``-1`` means not in public space (at home at night, or
detained).
"""

from __future__ import annotations

import numpy as np

NOWHERE = -1


def detained(pop, day: int) -> np.ndarray:
    """Indices of residents in detention today (few: kept as indices, not a mask)."""
    return np.flatnonzero(pop.detained_until > day)


def day_locations(pop, params, weekday: int, detained_now: np.ndarray, rng) -> np.ndarray:
    p_go = params.day_activity_probability * (params.weekend_activity_factor if weekday >= 5 else 1.0)
    go = rng.random(pop.n, dtype=np.float32) < p_go
    loc = np.where(go, pop.activity, pop.home)
    loc[detained_now] = NOWHERE
    return loc


def night_locations(pop, params, detained_now: np.ndarray, rng) -> np.ndarray:
    """Going out falls linearly with fear (1 - perceived safety in public spaces)."""
    stay_home = np.float32(params.fear_stay_home_strength)
    p_out = np.float32(params.night_outing_probability) * (1 - stay_home + stay_home * pop.safe_public)
    out = rng.random(pop.n, dtype=np.float32) < p_out
    out[detained_now] = False
    pop.went_out_tonight = out
    return np.where(out, pop.night_spot, NOWHERE)
