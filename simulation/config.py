"""The scenario schema: what a scenario file may say, with types, ranges and defaults.

Pure validation (pydantic), no file access: ``experiments.scenario_files`` reads TOML,
resolves ``extend`` and turns validation errors into one-line messages naming the file.

Vocabulary (after EMA Workbench): the intervention settings are **levers** (what a city
sets; their registry is ``simulation.interventions``); the ``[parameters]`` table holds
**uncertainties** (behaviour nobody controls, ``simulation.parameters``); the model reports
**outcomes** (``simulation.outcomes``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import Field, create_model, field_validator, model_validator

from simulation.interventions import INTERVENTIONS, InterventionSettings
from simulation.parameters import check_parameter
from simulation.schema import StrictModel

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
"""Scenario and study names: they name output folders, so no separators or spaces."""
EARLIEST, LATEST = date(1900, 1, 1), date(2200, 12, 31)
"""The calendar a run may start in: burn-in and run stay inside what dates and
timestamps can represent."""
MIN_AGENTS = 100
"""Fewest resident agents a city may have (population / inhabitants_per_agent): below
this there is no one to survey and the group shares are noise."""


class RunConfig(StrictModel):
    start: date = date(2023, 1, 1)
    years: float = Field(3.0, gt=0, le=30)
    seed: int = Field(42, ge=0)
    replications: int = Field(1, ge=1, le=10_000)
    burn_in_days: int = Field(180, ge=0, le=3650)
    survey_sample_size: int = Field(1200, ge=10, le=1_000_000)

    @field_validator("start")
    @classmethod
    def _calendar(cls, value: date) -> date:
        if not EARLIEST <= value <= LATEST:
            raise ValueError(f"expected a date between {EARLIEST} and {LATEST}, found {value}")
        return value

    @field_validator("years")
    @classmethod
    def _at_least_a_day(cls, value: float) -> float:
        if round(value * 365) < 1:
            raise ValueError(f"expected at least one day (years >= {0.5 / 365:.4f}), "
                             f"found {value:g} years")
        return value

    @property
    def n_days(self) -> int:
        return int(round(self.years * 365))

    @property
    def end(self) -> date:
        """The last simulated day's end (the date of the last recorded step)."""
        return self.start + timedelta(days=self.n_days)


class CityConfig(StrictModel):
    population: int = Field(2_800_000, ge=1000, le=50_000_000)
    inhabitants_per_agent: float = Field(100.0, ge=1, le=100_000)
    width: int = Field(20, ge=2, le=500)
    height: int = Field(60, ge=2, le=500)
    layout_seed: int = Field(2023, ge=0, le=2**32 - 1)
    # Patrol units and operations a year are stated as counts for a city of this many
    # people (Quito's 2.8 million: 40 units); a reduced city (smaller ``population``) gets
    # proportionally fewer, so police per resident, and so police effects, stay the same.
    counts_for_population: int = Field(2_800_000, ge=1000, le=50_000_000)
    disadvantage_shift: float = Field(0.0, ge=-1, le=1)
    barrio_file: str | None = None

    @model_validator(mode="after")
    def _enough_agents(self):
        if self.population / self.inhabitants_per_agent < MIN_AGENTS:
            raise ValueError(
                f"expected at most {self.population / MIN_AGENTS:g} inhabitants per agent "
                f"(population {self.population:,} must give at least {MIN_AGENTS} resident "
                f"agents), found {self.inhabitants_per_agent:g}")
        return self

    @property
    def count_scale(self) -> float:
        """This city's share of counts stated for ``counts_for_population`` people."""
        return self.population / self.counts_for_population


class _InterventionTable(StrictModel):
    def active(self) -> dict[str, InterventionSettings]:
        """The enabled interventions, by name, in the registry's order."""
        out = {}
        for name in INTERVENTIONS:
            item = getattr(self, name)
            if item is not None and item.enabled:
                out[name] = item
        return out


Interventions = create_model(
    "Interventions", __base__=_InterventionTable, __doc__="Every intervention's settings "
    "(absent: off), one field per entry of ``simulation.interventions.INTERVENTIONS``.",
    **{name: (entry.settings | None, None) for name, entry in INTERVENTIONS.items()})


class Observed(StrictModel):
    """Survey figures to show next to the simulation (shares 0-1; rate per 100,000).

    ``*_start`` figures come from a first survey, ``*_end`` ones from a second; their
    fieldwork dates (``start_date``, ``end_date``) say on which day of the run the model's
    shares are set beside them (the ``*_on_survey_start``/``*_on_survey_end`` outcomes).
    Without a date, the run's first or last day."""

    safe_public_start: float | None = Field(None, ge=0, le=1)
    safe_public_end: float | None = Field(None, ge=0, le=1)
    safe_neighbourhood_start: float | None = Field(None, ge=0, le=1)
    safe_neighbourhood_end: float | None = Field(None, ge=0, le=1)
    victimization_12m_start: float | None = Field(None, ge=0, le=1)
    victimization_12m_end: float | None = Field(None, ge=0, le=1)
    severe_violence_per_100k: float | None = Field(None, ge=0, le=1000)
    start_date: date | None = None
    end_date: date | None = None
    source: str = ""

    @model_validator(mode="after")
    def _dates_in_order(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError(f"expected end_date on or after start_date ({self.start_date}), "
                             f"found {self.end_date}")
        return self


class PowerCut(StrictModel):
    """A period of scheduled power cuts (``simulation.power_cuts``): from ``start`` to
    ``end`` (both included), ``night_dark_share`` of the night's hours without power,
    on average over barrios."""

    start: date
    end: date
    night_dark_share: float = Field(ge=0, le=1)
    source: str = ""

    @model_validator(mode="after")
    def _dates_in_order(self):
        if self.end < self.start:
            raise ValueError(f"expected end on or after start ({self.start}), found {self.end}")
        return self


class Scenario(StrictModel):
    name: str = Field("scenario", pattern=NAME)
    description: str = ""
    title: str = Field("", max_length=80)
    """A human name for reports and the workshop ("Lighting only"); "" shows ``name``."""
    title_es: str = Field("", max_length=80)
    """The same in Spanish; "" falls back to ``title``."""
    kind: Literal["mix", "parameters", "menu"] = "mix"
    """What the file is: an intervention ``mix`` a city could run (the workshop offers
    these), a set of ``parameters`` for others to extend (calibrated values), or a priced
    ``menu`` switched off for budget experiments."""
    run: RunConfig = RunConfig()
    city: CityConfig = CityConfig()
    parameters: dict[str, float] = Field(default_factory=dict)
    interventions: Interventions = Interventions()
    observed: Observed = Observed()
    power_cuts: list[PowerCut] = Field(default_factory=list)
    """Periods of power cuts, in date order, not overlapping (``simulation.power_cuts``)."""

    @field_validator("parameters", mode="before")
    @classmethod
    def _check_parameters(cls, value):
        if not isinstance(value, dict):
            return value
        out = {}
        for key, v in value.items():
            check_parameter(key, v)  # ValueError saying what was expected and found
            out[key] = float(v)
        return out

    @field_validator("power_cuts")
    @classmethod
    def _cuts_in_order(cls, cuts: list[PowerCut]) -> list[PowerCut]:
        for earlier, later in zip(cuts, cuts[1:]):
            if later.start <= earlier.end:
                raise ValueError(f"expected periods in date order, each starting after the "
                                 f"one before ends ({earlier.end}), found one starting "
                                 f"{later.start}")
        return cuts

    def survey_days(self) -> dict[str, int | None]:
        """The days of the run (since its start) the first and second surveys were taken
        on, ``{"start": ..., "end": ...}``: the run's first and last day without a date,
        ``None`` for a date the run does not reach (a shortened or shifted run)."""
        out = {}
        for when, day in (("start", self.observed.start_date), ("end", self.observed.end_date)):
            if day is None:
                out[when] = self.n_days if when == "end" else 0
            else:
                offset = (day - self.run.start).days
                out[when] = offset if 0 <= offset <= self.n_days else None
        return out

    @property
    def n_days(self) -> int:
        return self.run.n_days
