"""Reports from templates: a Jinja2 Markdown template rendered once, and the same text as
a standalone HTML page (Python-Markdown), so the two never say different things.

Templates live in ``experiments/templates`` (``NAME.md.j2``); each report module passes
its tables already formatted (``fmt``, ``interval``) and its figures' file names.
"""

from __future__ import annotations

import math
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.45;"
         "padding:0 1em}table{border-collapse:collapse;font-size:0.88em;margin:0.8em 0}"
         "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}"
         "th:first-child,td:first-child{text-align:left}img{max-width:100%}"
         "pre,code{background:#f6f6f6}pre{padding:0.6em;font-size:0.85em;overflow-x:auto}")


def render(template: str, **context) -> tuple[str, str]:
    """(Markdown, HTML) of ``templates/{template}.md.j2`` with ``context``."""
    import jinja2
    import markdown

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(fmt=fmt, interval=interval)
    text = env.get_template(f"{template}.md.j2").render(**context)
    body = markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])
    title = next((line[2:] for line in text.splitlines() if line.startswith("# ")), template)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")
    return text, page


def fmt(x, digits: int = 1, sign: bool = False) -> str:
    """A number for a table: '—' when missing."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:+,.{digits}f}" if sign else f"{x:,.{digits}f}"


def interval(low, high, digits: int = 1) -> str:
    """'[low, high]', or '' when either bound is missing."""
    if any(v is None or not math.isfinite(v) for v in (low, high)):
        return ""
    return f"[{fmt(low, digits)}, {fmt(high, digits)}]"


def markdown_table(rows: list[dict]) -> str:
    """A Markdown table of dicts (columns in the first row's order)."""
    if not rows:
        return "(none)"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---" for _ in columns) + " |"]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
