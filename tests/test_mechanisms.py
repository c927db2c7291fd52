"""One or more tests per mechanism of the model.

Mechanism functions are called directly on the arrays of a small model where that gives
a clean comparison (identical people, offenders and random draws, one factor changed);
statistical claims use many agents or repetitions and tolerances derived from the spread
(binomial or Poisson standard errors), never numbers copied from a run.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from conftest import final_outcomes, paired_z, run_model, shipped, small_scenario, timeseries
from simulation import BarriosModel, committees, offending, perception, routine, victimization
from simulation.city import LAYERS, City, synthetic_layout
from simulation.interventions import INTERVENTIONS
from simulation.outcomes import PANEL_COLUMNS
from simulation.timeline import ramp_fraction
from simulation.parameters import PARAMETERS, Params

K = 4.0  # standard errors allowed for a two-sided statistical check (p ~ 6e-5)


def binomial_se(p: float, n: int) -> float:
    return float(np.sqrt(p * (1 - p) / n))


# ===================================================================================
# City
# ===================================================================================


@pytest.mark.parametrize("layout_seed", [2023, 1, 2, 3])
def test_synthetic_city_is_long_north_south_with_disadvantage_south_and_periphery(layout_seed):
    width, height = 20, 60
    city = City(width, height, random.Random(0))
    synthetic_layout(city, 2_800_000, 0.0, layout_seed)
    dis = city.as_grid(city.layer("disadvantage"))  # [x west-east, y south-north]
    assert dis.shape == (width, height) and height > width

    south = dis[:, : height // 3].mean()
    north = dis[:, 2 * height // 3:].mean()
    assert south > north

    centre_cols = slice(width // 2 - 3, width // 2 + 3)
    periphery_cols = np.r_[0:3, width - 3:width]
    centre_north = dis[centre_cols, height // 2:].mean()
    periphery = dis[periphery_cols, :].mean()
    assert periphery > centre_north
    assert south > centre_north

    # lighting falls and disorder rises with disadvantage
    d = city.layer("disadvantage")
    assert np.corrcoef(d, city.layer("lighting"))[0, 1] < -0.5
    assert np.corrcoef(d, city.layer("disorder"))[0, 1] > 0.5
    assert city.layer("population").sum() == pytest.approx(2_800_000)


def test_synthetic_layout_is_the_same_city_every_run():
    a, b = City(20, 60, random.Random(0)), City(20, 60, random.Random(0))
    synthetic_layout(a, 1_000_000, 0.0, 7)
    synthetic_layout(b, 1_000_000, 0.0, 7)
    for name in ("population", "disadvantage", "lighting", "disorder"):
        np.testing.assert_array_equal(a.layer(name), b.layer(name))


def test_disadvantage_shift_raises_disadvantage_everywhere():
    a, b = City(20, 60, random.Random(0)), City(20, 60, random.Random(0))
    synthetic_layout(a, 1_000_000, 0.0, 7)
    synthetic_layout(b, 1_000_000, 0.3, 7)
    assert np.all(b.layer("disadvantage") > a.layer("disadvantage"))


def test_every_layer_is_a_mesa_property_layer_viewed_by_the_flat_arrays(small_model):
    model = small_model
    for name in LAYERS:
        data = getattr(model.grid, name).data  # Mesa's public access to a property layer
        assert data.shape == (model.city.width, model.city.height)
        flat = model.city.layer(name)
        assert np.shares_memory(flat, data), name
        np.testing.assert_array_equal(flat, data.reshape(-1))


def test_writing_a_flat_layer_changes_the_mesa_layer(fresh_model):
    city = fresh_model.city
    data = fresh_model.grid.lighting.data
    b = 5 * city.height + 17  # x = 5, y = 17
    city.layer("lighting")[b] = 0.123
    assert data[5, 17] == 0.123
    data[3, 4] = 0.777  # ... and the other way round
    assert city.layer("lighting")[3 * city.height + 4] == 0.777


def test_city_table_replaces_the_synthetic_layout():
    table = pd.DataFrame({"row": [0, 1, 4, 9, 9], "col": [0, 0, 2, 5, 3],
                          "population": [1000.0, 3000.0, 2000.0, 500.0, 3500.0],
                          "disadvantage": [0.9, 0.2, 0.5, 0.1, 0.7]})
    scenario = small_scenario(city={"width": 6, "height": 10, "population": 100_000,
                                    "inhabitants_per_agent": 100.0})
    model = BarriosModel(scenario, rng=1, city_table=table)
    city, pop = model.city, model.population
    listed = table["col"].to_numpy() * city.height + table["row"].to_numpy()

    assert set(model.valid_barrios) == set(listed)
    assert set(np.unique(pop.home)) <= set(listed)
    assert set(np.unique(pop.activity)) <= set(listed)
    assert set(np.unique(pop.night_spot)) <= set(listed)
    unlisted = np.setdiff1d(np.arange(city.n), listed)
    assert pop.residents_per_barrio[unlisted].sum() == 0
    assert city.layer("population")[unlisted].sum() == 0

    np.testing.assert_allclose(city.layer("disadvantage")[listed], table["disadvantage"])
    # populations are rescaled to the scenario's population, keeping proportions
    expected = table["population"].to_numpy() * 100_000 / table["population"].sum()
    np.testing.assert_allclose(city.layer("population")[listed], expected)
    # stochastic rounding: each barrio's agents are within one of its expected count
    assert np.all(np.abs(pop.residents_per_barrio[listed] - expected / 100.0) < 1)


# ===================================================================================
# Residents
# ===================================================================================


def test_number_of_residents_is_population_over_scale(small_model):
    model = small_model
    c = model.config.city
    expected = c.population / c.inhabitants_per_agent
    # stochastic rounding per barrio: variance at most 1/4 per barrio
    tolerance = K * np.sqrt(len(model.valid_barrios) / 4)
    assert abs(model.population.n - expected) < tolerance


def test_the_mesa_agents_are_the_few_and_residents_are_arrays(small_model):
    """Committees, UPC posts and patrol units are Mesa agents on the grid; the 28,000
    residents are arrays, with no per-resident objects."""
    model = small_model
    few = len(model.committees) + len(model.police.posts) + len(model.police.units)
    assert few > 0 and len(model.agents) == few
    assert all(agent.cell is model.city.cell(agent.barrio) for agent in model.agents)


@pytest.mark.parametrize("youth_share", [None, 0.4])
def test_youth_share_follows_the_parameter(youth_share):
    params = {} if youth_share is None else {"youth_share": youth_share}
    model = BarriosModel(small_scenario(parameters=params), rng=3)
    p = Params(**params).youth_share
    pop = model.population
    assert abs(pop.youth.mean() - p) < K * binomial_se(p, pop.n)


# ===================================================================================
# Routine
# ===================================================================================


def _night_share(model, safe: float, seed: int) -> float:
    pop = model.population
    pop.safe_public[:] = safe
    pop.detained_until[:] = -10**6
    loc = routine.night_locations(pop, model.params, routine.detained(pop, model.day),
                                  np.random.default_rng(seed))
    return float((loc != routine.NOWHERE).mean())


def test_fear_reduces_night_outings(fresh_model):
    model, params, n = fresh_model, fresh_model.params, fresh_model.population.n
    afraid = _night_share(model, 0.1, seed=1)
    reassured = _night_share(model, 0.9, seed=1)
    se = np.sqrt(afraid * (1 - afraid) / n + reassured * (1 - reassured) / n)
    assert reassured - afraid > K * se

    # a fully safe resident goes out with night_outing_probability ...
    p = params.night_outing_probability
    assert abs(_night_share(model, 1.0, seed=2) - p) < K * binomial_se(p, n)
    # ... and with fear_stay_home_strength = 1 a fully fearful one never goes out
    model.params = params.replace(fear_stay_home_strength=1.0)
    assert _night_share(model, 0.0, seed=3) == 0.0


def test_night_outings_go_to_the_residents_night_spot(fresh_model):
    pop = fresh_model.population
    loc = routine.night_locations(pop, fresh_model.params, routine.detained(pop, fresh_model.day),
                                  np.random.default_rng(4))
    out = loc != routine.NOWHERE
    np.testing.assert_array_equal(loc[out], pop.night_spot[out])
    np.testing.assert_array_equal(pop.went_out_tonight, out)


def test_weekends_send_fewer_people_to_their_activity_barrio(small_model):
    pop, params = small_model.population, small_model.params
    away = pop.activity != pop.home
    n = int(away.sum())
    shares = {}
    for weekday in (2, 6):  # a Wednesday and a Sunday
        loc = routine.day_locations(pop, params, weekday, routine.detained(pop, small_model.day),
                                    np.random.default_rng(weekday))
        assert np.all((loc == pop.activity) | (loc == pop.home) | (loc == routine.NOWHERE))
        shares[weekday] = float((loc[away] == pop.activity[away]).mean())
    p_week = params.day_activity_probability
    p_weekend = p_week * params.weekend_activity_factor
    assert shares[2] - shares[6] > K * np.sqrt(binomial_se(p_week, n) ** 2
                                               + binomial_se(p_weekend, n) ** 2)
    assert abs(shares[2] - p_week) < K * binomial_se(p_week, n)
    assert abs(shares[6] - p_weekend) < K * binomial_se(p_weekend, n)


def test_detained_residents_are_nowhere_until_released(fresh_model):
    model, pop, params = fresh_model, fresh_model.population, fresh_model.params
    pop.detained_until[:] = -10**6
    pop.safe_public[:] = 1.0
    model.params = params = params.replace(night_outing_probability=1.0,
                                           day_activity_probability=1.0)
    who = np.random.default_rng(0).choice(pop.n, 200, replace=False)
    day = model.day
    pop.detained_until[who] = day + 10
    for d in (day, day + 9):
        detained_now = routine.detained(pop, d)
        assert set(detained_now) == set(who)
        assert np.all(routine.day_locations(pop, params, 2, detained_now, model.rng)[who] == routine.NOWHERE)
        assert np.all(routine.night_locations(pop, params, detained_now, model.rng)[who] == routine.NOWHERE)
    free = routine.detained(pop, day + 10)
    assert len(free) == 0
    released_day = routine.day_locations(pop, params, 2, free, model.rng)
    released_night = routine.night_locations(pop, params, free, model.rng)
    assert np.all(released_day[who] == pop.activity[who])
    assert np.all(released_night[who] == pop.night_spot[who])


# ===================================================================================
# Victimization
# ===================================================================================


def _phase_inputs(model, n_offenders=600, seed=5):
    """Fixed night locations with many active offenders out at their night spots."""
    pop = model.population
    rng = np.random.default_rng(seed)
    pop.detained_until[:] = -10**6
    loc = routine.night_locations(pop, model.params, routine.detained(pop, model.day), rng)
    offenders = np.sort(rng.choice(pop.youth_index, n_offenders, replace=False))
    loc[offenders] = pop.night_spot[offenders]
    return loc, offenders


def _total_incidents(model, loc, offenders, night, reps, seed):
    model.rng = np.random.default_rng(seed)
    return sum(victimization.run_phase(model, loc, offenders, night=night).incidents.sum()
               for _ in range(reps))


def test_lighting_lowers_night_incidents_for_identical_people(fresh_model):
    model = fresh_model
    model.city.layer("attractiveness")[:] = 0.0
    loc, offenders = _phase_inputs(model)
    lighting = model.city.layer("lit_at_night")  # the lighting on tonight
    totals = {}
    for lit in (0.0, 1.0):
        lighting[:] = lit
        totals[lit] = _total_incidents(model, loc, offenders, night=True, reps=150, seed=8)
    dark, lit = totals[0.0], totals[1.0]
    assert dark > 100  # enough incidents for the comparison to mean something
    # incidents are (nearly) Poisson: the difference has sd about sqrt(dark + lit)
    assert dark - lit > K * np.sqrt(dark + lit)
    # the reduction is the documented one (a fully lit barrio: lighting_night_risk_reduction)
    ratio = lit / dark
    expected = 1 - model.params.lighting_night_risk_reduction
    assert abs(ratio - expected) < K * ratio * np.sqrt(1 / dark + 1 / lit)


def test_lighting_does_not_change_day_offences(small_model):
    model = small_model
    people = model.population.residents_per_barrio * 0.5
    offenders = (model.population.residents_per_barrio > 0).astype(float)
    res = model.population.residents_per_barrio
    lighting = model.city.layer("lit_at_night")
    saved = lighting.copy()
    try:
        lighting[:] = 0.0
        dark_day = victimization.offence_rate(model.city, model.params, people, offenders, res, False)
        dark_night = victimization.offence_rate(model.city, model.params, people, offenders, res, True)
        lighting[:] = 1.0
        lit_day = victimization.offence_rate(model.city, model.params, people, offenders, res, False)
        lit_night = victimization.offence_rate(model.city, model.params, people, offenders, res, True)
    finally:
        lighting[:] = saved
    np.testing.assert_array_equal(dark_day, lit_day)
    hit = dark_night > 0
    assert hit.any() and np.all(lit_night[hit] < dark_night[hit])


@pytest.mark.parametrize("layer, direction", [
    ("police_presence", -1), ("collective_efficacy", -1),
    ("disorder", +1), ("attractiveness", +1),
])
@pytest.mark.parametrize("night", [False, True])
def test_offence_rate_falls_with_guardians_and_rises_with_disorder(fresh_model, layer,
                                                                   direction, night):
    model, pop = fresh_model, fresh_model.population
    people = pop.residents_per_barrio * 0.4
    offenders = (pop.residents_per_barrio > 0) * 2.0
    values = model.city.layer(layer)
    rates = []
    for level in (0.1, 0.6):
        values[:] = level
        rates.append(victimization.offence_rate(model.city, model.params, people, offenders,
                                                pop.residents_per_barrio, night))
    low, high = rates
    hit = low > 0
    assert hit.sum() > 100
    assert np.all(np.sign(high[hit] - low[hit]) == direction)


def test_more_people_out_means_more_guardians_per_person(small_model):
    """Guardianship: the risk per person present falls as more residents are out, by more
    than target saturation alone explains."""
    model, pop = small_model, small_model.population
    res = pop.residents_per_barrio
    offenders = (res > 0) * 1.0
    hit = res > 0

    def per_person_ratio(params):
        few, many = (victimization.offence_rate(model.city, params, res * s, offenders, res, False)[hit]
                     / (res[hit] * s) for s in (0.2, 0.8))
        return many / few

    with_guardians = per_person_ratio(model.params)
    without = per_person_ratio(Params(guardianship_effect=0.0))
    assert np.all(with_guardians < 1)
    assert np.all(with_guardians < without)


def test_cero_acoso_lowers_womens_extra_risk(small_model):
    model, pop, params = small_model, small_model.population, small_model.params
    present = np.arange(pop.n)
    where = pop.home
    none = np.zeros(model.city.n, dtype=bool)
    everywhere = np.ones(model.city.n, dtype=bool)
    w_off = victimization.target_weights(pop, params, present, where, none, night=True)
    w_on = victimization.target_weights(pop, params, present, where, everywhere, night=True)
    women, men = pop.female, ~pop.female
    assert np.all(w_on[women] < w_off[women])
    np.testing.assert_array_equal(w_on[men], w_off[men])
    # with Cero Acoso women still carry some extra risk unless the reduction is total
    plain = women & ~pop.migrant & ~pop.youth
    assert np.all(w_on[plain] > pop.vulnerability[plain] - 1e-6)
    # by day women carry no extra risk, so Cero Acoso changes nothing
    day = [victimization.target_weights(pop, params, present, where, c, night=False)
           for c in (none, everywhere)]
    np.testing.assert_array_equal(*day)


def test_cero_acoso_lowers_womens_share_of_victims(fresh_model):
    """Where many people are present together, offences fall on them by vulnerability:
    halving women's extra risk (Cero Acoso) lowers women's share of the victims."""
    model, pop = fresh_model, fresh_model.population
    # without guardianship, crowds would otherwise deter almost every offence
    model.params = model.params.replace(
        women_night_vulnerability=3.0, cero_acoso_vulnerability_reduction=0.5,
        offences_per_offender_phase=1.0, guardianship_effect=0.0)
    rng = np.random.default_rng(5)
    crowded = model.valid_barrios[:10]
    loc = rng.choice(crowded, pop.n).astype(np.int32)  # everybody in ten crowded barrios
    offenders = np.sort(rng.choice(pop.youth_index, 50, replace=False))
    cero = model.timeline.treated["cero_acoso"]
    counts = {}
    for on in (False, True):
        cero[:] = on
        model.rng = np.random.default_rng(21)
        women = victims = 0
        for _ in range(200):
            v = victimization.run_phase(model, loc, offenders, night=True).victims
            women += int(pop.female[v].sum())
            victims += len(v)
        counts[on] = (women, victims)
    p_off = counts[False][0] / counts[False][1]
    p_on = counts[True][0] / counts[True][1]
    assert min(counts[False][1], counts[True][1]) > 500
    se = np.sqrt(binomial_se(p_off, counts[False][1]) ** 2 + binomial_se(p_on, counts[True][1]) ** 2)
    assert p_off - p_on > K * se


def _incidents_per_resident(scale: float, reps: int) -> tuple[float, float]:
    """Mean incidents per resident and phase, with everybody at home and each youth an
    offender with chance 1/2, in a fixed city at ``scale`` inhabitants per agent."""
    scenario = small_scenario(
        city={"width": 10, "height": 20, "population": 1_000_000, "inhabitants_per_agent": scale},
        run={"burn_in_days": 0},
        parameters={"guardianship_effect": 0.0, "offences_per_offender_phase": 0.05})
    model = BarriosModel(scenario, rng=1)
    model.city.layer("attractiveness")[:] = 0.0
    pop = model.population
    rng = np.random.default_rng(0)
    model.rng = np.random.default_rng(1)
    total = 0.0
    for _ in range(reps):
        offenders = np.flatnonzero(pop.youth & (rng.random(pop.n) < 0.5))
        total += victimization.run_phase(model, pop.home, offenders, night=False).incidents.sum()
    return total / (reps * pop.n), total


def test_offences_per_resident_do_not_depend_on_the_scale():
    """The same city, the same share of youth offending and everybody at home: the
    expected offences per resident must not depend on how many inhabitants an agent
    stands for (rates per 100,000 are computed per agent, outcomes.py; attractiveness and
    neighbourhood news are scaled for the same reason). Residents per barrio are rounded
    to whole agents, so allow 10%, plus the Poisson noise of the counts."""
    fine, n_fine = _incidents_per_resident(100.0, 100)
    coarse, n_coarse = _incidents_per_resident(1000.0, 1500)
    assert min(n_fine, n_coarse) > 1000
    ratio = coarse / fine
    se = ratio * np.sqrt(1 / n_fine + 1 / n_coarse)
    assert abs(ratio - 1) < 0.1 + K * se, (ratio, se)


def test_severe_chance_rises_with_recruitment_pressure_and_disadvantage(small_model):
    from simulation import recruitment

    city = small_model.city
    saved = city.layer("recruitment").copy()
    none = np.zeros(city.n)
    try:
        city.layer("recruitment")[:] = recruitment.target(city, Params(), none, none, none)
        calm = victimization.severe_chance(city, Params())
        pressed_params = Params(recruitment_pressure=0.5)
        city.layer("recruitment")[:] = recruitment.target(city, pressed_params, none, none, none)
        pressed = victimization.severe_chance(city, pressed_params)
    finally:
        city.layer("recruitment")[:] = saved
    assert np.all(pressed > calm)
    dis = city.layer("disadvantage")
    valid = small_model.valid_barrios
    order = valid[np.argsort(dis[valid])]
    assert calm[order[-1]] > calm[order[0]]


def test_severe_events_follow_recruitment_pressure_end_to_end():
    base = small_scenario(city={"width": 10, "height": 20}, run={"years": 0.5})
    pressed = small_scenario(city={"width": 10, "height": 20}, run={"years": 0.5},
                             parameters={"recruitment_pressure": 0.8})
    a = timeseries(run_model(base, rng=2))
    b = timeseries(run_model(pressed, rng=2))
    # expected severe violence per incident rises (more offending too, so per incident)
    per_incident_a = a["severe_violence_per_100k_12m"].iloc[-1] / a["incidents_per_100k_12m"].iloc[-1]
    per_incident_b = b["severe_violence_per_100k_12m"].iloc[-1] / b["incidents_per_100k_12m"].iloc[-1]
    assert per_incident_b > per_incident_a


# ===================================================================================
# Attractiveness (Short et al. 2008)
# ===================================================================================


def test_incident_raises_attractiveness_which_spreads_and_decays(fresh_model):
    model, city, params = fresh_model, fresh_model.city, fresh_model.params
    a = city.layer("attractiveness")
    a[:] = 0.0
    b = 10 * city.height + 30  # an interior barrio
    incidents = np.zeros(city.n)
    incidents[b] = 2
    victimization.update_attractiveness(city, params, incidents, model.scale_factor)
    assert a[b] > 0
    assert a[b] == pytest.approx(2 * params.attractiveness_per_incident * model.scale_factor)

    neighbours = np.flatnonzero(city.distances_from(b) == 1)
    far = np.flatnonzero(city.distances_from(b) > 2)
    peak = a[b]
    victimization.update_attractiveness(city, params, np.zeros(city.n), model.scale_factor)
    assert a[b] < peak                              # decays without incidents
    assert len(neighbours) == 8 and np.all(a[neighbours] > 0)   # spreads to neighbours
    assert np.allclose(a[neighbours], a[neighbours][0])        # evenly
    assert np.all(a[far] == 0)

    totals = []
    for _ in range(120):
        victimization.update_attractiveness(city, params, np.zeros(city.n), model.scale_factor)
        totals.append(a.sum())
    assert np.all(np.diff(totals) < 0)
    assert totals[-1] < 0.01 * peak


def test_runaway_attractiveness_keeps_rates_finite():
    """At the hard corners (strong, slow-fading repeat victimization) incidents feed
    attractiveness without limit; the offence rate must stay finite (no overflow, no NaN
    hazards that would silently stop victimization in the worst barrios)."""
    runaway = {"attractiveness_per_incident": PARAMETERS["attractiveness_per_incident"].bounds[1],
               "attractiveness_risk_effect": PARAMETERS["attractiveness_risk_effect"].bounds[1],
               "attractiveness_decay": 0.001, "offences_per_offender_phase": 0.5}
    scenario = small_scenario(parameters=runaway, run={"years": 0.1, "burn_in_days": 10})
    with np.errstate(over="raise", invalid="raise"):
        model = run_model(scenario, rng=1)
    ts = timeseries(model)
    assert model.city.layer("attractiveness").max() * runaway["attractiveness_risk_effect"] \
        > victimization.MAX_LOG_RISK                   # the clip was needed
    assert np.isfinite(ts.to_numpy(float)).all()
    assert ts["victimization_12m"].iloc[-1] > 0.2      # the runaway still victimizes


# ===================================================================================
# Offending
# ===================================================================================


def test_propensity_target_rises_with_disadvantage_and_recruitment(fresh_model):
    pop, city = fresh_model.population, fresh_model.city
    pop.in_sports[:] = False
    pop.in_prevention[:] = False
    youth = pop.youth & (pop.propensity_base > 0)
    low_params = Params(offending_propensity_mean=0.005)
    base = offending.target_propensity(pop, city, low_params)

    dis = city.layer("disadvantage")
    saved = dis.copy()
    dis += 0.2
    poorer = offending.target_propensity(pop, city, low_params)
    dis[:] = saved
    assert np.all(poorer[youth] > base[youth])

    recruitment = city.layer("recruitment")
    saved = recruitment.copy()
    recruitment += 0.3  # armed groups recruit in every barrio
    recruited = offending.target_propensity(pop, city, low_params)
    recruitment[:] = saved
    assert np.all(recruited[youth] > base[youth])
    assert np.all(base[~pop.youth] == 0)  # only youth offend


def test_propensity_target_falls_with_sports_and_prevention(fresh_model):
    pop, city, params = fresh_model.population, fresh_model.city, fresh_model.params
    youth = pop.youth & (pop.propensity_base > 0)
    pop.in_sports[:] = False
    pop.in_prevention[:] = False
    base = offending.target_propensity(pop, city, params)
    unclipped = youth & (base < 0.9)
    pop.in_sports[:] = pop.youth
    sports = offending.target_propensity(pop, city, params)
    pop.in_prevention[:] = pop.youth
    both = offending.target_propensity(pop, city, params)
    assert np.all(sports[unclipped] < base[unclipped])
    assert np.all(both[unclipped] < sports[unclipped])


def test_propensity_moves_gradually_toward_its_target(fresh_model):
    pop, params = fresh_model.population, fresh_model.params
    target = np.where(pop.youth, 0.5, 0.0).astype(np.float32)
    pop.propensity[:] = 0.0
    gaps = []
    for _ in range(30):
        offending.adjust_propensity(pop, target, params)
        gaps.append(float(np.abs(target - pop.propensity)[pop.youth].max()))
    assert gaps[0] < 0.5 and np.all(np.diff(gaps) < 0) and gaps[-1] > 0


@pytest.mark.parametrize("places_per_barrio", [2.0, 5.0])
def test_sports_enrolment_never_exceeds_places(fresh_model, places_per_barrio):
    pop, params, city = fresh_model.population, fresh_model.params, fresh_model.city
    params = params.replace(sports_uptake=1.0)
    places = np.where(np.arange(city.n) % 2 == 0, places_per_barrio, 0.0)
    offending.enrol_sports(pop, places, params, np.random.default_rng(1))
    enrolled = np.bincount(pop.home[pop.in_sports], minlength=city.n)
    youth = np.bincount(pop.home[pop.youth], minlength=city.n)
    assert np.all(enrolled <= places)
    assert np.all(enrolled == np.minimum(youth, places).astype(int))  # full uptake fills them
    assert not np.any(pop.in_sports & ~pop.youth)


def test_sports_uptake_fills_that_share_of_places(fresh_model):
    pop, params, city = fresh_model.population, fresh_model.params, fresh_model.city
    youth = np.bincount(pop.home[pop.youth], minlength=city.n)
    barrios = youth >= 3
    places = np.where(barrios, 3.0, 0.0)
    uptake = params.sports_uptake
    draws = []
    for seed in range(20):
        offending.enrol_sports(pop, places, params, np.random.default_rng(seed))
        enrolled = np.bincount(pop.home[pop.in_sports], minlength=city.n)
        assert np.all(enrolled <= places)
        draws.append(enrolled[barrios].mean())
    expected = 3.0 * uptake  # floor(3 u + U): mean 3 u
    se = np.std(draws, ddof=1) / np.sqrt(len(draws))
    assert abs(np.mean(draws) - expected) < K * max(se, 1e-3)


def test_detained_youth_is_not_an_active_offender_until_released(fresh_model):
    model, pop, params = fresh_model, fresh_model.population, fresh_model.params
    pop.detained_until[:] = -10**6
    pop.propensity[pop.youth] = 1.0  # every free youth offends today
    day = model.day
    arrested = pop.youth_index[:50]
    offending.detain(pop, arrested, day, params, np.random.default_rng(3))
    until = pop.detained_until[arrested]
    assert np.all(until > day)
    assert np.isin(offending.active_offenders(pop, day, model.rng), arrested).sum() == 0
    assert len(offending.active_offenders(pop, day, model.rng)) == pop.youth.sum() - 50
    # every one of them back on the street once released
    later = int(until.max())
    assert np.isin(arrested, offending.active_offenders(pop, later, model.rng)).all()


def test_detention_lasts_detention_days_on_average(fresh_model):
    pop, params = fresh_model.population, fresh_model.params
    who = np.arange(pop.n)
    arrest_day = 0
    offending.detain(pop, who, arrest_day, params, np.random.default_rng(4))
    # arrested at the end of the arrest day, off the street on the days d with
    # detained_until > d after it
    days_off = (pop.detained_until - arrest_day - 1).astype(float)
    mean, se = days_off.mean(), days_off.std(ddof=1) / np.sqrt(pop.n)
    assert abs(mean - params.detention_days) < K * se


def test_arrests_take_offenders_off_the_street_in_the_model(monkeypatch):
    """End to end: whoever is detained is nowhere in either phase and never offends."""
    scenario = small_scenario(run={"years": 0.25},
                              parameters={"arrest_probability_per_offence": 0.5})
    model = BarriosModel(scenario, rng=4)
    pop = model.population
    seen = {"phases": 0, "detained": 0}
    real_run_phase = victimization.run_phase

    def checked_run_phase(m, loc, offenders, night):
        detained = pop.detained_until > m.day
        assert np.all(loc[detained] == routine.NOWHERE)
        assert not detained[offenders].any()
        seen["phases"] += 1
        seen["detained"] += int(detained.sum())
        return real_run_phase(m, loc, offenders, night)

    monkeypatch.setattr(victimization, "run_phase", checked_run_phase)
    for _ in range(40):
        model.step()
        assert np.all(pop.youth[pop.detained_until > model.day])  # only youth offend
    ts = timeseries(model)
    assert seen["phases"] == 80
    assert ts["arrests"].sum() > 0 and seen["detained"] > 0
    assert ts["detained"].iloc[-1] > 0


# ===================================================================================
# Perception
# ===================================================================================


def test_own_victimization_lowers_perceived_safety_and_shakes_ties(fresh_model):
    pop, params = fresh_model.population, fresh_model.params
    pop.safe_public[:] = 0.8
    pop.safe_neighbourhood[:] = 0.8
    pop.scar[:] = 0.0
    victim = np.array([next(i for i in range(pop.n)
                            if len(np.setdiff1d(pop.ties[i], [i])) >= 3)])
    ties = np.setdiff1d(pop.ties[victim[0]], victim)
    before_p, before_n = pop.safe_public.copy(), pop.safe_neighbourhood.copy()
    perception.victimization_shock(pop, params, victim, pop.home[victim])
    assert pop.safe_public[victim[0]] <= before_p[victim[0]] - params.own_victimization_drop + 1e-6
    assert pop.safe_neighbourhood[victim[0]] < before_n[victim[0]]
    assert pop.scar[victim[0]] > 0
    assert np.all(pop.safe_public[ties] < before_p[ties])
    assert np.all(pop.safe_neighbourhood[ties] < before_n[ties])
    # the victim is shaken more than its ties
    assert before_p[victim[0]] - pop.safe_public[victim[0]] > (before_p[ties] - pop.safe_public[ties]).max()
    others = np.setdiff1d(np.arange(pop.n), np.concatenate([victim, ties]))
    np.testing.assert_array_equal(pop.safe_public[others], before_p[others])


def test_a_tie_of_two_victims_is_shaken_twice(fresh_model):
    """Each victimized tie shakes a resident (vicarious victimization): two victims
    sharing a tie on the same day shake it twice, as two separate days would."""
    pop, params = fresh_model.population, fresh_model.params
    shared = 7
    a, b = 100, 200
    pop.ties[a, :] = shared
    pop.ties[b, :] = shared
    pop.safe_public[:] = 0.8
    perception.victimization_shock(pop, params, np.array([a]), pop.home[[a]])
    once = 0.8 - pop.safe_public[shared]
    assert once > 0
    pop.safe_public[:] = 0.8
    perception.victimization_shock(pop, params, np.array([a, b]), pop.home[[a, b]])
    assert 0.8 - pop.safe_public[shared] == pytest.approx(2 * once)


def test_victimization_at_home_hurts_neighbourhood_perception_more(fresh_model):
    pop, params = fresh_model.population, fresh_model.params
    pop.safe_neighbourhood[:] = 0.8
    a, b = 0, pop.n - 1
    away = np.array([(pop.home[b] + 1) % fresh_model.city.n])
    perception.victimization_shock(pop, params, np.array([a]), pop.home[[a]])
    perception.victimization_shock(pop, params, np.array([b]), away)
    assert pop.safe_neighbourhood[a] < pop.safe_neighbourhood[b]


def test_perception_relaxes_toward_its_target(fresh_model):
    pop, params = fresh_model.population, fresh_model.params
    rng = np.random.default_rng(2)
    target_p = rng.random(pop.n).astype(np.float32)
    target_n = rng.random(pop.n).astype(np.float32)
    pop.safe_public[:] = 0.0
    pop.safe_neighbourhood[:] = 1.0
    gaps = [np.abs(target_p - pop.safe_public).mean()]
    for _ in range(60):
        perception.relax(pop, params, target_p, target_n)
        gaps.append(np.abs(target_p - pop.safe_public).mean())
    assert np.all(np.diff(gaps) < 0)
    # memory decay: each day the gap shrinks by the share memory_decay
    assert gaps[60] == pytest.approx(gaps[0] * (1 - params.memory_decay) ** 60, rel=1e-3)
    assert np.abs(target_n - pop.safe_neighbourhood).mean() < 0.5 * np.abs(target_n - 1).mean()


def test_perception_recovers_after_a_shock_in_the_model():
    """Knock everybody's perception down mid-run: it climbs back toward the unshocked run."""
    scenario = small_scenario(run={"years": 0.5})
    control, shocked = BarriosModel(scenario, rng=6), BarriosModel(scenario, rng=6)
    shocked.population.safe_public[:] = np.clip(shocked.population.safe_public - 0.3, 0, 1)
    gaps = []
    for day in range(90):
        control.step()
        shocked.step()
        if day % 30 == 0:
            gaps.append(control.population.safe_public.mean() - shocked.population.safe_public.mean())
    gap_end = control.population.safe_public.mean() - shocked.population.safe_public.mean()
    assert gaps[0] > 0.1
    assert gap_end < 0.5 * gaps[0]
    assert np.all(np.diff(gaps) < 0)


@pytest.mark.parametrize("fear, reassurance, moves_down", [(0.08, 0.02, True), (0.05, 0.05, False)])
def test_fear_spreads_more_easily_than_reassurance(fresh_model, fear, reassurance, moves_down):
    pop, params = fresh_model.population, fresh_model.params
    params = params.replace(fear_contagion=fear, reassurance=reassurance,
                            conversations_per_week=7.0)
    rng = np.random.default_rng(3)
    spread = rng.uniform(-0.25, 0.25, pop.n).astype(np.float32)
    for state in (pop.safe_public, pop.safe_neighbourhood):
        state[:] = 0.5 + spread   # symmetric around 0.5
    before = pop.safe_public.copy()
    perception.conversations(pop, params, rng)
    change = (pop.safe_public - before).astype(float)
    se = change.std(ddof=1) / np.sqrt(pop.n)
    assert change.any()
    if moves_down:
        assert change.mean() < -K * se
    else:
        assert abs(change.mean()) < K * se


def test_survey_is_within_sampling_error_of_the_population_share(small_model):
    state = small_model.population.safe_public
    thr = small_model.params.safe_threshold
    p = float((state > thr).mean())
    size = 1200
    estimates = np.array([perception.survey(state, thr, size, np.random.default_rng(s))
                          for s in range(200)])
    se = binomial_se(p, size)
    assert np.all(np.abs(estimates - p) < 5 * se)
    assert abs(estimates.mean() - p) < K * se / np.sqrt(len(estimates))
    # the spread of estimates is the binomial one (sd of an sd from 200 draws: ~5%)
    assert 0.75 < estimates.std(ddof=1) / se < 1.25


def test_model_survey_tracks_the_population_share():
    scenario = small_scenario(run={"years": 0.5, "survey_sample_size": 400})
    ts = timeseries(run_model(scenario, rng=9))
    for measure in ("public", "neighbourhood"):
        p = ts[f"safe_{measure}"]
        z = (ts[f"survey_safe_{measure}"] - p) / np.sqrt(p * (1 - p) / 400)
        assert abs(z.mean()) < K / np.sqrt(len(z))
        assert 0.7 < z.std() < 1.3


# ===================================================================================
# Committees
# ===================================================================================

COMMITTEE_CITY = {"width": 6, "height": 10, "population": 300_000, "inhabitants_per_agent": 50.0}
COMMITTEE_BARRIOS = [13, 14, 15, 23, 24, 25, 33, 34, 35, 44]


def _committee_scenario(with_committees: bool, years: float = 1.0):
    interventions = {}
    if with_committees:
        interventions["safety_committees"] = {
            "start": date(2023, 1, 1), "ramp_months": 0.0, "intensity": 1.0,
            "targeting": "list", "barrios": COMMITTEE_BARRIOS}
    return small_scenario(city=COMMITTEE_CITY, run={"years": years, "burn_in_days": 30},
                          parameters={"committee_join_rate": 0.01},
                          interventions=interventions)


def test_a_committee_raises_collective_efficacy_in_its_barrio():
    treated = BarriosModel(_committee_scenario(True), rng=5)
    control = BarriosModel(_committee_scenario(False), rng=5)
    b = np.array(COMMITTEE_BARRIOS)
    assert treated.city.layer("collective_efficacy")[b].max() == 0  # nothing before the start
    history = []
    for day in range(365):
        treated.step()
        control.step()
        if day % 60 == 59:
            history.append(treated.city.layer("collective_efficacy")[b].mean())
    assert len(treated.committees) == len(b)
    assert set(treated.committees) == set(b.tolist())
    assert np.all(control.city.layer("collective_efficacy")[b] == 0)
    assert history[-1] > history[0] > 0
    others = np.setdiff1d(treated.valid_barrios, b)
    assert np.all(treated.city.layer("collective_efficacy")[others] == 0)
    # members only in committee barrios
    members = treated.population.committee_member
    assert members.sum() > 0
    assert set(np.unique(treated.population.home[members])) <= set(b.tolist())


def test_committee_membership_only_where_committees_exist_and_grows_with_trust(fresh_model):
    model, pop, city = fresh_model, fresh_model.population, fresh_model.city
    params = model.params
    committee_barrio = np.zeros(city.n, dtype=bool)
    committee_barrio[model.valid_barrios[::2]] = True
    eligible = int(committee_barrio[pop.home].sum())
    members = {}
    for trust in (0.2, 0.9):
        city.layer("legitimacy")[:] = trust
        pop.committee_member[:] = False
        rng = np.random.default_rng(8)
        for _ in range(26):
            committees.update_membership(pop, city, params, committee_barrio, rng)
            assert not np.any(pop.committee_member & ~committee_barrio[pop.home])
        members[trust] = int(pop.committee_member.sum())
    low, high = members[0.2], members[0.9]
    assert high > low
    # counts are (about) binomial over the eligible residents
    se = np.sqrt(low * (1 - low / eligible) + high * (1 - high / eligible))
    assert high - low > K * se


def test_committee_settles_at_the_membership_it_supports(fresh_model):
    model, pop, city = fresh_model, fresh_model.population, fresh_model.city
    params = model.params
    committee_barrio = np.zeros(city.n, dtype=bool)
    committee_barrio[model.valid_barrios] = True
    city.layer("legitimacy")[:] = 1.0
    members = committees.settle(pop, city, params, committee_barrio, np.random.default_rng(1))
    share = params.committee_join_rate / (params.committee_join_rate + params.committee_leave_rate)
    assert abs(pop.committee_member.mean() - share) < K * binomial_se(share, pop.n)
    assert members.sum() == pop.committee_member.sum()


# ===================================================================================
# Police
# ===================================================================================


def test_mano_dura_lowers_trust_in_police():
    n = 4
    base = shipped("baseline_2023")
    hard = shipped("mano_dura")
    a = final_outcomes(hard, 21, n, ["legitimacy"])[:, 0]
    b = final_outcomes(base, 21, n, ["legitimacy"])[:, 0]
    mean, se = paired_z(a, b)
    assert mean < 0
    assert mean < -2 * se


def test_heavy_handed_operations_erode_legitimacy_in_their_barrio(fresh_model):
    model, police, city = fresh_model, fresh_model.police, fresh_model.city
    legitimacy = city.layer("legitimacy")
    legitimacy[:] = 0.6
    before = legitimacy.copy()
    police.operations_by_day[model.day] = 7
    police.deploy(model.day)
    ops = police.operation_barrios
    assert len(np.unique(ops)) == 7
    hh = model.timeline.config("police_operations").heavy_handedness
    drop = model.params.heavy_handed_legitimacy_erosion * hh
    assert drop > 0
    np.testing.assert_allclose(legitimacy[ops], before[ops] - drop)
    others = np.setdiff1d(np.arange(city.n), ops)
    np.testing.assert_array_equal(legitimacy[others], before[others])
    # ... and operations bring heavy presence there
    assert np.all(city.layer("police_presence")[ops] >= model.params.operation_presence)


def test_operations_arrest_a_share_of_offenders_present(fresh_model):
    model, police, pop = fresh_model, fresh_model.police, fresh_model.population
    police.operation_barrios = model.valid_barrios[:50]
    offenders = pop.youth_index
    loc = np.full(pop.n, routine.NOWHERE)
    there = np.isin(pop.home[offenders], police.operation_barrios)
    loc[offenders] = pop.home[offenders]
    caught = police.operation_arrests(loc, offenders)
    assert np.all(np.isin(loc[caught], police.operation_barrios))
    n_there = int(there.sum())
    p = model.params.operation_arrest_share
    assert abs(len(caught) / n_there - p) < K * binomial_se(p, n_there)


def test_hot_spot_patrols_go_where_most_incidents_are_reported():
    model = BarriosModel(shipped("policing_only"), rng=3)
    assert model.timeline.config("patrol_units").strategy == "hot_spots"
    focus = int(model.params.hotspot_focus)
    reported = model.city.layer("reported_incidents")
    rng = np.random.default_rng(0)
    reported[:] = rng.random(model.city.n)
    hot = rng.choice(model.valid_barrios, focus, replace=False)
    reported[hot] += 10.0
    model.police.deploy(model.day)
    patrolled = np.array([u.barrio for u in model.police.units])
    assert len(patrolled) > 0
    assert np.isin(patrolled, hot).all()
    assert all(u.cell is model.city.cell(u.barrio) for u in model.police.units)
    presence = model.city.layer("police_presence") - model.police.upc_presence
    assert np.all(presence[np.setdiff1d(np.arange(model.city.n), hot)] == 0)


def test_random_patrols_spread_over_the_city(fresh_model):
    model = fresh_model
    assert model.timeline.config("patrol_units").strategy == "random"
    focus = int(model.params.hotspot_focus)
    reported = model.city.layer("reported_incidents")
    reported[:] = 0.0
    hot = model.valid_barrios[:focus]
    reported[hot] = 10.0
    counts = []
    for _ in range(10):
        model.police.deploy(model.day)
        counts.append(np.isin([u.barrio for u in model.police.units], hot).mean())
    p = focus / len(model.valid_barrios)
    n = 10 * len(model.police.units)
    assert abs(np.mean(counts) - p) < K * binomial_se(p, n)


def _post_presence(model, barrio: int) -> tuple[np.ndarray, np.ndarray]:
    city = model.city
    treated = np.zeros(city.n, dtype=bool)
    treated[barrio] = True
    model.police.set_posts(treated)
    return model.police.upc_presence, city.distances_from(barrio)


def test_upc_post_adds_presence_to_its_barrio_and_neighbours(fresh_model):
    model = fresh_model
    b = 10 * model.city.height + 30  # interior
    presence, dist = _post_presence(model, b)
    upc = model.params.upc_presence
    assert list(model.police.posts) == [b]
    assert presence[b] == pytest.approx(upc)
    np.testing.assert_allclose(presence[dist == 1], upc / 3)
    assert np.all(presence[dist > 1] == 0)
    # deployed presence includes the post's
    model.police.deploy(model.day)
    assert model.city.layer("police_presence")[b] >= upc


@pytest.mark.parametrize("where", ["west edge", "south edge", "corner"])
def test_upc_post_on_the_city_edge_gives_each_neighbour_a_third(fresh_model, where):
    """The docs: a post adds ``upc_presence`` to its barrio and a third of it to each
    neighbour. A post on the edge of the city has fewer neighbours, not stronger ones."""
    model = fresh_model
    h = model.city.height
    b = {"west edge": 0 * h + 30, "south edge": 10 * h + 0, "corner": 0}[where]
    presence, dist = _post_presence(model, b)
    upc = model.params.upc_presence
    assert presence[b] == pytest.approx(upc)
    np.testing.assert_allclose(presence[dist == 1], upc / 3)


# ===================================================================================
# Interventions
# ===================================================================================


def _programme_scenario(targeting="worst_first", burn_in=60, years=0.75):
    return small_scenario(run={"years": years, "burn_in_days": burn_in}, interventions={
        "youth_prevention": {"start": date(2023, 1, 1), "ramp_months": 6.0, "intensity": 0.5,
                             "targeting": targeting, "indicator": "disadvantage",
                             "unit_cost_usd": 24_000.0}})


@pytest.fixture(scope="module")
def programme_run():
    model = run_model(_programme_scenario(), rng=2)
    return model, model.barrio_panel(), timeseries(model)


def test_coverage_follows_the_ramp(programme_run):
    model, panel, _ = programme_run
    n_valid = len(model.valid_barrios)
    treated = panel.groupby("month")["youth_prevention"].sum()
    assert np.all(np.diff(treated.to_numpy()) >= 0)
    assert treated.iloc[0] > 0
    for month, count in treated.items():
        share = 0.5 * min(1.0, (month + 1) / 6)  # linear; the start month is month 1
        assert count == round(share * n_valid), month
    assert treated.iloc[-1] / n_valid == pytest.approx(0.5, abs=1 / n_valid)


def test_worst_first_treats_the_worst_barrios_by_the_indicator(programme_run):
    model, panel, _ = programme_run
    dis = model.city.layer("disadvantage")
    for month, rows in panel.groupby("month"):
        chosen = rows.loc[rows["youth_prevention"], "barrio_id"].to_numpy()
        rest = rows.loc[~rows["youth_prevention"], "barrio_id"].to_numpy()
        assert dis[chosen].min() >= dis[rest].max(), month


def test_random_targeting_covers_a_nested_spread_of_barrios():
    model = run_model(_programme_scenario("random", years=0.5), rng=2)
    panel = model.barrio_panel()
    sets = [set(r.loc[r["youth_prevention"], "barrio_id"]) for _, r in panel.groupby("month")]
    assert all(a <= b for a, b in zip(sets, sets[1:]))  # coverage only grows
    dis = model.city.layer("disadvantage")
    last = np.array(sorted(sets[-1]))
    # not worst-first: the treated set includes barrios below the median disadvantage
    assert (dis[last] < np.median(dis[model.valid_barrios])).any()


def test_youth_prevention_reaches_youth_in_treated_barrios_only(programme_run):
    model, _, _ = programme_run
    pop = model.population
    treated = model.timeline.treated["youth_prevention"]
    assert not np.any(pop.in_prevention & ~treated[pop.home])
    assert not np.any(pop.in_prevention & ~pop.youth)
    eligible = pop.youth & treated[pop.home]
    p = model.params.youth_prevention_uptake
    n = int(eligible.sum())
    assert abs(pop.in_prevention[eligible].mean() - p) < K * binomial_se(p, n)


@pytest.mark.parametrize("burn_in", [60, 0])
def test_costs_accumulate_per_treated_barrio_per_day(burn_in):
    """Running costs are booked daily from the start date (none during burn-in): each
    recorded day adds treated barrios x unit cost / 365, with the month's coverage."""
    model = run_model(_programme_scenario(burn_in=burn_in, years=0.5), rng=2)
    panel, ts = model.barrio_panel(), timeseries(model)
    treated_by_month = panel.groupby("month")["youth_prevention"].sum()
    start = model.start_date
    expected = 0.0
    assert ts["cost_usd"].iloc[0] == 0.0
    for k in range(1, len(ts)):
        d = start + timedelta(days=k - 1)  # row k is collected after day k - 1
        month = (d.year - start.year) * 12 + d.month - start.month
        expected += treated_by_month.loc[month] * 24_000.0 / 365
        assert ts["cost_usd"].iloc[k] == pytest.approx(expected), (k, d)
    assert ts["cost_usd"].iloc[-1] == pytest.approx(model.timeline.cost_usd)
    assert model.timeline.cost_by["youth_prevention"] == pytest.approx(model.timeline.cost_usd)


# ===================================================================================
# Outputs: the barrio panel
# ===================================================================================


@pytest.fixture(scope="module")
def quito_run():
    # 181 days from 2023-01-01: the run ends with a whole month (June), so its last panel
    # month is not a one-day stub
    model = run_model(shipped("quito_2023_2025", run={"years": 181 / 365}), rng=4)
    return model, model.barrio_panel(), timeseries(model)


def test_barrio_panel_has_one_row_per_barrio_and_month(quito_run):
    model, panel, _ = quito_run
    assert list(panel.columns) == PANEL_COLUMNS
    months = np.sort(panel["month"].unique())
    np.testing.assert_array_equal(months, np.arange(len(months)))
    last = model.date - timedelta(days=1)
    assert months[-1] == (last.year - model.start_date.year) * 12 + last.month - model.start_date.month
    assert len(panel) == len(months) * len(model.valid_barrios)
    assert not panel.duplicated(["barrio_id", "month"]).any()
    for _, rows in panel.groupby("month"):
        np.testing.assert_array_equal(np.sort(rows["barrio_id"]), model.valid_barrios)
        np.testing.assert_array_equal(rows["residents"],
                                      model.population.residents_per_barrio[rows["barrio_id"]])
    for name in INTERVENTIONS:
        assert panel[name].dtype == bool, name
    for name, cfg in model.config.interventions.active().items():
        if cfg.start < model.date or cfg.ramp_from > 0:  # the plan's programmes show up
            assert panel[name].any(), name
    share = panel["safe_neighbourhood"]
    assert share.dropna().between(0, 1).all()
    assert (share.isna() == (panel["residents"] == 0)).all()  # NaN only where nobody lives
    assert (panel["incidents"] >= 0).all()
    # incidents by phase add up; victims are residents; the groups partition residents
    assert (panel["incidents"] == panel["incidents_day"] + panel["incidents_night"]).all()
    assert (panel["incidents_night"] > 0).any() and (panel["incidents_day"] > 0).any()
    assert (panel["victims"] <= panel["residents"]).all() and panel["victims"].sum() > 0
    assert (panel["residents_women"] + panel["residents_men"] == panel["residents"]).all()
    assert (panel["victims_women"] + panel["victims_men"] == panel["victims"]).all()
    for g in ("women", "men", "youth", "migrants"):
        assert (panel[f"victims_{g}"] <= panel[f"residents_{g}"]).all()
        assert (panel[f"safe_public_{g}"].isna() == (panel[f"residents_{g}"] == 0)).all()


def test_panel_victims_are_the_residents_victimized_that_month(quito_run):
    """The monthly victims of the panel, summed over barrios, are the residents whose last
    victimization fell in that month, for the last month (no later victimization can hide
    it), by home barrio."""
    model, panel, _ = quito_run
    pop = model.population
    rows = panel[panel["month"] == panel["month"].max()].set_index("barrio_id")
    month_first = (model.date - timedelta(days=1)).replace(day=1)  # of the run's last month
    victims = np.bincount(pop.home[pop.last_victimized >= model.day_of(month_first)],
                          minlength=model.city.n)
    assert rows["victims"].sum() > 0
    np.testing.assert_array_equal(rows["victims"], victims[rows.index])


def test_panel_incidents_add_up_to_the_time_series(quito_run):
    model, panel, ts = quito_run
    start = model.start_date
    days = [start + timedelta(days=k - 1) for k in range(1, len(ts))]
    month = [(d.year - start.year) * 12 + d.month - start.month for d in days]
    daily = pd.Series(ts["incidents"].iloc[1:].to_numpy(), index=month)
    by_month = daily.groupby(level=0).sum()
    panel_month = panel.groupby("month")["incidents"].sum()
    assert panel_month.sum() > 0
    np.testing.assert_array_equal(panel_month.to_numpy(), by_month.to_numpy())
    assert panel["incidents"].sum() == ts["incidents"].iloc[1:].sum()


@pytest.mark.parametrize("width, height, population", [(20, 60, 2_800_000), (10, 30, 700_000)])
def test_a_reduced_city_gets_its_share_of_patrol_units_and_operations(width, height, population):
    """Counts in scenario files are for Quito's 2.8 million people; a quarter city stands
    for a quarter of Quito, so it gets a quarter of the units, operations and their cost,
    and police per barrio stay the same."""
    scenario = shipped("baseline_2023", city={"width": width, "height": height,
                                              "population": population},
                       run={"years": 0.1})
    model = BarriosModel(scenario, rng=3)
    scale = population / 2_800_000
    units = scenario.interventions.patrol_units
    ops = scenario.interventions.police_operations
    ramp_units = ramp_fraction(units, model.date.replace(day=1))
    assert len(model.police.units) == round(units.units * units.intensity * ramp_units * scale)
    assert model.timeline.operations_per_year(model.date) == pytest.approx(
        ops.per_year * ops.intensity * ramp_fraction(ops, model.date) * scale)
    assert model.timeline.daily_cost["patrol_units"] == pytest.approx(
        len(model.police.units) * units.unit_cost_usd / 365)
