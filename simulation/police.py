"""Police: UPC posts, patrol units, coordinated operations, and legitimacy.

UPC posts (Unidades de Policía Comunitaria) are Mesa agents fixed in barrios; they add
presence to their barrio and a third of it to each neighbour (summed over neighbouring
posts, capped at a post's own), and slowly build legitimacy (community policing: Gill et
al. 2014). Patrol units are Mesa agents that
move every day by a strategy: random, hot spots from *reported* incidents (Quito
DataHub; Braga et al. 2019), or committee requests first. Coordinated operations are
scheduled events: each day's operations are drawn when the month is planned, go to the
worst barrios by the operation's indicator, bring heavy presence and arrest a share of
the active offenders there. With ``targeting = "list"`` patrols and operations are
confined to the listed barrios (a hot-spot experiment's treatment places): patrols pick
among them at random, operations go to the worst of them.

Heavy-handed operations ("mano dura") erode legitimacy (after Epstein 2002's legitimacy
and Tyler 2004's procedural justice); low legitimacy lowers committee participation and
incident reporting, which blinds hot-spot policing.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from mesa.discrete_space import CellAgent, FixedAgent
from numba import njit


class UPCPost(FixedAgent):
    """A community police post fixed in one barrio."""

    def __init__(self, model, barrio: int):
        super().__init__(model)
        self.barrio = barrio
        self.cell = model.city.cell(barrio)


class PatrolUnit(CellAgent):
    """A patrol unit; each day it patrols one barrio chosen by the force's strategy."""

    def __init__(self, model):
        super().__init__(model)
        self.barrio = -1

    def patrol(self, barrio: int):
        self.barrio = barrio
        self.move_to(self.model.city.cell(barrio))


class Police:
    """Deploys the police each day and keeps legitimacy and reported incidents."""

    def __init__(self, model):
        self.model = model
        self.posts: dict[int, UPCPost] = {}
        self.post_barrios = np.empty(0, dtype=np.int64)
        self.units: list[PatrolUnit] = []
        self.requests: list[int] = []
        self.operations_by_day: dict[int, int] = {}
        self.operation_barrios = np.empty(0, dtype=np.int64)
        self.upc_presence = np.zeros(model.city.n)
        self.arrests_today = 0

    # --- set-up from the timeline ----------------------------------------------------
    def set_posts(self, treated: np.ndarray):
        """Create posts in newly treated barrios, remove posts where treatment ended."""
        model, city = self.model, self.model.city
        for b in np.flatnonzero(treated):
            if int(b) not in self.posts:
                self.posts[int(b)] = UPCPost(model, int(b))
        for b in [b for b in self.posts if not treated[b]]:
            self.posts.pop(b).remove()
        self.post_barrios = np.fromiter(self.posts, dtype=np.int64, count=len(self.posts))
        self.upc_presence = post_presence(city, self.post_barrios, model.params.upc_presence,
                                          model.params.upc_neighbour_presence_share)

    def set_units(self, count: int):
        while len(self.units) < count:
            self.units.append(PatrolUnit(self.model))
        while len(self.units) > count:
            self.units.pop().remove()

    def plan_operations(self, first: date, days: int, per_year: float):
        """Draw how many coordinated operations happen on each day of a month."""
        counts = self.model.rng.poisson(per_year / 365, days)
        day0 = self.model.day_of(first)
        self.operations_by_day.update({day0 + i: int(c) for i, c in enumerate(counts) if c})

    def settle_legitimacy(self):
        """Start legitimacy where it settles with the posts that exist at the start."""
        params, city = self.model.params, self.model.city
        has_post = np.zeros(city.n)
        has_post[list(self.posts)] = 1.0
        lift = params.community_policing_legitimacy_gain / max(params.legitimacy_recovery, 1e-12)
        city.layer("legitimacy")[:] = np.clip(params.legitimacy_baseline + lift * has_post, 0, 1)

    def expected_presence(self) -> np.ndarray:
        """Average daily presence from posts and patrols (operations are rare)."""
        n_valid = max(len(self.model.valid_barrios), 1)
        return self.upc_presence + len(self.units) * self.model.params.patrol_presence / n_valid

    def request_patrol(self, barrio: int):
        self.requests.append(barrio)

    # --- daily ---------------------------------------------------------------------
    def deploy(self, day: int):
        """Set today's police presence: UPC posts + patrols + operations."""
        model, params, city = self.model, self.model.params, self.model.city
        presence = city.layer("police_presence")
        presence[:] = self.upc_presence
        if self.units:
            targets = self._patrol_targets(len(self.units))
            for unit, b in zip(self.units, targets):
                unit.patrol(int(b))
            np.add.at(presence, targets, params.patrol_presence)
        n_ops = self.operations_by_day.pop(day, 0)
        self.operation_barrios = np.empty(0, dtype=np.int64)
        if n_ops:
            cfg = model.timeline.config("police_operations")
            self.operation_barrios = self._worst(model.timeline.indicator("police_operations"),
                                                 n_ops, _listed(cfg))
            presence[self.operation_barrios] += params.operation_presence
            hh = cfg.setting("heavy_handedness", model.date)
            legitimacy = city.layer("legitimacy")
            np.subtract.at(legitimacy, self.operation_barrios,
                           params.heavy_handed_legitimacy_erosion * hh)
            np.clip(legitimacy, 0, 1, out=legitimacy)
            model.timeline.add_operation_cost(n_ops)
        self.requests.clear()

    def _patrol_targets(self, n: int) -> np.ndarray:
        model, rng = self.model, self.model.rng
        cfg = model.timeline.config("patrol_units")
        strategy = cfg.setting("strategy", model.date)
        valid = model.valid_barrios
        # a[rng.integers(0, len(a), n)]: the same draws as rng.choice(a, n), without its
        # argument checks (this runs every day)
        listed = _listed(cfg)
        if listed is not None:
            return listed[rng.integers(0, len(listed), n)]
        if strategy == "random":
            return valid[rng.integers(0, len(valid), n)]
        hot = self._worst(model.city.layer("reported_incidents"), int(model.params.hotspot_focus))
        pool = hot if len(hot) else valid
        picks = pool[rng.integers(0, len(pool), n)]
        if strategy == "committee_requests" and self.requests:
            asked = np.unique(self.requests)[:n]
            picks[: len(asked)] = asked
        return picks

    def _worst(self, indicator: np.ndarray, k: int, among: np.ndarray | None = None) -> np.ndarray:
        """The k valid barrios (or of ``among``) with the highest indicator (random
        tie-break)."""
        valid = self.model.valid_barrios if among is None else among
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        k = min(k, len(valid))
        noise = self.model.rng.random(len(valid)) * 1e-9
        top = np.argpartition(-(indicator[valid] + noise), k - 1)[:k]
        return valid[top]

    def operation_arrests(self, loc: np.ndarray, offenders: np.ndarray) -> np.ndarray:
        """Active offenders present where an operation runs are arrested with a chance."""
        if not len(self.operation_barrios) or not len(offenders):
            return np.empty(0, dtype=np.int64)
        raided = np.zeros(self.model.city.n + 1, dtype=bool)  # slot 0: nowhere
        raided[self.operation_barrios + 1] = True
        here = np.take(raided, loc[offenders] + 1)
        caught = self.model.rng.random(len(offenders)) < self.model.params.operation_arrest_share
        return offenders[here & caught]

    def update_legitimacy(self):
        params, city = self.model.params, self.model.city
        _recover_legitimacy(city.layer("legitimacy"), self.post_barrios,
                            params.legitimacy_recovery * 1.0, params.legitimacy_baseline * 1.0,
                            params.community_policing_legitimacy_gain * 1.0)

    def record_reports(self, incidents: np.ndarray):
        """Reported incidents (30-day decaying count): reporting rises with legitimacy."""
        city, params, rng = self.model.city, self.model.params, self.model.rng
        hit = np.flatnonzero(incidents)
        reported = city.layer("reported_incidents")
        reported *= 1 - 1 / params.incident_memory_days
        if len(hit):
            p = params.reporting_probability * city.layer("legitimacy")[hit]
            reported[hit] += rng.binomial(incidents[hit].astype(np.int64), p)


@njit(cache=True)
def _recover_legitimacy(legitimacy, post_barrios, recovery, baseline, post_gain):
    """Legitimacy drifts back to its baseline; community policing at posts lifts it."""
    for b in range(len(legitimacy)):
        legitimacy[b] += recovery * (baseline - legitimacy[b])
    for b in post_barrios:
        legitimacy[b] += post_gain
    for b in range(len(legitimacy)):
        legitimacy[b] = min(max(legitimacy[b], 0.0), 1.0)


def post_presence(city, post_barrios: np.ndarray, per_post: float, share: float) -> np.ndarray:
    """Police presence from UPC posts: ``per_post`` in a post's barrio, plus ``share`` of it
    from each neighbouring post, the spill-over capped at ``per_post`` (patrols out of a
    post never make a neighbour better policed than the post's own barrio). Adding a post
    never lowers any barrio's presence."""
    own = np.zeros(city.n)
    own[post_barrios] = per_post
    return own + np.minimum(city.neighbour_sum(own) * share, per_post)


def _listed(cfg) -> np.ndarray | None:
    """The barrios a ``targeting = "list"`` configuration confines police to, else None."""
    if cfg is None or cfg.targeting != "list":
        return None
    return np.asarray(cfg.barrios, dtype=np.int64)


def month_days(first: date) -> int:
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (nxt - first).days
