"""A corpus of malformed inputs, across every file kind and flag: each gets one line on
stderr naming the file (or the flag) and the key, exit status 2, no traceback, and
nothing written.

Each case writes its files into a fresh folder and runs ``barrios.cli.main`` there, as a
user would from a shell; ``out`` is the output folder the command is given, and the test
checks that nothing new appeared besides the input files. The inputs start from valid
templates (a tiny city, a fraction of a year), so each case differs from a good input only
by what it breaks; ``test_the_templates_are_valid`` checks the templates themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from barrios.cli import main
from conftest import SCENARIOS, TINY_SCENARIO
from experiments.calibration import load_calibration
from experiments.history_matching import load_matching
from experiments.evaluation import load_evaluation
from experiments.evidence import load_evidence
from experiments.scenario_files import load_scenario
from experiments.sensitivity_study import load_sensitivity
from experiments.sweep import load_experiment

SCENARIO = TINY_SCENARIO.replace("years = 0.15", "years = 0.1")
CSV = "row,col,population,disadvantage,barrio_id\n0,0,1000,0.5,1\n1,0,2000,0.2,2\n0,1,1500,0.7,3\n"
CSV_SCENARIO = SCENARIO.replace("[city]\n", '[city]\nbarrio_file = "b.csv"\n')
EXPERIMENT = """name = "exp"
scenario = "ok.toml"
seed = 3
replications = 1

[levers.lighting]
target = "interventions.street_lighting.intensity"
low = 0.0
high = 0.5

[uncertainties.fear_contagion]

[design]
kind = "latin_hypercube"
samples = 4

[outcomes]
scalars = ["safe_public_change", "cost_usd_total"]

[target]
outcome = "safe_public_change"
at_least = 0.01
"""
BUDGET = """name = "budget"
scenario = "ok.toml"

[budget]
total_usd = 1_000_000
interventions = ["street_lighting", "cero_acoso"]

[design]
samples = 4
"""
SENSITIVITY = """name = "sens"
scenario = "ok.toml"
seed = 5

[vary]
groups = []
include = ["memory_decay", "fear_contagion"]

[morris]
trajectories = 2
replications = 1

[sobol]
samples = 4
top = 2
"""
CALIBRATION = """name = "cal"
scenario = "ok.toml"
seed = 5

[targets]
safe_public_start = { observed = 0.41 }
severe_violence_per_100k = { observed = 8.0, sd = 1.0 }

[priors.safe_public_baseline]
[priors.severe_share]
distribution = "loguniform"

[abc]
population_size = 4
max_generations = 1
"""
EVALUATION = """name = "ev"
scenario = "ok.toml"
programme = "street_lighting"
replications = 2
seed = 1

[design]
start = 2023-02-01
pre_months = 1
post_months = 1
follow_up_months = 1
"""
EVIDENCE = """description = "test"

[[entry]]
id = "lit"
programme = "street_lighting"
claim = "lighting reduces incidents"
interval = "range"
low = -21.0
high = -14.0
design = "meta-analysis"
source = "a review"
evaluation = "ev.toml"
"""
MATCHING = """name = "hm"
method = "history_matching"
scenario = "ok.toml"
baseline = "ok.toml"
seed = 5

[targets]
safe_public_start = { observed = 0.41 }
severe_violence_per_100k_end = { observed = 8.0, sd = 1.0 }

[evidence]
table = "table.toml"
entries = ["lit"]

[holdout]
targets = ["safe_public_start"]

[priors.safe_public_baseline]
[priors.severe_share]
distribution = "loguniform"

[matching]
waves = 1
points = 10
candidates = 1000
"""
TEMPLATES = {"scenario": SCENARIO, "experiment": EXPERIMENT, "budget": BUDGET,
             "sensitivity": SENSITIVITY, "calibration": CALIBRATION, "evaluation": EVALUATION,
             "evidence": EVIDENCE, "matching": MATCHING}
COMMAND = {"scenario": ["run", "bad.toml", "--out", "out", "--quiet"],
           "experiment": ["sweep", "bad.toml", "--out", "out", "--workers", "1", "--quiet"],
           "budget": ["sweep", "bad.toml", "--out", "out", "--workers", "1", "--quiet"],
           "sensitivity": ["sensitivity", "bad.toml", "--out", "out", "--workers", "1", "--quiet"],
           "calibration": ["calibrate", "bad.toml", "--out", "out", "--workers", "1", "--quiet"],
           "matching": ["calibrate", "bad.toml", "--out", "out", "--workers", "1", "--quiet"],
           "evaluation": ["evaluate", "bad.toml", "--out", "out", "--workers", "1", "--quiet"],
           "evidence": ["evidence", "--table", "bad.toml", "--report", "out", "--out", "runs",
                        "--workers", "1", "--quiet"]}


@dataclass
class Case:
    id: str
    argv: list[str]
    files: dict[str, str | bytes]
    expect: list[str]            # what the one line must name (file, key, a word of the detail)
    setup: list[str] = field(default_factory=list)  # folders to create first


def edit(kind: str, old: str, new: str) -> str:
    text = TEMPLATES[kind]
    assert old in text, (kind, old)
    return text.replace(old, new, 1)


def file_case(id: str, kind: str, text: str | bytes, *expect: str) -> Case:
    """``bad.toml`` of ``kind`` (study files get the valid ``ok.toml`` scenario beside them)."""
    files = {"bad.toml": text}
    if kind != "scenario":
        files["ok.toml"] = SCENARIO
    if kind in ("evidence", "matching"):
        files["ev.toml"] = EVALUATION
    if kind == "matching":
        files["table.toml"] = EVIDENCE
    return Case(f"{kind}-{id}", COMMAND[kind], files, ["bad.toml", *expect])


def scenario(id: str, toml: str, key: str, word: str = "expected") -> Case:
    """The template scenario with ``toml`` appended (tables later in a file add keys)."""
    return file_case(id, "scenario", SCENARIO + "\n" + toml + "\n", key, word)


def changed(id: str, kind: str, old: str, new: str, key: str, word: str = "expected") -> Case:
    return file_case(id, kind, edit(kind, old, new), key, word)


def appended(id: str, kind: str, toml: str, key: str, word: str = "expected") -> Case:
    return file_case(id, kind, TEMPLATES[kind] + "\n" + toml + "\n", key, word)


def csv_case(id: str, csv: str | bytes, *expect: str, scenario_extra: str = "") -> Case:
    return Case(f"csv-{id}", ["run", "ok.toml", "--out", "out", "--quiet"],
                {"ok.toml": CSV_SCENARIO + scenario_extra, "b.csv": csv}, ["b.csv", *expect])


def flag(id: str, argv: list[str], name: str) -> Case:
    files = {"ok.toml": SCENARIO, "other.toml": SCENARIO.replace('"tiny"', '"other"')}
    return Case(f"flag-{id}", argv, files, [name, "expected"])


RUN = ["run", "ok.toml", "--quiet"]
COMPARE = ["compare", "ok.toml", "other.toml", "--quiet", "--out", "out"]

CASES = [
    # --- scenario files: encodings and TOML --------------------------------------------------
    file_case("utf16", "scenario", SCENARIO.encode("utf-16"), "UTF-16"),
    file_case("binary", "scenario", b"\x00\x01\x02PAR1\x00", "binary"),
    file_case("latin1", "scenario", 'name = "caf\xe9"\n'.encode("latin-1"), "UTF-8"),
    file_case("syntax", "scenario", "[run\nyears = 1\n", "line 1", "valid TOML"),
    file_case("duplicate-key", "scenario", "[run]\nyears = 1\nyears = 2\n", "valid TOML"),
    file_case("unterminated-string", "scenario", 'name = "tiny\n', "valid TOML"),
    # --- scenario files: keys, types and ranges ----------------------------------------------
    file_case("unknown-top-key", "scenario", "colour = 1\n" + SCENARIO, "colour", "unknown key"),
    scenario("unknown-city-key", "colour = 1", "city.colour", "unknown key"),  # (inside [city])
    scenario("unknown-run-key", "[run.more]\nx = 1", "run.more", "unknown key"),
    scenario("intensity-text", '[interventions.cero_acoso]\nintensity = "high"',
             "interventions.cero_acoso.intensity", "a number"),
    file_case("years-zero", "scenario", SCENARIO.replace("years = 0.1", "years = 0"), "run.years"),
    file_case("years-too-long", "scenario", SCENARIO.replace("years = 0.1", "years = 40"), "run.years"),
    file_case("years-zero-days", "scenario", SCENARIO.replace("years = 0.1", "years = 0.0001"),
              "run.years", "at least one day"),
    file_case("years-nan", "scenario", SCENARIO.replace("years = 0.1", "years = nan"), "run.years",
              "finite"),
    file_case("years-inf", "scenario", SCENARIO.replace("years = 0.1", "years = inf"), "run.years"),
    file_case("start-9999", "scenario", SCENARIO.replace("[run]\n", "[run]\nstart = 9999-11-01\n"),
              "run.start", "2200"),
    file_case("start-0001", "scenario", SCENARIO.replace("[run]\n", "[run]\nstart = 0001-01-01\n"),
              "run.start", "1900"),
    file_case("start-quoted", "scenario", SCENARIO.replace("[run]\n", '[run]\nstart = "2023-01-01"\n'),
              "run.start", "a date"),
    file_case("start-datetime", "scenario",
              SCENARIO.replace("[run]\n", "[run]\nstart = 2023-01-01T10:00:00\n"), "run.start"),
    file_case("seed-negative", "scenario", SCENARIO.replace("[run]\n", "[run]\nseed = -1\n"),
              "run.seed"),
    file_case("seed-fraction", "scenario", SCENARIO.replace("[run]\n", "[run]\nseed = 1.5\n"),
              "run.seed", "an integer"),
    file_case("replications-zero", "scenario",
              SCENARIO.replace("[run]\n", "[run]\nreplications = 0\n"), "run.replications"),
    file_case("burn-in-too-long", "scenario", SCENARIO.replace("burn_in_days = 10", "burn_in_days = 4000"),
              "run.burn_in_days"),
    file_case("survey-too-small", "scenario",
              SCENARIO.replace("[run]\n", "[run]\nsurvey_sample_size = 5\n"), "run.survey_sample_size"),
    file_case("population-tiny", "scenario", SCENARIO.replace("population = 200_000", "population = 10"),
              "city.population"),
    file_case("scale-below-one", "scenario",
              SCENARIO.replace("inhabitants_per_agent = 500", "inhabitants_per_agent = 0.5"),
              "city.inhabitants_per_agent"),
    file_case("zero-agents", "scenario",
              SCENARIO.replace("inhabitants_per_agent = 500", "inhabitants_per_agent = 100000"),
              "city.inhabitants_per_agent", "at least 100 resident agents"),
    file_case("width-one", "scenario", SCENARIO.replace("width = 6", "width = 1"), "city.width"),
    file_case("width-huge", "scenario", SCENARIO.replace("width = 6", "width = 1000"), "city.width"),
    scenario("unknown-city-table", "[city.more]\nx = 1", "city.more", "unknown key"),
    file_case("shift-out-of-range", "scenario",
              SCENARIO.replace("[city]\n", "[city]\ndisadvantage_shift = 2\n"), "city.disadvantage_shift"),
    file_case("layout-seed-negative", "scenario",
              SCENARIO.replace("[city]\n", "[city]\nlayout_seed = -3\n"), "city.layout_seed"),
    file_case("barrio-file-missing", "scenario",
              SCENARIO.replace("[city]\n", '[city]\nbarrio_file = "none.csv"\n'), "city.barrio_file",
              "none.csv"),
    scenario("parameter-unknown", "[parameters]\ncourage = 1", "parameters.courage", "barrios params"),
    scenario("parameter-out-of-bounds", "[parameters]\nmemory_decay = 2", "parameters.memory_decay",
             "[0, 1]"),
    scenario("parameter-text", '[parameters]\nmemory_decay = "fast"', "parameters.memory_decay"),
    scenario("parameter-nan", "[parameters]\nmemory_decay = nan", "parameters.memory_decay"),
    scenario("intervention-unknown", "[interventions.fireworks]\nintensity = 0.5",
             "interventions.fireworks", "unknown key"),
    scenario("intensity-above-one", "[interventions.cero_acoso]\nintensity = 1.5",
             "interventions.cero_acoso.intensity", "[0, 1]"),
    scenario("intensity-negative", "[interventions.cero_acoso]\nintensity = -0.1",
             "interventions.cero_acoso.intensity"),
    scenario("targeting-unknown", '[interventions.cero_acoso]\ntargeting = "loudest"',
             "interventions.cero_acoso.targeting", "worst_first"),
    scenario("list-without-barrios", '[interventions.cero_acoso]\ntargeting = "list"',
             "interventions.cero_acoso.barrios", "non-empty list"),
    scenario("list-unknown-barrio", '[interventions.cero_acoso]\ntargeting = "list"\nbarrios = [99999]',
             "interventions.cero_acoso.barrios[0]", "99999"),
    scenario("end-before-start", "[interventions.cero_acoso]\nstart = 2024-01-01\nend = 2023-01-01",
             "interventions.cero_acoso.end", "after start"),
    scenario("indicator-unknown", '[interventions.cero_acoso]\nindicator = "noise"',
             "interventions.cero_acoso.indicator"),
    scenario("unit-cost-negative", "[interventions.cero_acoso]\nunit_cost_usd = -1",
             "interventions.cero_acoso.unit_cost_usd"),
    scenario("patrol-units-negative", "[interventions.patrol_units]\nunits = -1",
             "interventions.patrol_units.units"),
    scenario("patrol-strategy", '[interventions.patrol_units]\nstrategy = "everywhere"',
             "interventions.patrol_units.strategy"),
    scenario("heavy-handedness", "[interventions.police_operations]\nheavy_handedness = 2",
             "interventions.police_operations.heavy_handedness"),
    scenario("operations-inf", "[interventions.police_operations]\nper_year = inf",
             "interventions.police_operations.per_year"),
    scenario("ramp-negative", "[interventions.cero_acoso]\nramp_months = -1",
             "interventions.cero_acoso.ramp_months"),
    scenario("enabled-text", '[interventions.cero_acoso]\nenabled = "yes"',
             "interventions.cero_acoso.enabled", "true or false"),
    scenario("observed-nan", "[observed]\nsafe_public_start = nan", "observed.safe_public_start",
             "finite"),
    scenario("observed-above-one", "[observed]\nsafe_public_start = 41", "observed.safe_public_start"),
    file_case("extend-missing", "scenario", 'extend = "nowhere.toml"\n', "extend", "nowhere.toml"),
    file_case("extend-not-text", "scenario", "extend = 3\n", "extend", "in quotes"),
    file_case("extend-itself", "scenario", 'extend = "bad.toml"\n', "extend", "cycle"),
    file_case("name-with-path", "scenario", SCENARIO.replace('name = "tiny"', 'name = "../x"'),
              "name", "output folders"),
    # --- barrio CSV ---------------------------------------------------------------------------
    csv_case("missing-column", "row,col,population\n0,0,100\n", "column disadvantage"),
    csv_case("unknown-column", "row,col,population,disadvantage,colour\n0,0,100,0.5,red\n",
             "column colour", "unknown column"),
    csv_case("all-zero-population", "row,col,population,disadvantage\n0,0,0,0.5\n1,0,0,0.3\n",
             "column population", "every population 0"),
    csv_case("huge-population", "row,col,population,disadvantage\n0,0,1e308,0.5\n",
             "column population", "1e308"),
    csv_case("negative-population", "row,col,population,disadvantage\n0,0,-5,0.5\n",
             "column population"),
    csv_case("row-outside-grid", "row,col,population,disadvantage\n40,0,100,0.5\n", "column row"),
    csv_case("position-twice", "row,col,population,disadvantage\n0,0,100,0.5\n0,0,200,0.1\n",
             "columns row and col", "again"),
    csv_case("barrio-id-twice", CSV + "1,1,500,0.4,2\n", "column barrio_id", "again"),
    csv_case("disadvantage-text", "row,col,population,disadvantage\n0,0,100,poor\n",
             "column disadvantage", "'poor'"),
    csv_case("header-only", "row,col,population,disadvantage\n", "at least one barrio"),
    csv_case("binary", b"\xff\xfe\x00r\x00o\x00w", "CSV"),
    Case("csv-list-target-not-a-barrio", ["run", "ok.toml", "--out", "out", "--quiet"],
         {"ok.toml": CSV_SCENARIO + '\n[interventions.cero_acoso]\ntargeting = "list"\n'
                                    "barrios = [5]\n", "b.csv": CSV},
         ["ok.toml", "interventions.cero_acoso.barrios[0]", "b.csv"]),
    # --- experiment (sweep) files ---------------------------------------------------------------
    file_case("utf16", "experiment", EXPERIMENT.encode("utf-16"), "UTF-16"),
    file_case("binary", "experiment", b"PK\x03\x04\x00\x00", "binary"),
    file_case("syntax", "experiment", EXPERIMENT + "[design\n", "valid TOML"),
    changed("no-scenario", "experiment", 'scenario = "ok.toml"\n', "", "scenario", "required"),
    changed("scenario-missing", "experiment", '"ok.toml"', '"gone.toml"', "scenario", "gone.toml"),
    appended("unknown-table", "experiment", "[colour]\nx = 1", "colour", "unknown key"),
    changed("lever-no-target", "experiment", 'target = "interventions.street_lighting.intensity"\n', "",
            "levers.lighting.target"),
    changed("lever-target-typo", "experiment", "street_lighting.intensity", "street_lighting.intensty",
            "levers.lighting.target", "intensty"),
    changed("lever-high-rejected", "experiment", "high = 0.5", "high = 1.5", "levers.lighting.high",
            "1.5"),
    changed("uncertainty-unknown", "experiment", "[uncertainties.fear_contagion]",
            "[uncertainties.courage]", "uncertainties.courage", "courage"),
    changed("low-above-high", "experiment", "low = 0.0\nhigh = 0.5", "low = 0.6\nhigh = 0.5",
            "levers.lighting", "low < high"),
    changed("sobol-size", "experiment", 'kind = "latin_hypercube"\nsamples = 4',
            'kind = "sobol"\nsamples = 6', "design.samples", "power of two"),
    changed("design-kind", "experiment", '"latin_hypercube"', '"random"', "design.kind"),
    changed("outcome-unknown", "experiment", '"cost_usd_total"]', '"happiness"]',
            "outcomes.scalars[1]", "happiness"),
    changed("outcome-date-after-run", "experiment", '"cost_usd_total"]', '"safe_public@2030-01-01"]',
            "outcomes.scalars[1]", "within the run"),
    changed("outcome-date-before-run", "experiment", '"cost_usd_total"]', '"safe_public@2022-06-01"]',
            "outcomes.scalars[1]", "within the run"),
    changed("outcome-date-invalid", "experiment", '"cost_usd_total"]', '"safe_public@2023-13-45"]',
            "outcomes.scalars[1]", "a date"),
    changed("outcome-series-unknown", "experiment", '"cost_usd_total"]', '"mood@2023-01-10"]',
            "outcomes.scalars[1]", "mood"),
    changed("timeseries-unknown", "experiment", "[outcomes]\n", '[outcomes]\ntimeseries = ["mood"]\n',
            "outcomes.timeseries[0]", "mood"),
    changed("target-unknown", "experiment", 'outcome = "safe_public_change"', 'outcome = "joy"',
            "target.outcome", "joy"),
    changed("target-not-kept", "experiment", 'outcome = "safe_public_change"',
            'outcome = "victimization_12m_end"', "target.outcome", "kept outcomes"),
    changed("replications-zero", "experiment", "replications = 1", "replications = 0", "replications"),
    appended("run-seed", "experiment", "[run]\nseed = 4", "run.seed", "unknown key"),
    appended("city-width", "experiment", "[city]\nwidth = 1", "city.width"),
    appended("parameter-value", "experiment", "[parameters]\nmemory_decay = 5",
             "parameters.memory_decay", "[0, 1]"),
    appended("intervention-value", "experiment", "[interventions.street_lighting]\nintensity = 2",
             "interventions.street_lighting.intensity"),
    appended("run-zero-days", "experiment", "[run]\nyears = 0.0001", "run.years", "at least one day"),
    changed("loguniform-zero", "experiment", "low = 0.0\nhigh = 0.5",
            'low = 0.0\nhigh = 0.5\ndistribution = "loguniform"', "levers.lighting.low", "low > 0"),
    changed("triangular-mode", "experiment", "low = 0.0\nhigh = 0.5",
            'low = 0.0\nhigh = 0.5\ndistribution = "triangular"\nmode = 0.9', "levers.lighting.mode"),
    changed("name-with-space", "experiment", 'name = "exp"', 'name = "my exp"', "name", "output folders"),
    changed("budget-inf", "budget", "total_usd = 1_000_000", "total_usd = inf", "budget.total_usd"),
    changed("budget-zero", "budget", "total_usd = 1_000_000", "total_usd = 0", "budget.total_usd"),
    changed("budget-unknown-programme", "budget", '"cero_acoso"]', '"fireworks"]',
            "budget.interventions", "fireworks"),
    changed("budget-one-programme", "budget", '["street_lighting", "cero_acoso"]', '["cero_acoso"]',
            "budget.interventions", "at least 2"),
    Case("budget-unpriced", COMMAND["budget"],
         {"bad.toml": BUDGET.replace('"ok.toml"', f'"{(SCENARIOS / "baseline_2023.toml").as_posix()}"')},
         ["bad.toml", "budget.interventions", "street_lighting"]),
    # --- sensitivity files ------------------------------------------------------------------------
    file_case("utf16", "sensitivity", SENSITIVITY.encode("utf-16"), "UTF-16"),
    file_case("binary", "sensitivity", b"\x00\x00\x00", "binary"),
    changed("include-unknown", "sensitivity", '"fear_contagion"]', '"courage"]', "vary.include[1]",
            "courage"),
    changed("group-unknown", "sensitivity", "groups = []", 'groups = ["astrology"]', "vary.groups[0]"),
    appended("range-reversed", "sensitivity", "[vary.ranges.memory_decay]\nlow = 0.5\nhigh = 0.1",
             "vary.ranges.memory_decay", "low < high"),
    appended("range-outside-bounds", "sensitivity", "[vary.ranges.memory_decay]\nlow = 0.5\nhigh = 2",
             "vary.ranges.memory_decay", "bounds"),
    changed("sobol-size", "sensitivity", "samples = 4", "samples = 6", "sobol.samples", "power of two"),
    changed("odd-levels", "sensitivity", "trajectories = 2", "trajectories = 2\nlevels = 3",
            "morris.levels", "even"),
    changed("one-trajectory", "sensitivity", "trajectories = 2", "trajectories = 1",
            "morris.trajectories"),
    changed("outcome-unknown", "sensitivity", "seed = 5", 'seed = 5\noutcomes = ["joy"]',
            "outcomes[0]", "joy"),
    changed("sobol-parameter-not-varied", "sensitivity", "top = 2", 'top = 2\nparameters = ["reassurance"]',
            "sobol.parameters[0]", "reassurance"),
    appended("sobol-city", "sensitivity", "[sobol.city]\nheight = 1", "sobol.city.height"),
    appended("parameter-value", "sensitivity", "[parameters]\nmemory_decay = 3",
             "parameters.memory_decay", "[0, 1]"),
    changed("conf-level", "sensitivity", "seed = 5", "seed = 5\nconf_level = 1.5", "conf_level"),
    # --- history-matching calibration files ----------------------------------------------------
    changed("target-unknown", "matching", "safe_public_start = { observed = 0.41 }",
            "crime = { observed = 0.41 }", "targets.crime", "safe_public_end"),
    changed("target-percent", "matching", "observed = 0.41", "observed = 41",
            "targets.safe_public_start.observed", "a share"),
    changed("target-without-sd", "matching", ", sd = 1.0", "",
            "targets.severe_violence_per_100k_end.sd", "standard deviation"),
    changed("baseline-missing", "matching", 'baseline = "ok.toml"', 'baseline = "gone.toml"',
            "baseline", "no such file"),
    changed("evidence-unknown", "matching", 'entries = ["lit"]', 'entries = ["magic"]',
            "evidence.entries", "magic"),
    changed("table-missing", "matching", 'table = "table.toml"', 'table = "none.toml"',
            "evidence.table", "no such file"),
    changed("holdout-not-a-target", "matching", 'targets = ["safe_public_start"]',
            'targets = ["safe_public_end"]', "holdout.targets", "safe_public_end"),
    changed("prior-unknown", "matching", "[priors.safe_public_baseline]", "[priors.courage]",
            "priors.courage", "barrios params"),
    changed("waves-zero", "matching", "waves = 1", "waves = 0", "matching.waves"),
    appended("sensitivity-design-evidence", "matching",
             '[sensitivity]\noutputs = ["safe_public_change", "lit"]\npoints = 8',
             "sensitivity.outputs", "lit"),
    changed("method-unknown", "matching", 'method = "history_matching"', 'method = "history"',
            "method"),
    changed("write-scenario-folder-missing", "matching", "seed = 5",
            'seed = 5\nwrite_scenario = "missing/calibrated.toml"', "write_scenario", "missing"),
    # --- calibration files ------------------------------------------------------------------------
    file_case("utf16", "calibration", CALIBRATION.encode("utf-16"), "UTF-16"),
    file_case("binary", "calibration", b"SQLite format 3\x00", "binary"),
    appended("prior-unknown", "calibration", "[priors.courage]", "priors.courage", "barrios params"),
    appended("prior-reversed", "calibration", "[priors.fear_contagion]\nlow = 0.2\nhigh = 0.1",
             "priors.fear_contagion", "low < high"),
    appended("prior-below-bounds", "calibration", "[priors.fear_contagion]\nlow = -0.5\nhigh = 0.1",
             "priors.fear_contagion", "bounds"),
    appended("prior-above-bounds", "calibration", "[priors.fear_contagion]\nlow = 0.1\nhigh = 1.5",
             "priors.fear_contagion", "bounds"),
    appended("prior-loguniform-zero", "calibration",
             '[priors.reassurance]\nlow = 0.0\nhigh = 0.05\ndistribution = "loguniform"',
             "priors.reassurance.low", "low > 0"),
    changed("target-unknown", "calibration", "safe_public_start = { observed = 0.41 }",
            "crime = { observed = 0.41 }", "targets.crime"),
    changed("target-nan", "calibration", "observed = 0.41", "observed = nan",
            "targets.safe_public_start.observed", "finite"),
    changed("target-percent", "calibration", "observed = 0.41", "observed = 41",
            "targets.safe_public_start.observed", "a share"),
    changed("target-without-sd", "calibration", ", sd = 1.0", "", "targets.severe_violence_per_100k.sd"),
    changed("population-zero", "calibration", "population_size = 4", "population_size = 0",
            "abc.population_size"),
    changed("transition", "calibration", "population_size = 4", 'population_size = 4\ntransition = "gauss"',
            "abc.transition"),
    appended("survey-size", "calibration", "[survey]\nobserved_sample_size = 5",
             "survey.observed_sample_size"),
    changed("no-priors", "calibration", "[priors.safe_public_baseline]\n[priors.severe_share]\n"
            'distribution = "loguniform"\n', "", "priors", "required"),
    changed("write-scenario-folder-missing", "calibration", "seed = 5",
            'seed = 5\nwrite_scenario = "missing/calibrated.toml"', "write_scenario", "missing"),
    Case("calibration-results-is-a-file", COMMAND["calibration"],
         {"bad.toml": CALIBRATION.replace("seed = 5", 'seed = 5\nresults = "taken/results"'),
          "ok.toml": SCENARIO, "taken": "a file"},
         ["bad.toml", "results", "a folder"]),
    scenario("before-unknown-setting", "[interventions.patrol_units]\nbefore = { units = 3 }",
             "interventions.patrol_units", "before may give strategy"),
    scenario("before-bad-strategy", '[interventions.patrol_units]\nbefore = { strategy = "fast" }',
             "interventions.patrol_units", "before.strategy"),
    scenario("before-on-lighting", "[interventions.street_lighting]\nbefore = { intensity = 0.1 }",
             "interventions.street_lighting", "none for this intervention"),
    # --- evaluation files (barrios evaluate) -------------------------------------------------
    file_case("utf16", "evaluation", EVALUATION.encode("utf-16"), "UTF-16"),
    changed("programme", "evaluation", 'programme = "street_lighting"', 'programme = "lamps"',
            "programme", "expected one of"),
    changed("replications-one", "evaluation", "replications = 2", "replications = 1",
            "replications"),
    changed("kind", "evaluation", "[design]\n", '[design]\nkind = "rct"\n', "design.kind"),
    changed("start-mid-month", "evaluation", "start = 2023-02-01", "start = 2023-02-15",
            "design.start", "first day of a month"),
    changed("pre-months-zero", "evaluation", "pre_months = 1", "pre_months = 0",
            "design.pre_months"),
    changed("follow-up-too-long", "evaluation", "follow_up_months = 1", "follow_up_months = 3",
            "design", "must not exceed"),
    changed("eligible-share-zero", "evaluation", "[design]\n", "[design]\neligible_share = 0\n",
            "design.eligible_share"),
    changed("treated-share-one", "evaluation", "[design]\n", "[design]\ntreated_share = 1.0\n",
            "design.treated_share"),
    changed("unknown-design-key", "evaluation", "[design]\n", "[design]\narms = 2\n",
            "design.arms"),
    appended("dose-key", "evaluation", '[design.dose]\nkey = "brightness"\nvalues = [1]',
             "design.dose.key", "expected one of"),
    appended("dose-share", "evaluation", '[design.dose]\nkey = "treated_share"\nvalues = [0.2, 1.5]',
             "design.dose.values[1]", "share"),
    appended("dose-parameter", "evaluation",
             '[design.dose]\nkey = "lighting_night_risk_reduction"\nvalues = [2.0]',
             "design.dose.values[0]", "expected"),
    appended("dose-empty", "evaluation", '[design.dose]\nkey = "treated_share"\nvalues = []',
             "design.dose.values"),
    file_case("patrol-units-fraction", "evaluation", EVALUATION.replace(
        'programme = "street_lighting"', 'programme = "patrol_units"')
        + '[design.dose]\nkey = "units"\nvalues = [2.5]\n', "design.dose.values[0]", "whole number"),
    file_case("matched-patrols", "evaluation", EVALUATION.replace(
        'programme = "street_lighting"', 'programme = "patrol_units"').replace(
        "[design]\n", '[design]\nkind = "matched"\n'), "design.kind", "no barrio to match"),
    file_case("matched-programme-off", "evaluation", EVALUATION.replace(
        "[design]\nstart = 2023-02-01\n", '[design]\nkind = "matched"\n')
        + "\n[interventions.street_lighting]\nenabled = false\n", "programme", "off in the scenario"),
    changed("run-start", "evaluation", "seed = 1", "seed = 1\n[run]\nstart = 2023-01-01",
            "run.start", "expected no run start"),
    changed("outcome", "evaluation", "seed = 1", 'seed = 1\noutcomes = ["crime"]',
            "outcomes[0]", "expected one of"),
    changed("group", "evaluation", "seed = 1", 'seed = 1\ngroups = ["elders"]',
            "groups[0]", "expected one of"),
    changed("scenario-missing", "evaluation", 'scenario = "ok.toml"', 'scenario = "none.toml"',
            "scenario", "no such file"),
    changed("caliper", "evaluation", "[design]\n", "[design]\nmatching = { caliper = 0 }\n",
            "design.matching.caliper"),
    # --- the evidence table (barrios evidence) ---------------------------------------------------
    changed("unknown-key", "evidence", 'claim = "lighting reduces incidents"',
            'claim = "x"\nweight = 2', "entry[0].weight"),
    changed("no-source", "evidence", 'source = "a review"\n', "", "entry[0].source", "required"),
    changed("interval", "evidence", 'interval = "range"', 'interval = "wide"', "entry[0].interval"),
    changed("range-reversed", "evidence", "low = -21.0", "low = -10.0", "entry[0]", "low < high"),
    changed("none-with-evaluation", "evidence", 'interval = "range"', 'interval = "none"',
            "entry[0]", "unless interval = 'none'"),
    changed("evaluation-missing", "evidence", 'evaluation = "ev.toml"',
            'evaluation = "gone.toml"', "entry[0].evaluation", "no such file"),
    changed("programme-mismatch", "evidence", 'programme = "street_lighting"',
            'programme = "upc_posts"', "entry[0].evaluation", "evaluation of upc_posts"),
    changed("dose-without-doses", "evidence", 'evaluation = "ev.toml"',
            'evaluation = "ev.toml"\ndose = 0.5', "entry[0].dose", "expected one of"),
    changed("participation", "evidence", 'evaluation = "ev.toml"',
            'evaluation = "ev.toml"\nper_participant = "uptake"', "entry[0].per_participant"),
    changed("measure", "evidence", 'interval = "range"', 'interval = "range"\nmeasure = "points"',
            "entry[0].measure", "expected one of"),
    appended("duplicate-id", "evidence", EVIDENCE.split("\n", 2)[2], "entry[1].id", "unique"),
    file_case("empty", "evidence", 'description = "nothing"\nentry = []\n', "entry"),
    Case("evidence-table-missing", ["evidence", "--table", "none.toml", "--report", "out"], {},
         ["none.toml", "no such file"]),
    # --- flags ------------------------------------------------------------------------------------
    flag("run-years-zero", [*RUN, "--years", "0"], "--years"),
    flag("run-years-text", [*RUN, "--years", "three"], "--years"),
    flag("run-years-zero-days", [*RUN, "--years", "0.0001", "--out", "out"], "--years"),
    flag("run-replications-zero", [*RUN, "--replications", "0"], "--replications"),
    flag("run-seed-negative", [*RUN, "--seed", "-1"], "--seed"),
    flag("run-scale-below-one", [*RUN, "--scale", "0.5"], "--scale"),
    flag("run-scale-nan", [*RUN, "--scale", "nan"], "--scale"),
    flag("run-scale-too-few-agents", [*RUN, "--scale", "50000", "--out", "out"], "--scale"),
    Case("flag-run-out-is-a-file", [*RUN, "--out", "taken/out"],
         {"ok.toml": SCENARIO, "taken": "a file"}, ["--out", "a folder"]),
    flag("compare-scale-zero", [*COMPARE, "--scale", "0"], "--scale"),
    flag("compare-scale-negative", [*COMPARE, "--scale", "-5"], "--scale"),
    flag("compare-scale-nan", [*COMPARE, "--scale", "nan"], "--scale"),
    flag("compare-scale-fraction", [*COMPARE, "--scale", "0.9"], "--scale"),
    flag("compare-replications-zero", [*COMPARE, "--replications", "0"], "--replications"),
    flag("compare-workers-zero", [*COMPARE, "--workers", "0"], "--workers"),
    flag("compare-scheduler", [*COMPARE, "--scheduler", "localhost"], "--scheduler"),
    flag("compare-years-long", [*COMPARE, "--years", "31"], "--years"),
    Case("flag-compare-same-name", ["compare", "ok.toml", "copy/ok.toml", "--quiet", "--out", "out"],
         {"ok.toml": SCENARIO, "copy/ok.toml": SCENARIO}, ["ok.toml", "name", "also"]),
    flag("sweep-workers-negative", ["sweep", "ok.toml", "--workers", "-1"], "--workers"),
    flag("sensitivity-samples", ["sensitivity", "ok.toml", "--samples", "6"], "--samples"),
    flag("sensitivity-trajectories", ["sensitivity", "ok.toml", "--trajectories", "1"], "--trajectories"),
    flag("evaluate-replications-one", ["evaluate", "ok.toml", "--replications", "1"],
         "--replications"),
    flag("evidence-replications", ["evidence", "--replications", "0"], "--replications"),
    flag("app-port-zero", ["app", "--port", "0"], "--port"),
    flag("app-port-huge", ["app", "--port", "70000"], "--port"),
    flag("app-lang", ["app", "--lang", "fr"], "--lang"),
    flag("app-scale", ["app", "--scale", "0"], "--scale"),
    Case("flag-run-missing-file", ["run", "nothing.toml", "--out", "out"], {}, ["nothing.toml",
                                                                                 "no such file"]),
    Case("flag-run-a-folder", ["run", "folder", "--out", "out"], {}, ["folder", "a directory"],
         setup=["folder"]),
    Case("flag-validate-bad", ["validate", "bad.toml"], {"bad.toml": "[run]\nyears = -1\n"},
         ["bad.toml", "run.years"]),
    Case("flag-unknown-command", ["simulate", "ok.toml"], {}, ["simulate", "expected one of"]),
    Case("flag-run-without-scenario", ["run"], {}, ["scenario", "expected a value"]),
    Case("flag-unknown-option", ["run", "ok.toml", "--colour", "red"], {"ok.toml": SCENARIO},
         ["--colour", "expected"]),
]


def _tree(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_input_is_one_line_exit_2_and_nothing_written(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for folder in case.setup:
        (tmp_path / folder).mkdir()
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = _tree(tmp_path)
    try:
        status = main(case.argv)
    except SystemExit as stop:  # argparse
        status = stop.code
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert status == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    for word in case.expect:
        assert word in lines[0], (word, lines[0])
    assert _tree(tmp_path) == before, "something was written"


def test_the_corpus_is_large_and_spans_every_file_kind():
    kinds = {c.id.split("-")[0] for c in CASES}
    assert len(CASES) >= 100 and len({c.id for c in CASES}) == len(CASES)
    assert kinds >= {"scenario", "csv", "experiment", "budget", "sensitivity", "calibration",
                     "evaluation", "evidence", "matching", "flag"}


def test_the_templates_are_valid(tmp_path, monkeypatch):
    """Each case breaks one thing in a valid file: the templates themselves load."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.toml").write_text(SCENARIO)
    (tmp_path / "csv.toml").write_text(CSV_SCENARIO)
    (tmp_path / "b.csv").write_text(CSV)
    load_scenario("ok.toml")
    assert len(load_scenario("csv.toml").city_table) == 3
    (tmp_path / "ev.toml").write_text(EVALUATION)
    loaders = {"experiment": load_experiment, "budget": load_experiment,
               "sensitivity": load_sensitivity, "calibration": load_calibration,
               "evaluation": load_evaluation, "evidence": load_evidence,
               "matching": load_matching}
    (tmp_path / "table.toml").write_text(EVIDENCE)
    for kind, load in loaders.items():
        (tmp_path / f"{kind}.toml").write_text(TEMPLATES[kind])
        load(tmp_path / f"{kind}.toml")


def test_ids_name_their_kind():
    assert all(re.match(r"^(scenario|csv|experiment|budget|sensitivity|calibration|evaluation|"
                        r"evidence|matching|flag)-", c.id) for c in CASES)
