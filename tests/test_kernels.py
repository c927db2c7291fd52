"""The compiled (numba) daily kernels against the whole-array numpy expressions they
replaced: same values (bit for bit where numpy's own ``exp`` is not involved) and the
same use of the random stream, on a model state with victims, detainees and repeated
indices. If a kernel drifts from its rule, these fail before any statistical test would."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import ndimage

from simulation import perception, routine, victimization
from simulation.offending import active_offenders
from simulation.routine import NOWHERE


@pytest.fixture
def state(fresh_model):
    """A model some weeks in, with a few residents detained."""
    model = fresh_model
    for _ in range(20):
        model.step()
    model.population.detained_until[::97] = model.day + 5
    return model


def test_day_and_night_locations(state):
    pop, params, day = state.population, state.params, state.day
    held = routine.detained(pop, day)
    assert len(held)
    for weekday in (2, 6):
        p_go = params.day_activity_probability * (params.weekend_activity_factor if weekday >= 5 else 1.0)
        u = np.random.default_rng(1).random(pop.n, dtype=np.float32)
        expected = np.where(u < p_go, pop.activity, pop.home)
        expected[held] = NOWHERE
        assert_array_equal(routine.day_locations(pop, params, weekday, held, np.random.default_rng(1)),
                           expected)
    stay = np.float32(params.fear_stay_home_strength)
    p_out = np.float32(params.night_outing_probability) * (1 - stay + stay * pop.safe_public)
    out = np.random.default_rng(2).random(pop.n, dtype=np.float32) < p_out
    out[held] = False
    loc = routine.night_locations(pop, params, held, np.random.default_rng(2))
    assert_array_equal(pop.went_out_tonight, out)
    assert_array_equal(loc, np.where(out, pop.night_spot, NOWHERE))


def test_active_offenders(state):
    pop, day = state.population, state.day
    pop.detained_until[pop.youth_index[::3]] = day + 2
    youth = pop.youth_index
    active = np.random.default_rng(3).random(len(youth), dtype=np.float32) < pop.propensity[youth]
    idx = youth[active]
    assert_array_equal(active_offenders(pop, day, np.random.default_rng(3)),
                       idx[pop.detained_until[idx] <= day])


def test_offence_rate_and_target_weights(state):
    city, params, pop = state.city, state.params, state.population
    rng = np.random.default_rng(4)
    people = rng.integers(0, 40, city.n).astype(float)
    offenders = rng.integers(0, 3, city.n).astype(float)
    suitability = people * rng.uniform(0.5, 1.5, city.n)
    res = pop.residents_per_barrio
    for night in (False, True):
        street_share = np.minimum(people / np.maximum(res, 1), params.street_share_cap)
        log_risk = (-params.guardianship_effect * street_share
                    - params.police_deterrence_effect * city.layer("police_presence")
                    - params.collective_efficacy_effect * city.layer("collective_efficacy")
                    + params.disorder_risk_effect * city.layer("disorder")
                    + params.attractiveness_risk_effect * city.layer("attractiveness"))
        if night:
            log_risk = log_risk + np.log1p(-params.lighting_night_risk_reduction * city.layer("lit_at_night"))
        log_risk = np.minimum(log_risk, victimization.MAX_LOG_RISK)
        targets = suitability / (suitability + params.target_saturation / 2.0)
        expected = params.offences_per_offender_phase * offenders * targets * np.exp(log_risk)
        got = victimization.offence_rate(city, params, people, offenders, res, night, 2.0,
                                         suitability=suitability)
        assert_allclose(got, expected, rtol=1e-14, atol=0)  # numpy's exp may differ by an ulp

    present = np.sort(rng.choice(pop.n, 500, replace=False))
    where = rng.integers(0, city.n, len(present))
    cero_acoso = rng.random(city.n) < 0.5
    pop.included[:] = pop.migrant & (rng.random(pop.n) < 0.5)
    for night in (False, True):
        w = pop.vulnerability[present].astype(np.float64)
        women_extra = params.women_night_vulnerability - 1.0 if night else 0.0
        w *= np.where(pop.female[present], 1.0 + women_extra * (
            1.0 - params.cero_acoso_vulnerability_reduction * cero_acoso[where]),
            params.men_vulnerability)
        w *= np.where(pop.youth[present], params.youth_vulnerability, 1.0)
        w *= np.where(pop.migrant[present], 1.0 + (params.migrant_vulnerability - 1.0) * (
            1.0 - params.migrant_inclusion_vulnerability_reduction * pop.included[present]), 1.0)
        assert_array_equal(victimization.target_weights(pop, params, present, where, cero_acoso,
                                                        night), w)


def test_a_phase_draws_and_hits_as_the_array_version_did(state):
    """Victims, incidents and arrests of one phase, recomputed with numpy on the same
    draws; offenders are crowded into a few barrios with bystanders so that there are
    victims."""
    pop, city = state.population, state.city
    offenders = pop.youth_index[:60]
    loc = routine.night_locations(pop, state.params, np.empty(0, np.int64), np.random.default_rng(5))
    loc[offenders] = offenders % 4  # four barrios full of offenders
    bystanders = np.setdiff1d(np.arange(pop.n), offenders)[:80]
    loc[bystanders] = bystanders % 4  # and of people they can hit
    state.params = state.params.replace(  # enough offences for some victims, and arrests
        offences_per_offender_phase=10.0, arrest_probability_per_offence=0.9,
        police_arrest_effect=5.0)
    city.layer("police_presence")[:4] = 2.0  # police where the offenders are
    state.rng = np.random.default_rng(6)
    outcome = victimization.run_phase(state, loc, offenders, night=True)

    rng = np.random.default_rng(6)
    slot = loc + 1
    people = np.bincount(slot, minlength=city.n + 1)[1:].astype(float)
    n_off = np.bincount(slot[offenders], minlength=city.n + 1)[1:].astype(float)
    present = np.flatnonzero(np.concatenate([[False], n_off > 0])[slot])
    where = loc[present]
    w = victimization.target_weights(pop, state.params, present, where, state.treated("cero_acoso"), True)
    w[np.isin(present, offenders)] = 0.0  # the phase's offenders are not its targets
    total_w = np.bincount(where, weights=w, minlength=city.n)
    rate = victimization.offence_rate(city, state.params, people, n_off, pop.residents_per_barrio,
                                      True, state.scale_factor, suitability=total_w)
    share = np.divide(w, total_w[where], out=np.zeros(len(w)), where=w > 0)
    hit = rng.random(len(present)) < -np.expm1(-(rate[where] * share))
    assert hit.sum() > 0
    assert_array_equal(outcome.victims, present[hit])
    assert_array_equal(outcome.incidents, np.bincount(where[hit], minlength=city.n).astype(float))
    hit_b = np.flatnonzero(outcome.incidents)
    p = state.severe_chance[hit_b]
    assert outcome.severe_events == rng.binomial(outcome.incidents[hit_b].astype(np.int64), p).sum()
    off_loc = loc[offenders]
    police = city.layer("police_presence")[off_loc]
    hazard = (state.params.arrest_probability_per_offence * (1 + state.params.police_arrest_effect * police)
              * outcome.incidents[off_loc] / np.maximum(n_off[off_loc], 1))
    assert len(outcome.arrested)
    assert_array_equal(outcome.arrested, offenders[rng.random(len(offenders)) < -np.expm1(-hazard)])


def test_perception_updates(state):
    pop, params = state.population, state.params
    rng = np.random.default_rng(7)
    target = rng.random(pop.n).astype(np.float32)
    before = pop.safe_public.copy()
    perception.relax(pop, params, target, target)
    rate = np.float32(params.memory_decay)
    assert_array_equal(pop.safe_public, before + rate * (target - before))

    victims = np.sort(rng.choice(pop.n, 40, replace=False))
    victims[1] = pop.ties[victims[0], 0]  # a victim who is also a victim's tie
    where = np.where(rng.random(40) < 0.5, pop.home[victims], (pop.home[victims] + 1) % state.city.n)
    sp, sn, scar = pop.safe_public.copy(), pop.safe_neighbourhood.copy(), pop.scar.copy()
    drop = params.own_victimization_drop
    sp[victims] -= drop
    sn[victims] -= np.where(where == pop.home[victims], drop,
                            params.away_neighbourhood_drop_share * drop)
    scar[victims] += params.victimization_scar
    ties = pop.ties[victims].ravel()
    np.subtract.at(sp, ties, np.float32(params.tie_victimization_drop))
    np.subtract.at(sn, ties, np.float32(params.tie_neighbourhood_drop_share
                                        * params.tie_victimization_drop))
    perception.victimization_shock(pop, params, victims, where)
    for got, expected in ((pop.safe_public, sp), (pop.safe_neighbourhood, sn), (pop.scar, scar)):
        assert_array_equal(got, expected)

    incidents = np.zeros(state.city.n)
    incidents[rng.choice(np.flatnonzero(pop.residents_per_barrio), 5, replace=False)] = [1, 2, 1, 3, 1]
    sn = pop.safe_neighbourhood.copy()
    hit = np.flatnonzero(incidents)
    idx, owner = pop.residents_of(hit)
    sn[idx] -= (params.neighbourhood_incident_drop * incidents[hit]
                / np.maximum(pop.residents_per_barrio[hit], 1))[owner].astype(np.float32)
    perception.neighbourhood_news(pop, params, incidents, state.scale_factor)
    assert_array_equal(pop.safe_neighbourhood, sn)


def test_conversations_and_clip(state):
    pop, params = state.population, state.params
    state.params = params = params.replace(conversations_per_week=7.0)  # some talk twice
    states = [pop.safe_public.copy(), pop.safe_neighbourhood.copy()]
    rng = np.random.default_rng(8)
    talks = rng.poisson(pop.n * params.conversations_per_week / 7)
    k = pop.ties.shape[1]
    slot = rng.integers(0, pop.n * k, talks)
    talkers, partner = slot // k, pop.ties.reshape(-1)[slot]
    assert len(np.unique(talkers)) < len(talkers)
    for s in states:
        gap = s[partner] - s[talkers]
        np.add.at(s, talkers, np.where(gap < 0, np.float32(params.fear_contagion),
                                       np.float32(params.reassurance)) * gap)
    perception.conversations(pop, params, np.random.default_rng(8))
    assert_array_equal(pop.safe_public, states[0])
    assert_array_equal(pop.safe_neighbourhood, states[1])

    pop.safe_public[:3] = [-0.5, 1.5, 0.25]
    expected = np.clip(pop.safe_public, 0, 1)
    perception.clip(pop)
    assert_array_equal(pop.safe_public, expected)


def test_attractiveness_legitimacy_and_works(state):
    city, params = state.city, state.params
    a = city.layer("attractiveness")
    a[:] = np.random.default_rng(9).random(city.n)
    incidents = np.zeros(city.n)
    incidents[[0, 5, 77]] = [1, 2, 1]
    g = city.as_grid(a * city.valid)
    neighbours = (9 * ndimage.uniform_filter(g, size=3, mode="constant", cval=0.0) - g).reshape(-1)
    expected = a + (params.attractiveness_spread * (neighbours / city.neighbour_count - a)
                    - params.attractiveness_decay * a
                    + params.attractiveness_per_incident * state.scale_factor * incidents)
    expected[~city.valid] = 0.0
    victimization.update_attractiveness(city, params, incidents, state.scale_factor)
    assert_allclose(a, expected, rtol=1e-12, atol=1e-15)  # neighbour sums in another order

    legitimacy = city.layer("legitimacy")
    legitimacy[:3] = [0.0, 1.0, 0.5]
    expected = legitimacy + params.legitimacy_recovery * (params.legitimacy_baseline - legitimacy)
    expected[state.police.post_barrios] += params.community_policing_legitimacy_gain
    state.police.update_legitimacy()
    assert_array_equal(legitimacy, np.clip(expected, 0, 1))

    treated = state.timeline.treated
    treated["street_lighting"][::2] = True
    treated["public_space_recovery"][::3] = True
    lighting, disorder = city.layer("lighting"), city.layer("disorder")
    lit, recovered = treated["street_lighting"], treated["public_space_recovery"]
    light = lighting.copy()
    light[lit] += params.lighting_installation_rate * (1 - light[lit])
    target = state.initial_disorder * (1 - params.public_space_disorder_reduction * recovered)
    rate = np.where(recovered, params.recovery_works_rate, params.disorder_drift)
    dis = disorder + rate * (target - disorder)
    state._works()
    assert_array_equal(lighting, light)
    assert_array_equal(disorder, dis)


def test_offenders_appeal_is_the_array_expression(state):
    """The compiled appeal of a barrio equals its numpy expression."""
    from simulation import mobility

    city, params = state.city, state.params
    rng = np.random.default_rng(3)
    for name in ("police_presence", "collective_efficacy", "attractiveness", "attractors"):
        city.layer(name)[:] = rng.random(city.n)
    for night in (False, True):
        police = city.layer("police_presence")
        a = params.offender_police_awareness
        seen = a * police + (1 - a) * city.neighbour_sum(police) / city.neighbour_count
        expected = (-params.police_deterrence_effect * seen
                    - params.collective_efficacy_effect * city.layer("collective_efficacy")
                    + params.disorder_risk_effect * city.layer("disorder")
                    + params.attractiveness_risk_effect * city.layer("attractiveness")
                    + params.crime_attractor_effect * city.layer("attractors"))
        if night:
            expected = expected + np.log1p(-params.lighting_night_risk_reduction * city.layer("lit_at_night"))
        assert_allclose(mobility.appeal(city, params, night), expected, rtol=1e-12, atol=1e-12)
