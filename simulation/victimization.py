"""Victimization: offenders meet targets without capable guardians (routine activity theory).

Cohen & Felson 1979; Groff 2007 (street robbery ABM). In each barrio and phase the
expected number of offences is

    attempts * offenders * people / (people + saturation) * exp(log risk)

where the log risk falls with guardianship (share of the barrio's residents out in
public), police presence, committee-built collective efficacy and (at night) lighting,
and rises with physical disorder and with the barrio's repeat / near-repeat
attractiveness (Short et al. 2008). "people" is counted by suitability: the summed
vulnerability of those present, so a less vulnerable crowd draws fewer offences. Offences
fall on people present in proportion to their vulnerability: a personal level, times the
exposure of men (robbery, fights) and of youth, of women out at night (harassment, which
Cero Acoso reduces) and of migrants (which inclusion reduces). Youth out offending
in a phase are the offenders of that phase, not its targets: nobody is the victim of his
own offences (on the days they do not offend they are residents like any other, so
offenders are still victimized more than most: the victim-offender overlap). Each incident is severe violence (the homicide
analogue) with a chance that rises with disadvantage and the barrio's armed-group
recruitment, and is ``men_severe_factor`` times higher when the victim is a man (UNODC:
four in five homicide victims are men).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

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
    severe_expected_men: float = 0.0  # of severe_expected, against men


def offence_rate(city, params, people, offenders, residents, night: bool,
                 scale_factor: float = 1.0, suitability=None) -> np.ndarray:
    """Expected offences per barrio in one phase.

    ``people`` and ``offenders`` are agent counts; ``suitability`` is the sum of the
    vulnerability of the people present (defaults to ``people``): suitable targets, not
    heads, make an offence likelier. ``scale_factor`` (inhabitants per agent / 100)
    converts the saturation, set in agents at the default scale, so that rates per
    resident do not depend on the scale."""
    suitability = people if suitability is None else suitability
    return _offence_rate(
        np.asarray(people, dtype=np.float64), np.asarray(offenders, dtype=np.float64),
        np.asarray(residents), np.asarray(suitability, dtype=np.float64),
        *_rate_terms(city, params, night, scale_factor))


def _rate_terms(city, params, night: bool, scale_factor: float) -> tuple:
    """The barrio layers and parameters of the offence rate, as ``_offence_rate`` takes them."""
    layer = city.layer
    return (layer("police_presence"), layer("collective_efficacy"), layer("disorder"),
            layer("attractiveness"), layer("lit_at_night"), night, params.street_share_cap * 1.0,
            params.guardianship_effect * 1.0, params.police_deterrence_effect * 1.0,
            params.collective_efficacy_effect * 1.0, params.disorder_risk_effect * 1.0,
            params.attractiveness_risk_effect * 1.0, params.lighting_night_risk_reduction * 1.0,
            params.target_saturation / scale_factor, params.offences_per_offender_phase * 1.0)


@njit(cache=True)
def _offence_rate(people, offenders, residents, suitability, police, efficacy, disorder,
                  attractiveness, lighting, night, street_share_cap, guardianship_effect, police_effect,
                  efficacy_effect, disorder_effect, attractiveness_effect, lighting_reduction,
                  saturation, offences_per_offender):
    rate = np.empty(len(people))
    for b in range(len(people)):
        street_share = min(people[b] / max(residents[b], 1), street_share_cap)
        log_risk = (-guardianship_effect * street_share - police_effect * police[b]
                    - efficacy_effect * efficacy[b] + disorder_effect * disorder[b]
                    + attractiveness_effect * attractiveness[b])
        if night:
            log_risk = log_risk + np.log1p(-lighting_reduction * lighting[b])
        log_risk = min(log_risk, MAX_LOG_RISK)
        targets = suitability[b] / (suitability[b] + saturation)
        rate[b] = offences_per_offender * offenders[b] * targets * np.exp(log_risk)
    return rate


def severe_chance(city, params) -> np.ndarray:
    """Chance that an incident against a woman in each barrio is severe violence (a
    man's: ``men_severe_factor`` times it); it rises with disadvantage and recruitment."""
    log_mult = (params.severe_disadvantage_effect * (city.layer("disadvantage") - 0.5)
                + params.severe_recruitment_effect * city.layer("recruitment"))
    return np.minimum(params.severe_share * np.exp(log_mult), 1.0)


def target_weights(pop, params, present: np.ndarray, where: np.ndarray, cero_acoso: np.ndarray,
                   night: bool) -> np.ndarray:
    """Vulnerability of the residents ``present`` at barrios ``where``: personal, times
    men's and youth's extra risk, women's at night (reduced where Cero Acoso runs) and
    migrants' (reduced for those reached by inclusion services)."""
    return _target_weights(present, where, *_weight_terms(pop, params, cero_acoso, night))


def _weight_terms(pop, params, cero_acoso: np.ndarray, night: bool) -> tuple:
    """The resident attributes and parameters of the target weights, as ``_target_weights``
    takes them after ``present`` and ``where``."""
    women_extra = params.women_night_vulnerability - 1.0 if night else 0.0
    return (pop.vulnerability, pop.female, pop.youth, pop.migrant, pop.included, cero_acoso,
            params.men_vulnerability * 1.0, params.youth_vulnerability * 1.0, women_extra,
            params.cero_acoso_vulnerability_reduction * 1.0, params.migrant_vulnerability - 1.0,
            params.migrant_inclusion_vulnerability_reduction * 1.0)


@njit(cache=True)
def _target_weights(present, where, vulnerability, female, youth, migrant, included, cero_acoso,
                    men, young, women_extra, cero_acoso_reduction, migrant_extra,
                    inclusion_reduction):
    w = np.empty(len(present))
    for j in range(len(present)):
        i = present[j]
        w[j] = np.float64(vulnerability[i])
        if female[i]:
            w[j] *= 1.0 + women_extra * (1.0 - cero_acoso_reduction * cero_acoso[where[j]])
        else:
            w[j] *= men
        if youth[i]:
            w[j] *= young
        if migrant[i]:
            w[j] *= 1.0 + migrant_extra * (1.0 - inclusion_reduction * included[i])
    return w


def run_phase(model, loc: np.ndarray, offenders: np.ndarray, night: bool) -> PhaseOutcome:
    """Offences, victims, severe violence and arrests for one phase."""
    pop, city, params, rng = model.population, model.city, model.params, model.rng
    n_b = city.n
    # Only residents where an offender is present can be victims: work on them alone.
    n_off, present, where, w, total_w, rate = _exposure(
        loc, offenders, n_b, pop.residents_per_barrio,
        _weight_terms(pop, params, model.treated("cero_acoso"), night),
        _rate_terms(city, params, night, model.scale_factor))
    # Offences fall on those present in proportion to their vulnerability.
    victims, incidents = _hits(present, where, w, rate, total_w, rng.random(len(present)), n_b)

    severe = np.zeros(0)
    severe_events = 0
    if len(victims):  # each victim's incident is severe with its own chance
        men = ~pop.female[victims]
        severe = np.minimum(model.severe_chance[loc[victims]]
                            * np.where(men, params.men_severe_factor, 1.0), 1.0)
        severe_events = int((rng.random(len(victims)) < severe).sum())
    arrested = _arrests(model, offenders, loc, incidents, n_off)
    severe_men = float(severe[men].sum()) if len(victims) else 0.0
    return PhaseOutcome(victims, incidents, float(severe.sum()), severe_events, arrested,
                        severe_men)


@njit(cache=True)
def _exposure(loc, offenders, n_b, residents, weight_terms, rate_terms):
    """Who is exposed and how much: offenders per barrio, the residents present where an
    offender is, their target weights (0 for the phase's offenders: they are not targets),
    each barrio's summed weight and offence rate (``target_weights`` and ``offence_rate``
    in one compiled call)."""
    people, n_off, present = _presence(loc, offenders, n_b)
    where = np.empty(len(present), dtype=np.int64)
    for j in range(len(present)):
        where[j] = loc[present[j]]
    w = _target_weights(present, where, *weight_terms)
    offending = np.zeros(len(loc), dtype=np.bool_)
    for i in offenders:
        offending[i] = True
    total_w = np.zeros(n_b)
    for j in range(len(present)):
        if offending[present[j]]:
            w[j] = 0.0
        total_w[where[j]] += w[j]
    rate = _offence_rate(people, n_off, residents, total_w, *rate_terms)
    return n_off, present, where, w, total_w, rate


@njit(cache=True)
def _presence(loc, offenders, n_b):
    """People and active offenders in each barrio (``-1``: nowhere), and the residents
    in barrios where an offender is (ascending index). Compiled: it runs twice a day
    and a dozen array calls on a few thousand residents cost more than the arithmetic."""
    people = np.zeros(n_b)
    n_off = np.zeros(n_b)
    for b in loc:
        if b >= 0:
            people[b] += 1.0
    for i in offenders:
        if loc[i] >= 0:
            n_off[loc[i]] += 1.0
    present = np.empty(len(loc), dtype=np.int64)
    k = 0
    for i in range(len(loc)):
        if loc[i] >= 0 and n_off[loc[i]] > 0:
            present[k] = i
            k += 1
    return people, n_off, present[:k]


@njit(cache=True)
def _hits(present, where, w, rate, total_w, u, n_b):
    """Each resident present is hit with chance ``1 - exp(-hazard)``, the hazard being
    the barrio's offences times the resident's share of the barrio's vulnerability."""
    incidents = np.zeros(n_b)
    victims = np.empty(len(present), dtype=np.int64)
    k = 0
    for j in range(len(present)):
        b = where[j]
        if w[j] == 0.0:  # not a target (an offender in his own phase)
            continue
        hazard = rate[b] * w[j] / total_w[b]
        if u[j] < -np.expm1(-hazard):
            victims[k] = present[j]
            k += 1
            incidents[b] += 1.0
    return victims[:k], incidents


def _arrests(model, offenders, loc, incidents, n_off) -> np.ndarray:
    """Each active offender's arrest hazard is its share of the barrio's incidents times
    the arrest chance, which rises with police presence."""
    params = model.params
    located = offenders[loc[offenders] >= 0]
    return _caught(located, loc, incidents, n_off, model.city.layer("police_presence"),
                   params.arrest_probability_per_offence * 1.0, params.police_arrest_effect * 1.0,
                   model.rng.random(len(located)))


@njit(cache=True)
def _caught(located, loc, incidents, n_off, police, arrest_probability, police_effect, u):
    caught = np.empty(len(located), dtype=np.int64)
    k = 0
    for j in range(len(located)):
        b = loc[located[j]]
        hazard = (arrest_probability * (1 + police_effect * police[b])
                  * incidents[b] / max(n_off[b], 1.0))
        if u[j] < -np.expm1(-hazard):
            caught[k] = located[j]
            k += 1
    return caught[:k]


def update_attractiveness(city, params, incidents: np.ndarray, scale_factor: float):
    """Short et al. 2008: each incident raises attractiveness, which spreads to the
    neighbouring barrios and decays. ``scale_factor`` keeps the rise per real incident
    independent of how many inhabitants one agent stands for."""
    adjacency = city.adjacency
    _attract(city.layer("attractiveness"), adjacency.indptr, adjacency.indices,
             city.neighbour_count, city.valid, incidents, params.attractiveness_spread * 1.0,
             params.attractiveness_decay * 1.0, params.attractiveness_per_incident * scale_factor)


@njit(cache=True)
def _attract(a, indptr, neighbours, neighbour_count, valid, incidents, spread, decay, per_incident):
    new = np.empty_like(a)
    for b in range(len(a)):
        total = 0.0
        for k in range(indptr[b], indptr[b + 1]):
            total += a[neighbours[k]]
        pull = spread * (total / neighbour_count[b] - a[b])
        new[b] = a[b] + (pull - decay * a[b] + per_incident * incidents[b]) if valid[b] else 0.0
    a[:] = new
