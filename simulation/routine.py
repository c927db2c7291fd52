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


def day_locations(pop, params, weekday: int, day: int, rng) -> np.ndarray:
    p_go = params.day_activity_probability * (params.weekend_activity_factor if weekday >= 5 else 1.0)
    go = rng.random(pop.n, dtype=np.float32) < p_go
    loc = np.where(go, pop.activity, pop.home)
    loc[pop.detained_until > day] = NOWHERE
    return loc


def night_locations(pop, params, day: int, rng) -> np.ndarray:
    fear = 1.0 - pop.safe_public
    p_out = params.night_outing_probability * (1.0 - params.fear_stay_home_strength * fear)
    out = rng.random(pop.n, dtype=np.float32) < p_out
    out &= pop.detained_until <= day
    pop.went_out_tonight = out
    return np.where(out, pop.night_spot, NOWHERE)
