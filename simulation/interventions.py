"""The interventions a scenario can switch on (the levers), in one registry.

Each entry says what the intervention is in the model: the schema of its scenario table
(``[interventions.NAME]``), what one unit of it is (what its intensity counts and what
``unit_cost_usd`` prices), the barrios it goes to first by default, whether committees'
exploratory walks steer it, and its names in Spanish and English. Mechanisms read an
intervention's coverage from the timeline (``model.treated(name)``, ``simulation.timeline``);
the command line, reports, budgets and the workshop read this registry. Adding an
intervention is an entry here, its mechanism, a scenario and a test (docs/extending.md).

The registry's order is fixed: it is the order of the barrio panel's columns and of the
random draws the timeline makes at set-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, ValidationError, model_validator

from simulation.schema import StrictModel

Indicator = Literal["disadvantage", "disorder", "darkness", "incidents", "fear", "population"]
"""What "worst first" targeting ranks barrios by (recomputed monthly; ``model.indicator``)."""


class InterventionSettings(StrictModel):
    """A lever on the timeline: from ``start`` it ramps up over ``ramp_months`` to cover
    ``intensity`` (a share of barrios, or of the stated units), chosen by ``targeting``.

    ``ramp_from`` is the share of the full intensity already in place before ``start`` (a
    programme that exists and is expanded); 0 means the programme begins at ``start``.
    ``before`` holds the values of the settings that are not a quantity (a patrol
    strategy, heavy-handedness) in force before ``start``: a scenario that changes how an
    existing programme works says so from its start date, and until then runs exactly as
    the scenario it extends (strict common random numbers)."""

    DATED: ClassVar[tuple[str, ...]] = ()
    """The settings ``before`` may give."""

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
    capital_cost_usd: float = Field(0.0, ge=0, le=1e10)
    before: dict[str, str | float | int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self):
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if self.targeting == "list" and not self.barrios:
            raise ValueError("targeting = 'list' needs a non-empty 'barrios' list")
        unknown = [k for k in self.before if k not in self.DATED]
        if unknown:
            allowed = ", ".join(self.DATED) or "none for this intervention"
            raise ValueError(f"before may give {allowed}; found {', '.join(unknown)}")
        if self.before:  # the values must be valid settings themselves
            try:
                type(self).model_validate({**self.model_dump(exclude={"before"}), **self.before})
            except ValidationError as exc:
                error = exc.errors(include_url=False)[0]
                raise ValueError(f"before.{error['loc'][0]}: {error['msg']}, found "
                                 f"{error['input']!r}") from None
        return self

    def cost_over(self, years: float) -> float:
        """US$ for one unit over ``years``: its capital once and its running cost a year
        (for operations, priced one by one: one operation a year)."""
        return self.capital_cost_usd + self.unit_cost_usd * years

    def setting(self, key: str, today: date):
        """The value of ``key`` in force on ``today`` (``before`` it until ``start``)."""
        if today < self.start and key in self.before:
            return self.before[key]
        return getattr(self, key)


class PatrolSettings(InterventionSettings):
    DATED: ClassVar[tuple[str, ...]] = ("strategy",)
    units: int = Field(40, ge=0, le=100_000)
    strategy: Literal["random", "hot_spots", "committee_requests"] = "hot_spots"
    indicator: Indicator = "incidents"


class OperationSettings(InterventionSettings):
    DATED: ClassVar[tuple[str, ...]] = ("heavy_handedness",)
    per_year: float = Field(1600.0, ge=0, le=1e6)
    heavy_handedness: float = Field(0.2, ge=0, le=1)
    indicator: Indicator = "incidents"


@dataclass(frozen=True)
class Intervention:
    """A registry entry.

    ``counts`` says what intensity 1 means: ``barrios`` (every barrio of the city, one
    unit per treated barrio: a lit barrio, a committee, a post), ``units`` (the stated
    patrol ``units``) or ``per_year`` (the stated operations a year); stated counts are for
    ``city.counts_for_population`` people and scale with the city (``count_scale``)."""

    name: str
    settings: type[InterventionSettings]
    unit: str                   # one unit: what intensity counts and unit_cost_usd prices
    cost_unit: str              # what unit_cost_usd is
    counts: Literal["barrios", "units", "per_year"]
    label_en: str
    label_es: str
    steered_by_walks: bool = False  # committees' exploratory walks put their barrio first

    @property
    def indicator(self) -> str:
        """The targeting indicator when the scenario names none."""
        return self.settings.model_fields["indicator"].default

    def label(self, lang: str = "en") -> str:
        return self.label_es if lang == "es" else self.label_en

    def full_units(self, settings: InterventionSettings, n_barrios: int, count_scale: float) -> float:
        """What intensity 1 means in units: barrios, patrol units, or operations a year."""
        match self.counts:
            case "barrios":
                return float(n_barrios)
            case "units":
                return settings.units * count_scale
            case "per_year":
                return settings.per_year * count_scale


def _barrio(name, unit, cost_unit, en, es, **kw) -> Intervention:
    return Intervention(name, InterventionSettings, unit, cost_unit, "barrios", en, es, **kw)


_PER_BARRIO = "US$ per treated barrio per year"
INTERVENTIONS: dict[str, Intervention] = {i.name: i for i in (
    _barrio("street_lighting", "lit barrio",
            "US$ per treated barrio per year (installation amortised + upkeep)",
            "Street lighting", "Alumbrado público", steered_by_walks=True),
    _barrio("public_space_recovery", "recovered barrio", _PER_BARRIO,
            "Public-space recovery", "Recuperación de espacios públicos", steered_by_walks=True),
    _barrio("sports_programmes", "barrio with a sports programme", _PER_BARRIO,
            "Youth sports (Copa Wambras)", "Deporte juvenil (Copa Wambras)"),
    _barrio("safety_committees", "committee", "US$ per committee per year",
            "Safety committees (Barrios por la Vida)", "Comités de seguridad (Barrios por la Vida)"),
    _barrio("upc_posts", "UPC post", "US$ per UPC post per year",
            "UPC community police posts", "UPC (policía comunitaria)"),
    Intervention("patrol_units", PatrolSettings, "patrol unit", "US$ per patrol unit per year",
                 "units", "Patrol units", "Patrulleros"),
    Intervention("police_operations", OperationSettings, "operation",
                 "US$ per coordinated operation", "per_year", "Coordinated operations",
                 "Operativos coordinados"),
    _barrio("cero_acoso", "barrio with Cero Acoso", _PER_BARRIO,
            "Cero Acoso (zero harassment)", "Cero Acoso"),
    _barrio("youth_prevention", "barrio with youth prevention", _PER_BARRIO,
            "Youth prevention", "Prevención juvenil"),
    _barrio("migrant_inclusion", "barrio with inclusion services", _PER_BARRIO,
            "Migrant inclusion", "Inclusión de migrantes"),
)}
"""Every intervention, by scenario key, in the fixed order."""
