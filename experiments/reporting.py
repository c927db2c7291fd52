"""Reports from templates: a Jinja2 Markdown template rendered once, and the same text as
a standalone HTML page (Python-Markdown), so the two never say different things.

Templates live in ``experiments/templates`` (``NAME.md.j2``); each report module passes
its tables already formatted or raw numbers for the template's filters, its figures' file
names, and its own words (``strings``: ``{key: {"en": ..., "es": ...}}``, read in the
template as ``t("key", value=...)``). One template serves both languages: ``lang`` picks
the words and the number format (Spanish: decimal comma, point between thousands, as
Ecuador's INEC writes them; Babel does the formatting).

Filters every template has: ``fmt`` (a number, '—' when missing), ``pct`` (a share as a
percentage), ``interval`` ('[a, b]', '[a, ∞)' when the upper bound is unbounded) and
``usd_m`` (US$ millions).
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).parent / "templates"
LANGS = ("en", "es")
STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.45;"
         "padding:0 1em}table{border-collapse:collapse;font-size:0.88em;margin:0.8em 0}"
         "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}"
         "th:first-child,td:first-child{text-align:left}img{max-width:100%}"
         "pre,code{background:#f6f6f6}pre{padding:0.6em;font-size:0.85em;overflow-x:auto}"
         ".summary{font-size:1.08em;background:#f3f7fb;border-left:4px solid #3b78b0;"
         "padding:0.4em 1em}")

COMMON: dict[str, dict[str, str]] = {
    "appendix": {"en": "Appendix: the settings this report ran with",
                 "es": "Anexo: la configuración con la que se generó este informe"},
    "appendix_note": {"en": "The configuration as the runs used it, after every override "
                            "(command-line options, study files), as TOML.",
                      "es": "La configuración tal como la usaron las simulaciones, después "
                            "de cada cambio (opciones de la línea de órdenes, archivos de "
                            "estudio), en TOML."},
    "produced_by": {"en": "Produced by `{command}` with Barrios at commit {commit}, {date}.",
                    "es": "Generado con `{command}` por Barrios en la versión {commit}, {date}."},
    "no_clear_gain": {"en": "no clear gain", "es": "sin ganancia clara"},
    "pp": {"en": "percentage points", "es": "puntos porcentuales"},
    "interval_95": {"en": "95% interval", "es": "intervalo del 95 %"},
}


# --- numbers ---------------------------------------------------------------------------------

def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def number(x, digits: int = 1, lang: str = "en", sign: bool = False) -> str:
    """``x`` with ``digits`` decimals in ``lang``'s format ('1,234.5' / '1.234,5'); '—'
    when missing, '∞' / '−∞' when unbounded; ``sign`` writes '+' on positives."""
    from babel.numbers import format_decimal

    if _missing(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    text = format_decimal(round(float(x), digits) + 0.0, format=pattern, locale=_locale(lang))
    if sign and float(x) > 0 and not text.lstrip("0,.") == "":
        text = "+" + text
    return text


def fmt(x, digits: int = 1, sign: bool = False, lang: str = "en") -> str:
    """A number for a table (English unless ``lang``): '—' when missing."""
    return number(x, digits, lang, sign)


def pct(share, digits: int = 1, lang: str = "en") -> str:
    """A share (0-1) as a percentage: '41.2%' / '41,2 %' (Spanish puts a space before %)."""
    if _missing(share):
        return "—"
    return number(100 * share, digits, lang) + ("\u00a0%" if lang == "es" else "%")


def usd_m(x, digits: int = 1, lang: str = "en") -> str:
    """US$ as millions: 'US$ 12.3 M' / 'US$ 12,3 M'."""
    if _missing(x):
        return "—"
    return f"US$\u00a0{number(x / 1e6, digits, lang)}\u00a0M"


def interval(low, high, digits: int = 1, lang: str = "en") -> str:
    """'[low, high]'; '[low, ∞)' or '(−∞, high]' when a bound is unbounded (a bootstrap
    of a ratio whose denominator may be 0); '' when a bound is missing."""
    if _missing(low) or _missing(high):
        return ""
    sep = "; " if lang == "es" else ", "  # a comma inside '[1,5, 2,0]' would read as a decimal
    left = "(" if math.isinf(low) else "["
    right = ")" if math.isinf(high) else "]"
    return f"{left}{number(low, digits, lang)}{sep}{number(high, digits, lang)}{right}"


def _locale(lang: str) -> str:
    return "es_EC" if lang == "es" else "en_US"


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"expected a report language, one of {', '.join(LANGS)}; found {lang!r}")
    return lang


# --- words ----------------------------------------------------------------------------------

def translator(strings: dict[str, dict[str, str]] | None, lang: str):
    """``t(key, **values)``: the text of ``key`` in ``lang`` filled in with ``values``. A
    key missing from ``strings`` and ``COMMON`` is an error (a report never shows a key)."""
    table = {**COMMON, **(strings or {})}

    def t(key: str, **values) -> str:
        return table[key][lang].format(**values)

    return t


# --- rendering ------------------------------------------------------------------------------

def render(template: str, lang: str = "en", strings: dict | None = None,
           **context) -> tuple[str, str]:
    """(Markdown, HTML) of ``templates/{template}.md.j2`` in ``lang`` with ``context``."""
    import jinja2
    import markdown

    check_lang(lang)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(fmt=partial(fmt, lang=lang), interval=partial(interval, lang=lang),
                       pct=partial(pct, lang=lang), usd_m=partial(usd_m, lang=lang))
    env.globals.update(t=translator(strings, lang), lang=lang)
    text = env.get_template(f"{template}.md.j2").render(**context)
    body = markdown.markdown(text, extensions=["tables", "fenced_code", "toc", "md_in_html"])
    title = next((line[2:] for line in text.splitlines() if line.startswith("# ")), template)
    page = (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<title>{title}</title><style>{STYLE}</style></head><body>\n{body}\n"
            "</body></html>\n")
    return text, page


def write_report(folder: Path, template: str, lang: str = "en", strings: dict | None = None,
                 name: str = "report", **context) -> list[Path]:
    """Render and write ``{name}.md`` and ``{name}.html`` in ``folder``; return the paths."""
    text, page = render(template, lang, strings, **context)
    paths = [folder / f"{name}.md", folder / f"{name}.html"]
    paths[0].write_text(text, encoding="utf-8")
    paths[1].write_text(page, encoding="utf-8")
    return paths


def settings_toml(document: dict[str, Any]) -> str:
    """A settings document (e.g. ``Scenario.model_dump()``) as TOML for an appendix: None
    values dropped (TOML has no null), everything else as the run used it."""
    import tomli_w

    return tomli_w.dumps(_without_none(document))


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_without_none(v) for v in value if v is not None]
    return value


CODE = ("simulation", "experiments", "barrios", "scenarios", "evidence", "workshop")
"""The folders whose uncommitted changes a report's commit is marked with ('+changes')."""


def provenance() -> dict[str, str]:
    """The commit (with '+changes' when the code, scenarios or evidence differ from it) and
    today's date."""
    import datetime as dt
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                                capture_output=True, check=True).stdout.strip()
        # Only what makes the numbers counts: rewriting results/ or docs/ is not a change.
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                *CODE], cwd=root, text=True, capture_output=True).stdout.strip()
        commit += "+changes" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {"commit": commit, "date": dt.date.today().isoformat()}


def decimal_axes(ax, lang: str = "en", digits: int | None = None):
    """Tick labels of a matplotlib axis in ``lang``'s number format."""
    from matplotlib.ticker import FuncFormatter

    if lang == "en":
        return
    def label(value, _pos):
        d = digits if digits is not None else (0 if float(value).is_integer() else 1)
        return number(value, d, lang)
    ax.xaxis.set_major_formatter(FuncFormatter(label))
    ax.yaxis.set_major_formatter(FuncFormatter(label))


def scale_text(scenario, lang: str = "en") -> str:
    """The city and the run a study simulated, in words with units: '10 × 30 barrios,
    700,000 inhabitants, 1 agent per 100 inhabitants, 3 years from January 1, 2023, after
    180 days of burn-in'."""
    from babel.dates import format_date

    c, r = scenario.city, scenario.run
    n = partial(number, lang=lang)
    years = n(r.years, 0 if float(r.years).is_integer() else 2)
    start = format_date(r.start, format="long", locale=_locale(lang))
    if lang == "es":
        return (f"{c.width} × {c.height} barrios, {n(c.population, 0)} habitantes, 1 agente "
                f"por cada {n(c.inhabitants_per_agent, 0)} habitantes, {years} años desde el "
                f"{start}, tras {r.burn_in_days} días de arranque")
    return (f"{c.width} × {c.height} barrios, {n(c.population, 0)} inhabitants, 1 agent per "
            f"{n(c.inhabitants_per_agent, 0)} inhabitants, {years} years from {start}, after "
            f"{r.burn_in_days} days of burn-in")


def markdown_table(rows: list[dict]) -> str:
    """A Markdown table of dicts (columns in the first row's order)."""
    if not rows:
        return "(none)"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---" for _ in columns) + " |"]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
