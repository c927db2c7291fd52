"""Offending: youth offending propensity, who is out offending today, and arrests.

A youth's propensity is a personal base (log-normal: offending is concentrated in a few
people, Wolfgang, Figlio & Sellin 1972) raised by home-barrio disadvantage (Sampson,
Raudenbush & Earls 1997), by armed-group recruitment in it (``recruitment``) and by police
legitimacy in the home barrio below its baseline (people obey the law they see as
legitimate: Tyler 2006; heavy-handed operations erode legitimacy, so *mano dura* can
raise the offending it targets), and lowered while enrolled in sports (Copa Wambras;
Spruit et al. 2016) or reached by youth prevention (Heller et al. 2017). Propensity moves
gradually toward that target (recomputed monthly), so a fall in legitimacy shows in
offending with a lag. Arrests take
offenders off the street for a detention period.
"""

from __future__ import annotations

import numpy as np
from numba import njit


def init_propensity(pop, city, params, rng):
    youth = pop.youth
    sigma = params.offending_propensity_heterogeneity
    base = rng.lognormal(-sigma ** 2 / 2, sigma, pop.n).astype(np.float32)
    pop.propensity_base[:] = np.where(youth, base, 0)
    pop.propensity[:] = target_propensity(pop, city, params)


def target_propensity(pop, city, params) -> np.ndarray:
    """Where each youth's propensity is heading: the personal base, raised by home-barrio
    disadvantage, recruitment and police legitimacy below its baseline (lowered
    above it), lowered while in sports or prevention."""
    disadvantage = city.layer("disadvantage")[pop.home]
    legitimacy_gap = params.legitimacy_baseline - city.layer("legitimacy")[pop.home]
    log_mult = (params.disadvantage_offending_effect * (disadvantage - 0.5)
                + params.recruitment_offending_effect * city.layer("recruitment")[pop.home]
                + params.legitimacy_offending_effect * legitimacy_gap)
    target = params.offending_propensity_mean * pop.propensity_base * np.exp(log_mult)
    target *= 1.0 - params.sports_offending_reduction * pop.in_sports
    target *= 1.0 - params.youth_prevention_offending_reduction * pop.in_prevention
    return np.minimum(target, 1.0).astype(np.float32)


def adjust_propensity(pop, target: np.ndarray, params):
    pop.propensity += params.propensity_adjustment_rate * (target - pop.propensity)


def active_offenders(pop, day: int, rng) -> np.ndarray:
    """Indices of youth out offending today (not detained)."""
    youth_idx = pop.youth_index
    return _active(youth_idx, rng.random(len(youth_idx), dtype=np.float32), pop.propensity,
                   pop.detained_until, day)


@njit(cache=True)
def _active(youth_idx, u, propensity, detained_until, day):
    """Compiled: a daily pass over every youth."""
    out = np.empty(len(youth_idx), dtype=youth_idx.dtype)
    k = 0
    for j in range(len(youth_idx)):
        i = youth_idx[j]
        if u[j] < propensity[i] and detained_until[i] <= day:
            out[k] = i
            k += 1
    return out[:k]


def detain(pop, who: np.ndarray, day: int, params, rng):
    """Take arrested offenders off the street for an exponential detention period."""
    if len(who):
        days = np.ceil(rng.exponential(params.detention_days, len(who))).astype(np.int32)
        pop.detained_until[who] = day + days


def enrol_sports(pop, places: np.ndarray, params, rng):
    """Fill each barrio's sports places with its youth, in random order (places are
    limited). ``places`` is in agents; fractional places are filled with that chance."""
    pop.in_sports[:] = False
    youth_idx = pop.youth_index
    home = pop.home[youth_idx]
    capacity = np.floor(places * params.sports_uptake + rng.random(len(places))).astype(np.int64)
    if capacity.sum() == 0:
        return
    order = np.lexsort((rng.random(len(youth_idx)), home))
    sorted_home = home[order]
    first = np.searchsorted(sorted_home, sorted_home, side="left")
    rank = np.arange(len(order)) - first
    chosen = youth_idx[order[rank < capacity[sorted_home]]]
    pop.in_sports[chosen] = True


def reach_prevention(pop, treated: np.ndarray, params):
    """Youth in treated barrios are reached with chance ``youth_prevention_uptake`` (a
    fixed personal draw, so the same youth stay in while their barrio is treated)."""
    pop.in_prevention[:] = (pop.youth & treated[pop.home]
                            & (pop.programme_draw < params.youth_prevention_uptake))
