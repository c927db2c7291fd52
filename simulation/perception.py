"""Perceived safety: opinion dynamics with memory loss (Prieto Curiel & Bishop 2017).

Each resident has a perceived safety in public spaces and one in their own neighbourhood
(0-1; "feels safe" above ``safe_threshold``). Every day it relaxes toward a target (memory
decays toward a personal baseline plus what the resident sees: lighting, disorder,
visible police, committee participation). Shocks move it away: own victimization (sharp,
and a lasting scar on the baseline), victimization of ties, incidents in the home barrio.
Residents talk with ties: fear spreads more easily than reassurance.

The reported measure is the share feeling safe, over everybody and from a simulated
survey sample (the published Tándem figures are a survey).
"""

from __future__ import annotations

import numpy as np
from numba import njit


PATHWAYS: dict[str, dict[str, float]] = {
    "less victimization": {"own_victimization_drop": 0.0, "victimization_scar": 0.0,
                           "tie_victimization_drop": 0.0, "neighbourhood_incident_drop": 0.0},
    "lighting": {"lighting_perception_effect": 0.0},
    "visible police": {"police_visibility_perception_effect": 0.0},
    "committees": {"committee_perception_effect": 0.0},
    "public space (disorder)": {"disorder_perception_effect": 0.0},
    "migrant inclusion": {"migrant_inclusion_safety_gain": 0.0},
    "contagion": {"fear_contagion": 0.0, "reassurance": 0.0},
    "memory": {"memory_decay": 1.0},
}
"""The channels through which perceived safety moves, each with the parameter values that
switch it off: crime experienced and heard of; each visible programme's direct effect;
fear and reassurance passed on in conversation; and memory (at ``memory_decay`` = 1
perception is its target every day, with nothing remembered). ``experiments.pathways``
runs them as counterfactual switches."""
DIRECT = ("lighting", "visible police", "committees", "public space (disorder)",
          "migrant inclusion")
"""The visible programmes' direct perception effects."""


def environment(city, params, reference: dict) -> tuple[np.ndarray, np.ndarray]:
    """What residents see in each barrio, relative to the city at the start (lighting:
    what is on at night, so power cuts darken it; ``simulation.power_cuts``)."""
    light = city.layer("lit_at_night") - reference["lighting"]
    disorder = city.layer("disorder") - reference["disorder"]
    police = (np.minimum(city.layer("police_presence"), params.police_visibility_cap)
              - reference["police_presence"])
    efficacy = city.layer("collective_efficacy") - reference["collective_efficacy"]
    public = (params.lighting_perception_effect * light
              - params.disorder_perception_effect * disorder
              + params.police_visibility_perception_effect * police)
    neighbourhood = public + params.committee_perception_effect * efficacy
    return public, neighbourhood


def reference_environment(city, params) -> dict:
    """The population-weighted mean of what residents see at the start (visible police
    capped as in ``environment``)."""
    pop = city.layer("population")
    valid = city.valid
    weights = pop[valid] / pop[valid].sum()
    seen = {name: city.layer(name)[valid] for name in ("lighting", "disorder", "collective_efficacy")}
    seen["police_presence"] = np.minimum(city.layer("police_presence")[valid],
                                         params.police_visibility_cap)
    return {name: float(values @ weights) for name, values in seen.items()}


def init_baselines(pop, params, rng):
    shift = (params.women_safety_shift * pop.female + params.migrant_safety_shift * pop.migrant
             + params.youth_safety_shift * pop.youth)
    spread = params.baseline_heterogeneity
    pop.baseline_public[:] = params.safe_public_baseline + shift + rng.normal(0, spread, pop.n)
    pop.baseline_neighbourhood[:] = (params.safe_neighbourhood_baseline + shift
                                     + rng.normal(0, spread, pop.n))


def targets(pop, params, env_public, env_neighbourhood) -> tuple[np.ndarray, np.ndarray]:
    """Where each resident's perception is heading: baseline plus what they see, less
    the scars of past victimization.

    Public spaces: the public spaces a resident actually uses (home barrio, activity
    barrio and night spot alike), ``public_perception_local_weight`` of it, the rest from
    the city as a whole (what is seen in the news; 0 by default: lighting in the south
    does not reassure the north). Neighbourhood: the home barrio; members of a safety
    committee feel a share of the committee effect on top (participation itself reassures).
    """
    city_mean = env_public.mean() if env_public.size else 0.0
    local = params.public_perception_local_weight
    used = (np.take(env_public, pop.home) + np.take(env_public, pop.activity)
            + np.take(env_public, pop.night_spot)) / 3
    public = pop.baseline_public + local * used + (1 - local) * city_mean
    inclusion = params.migrant_inclusion_safety_gain * pop.included - pop.scar
    member_gain = params.committee_perception_effect * params.committee_member_perception_share
    neighbourhood = (pop.baseline_neighbourhood + np.take(env_neighbourhood, pop.home)
                     + member_gain * pop.committee_member)
    return (public + inclusion).astype(np.float32), (neighbourhood + inclusion).astype(np.float32)


def heal(pop, params, days: int):
    """Scars of victimization fade slowly (fear can outlast crime)."""
    pop.scar *= np.float32((1 - params.scar_recovery) ** days)


def relax(pop, params, target_public, target_neighbourhood):
    """Memory decays: each day perception moves ``memory_decay`` of the way to its target."""
    rate = np.float32(params.memory_decay)
    _relax(pop.safe_public, target_public, rate)
    _relax(pop.safe_neighbourhood, target_neighbourhood, rate)


# The per-resident updates below are compiled (numba): they run every day on every
# resident, and as whole-array numpy calls their cost is call overhead, not arithmetic.
# Each keeps numpy's float32 arithmetic and order, so it gives the values of the numpy
# expression it replaced (tests/test_kernels.py).
@njit(cache=True)
def _relax(state, target, rate):
    for i in range(len(state)):
        state[i] += rate * (target[i] - state[i])


def victimization_shock(pop, params, victims: np.ndarray, where: np.ndarray):
    """Own victimization lowers perception sharply and scars the baseline; each tie of a
    victim is shaken too (vicarious victimization)."""
    if not len(victims):
        return
    _shock(pop.safe_public, pop.safe_neighbourhood, pop.scar, pop.home, pop.ties, victims, where,
           params.own_victimization_drop * 1.0, params.away_neighbourhood_drop_share * 1.0,
           np.float32(params.victimization_scar), np.float32(params.tie_victimization_drop),
           np.float32(params.tie_neighbourhood_drop_share * params.tie_victimization_drop))


@njit(cache=True)
def _shock(safe_public, safe_neighbourhood, scar, home, ties, victims, where, drop, away_share,
           scar_rise, tie_drop_public, tie_drop_neighbourhood):
    for j in range(len(victims)):
        v = victims[j]
        safe_public[v] -= np.float32(drop)
        # elsewhere than at home, the neighbourhood feels less unsafe after it
        safe_neighbourhood[v] = safe_neighbourhood[v] - (drop if where[j] == home[v] else away_share * drop)
        scar[v] += scar_rise
    for j in range(len(victims)):  # a tie of two victims is shaken twice
        for t in ties[victims[j]]:
            safe_public[t] -= tie_drop_public
            safe_neighbourhood[t] -= tie_drop_neighbourhood


def neighbourhood_news(pop, params, incidents: np.ndarray, scale_factor: float):
    """Incidents in a barrio lower its residents' neighbourhood perception (the drop per
    incident is shared among the barrio's residents, so it does not depend on scale)."""
    _news(pop.safe_neighbourhood, pop.barrio_start, pop.residents_per_barrio, incidents,
          params.neighbourhood_incident_drop * 1.0)


@njit(cache=True)
def _news(safe_neighbourhood, barrio_start, residents, incidents, drop_per_incident):
    for b in range(len(incidents)):
        if incidents[b] > 0:
            per_resident = np.float32(drop_per_incident * incidents[b] / max(residents[b], 1))
            for i in range(barrio_start[b], barrio_start[b] + residents[b]):
                safe_neighbourhood[i] -= per_resident


def conversations(pop, params, rng):
    """Some residents talk with one random tie today and move toward the tie's view.
    Fear spreads more easily than reassurance (Prieto Curiel & Bishop 2017): the pull
    toward a more fearful tie (``fear_contagion``) exceeds the pull toward a more
    reassured one (``reassurance``)."""
    talks = rng.poisson(pop.n * params.conversations_per_week / 7)
    k = pop.ties.shape[1]
    slot = rng.integers(0, pop.n * k, talks)  # a (talker, tie) pair in one draw
    talkers, partner = slot // k, pop.ties.reshape(-1)[slot]
    fear, reassure = np.float32(params.fear_contagion), np.float32(params.reassurance)
    for state in (pop.safe_public, pop.safe_neighbourhood):
        _talk(state, talkers, partner, fear, reassure)


@njit(cache=True)
def _talk(state, talkers, partner, fear, reassure):
    # Talks are about views as they stood before today's talks: all gaps first, then the
    # moves (a resident drawn twice today has both conversations).
    gap = np.empty(len(talkers), dtype=state.dtype)
    for j in range(len(talkers)):
        gap[j] = state[partner[j]] - state[talkers[j]]
    for j in range(len(talkers)):
        state[talkers[j]] += (fear if gap[j] < 0 else reassure) * gap[j]


def clip(pop):
    _clip01(pop.safe_public)
    _clip01(pop.safe_neighbourhood)


@njit(cache=True)
def _clip01(state):
    for i in range(len(state)):
        state[i] = min(max(state[i], np.float32(0)), np.float32(1))


def survey(state: np.ndarray, threshold: float, sample_size: int, rng) -> float:
    """Share feeling safe in a simple random sample (with replacement) of residents."""
    return survey_share(state, threshold, survey_sample(len(state), sample_size, rng))


def survey_sample(n: int, sample_size: int, rng) -> np.ndarray:
    """Residents drawn for a survey: a simple random sample with replacement."""
    return rng.integers(0, n, sample_size)


def survey_share(state: np.ndarray, threshold: float, sample: np.ndarray) -> float:
    """Share of the ``sample`` feeling safe."""
    return np.count_nonzero(state[sample] > threshold) / len(sample)
