"""Victimization: offenders meet targets without capable guardians (routine activity theory).

Cohen & Felson 1979; Groff 2007 (street robbery ABM). In each barrio and phase the
expected number of offences is

    attempts * offenders * people / (people + saturation) * exp(log risk)

where the log risk falls with guardianship (share of the barrio's residents out in
public), police presence, committee-built collective efficacy and (at night) lighting,
and rises with physical disorder and with the barrio's repeat / near-repeat
attractiveness (Short et al. 2008). "people" is counted by suitability: the summed
vulnerability of those present, so a less vulnerable crowd draws fewer offences. Offences
fall on people present in proportion to their vulnerability (women in public space: Cero Acoso reduces their extra risk;
migrants: inclusion reduces theirs). Each incident is severe violence (the homicide
analogue) with a chance that rises with disadvantage and recruitment pressure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Runaway feedback (incidents -> attractiveness -> incidents) at extreme parameter draws
# can push the log risk past 709, where exp overflows to inf (overflow warnings, and any
# inf * 0 or inf / inf downstream would be a NaN hazard that silently hits nobody).
# At exp(30) ~ 1e13 every person present is already hit with probability 1 (hazard >=
# offences_per_offender_phase * 1e13 * vulnerability / people >> 1 for any plausible
# value), so clipping here keeps rates finite without changing an outcome.
MAX_LOG_RISK = 30.0


@dataclass
class PhaseOutcome:
    victims: np.ndarray          # resident indices
    incidents: np.ndarray        # per barrio (float counts)
    severe_expected: float       # sum of severe chances over incidents
    severe_events: int           # realized severe incidents
    arrested: np.ndarray         # resident indices


def offence_rate(city, params, people, offenders, residents, night: bool,
                 scale_factor: float = 1.0, suitability=None) -> np.ndarray:
    """Expected offences per barrio in one phase.

    ``people`` and ``offenders`` are agent counts; ``suitability`` is the sum of the
    vulnerability of the people present (defaults to ``people``): suitable targets, not
    heads, make an offence likelier. ``scale_factor`` (inhabitants per agent / 100)
    converts the saturation, set in agents at the default scale, so that rates per
    resident do not depend on the scale."""
    street_share = np.minimum(people / np.maximum(residents, 1), 3.0)
    log_risk = (-params.guardianship_effect * street_share
                - params.police_deterrence_effect * city.layer("police_presence")
                - params.collective_efficacy_effect * city.layer("collective_efficacy")
                + params.disorder_risk_effect * city.layer("disorder")
                + params.attractiveness_risk_effect * city.layer("attractiveness"))
    if night:
        log_risk = log_risk + np.log1p(-params.lighting_night_risk_reduction * city.layer("lighting"))
    log_risk = np.minimum(log_risk, MAX_LOG_RISK)
    suitability = people if suitability is None else suitability
    targets = suitability / (suitability + params.target_saturation / scale_factor)
    return params.offences_per_offender_phase * offenders * targets * np.exp(log_risk)


def severe_chance(city, params) -> np.ndarray:
    """Chance that an incident in each barrio is severe violence."""
    log_mult = (params.severe_disadvantage_effect * (city.layer("disadvantage") - 0.5)
                + params.severe_recruitment_effect * params.recruitment_pressure)
    return np.minimum(params.severe_share * np.exp(log_mult), 1.0)


def target_weights(pop, params, present: np.ndarray, where: np.ndarray, cero_acoso: np.ndarray,
                   inclusion: np.ndarray) -> np.ndarray:
    """Vulnerability of the residents ``present`` at barrios ``where``."""
    w = pop.vulnerability[present].astype(np.float64)
    women_extra = (params.women_public_vulnerability - 1.0) * (
        1.0 - params.cero_acoso_vulnerability_reduction * cero_acoso[where])
    w *= np.where(pop.female[present], 1.0 + women_extra, 1.0)
    migrant_extra = (params.migrant_vulnerability - 1.0) * (
        1.0 - params.migrant_inclusion_vulnerability_reduction * pop.included[present])
    w *= np.where(pop.migrant[present], 1.0 + migrant_extra, 1.0)
    return w


def run_phase(model, loc: np.ndarray, offenders: np.ndarray, night: bool) -> PhaseOutcome:
    """Offences, victims, severe violence and arrests for one phase."""
    pop, city, params, rng = model.population, model.city, model.params, model.rng
    n_b = city.n
    # loc + 1 maps "nowhere" (-1) to bin 0, so one bincount counts everybody present.
    slot = loc + 1
    people = np.bincount(slot, minlength=n_b + 1)[1:].astype(np.float64)
    n_off = np.bincount(slot[offenders], minlength=n_b + 1)[1:].astype(np.float64)

    # Only residents where an offender is present can be victims: work on them alone.
    exposed_barrio = np.concatenate([[False], n_off > 0])
    present = np.flatnonzero(np.take(exposed_barrio, slot))  # take: 3x faster than [] here
    where = loc[present]
    w = target_weights(pop, params, present, where, model.treated("cero_acoso"),
                       model.treated("migrant_inclusion"))
    total_w = np.bincount(where, weights=w, minlength=n_b)
    rate = offence_rate(city, params, people, n_off, pop.residents_per_barrio, night,
                        model.scale_factor, suitability=total_w)
    # Offences fall on those present in proportion to their vulnerability.
    hazard = rate[where] * w / total_w[where]
    hit = rng.random(len(present)) < -np.expm1(-hazard)
    victims = present[hit]
    incidents = np.bincount(where[hit], minlength=n_b).astype(np.float64)

    severe_p = severe_chance(city, params)
    hit_b = np.flatnonzero(incidents)
    severe_expected = float(incidents[hit_b] @ severe_p[hit_b])
    severe_events = int(rng.binomial(incidents[hit_b].astype(np.int64), severe_p[hit_b]).sum())
    arrested = _arrests(model, offenders, loc, incidents, n_off)
    return PhaseOutcome(victims, incidents, severe_expected, severe_events, arrested)


def _arrests(model, offenders, loc, incidents, n_off) -> np.ndarray:
    """Each active offender's arrest hazard is its share of the barrio's incidents times
    the arrest chance, which rises with police presence."""
    params = model.params
    off_loc = loc[offenders]
    out = off_loc >= 0
    offenders, off_loc = offenders[out], off_loc[out]
    police = model.city.layer("police_presence")[off_loc]
    hazard = (params.arrest_probability_per_offence * (1 + params.police_arrest_effect * police)
              * incidents[off_loc] / np.maximum(n_off[off_loc], 1))
    caught = model.rng.random(len(offenders)) < -np.expm1(-hazard)
    return offenders[caught]


def update_attractiveness(city, params, incidents: np.ndarray, scale_factor: float):
    """Short et al. 2008: each incident raises attractiveness, which spreads to the
    neighbouring barrios and decays. ``scale_factor`` keeps the rise per real incident
    independent of how many inhabitants one agent stands for."""
    a = city.layer("attractiveness")
    spread = params.attractiveness_spread * (city.neighbour_mean(a) - a)
    a += spread - params.attractiveness_decay * a + params.attractiveness_per_incident * scale_factor * incidents
    a[~city.valid] = 0.0
