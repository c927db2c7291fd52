"""Outcomes: what the model reports (one registry), computed every recorded step through
Mesa's DataCollector, the scalar outcomes of a run, and the monthly barrio panel.

Two registries hold the vocabulary every study, report and the workshop read:

- ``SERIES``: what the model collects at each recorded step (a time series per run);
- ``OUTCOMES``: the scalar outcomes of a run (a series at the start or end of the run, a
  change, a total), with unit, description, display, how it aggregates over replications
  and, where the survey or the homicide rate observed it, the ``[observed]`` key it is
  held against (through the simulated survey where there is one).

Rates per 100,000 are per agent, so they do not depend on how many inhabitants an agent
stands for. Rolling 12-month figures use the days simulated so far (burn-in included),
annualised while fewer than 365 days are available. Severe violence is reported as the
expected count given the simulated incidents (a lower-variance estimate of the same
quantity; the rare realized events are reported too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from simulation.interventions import INTERVENTIONS
from simulation.perception import survey_sample, survey_share

GROUPS = {"women": ("female", True), "men": ("female", False),
          "youth": ("youth", True), "migrants": ("migrant", True)}
"""Groups reported separately: (population attribute, value)."""
GROUP_LABELS = {"women": ("women", "mujeres"), "men": ("men", "hombres"),
                "youth": ("youth", "jóvenes"), "migrants": ("migrants", "migrantes")}
MEASURES = {"public": ("in public spaces", "en espacios públicos"),
            "neighbourhood": ("in their neighbourhood", "en su barrio")}


@dataclass(frozen=True)
class Display:
    """How a value is shown: multiplied by ``scale``, followed by ``suffix``."""

    scale: float
    suffix: str
    digits: int = 1


SHARE, POINTS = Display(100, "%"), Display(100, "pp")
RATE, COUNT, INDEX, MUSD = Display(1, "per 100,000"), Display(1, "", 0), Display(1, "", 2), \
    Display(1e-6, "US$ M")


@dataclass(frozen=True)
class Series:
    """A collected series (one value per recorded step)."""

    name: str
    unit: str
    description: str
    label_en: str
    label_es: str
    display: Display


def _series() -> dict[str, Series]:
    items = [
        ("safe_public", "share 0-1", "Share of residents feeling safe in public spaces "
         "(streets, parks, plazas)", "feel safe in public spaces",
         "se sienten seguros en espacios públicos", SHARE),
        ("safe_neighbourhood", "share 0-1", "Share of residents feeling safe in their own "
         "neighbourhood", "feel safe in their neighbourhood", "se sienten seguros en su barrio",
         SHARE),
    ]
    for m, (m_en, m_es) in MEASURES.items():
        for g, (g_en, g_es) in GROUP_LABELS.items():
            items.append((f"safe_{m}_{g}", "share 0-1", f"Share of {g_en} feeling safe {m_en}",
                          f"{g_en}: feel safe {m_en}", f"{g_es}: se sienten seguros {m_es}", SHARE))
    items += [
        ("survey_safe_public", "share 0-1", "safe_public as a simulated survey of "
         "run.survey_sample_size residents reports it", "survey: feel safe in public spaces",
         "encuesta: seguros en espacios públicos", SHARE),
        ("survey_safe_neighbourhood", "share 0-1", "safe_neighbourhood as a simulated survey "
         "reports it", "survey: feel safe in their neighbourhood",
         "encuesta: seguros en su barrio", SHARE),
        ("victimization_12m", "share 0-1", "Share of residents victimized in the last 12 months",
         "victimized in the last 12 months", "victimizados en los últimos 12 meses", SHARE),
    ]
    for g, (g_en, g_es) in GROUP_LABELS.items():
        items.append((f"victimization_12m_{g}", "share 0-1", f"Share of {g_en} victimized in "
                      "the last 12 months", f"{g_en}: victimized in the last 12 months",
                      f"{g_es}: victimizados en los últimos 12 meses", SHARE))
    items += [
        ("incidents", "agents' incidents per day", "Incidents today (agent counts)",
         "incidents today", "incidentes hoy", COUNT),
        ("incidents_day", "agents' incidents per day", "Incidents in today's day phase",
         "incidents by day", "incidentes de día", COUNT),
        ("incidents_night", "agents' incidents per day", "Incidents in tonight's night phase",
         "incidents at night", "incidentes de noche", COUNT),
        ("incidents_per_100k_12m", "per 100,000 per year", "Incidents in the last 12 months "
         "per 100,000 residents", "incidents per 100,000 a year",
         "incidentes por 100.000 al año", RATE),
        ("incidents_day_per_100k_12m", "per 100,000 per year", "Day-phase incidents in the "
         "last 12 months per 100,000 residents", "incidents by day per 100,000 a year",
         "incidentes de día por 100.000 al año", RATE),
        ("incidents_night_per_100k_12m", "per 100,000 per year", "Night-phase incidents in the "
         "last 12 months per 100,000 residents", "incidents at night per 100,000 a year",
         "incidentes de noche por 100.000 al año", RATE),
        ("severe_violence_per_100k_12m", "per 100,000 per year", "Expected severe-violence "
         "incidents (the homicide analogue) in the last 12 months per 100,000 residents",
         "severe violence per 100,000 a year", "violencia grave por 100.000 al año", RATE),
        ("severe_violence_men_share_12m", "share 0-1", "Men's share of the expected "
         "severe-violence victims in the last 12 months", "men among severe-violence victims",
         "hombres entre las víctimas de violencia grave", SHARE),
        ("severe_events_per_100k_12m", "per 100,000 per year", "Realized severe-violence "
         "incidents in the last 12 months per 100,000 residents (rare: noisy)",
         "severe events per 100,000 a year", "hechos graves por 100.000 al año", RATE),
        ("active_offenders", "agents", "Youth out offending today", "active offenders today",
         "infractores activos hoy", COUNT),
        ("arrests", "agents per day", "Arrests today", "arrests today", "detenciones hoy", COUNT),
        ("detained", "agents", "Offenders in detention", "in detention", "detenidos", COUNT),
        ("committee_members", "share 0-1", "Share of residents who are committee members",
         "committee members", "miembros de comités", SHARE),
        ("committees", "committees", "Safety committees in place", "committees",
         "comités", COUNT),
        ("legitimacy", "0-1", "Police legitimacy, population-weighted mean over barrios",
         "police legitimacy", "legitimidad policial", INDEX),
        ("night_outings", "share 0-1", "Share of residents out in public space tonight",
         "out at night", "salen de noche", SHARE),
        ("night_lighting", "share 0-1", "Street lighting on tonight: coverage less power "
         "cuts, population-weighted mean over barrios", "street lighting on at night",
         "alumbrado encendido de noche", SHARE),
        ("police_presence", "presence units", "Police presence summed over barrios today",
         "police presence", "presencia policial", COUNT),
        ("cost_usd", "US$", "Cumulative cost of the interventions since the start (running "
         "and capital)", "cumulative cost", "costo acumulado", MUSD),
        ("cost_capital_usd", "US$", "Cumulative capital cost since the start (installation, "
         "buildings, works)", "cumulative capital cost", "inversión acumulada", MUSD),
    ]
    return {name: Series(name, *rest) for name, *rest in items}


SERIES: dict[str, Series] = _series()
"""Every series the model collects at each recorded step, in column order."""
REPORTERS = tuple(SERIES)


@dataclass(frozen=True)
class Outcome:
    """A scalar outcome of one run.

    It is ``series`` at the run's start or end, or the change between them, or on the day
    of the scenario's first or second survey (``[observed] start_date``, ``end_date``:
    ``survey_start``, ``survey_end``), or (``series`` None) a total the run's timeline
    books (``cost_usd_NAME``). ``aggregate`` says how
    replications combine: ``mean`` (reported with a 95% t-interval over independent
    replications). ``observed`` names the ``[observed]`` key it is held against and
    ``survey`` the outcome that stands for what a survey would report."""

    name: str
    series: str | None
    at: Literal["start", "end", "change", "total", "survey_start", "survey_end"]
    unit: str
    description: str
    label_en: str
    label_es: str
    display: Display
    aggregate: Literal["mean"] = "mean"
    observed: str | None = None
    survey: str | None = None

    def label(self, lang: str = "en") -> str:
        return self.label_es if lang == "es" else self.label_en


_AT = {"start": ("at the start", "al inicio"), "end": ("at the end", "al final")}
_SURVEYS = {"start": ("first", "primera"), "end": ("second", "segunda")}


def _outcomes() -> dict[str, Outcome]:
    out: list[Outcome] = []
    for name in ("safe_public", "safe_neighbourhood", "survey_safe_public",
                 "survey_safe_neighbourhood"):
        s = SERIES[name]
        for at, (en, es) in _AT.items():
            observed = f"{name}_{at}" if not name.startswith("survey_") else None
            out.append(Outcome(f"{name}_{at}", name, at, s.unit, f"{s.description}, {en} of "
                               "the run", f"{s.label_en} ({en})", f"{s.label_es} ({es})",
                               SHARE, observed=observed,
                               survey=f"survey_{name}_{at}" if observed else None))
    end_only = {"victimization_12m_end": "victimization_12m",
                "severe_violence_per_100k_end": "severe_violence_per_100k_12m",
                "severe_events_per_100k_end": "severe_events_per_100k_12m",
                "severe_violence_men_share_end": "severe_violence_men_share_12m",
                "incidents_per_100k_end": "incidents_per_100k_12m",
                "legitimacy_end": "legitimacy", "committee_members_end": "committee_members",
                **{f"victimization_12m_{g}_end": f"victimization_12m_{g}" for g in GROUPS},
                "incidents_day_per_100k_end": "incidents_day_per_100k_12m",
                "incidents_night_per_100k_end": "incidents_night_per_100k_12m"}
    for series in ("safe_public", "safe_neighbourhood", "victimization_12m"):
        s = SERIES[series]
        for when, (en, es) in _SURVEYS.items():
            out.append(Outcome(f"{series}_on_survey_{when}", series, f"survey_{when}", s.unit,
                               f"{s.description}, on the day of the {en} survey "
                               "([observed] dates it; without a date, the run's "
                               f"{'first' if when == 'start' else 'last'} day)",
                               f"{s.label_en} ({en} survey)", f"{s.label_es} ({es} encuesta)",
                               s.display))
    for name, series in end_only.items():
        s = SERIES[series]
        observed = "severe_violence_per_100k" if name == "severe_violence_per_100k_end" else None
        out.append(Outcome(name, series, "end", s.unit, f"{s.description}, at the end of the "
                           "run", s.label_en, s.label_es, s.display, observed=observed))
    s = SERIES["cost_usd"]
    out.append(Outcome("cost_usd_total", "cost_usd", "end", s.unit, "Cost of every "
                       "intervention over the run", "cost", "costo", MUSD))
    out.append(Outcome("capital_usd_total", "cost_capital_usd", "end", s.unit, "Capital cost "
                       "of every intervention over the run (part of cost_usd_total)",
                       "capital cost", "inversión", MUSD))
    for m, (m_en, m_es) in MEASURES.items():
        for g, (g_en, g_es) in GROUP_LABELS.items():
            s = SERIES[f"safe_{m}_{g}"]
            out.append(Outcome(f"safe_{m}_{g}_end", s.name, "end", s.unit,
                               f"{s.description}, at the end of the run", s.label_en,
                               s.label_es, SHARE))
    for name in ("safe_public", "safe_neighbourhood"):
        s = SERIES[name]
        out.append(Outcome(f"{name}_change", name, "change", "share 0-1 (end minus start)",
                           f"Change in the {s.description[0].lower()}{s.description[1:]} "
                           "from the start to the end of the run", f"Δ {s.label_en}",
                           f"Δ {s.label_es}", POINTS))
    for name, entry in INTERVENTIONS.items():
        out.append(Outcome(f"cost_usd_{name}", None, "total", "US$", f"Cost of {entry.label_en} "
                           "over the run", f"cost: {entry.label_en}",
                           f"costo: {entry.label_es}", MUSD))
    return {o.name: o for o in out}


OUTCOMES: dict[str, Outcome] = _outcomes()
"""Every scalar outcome of a run, in the order summaries list them."""


def run_outcomes(ts: pd.DataFrame, cost_by: dict[str, float] | None = None,
                 survey_days: dict[str, int | None] | None = None) -> dict[str, float]:
    """The scalar outcomes of one run from its collected series (first and last rows, and
    the rows of the survey days: ``Scenario.survey_days``, the run's first and last day
    by default; NaN for a survey the run does not reach) and the timeline's costs per
    intervention."""
    first, last = ts.iloc[0], ts.iloc[-1]
    surveyed = {when: _row_on(ts, day) for when, day in
                (survey_days or {"start": 0, "end": int(ts["step"].iloc[-1])}).items()}
    out = {}
    for o in OUTCOMES.values():
        match o.at:
            case "start":
                out[o.name] = float(first[o.series])
            case "end":
                out[o.name] = float(last[o.series])
            case "survey_start" | "survey_end":
                row = surveyed[o.at.removeprefix("survey_")]
                out[o.name] = float("nan") if row is None else float(row[o.series])
            case "change":
                out[o.name] = float(last[o.series]) - float(first[o.series])
            case "total":
                out[o.name] = float((cost_by or {}).get(o.name.removeprefix("cost_usd_"), 0.0))
    return out


def _row_on(ts: pd.DataFrame, day: int | None):
    """The last recorded row on or before ``day`` (None for no day)."""
    if day is None:
        return None
    return ts.iloc[int(np.searchsorted(ts["step"].to_numpy(), day, side="right")) - 1]


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
        self.groups = {"": np.ones(pop.n, dtype=bool),
                       **{f"_{g}": getattr(pop, a) == v for g, (a, v) in GROUPS.items()}}
        self.incidents_12m = {phase: Rolling() for phase in ("", "_day", "_night")}
        self.severe_expected_12m = Rolling()
        self.severe_events_12m = Rolling()
        self.severe_men_12m = Rolling()
        # This month's counts per barrio: incidents where they happened, by phase, and
        # arrests of residents by home barrio.
        self.month_counts = {name: np.zeros(model.city.n)
                             for name in ("incidents_day", "incidents_night", "arrests")}
        self.month_start = 0  # first day of the month the panel is accumulating
        self.month_police = {name: np.zeros(model.city.n, dtype=bool)
                             for name in ("patrol_units", "police_operations")}
        self.panel: list[dict] = []
        self.values: dict[str, float] = dict.fromkeys(REPORTERS, 0.0)
        self.day_counts = {"incidents": 0.0, "incidents_day": 0.0, "incidents_night": 0.0,
                           "arrests": 0, "active_offenders": 0}
        self.survey_samples = (np.empty(0, dtype=np.int64),) * 2

    def draw_survey(self):
        """Today's survey samples (public spaces, neighbourhood). Drawn every day, recorded
        or not, so that what a run records never changes its random stream."""
        m = self.model
        n, size = m.population.n, m.config.run.survey_sample_size
        self.survey_samples = tuple(survey_sample(n, size, m.rng) for _ in range(2))

    def record_day(self, by_day: np.ndarray, by_night: np.ndarray, severe_expected: float,
                   severe_events: int, severe_men: float = 0.0):
        """Tally one day's incidents per barrio, by phase, and its severe violence (of it,
        ``severe_men`` against men)."""
        day, night = float(by_day.sum()), float(by_night.sum())
        for phase, count in (("", day + night), ("_day", day), ("_night", night)):
            self.incidents_12m[phase].add(count)
            self.day_counts[f"incidents{phase}"] = count
        self.severe_expected_12m.add(severe_expected)
        self.severe_events_12m.add(severe_events)
        self.severe_men_12m.add(severe_men)
        self.month_counts["incidents_day"] += by_day
        self.month_counts["incidents_night"] += by_night

    def record_arrests(self, arrested: np.ndarray):
        """Tally today's arrests by the home barrio of the arrested."""
        if len(arrested):
            np.add.at(self.month_counts["arrests"], self.model.population.home[arrested], 1)

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
        victimized = (pop.last_victimized > m.day - 365).astype(np.float32)
        shares = self.group_matrix @ victimized / self.group_sizes
        v["victimization_12m"] = np.count_nonzero(victimized) / n
        for g, share in zip(GROUPS, shares[1:]):
            v[f"victimization_12m_{g}"] = share
        for phase in ("", "_day", "_night"):
            v[f"incidents{phase}"] = self.day_counts[f"incidents{phase}"]
            v[f"incidents{phase}_per_100k_12m"] = self.incidents_12m[phase].annual() * per_100k
        v["severe_violence_per_100k_12m"] = self.severe_expected_12m.annual() * per_100k
        v["severe_events_per_100k_12m"] = self.severe_events_12m.annual() * per_100k
        severe = self.severe_expected_12m.annual()
        v["severe_violence_men_share_12m"] = self.severe_men_12m.annual() / severe if severe else 0.0
        v["active_offenders"] = self.day_counts["active_offenders"]
        v["arrests"] = self.day_counts["arrests"]
        v["detained"] = np.count_nonzero(pop.detained_until > m.day)
        v["committee_members"] = np.count_nonzero(pop.committee_member) / n
        v["committees"] = len(m.committees)
        weights = m.city.layer("population")
        v["legitimacy"] = float(m.city.layer("legitimacy") @ weights / weights.sum())
        v["night_outings"] = np.count_nonzero(pop.went_out_tonight) / n
        v["night_lighting"] = float(m.city.layer("lit_at_night") @ weights / weights.sum())
        v["police_presence"] = float(m.city.layer("police_presence").sum())
        v["cost_usd"] = m.timeline.cost_usd
        v["cost_capital_usd"] = m.timeline.capital_usd
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
        m = self.model
        valid = m.valid_barrios
        row = {"barrio_id": valid, "month": np.full(len(valid), month),
               "residents": m.population.residents_per_barrio[valid]}
        day, night = self.month_counts["incidents_day"], self.month_counts["incidents_night"]
        row["incidents"] = (day + night)[valid].astype(np.int64)
        row["incidents_day"] = day[valid].astype(np.int64)
        row["incidents_night"] = night[valid].astype(np.int64)
        row["arrests"] = self.month_counts["arrests"][valid].astype(np.int64)
        row["legitimacy"] = m.city.layer("legitimacy")[valid].copy()
        row["safe_neighbourhood"] = self.barrio_safety()[valid]
        row.update(self._residents_by_group(valid))
        for name in INTERVENTIONS:
            active = self.month_police.get(name, m.timeline.treated[name])
            row[name] = active[valid].copy()
        self.panel.append(row)
        for counts in self.month_counts.values():
            counts[:] = 0
        for mask in self.month_police.values():
            mask[:] = False
        self.month_start = m.day

    def _residents_by_group(self, valid: np.ndarray) -> dict[str, np.ndarray]:
        """Per home barrio and group (everyone, women, men, youth, migrants): residents,
        residents victimized this month (each once), and shares feeling safe in public
        spaces and in the neighbourhood (NaN without residents of the group)."""
        m, pop = self.model, self.model.population
        thr, n_b = m.params.safe_threshold, m.city.n
        victim = pop.last_victimized >= self.month_start
        safe = {"public": pop.safe_public > thr, "neighbourhood": pop.safe_neighbourhood > thr}
        out = {}
        for suffix, member in self.groups.items():
            residents = np.bincount(pop.home, weights=member, minlength=n_b)
            if suffix:
                out[f"residents{suffix}"] = residents[valid].astype(np.int32)
            out[f"victims{suffix}"] = np.bincount(pop.home, weights=member & victim,
                                                  minlength=n_b)[valid].astype(np.int32)
            for measure, feels in safe.items():
                key = f"safe_{measure}{suffix}"
                if key == "safe_neighbourhood":
                    continue  # the barrio_safety column
                count = np.bincount(pop.home, weights=member & feels, minlength=n_b)
                out[key] = np.divide(count, residents, out=np.full(n_b, np.nan),
                                     where=residents > 0)[valid]
        return out

    def barrio_panel(self) -> pd.DataFrame:
        if not self.panel:
            return pd.DataFrame(columns=PANEL_COLUMNS)
        return pd.DataFrame({c: np.concatenate([r[c] for r in self.panel]) for c in PANEL_COLUMNS})


PANEL_COLUMNS = ["barrio_id", "month", "residents", "incidents", "incidents_day",
                 "incidents_night", "arrests", "legitimacy", "safe_neighbourhood", "victims",
                 "safe_public",
                 *[f"{what}_{g}" for g in GROUPS
                   for what in ("residents", "victims", "safe_public", "safe_neighbourhood")],
                 *INTERVENTIONS]
"""The monthly barrio panel: one row per barrio and month since the start. Incidents are
where they happened (by phase); arrests (residents arrested that month), residents,
victims (residents victimized that month, each once) and shares feeling safe are by home
barrio, for everyone and for each group; legitimacy is the barrio's at the month's end; each
intervention's flag says whether it covered the barrio that month (patrols and
operations: whether they went there)."""
