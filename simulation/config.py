"""The scenario schema: what a scenario file may say, with types, ranges and defaults.

Pure validation (pydantic), no file access: ``experiments.scenario_files`` reads TOML,
resolves ``extend`` and turns validation errors into one-line messages naming the file.

Vocabulary (after EMA Workbench): the intervention settings are **levers** (what a city
sets); the ``[parameters]`` table holds **uncertainties** (behaviour nobody controls, see
``simulation.parameters``); the model reports **outcomes**.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulation.parameters import check_parameter

INTERVENTIONS = (
    "street_lighting",
    "public_space_recovery",
    "sports_programmes",
    "safety_committees",
    "upc_posts",
    "patrol_units",
    "police_operations",
    "cero_acoso",
    "youth_prevention",
    "migrant_inclusion",
)
"""Every intervention a scenario can switch on, in a fixed order (panel columns, costs)."""

COST_UNITS = {
    "street_lighting": "US$ per treated barrio per year (installation amortised + upkeep)",
    "public_space_recovery": "US$ per treated barrio per year",
    "sports_programmes": "US$ per treated barrio per year",
    "safety_committees": "US$ per committee per year",
    "upc_posts": "US$ per UPC post per year",
    "patrol_units": "US$ per patrol unit per year",
    "police_operations": "US$ per coordinated operation",
    "cero_acoso": "US$ per treated barrio per year",
    "youth_prevention": "US$ per treated barrio per year",
    "migrant_inclusion": "US$ per treated barrio per year",
}

Indicator = Literal["disadvantage", "disorder", "darkness", "incidents", "fear", "population"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RunConfig(_Strict):
    start: date = date(2023, 1, 1)
    years: float = Field(3.0, gt=0, le=30)
    seed: int = Field(42, ge=0)
    replications: int = Field(1, ge=1, le=10_000)
    burn_in_days: int = Field(180, ge=0, le=3650)
    survey_sample_size: int = Field(1200, ge=10, le=1_000_000)

    @field_validator("years", mode="before")
    @classmethod
    def _int_years(cls, v):
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


class CityConfig(_Strict):
    population: int = Field(2_800_000, ge=1000, le=50_000_000)
    inhabitants_per_agent: float = Field(100.0, ge=1, le=100_000)
    width: int = Field(20, ge=2, le=500)
    height: int = Field(60, ge=2, le=500)
    layout_seed: int = Field(2023, ge=0)
    # Patrol units and operations a year are stated as counts for a city of this many
    # people (Quito's 2.8 million: 40 units); a reduced city (smaller ``population``) gets
    # proportionally fewer, so police per resident, and so police effects, stay the same.
    counts_for_population: int = Field(2_800_000, ge=1000, le=50_000_000)
    disadvantage_shift: float = Field(0.0, ge=-1, le=1)
    barrio_file: str | None = None

    @field_validator("inhabitants_per_agent", mode="before")
    @classmethod
    def _int_scale(cls, v):
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @property
    def count_scale(self) -> float:
        """This city's share of counts stated for ``counts_for_population`` people."""
        return self.population / self.counts_for_population


class Intervention(_Strict):
    """A lever on the timeline: from ``start`` it ramps up over ``ramp_months`` to cover
    ``intensity`` (a share of barrios, or of the stated units), chosen by ``targeting``.

    ``ramp_from`` is the share of the full intensity already in place before ``start`` (a
    programme that exists and is expanded); 0 means the programme begins at ``start``."""

    enabled: bool = True
    start: date = date(2023, 1, 1)
    end: date | None = None
    ramp_months: float = Field(6.0, ge=0, le=240)
    ramp_from: float = Field(0.0, ge=0, le=1)
    intensity: float = Field(0.5, ge=0, le=1)
    targeting: Literal["worst_first", "random", "list"] = "worst_first"
    indicator: Indicator = "disadvantage"
    barrios: list[int] = Field(default_factory=list)
    unit_cost_usd: float = Field(0.0, ge=0, le=1e10)

    @field_validator("ramp_months", "ramp_from", "intensity", "unit_cost_usd", mode="before")
    @classmethod
    def _int_to_float(cls, v):
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _consistent(self):
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if self.targeting == "list" and not self.barrios:
            raise ValueError("targeting = 'list' needs a non-empty 'barrios' list")
        return self


class PatrolUnits(Intervention):
    units: int = Field(40, ge=0, le=100_000)
    strategy: Literal["random", "hot_spots", "committee_requests"] = "hot_spots"
    indicator: Indicator = "incidents"


class PoliceOperations(Intervention):
    per_year: float = Field(1600.0, ge=0, le=1e6)
    heavy_handedness: float = Field(0.2, ge=0, le=1)
    indicator: Indicator = "incidents"

    @field_validator("per_year", "heavy_handedness", mode="before")
    @classmethod
    def _int_to_float2(cls, v):
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


class Interventions(_Strict):
    street_lighting: Intervention | None = None
    public_space_recovery: Intervention | None = None
    sports_programmes: Intervention | None = None
    safety_committees: Intervention | None = None
    upc_posts: Intervention | None = None
    patrol_units: PatrolUnits | None = None
    police_operations: PoliceOperations | None = None
    cero_acoso: Intervention | None = None
    youth_prevention: Intervention | None = None
    migrant_inclusion: Intervention | None = None

    def active(self) -> dict[str, Intervention]:
        """The enabled interventions, by name, in the fixed order of INTERVENTIONS."""
        out = {}
        for name in INTERVENTIONS:
            item = getattr(self, name)
            if item is not None and item.enabled:
                out[name] = item
        return out


class Observed(_Strict):
    """Survey figures to show next to the simulation (shares 0-1; rate per 100,000)."""

    safe_public_start: float | None = Field(None, ge=0, le=1)
    safe_public_end: float | None = Field(None, ge=0, le=1)
    safe_neighbourhood_start: float | None = Field(None, ge=0, le=1)
    safe_neighbourhood_end: float | None = Field(None, ge=0, le=1)
    severe_violence_per_100k: float | None = Field(None, ge=0, le=1000)
    source: str = ""


class Scenario(_Strict):
    name: str = "scenario"
    description: str = ""
    run: RunConfig = RunConfig()
    city: CityConfig = CityConfig()
    parameters: dict[str, float] = Field(default_factory=dict)
    interventions: Interventions = Interventions()
    observed: Observed = Observed()

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

    @property
    def n_days(self) -> int:
        return int(round(self.run.years * 365))
