"""The Barrios model: Quito's barrios, residents, committees and police, one day per step.

Each step is one day with a day phase and a night phase:

1. on the first day of a month the intervention timeline is updated (coverage, posts,
   committees, patrol units, operations, sports places, youth prevention, inclusion),
   and so is armed-group recruitment (``recruitment``); every day, the street lighting
   on tonight (installed coverage less any power cut, ``power_cuts``);
2. police deploy (UPC posts, patrols by strategy, scheduled operations);
3. youth decide whether to offend today (``offending``);
4. day phase, then night phase: residents are placed by their routine (``routine``),
   offenders pick where to offend around it (``mobility``), offences fall on people
   present (``victimization``), arrests take offenders away;
5. consequences: repeat/near-repeat attractiveness, reports, legitimacy, perception
   (``perception``), committee meetings (weekly), lighting and disorder works;
6. outcomes are collected with Mesa's ``DataCollector``.

Before the scenario's start date the model runs ``burn_in_days`` unrecorded days so that
perception, attractiveness and detentions start from a settled state.
"""

from __future__ import annotations

from datetime import date, timedelta

import mesa
import numpy as np
from numba import njit

from simulation import (committees, mobility, offending, perception, power_cuts, recruitment,
                        routine, victimization)
from simulation.city import City, synthetic_layout, table_layout
from simulation.committees import Committee
from simulation.config import Scenario
from simulation.timeline import Timeline
from simulation.outcomes import REPORTERS, Outcomes
from simulation.parameters import Params
from simulation.police import Police, month_days
from simulation.population import Population

DEFAULT_SCALE = 100.0  # inhabitants per agent at which agent-count parameters are stated


class BarriosModel(mesa.Model):
    """Violence prevention in Quito's barrios.

    Args:
        scenario: a validated ``simulation.config.Scenario``.
        rng: seed or ``numpy.random.Generator``/``SeedSequence``; defaults to the
            scenario's ``run.seed``.
        city_table: barrio attributes replacing the synthetic layout (see ``city``).
        record_days: the steps (days since the start) at which outcomes are collected,
            besides the first and the last; ``None`` (the default) collects every day.
            Batch runs that keep a few figures pass the days they need: computing and
            collecting the outcomes is a sixth of a day's cost. The random stream, and
            so the simulation, is the same whatever is recorded.
    """

    def __init__(self, scenario: Scenario | None = None, *, rng=None, city_table=None,
                 record_days=None):
        scenario = scenario or Scenario()
        super().__init__(rng=scenario.run.seed if rng is None else rng)
        self.config = scenario
        self.params = params = Params(**scenario.parameters)
        c = scenario.city
        self.scale_factor = c.inhabitants_per_agent / DEFAULT_SCALE

        self.city = City(c.width, c.height, self.random)
        self.grid = self.city.grid
        if city_table is None:
            synthetic_layout(self.city, c.population, c.disadvantage_shift, c.layout_seed)
        else:
            table_layout(self.city, city_table, c.population)
        self.valid_barrios = np.flatnonzero(self.city.valid)
        self.city.layer("legitimacy")[:] = params.legitimacy_baseline
        self.initial_disorder = self.city.layer("disorder").copy()

        self.population = pop = Population(self.city, params, c.inhabitants_per_agent, self.rng)
        offending.init_propensity(pop, self.city, params, self.rng)
        perception.init_baselines(pop, params, self.rng)

        self.start_date = scenario.run.start
        self.day = -scenario.run.burn_in_days
        self.committees: dict[int, Committee] = {}
        self.members_per_barrio = np.zeros(self.city.n)
        self.timeline = Timeline(scenario, self)
        self.police = Police(self)
        self.outcomes = Outcomes(self)
        self.end_day = scenario.n_days
        self.record_days = None if record_days is None else frozenset(int(d) for d in record_days)
        self.recorded_steps: list[int] = []

        self._plan_month(self.date)
        self._settle()

        while self.day < 0:
            self._simulate_day()
        for counts in self.outcomes.month_counts.values():
            counts[:] = 0
        for mask in self.outcomes.month_police.values():
            mask[:] = False

        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.outcomes.values[k]) for k in REPORTERS})
        self._record()

    # --- time ----------------------------------------------------------------------
    @property
    def date(self) -> date:
        return self.start_date + timedelta(days=self.day)

    def day_of(self, when: date) -> int:
        return (when - self.start_date).days

    @property
    def month(self) -> int:
        """Months since the start (0 in the start month)."""
        d, s = self.date, self.start_date
        return (d.year - s.year) * 12 + d.month - s.month

    def step(self):
        self._simulate_day()
        self._record()
        if self.date.day == 1 or self.day >= self.end_day:
            self.outcomes.close_month(self.month - 1 if self.date.day == 1 else self.month)
        if self.day >= self.end_day:
            self.running = False

    def run(self, progress=None):
        """Run to the scenario's end; ``progress(days_done)`` is called every 30 days."""
        while self.running:
            self.step()
            if progress is not None and (self.day % 30 == 0 or not self.running):
                progress(self.day)

    def _record(self):
        """Collect today's outcomes if this is a day to record."""
        self.outcomes.draw_survey()
        if (self.record_days is None or self.day in self.record_days or self.day == 0
                or self.day >= self.end_day):
            self.outcomes.compute()
            self.datacollector.collect(self)
            self.recorded_steps.append(self.day)

    # --- one day -------------------------------------------------------------------
    def _simulate_day(self):
        pop, city, params, rng, day = self.population, self.city, self.params, self.rng, self.day
        today = self.date
        if today.day == 1 and day > -self.config.run.burn_in_days:
            self._plan_month(today)
        self._light_tonight(today)
        self.police.deploy(day)
        self.outcomes.mark_police(self.police)
        offending.adjust_propensity(pop, self.propensity_target, params)
        offenders = offending.active_offenders(pop, day, rng)  # never detained ones
        detained_now = routine.detained(pop, day)

        day_loc = routine.day_locations(pop, params, today.weekday(), detained_now, rng)
        day_loc[offenders] = mobility.offence_places(city, params, day_loc[offenders], False, rng)
        by_day = victimization.run_phase(self, day_loc, offenders, night=False)
        night_loc = routine.night_locations(pop, params, detained_now, rng)
        # offenders are out at night, around their night spot
        night_loc[offenders] = mobility.offence_places(city, params, pop.night_spot[offenders],
                                                       True, rng)
        by_night = victimization.run_phase(self, night_loc, offenders, night=True)
        raid = self.police.operation_arrests(night_loc, offenders)
        arrested = np.concatenate([by_day.arrested, by_night.arrested, raid])
        if len(arrested):  # most days nobody is arrested: skip the sort
            arrested = np.unique(arrested)
        offending.detain(pop, arrested, day, params, rng)
        self.outcomes.record_arrests(arrested)

        incidents = by_day.incidents + by_night.incidents
        victimization.update_attractiveness(city, params, incidents, self.scale_factor)
        self.police.record_reports(incidents)
        self.police.update_legitimacy()
        decaying = city.layer("incidents")
        decaying *= 1 - 1 / params.incident_memory_days
        decaying += incidents

        self._perceive(by_day, day_loc, by_night, night_loc, incidents)
        committees.decay_efficacy(city, params)
        if today.weekday() == 6:
            self._committee_week()
        self._works()

        if day >= 0:
            self.timeline.book_day()
        self.outcomes.day_counts.update(arrests=len(arrested), active_offenders=len(offenders))
        self.outcomes.record_day(by_day.incidents, by_night.incidents,
                                 by_day.severe_expected + by_night.severe_expected,
                                 by_day.severe_events + by_night.severe_events,
                                 by_day.severe_expected_men + by_night.severe_expected_men)
        self.day += 1

    def _perceive(self, by_day, day_loc, by_night, night_loc, incidents):
        pop, params = self.population, self.params
        if self.day % 7 == 0 or self._targets is None:  # the environment changes slowly
            perception.heal(pop, params, 7)
            env_p, env_n = perception.environment(self.city, params, self.reference)
            self._targets = perception.targets(pop, params, env_p, env_n)
        perception.relax(pop, params, *self._targets)
        for outcome, loc in ((by_day, day_loc), (by_night, night_loc)):
            pop.last_victimized[outcome.victims] = self.day
            perception.victimization_shock(pop, params, outcome.victims, loc[outcome.victims])
        perception.neighbourhood_news(pop, params, incidents, self.scale_factor)
        perception.conversations(pop, params, self.rng)
        perception.clip(pop)

    def _settle(self):
        """Start from the steady state of whatever exists when the model starts: committee
        membership and efficacy, legitimacy around posts, perception given what residents
        see (the reference environment, against which later changes are measured)."""
        pop, params, city = self.population, self.params, self.city
        self.police.settle_legitimacy()
        self.members_per_barrio = committees.settle(
            pop, city, params, self.timeline.treated["safety_committees"], self.rng)
        for committee in self.committees.values():
            committee.mature()  # an existing committee installed its alarm long ago
        city.layer("police_presence")[:] = self.police.expected_presence()
        self._light_tonight(self.date)
        recruitment.settle(city, self._recruitment_target())
        self._barrio_risks()
        self.reference = perception.reference_environment(city, params)
        env_p, env_n = perception.environment(city, params, self.reference)
        self._targets = perception.targets(pop, params, env_p, env_n)
        pop.safe_public[:], pop.safe_neighbourhood[:] = self._targets
        perception.clip(pop)
        self.outcomes.barrio_safety()

    def _committee_week(self):
        committees.update_membership(self.population, self.city, self.params,
                                     self.timeline.treated["safety_committees"], self.rng)
        self.members_per_barrio = np.bincount(self.population.home,
                                              weights=self.population.committee_member,
                                              minlength=self.city.n)
        committees.raise_efficacy(self.population, self.city, self.params,
                                  self.timeline.treated["safety_committees"], self.members_per_barrio)
        for committee in self.committees.values():
            committee.meet()

    def _light_tonight(self, today: date):
        """The street lighting on tonight: installed coverage less any power cut."""
        power_cuts.light_tonight(self.city, power_cuts.dark_share(self.config.power_cuts, today))

    def _works(self):
        """Lighting installation and public-space recovery progress; disorder drifts back."""
        city, params, t = self.city, self.params, self.timeline.treated
        _works(city.layer("lighting"), city.layer("disorder"), self.initial_disorder,
               t["street_lighting"], t["public_space_recovery"],
               params.lighting_installation_rate * 1.0, params.public_space_disorder_reduction * 1.0,
               params.recovery_works_rate * 1.0, params.disorder_drift * 1.0)

    # --- monthly planning ------------------------------------------------------------
    def _plan_month(self, first: date):
        tl, pop, params = self.timeline, self.population, self.params
        ramps = tl.update_month(first)
        self.police.set_posts(tl.treated["upc_posts"])
        self.police.set_units(tl.patrol_units_in_service(ramps["patrol_units"]))
        self.police.plan_operations(first, month_days(first), tl.operations_per_year(first))
        self._set_committees(tl.treated["safety_committees"])
        places = tl.treated["sports_programmes"] * params.sports_places_per_barrio / self.config.city.inhabitants_per_agent
        self.city.layer("sports_places")[:] = places
        offending.enrol_sports(pop, places, params, self.rng)
        offending.reach_prevention(pop, tl.treated["youth_prevention"], params)
        pop.included[:] = pop.migrant & tl.treated["migrant_inclusion"][pop.home]
        recruitment.adjust(self.city, params, self._recruitment_target())
        self._barrio_risks()

    def _barrio_risks(self):
        """What follows from the barrios' recruitment and legitimacy, set monthly (and
        once settled): each barrio's chance that an incident is severe, and where each
        youth's propensity to offend is heading."""
        self.severe_chance = victimization.severe_chance(self.city, self.params)
        self.propensity_target = offending.target_propensity(self.population, self.city,
                                                             self.params)

    def _recruitment_target(self) -> np.ndarray:
        t = self.timeline.treated
        return recruitment.target(self.city, self.params,
                                  recruitment.prevention_reach(self.population, self.city.n),
                                  t["migrant_inclusion"], t["safety_committees"])

    def _set_committees(self, treated: np.ndarray):
        for b in np.flatnonzero(treated):
            if int(b) not in self.committees:
                self.committees[int(b)] = Committee(self, int(b))
        for b in [b for b in self.committees if not treated[b]]:
            self.committees.pop(b).remove()

    # --- indicators used for targeting ---------------------------------------------------
    def indicator(self, name: str) -> np.ndarray:
        layer = self.city.layer
        match name:
            case "disadvantage" | "disorder" | "population":
                return layer(name)
            case "darkness":
                return 1 - layer("lighting")
            case "incidents":
                return layer("reported_incidents")
            case "fear":
                return 1 - layer("safe_neighbourhood")
        raise ValueError(f"unknown indicator {name!r}")

    def treated(self, name: str) -> np.ndarray:
        return self.timeline.treated[name]

    def barrio_panel(self):
        """The monthly barrio panel as a DataFrame (see ``outcomes``)."""
        return self.outcomes.barrio_panel()


@njit(cache=True)
def _works(lighting, disorder, initial_disorder, lit, recovered, installation_rate,
           disorder_reduction, recovery_rate, disorder_drift):
    """One day of works: lighting nears full where installed; disorder moves toward its
    recovered level in treated barrios and drifts back to the initial one elsewhere."""
    for b in range(len(lighting)):
        if lit[b]:
            lighting[b] += installation_rate * (1 - lighting[b])
        target = initial_disorder[b] * (1 - disorder_reduction * recovered[b])
        rate = recovery_rate if recovered[b] else disorder_drift
        disorder[b] += rate * (target - disorder[b])
