"""Neighbourhood safety committees (comités de seguridad, Barrios por la Vida).

A ``Committee`` is a Mesa agent fixed in its barrio. Membership is resident state
(``population.committee_member``), updated for all committee barrios at once each week:
residents join at a rate scaled by their trust in police and institutions (legitimacy),
and leave at a small rate. Each week collective efficacy in committee barrios rises
toward what their membership supports (Sampson, Raudenbush & Earls
1997), installs a community alarm once it has members, runs mingas (community clean-ups
that reduce disorder) and exploratory walks that put its barrio first in line for
lighting and public-space recovery (seed 003: alarms, mingas and exploratory-walk
diagnostics in one zonal administration), and asks for patrols when reported incidents
are high. Collective efficacy deters offences (Bennett, Holloway & Farrington 2008).
"""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import FixedAgent


class Committee(FixedAgent):
    """A safety committee tied to one barrio."""

    def __init__(self, model, barrio: int):
        super().__init__(model)
        self.barrio = barrio
        self.cell = model.city.cell(barrio)
        self.weeks_active = 0
        self.alarm = False
        self.mingas = 0
        self.walks = 0

    def mature(self):
        """A committee that existed before the model started: its alarm is installed (its
        lift is part of the settled efficacy)."""
        self.alarm = True
        self.weeks_active = int(self.model.params.alarm_after_weeks)

    @property
    def members(self) -> int:
        return int(self.model.members_per_barrio[self.barrio])

    def meet(self):
        """The weekly meeting: alarm, minga, exploratory walk, patrol request. (Efficacy
        for all committees is updated at once by ``raise_efficacy``.)"""
        model, params, b = self.model, self.model.params, self.barrio
        rnd = model.random
        self.weeks_active += 1
        if not self.alarm and self.weeks_active >= params.alarm_after_weeks and self.members > 0:
            self.alarm = True
            efficacy = model.city.layer("collective_efficacy")
            efficacy[b] = min(1.0, efficacy[b] + params.alarm_guardianship_gain)
        if rnd.random() < params.mingas_per_year / 52:
            self.mingas += 1
            disorder = model.city.layer("disorder")
            disorder[b] = max(0.0, disorder[b] - params.minga_disorder_reduction)
        if rnd.random() < params.exploratory_walks_per_year / 52:
            self.walks += 1
            model.timeline.prioritise(b)
        if model.city.layer("reported_incidents")[b] > params.patrol_request_threshold:
            model.police.request_patrol(b)


def raise_efficacy(pop, city, params, committee_barrio: np.ndarray, members: np.ndarray):
    """Weekly: collective efficacy in committee barrios moves toward what membership
    supports (full at ``full_efficacy_member_share`` of residents)."""
    residents = np.maximum(pop.residents_per_barrio, 1)
    target = np.minimum(1.0, members / residents / params.full_efficacy_member_share)
    efficacy = city.layer("collective_efficacy")
    efficacy += committee_barrio * params.committee_efficacy_gain * (target - efficacy)


def update_membership(pop, city, params, committee_barrio: np.ndarray, rng):
    """Weekly joins (scaled by trust) and leaves; no committee, no members."""
    has_committee = np.take(committee_barrio, pop.home)
    trust = np.take(city.layer("legitimacy"), pop.home)
    u = rng.random(pop.n, dtype=np.float32)
    join = ~pop.committee_member & (u < params.committee_join_rate * trust)
    leave = pop.committee_member & (u < params.committee_leave_rate)
    pop.committee_member[:] = (pop.committee_member | join) & ~leave & has_committee


def settle(pop, city, params, committee_barrio: np.ndarray, rng):
    """Committees that exist when the model starts begin at their steady state: the
    membership share where joins balance leaves, and the efficacy where the weekly rise
    toward what membership supports balances a week's decay (``equilibrium_efficacy``),
    so that they neither fade nor grow during the run."""
    trust = city.layer("legitimacy")[pop.home]
    join = params.committee_join_rate * trust
    share = join / np.maximum(join + params.committee_leave_rate, 1e-12)
    pop.committee_member[:] = committee_barrio[pop.home] & (rng.random(pop.n) < share)
    members = np.bincount(pop.home, weights=pop.committee_member, minlength=city.n)
    city.layer("collective_efficacy")[:] = np.where(
        committee_barrio, equilibrium_efficacy(pop, params, members), 0.0)
    return members


def equilibrium_efficacy(pop, params, members: np.ndarray) -> np.ndarray:
    """The efficacy at which a week's rise, ``committee_efficacy_gain`` x (target -
    efficacy), equals a week of daily decay: gain x target / (gain + 1 - (1 - decay)^7)."""
    residents = np.maximum(pop.residents_per_barrio, 1)
    target = np.minimum(1.0, members / residents / params.full_efficacy_member_share)
    weekly_decay = 1.0 - (1.0 - params.collective_efficacy_decay) ** 7
    gain = params.committee_efficacy_gain
    return gain * target / max(gain + weekly_decay, 1e-12)


def decay_efficacy(city, params):
    efficacy = city.layer("collective_efficacy")
    efficacy -= params.collective_efficacy_decay * efficacy
