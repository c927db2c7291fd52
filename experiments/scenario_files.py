"""Scenario files: read TOML, resolve ``extend``, validate, load the barrio table, and
change a validated scenario as a file that extends it would (``override``).

A scenario file is data, not code. ``load_scenario`` reads it (``experiments.files``),
loads the files it extends (base first), deep-merges them, validates the result against
``simulation.config.Scenario`` and, if ``city.barrio_file`` is set, reads that CSV.

``override`` is the one way anything changes a scenario: a study file's ``[run]``,
``[city]``, ``[parameters]`` and ``[interventions]`` tables, the command line's
``--years``/``--scale``/``--seed``, the Python API's keywords and each design point of a
sweep are all a *layer* merged on top, exactly as ``extend`` merges a file (tables key by
key, values and lists replaced), then validated; an error blames the layer's source.

Every problem becomes one ``BadInput`` naming the file that supplied the offending key,
which is not always the file the user asked for: the merge records each key's file.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.files import BadInput, existing_file, found_text, read_toml, validate, why_absent
from simulation.config import Scenario
from simulation.interventions import INTERVENTIONS
from simulation.parameters import check_parameter

__all__ = ["LoadedScenario", "change", "from_scenario", "load_scenario", "nest", "override",
           "scenario_summary", "scenario_title"]


@dataclass(frozen=True, eq=False)  # eq=False: a DataFrame has no truth value to compare
class LoadedScenario:
    """A validated scenario with where it came from.

    ``chain`` is the ``extend`` chain, base first, ending with ``path``. ``city_table`` is
    the barrio CSV (columns row, col, population, disadvantage and any of lighting,
    disorder, name, barrio_id), or None for the synthetic city; ``table_file`` the CSV's
    path. ``sources`` lists every file read (the chain and the CSV).
    """

    scenario: Scenario
    path: Path
    chain: tuple[Path, ...]
    city_table: pd.DataFrame | None = None
    table_file: Path | None = None

    @property
    def sources(self) -> tuple[Path, ...]:
        return self.chain + ((self.table_file,) if self.table_file else ())


def load_scenario(path: Path | str) -> LoadedScenario:
    """Read, merge, validate a scenario file and its barrio CSV; raise BadInput."""
    path = existing_file(path, "scenario file")
    layers = _load_chain(path, ())
    merged, origin = _merge_layers(layers)
    top = layers[-1][1]
    merged["name"] = top.get("name", path.stem)  # a name is never inherited, nor what
    for key in ("title", "title_es", "kind"):    # the file is called or what it is for
        merged.pop(key, None)
        if key in top:
            merged[key] = top[key]
    return _finish(merged, origin, path, tuple(p for p, _ in layers))


def from_scenario(scenario: Scenario) -> LoadedScenario:
    """A scenario object as if loaded (its barrio file, if any, relative to the working
    directory)."""
    origin = Path.cwd() / f"{scenario.name}.toml"
    table, table_file = _load_city_table(scenario, origin)
    return LoadedScenario(scenario, origin, (origin,), table, table_file)


def override(loaded: LoadedScenario, layer: dict[str, Any], source: Path | str, *,
             keys: dict[str, str] | None = None) -> LoadedScenario:
    """``loaded`` changed by ``layer`` (a partial scenario document), merged as ``extend``
    merges a file; problems are BadInput blaming ``source`` (a file or a flag). A layer
    that names another ``city.barrio_file`` loads it (relative to ``source``). ``keys``
    says where the layer's tables sit in ``source`` when not at its top (``{"city":
    "sobol.city"}``), so an error names the key as the file writes it."""
    if not layer:
        return loaded
    try:
        return _override(loaded, layer, source)
    except BadInput as error:
        for table, where in (keys or {}).items():
            if error.source == source and error.key and error.key.split(".")[0] == table:
                raise BadInput(source, where + error.key[len(table):], error.detail) from None
        raise


def _override(loaded: LoadedScenario, layer: dict[str, Any], source: Path | str) -> LoadedScenario:
    merged, origin = _merge_layers([(loaded.path, loaded.scenario.model_dump()), (source, layer)])
    if merged["city"].get("barrio_file") == loaded.scenario.city.barrio_file:
        scenario = _validated(merged, origin, source, loaded.city_table)
        return replace(loaded, scenario=scenario)
    return _finish(merged, origin, source, loaded.chain)


def change(scenario: Scenario, layer: dict[str, Any], source: Path | str,
           city_table: pd.DataFrame | None = None) -> Scenario:
    """``scenario`` changed by ``layer``, as ``override`` does, without reading files (the
    barrio table stays ``city_table``): a design point in a worker."""
    if not layer:
        return scenario
    merged, origin = _merge_layers([(source, scenario.model_dump()), (source, layer)])
    return _validated(merged, origin, source, city_table)


def nest(values: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys as a layer: ``{"city.width": 6}`` -> ``{"city": {"width": 6}}``."""
    layer: dict[str, Any] = {}
    for dotted, value in values.items():
        node = layer
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise BadInput(dotted, None, f"expected a key inside a table, found {part!r} "
                               "set to a value")
        node[last] = value
    return layer


def _finish(merged: dict, origin: dict, source: Path | str,
            chain: tuple[Path, ...]) -> LoadedScenario:
    """Validate a merged document and load its barrio table."""
    _check_parameters(merged, origin, source)
    scenario = validate(Scenario, merged, source, origin=origin, top_keys=("extend",))
    table, table_file = _load_city_table(scenario, origin.get("city.barrio_file", source))
    _check_barrio_lists(scenario, table, origin, source)
    return LoadedScenario(scenario, chain[-1], chain, table, table_file)


def _validated(merged: dict, origin: dict, source: Path | str, table) -> Scenario:
    _check_parameters(merged, origin, source)
    scenario = validate(Scenario, merged, source, origin=origin)
    _check_barrio_lists(scenario, table, origin, source)
    return scenario


# --- reading and extending -----------------------------------------------------------


def _load_chain(path: Path, seen: tuple[Path, ...]) -> list[tuple[Path, dict]]:
    """The documents of ``path`` and the files it extends, base first, ``extend`` removed."""
    doc = read_toml(path)
    if "extend" not in doc:
        return [(path, doc)]
    parent_name = doc.pop("extend")
    if not isinstance(parent_name, str):
        raise BadInput(path, "extend", "expected a scenario file name in quotes, "
                       f"found {found_text(parent_name, typed=True)}")
    parent = (path.parent / parent_name).resolve()
    chain = (*seen, path)
    if parent in chain:
        top = chain[0].parent
        names = " -> ".join(os.path.relpath(p, top) for p in (*chain, parent))
        raise BadInput(parent, "extend", "expected a chain of scenario files without "
                       f"a cycle, found {names}")
    if not parent.is_file():
        raise BadInput(path, "extend", "expected an existing scenario file, found "
                       f"{parent_name!r} ({why_absent(parent)})")
    return _load_chain(parent, chain) + [(path, doc)]


def _merge_layers(layers: list[tuple[Path | str, dict]]) -> tuple[dict, dict]:
    """Deep-merge the documents, base first; return the result and each key's source.
    Tables merge key by key; scalars and lists replace."""
    merged: dict = {}
    origin: dict = {}
    for source, doc in layers:
        _merge_into(merged, doc, source, origin, "")
    origin.setdefault("name", layers[-1][0])
    return merged, origin


def _merge_into(base: dict, over: dict, source, origin: dict, prefix: str) -> None:
    """Merge ``over`` (from ``source``) into ``base`` in place, noting each key's source."""
    for key, value in over.items():
        dotted = prefix + key
        origin[dotted] = source  # a table touched by a file is blamed on the latest file
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge_into(base[key], value, source, origin, dotted + ".")
            continue
        for stale in [k for k in origin if k.startswith(dotted + ".")]:
            del origin[stale]  # the parent's sub-keys are gone with the replaced value
        base[key] = copy.deepcopy(value)  # never share a table with the layer it came from
        if isinstance(value, dict):
            _merge_into({}, value, source, origin, dotted + ".")  # record nested keys only


# --- checks beyond the schema ---------------------------------------------------------


def _check_parameters(doc: dict, origin: dict, top: Path | str) -> None:
    """Check ``[parameters]`` key by key, so the error names the parameter.

    (Scenario's own check sees the whole table and would only say ``parameters``.)
    """
    params = doc.get("parameters")
    if not isinstance(params, dict):
        return
    for name, value in params.items():
        try:
            check_parameter(name, value)
        except ValueError as exc:
            key = f"parameters.{name}"
            raise BadInput(origin.get(key, top), key, str(exc)) from None


def _check_barrio_lists(scenario: Scenario, table: pd.DataFrame | None, origin: dict,
                        top: Path | str) -> None:
    """``targeting = "list"`` names barrios of this city (id = column x height + row)."""
    c = scenario.city
    if table is not None:
        valid = set((table["col"] * c.height + table["row"]).tolist())
        what = f"a barrio of {c.barrio_file} (col x {c.height} + row)"
    else:
        valid, what = None, f"a barrio number in [0, {c.width * c.height - 1}]"
    for name, item in scenario.interventions.active().items():
        if item.targeting != "list":
            continue
        for i, b in enumerate(item.barrios):
            ok = b in valid if valid is not None else 0 <= b < c.width * c.height
            if not ok:
                key = f"interventions.{name}.barrios"
                raise BadInput(origin.get(key, top), f"{key}[{i}]", f"expected {what}, found {b}")


# --- the barrio table (CSV) --------------------------------------------------------

MAX_BARRIO_POPULATION = 10**9  # people in one barrio: more is a typo (and overflows sums)
_REQUIRED = ("row", "col", "population", "disadvantage")
_OPTIONAL = ("lighting", "disorder", "attractors", "name", "barrio_id")


def _load_city_table(scenario: Scenario, said_by: Path | str):
    """Read ``city.barrio_file`` (relative to the file that names it, or to the working
    directory when a flag or the API names it) and check it; (table, path) or (None, None)."""
    name = scenario.city.barrio_file
    if name is None:
        return None, None
    folder = said_by.parent if isinstance(said_by, Path) else Path.cwd()
    path = (folder / name).resolve()
    if not path.is_file():
        raise BadInput(said_by, "city.barrio_file", "expected an existing CSV file, "
                            f"found {name!r} ({why_absent(path)})")
    table = _read_csv(path)
    _check_columns(table, path)
    city = scenario.city
    numeric = {
        "row": (True, 0, city.height - 1, f" (city.height = {city.height})"),
        "col": (True, 0, city.width - 1, f" (city.width = {city.width})"),
        "population": (False, 0, MAX_BARRIO_POPULATION, ""),
        "disadvantage": (False, 0, 1, ""),
        "lighting": (False, 0, 1, ""),
        "disorder": (False, 0, 1, ""),
        "attractors": (False, 0, 1, ""),
    }
    out = {}
    for column in [c for c in (*_REQUIRED, *_OPTIONAL) if c in table.columns]:
        if column in numeric:
            out[column] = _numeric_column(table[column], path, *numeric[column])
        else:
            out[column] = _text_column(table[column])
    result = pd.DataFrame(out)
    _check_unique(result, ["row", "col"], path, "columns row and col", "grid position")
    if "barrio_id" in result:
        _check_unique(result, ["barrio_id"], path, "column barrio_id", "barrio_id")
    if not (result["population"] > 0).any():
        raise BadInput(path, "column population", "expected at least one barrio with people, "
                       "found every population 0")
    return result, path


def _read_csv(path: Path) -> pd.DataFrame:
    """All cells as stripped text, so messages quote exactly what the file says."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        message = " ".join(str(exc).split())
        raise BadInput(path, None, "expected a CSV file with a header row, "
                            f"found {message}") from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise BadInput(path, None, "expected at least one barrio row, found only the header")
    return table.apply(lambda s: s.str.strip())


def _check_columns(table: pd.DataFrame, path: Path) -> None:
    known = (*_REQUIRED, *_OPTIONAL)
    for column in table.columns:
        if column not in known:
            raise BadInput(path, f"column {column}",
                                f"unknown column; expected one of {', '.join(known)}")
    for column in _REQUIRED:
        if column not in table.columns:
            raise BadInput(path, f"column {column}", "expected a required column, found "
                                f"none in the header ({', '.join(table.columns)})")


def _row_label(i: int) -> str:
    """Data row i (0-based) -> 'row 7 (line 8)': the header is line 1."""
    return f"row {i + 1} (line {i + 2})"


def _numeric_column(text: pd.Series, path: Path, integer: bool, low, high, note: str) -> pd.Series:
    """Parse a numeric column; the first missing, non-numeric or out-of-range cell fails."""
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() | (values.abs() == float("inf"))
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    if integer:
        bad |= values.notna() & (values % 1 != 0)
    if bad.any():
        i = int(bad.to_numpy().argmax())
        kind = "an integer" if integer else "a number"
        expected = f"{kind} in [{low:g}, {high:g}]" if high is not None else f"{kind} >= {low:g}"
        cell = text.iloc[i]
        if cell == "":
            found = "an empty cell"
        else:  # numbers as written, anything else quoted
            found = cell if pd.notna(values.iloc[i]) else repr(cell)
        raise BadInput(path, f"column {text.name}, {_row_label(i)}",
                            f"expected {expected}{note}, found {found}")
    return values.astype("int64" if integer else "float64")


def _text_column(text: pd.Series) -> pd.Series:
    """Names stay text; ids become integers when every cell is one."""
    numbers = pd.to_numeric(text, errors="coerce")
    if text.name == "barrio_id" and numbers.notna().all() and (numbers % 1 == 0).all():
        return numbers.astype("int64")
    return text.astype(str)


def _check_unique(table: pd.DataFrame, columns: list[str], path: Path, key: str, what: str):
    duplicated = table.duplicated(columns)
    if not duplicated.any():
        return
    i = int(duplicated.to_numpy().argmax())
    value = tuple(table[c].iloc[i] for c in columns)
    first = int((table[columns] == table[columns].iloc[i]).all(axis=1).to_numpy().argmax())
    shown = value[0] if len(value) == 1 else "(" + ", ".join(str(v) for v in value) + ")"
    raise BadInput(path, f"{key}, {_row_label(i)}", f"expected each {what} once, found "
                   f"{shown} again, first at {_row_label(first)}")


# --- summary -----------------------------------------------------------------------


def scenario_title(scenario: Scenario, lang: str = "en") -> str:
    """The scenario's human name in ``lang`` ("es" or "en"): its title, else its name."""
    if lang == "es" and scenario.title_es:
        return scenario.title_es
    return scenario.title or scenario.name


def scenario_summary(loaded: LoadedScenario, *, seed: int | None = None,
                     replications: int | None = None) -> str:
    """A few lines for ``barrios validate``: what will run, from which files. ``seed`` and
    ``replications`` replace the file's own when a runner (e.g. a comparison) sets them."""
    s = loaded.scenario
    city, run = s.city, s.run
    top = loaded.path.parent
    agents = round(city.population / city.inhabitants_per_agent)
    seed = run.seed if seed is None else seed
    replications = run.replications if replications is None else replications
    lines = [f"{s.name}: {s.description}" if s.description else s.name,
             "  files: " + " -> ".join(os.path.relpath(p, top) for p in loaded.chain),
             f"  run: from {run.start}, {run.years:g} years, seed {seed}, "
             f"{replications} replication(s)",
             f"  city: {city.population:,} inhabitants, {city.width} x {city.height} barrios, "
             f"1 agent per {city.inhabitants_per_agent:g} ({agents:,} agents)"]
    if loaded.city_table is not None:
        lines.append(f"  barrio table: {len(loaded.city_table)} rows from {city.barrio_file}")
    if s.parameters:
        lines.append("  parameters: " + ", ".join(f"{k} = {v:g}" for k, v in s.parameters.items()))
    active = s.interventions.active()
    lines.append("  interventions:" + ("" if active else " none"))
    lines += [f"    {name}: {_describe(name, item)}" for name, item in active.items()]
    return "\n".join(lines)


def _describe(name: str, item) -> str:
    """One intervention in words: when, how fast (from what share, if it exists before
    the start), how much, where, at what unit cost."""
    parts = [f"from {item.start}" + (f" to {item.end}" if item.end else "")]
    if item.ramp_from:
        parts.append(f"ramp_from {item.ramp_from:g}")
    parts += [f"ramp {item.ramp_months:g} months", f"intensity {item.intensity:g}"]
    if name == "patrol_units":
        parts.append(f"{item.units} units, {item.strategy}")
    else:
        if name == "police_operations":
            parts.append(f"{item.per_year:g} per year, heavy-handedness {item.heavy_handedness:g}")
        parts.append(f"barrios {item.barrios}" if item.targeting == "list"
                     else f"{item.targeting} by {item.indicator}")
    if item.before:
        parts.append("before the start " + ", ".join(f"{k} {v}" for k, v in item.before.items()))
    parts.append(f"US$ {item.unit_cost_usd:,.0f} {INTERVENTIONS[name].cost_unit.removeprefix('US$ ')}")
    return ", ".join(parts)
