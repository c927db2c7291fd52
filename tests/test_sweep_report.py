"""The sweep's report: the settings it states are the sweep's (a real tiny sweep, analysed
again), and its words follow the design-point means (constructed for the shipped budget
experiment, no model run): how many mixes reach the target, the cheapest one on the
Pareto front that does, the PRIM box, failed runs; in English and Spanish, Markdown and
HTML from one template."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
import tomllib
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from experiments.reporting import write_report
from experiments.sweep import BUDGET_SPENT, load_experiment
from experiments.sweep_analysis import tradeoff_figure
from experiments.sweep_report import (STRINGS, analyse, context, figure_labels,
                                      tables_from_points)
from simulation.interventions import INTERVENTIONS

ROOT = Path(__file__).resolve().parents[1]
BUDGET = ROOT / "experiments" / "budget_100m.toml"


def _toml(md: str) -> dict:
    return tomllib.loads(md.split("```toml\n")[1].split("```")[0])


def _summary(text: str) -> str:
    inner = text.split('<div class="summary"')[1].split("</div>")[0].split(">", 1)[1]
    return re.sub(r"[ \t\n]+", " ", html.unescape(re.sub(r"<[^>]+>", "", inner))).strip()


def test_the_report_states_the_sweep_as_it_ran(tiny_sweeps, tmp_path):
    folder = tmp_path / "sweep"
    shutil.copytree(tiny_sweeps.one.folder, folder)
    result = dataclasses.replace(tiny_sweeps.one, folder=folder)
    text = analyse(result)
    assert text.startswith("Design points: 4 (means over replications in points.csv)")
    md = (folder / "report.md").read_text()
    design = pd.read_parquet(folder / "design.parquet")
    loaded = result.loaded
    assert f"We simulated {len(design)} mixes" in md
    assert f"{loaded.spec.replications} replication(s) each ({len(result.run_ids)} runs)" in md
    settings = _toml(md)
    assert settings["experiment"]["replications"] == loaded.spec.replications == 2
    assert settings["experiment"]["levers"]["lighting"]["levels"] == [0.0, 0.5]
    assert settings["scenario"]["run"]["years"] == loaded.base.scenario.run.years == 0.1
    assert settings["scenario"]["city"]["width"] == 6
    # human names and units: the lever as a programme's intensity in %, the uncertainty as
    # the parameter's name with its registry unit
    assert f"{INTERVENTIONS['street_lighting'].label_en}: intensity" in md
    assert "levels 0%, 50%" in md and "% of full coverage" in md
    assert "fear passed on in conversation" in md and "share of the gap per conversation" in md
    assert (folder / "report.html").is_file() and (folder / "tradeoff.png").is_file()


# --- the words, from constructed means ---------------------------------------------------------


def _budget_points(n: int = 40, seed: int = 3) -> pd.DataFrame:
    """Means of ``n`` budget splits: the gain grows with the share of street lighting, the
    spending with the share of migrant inclusion."""
    loaded = load_experiment(BUDGET)
    rng = np.random.default_rng(seed)
    names = loaded.spec.budget.interventions
    shares = rng.dirichlet(np.ones(len(names)), size=n)
    points = pd.DataFrame(shares, columns=[f"share_{p}" for p in names])
    points.insert(0, "point", range(n))
    lighting = points["share_street_lighting"]
    points["safe_public_change"] = 0.005 + 0.06 * lighting + rng.normal(0, 0.001, n)
    points[BUDGET_SPENT] = 60e6 + 30e6 * points["share_migrant_inclusion"]
    points["cost_usd_total"] = points[BUDGET_SPENT] + 5e6
    points["replications"], points["failed"] = 2, 0
    points.loc[n - 1, ["replications", "failed"]] = 0, 2           # every run failed
    points.loc[n - 1, ["safe_public_change", BUDGET_SPENT, "cost_usd_total"]] = np.nan
    points.loc[n - 2, ["replications", "failed"]] = 1, 1           # one of two failed
    return loaded, points


@pytest.fixture(scope="module")
def budget_reports(tmp_path_factory):
    loaded, points = _budget_points()
    tables = tables_from_points(loaded, points)
    folder = tmp_path_factory.mktemp("budget")
    reports = {}
    for lang in ("en", "es"):
        md, page = write_report(folder, "sweep", lang, STRINGS, name=f"report_{lang}",
                                **context(loaded, tables, lang))
        reports[lang] = (md.read_text(), page.read_text())
    return loaded, points, tables, reports


def test_the_summary_says_what_reaches_the_target_and_the_cheapest_such_mix(budget_reports):
    loaded, points, tables, reports = budget_reports
    md, page = reports["en"]
    target = loaded.spec.target.at_least
    analysed = points[points["replications"] > 0]
    reaching = analysed[analysed["safe_public_change"] >= target]
    assert 0 < len(reaching) < len(analysed)
    summary = _summary(md)
    assert summary == _summary(page)                              # one source
    assert f"We simulated {len(points)} mixes" in summary
    assert f"{len(reaching)} of {len(analysed)} mixes reach the target" in summary
    assert "of at least +2.0\u00a0pp" in summary
    cheapest = tables.front[tables.front["safe_public_change"] >= target].iloc[0]
    assert cheapest[BUDGET_SPENT] == reaching[BUDGET_SPENT].min()
    assert f"costs US$\u00a0{cheapest[BUDGET_SPENT] / 1e6:.1f}\u00a0M" in summary
    assert f"gains +{100 * cheapest['safe_public_change']:.1f}\u00a0pp" in summary
    # the PRIM box, in words: the share of street lighting is what tells them apart
    box = tables.box.set_index("lever")
    assert list(box.index) == ["share_street_lighting"]
    assert (f"mostly those that give Street lighting between {100 * box.loc['share_street_lighting', 'min']:.0f}% "
            f"and {100 * box.loc['share_street_lighting', 'max']:.0f}% of the budget") in summary
    assert "2 mixes had runs that failed" in summary


def test_the_front_prim_and_failed_runs_are_shown_with_names_and_units(budget_reports):
    loaded, points, tables, reports = budget_reports
    md, page = reports["en"]
    front = md.split("## Pareto front")[1].split("\n## ")[0]
    header = next(line for line in front.splitlines() if line.startswith("| mix"))
    assert "share of the budget: Street lighting" in header and "budget spent (US$ M)" in header
    assert "(pp)" in header and "reaches the target" in header
    rows = [line for line in front.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) == len(tables.front)
    assert "## Which mixes reach the target" in md and "**Coverage" in md and "**Density" in md
    failed = md.split("## Failed runs")[1].split("\n## ")[0]
    failed_rows = [line for line in failed.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [int(r.split("|")[1]) for r in failed_rows] == list(points.index[points["failed"] > 0])
    assert page.count("<table>") == md.count("\n| --- |")


def test_the_spanish_report_has_spanish_words_and_decimal_commas(budget_reports):
    loaded, points, tables, reports = budget_reports
    md, page = reports["es"]
    summary = _summary(md)
    assert summary == _summary(page)
    assert summary.startswith(f"Simulamos {len(points)} combinaciones")
    assert "alcanzan la meta" in summary and "de al menos +2,0\u00a0pp" in summary
    cheapest = tables.front[tables.front["safe_public_change"] >= loaded.spec.target.at_least].iloc[0]
    assert f"cuesta US$\u00a0{cheapest[BUDGET_SPENT] / 1e6:.1f}\u00a0M".replace(".", ",") in summary
    for words in ("## Qué se exploró", "## Frontera de Pareto", "## Simulaciones fallidas",
                  "## Anexo", "parte del presupuesto: Alumbrado público",
                  "presupuesto gastado (US$ M)", "dan a Alumbrado público entre"):
        assert words in md, words
    assert "## What was explored" not in md and "Pareto front" not in md
    assert not re.search(r"\| \+?\d+\.\d \|", md)  # no decimal points in the tables


def test_the_spanish_figure_has_spanish_labels_and_decimal_commas(budget_reports, tmp_path,
                                                                    monkeypatch):
    loaded, _, tables, _ = budget_reports
    figures = []
    monkeypatch.setattr(plt, "close", figures.append)
    tradeoff_figure(tables.analysed, tables.front, tables.cost, tables.gain,
                    loaded.spec.target.at_least, tmp_path / "tradeoff.png",
                    labels=figure_labels(loaded, tables, "es"), lang="es")
    ax = figures[0].axes[0]
    assert ax.get_xlabel() == "presupuesto gastado (millones de US$)"
    assert ax.get_ylabel().startswith("cambio en el porcentaje de quienes se sienten seguros")
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {
        "combinaciones", "frontera de Pareto", "meta +2,0\u00a0pp"}
    assert ax.yaxis.get_major_formatter()(2.5, 0) == "2,5"
    plt.close(figures[0])
