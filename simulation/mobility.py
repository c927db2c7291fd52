"""Where offenders offend: crime pattern theory.

An active offender does not offend only where his routine takes him. His routine place
for the phase (by day where he goes, at night his night spot) is the node of his
awareness space (Brantingham & Brantingham 1993); he offends there or in one of its
neighbouring barrios, choosing by how promising each looks (Cornish & Clarke's rational
choice) and how far it is (journey-to-crime distance decay: Bernasco 2010; Rossmo 2000):

    P(barrio b | node a)  ∝  exp(choice_sensitivity x appeal_b - distance_decay x steps(a, b))

for ``b`` the node and its eight Moore neighbours. A barrio's *appeal* is the log of the
offence success the offender expects there: the offence rate's own terms (police, committee
efficacy, disorder, repeat-victimization attractiveness, darkness at night) plus crime
attractors (markets, hubs, nightlife). Offenders see police presence only roughly:
``offender_police_awareness`` of what they perceive in a barrio is its own presence, the
rest the mean of its neighbours', so patrols deter nearby too. That is what lets a
programme **displace** offending to the barrios around it (a patrolled or lit barrio loses
appeal, its neighbours gain offenders) or **diffuse** its benefits (offenders nearby
perceive the risk spill over), as hot-spot evaluations measure (Weisburd et al. 2006;
Bowers et al. 2011).
"""

from __future__ import annotations

import numpy as np
from numba import njit


def offence_places(city, params, nodes: np.ndarray, night: bool, rng) -> np.ndarray:
    """The barrio each active offender offends in this phase, given his node."""
    if len(nodes) == 0:
        return nodes
    adjacency = city.adjacency
    return _choose(nodes, adjacency.indptr, adjacency.indices, appeal(city, params, night),
                   params.offender_choice_sensitivity * 1.0, params.offender_distance_decay * 1.0,
                   rng.random(len(nodes)))


def appeal(city, params, night: bool) -> np.ndarray:
    """How promising each barrio looks to an offender (log expected offence success, up
    to a constant, plus attractors)."""
    layer, adjacency = city.layer, city.adjacency
    return _appeal(layer("police_presence"), layer("collective_efficacy"), layer("disorder"),
                   layer("attractiveness"), layer("attractors"), layer("lit_at_night"), night,
                   adjacency.indptr, adjacency.indices, city.neighbour_count,
                   params.offender_police_awareness * 1.0, params.police_deterrence_effect * 1.0,
                   params.collective_efficacy_effect * 1.0, params.disorder_risk_effect * 1.0,
                   params.attractiveness_risk_effect * 1.0, params.crime_attractor_effect * 1.0,
                   params.lighting_night_risk_reduction * 1.0)


@njit(cache=True)
def _appeal(police, efficacy, disorder, attractiveness, attractors, lighting, night, indptr,
            neighbours, neighbour_count, awareness, police_effect, efficacy_effect,
            disorder_effect, attractiveness_effect, attractor_effect, lighting_reduction):
    """Compiled: one pass over the barrios (the perceived police is the barrio's own
    presence and its neighbours' mean, weighted by ``awareness``)."""
    value = np.empty(len(police))
    for b in range(len(police)):
        around = 0.0
        for k in range(indptr[b], indptr[b + 1]):
            around += police[neighbours[k]]
        seen = awareness * police[b] + (1.0 - awareness) * around / neighbour_count[b]
        v = (-police_effect * seen - efficacy_effect * efficacy[b] + disorder_effect * disorder[b]
             + attractiveness_effect * attractiveness[b] + attractor_effect * attractors[b])
        if night:
            v += np.log1p(-lighting_reduction * lighting[b])
        value[b] = v
    return value


@njit(cache=True)
def _choose(nodes, indptr, neighbours, appeal, sensitivity, decay, u):
    """Draw each offender's barrio among his node (weight exp(s x appeal)) and its
    neighbours (weight exp(s x appeal - decay))."""
    out = np.empty(len(nodes), dtype=np.int64)
    for i in range(len(nodes)):
        a = nodes[i]
        start, stop = indptr[a], indptr[a + 1]
        base = sensitivity * appeal[a]
        top = base
        for k in range(start, stop):
            top = max(top, sensitivity * appeal[neighbours[k]] - decay)
        total = np.exp(base - top)
        for k in range(start, stop):
            total += np.exp(sensitivity * appeal[neighbours[k]] - decay - top)
        threshold = u[i] * total
        acc = np.exp(base - top)
        choice = a
        if acc < threshold:
            for k in range(start, stop):
                acc += np.exp(sensitivity * appeal[neighbours[k]] - decay - top)
                choice = neighbours[k]
                if acc >= threshold:
                    break
        out[i] = choice
    return out
