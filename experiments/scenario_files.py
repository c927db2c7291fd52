"""Scenario files: read TOML, resolve ``extend``, validate, load the barrio table.

A scenario file is data, not code. ``load_scenario`` reads it with ``tomllib``, loads the
files it extends (base first), deep-merges them, validates the result against
``simulation.config.Scenario`` and, if ``city.barrio_file`` is set, reads that CSV.

Every problem becomes one ``ScenarioError`` whose text is one line a user can act on
without reading a traceback::

    scenarios/bad.toml: interventions.street_lighting.intensity: expected a number in [0, 1], found 1.5

The file named is the one that supplied the offending key, which is not always the file
the user asked for: the merge records, for each dotted key, the file it came from.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

import annotated_types
import pandas as pd
from pydantic import BaseModel, ValidationError

from simulation.config import COST_UNITS, Scenario
from simulation.parameters import check_parameter

__all__ = [
    "LoadedScenario",
    "ScenarioError",
    "load_scenario",
    "scenario_summary",
    "validate_scenario",
]


class ScenarioError(Exception):
    """A problem in a scenario file or its barrio CSV, told in one line.

    ``file`` is the file to edit, ``key`` where in it (a dotted key such as
    ``run.years``, or ``column x, row n (line m)`` for a CSV; None for the whole file)
    and ``detail`` is ``expected ..., found ...`` (or ``unknown key; expected one of ...``).
    """

    def __init__(self, file: Path | str, key: str | None, detail: str):
        super().__init__(file, key, detail)  # keeps the error picklable (worker processes)
        self.file, self.key, self.detail = Path(file), key, detail

    def __str__(self) -> str:
        parts = [_show(self.file), self.key, self.detail]
        return ": ".join(p for p in parts if p).replace("\n", " ")


@dataclass(frozen=True, eq=False)  # eq=False: a DataFrame has no truth value to compare
class LoadedScenario:
    """A validated scenario with where it came from.

    ``chain`` is the ``extend`` chain, base first, ending with ``path``. ``city_table`` is
    the barrio CSV (columns row, col, population, disadvantage and any of lighting,
    disorder, name, barrio_id), or None for the synthetic city.
    """

    scenario: Scenario
    path: Path
    chain: tuple[Path, ...]
    city_table: pd.DataFrame | None = None


def load_scenario(path: Path | str) -> LoadedScenario:
    """Read, merge, validate a scenario file and its barrio CSV; raise ScenarioError."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ScenarioError(path, None, "expected an existing scenario file, found nothing "
                            f"({_why_absent(path)})")
    layers = _load_chain(path, ())
    merged, origin = _merge_layers(layers)
    _check_parameters(merged, origin, path)
    scenario = _validate(merged, origin, path)
    table = _load_city_table(scenario, origin.get("city.barrio_file", path))
    return LoadedScenario(scenario, path, tuple(p for p, _ in layers), table)


validate_scenario = load_scenario
"""``barrios validate`` checks exactly what a run would load."""


# --- reading and extending -----------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file, turning syntax errors into a ScenarioError with a line."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, None, "expected a UTF-8 text file, found a byte that "
                            f"is not UTF-8 at position {exc.start}") from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if where:
            message = message[: where.start()] + f" (column {where[2]})"
            line = f"line {where[1]}"
        else:  # "(at end of document)"
            message = message.replace(" (at end of document)", "")
            line = f"line {len(path.read_bytes().splitlines()) or 1} (end of file)"
        raise ScenarioError(path, line, f"expected valid TOML, found {message}") from None


def _load_chain(path: Path, seen: tuple[Path, ...]) -> list[tuple[Path, dict]]:
    """The documents of ``path`` and the files it extends, base first, ``extend`` removed."""
    doc = _read_toml(path)
    if "extend" not in doc:
        return [(path, doc)]
    parent_name = doc.pop("extend")
    if not isinstance(parent_name, str):
        raise ScenarioError(path, "extend", "expected a scenario file name in quotes, "
                            f"found {_found(parent_name, typed=True)}")
    parent = (path.parent / parent_name).resolve()
    chain = (*seen, path)
    if parent in chain:
        top = chain[0].parent
        names = " -> ".join(os.path.relpath(p, top) for p in (*chain, parent))
        raise ScenarioError(parent, "extend", "expected a chain of scenario files without "
                            f"a cycle, found {names}")
    if not parent.is_file():
        raise ScenarioError(path, "extend", "expected an existing scenario file, found "
                            f"{parent_name!r} ({_why_absent(parent)})")
    return _load_chain(parent, chain) + [(path, doc)]


def _merge_layers(layers: list[tuple[Path, dict]]) -> tuple[dict, dict[str, Path]]:
    """Deep-merge the documents, base first; return the result and each key's file.

    Tables merge key by key; scalars and lists replace. ``name`` is not inherited: a
    scenario that does not name itself is called after its file.
    """
    merged: dict = {}
    origin: dict[str, Path] = {}
    for path, doc in layers:
        _merge_into(merged, doc, path, origin, "")
    top, top_doc = layers[-1]
    merged["name"] = top_doc.get("name", top.stem)
    origin["name"] = top
    return merged, origin


def _merge_into(base: dict, over: dict, path: Path, origin: dict, prefix: str) -> None:
    """Merge ``over`` (from ``path``) into ``base`` in place, noting each key's file."""
    for key, value in over.items():
        dotted = prefix + key
        origin[dotted] = path  # a table touched by a file is blamed on the latest file
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge_into(base[key], value, path, origin, dotted + ".")
            continue
        for stale in [k for k in origin if k.startswith(dotted + ".")]:
            del origin[stale]  # the parent's sub-keys are gone with the replaced value
        base[key] = value
        if isinstance(value, dict):
            _merge_into({}, value, path, origin, dotted + ".")  # record nested keys only


# --- validation --------------------------------------------------------------------


def _check_parameters(doc: dict, origin: dict[str, Path], top: Path) -> None:
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
            raise ScenarioError(origin.get(key, top), key, str(exc)) from None


def _validate(doc: dict, origin: dict[str, Path], top: Path) -> Scenario:
    """Validate the merged document; explain the first pydantic error in one line."""
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        key, blame, detail = _explain(error, doc)
        raise ScenarioError(origin.get(blame, top), key, detail) from None


_TYPE_WORDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string in quotes",
    "date_type": "a date such as 2023-03-01 (unquoted)",
    "date_parsing": "a date such as 2023-03-01 (unquoted)",
    "date_from_datetime_inexact": "a date without a time",
    "list_type": "a list such as [1, 2, 3]",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}
_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _explain(error: dict, doc: dict) -> tuple[str, str, str]:
    """(key to show, key whose file to blame, ``expected ..., found ...``) for an error."""
    loc, kind = tuple(error["loc"]), error["type"]
    raw = _raw(doc, loc)
    found = error.get("input") if raw is _MISSING else raw
    if kind == "value_error":
        return _explain_value_error(str(error["ctx"]["error"]), loc, doc, found)
    if kind == "extra_forbidden":
        allowed = _field_names(loc[:-1])
        return _dotted(loc), _blame(loc), f"unknown key; expected one of {', '.join(allowed)}"
    if kind == "missing":
        detail = "expected a value (the key is required), found nothing"
    elif kind in _TYPE_WORDS:
        detail = f"expected {_TYPE_WORDS[kind]}, found {_found(found, typed=True)}"
    elif kind == "literal_error":
        detail = f"expected one of {error['ctx']['expected']}, found {_found(found)}"
    elif kind in _RANGE_ERRORS:
        detail = f"expected {_range_words(loc, error)}, found {_found(found)}"
    else:  # anything new: pydantic's own words, reshaped
        expected = re.sub(r"^Input should be ", "", error["msg"])
        detail = f"expected {expected}, found {_found(found, typed=True)}"
    return _dotted(loc), _blame(loc), detail


def _explain_value_error(message: str, loc: tuple, doc: dict, found) -> tuple[str, str, str]:
    """Reword the model validators of config.py so they point at the field to fix."""
    end_start = re.fullmatch(r"end \((.+)\) must be after start \((.+)\)", message)
    if end_start:
        key = _dotted((*loc, "end"))
        return key, _blame((*loc, "end")), (
            f"expected a date after start ({end_start[2]}), found {end_start[1]}")
    if message.startswith("targeting = 'list' needs"):
        barrios = _raw(doc, (*loc, "barrios"))
        what = "no barrios key" if barrios is _MISSING else _found(barrios)
        return _dotted((*loc, "barrios")), _blame((*loc, "targeting")), (
            f"expected a non-empty list of barrio numbers (targeting = 'list'), found {what}")
    if message.startswith("expected "):  # already in our words (e.g. check_parameter)
        return _dotted(loc), _blame(loc), message
    return _dotted(loc), _blame(loc), f"expected a valid value ({message}), found {_found(found)}"


# --- helpers for messages ----------------------------------------------------------

_MISSING = object()


def _show(path: Path) -> str:
    """A path as the user would type it: relative to the working directory if inside."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _why_absent(path: Path) -> str:
    return "a directory" if path.is_dir() else "no such file"


def _dotted(loc: tuple) -> str:
    """('interventions', 'x', 'barrios', 1) -> 'interventions.x.barrios[1]'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _blame(loc: tuple) -> str:
    """The provenance key of a location: list indices dropped (lists come whole)."""
    return ".".join(str(p) for p in loc if not isinstance(p, int))


def _raw(doc, loc: tuple):
    """The value the file wrote at ``loc`` (before any pydantic conversion), or _MISSING."""
    for part in loc:
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return doc


def _found(value, typed: bool = False) -> str:
    """A value as the file wrote it, short; with its type when the type is the problem."""
    if value is _MISSING:
        return "nothing"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})" if typed else text


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that describes the table at ``loc`` (None if not a model)."""
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        model = _model_class(model.model_fields[part].annotation)
    return model


def _model_class(annotation) -> type[BaseModel] | None:
    """``X | None`` or ``X`` -> X if X is a pydantic model."""
    if get_origin(annotation) in (Union, UnionType):
        options = [a for a in get_args(annotation) if a is not NoneType]
        annotation = options[0] if len(options) == 1 else None
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return annotation if is_model else None


def _field_names(loc: tuple) -> list[str]:
    """The keys a table accepts (``extend`` too at the top of a file)."""
    model = _model_at(loc)
    names = list(model.model_fields) if model else []
    return (names + ["extend"]) if not loc else names


def _range_words(loc: tuple, error: dict) -> str:
    """'a number in [0, 1]', 'an integer >= 0', ... from the field's full constraints."""
    model = _model_at(loc[:-1])
    field = model.model_fields.get(loc[-1]) if model else None
    bounds = field.metadata if field else []
    if not bounds:  # fall back on the one bound pydantic reports
        ops = {"gt": annotated_types.Gt, "ge": annotated_types.Ge,
               "lt": annotated_types.Lt, "le": annotated_types.Le}
        bounds = [ops[k](v) for k, v in error.get("ctx", {}).items() if k in ops]
    low = high = None
    for b in bounds:
        if isinstance(b, annotated_types.Gt):
            low = ("(", b.gt)
        elif isinstance(b, annotated_types.Ge):
            low = ("[", b.ge)
        elif isinstance(b, annotated_types.Lt):
            high = (")", b.lt)
        elif isinstance(b, annotated_types.Le):
            high = ("]", b.le)
    kind = "an integer" if field is not None and _is_int(field.annotation) else "a number"
    if low and high:
        return f"{kind} in {low[0]}{_num(low[1])}, {_num(high[1])}{high[0]}"
    if low:
        return f"{kind} {'>' if low[0] == '(' else '>='} {_num(low[1])}"
    if high:
        return f"{kind} {'<' if high[0] == ')' else '<='} {_num(high[1])}"
    return kind


def _is_int(annotation) -> bool:
    args = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    return int in args


def _num(x) -> str:
    """1.0 -> '1', 1e10 -> '10000000000', 0.5 -> '0.5'."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


# --- the barrio table (CSV) --------------------------------------------------------

_REQUIRED = ("row", "col", "population", "disadvantage")
_OPTIONAL = ("lighting", "disorder", "name", "barrio_id")


def _load_city_table(scenario: Scenario, said_by: Path) -> pd.DataFrame | None:
    """Read ``city.barrio_file`` (relative to the file that names it) and check it."""
    name = scenario.city.barrio_file
    if name is None:
        return None
    path = (said_by.parent / name).resolve()
    if not path.is_file():
        raise ScenarioError(said_by, "city.barrio_file", "expected an existing CSV file, "
                            f"found {name!r} ({_why_absent(path)})")
    table = _read_csv(path)
    _check_columns(table, path)
    city = scenario.city
    numeric = {
        "row": (True, 0, city.height - 1, f" (city.height = {city.height})"),
        "col": (True, 0, city.width - 1, f" (city.width = {city.width})"),
        "population": (False, 0, None, ""),
        "disadvantage": (False, 0, 1, ""),
        "lighting": (False, 0, 1, ""),
        "disorder": (False, 0, 1, ""),
    }
    out = {}
    for column in [c for c in (*_REQUIRED, *_OPTIONAL) if c in table.columns]:
        if column in numeric:
            out[column] = _numeric_column(table[column], path, *numeric[column])
        else:
            out[column] = _text_column(table[column])
    result = pd.DataFrame(out)
    _check_unique_positions(result, path)
    return result


def _read_csv(path: Path) -> pd.DataFrame:
    """All cells as stripped text, so messages quote exactly what the file says."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        message = " ".join(str(exc).split())
        raise ScenarioError(path, None, "expected a CSV file with a header row, "
                            f"found {message}") from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise ScenarioError(path, None, "expected at least one barrio row, found only the header")
    return table.apply(lambda s: s.str.strip())


def _check_columns(table: pd.DataFrame, path: Path) -> None:
    known = (*_REQUIRED, *_OPTIONAL)
    for column in table.columns:
        if column not in known:
            raise ScenarioError(path, f"column {column}",
                                f"unknown column; expected one of {', '.join(known)}")
    for column in _REQUIRED:
        if column not in table.columns:
            raise ScenarioError(path, f"column {column}", "expected a required column, found "
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
        expected = f"{kind} in [{low}, {high}]" if high is not None else f"{kind} >= {low}"
        cell = text.iloc[i]
        if cell == "":
            found = "an empty cell"
        else:  # numbers as written, anything else quoted
            found = cell if pd.notna(values.iloc[i]) else repr(cell)
        raise ScenarioError(path, f"column {text.name}, {_row_label(i)}",
                            f"expected {expected}{note}, found {found}")
    return values.astype("int64" if integer else "float64")


def _text_column(text: pd.Series) -> pd.Series:
    """Names stay text; ids become integers when every cell is one."""
    numbers = pd.to_numeric(text, errors="coerce")
    if text.name == "barrio_id" and numbers.notna().all() and (numbers % 1 == 0).all():
        return numbers.astype("int64")
    return text.astype(str)


def _check_unique_positions(table: pd.DataFrame, path: Path) -> None:
    duplicated = table.duplicated(["row", "col"])
    if not duplicated.any():
        return
    i = int(duplicated.to_numpy().argmax())
    r, c = int(table["row"].iloc[i]), int(table["col"].iloc[i])
    first = int(((table["row"] == r) & (table["col"] == c)).to_numpy().argmax())
    raise ScenarioError(path, f"columns row and col, {_row_label(i)}",
                        f"expected each grid position once, found ({r}, {c}) again, "
                        f"first at {_row_label(first)}")


# --- summary -----------------------------------------------------------------------


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
    parts.append(f"US$ {item.unit_cost_usd:,.0f} {COST_UNITS[name].removeprefix('US$ ')}")
    return ", ".join(parts)
