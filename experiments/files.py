"""Reading the files Barrios is given: one TOML reader, one error, one way to explain a
validation error.

Every file kind (scenarios, sweep, sensitivity, calibration and evaluation files) and every
command-line flag reports a problem the same way: one ``BadInput`` whose text is one line
a user can act on without reading a traceback, naming the file (or the flag), the key,
what was expected and what was found::

    scenarios/bad.toml: interventions.street_lighting.intensity: expected a number in [0, 1], found 1.5

The schemas are pydantic models on ``simulation.schema.StrictModel``; ``validate`` checks
a document against one and explains its first error, blaming the file that supplied the
key (``origin``: dotted key -> file, which the ``extend`` merge records).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError


class BadInput(Exception):
    """A problem in a file or a flag, told in one line.

    ``source`` is the file to edit (or a flag such as ``--scale``), ``key`` where in it (a
    dotted key such as ``run.years``, or ``column x, row n (line m)`` for a CSV; None for
    the whole file) and ``detail`` is ``expected ..., found ...``."""

    def __init__(self, source: Path | str, key: str | None, detail: str):
        super().__init__(source, key, detail)  # keeps the error picklable (worker processes)
        self.source, self.key, self.detail = source, key, detail

    @property
    def file(self) -> Path | None:
        return self.source if isinstance(self.source, Path) else None

    def __str__(self) -> str:
        where = show(self.source) if isinstance(self.source, Path) else self.source
        return ": ".join(p for p in (where, self.key, self.detail) if p).replace("\n", " ")


def show(path: Path) -> str:
    """A path as the user would type it: relative to the working directory if inside."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def why_absent(path: Path) -> str:
    return "a directory" if path.is_dir() else "no such file"


def existing_file(path: Path | str, what: str) -> Path:
    """The resolved path of an existing file, or BadInput saying what was expected."""
    path = Path(path).resolve()
    if not path.is_file():
        raise BadInput(path, None, f"expected an existing {what}, found nothing "
                       f"({why_absent(path)})")
    return path


# --- TOML ------------------------------------------------------------------------------


def read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file; a file that is not UTF-8 text or not valid TOML is a BadInput
    naming the line (and column) where reading stopped."""
    data = path.read_bytes()
    _check_text(path, data)
    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if where:
            message = message[: where.start()] + f" (column {where[2]})"
            line = f"line {where[1]}"
        else:  # "(at end of document)"
            message = message.replace(" (at end of document)", "")
            line = f"line {len(data.splitlines()) or 1} (end of file)"
        raise BadInput(path, line, f"expected valid TOML, found {message}") from None


def _check_text(path: Path, data: bytes) -> None:
    """UTF-8 text: not UTF-16 (a byte-order mark), not binary (a NUL byte)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise BadInput(path, None, "expected a UTF-8 text file, found UTF-16 text (save it "
                       "as UTF-8)")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise BadInput(path, None, "expected a UTF-8 text file, found binary data (a NUL "
                       f"byte at position {nul})")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(path, None, "expected a UTF-8 text file, found a byte that is not "
                       f"UTF-8 at position {exc.start}") from None


# --- validation ----------------------------------------------------------------------------


def validate[M: BaseModel](model: type[M], doc: dict, source: Path | str, *,
                           origin: Mapping[str, Path] | None = None,
                           top_keys: tuple[str, ...] = ()) -> M:
    """``model`` validated from ``doc``, or a BadInput explaining the first error and
    blaming the file that supplied the key (``origin``; ``source`` by default).
    ``top_keys`` are keys the file may also have at its top (``extend``), for the list of
    accepted keys an unknown one gets."""
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise explain(exc, model, doc, source, origin=origin, top_keys=top_keys) from None


def explain(exc: ValidationError, model: type[BaseModel], doc: dict, source: Path | str, *,
            origin: Mapping[str, Path] | None = None, top_keys: tuple[str, ...] = (),
            prefix: str = "") -> BadInput:
    """The first error of ``exc`` as a BadInput; ``prefix`` is the dotted key where
    ``doc`` sits in its file (for a table validated on its own)."""
    error = exc.errors(include_url=False)[0]
    loc, kind = tuple(error["loc"]), error["type"]
    raw = _raw(doc, loc)
    found = error.get("input") if raw is _MISSING else raw
    if kind == "value_error":
        key, blame, detail = _explain_value_error(str(error["ctx"]["error"]), loc, doc, found)
    elif kind == "extra_forbidden":
        allowed = _field_names(model, loc[:-1]) + (list(top_keys) if len(loc) == 1 else [])
        key, blame = _dotted(loc), _blame(loc)
        detail = f"unknown key; expected one of {', '.join(allowed)}"
    else:
        key, blame, detail = _dotted(loc), _blame(loc), _expected(kind, error, model, loc, found)
    key = ".".join(p for p in (prefix, key) if p)
    blame = ".".join(p for p in (prefix, blame) if p)
    return BadInput((origin or {}).get(blame, source), key or None, detail)


_TYPE_WORDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
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
    "too_short": "a longer list",
}
_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _expected(kind: str, error: dict, model, loc: tuple, found) -> str:
    if kind == "missing":
        return "expected a value (the key is required), found nothing"
    if kind == "too_short":
        return (f"expected at least {error['ctx']['min_length']} item(s), "
                f"found {_found(found)}")
    if kind in _TYPE_WORDS:
        return f"expected {_TYPE_WORDS[kind]}, found {_found(found, typed=True)}"
    if kind == "literal_error":
        return f"expected one of {error['ctx']['expected']}, found {_found(found)}"
    if kind in _RANGE_ERRORS:
        return f"expected {_range_words(model, loc, error)}, found {_found(found)}"
    if kind == "string_pattern_mismatch":
        return ("expected a name of letters, digits, '_', '-' and '.' (it names output "
                f"folders), found {_found(found)}")
    expected = re.sub(r"^Input should be ", "", error["msg"])  # anything new: pydantic's words
    return f"expected {expected}, found {_found(found, typed=True)}"


def _explain_value_error(message: str, loc: tuple, doc: dict, found) -> tuple[str, str, str]:
    """Reword the model validators so they point at the field to fix."""
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
        field = re.match(r"expected (?:at most .* inhabitants per agent)", message)
        if field:  # CityConfig's agent count: the scale is the key to change
            return _dotted((*loc, "inhabitants_per_agent")), _blame(loc), message
        dated = re.match(r"expected (end_date|end) on or after", message)
        if dated:  # Observed's survey dates, a power cut's period
            return _dotted((*loc, dated[1])), _blame((*loc, dated[1])), message
        return _dotted(loc), _blame(loc), message
    return _dotted(loc), _blame(loc), f"expected a valid value ({message}), found {_found(found)}"


# --- helpers for messages ----------------------------------------------------------------

_MISSING = object()


def _dotted(loc: tuple) -> str:
    """('interventions', 'x', 'barrios', 1) -> 'interventions.x.barrios[1]'."""
    out = ""
    for part in loc:
        if part == "":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _blame(loc: tuple) -> str:
    """The provenance key of a location: list indices dropped (lists come whole)."""
    return ".".join(str(p) for p in loc if not isinstance(p, int) and p != "")


def _raw(doc, loc: tuple):
    """The value the file wrote at ``loc`` (before any pydantic conversion), or _MISSING."""
    for part in loc:
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return doc


def found_text(value, typed: bool = False) -> str:
    """A value as a file wrote it, short; with its type when the type is the problem."""
    return _found(value, typed)


def _found(value, typed: bool = False) -> str:
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


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that describes the table at ``loc`` (None if not a model)."""
    annotation: Any = model
    for part in loc:
        if isinstance(part, int):
            annotation = _inner(annotation, list)
            continue
        current = _model_class(annotation)
        if current is not None:
            if part not in current.model_fields:
                return None
            annotation = current.model_fields[part].annotation
        else:
            annotation = _inner(annotation, dict)  # a table of named entries
        if annotation is None:
            return None
    return _model_class(annotation)


def _inner(annotation, container):
    """``dict[str, X]`` (or ``list[X]``, optionally ``| None``) -> X."""
    for option in (get_args(annotation) if get_origin(annotation) in (Union, UnionType)
                   else (annotation,)):
        if get_origin(option) is container:
            return get_args(option)[-1]
    return None


def _model_class(annotation) -> type[BaseModel] | None:
    """``X | None`` or ``X`` -> X if X is a pydantic model."""
    if get_origin(annotation) in (Union, UnionType):
        options = [a for a in get_args(annotation) if a is not NoneType]
        annotation = options[0] if len(options) == 1 else None
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return annotation if is_model else None


def _field_names(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys a table accepts."""
    at = _model_at(model, loc)
    return list(at.model_fields) if at else []


def _range_words(model: type[BaseModel], loc: tuple, error: dict) -> str:
    """'a number in [0, 1]', 'an integer >= 0', ... from the field's full constraints."""
    at = _model_at(model, loc[:-1])
    field = at.model_fields.get(loc[-1]) if at else None
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
