"""Virtual evaluations through the model: a planted effect is recovered, the assignment
follows the design and is reproducible whatever the number of workers, the matched
design recovers a planted effect under worst-first targeting where the naive comparison
does not, and ``barrios evaluate`` writes its report."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from barrios.cli import main
from experiments.assignment import Assignment, assignment_seed
from experiments.effects import MonthMatrix
from experiments.evaluation import design_runs, evaluate, load_evaluation
from experiments.execution import Execution
from experiments.matching import match, naive_ratio
from simulation import BarriosModel
from tests.conftest import ROOT, shipped

PLANTED_CITY = """name = "planted"
[run]
start = 2023-01-01
years = 1
burn_in_days = 60
[city]
population = 400_000
inhabitants_per_agent = 50
width = 20
height = 20
barrio_file = "barrios.csv"
[parameters]
# Lighting is the only thing that differs between lit and unlit barrios: installed in a
# day, from no light at all, cutting night-time offence success by 30%. No feedback can
# move people or offenders: no attractiveness, no arrests, fear keeps nobody at home, and
# no other programme runs.
lighting_installation_rate = 1.0
lighting_night_risk_reduction = 0.3
attractiveness_risk_effect = 0.0
arrest_probability_per_offence = 0.0
fear_stay_home_strength = 0.0
offender_choice_sensitivity = 0.0  # offenders do not pick barrios by how promising they look
# Light reassures (the largest direct effect the fear evidence allows: barrios params),
# so the evidence test's "lighting makes people feel safer" has an effect to find
# whatever the calibrated default.
lighting_perception_effect = 0.012
# Frequent offending, so that a few replications measure the effect precisely.
offending_propensity_mean = 0.06
offences_per_offender_phase = 0.6
"""

EVALUATION = """scenario = "city.toml"
programme = "street_lighting"
replications = {replications}
seed = 3
outcomes = ["incidents_day", "incidents_night", "safe_public"]
[design]
start = 2023-07-01
pre_months = 6
post_months = {post}
follow_up_months = 2
"""


def planted_files(folder: Path, replications: int = 16, post: int = 12) -> Path:
    rng = np.random.default_rng(1)
    pd.DataFrame([{"row": r, "col": c, "population": 1000,
                   "disadvantage": round(float(rng.uniform(0.2, 0.8)), 3), "lighting": 0.0}
                  for c in range(20) for r in range(20)]).to_csv(folder / "barrios.csv", index=False)
    (folder / "city.toml").write_text(PLANTED_CITY)
    path = folder / "evaluation.toml"
    path.write_text(EVALUATION.format(replications=replications, post=post))
    return path


def test_a_planted_lighting_effect_is_recovered_through_the_model(tmp_path):
    """Night-time incidents in lit barrios fall by exactly 30% in expectation (the planted
    effect: log 0.7); day-time ones do not change. The randomized trial recovers both
    within the 99% interval of its replications."""
    loaded = load_evaluation(planted_files(tmp_path))
    result = evaluate(loaded, tmp_path / "out", Execution(workers=2, progress=False))
    est = result.estimates
    for outcome, truth in (("incidents_night", math.log(0.7)), ("incidents_day", 0.0)):
        values = est[(est["outcome"] == outcome) & (est["measure"] == "log_rate_ratio")]["value"]
        half = stats.t.ppf(0.995, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
        assert abs(values.mean() - truth) <= half, (outcome, values.mean(), truth, half)
    night = result.effects.set_index(["outcome", "measure"]).loc[("incidents_night", "percent_change")]
    assert night["ci_high"] < 0  # and the trial sees it


def test_assignment_is_reproducible_and_independent_of_the_number_of_workers(tmp_path):
    path = planted_files(tmp_path, replications=3, post=2)
    loaded = load_evaluation(path)
    one = evaluate(loaded, tmp_path / "one", Execution(workers=1, progress=False))
    two = evaluate(loaded, tmp_path / "two", Execution(workers=2, progress=False))
    tables = [pd.read_parquet(tmp_path / name / "barrios").sort_values(["run_id", "barrio_id"])
              .reset_index(drop=True) for name in ("one", "two")]
    pd.testing.assert_frame_equal(*tables)
    pd.testing.assert_frame_equal(one.estimates.sort_values(["run_id", "outcome", "measure"])
                                  .reset_index(drop=True),
                                  two.estimates.sort_values(["run_id", "outcome", "measure"])
                                  .reset_index(drop=True))
    arms = tables[0].pivot_table(index="barrio_id", columns="run_id", values="area", aggfunc="first")
    assert arms.nunique(axis=1).gt(1).any()  # replications draw different assignments
    assert (tables[0].groupby("run_id")["area"].apply(lambda a: (a == "treatment").sum()) == 200).all()


def test_the_assignment_stream_is_its_own():
    model_stream = np.random.SeedSequence(5, spawn_key=(2,))
    assert assignment_seed(5, 2).entropy == model_stream.entropy
    assert assignment_seed(5, 2).spawn_key == (2, 0) != model_stream.spawn_key
    draws = [np.random.default_rng(s).random(4) for s in (assignment_seed(5, 2), model_stream)]
    assert not np.allclose(*draws)


def hook(model, **kw) -> tuple[pd.DataFrame, Assignment]:
    a = Assignment(day=0, indicator=kw.pop("indicator", "incidents"), seed=1, replication=0, **kw)
    return a(model), a


def test_a_hot_spot_experiment_pairs_the_hottest_barrios(fresh_model):
    model = fresh_model
    table, _ = hook(model, programme="patrol_units", kind="hot_spots", eligible_count=40,
                    blocks=20, catchment_steps=1)
    eligible = table[table["block"] >= 0]
    hottest = table.sort_values("incidents", ascending=False)["incidents"].iloc[39]
    assert len(eligible) == 40 and (eligible["incidents"] >= hottest).all()
    per_pair = eligible.groupby("block")["area"].apply(lambda a: sorted(a))
    assert (per_pair.map(tuple) == ("control", "treatment")).all()  # one of each pair
    # catchments: untreated barrios one step from a treated hot spot and not from a control
    catchment = table[table["area"] == "catchment"]
    assert ((catchment["steps_to_treatment"] == 1) & (catchment["steps_to_control"] > 1)).all()
    assert (table.loc[table["area"] == "control_catchment", "steps_to_control"] == 1).all()
    treated = set(table.loc[table["area"] == "treatment", "barrio_id"])
    for _ in range(3):  # patrols now go only to the treated hot spots
        model.step()
        assert {u.barrio for u in model.police.units} <= treated


def test_a_barrio_programme_keeps_its_barrios_and_adds_the_treatment_arm(fresh_model):
    model = fresh_model
    covered = set(np.flatnonzero(model.treated("upc_posts")))
    assert covered
    table, _ = hook(model, programme="upc_posts", kind="randomized", indicator="population",
                    treated_share=0.3)
    assert set(table.loc[table["area"] == "covered", "barrio_id"]) == covered
    treatment = set(table.loc[table["area"] == "treatment", "barrio_id"])
    eligible = len(model.valid_barrios) - len(covered)
    assert abs(len(treatment) - 0.3 * eligible) <= 1
    while model.date.day != 1 or model.day == 0:  # coverage is planned on the first of a month
        model.step()
    model.step()
    assert set(np.flatnonzero(model.treated("upc_posts"))) == covered | treatment


def test_a_larger_share_treats_a_superset(small_model):
    kw = dict(programme="sports_programmes", kind="randomized", indicator="disadvantage",
              blocks=5)
    arms = []
    for share in (0.2, 0.5):
        model = BarriosModel(shipped("baseline_2023"), rng=11)
        table, _ = hook(model, treated_share=share, **kw)
        arms.append(set(table.loc[table["area"] == "treatment", "barrio_id"]))
        per_block = table[table["block"] >= 0].groupby("block")["area"].apply(
            lambda a: (a == "treatment").mean())
        assert ((per_block - share).abs() <= 1 / per_block.size + 0.2).all()
    assert arms[0] < arms[1]


def staggered_panel(rng, n=600, months=36, effect=0.8):
    """Worst-first targeting with a staggered roll-out: the 30% of barrios with the highest
    underlying rates adopt the programme in months 12-17, worst first, and their incidents
    fall by ``effect`` from adoption."""
    rate = rng.gamma(2.0, 2.0, n)
    order = np.argsort(-rate)
    adoption = np.full(n, -1)
    adopters = order[: int(0.3 * n)]
    adoption[adopters] = 12 + (np.arange(len(adopters)) * 6 // len(adopters))
    m = np.arange(months)
    on = (adoption[:, None] >= 0) & (m[None, :] >= adoption[:, None])
    counts = rng.poisson(rate[:, None] * np.where(on, effect, 1.0))
    panel = pd.DataFrame({"barrio_id": np.repeat(np.arange(n), months), "month": np.tile(m, n),
                          "incidents": counts.reshape(-1), "lighting": on.reshape(-1)})
    covariates = pd.DataFrame({"barrio_id": np.arange(n),
                               "darkness": rate + rng.normal(0, 0.5, n),
                               "population": rng.integers(1000, 3000, n)})
    return panel, covariates


def test_matching_recovers_a_planted_effect_that_the_naive_comparison_misses():
    from experiments import effects

    rng = np.random.default_rng(11)
    matched_estimates, naive = [], []
    for _ in range(30):
        panel, covariates = staggered_panel(rng)
        matrix = MonthMatrix(panel, ["incidents", "lighting"])
        m = match(matrix, "lighting", covariates, "darkness", 12, 12, neighbours=3, caliper=1.0)
        assert m.treated == 180 and m.dropped < m.treated
        units = m.units
        pre, post = effects.period_values(units, matrix, "incidents", "count", 1)
        est = effects.log_rate_ratio(pre, post, units.weight, units.area == "treatment",
                                     units.area == "control")
        matched_estimates.append(est.value)
        naive.append(naive_ratio(matrix, "lighting", 12))
    values = np.array(matched_estimates)
    half = stats.t.ppf(0.995, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    assert abs(values.mean() - math.log(0.8)) <= half
    assert np.mean(naive) > 0.3  # the treated are the worst barrios: naive sees harm


def test_matching_on_pre_period_outcomes_biases_when_targeting_was_on_something_else():
    """Daw & Hatfield 2018: controls picked for their pre-period counts regress to the
    mean. The programme targeted the underlying rate (seen through ``darkness``), not last
    year's incidents: matching on those as well pulls the estimate toward zero."""
    from experiments import effects

    rng = np.random.default_rng(11)
    biased = []
    for _ in range(10):
        panel, covariates = staggered_panel(rng)
        matrix = MonthMatrix(panel, ["incidents", "lighting"])
        units = match(matrix, "lighting", covariates, "darkness", 12, 12, neighbours=3,
                      caliper=1.0, on_outcome=True).units
        pre, post = effects.period_values(units, matrix, "incidents", "count", 1)
        control = units.area == "control"
        biased.append(math.log((units.weight[control] @ post[control])
                               / (units.weight[control] @ pre[control])))
    assert np.mean(biased) < -0.05  # the matched controls' incidents fall on their own


def test_matched_controls_share_their_treated_barrio_windows():
    panel, covariates = staggered_panel(np.random.default_rng(2))
    matrix = MonthMatrix(panel, ["incidents", "lighting"])
    m = match(matrix, "lighting", covariates, "darkness", 12, 6, neighbours=2, caliper=2.0)
    units = m.units
    treated = units.area == "treatment"
    never = set(np.flatnonzero(~np.nan_to_num(matrix.values["lighting"]).any(axis=1)))
    assert set(units.barrio_id[~treated]) <= never
    assert np.allclose(units.weight[~treated], 0.5)
    assert set(units.anchor[treated]) == set(units.anchor[~treated]) <= set(range(12, 18))
    assert (units.post[1] - units.post[0] == 6).all() and (units.pre[1] - units.pre[0] == 12).all()


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """One small evaluation through the command line, its file asking for 16 replications
    and ``--replications 2`` overriding it: the report must state the 2 that ran."""
    folder = tmp_path_factory.mktemp("evaluate")
    path = planted_files(folder, replications=16, post=2)
    args = ["evaluate", str(path), "--out", str(folder / "out"), "--workers", "1", "--quiet",
            "--report", str(folder / "report"), "--replications", "2"]
    return folder, path, args


def test_barrios_evaluate_writes_its_report(evaluated, capsys):
    folder, _, args = evaluated
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Virtual evaluation: Street lighting (randomized trial)" in printed
    assert "incidents at night" in printed
    for name in ("effects.csv", "effects.parquet", "estimates.parquet", "event_study.csv",
                 "balance.csv", "arms.csv", "effects.png", "event_study.png", "report.md",
                 "report.html"):
        assert (folder / "report" / name).stat().st_size > 0, name
    report = (folder / "report" / "report.md").read_text()
    assert "## Are the arms comparable?" in report and "| darkness |" in report
    effects = pd.read_csv(folder / "report" / "effects.csv")
    assert set(effects["outcome"]) == {"incidents_day", "incidents_night", "safe_public"}
    assert (effects.loc[effects["measure"] != "percent_change", "replications"] == 2).all()
    # the panel is kept: evaluators can redo the analysis
    import barrios

    panel = barrios.load_panel(folder / "out")
    assert {"incidents_night", "street_lighting", "safe_public"} <= set(panel.columns)
    assert panel["run_id"].nunique() == 2


def _appendix(report: str) -> dict:
    import tomllib

    return tomllib.loads(report.split("```toml\n")[1].split("```")[0])


def test_the_report_states_the_settings_the_runs_used(evaluated):
    folder, path, args = evaluated
    if not (folder / "report" / "report.md").is_file():
        assert main(args) == 0
    report = (folder / "report" / "report.md").read_text()
    runs = pd.read_parquet(folder / "report" / "estimates.parquet")["run_id"].nunique()
    settings = _appendix(report)
    assert settings["evaluation"]["replications"] == runs == 2      # --replications, not the file's 16
    assert settings["scenario"]["run"]["replications"] == 2
    assert settings["scenario"]["run"]["start"] == "2023-01-01"   # the design's window: 6 months before July
    assert settings["scenario"]["city"]["population"] == 400_000
    assert settings["evaluation"]["design"]["post_months"] == 2
    assert "- Replications: 2, seed 3" in report
    assert "400,000 inhabitants in 400 barrios (20 × 20); one simulated person per 50" in report
    # the first paragraph says what was tested and the effect at night with its interval
    summary = report.split('<div class="summary" markdown="1">')[1].split("</div>")[0]
    night = pd.read_csv(folder / "report" / "effects.csv").query(
        "outcome == 'incidents_night' and measure == 'percent_change' and group == 'everyone'").iloc[0]
    assert "**Street lighting** was tested" in summary and "2 repeated trials" in summary
    assert f"{abs(night['mean']):.1f}%" in summary
    assert f"Produced by `barrios evaluate " in report


def _one_source(md: str, page: str):
    """Every heading and table cell of the Markdown is in the HTML page."""
    import html

    headings = [line.lstrip("#").strip() for line in md.splitlines() if line.startswith("## ")]
    assert headings and all(f">{html.escape(h, quote=False)}</h2>" in page for h in headings)
    for line in md.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            for cell in line.strip("| ").split(" | "):
                text = cell.replace("**", "").replace("`", "").strip()
                assert html.escape(text, quote=False) in page, text


def test_a_spanish_report_from_the_stored_tables(evaluated):
    """The same tables in Spanish without running again: Spanish words, decimal commas,
    and Markdown and HTML from one template in each language."""
    import re

    from experiments.evaluation_report import read_stored, write_outputs

    folder, path, args = evaluated
    if not (folder / "report" / "report.md").is_file():
        assert main(args) == 0
    stored = read_stored(load_evaluation(path), folder / "report")
    assert stored.loaded.spec.replications == 2
    write_outputs(stored, folder / "es", lang="es")
    spanish = (folder / "es" / "report.md").read_text()
    english = (folder / "report" / "report.md").read_text()
    assert spanish.startswith("# Evaluación virtual: Alumbrado público (ensayo aleatorizado)")
    for heading in ("## Efectos", "## ¿Son comparables los grupos?", "## Anexo"):
        assert heading in spanish and heading not in english
    assert "| incidentes de noche |" in spanish and "| oscuridad (falta de alumbrado) |" in spanish
    assert "400.000 habitantes" in spanish and "1 de julio de 2023" in spanish
    effect_cells = re.findall(r"\| ([+-]?\d+[.,]\d)\s%", spanish)   # a non-breaking space
    assert effect_cells and all("," in c for c in effect_cells)   # decimal commas
    assert re.findall(r"\| ([+-]?\d+\.\d)%", english) and "incidentes" not in english
    assert _appendix(spanish) == _appendix(english)   # the same settings, whatever the language
    assert "Reescrito a partir de las tablas" in spanish and "Written again" not in english
    _one_source(spanish, (folder / "es" / "report.html").read_text())
    _one_source(english, (folder / "report" / "report.html").read_text())


@pytest.mark.parametrize("design, message", [
    ("start = 2023-07-15", "design.start: expected the first day of a month"),
    ("start = 2023-07-01\nkind = \"matched\"\n[design.dose]\nkey = \"treated_share\"\n"
     "values = [0.3]", "design.dose.values[0]: expected a share in (0, 1) for a design that "
     "assigns"),
    ("start = 2023-07-01\n[design.dose]\nkey = \"units\"\nvalues = [5]",
     "design.dose.key: expected one of treated_share, any parameter"),
    ("start = 2023-07-01\nfollow_up_months = 9", "follow_up_months (9) must not exceed"),
])
def test_bad_designs_are_told_in_one_line(tmp_path, capsys, design, message):
    path = planted_files(tmp_path)
    head = path.read_text().split("[design]")[0]
    path.write_text(f"{head}[design]\npre_months = 6\npost_months = 6\n{design}\n")
    status = main(["evaluate", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "experiments").glob("evaluate_*.toml"))
                         + sorted((Path(__file__).parents[1] / "evidence" / "evaluations").glob("*.toml")),
                         ids=lambda p: p.stem)
def test_shipped_evaluation_files_load(path):
    loaded = load_evaluation(path)
    assert loaded.spec.replications >= 10 and loaded.window.scenario.run.start <= loaded.start


def test_a_dose_response_report_is_written_from_the_committed_tables(tmp_path):
    """The committed hot-spot operations evaluation (two doses) in Spanish, from its stored
    tables: each dose in the first paragraph, the replications the tables hold."""
    from experiments.evaluation_report import context, read_stored

    root = Path(__file__).parents[1]
    loaded = load_evaluation(root / "evidence" / "evaluations" / "operations_hot_spots.toml")
    stored = read_stored(loaded, root / "results" / "evidence" / "evaluations" / "operations_hot_spots")
    assert stored.loaded.spec.replications == 20
    text = context(stored, "es")
    assert "Con `heavy_handedness` = 0,100:" in text["summary"]
    assert "Con `heavy_handedness` = 0,900:" in text["summary"]
    assert "Dosis-respuesta: `heavy_handedness` = 0,100; 0,900" in " ".join(text["design"])


def test_hot_spots_scale_with_the_city_as_its_police_does():
    """40 hot spots are Quito's (two patrol units each); a quarter city has a quarter of
    the units, so a quarter of the hot spots, and each treated one gets the same patrols."""
    from experiments.history_matching import _on_city

    full = load_evaluation(ROOT / "evidence" / "evaluations" / "patrol_hot_spots.toml")
    assert (full.design.count, full.design.strata) == (40, 20)
    quarter = _on_city(full, {"population": 700_000}, Path("calibration.toml"))
    assert (quarter.design.count, quarter.design.strata) == (10, 5)
    hooks = [run.hook for run in design_runs(quarter)]
    assert {(h.eligible_count, h.blocks) for h in hooks} == {(10, 5)}
    assert full.spec.design.eligible_count is None  # the file's own design is untouched
