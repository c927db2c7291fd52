"""Interventions on a timeline: which barrios each programme covers, when, and its cost.

Each intervention (a lever) starts on a date, ramps up linearly over ``ramp_months`` to
cover ``intensity`` of the barrios (for patrol units and operations: of the stated
units), and may end. A programme that already exists and is expanded sits at
``ramp_from`` of its intensity before the start and ramps up from there. New barrios
are added in the targeting rule's order: worst first by an indicator (recomputed each
month, so programmes follow the problem), a fixed random order, or a given list.
Coverage only grows while the programme runs, which gives the staggered roll-out that
treated-versus-untreated comparisons use. Exploratory walks by committees put their
barrio first in line for lighting and public-space recovery (a list is not steered).
``Timeline.assign`` gives a programme to a trial's treatment arm mid-run (virtual
evaluations, ``experiments.evaluation``).

Running costs (``unit_cost_usd``) accrue daily from the start date (per treated barrio,
post, committee or unit and year, divided by 365) and per operation; capital costs
(``capital_cost_usd``: installing lighting, building a post, recovery works) are booked
once, in the month a unit is added during the run (what exists before the run is sunk).
What one unit is, is in the registry (``simulation.interventions``).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from simulation.config import Scenario
from simulation.interventions import INTERVENTIONS


def ramp_fraction(cfg, today: date) -> float:
    """The share of ``cfg.intensity`` in place on ``today``.

    ``cfg.ramp_from`` before the start (0 for a new programme, more for one that exists
    and is expanded); from the start it rises linearly from ``ramp_from`` to 1 over
    ``ramp_months``, the start month counting as month 1 (so 1 at once if
    ``ramp_months`` is 0); 0 from the end on. No configuration: 0.
    """
    if cfg is None or (cfg.end is not None and today >= cfg.end):
        return 0.0
    if today < cfg.start:
        return cfg.ramp_from
    months = (today.year - cfg.start.year) * 12 + (today.month - cfg.start.month) + 1
    if cfg.ramp_months <= 0 or months >= cfg.ramp_months:
        return 1.0
    return cfg.ramp_from + (1.0 - cfg.ramp_from) * months / cfg.ramp_months


class Timeline:
    """Coverage masks, unit counts and costs of every intervention over time."""

    def __init__(self, scenario: Scenario, model):
        self.model = model
        self.configs = scenario.interventions.active()
        n = model.city.n
        self.treated = {name: np.zeros(n, dtype=bool) for name in INTERVENTIONS}
        valid = model.valid_barrios
        self._random_order = {name: model.rng.permutation(valid) for name in INTERVENTIONS}
        self.priority: list[int] = []
        self.cost_usd = 0.0
        self.capital_usd = 0.0
        self.cost_by = dict.fromkeys(INTERVENTIONS, 0.0)
        self.daily_cost: dict[str, float] = {}
        self.built = {name: np.zeros(n, dtype=bool) for name in INTERVENTIONS}  # barrios ever covered
        self.units_built = dict.fromkeys(INTERVENTIONS, 0)  # most patrol units ever in service

    def config(self, name: str):
        return self.configs.get(name)

    def prioritise(self, barrio: int):
        if barrio not in self.priority:
            self.priority.append(barrio)

    def indicator(self, name: str) -> np.ndarray:
        cfg = self.configs.get(name)
        return self.model.indicator(cfg.indicator if cfg else INTERVENTIONS[name].indicator)

    def assign(self, name: str, barrios, start: date, ramp_months: float = 0.0, **settings):
        """Give programme ``name`` to ``barrios`` from ``start`` (a trial's treatment arm;
        call it before the first day of a month, when coverage is planned), ramping up
        over ``ramp_months``. A barrio programme keeps the barrios it covers now; patrol
        units and operations are confined to ``barrios`` (``targeting = "list"``).
        ``settings`` change the programme's other settings (``units``, ``per_year``...);
        its unit cost stays (0 if the scenario did not have it)."""
        entry = INTERVENTIONS[name]
        cfg = self.configs.get(name)
        base = cfg.model_dump() if cfg is not None else {"unit_cost_usd": 0.0}
        barrios = [int(b) for b in barrios]
        if not barrios:
            raise ValueError(f"assign({name!r}): expected at least one barrio, found none")
        update = {"enabled": True, "start": start, "end": None, "ramp_months": ramp_months,
                  "ramp_from": 0.0, "targeting": "list", "barrios": barrios}
        if entry.counts == "barrios":
            kept = [int(b) for b in np.flatnonzero(self.treated[name])]
            order = kept + sorted(set(barrios) - set(kept), key=barrios.index)
            update.update(barrios=order, intensity=len(order) / len(self.model.valid_barrios),
                          ramp_from=len(kept) / len(order))
        self.configs[name] = entry.settings.model_validate({**base, **update, **settings})

    def update_month(self, today: date) -> dict[str, float]:
        """Extend or end coverage for this month, set the daily running costs and return
        the ramp fraction of every intervention."""
        ramps = {}
        for name in INTERVENTIONS:
            cfg = self.configs.get(name)
            ramps[name] = ramp_fraction(cfg, today)
            match INTERVENTIONS[name].counts:
                case "barrios":
                    self._cover(name, cfg, ramps[name])
                    units = int(self.treated[name].sum())
                    new = int((self.treated[name] & ~self.built[name]).sum())
                    self.built[name] |= self.treated[name]
                case "units":
                    units = self.patrol_units_in_service(ramps[name])
                    new = max(units - self.units_built[name], 0)
                    self.units_built[name] = max(units, self.units_built[name])
                case "per_year":
                    continue  # operations are paid per operation
            self.daily_cost[name] = units * cfg.unit_cost_usd / 365 if cfg else 0.0
            if cfg is not None and new and self.model.day >= 0:
                self._book(name, new * cfg.capital_cost_usd, capital=True)
        return ramps

    def book_day(self):
        """Book one day of running costs (called for recorded days only, not burn-in)."""
        for name, usd in self.daily_cost.items():
            if usd:
                self._book(name, usd)

    def _cover(self, name, cfg, ramp):
        treated = self.treated[name]
        if ramp == 0:
            treated[:] = False
            return
        target = int(round(cfg.intensity * ramp * len(self.model.valid_barrios)))
        missing = target - int(treated.sum())
        if missing > 0:
            order = self._order(name, cfg)
            order = order[~treated[order]]
            treated[order[:missing]] = True

    def _order(self, name, cfg) -> np.ndarray:
        if cfg.targeting == "list":
            ids = np.asarray(cfg.barrios, dtype=np.int64)
            return ids[(ids >= 0) & (ids < self.model.city.n)]
        if cfg.targeting == "random":
            order = self._random_order[name]
        else:
            valid = self.model.valid_barrios
            values = self.model.indicator(cfg.indicator)[valid]
            order = valid[np.argsort(-values, kind="stable")]
        if INTERVENTIONS[name].steered_by_walks and self.priority:
            first = np.asarray(self.priority, dtype=np.int64)
            order = np.concatenate([first, order[~np.isin(order, first)]])
        return order

    def patrol_units_in_service(self, ramp: float) -> int:
        cfg = self.configs.get("patrol_units")
        return round(cfg.units * cfg.intensity * ramp * self.model.config.city.count_scale) if cfg else 0

    def operations_per_year(self, today: date) -> float:
        cfg = self.configs.get("police_operations")
        if cfg is None:
            return 0.0
        return cfg.per_year * cfg.intensity * ramp_fraction(cfg, today) * self.model.config.city.count_scale

    def add_operation_cost(self, n_ops: int):
        cfg = self.configs.get("police_operations")
        if cfg is not None and self.model.day >= 0:
            self._book("police_operations", n_ops * cfg.unit_cost_usd)

    def _book(self, name: str, usd: float, capital: bool = False):
        self.cost_by[name] += usd
        self.cost_usd += usd
        if capital:
            self.capital_usd += usd
