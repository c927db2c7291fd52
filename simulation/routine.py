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
from numba import njit

NOWHERE = -1


def detained(pop, day: int) -> np.ndarray:
    """Indices of residents in detention today (few: kept as indices, not a mask)."""
    return np.flatnonzero(pop.detained_until > day)


def day_locations(pop, params, weekday: int, detained_now: np.ndarray, rng) -> np.ndarray:
    p_go = params.day_activity_probability * (params.weekend_activity_factor if weekday >= 5 else 1.0)
    return _go_to_activity(rng.random(pop.n, dtype=np.float32), np.float32(p_go), pop.activity,
                           pop.home, detained_now)


def night_locations(pop, params, detained_now: np.ndarray, rng) -> np.ndarray:
    """Going out falls linearly with fear (1 - perceived safety in public spaces)."""
    stay_home = np.float32(params.fear_stay_home_strength)
    u = rng.random(pop.n, dtype=np.float32)
    out, loc = _go_out(u, np.float32(params.night_outing_probability), stay_home, pop.safe_public,
                       pop.night_spot, detained_now)
    pop.went_out_tonight = out
    return loc


# The two placements are compiled (numba): they run every day over every resident. The
# probabilities are float32 as in numpy's comparison of float32 draws with them.
@njit(cache=True)
def _go_to_activity(u, p_go, activity, home, detained_now):
    loc = np.empty(len(u), dtype=np.int64)
    for i in range(len(u)):
        loc[i] = activity[i] if u[i] < p_go else home[i]
    for i in detained_now:
        loc[i] = NOWHERE
    return loc


@njit(cache=True)
def _go_out(u, night_outing_probability, stay_home, safe_public, night_spot, detained_now):
    out = np.empty(len(u), dtype=np.bool_)
    for i in range(len(u)):
        p_out = night_outing_probability * (np.float32(1) - stay_home + stay_home * safe_public[i])
        out[i] = u[i] < p_out
    for i in detained_now:
        out[i] = False
    loc = np.empty(len(u), dtype=np.int64)
    for i in range(len(u)):
        loc[i] = night_spot[i] if out[i] else NOWHERE
    return out, loc
