"""Outcomes: what the model reports every step (through Mesa's DataCollector) and the
monthly barrio panel.

Rates per 100,000 are per agent, so they do not depend on how many inhabitants an agent
stands for. Rolling 12-month figures use the days simulated so far (burn-in included),
annualised while fewer than 365 days are available. Severe violence is reported as the
expected count given the simulated incidents (a lower-variance estimate of the same
quantity; the rare realized events are reported too).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.config import INTERVENTIONS
from simulation.perception import survey_sample, survey_share

GROUPS = {"women": ("female", True), "men": ("female", False),
          "youth": ("youth", True), "migrants": ("migrant", True)}
"""Groups reported separately: (population attribute, value)."""

REPORTERS = (
    "safe_public", "safe_neighbourhood",
    *[f"safe_{m}_{g}" for m in ("public", "neighbourhood") for g in GROUPS],
    "survey_safe_public", "survey_safe_neighbourhood",
    "victimization_12m", "incidents", "incidents_per_100k_12m",
    "severe_violence_per_100k_12m", "severe_events_per_100k_12m",
    "active_offenders", "arrests", "detained", "committee_members", "committees",
    "legitimacy", "night_outings", "police_presence", "cost_usd",
)
"""Every model-level outcome, collected each step."""


class Rolling:
    """Sums over the last ``window`` days (a ring buffer)."""

    def __init__(self, window: int = 365):
        self.buf = np.zeros(window)
        self.days = 0

    def add(self, value: float):
        self.buf[self.days % len(self.buf)] = value
        self.days += 1

    def annual(self) -> float:
        n = min(self.days, len(self.buf))
        return float(self.buf.sum() * 365 / n) if n else 0.0


class Outcomes:
    """Computes the step's outcomes and accumulates the monthly barrio panel."""

    def __init__(self, model):
        self.model = model
        pop = model.population
        # Group shares as one matrix-vector product: row 0 everybody, then each group.
        masks = [np.ones(pop.n, dtype=bool)] + [getattr(pop, a) == v for a, v in GROUPS.values()]
        self.group_matrix = np.array(masks, dtype=np.float32)
        self.group_sizes = np.maximum(self.group_matrix.sum(axis=1), 1.0)
        self.incidents_12m = Rolling()
        self.severe_expected_12m = Rolling()
        self.severe_events_12m = Rolling()
        self.month_incidents = np.zeros(model.city.n)
        self.month_police = {name: np.zeros(model.city.n, dtype=bool)
                             for name in ("patrol_units", "police_operations")}
        self.panel: list[dict] = []
        self.values: dict[str, float] = dict.fromkeys(REPORTERS, 0.0)
        self.day_counts = {"incidents": 0.0, "arrests": 0, "active_offenders": 0}
        self.survey_samples = (np.empty(0, dtype=np.int64),) * 2

    def draw_survey(self):
        """Today's survey samples (public spaces, neighbourhood). Drawn every day, recorded
        or not, so that what a run records never changes its random stream."""
        m = self.model
        n, size = m.population.n, m.config.run.survey_sample_size
        self.survey_samples = tuple(survey_sample(n, size, m.rng) for _ in range(2))

    def record_day(self, incidents: np.ndarray, severe_expected: float, severe_events: int):
        total = float(incidents.sum())
        self.incidents_12m.add(total)
        self.severe_expected_12m.add(severe_expected)
        self.severe_events_12m.add(severe_events)
        self.month_incidents += incidents
        self.day_counts["incidents"] = total

    def compute(self) -> dict[str, float]:
        """Every outcome of the current day (the survey uses ``draw_survey``'s samples)."""
        m, pop = self.model, self.model.population
        thr, n, per_100k = m.params.safe_threshold, pop.n, 1e5 / max(pop.n, 1)
        v = self.values
        for measure, state in (("public", pop.safe_public), ("neighbourhood", pop.safe_neighbourhood)):
            shares = self.group_matrix @ (state > thr).astype(np.float32) / self.group_sizes
            v[f"safe_{measure}"] = shares[0]
            for g, share in zip(GROUPS, shares[1:]):
                v[f"safe_{measure}_{g}"] = share
        public_sample, neighbourhood_sample = self.survey_samples
        v["survey_safe_public"] = survey_share(pop.safe_public, thr, public_sample)
        v["survey_safe_neighbourhood"] = survey_share(pop.safe_neighbourhood, thr, neighbourhood_sample)
        v["victimization_12m"] = np.count_nonzero(pop.last_victimized > m.day - 365) / n
        v["incidents"] = self.day_counts["incidents"]
        v["incidents_per_100k_12m"] = self.incidents_12m.annual() * per_100k
        v["severe_violence_per_100k_12m"] = self.severe_expected_12m.annual() * per_100k
        v["severe_events_per_100k_12m"] = self.severe_events_12m.annual() * per_100k
        v["active_offenders"] = self.day_counts["active_offenders"]
        v["arrests"] = self.day_counts["arrests"]
        v["detained"] = np.count_nonzero(pop.detained_until > m.day)
        v["committee_members"] = np.count_nonzero(pop.committee_member) / n
        v["committees"] = len(m.committees)
        weights = m.city.layer("population")
        v["legitimacy"] = float(m.city.layer("legitimacy") @ weights / weights.sum())
        v["night_outings"] = np.count_nonzero(pop.went_out_tonight) / n
        v["police_presence"] = float(m.city.layer("police_presence").sum())
        v["cost_usd"] = m.timeline.cost_usd
        for key, value in v.items():
            v[key] = float(value)
        return v

    def mark_police(self, police):
        """Remember where patrols and operations went this month (panel flags)."""
        self.month_police["patrol_units"][[u.barrio for u in police.units]] = True
        self.month_police["police_operations"][police.operation_barrios] = True

    def barrio_safety(self) -> np.ndarray:
        """Share of each barrio's residents feeling safe in their neighbourhood (NaN if
        nobody lives there); also refreshes the ``safe_neighbourhood`` layer."""
        m, pop = self.model, self.model.population
        safe = np.bincount(pop.home, weights=pop.safe_neighbourhood > m.params.safe_threshold,
                           minlength=m.city.n)
        share = np.divide(safe, pop.residents_per_barrio, out=np.full(m.city.n, np.nan),
                          where=pop.residents_per_barrio > 0)
        m.city.layer("safe_neighbourhood")[:] = np.nan_to_num(share)
        return share

    def close_month(self, month: int):
        """Append one panel row per barrio for the month just ended."""
        m, pop = self.model, self.model.population
        share = self.barrio_safety()
        valid = m.valid_barrios
        row = {"barrio_id": valid, "month": np.full(len(valid), month),
               "residents": pop.residents_per_barrio[valid],
               "incidents": self.month_incidents[valid].astype(np.int64),
               "safe_neighbourhood": share[valid]}
        for name in INTERVENTIONS:
            active = self.month_police.get(name, m.timeline.treated[name])
            row[name] = active[valid].copy()
        self.panel.append(row)
        self.month_incidents[:] = 0
        for mask in self.month_police.values():
            mask[:] = False

    def barrio_panel(self) -> pd.DataFrame:
        if not self.panel:
            return pd.DataFrame(columns=["barrio_id", "month", "residents", "incidents",
                                         "safe_neighbourhood", *INTERVENTIONS])
        cols = self.panel[0].keys()
        return pd.DataFrame({c: np.concatenate([r[c] for r in self.panel]) for c in cols})
