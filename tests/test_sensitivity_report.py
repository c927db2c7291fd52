"""The sensitivity report without running the model: written again from the committed
Morris tables (results/sensitivity/quito), in English and Spanish, from one template;
every parameter has a human name in both languages; ``--report-only`` runs nothing."""

from __future__ import annotations

import html
import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from barrios.cli import main
from experiments.parameter_names import NAMES, UNITS_ES, parameter_name
from experiments.sensitivity_report import read_stored, write_sensitivity_report
from experiments.sensitivity_study import load_sensitivity
from simulation.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "results" / "sensitivity" / "quito"
FILE = ROOT / "experiments" / "sensitivity_quito.toml"


@pytest.fixture()
def stored(tmp_path):
    """A copy of the committed Morris tables (the report is written next to them)."""
    folder = tmp_path / "quito"
    shutil.copytree(STORED, folder)
    for name in ("report.md", "report.html"):
        (folder / name).unlink(missing_ok=True)
    return folder


def test_every_parameter_has_a_short_name_in_both_languages_and_a_spanish_unit():
    assert list(NAMES) == list(PARAMETERS)
    for name, (en, es) in NAMES.items():
        assert en and es and en != name, name
    assert {p.unit for p in PARAMETERS.values()} <= set(UNITS_ES)


def _summary(text: str) -> str:
    return text.split('<div class="summary"')[1].split("</div>")[0].split(">", 1)[1].strip()


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def test_the_report_is_one_template_in_markdown_and_html(stored):
    loaded = load_sensitivity(FILE)
    result = read_stored(loaded, stored)
    md_path, html_path = write_sensitivity_report(loaded, result.morris, None, stored)
    md, page = md_path.read_text(), html_path.read_text()
    assert _plain(_summary(md)) == _plain(_summary(page))  # the same words, one source
    for heading in re.findall(r"^#+ (.+)$", md, re.MULTILINE):
        assert f">{html.escape(heading, quote=False)}</h" in page, heading
    # every Markdown table is a table in HTML (a stray '|' in a cell would break one)
    tables = md.count("\n| --- |")
    assert tables == 4 and page.count("<table>") == tables
    assert md.count("\n| \\|simulated") == 4  # the gaps' '|' escaped in the noise table


def test_the_report_states_the_settings_the_stored_runs_used(stored):
    loaded = load_sensitivity(FILE)
    indices = pd.read_csv(stored / "morris_indices.csv")
    result = read_stored(loaded, stored)
    md = write_sensitivity_report(loaded, result.morris, None, stored)[0].read_text()
    d, r, reps = len(loaded.names), loaded.spec.morris.trajectories, loaded.spec.morris.replications
    assert indices["parameter"].nunique() == d
    assert f"We varied {d} parameters" in md
    assert f"{r} trajectories" in md and f"{r * (d + 1) * reps:,} runs" in md
    settings = tomllib.loads(md.split("```toml\n")[1].split("```")[0])
    assert settings["sensitivity"]["morris"]["trajectories"] == r
    assert settings["scenario"]["city"]["width"] == loaded.base.scenario.city.width
    assert "--morris-only --report-only" in md.split("Produced by")[1]
    assert "Written again from the tables a run left in this folder" in md  # no run behind it
    # the parameters' human names, and each one's range and unit in the appendix
    top = indices.sort_values("mu_star").iloc[-1]["parameter"]
    assert parameter_name(top) in md and f"`{top}`" in md
    assert PARAMETERS["memory_decay"].unit in md


def test_the_spanish_report_has_spanish_words_and_decimal_commas(stored):
    loaded = load_sensitivity(FILE)
    result = read_stored(loaded, stored)
    md = write_sensitivity_report(loaded, result.morris, None, stored, "es")[0].read_text()
    english = write_sensitivity_report(loaded, result.morris, None, stored, "en",
                                       name="english")[0].read_text()
    for heading in ("## Qué se analizó", "## Tamizaje de Morris", "## Ruido de réplica",
                    "## Anexo"):
        assert heading in md
    assert "## What was analysed" not in md and "replication noise" not in md
    # the same μ* values, with a decimal comma in Spanish and a point in English
    top = result.morris.indices.sort_values("mu_star").iloc[-1]
    value = f"{top['mu_star']:.2f}"
    assert value in english and value.replace(".", ",") in md
    assert parameter_name(top["parameter"], "es") in md
    assert not re.search(r"\d\.\d\d ± ", md) and re.search(r"\d,\d\d ± \d", md)
    assert "Generado con `barrios sensitivity" in md and "--lang es" in md


def test_report_only_runs_nothing_and_needs_the_tables(stored, tmp_path, capsys):
    assert main(["sensitivity", str(FILE), "--report", str(stored), "--report-only",
                 "--morris-only", "--lang", "es", "--quiet"]) == 0
    assert (stored / "report.md").read_text().startswith("# Análisis de sensibilidad")
    assert not (stored / "morris").exists()            # no store opened, no run
    assert "Wrote report.md, report.html" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["sensitivity", str(FILE), "--report", str(empty), "--report-only"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "morris_indices.csv" in err[0] and "Traceback" not in err[0]
