"""What the workshop page computes, without any UI: the fixed list of scenarios, input
validation, the settings a participant changes (scenario, seed, intensities), the model
built from them, the map layers and a short reading of the current state.

Inputs from the page are never trusted: every value goes through a ``check_*`` function,
which returns a clean value or raises ``InputError`` (the page shows its message and keeps
running). Scenario names are looked up in ``SCENARIO_NAMES``, the intervention mixes
(``kind = "mix"``) found in ``scenarios/`` when the app starts; no path from the page is
ever opened. A scenario's human name is its file's ``title`` / ``title_es``
(``scenario_label``), the one vocabulary the reports use too.

Nothing here changes the model's code or its state: map layers are computed from public
state (``model.population``, ``model.city.layer``, ``model.police``, ``model.committees``).
"""

from __future__ import annotations

import copy
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from experiments.files import BadInput
from experiments.scenario_files import LoadedScenario, load_scenario, scenario_title
from simulation import BarriosModel
from simulation.config import Interventions, Scenario
from simulation.interventions import INTERVENTIONS
from simulation.timeline import ramp_fraction
from workshop.turns import STEPPING

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "scenarios"
TEMPLATE = "quito_2023_2025"
"""Where an intervention a scenario lacks takes its settings (timing, targeting, unit cost)."""
BASELINE = "baseline_2023"
DEFAULT_SCENARIO = "quito_2023_2025"
DEFAULT_SEED = 42
MAX_SEED = 2**32 - 1
DEFAULT_RAMP_MONTHS = 6.0
MIN_SCALE, MAX_SCALE = 1.0, 100_000.0

MAP_LAYERS = ("safety", "incidents", "lighting", "committees", "police")
"""Map layers, in picker order: perceived safety (share of residents feeling safe in their
neighbourhood, computed daily from the residents), incidents per 1,000 residents in the
last 30 days, street lighting, committee-built collective efficacy, police presence."""
LAYER_RANGE = {"safety": (0.0, 1.0), "lighting": (0.0, 1.0), "committees": (0.0, 1.0),
               "incidents": (0.0, 10.0), "police": (0.0, 3.0)}
LAYER_COLORMAP = {"safety": "RdYlGn", "incidents": "Reds", "lighting": "cividis",
                  "committees": "Greens", "police": "Blues"}

STEP_CHUNK_DAYS = 30
"""Days a model steps in one turn (``workshop.turns``): about a tenth of a second."""
PRISTINE_MODELS = 4
"""Built models kept unstepped for copying (``fresh_model``), 16-35 MB each."""

SPEEDS = (1, 3, 7, 14, 30)
"""Days simulated between two screen updates while playing."""
DEFAULT_SPEED = 7


class InputError(ValueError):
    """A value from the page that is not acceptable. ``key`` names the message in
    ``workshop.i18n`` (the page shows it translated); ``values`` fill it in."""

    def __init__(self, key: str, **values):
        super().__init__(f"{key}: {values}")
        self.key, self.values = key, values


def _scan_scenarios(folder: Path | None = None) -> tuple[str, ...]:
    """The intervention mixes in ``folder`` (file names without ``.toml``): files whose
    ``kind`` is "mix" (the default). A set of parameter values (``calibrated.toml``) or the
    budget menu is not a mix a participant could pick. A file that does not load stays in
    the list, so picking it shows its error instead of hiding it."""
    names = []
    for path in sorted((folder or SCENARIO_DIR).glob("*.toml")):
        if not path.is_file():
            continue
        try:
            kind = load_scenario(path).scenario.kind
        except BadInput:
            kind = "mix"
        if kind == "mix":
            names.append(path.stem)
    return tuple(names)


SCENARIO_NAMES: tuple[str, ...] = _scan_scenarios()
"""The intervention mixes in ``scenarios/`` (file names without ``.toml``), fixed when the
app starts. The page can only pick one of these."""


# --- validation -------------------------------------------------------------------------


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, np.number)):
        raise TypeError
    number = float(value)
    if not math.isfinite(number):
        raise ValueError
    return number


def check_scenario(name) -> str:
    """A scenario name from the fixed list, or InputError (never a path)."""
    if not isinstance(name, str) or name not in SCENARIO_NAMES:
        raise InputError("error_scenario", found=str(name)[:60])
    return name


def check_intervention(name) -> str:
    if not isinstance(name, str) or name not in INTERVENTIONS:
        raise InputError("error_intervention", found=str(name)[:60])
    return name


def check_intensity(value) -> float:
    """A share in [0, 1]."""
    try:
        number = _number(value)
    except (TypeError, ValueError):
        raise InputError("error_intensity", found=str(value)[:60]) from None
    if not 0.0 <= number <= 1.0:
        raise InputError("error_intensity", found=f"{number:g}")
    return number


def check_seed(value) -> int:
    """A whole number in [0, 2**32 - 1] (typed in the page as text or a number)."""
    try:
        if isinstance(value, str):
            value = value.strip()
            if not value.isdigit():
                raise ValueError
        number = _number(value)
        if number != int(number):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise InputError("error_seed", found=str(value)[:60]) from None
    if not 0 <= number <= MAX_SEED:
        raise InputError("error_seed", found=str(value)[:60])
    return int(number)


def check_scale(value) -> float:
    """Inhabitants per agent, as the scenario schema allows."""
    try:
        number = _number(value)
    except (TypeError, ValueError):
        raise InputError("error_scale", found=str(value)[:60]) from None
    if not MIN_SCALE <= number <= MAX_SCALE:
        raise InputError("error_scale", found=f"{number:g}")
    return number


def check_layer(value) -> str:
    if not isinstance(value, str) or value not in MAP_LAYERS:
        raise InputError("error_layer", found=str(value)[:60])
    return value


def check_speed(value) -> int:
    try:
        number = _number(value)
    except (TypeError, ValueError):
        raise InputError("error_speed", found=str(value)[:60]) from None
    if number not in SPEEDS:
        raise InputError("error_speed", found=f"{number:g}")
    return int(number)


# --- scenarios and settings ---------------------------------------------------------------


@lru_cache(maxsize=None)
def load_named(name: str) -> LoadedScenario:
    """Load a shipped scenario by name (from the fixed list only)."""
    name = check_scenario(name)
    try:
        return load_scenario(SCENARIO_DIR / f"{name}.toml")
    except BadInput as error:
        raise InputError("error_scenario_file", found=str(error)[:200]) from None


def scenario_label(name: str, lang: str) -> str:
    """A scenario's human name in ``lang``: its file's ``title_es`` / ``title`` (the file
    name when it has none, or when it does not load)."""
    try:
        return scenario_title(load_named(name).scenario, lang)
    except InputError:
        return str(name)


def _largest(name: str, attribute: str) -> float:
    """The largest ``units`` / ``per_year`` of an intervention among the shipped scenarios
    (and its default)."""
    values = [getattr(INTERVENTIONS[name].settings(), attribute)]
    for scenario in SCENARIO_NAMES:
        try:
            cfg = getattr(load_named(scenario).scenario.interventions, name)
        except InputError:
            continue
        if cfg is not None:
            values.append(getattr(cfg, attribute))
    return float(max(values))


@lru_cache(maxsize=None)
def full_levels() -> dict[str, tuple[str, float]]:
    """What intensity 1 means in the app for interventions counted in stated units
    (patrol units, operations a year: the registry's ``counts``): the largest level in any
    shipped scenario (e.g. mano dura's 160 units and 4,000 operations a year), so a slider
    can reach it from any scenario."""
    return {name: (entry.counts, _largest(name, entry.counts))
            for name, entry in INTERVENTIONS.items() if entry.counts != "barrios"}


def normalise(scenario: Scenario) -> Scenario:
    """The same scenario with patrols and operations re-expressed on the app's scale
    (``units`` or ``per_year`` = ``full_levels()``, intensity scaled down to match): the
    model runs exactly as before (units x intensity and per_year x intensity are unchanged;
    ``ramp_from`` is a share of the intensity, so it stays)."""
    update = {}
    for name, (attribute, full) in full_levels().items():
        cfg = getattr(scenario.interventions, name)
        if cfg is None or getattr(cfg, attribute) == full or getattr(cfg, attribute) == 0:
            continue
        intensity = cfg.intensity * getattr(cfg, attribute) / full
        value = int(full) if attribute == "units" else full
        update[name] = _revalidate(cfg, **{attribute: value, "intensity": intensity})
    if not update:
        return scenario
    configs = {name: getattr(scenario.interventions, name) for name in INTERVENTIONS}
    return scenario.model_copy(update={"interventions": Interventions(**{**configs, **update})})


@lru_cache(maxsize=None)
def app_scenario(name: str) -> Scenario:
    """A shipped scenario as the app shows it (see ``normalise``)."""
    return normalise(load_named(name).scenario)


def template() -> Scenario | None:
    return app_scenario(TEMPLATE) if TEMPLATE in SCENARIO_NAMES else None


def scenario_levels(scenario: Scenario) -> dict[str, float]:
    """Each intervention's intensity in a scenario (0 where it is off)."""
    active = scenario.interventions.active()
    return {name: (active[name].intensity if name in active else 0.0) for name in INTERVENTIONS}


@dataclass(frozen=True)
class Settings:
    """What a participant chose: a shipped scenario, a seed, the app's scale (None: the
    scenario's own) and intensities that differ from the scenario's (``levels``)."""

    scenario: str = DEFAULT_SCENARIO
    seed: int = DEFAULT_SEED
    scale: float | None = None
    levels: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    def level_dict(self) -> dict[str, float]:
        return dict(self.levels)

    def with_level(self, name: str, value) -> Settings:
        name, value = check_intervention(name), check_intensity(value)
        levels = {**self.level_dict(), name: value}
        return replace(self, levels=tuple(sorted(levels.items())))

    def with_levels(self, levels: dict[str, float]) -> Settings:
        clean = {check_intervention(k): check_intensity(v) for k, v in levels.items()}
        return replace(self, levels=tuple(sorted(clean.items())))

    def with_scenario(self, name) -> Settings:
        """Another scenario, at its own intensities."""
        return replace(self, scenario=check_scenario(name), levels=())

    def with_seed(self, value) -> Settings:
        return replace(self, seed=check_seed(value))

    def intensities(self) -> dict[str, float]:
        """The intensity of every intervention: the scenario's, overridden by ``levels``."""
        return {**scenario_levels(app_scenario(self.scenario)), **self.level_dict()}


def _revalidate(cfg, **update):
    return type(cfg).model_validate({**cfg.model_dump(), **update})


def _new_config(name: str, level: float, run_start: date):
    """An intervention a scenario does not have: the Quito plan's settings for it (dates
    shifted to the scenario's start), or the schema's defaults starting with the run."""
    tpl_scenario = template()
    cfg = tpl_scenario.interventions.active().get(name) if tpl_scenario else None
    if cfg is None:
        settings = INTERVENTIONS[name].settings
        if name in full_levels():
            attribute, full = full_levels()[name]
            return settings(start=run_start, intensity=level,
                            **{attribute: int(full) if attribute == "units" else full})
        return settings(start=run_start, intensity=level)
    base = tpl_scenario.run.start
    update = {"start": _shift(max(cfg.start, base), base, run_start), "intensity": level,
              "ramp_from": 0.0, "enabled": True}
    if cfg.start < base and cfg.ramp_months == 0:
        update["ramp_months"] = DEFAULT_RAMP_MONTHS  # a standing programme, new here: ramp up
    if cfg.end is not None:
        update["end"] = _shift(max(cfg.end, base + timedelta(days=31)), base, run_start)
    return _revalidate(cfg, **update)


def _shift(when: date, base: date, start: date) -> date:
    """``when`` moved from a run starting on ``base`` to one starting on ``start`` (whole
    months, so 'two months after the start' stays two months after it)."""
    months = (when.year - base.year) * 12 + when.month - base.month
    total = start.year * 12 + start.month - 1 + months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(when.day, 28))


def _template_ramp(name: str) -> float:
    tpl_scenario = template()
    cfg = tpl_scenario.interventions.active().get(name) if tpl_scenario else None
    if cfg is None or cfg.start < tpl_scenario.run.start or cfg.ramp_months <= 0:
        return DEFAULT_RAMP_MONTHS
    return cfg.ramp_months


def set_level(cfg, name: str, level: float, run_start: date):
    """The configuration of intervention ``name`` at intensity ``level``.

    - 0 switches it off; a programme the scenario lacks takes the Quito plan's settings;
    - a programme that already runs when the run starts (e.g. the baseline's UPC posts) and
      is raised is expanded from the run's first day, ramping up from its old level over the
      Quito plan's ramp for it (6 months if none); lowered, it is smaller all along;
    - a programme that starts during the run keeps its dates; its level before the start
      (``ramp_from``) stays the same in absolute terms.
    """
    level = check_intensity(level)
    active = cfg is not None and cfg.enabled
    if not active:
        return None if level == 0 else _new_config(name, level, run_start)
    if level == 0:
        return _revalidate(cfg, enabled=False)
    if abs(level - cfg.intensity) < 1e-12:
        return cfg
    before = cfg.intensity * ramp_fraction(cfg, run_start - timedelta(days=1))
    if cfg.start < run_start:
        if level > before:
            return _revalidate(cfg, start=run_start, intensity=level, ramp_from=before / level,
                               ramp_months=_template_ramp(name))
        return _revalidate(cfg, intensity=level)
    return _revalidate(cfg, intensity=level, ramp_from=min(1.0, cfg.ramp_from * cfg.intensity / level))


def build_scenario(settings: Settings) -> tuple[Scenario, object]:
    """The validated scenario the settings describe, and its barrio table (or None)."""
    loaded = load_named(settings.scenario)
    scenario = app_scenario(settings.scenario)
    run = scenario.run.model_validate({**scenario.run.model_dump(), "seed": check_seed(settings.seed)})
    city = scenario.city
    if settings.scale is not None:
        city = city.model_validate({**city.model_dump(),
                                    "inhabitants_per_agent": check_scale(settings.scale)})
    levels = settings.level_dict()
    configs = {}
    for name in INTERVENTIONS:
        cfg = getattr(scenario.interventions, name)
        configs[name] = set_level(cfg, name, levels[name], run.start) if name in levels else cfg
    interventions = Interventions(**configs)
    return scenario.model_copy(update={"run": run, "city": city, "interventions": interventions}), \
        loaded.city_table


def build_model(settings: Settings) -> BarriosModel:
    scenario, table = build_scenario(settings)
    return BarriosModel(scenario, rng=scenario.run.seed, city_table=table)


def barrio_names(name: str) -> dict[int, str]:
    """Barrio names by barrio number (column x height + row), from the ``name`` column of
    the scenario's barrio table (``city.barrio_file``); empty when it has none."""
    loaded = load_named(name)
    table = loaded.city_table
    if table is None or "name" not in table:
        return {}
    height = loaded.scenario.city.height
    numbers = table["col"].astype(int) * height + table["row"].astype(int)
    return {int(b): str(n) for b, n in zip(numbers, table["name"]) if str(n).strip()}


def unit_count(scenario: Scenario, name: str) -> float:
    """What intensity 1 means for an intervention: barrios (barrio programmes, committees,
    posts), patrol units, or operations a year."""
    if name in full_levels():
        return full_levels()[name][1]
    return float(scenario.city.width * scenario.city.height)


# --- reading the model ---------------------------------------------------------------------


def barrio_safety_share(model: BarriosModel) -> np.ndarray:
    """Share of each barrio's residents feeling safe in their neighbourhood, today (NaN
    where nobody lives). The model refreshes its own layer only monthly."""
    pop = model.population
    safe = np.bincount(pop.home, weights=pop.safe_neighbourhood > model.params.safe_threshold,
                       minlength=model.city.n)
    return np.divide(safe, pop.residents_per_barrio, out=np.full(model.city.n, np.nan),
                     where=pop.residents_per_barrio > 0)


def layer_values(model: BarriosModel, layer: str) -> np.ndarray:
    """A map layer as a flat array in barrio order (NaN where there is no barrio)."""
    layer = check_layer(layer)
    city, pop = model.city, model.population
    if layer == "safety":
        values = barrio_safety_share(model)
    elif layer == "incidents":
        values = np.divide(city.layer("incidents") * 1000.0, pop.residents_per_barrio,
                           out=np.full(city.n, np.nan), where=pop.residents_per_barrio > 0)
    else:
        name = {"lighting": "lighting", "committees": "collective_efficacy",
                "police": "police_presence"}[layer]
        values = city.layer(name).astype(float).copy()
    values[~city.valid] = np.nan
    return values


def layer_grid(model: BarriosModel, layer: str) -> np.ndarray:
    """The layer as a (width, height) array, the shape of Mesa's property layers."""
    return layer_values(model, layer).reshape(model.city.width, model.city.height)


def agent_counts(model: BarriosModel) -> dict[str, int]:
    return {"committees": len(model.committees), "posts": len(model.police.posts),
            "patrols": len(model.police.units)}


def current_values(model: BarriosModel) -> dict[str, float]:
    """The latest collected outcomes (REPORTERS)."""
    return dict(model.outcomes.values)


def model_day(model: BarriosModel) -> int:
    return max(int(model.day), 0)


# --- a participant's live run ---------------------------------------------------------------


class Shared:
    """Values made once per key and shared by every page of the server; the least recently
    asked for is dropped beyond ``size``. Pages asking for a key together wait for one
    ``make``: a room opens the page at the same moment."""

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()

    def get(self, key, make):
        with self._lock:
            entry = self._entries.setdefault(key, {"lock": threading.Lock()})
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        with entry["lock"]:
            if "value" not in entry:
                entry["value"] = make()  # an exception leaves nothing: the next one tries again
            return entry["value"]


PRISTINE = Shared(PRISTINE_MODELS)
"""Built models, never stepped, by their settings (``fresh_model``)."""


def fresh_model(settings: Settings, shared: Shared | None = None) -> BarriosModel:
    """A model for ``settings``, exactly as ``build_model`` makes it: a copy of one built
    once for the server. Building the Quito plan's model takes about 0.7 s of the server's
    one interpreter, a copy a tenth of that, and a room opening the page together asks for
    the same settings twenty times. The copy takes the model's random generators with it,
    so it runs as a model built anew would (tests/test_workshop.py checks it day by day).
    May raise InputError, as ``build_model``."""
    pristine = (shared or PRISTINE).get(settings, lambda: build_model(settings))
    return copy.deepcopy(pristine)


class LiveRun:
    """The model a page shows, with a lock: the play loop steps it in one thread while the
    page may redraw or rebuild it from another."""

    def __init__(self, settings: Settings | None = None):
        self.lock = threading.RLock()
        self.settings = settings or Settings()
        self.model = fresh_model(self.settings)
        self.version = 0  # bumped on every rebuild

    def rebuild(self, settings: Settings):
        model = fresh_model(settings)  # may raise InputError: the old model stays
        with self.lock:
            self.settings, self.model = settings, model
            self.version += 1

    def advance(self, days: int, progress=None) -> int:
        """Step up to ``days`` days (fewer at the end of the run, or if the model is rebuilt
        meanwhile); return days stepped. The model steps ``STEP_CHUNK_DAYS`` at a time, in
        turn with the other pages' (``workshop.turns``); ``progress(days stepped)`` is
        called after each turn."""
        done, version = 0, self.version
        with STEPPING.turn(days) as turn:
            while done < days:
                with self.lock:
                    if self.version != version or not self.model.running:
                        break
                    for _ in range(min(STEP_CHUNK_DAYS, days - done)):
                        if not self.model.running:
                            break
                        self.model.step()
                        done += 1
                if progress is not None:
                    progress(done)
                turn.give_way(days - done)
        return done

    @property
    def pristine(self) -> bool:
        """Not stepped since it was built: the same for every page with these settings."""
        return self.model.day == 0

    @property
    def finished(self) -> bool:
        return not self.model.running

    @property
    def total_days(self) -> int:
        return int(self.model.end_day)
