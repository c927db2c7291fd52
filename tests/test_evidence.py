"""The evidence table and its verdicts: every rule on constructed cases, the shipped table
and its evaluation files load, a malformed table is told in one line, and ``barrios
evidence`` writes the validation report."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from barrios.cli import main
from experiments.evidence import Entry, Simulated, judge, load_evidence
from tests.conftest import ROOT
from tests.test_evaluation import planted_files

BASE = {"id": "x", "programme": "street_lighting", "claim": "c", "design": "d", "source": "s",
        "evaluation": "e.toml"}


def entry(**kw) -> Entry:
    return Entry(**{**BASE, **kw})


def sim(mean, low, high, trial_low=None, trial_high=None) -> Simulated:
    return Simulated(mean, low, high, trial_low if trial_low is not None else low - 5,
                     trial_high if trial_high is not None else high + 5)


@pytest.mark.parametrize("statement, simulated, verdict", [
    # a published range or 95% interval: overlap agrees
    (dict(interval="range", low=-21, high=-14), sim(-15, -18, -12), "agrees"),
    (dict(interval="range", low=-21, high=-14), sim(-6, -8, -4), "weaker"),
    (dict(interval="ci95", effect=-6.8, low=-10.6, high=-2.7), sim(-20, -25, -15), "stronger"),
    (dict(interval="ci95", effect=-6.8, low=-10.6, high=-2.7), sim(5, 2, 8), "opposite"),
    # a value without an interval: single trials in the model must include it
    (dict(interval="point", effect=-0.12, measure="cohens_d"),
     sim(-0.2, -0.25, -0.15, -0.4, 0.0), "agrees"),
    (dict(interval="point", effect=-0.12, measure="cohens_d"),
     sim(-0.6, -0.65, -0.55, -0.8, -0.4), "stronger"),
    # bounds
    (dict(interval="at_most", effect=-36, outcome="incidents_night"), sim(-30, -40, -20), "agrees"),
    (dict(interval="at_most", effect=-36, outcome="incidents_night"), sim(-10, -12, -8), "weaker"),
    (dict(interval="at_least", effect=-2, comparison="net"), sim(-1, -4, 2), "agrees"),
    (dict(interval="at_least", effect=-2, comparison="net"), sim(-8, -10, -6), "stronger"),
    # a sign
    (dict(interval="direction", effect=-1), sim(-3, -5, -1), "agrees"),
    (dict(interval="direction", effect=-1), sim(-1, -4, 2), "weaker"),
    (dict(interval="direction", effect=-1), sim(3, 1, 5), "opposite"),
    # a null, read as a band: inside agrees; outside on the good side is stronger, on the
    # bad side opposite (fewer incidents is good; more feeling safe is good)
    (dict(interval="null", low=-5, high=5), sim(1, -2, 3), "agrees"),
    (dict(interval="null", low=-5, high=5), sim(-9, -12, -6), "stronger"),
    (dict(interval="null", low=-5, high=5), sim(8, 1, 15), "opposite"),
    # no significant effect in the model either (interval over 0, mean in the band), even
    # where the interval is wider than the band; a mean beyond the band is not a null
    (dict(interval="null", low=-5, high=5), sim(-2, -8.5, 5), "agrees"),
    (dict(interval="null", low=-5, high=5), sim(-6, -13, 1), "stronger"),
    (dict(interval="null", low=-2, high=2, outcome="safe_public", measure="points"),
     sim(-5, -6, -4), "opposite"),
    (dict(interval="null", low=-2, high=2, outcome="safe_public", measure="points"),
     sim(12, 11, 13), "stronger"),
])
def test_verdicts(statement, simulated, verdict):
    assert judge(entry(**statement), simulated).verdict == verdict


def test_no_benchmark_and_no_estimate():
    gap = Entry(**{**BASE, "evaluation": None, "interval": "none"})
    assert judge(gap, None).verdict == "no benchmark"
    assert judge(entry(interval="direction", effect=1), None).verdict == "not measured"
    nan = Simulated(math.nan, math.nan, math.nan, math.nan, math.nan)
    assert judge(entry(interval="direction", effect=1), nan).verdict == "not measured"


def test_the_shipped_table_and_its_evaluations_load():
    loaded = load_evidence(ROOT / "evidence" / "table.toml")
    programmes = {e.programme for e in loaded.table.entry}
    from simulation.interventions import INTERVENTIONS

    assert programmes == set(INTERVENTIONS)  # every programme Barrios models is listed
    assert all(e.source and e.design for e in loaded.table.entry)
    for e in loaded.table.entry:
        if e.interval == "null":
            assert "our reading" in e.note, e.id  # the band is ours: the note says so
    kinds = {item.design.kind for item in loaded.evaluations.values()}
    assert {"randomized", "hot_spots", "catchment"} <= kinds


TABLE = """description = "test"
[[entry]]
id = "night"
programme = "street_lighting"
claim = "lighting cuts night-time incidents"
outcome = "incidents_night"
interval = "ci95"
effect = -30.0
low = -35.0
high = -25.0
design = "planted"
source = "the test"
evaluation = "evaluation.toml"

[[entry]]
id = "feel"
programme = "street_lighting"
claim = "lighting makes people feel safer in public spaces"
outcome = "safe_public"
measure = "points"
interval = "direction"
effect = 1.0
design = "planted"
source = "the test"
evaluation = "evaluation.toml"

[[entry]]
id = "gap"
programme = "cero_acoso"
claim = "no evaluation"
interval = "none"
design = "none"
source = "none"
"""


def test_barrios_evidence_writes_the_validation_report(tmp_path, capsys):
    # six replications: the planted lighting's fear effect (about +1.7 points, each trial
    # between +0.7 and +2.3) must clear a t-interval; with three (t = 4.3) it did not
    planted_files(tmp_path, replications=6, post=3)
    (tmp_path / "table.toml").write_text(TABLE)
    report = tmp_path / "report"
    status = main(["evidence", "--table", str(tmp_path / "table.toml"), "--report", str(report),
                   "--out", str(tmp_path / "runs"), "--workers", "2", "--quiet"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "Verdicts:" in printed
    table = pd.read_csv(report / "evidence.csv").set_index("id")
    assert table.loc["night", "verdict"] == "agrees"       # the planted -30%
    assert table.loc["feel", "verdict"] == "agrees"
    assert table.loc["gap", "verdict"] == "no benchmark"
    readme = (report / "README.md").read_text()
    assert "## Sources" in readme and "### night" in readme and "forest.png" in readme
    assert (report / "forest.png").stat().st_size > 0
    assert (report / "evaluations" / "evaluation" / "report.md").exists()
    # the first paragraph counts what the table says, and each evaluation's report says how
    # its effect stands against the published findings it reproduces
    assert "The model agrees with 2 of the 2 findings" in readme
    assert "**2 published findings" not in readme and "**3 published findings: 2 agree, 1 without" in readme
    evaluation = (report / "evaluations" / "evaluation" / "report.md").read_text()
    assert "Against the published studies this design reproduces: incidents at night" in evaluation
    assert "6 repeated trials" in evaluation
    _written_again_in_spanish(tmp_path, report, capsys)


def _written_again_in_spanish(tmp_path, report, capsys):
    """--report-only reads the tables the run left: no run, the same verdicts, Spanish
    words and decimal commas."""
    import re

    command = ["evidence", "--table", str(tmp_path / "table.toml"), "--report", str(report),
               "--out", str(tmp_path / "runs"), "--quiet"]
    verdicts = (report / "evidence.csv").read_bytes()
    runs = sorted(p.name for p in (tmp_path / "runs").rglob("*"))
    assert main([*command, "--report-only", "--lang", "es"]) == 0
    assert "Veredictos: 2 coinciden, 1 sin referencia" in capsys.readouterr().out
    assert (report / "evidence.csv").read_bytes() == verdicts
    assert sorted(p.name for p in (tmp_path / "runs").rglob("*")) == runs   # nothing ran
    readme = (report / "README.md").read_text()
    assert readme.startswith("# Barrios frente a la evidencia publicada")
    assert "## Fuentes" in readme and "## Sources" not in readme and "**coincide**" in readme
    assert "Reescrito a partir de las tablas" in readme   # says the numbers are the run's
    assert re.search(r"\| -\d+,\d\s% \[-\d+,\d; -\d+,\d\] \|", readme)  # simulated, decimal commas
    evaluation = (report / "evaluations" / "evaluation" / "report.md").read_text()
    assert "Frente a los estudios publicados que este diseño reproduce" in evaluation
    assert "replications = 6" in evaluation.split("```toml")[1]


@pytest.mark.parametrize("change, message", [
    (('outcome = "incidents_night"', 'outcome = "crime"'),
     "entry[0].outcome: expected one of incidents"),
    (('evaluation = "evaluation.toml"', 'evaluation = "missing.toml"'),
     "entry[0].evaluation: expected an existing evaluation file"),
    (('programme = "street_lighting"', 'programme = "upc_posts"'),
     "entry[0].evaluation: expected an evaluation of upc_posts"),
    (('low = -35.0', 'low = -20.0'), "needs low < high"),
    (('id = "feel"', 'id = "night"'), "entry[1].id: expected a unique id"),
    (('outcome = "safe_public"', 'outcome = "legitimacy"'),
     "entry[1].outcome: expected an outcome evaluation.toml measures"),
    (('measure = "points"', 'measure = "percent_change"'),
     "entry[1].measure: expected one of points, cohens_d for safe_public"),
])
def test_a_malformed_table_is_told_in_one_line(tmp_path, capsys, change, message):
    planted_files(tmp_path, replications=2, post=2)
    (tmp_path / "table.toml").write_text(TABLE.replace(*change, 1))
    status = main(["evidence", "--table", str(tmp_path / "table.toml"), "--report",
                   str(tmp_path / "report"), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "report").exists()


def test_the_committed_report_covers_the_table_and_the_readme_quotes_it():
    """results/evidence/ is regenerated after a table or model change: every entry has a
    verdict there, and the README's count is the report's."""
    from collections import Counter

    table = load_evidence(ROOT / "evidence" / "table.toml").table
    report = pd.read_csv(ROOT / "results" / "evidence" / "evidence.csv")
    assert report["id"].tolist() == [e.id for e in table.entry]
    counts = Counter(report["verdict"])
    quoted = (f"**{counts['agrees']} agree, {counts['weaker']} weaker, {counts['stronger']} "
              f"stronger, {counts['opposite']} opposite, {counts['no benchmark']} without a "
              "benchmark.**")
    assert quoted in (ROOT / "README.md").read_text().replace("\n", " ")
