"""The comparison report on constructed runs (no simulation): the first paragraph names
the scenario that raises perceived safety most, its gain with the interval, its extra
cost and whether it is clear of noise; the settings stated are the ones the runs used;
Markdown and HTML come from one template; the Spanish report is Spanish with decimal
commas; a cost per point shows '[x, ∞)' and 'no clear gain' when it should.
"""

from __future__ import annotations

import html
import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

import barrios
from experiments import reporting
from experiments.compare import GROUP_OUTCOMES, Comparison, analyse
from experiments.compare_report import (
    context,
    cost_per_point,
    estimate,
    headline,
    terminal_text,
    write_outputs,
)
from experiments.compare_words import STRINGS
from experiments.scenario_files import load_scenario, scenario_title
from experiments.study import changed_by
from simulation.outcomes import OUTCOMES as REGISTRY

FILES = ["baseline_2023", "quito_2023_2025", "committees_only"]
RUNS = 6
HEADINGS = ["h_compared", "h_results", "h_groups", "h_sure", "h_assumptions"]


def comparison(folder: Path, gains: dict[str, float], noise: dict[str, float],
               costs: dict[str, float]) -> Comparison:
    """A comparison of the shipped scenarios (changed by years=1, scale=800) on made-up
    runs: each scenario's change is the reference's plus ``gains`` (points as shares),
    with its own ``noise``; replication k shares its noise across scenarios."""
    loaded = [changed_by(load_scenario(SCENARIOS / f"{f}.toml"), years=1, scale=800)
              for f in FILES]
    names = [item.scenario.name for item in loaded]
    rng = np.random.default_rng(3)
    shared = rng.normal(0, 0.01, RUNS)
    rows = []
    for name in names:
        own = rng.normal(0, noise[name], RUNS)
        for k in range(RUNS):
            change = 0.02 + shared[k] + gains[name] + own[k]
            row = {"scenario": name, "replication": k, "safe_public_change": change,
                   "safe_neighbourhood_change": change + 0.01,
                   "victimization_12m_end": 0.2 - change / 4 + shared[k] / 10,
                   "severe_violence_per_100k_end": 8 - 10 * change,
                   "cost_usd_total": costs[name] * (1 + 0.001 * k)}
            rows.append(row | {g: 0.4 + change for g in GROUP_OUTCOMES})
    table, groups = analyse(pd.DataFrame(rows), names)
    folder.mkdir(parents=True, exist_ok=True)
    return Comparison(None, folder, table, groups, loaded, seed=7, replications=RUNS,
                      overrides={"years": 1, "scale": 800})


@pytest.fixture
def clear(tmp_path) -> Comparison:
    """The plan raises safety by about 8 points, clear of its noise; committees barely."""
    return comparison(tmp_path / "clear",
                      gains={"baseline_2023": 0, "quito_2023_2025": 0.08, "committees_only": 0.004},
                      noise={"baseline_2023": 0.001, "quito_2023_2025": 0.002,
                             "committees_only": 0.02},
                      costs={"baseline_2023": 100e6, "quito_2023_2025": 715e6,
                             "committees_only": 101e6})


def _row(result: Comparison, name: str, outcome: str) -> pd.Series:
    return result.table.set_index(["scenario", "outcome"]).loc[(name, outcome)]


# --- (d) numbers in words ------------------------------------------------------------------


def test_cost_per_point_with_an_unbounded_upper_bound_reads_x_to_infinity():
    assert cost_per_point(5e6, 3e6, np.inf, 0.01, 0.05, "en") == "5.00 [3.00, ∞)"
    assert cost_per_point(5e6, 3e6, np.inf, 0.01, 0.05, "es") == "5,00 [3,00; ∞)"
    assert cost_per_point(75e6, 73e6, 77.5e6, 0.07, 0.09, "en") == "75.0 [73.0, 77.5]"


def test_cost_per_point_without_a_clear_gain_is_words_not_a_price():
    for low, high in ((-0.01, 0.05), (0.0, 0.02), (-0.03, 0.0)):
        assert cost_per_point(5e6, 3e6, 9e6, low, high, "en") == "no clear gain"
        assert cost_per_point(5e6, 3e6, 9e6, low, high, "es") == "sin ganancia clara"
    assert cost_per_point(np.nan, np.nan, np.nan, -0.05, -0.01, "en") == "no gain"
    assert cost_per_point(np.nan, np.nan, np.nan, -0.05, -0.01, "es") == "sin ganancia"


def test_estimate_drops_an_interval_that_is_missing_or_a_single_value():
    assert estimate(8.24, 8.01, 8.49, sign=True) == "+8.2 [8.0, 8.5]"
    assert estimate(8.24, 8.01, 8.49, lang="es") == "8,2 [8,0; 8,5]"
    assert estimate(615.0, 615.0, 615.0) == "615.0"
    assert estimate(3.0, np.nan, np.nan) == "3.0"
    assert estimate(np.nan, 1.0, 2.0) == "—"


# --- the first paragraph --------------------------------------------------------------------


def test_the_first_paragraph_names_the_best_scenario_its_gain_cost_and_noise(clear):
    text = headline(clear, "en")
    plan = scenario_title(clear.scenarios[1].scenario, "en")
    base = scenario_title(clear.scenarios[0].scenario, "en")
    assert f"**{plan}**" in text and f"*{base}*" in text
    for measure in ("public", "neighbourhood"):
        row = _row(clear, "quito_2023_2025", f"safe_{measure}_change")
        gain = (f"{100 * row['diff_mean']:.1f} percentage points more (95% interval "
                f"{100 * row['diff_low']:.1f} to {100 * row['diff_high']:.1f})")
        assert gain in text, gain
    extra = _row(clear, "quito_2023_2025", "cost_usd_total")["diff_mean"] / 1e6
    assert f"at an extra cost of US$ {extra:.1f} million over 1 year" in text
    assert "Both rises are larger than the chance variation" in text
    spanish = headline(clear, "es")
    assert f"**{scenario_title(clear.scenarios[1].scenario, 'es')}**" in spanish
    assert f"US$ {extra:.1f} millones en 1 año".replace(".", ",") in spanish
    assert "Ambos aumentos son mayores que la variación por azar" in spanish


def test_a_best_gain_within_the_noise_is_called_possibly_chance(tmp_path):
    result = comparison(tmp_path, gains={"baseline_2023": 0, "quito_2023_2025": -0.01,
                                         "committees_only": 0.003},
                        noise={"baseline_2023": 0.001, "quito_2023_2025": 0.001,
                               "committees_only": 0.03},
                        costs={"baseline_2023": 100e6, "quito_2023_2025": 700e6,
                               "committees_only": 100e6})
    row = _row(result, "committees_only", "safe_public_change")
    assert row["diff_mean"] > 0 and row["diff_low"] < 0  # the construction, checked
    text = headline(result, "en")
    assert "**Committees only**" in text and "at no extra cost" in text
    lines = context(result, "en")["scenarios"]
    assert lines[2] == ("**Committees only** changes Safety committees (Barrios por la Vida); "
                        "everything else is as in the reference.")
    assert "they may be chance" in text and "Both rises" not in text
    cells = context(result, "en")["differences"]
    assert "no clear gain" in cells and "no gain" in cells


# --- what ran -------------------------------------------------------------------------------


def test_the_report_states_the_settings_the_runs_used(clear):
    write_outputs(clear, "en")
    md = (clear.folder / "report.md").read_text(encoding="utf-8")
    assert "simulated for 1 year from January 1, 2023" in md
    assert "one simulated resident (agent) for every 800 inhabitants (3,500 agents)" in md
    assert "2,800,000 inhabitants in 1,200 barrios" in md
    assert "ran 6 times" in md and "seed 7" in md
    assert "3 years" not in md and "every 100 inhabitants" not in md  # the files' values
    assert "--years 1 --scale 800" in md and "--replications 6 --seed 7" in md
    appendix = re.findall(r"```toml\n(.*?)```", md, flags=re.DOTALL)
    assert len(appendix) == 3
    for text, item in zip(appendix, clear.scenarios):
        document = tomllib.loads(text)
        assert document["name"] == item.scenario.name
        assert document["run"]["years"] == 1 and document["city"]["inhabitants_per_agent"] == 800
        assert (document["run"]["seed"], document["run"]["replications"]) == (7, RUNS)


# --- (b) one source -------------------------------------------------------------------------


def _table_cells(md: str) -> list[str]:
    cells = []
    for line in md.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells += [c.strip() for c in line.strip("|").split(" | ")]
    return cells


def test_markdown_and_html_render_from_one_template(clear, tmp_path, monkeypatch):
    files = write_outputs(clear, "en")
    assert [f.name for f in files][-2:] == ["report.md", "report.html"]
    md = (clear.folder / "report.md").read_text(encoding="utf-8")
    page = (clear.folder / "report.html").read_text(encoding="utf-8")
    cells = _table_cells(md)
    assert len(cells) > 50 and any("[" in c for c in cells)
    for cell in cells:
        assert f">{html.escape(cell, quote=False)}<" in page, cell
    for line in md.splitlines():
        if line.startswith("#"):
            assert f">{html.escape(line.lstrip('# '), quote=False)}</h" in page.replace(
                "<code>", "`").replace("</code>", "`"), line
    # a change in the template shows in both files
    templates = tmp_path / "templates"
    shutil.copytree(reporting.TEMPLATES, templates)
    source = templates / "compare.md.j2"
    source.write_text(source.read_text(encoding="utf-8") + "\nMarker line 4711.\n",
                      encoding="utf-8")
    monkeypatch.setattr(reporting, "TEMPLATES", templates)
    write_outputs(clear, "en")
    assert "Marker line 4711." in (clear.folder / "report.md").read_text(encoding="utf-8")
    assert "<p>Marker line 4711.</p>" in (clear.folder / "report.html").read_text(encoding="utf-8")


# --- (c) Spanish ----------------------------------------------------------------------------


def test_the_spanish_report_has_spanish_words_and_decimal_commas(clear):
    write_outputs(clear, "es")
    md = (clear.folder / "report.md").read_text(encoding="utf-8")
    page = (clear.folder / "report.html").read_text(encoding="utf-8")
    body, appendix = md.split("## " + reporting.COMMON["appendix"]["es"])
    for key in HEADINGS:
        assert STRINGS[key]["es"] in md and STRINGS[key]["en"] not in md, key
    assert reporting.COMMON["appendix"]["en"] not in md and "Generado con `barrios" in appendix
    for outcome in ("safe_public_change", "victimization_12m_end", "severe_violence_per_100k_end"):
        assert REGISTRY[outcome].label("es") in body and REGISTRY[outcome].label("en") not in md
    for item in clear.scenarios:
        assert scenario_title(item.scenario, "es") in body
    assert "Quito before the plan" not in body and "no clear gain" not in md
    numbers = re.findall(r"-?\d[\d.,]*\d", body)
    assert any(re.fullmatch(r"-?\d+,\d", n) for n in numbers)  # decimal commas
    assert not [n for n in numbers if re.fullmatch(r"-?\d+\.\d{1,2}", n)]  # no decimal points
    assert "2.800.000 habitantes" in body and "1 año" in body
    assert "<html lang='es'>" in page and "--lang es" in appendix
    assert "Diferencia frente a" in terminal_text(clear, "es")


def test_the_api_refuses_an_unknown_language_before_running(tmp_path):
    with pytest.raises(ValueError, match="one of en, es; found 'fr'"):
        barrios.compare([SCENARIOS / "baseline_2023.toml"], out=tmp_path / "x", lang="fr")
    assert not (tmp_path / "x" / "runs").exists()


def test_outputs_include_the_cost_gain_chart(clear):
    names = [f.name for f in write_outputs(clear, "es")]
    assert "cost_gain.png" in names
    assert (clear.folder / "cost_gain.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](cost_gain.png)" in (clear.folder / "report.md").read_text(encoding="utf-8")
