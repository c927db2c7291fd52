"""Scenario files: the shipped scenarios load, ``extend`` merges as documented, and every
kind of mistake gives one line naming the file, the key, what was expected and found.

Each error test writes small files into a temporary directory and runs from there, so
the expected messages read exactly as a user would see them (``bad.toml: ...``).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from textwrap import dedent

import pandas as pd
import pytest

from experiments.files import BadInput
from experiments.scenario_files import LoadedScenario, load_scenario, scenario_summary, scenario_title
from simulation.timeline import ramp_fraction

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.toml"))


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Run in the temporary directory so messages name files as ``bad.toml``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(name: str, text: str) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip(), encoding="utf-8")
    return path


def error(name: str) -> str:
    """Load ``name``, expecting a BadInput; return its one-line message."""
    with pytest.raises(BadInput) as caught:
        load_scenario(name)
    message = str(caught.value)
    assert "\n" not in message, message
    return message


# --- the shipped scenarios ------------------------------------------------------------


def test_every_scenario_is_shipped():
    names = {p.stem for p in SHIPPED}
    assert names >= {"baseline_2023", "quito_2023_2025", "lighting_only", "sports_only",
                     "committees_only", "policing_only", "mano_dura", "northern_border"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_loads(path):
    loaded = load_scenario(path)
    assert isinstance(loaded, LoadedScenario)
    assert loaded.scenario.name == path.stem
    assert loaded.scenario.description
    assert loaded.chain[-1] == path
    assert loaded.city_table is None
    assert loaded.scenario.name in scenario_summary(loaded)


def test_quito_extends_the_baseline():
    loaded = load_scenario(SCENARIOS / "quito_2023_2025.toml")
    assert loaded.chain == (SCENARIOS / "baseline_2023.toml", SCENARIOS / "quito_2023_2025.toml")
    committees = loaded.scenario.interventions.safety_committees
    assert committees.intensity == 0.42          # the plan's value overrides the baseline's 0.10
    assert committees.unit_cost_usd == 2000      # ... and the baseline's cost is inherited
    assert loaded.scenario.interventions.patrol_units.units == 40
    assert loaded.scenario.interventions.patrol_units.strategy == "hot_spots"
    assert loaded.scenario.observed.safe_neighbourhood_end == 0.62


def test_single_programme_scenarios_add_only_their_programme():
    base = set(load_scenario(SCENARIOS / "baseline_2023.toml").scenario.interventions.active())
    added = {"lighting_only": {"street_lighting"}, "sports_only": {"sports_programmes"},
             "committees_only": set(), "policing_only": set(), "mano_dura": set()}
    for name, extra in added.items():
        active = set(load_scenario(SCENARIOS / f"{name}.toml").scenario.interventions.active())
        assert active == base | extra, name


def _level(programme: str, item, today: date) -> float:
    """Barrio share, patrol units or operations a year in place on ``today``."""
    scale = {"patrol_units": "units", "police_operations": "per_year"}.get(programme)
    return (getattr(item, scale) if scale else 1.0) * item.intensity * ramp_fraction(item, today)


@pytest.mark.parametrize("name", ["quito_2023_2025", "policing_only", "committees_only",
                                  "mano_dura"])
def test_expansions_hold_the_baseline_level_until_they_start(name):
    """An expanded programme sits at the baseline's level all through the burn-in and
    until its own start, and works as the baseline's does (its dated settings, ``before``)."""
    base = load_scenario(SCENARIOS / "baseline_2023.toml").scenario
    plan = load_scenario(SCENARIOS / f"{name}.toml").scenario
    expanded = {n: item for n, item in plan.interventions.active().items() if item.ramp_from}
    assert expanded
    burn_in = [date(2022, 7, 5), date(2022, 10, 1), date(2022, 12, 31)]  # 180 days before
    for programme, new in expanded.items():
        old = getattr(base.interventions, programme)
        assert new.start >= plan.run.start, programme
        for today in [*burn_in, new.start - timedelta(days=1)]:
            assert _level(programme, new, today) == _level(programme, old, today), programme
            for key in new.before:
                assert new.setting(key, today) == old.setting(key, today), (programme, key)
        start = new.start
        # from the start it grows, or works differently (a dated strategy or heavy-handedness)
        grows = _level(programme, new, start) > _level(programme, old, start)
        assert grows or any(new.setting(k, start) != old.setting(k, start) for k in new.before), \
            programme


def test_ramp_from_accepts_an_integer():
    write("ok.toml", "[interventions.upc_posts]\nramp_from = 1\n")
    item = load_scenario("ok.toml").scenario.interventions.upc_posts
    assert item.ramp_from == 1.0 and isinstance(item.ramp_from, float)


# --- extend ---------------------------------------------------------------------------


def test_child_overrides_parent_key_by_key():
    write("base.toml", """
        name = "base"
        description = "the parent"
        [run]
        years = 3
        seed = 7
        [interventions.street_lighting]
        intensity = 0.3
        barrios = [1, 2, 3]
    """)
    write("child.toml", """
        extend = "base.toml"
        [run]
        years = 5
        [interventions.street_lighting]
        barrios = [9]
    """)
    loaded = load_scenario("child.toml")
    s = loaded.scenario
    assert (s.run.years, s.run.seed) == (5.0, 7)
    assert s.interventions.street_lighting.intensity == 0.3
    assert s.interventions.street_lighting.barrios == [9]  # lists are replaced, not merged
    assert s.description == "the parent"
    assert loaded.chain == (Path("base.toml").resolve(), Path("child.toml").resolve())


def test_name_is_not_inherited():
    write("base.toml", 'name = "the base"\n')
    write("child.toml", 'extend = "base.toml"\n')
    write("named.toml", 'extend = "base.toml"\nname = "mine"\n')
    assert load_scenario("child.toml").scenario.name == "child"
    assert load_scenario("named.toml").scenario.name == "mine"


def test_enabled_false_switches_off_an_inherited_intervention():
    write("base.toml", "[interventions.cero_acoso]\nintensity = 0.2\n")
    write("child.toml", 'extend = "base.toml"\n[interventions.cero_acoso]\nenabled = false\n')
    assert "cero_acoso" in load_scenario("base.toml").scenario.interventions.active()
    assert "cero_acoso" not in load_scenario("child.toml").scenario.interventions.active()


def test_chain_of_three_files_in_other_folders():
    write("a/grand.toml", "[run]\nyears = 2\nseed = 1\n")
    write("b/parent.toml", 'extend = "../a/grand.toml"\n[run]\nseed = 2\n')
    write("child.toml", 'extend = "b/parent.toml"\n')
    loaded = load_scenario("child.toml")
    assert [p.name for p in loaded.chain] == ["grand.toml", "parent.toml", "child.toml"]
    assert (loaded.scenario.run.years, loaded.scenario.run.seed) == (2.0, 2)


def test_missing_extend_file():
    write("bad.toml", 'extend = "nope.toml"\n')
    assert error("bad.toml") == ("bad.toml: extend: expected an existing scenario file, "
                                 "found 'nope.toml' (no such file)")


def test_extend_must_be_a_string():
    write("bad.toml", "extend = 3\n")
    assert error("bad.toml") == ("bad.toml: extend: expected a scenario file name in "
                                 "quotes, found 3 (int)")


def test_circular_extend_two_files():
    write("a.toml", 'extend = "b.toml"\n')
    write("b.toml", 'extend = "a.toml"\n')
    assert error("a.toml") == ("a.toml: extend: expected a chain of scenario files without "
                               "a cycle, found a.toml -> b.toml -> a.toml")


def test_circular_extend_self():
    write("a.toml", 'extend = "a.toml"\n')
    assert error("a.toml") == ("a.toml: extend: expected a chain of scenario files without "
                               "a cycle, found a.toml -> a.toml")


def test_missing_scenario_file():
    assert error("nope.toml") == "nope.toml: expected an existing scenario file, found nothing (no such file)"


# --- TOML syntax ----------------------------------------------------------------------


def test_toml_syntax_error_names_the_line():
    write("bad.toml", 'name = "x"\n[run]\nyears = \n')
    message = error("bad.toml")
    assert message.startswith("bad.toml: line 3: expected valid TOML, found ")
    assert "column" in message


def test_title_and_kind_belong_to_the_file_not_its_parent():
    write("parent.toml", 'title = "Parent"\ntitle_es = "Padre"\nkind = "menu"\n')
    write("child.toml", 'extend = "parent.toml"\n')
    parent, child = load_scenario("parent.toml").scenario, load_scenario("child.toml").scenario
    assert (scenario_title(parent, "es"), parent.kind) == ("Padre", "menu")
    assert (scenario_title(child, "es"), child.kind) == ("child", "mix")


def test_toml_syntax_error_in_the_parent_names_the_parent():
    write("parent.toml", "[run\n")
    write("child.toml", 'extend = "parent.toml"\n')
    assert error("child.toml").startswith("parent.toml: line 1: expected valid TOML, found ")


# --- unknown keys ---------------------------------------------------------------------


def test_unknown_top_level_key():
    write("bad.toml", "foo = 1\n")
    assert error("bad.toml") == ("bad.toml: foo: unknown key; expected one of name, "
                                 "description, title, title_es, kind, run, city, "
                                 "parameters, interventions, "
                                 "observed, power_cuts, extend")


def test_unknown_nested_key():
    write("bad.toml", "[run]\nyeers = 3\n")
    assert error("bad.toml") == ("bad.toml: run.yeers: unknown key; expected one of start, "
                                 "years, seed, replications, burn_in_days, survey_sample_size")


def test_unknown_intervention():
    write("bad.toml", "[interventions.street_lightning]\nintensity = 0.3\n")
    message = error("bad.toml")
    assert message.startswith("bad.toml: interventions.street_lightning: unknown key; "
                              "expected one of street_lighting, public_space_recovery, ")
    assert message.endswith("youth_prevention, migrant_inclusion")


def test_unknown_key_inside_an_intervention():
    write("bad.toml", "[interventions.patrol_units]\nunit = 3\n")
    message = error("bad.toml")
    assert message.startswith("bad.toml: interventions.patrol_units.unit: unknown key; expected one of ")
    assert "units, strategy" in message


def test_unknown_parameter():
    write("bad.toml", "[parameters]\nfoo = 1\n")
    assert error("bad.toml") == ("bad.toml: parameters.foo: expected a parameter name listed "
                                 "by `barrios params`, found 'foo'")


def test_parameter_out_of_bounds():
    write("bad.toml", "[parameters]\nyouth_share = 1.5\n")
    assert error("bad.toml") == "bad.toml: parameters.youth_share: expected a number in [0, 1], found 1.5"


# --- wrong types ----------------------------------------------------------------------


@pytest.mark.parametrize("toml, expected", [
    ('[run]\nyears = "three"\n', "run.years: expected a number, found 'three' (str)"),
    ("[run]\nseed = 1.5\n", "run.seed: expected an integer, found 1.5 (float)"),
    ("[run]\nseed = true\n", "run.seed: expected an integer, found true (bool)"),
    ('[run]\nstart = "2023-03-01"\n',
     "run.start: expected a date such as 2023-03-01 (unquoted), found '2023-03-01' (str)"),
    ('[interventions.cero_acoso]\nenabled = "yes"\n',
     "interventions.cero_acoso.enabled: expected true or false, found 'yes' (str)"),
    ("name = 3\n", "name: expected a string in quotes, found 3 (int)"),
    ("run = 3\n", "run: expected a table, found 3 (int)"),
    ("[interventions.cero_acoso]\nbarrios = 3\n",
     "interventions.cero_acoso.barrios: expected a list such as [1, 2, 3], found 3 (int)"),
    ('[interventions.cero_acoso]\nbarrios = [1, "b"]\n',
     "interventions.cero_acoso.barrios[1]: expected an integer, found 'b' (str)"),
], ids=["str-for-number", "float-for-int", "bool-for-int", "str-for-date", "str-for-bool",
        "int-for-str", "scalar-for-table", "scalar-for-list", "str-in-int-list"])
def test_wrong_type(toml, expected):
    write("bad.toml", toml)
    assert error("bad.toml") == f"bad.toml: {expected}"


# --- out of range and invalid choices --------------------------------------------------


@pytest.mark.parametrize("toml, expected", [
    ("[interventions.street_lighting]\nintensity = 1.5\n",
     "interventions.street_lighting.intensity: expected a number in [0, 1], found 1.5"),
    ("[run]\nyears = -1\n", "run.years: expected a number in (0, 30], found -1"),
    ("[run]\nseed = -1\n", "run.seed: expected an integer >= 0, found -1"),
    ("[city]\nwidth = 1000\n", "city.width: expected an integer in [2, 500], found 1000"),
    ("[observed]\nsafe_public_start = 41\n",
     "observed.safe_public_start: expected a number in [0, 1], found 41"),
    ("[interventions.upc_posts]\nramp_from = 1.5\n",
     "interventions.upc_posts.ramp_from: expected a number in [0, 1], found 1.5"),
    ("[interventions.police_operations]\nramp_from = -0.2\n",
     "interventions.police_operations.ramp_from: expected a number in [0, 1], found -0.2"),
    ("[interventions.safety_committees]\nramp_from = 60\n",
     "interventions.safety_committees.ramp_from: expected a number in [0, 1], found 60"),
], ids=["intensity", "negative-years", "negative-seed", "too-wide", "share-as-percent",
        "ramp-from-above-1", "negative-ramp-from", "ramp-from-as-percent"])
def test_out_of_range(toml, expected):
    write("bad.toml", toml)
    assert error("bad.toml") == f"bad.toml: {expected}"


def test_invalid_choice_lists_the_choices():
    write("bad.toml", '[interventions.sports_programmes]\ntargeting = "best"\n')
    assert error("bad.toml") == ("bad.toml: interventions.sports_programmes.targeting: "
                                 "expected one of 'worst_first', 'random' or 'list', found 'best'")


# --- the model validators of config.py ---------------------------------------------------


def test_end_before_start():
    write("bad.toml", "[interventions.cero_acoso]\nstart = 2024-01-01\nend = 2023-06-01\n")
    assert error("bad.toml") == ("bad.toml: interventions.cero_acoso.end: expected a date "
                                 "after start (2024-01-01), found 2023-06-01")


def test_second_survey_before_the_first():
    write("bad.toml", "[observed]\nstart_date = 2024-10-01\nend_date = 2024-01-01\n")
    assert error("bad.toml") == ("bad.toml: observed.end_date: expected end_date on or after "
                                 "start_date (2024-10-01), found 2024-01-01")


def test_targeting_list_without_barrios():
    write("bad.toml", '[interventions.cero_acoso]\ntargeting = "list"\n')
    assert error("bad.toml") == ("bad.toml: interventions.cero_acoso.barrios: expected a "
                                 "non-empty list of barrio numbers (targeting = 'list'), "
                                 "found no barrios key")


# --- which file an error names -----------------------------------------------------------


def test_error_in_the_parent_names_the_parent():
    write("parent.toml", "[interventions.street_lighting]\nintensity = 1.5\n")
    write("child.toml", 'extend = "parent.toml"\n[interventions.street_lighting]\nramp_months = 3\n')
    assert error("child.toml") == ("parent.toml: interventions.street_lighting.intensity: "
                                   "expected a number in [0, 1], found 1.5")


def test_error_in_the_child_names_the_child():
    write("parent.toml", "[interventions.street_lighting]\nstart = 2024-01-01\n")
    write("child.toml", 'extend = "parent.toml"\n[interventions.street_lighting]\nend = 2023-01-01\n')
    assert error("child.toml").startswith("child.toml: interventions.street_lighting.end: ")


def test_parameter_error_in_the_parent_names_the_parent():
    write("parent.toml", "[parameters]\nrecruitment_pressure = 2\n")
    write("child.toml", 'extend = "parent.toml"\n[parameters]\nmigrant_share = 0.1\n')
    assert error("child.toml") == ("parent.toml: parameters.recruitment_pressure: expected a "
                                   "number in [0, 1], found 2")


def test_child_replacing_a_parent_table_is_blamed():
    write("parent.toml", "[run]\nyears = 3\n")
    write("child.toml", 'extend = "parent.toml"\nrun = "long"\n')
    assert error("child.toml") == "child.toml: run: expected a table, found 'long' (str)"


# --- the barrio CSV ------------------------------------------------------------------------

CITY = '[city]\nwidth = 3\nheight = 2\nbarrio_file = "data/barrios.csv"\n'
GOOD_CSV = """
    row,col,population,disadvantage,lighting,name,barrio_id
    0,0,2500,0.2,0.9,La Mariscal,101
    0,1,1800,0.7,0.3,La Roldós,102
    1,2,0,0.5,0.5,Parque,103
"""


def csv_error(csv_text: str) -> str:
    write("s.toml", CITY)
    write("data/barrios.csv", csv_text)
    return error("s.toml")


def test_valid_csv_loads_into_city_table():
    write("s.toml", CITY)
    write("data/barrios.csv", GOOD_CSV)
    table = load_scenario("s.toml").city_table
    assert list(table.columns) == ["row", "col", "population", "disadvantage", "lighting",
                                   "name", "barrio_id"]
    assert table["row"].tolist() == [0, 0, 1] and table["col"].dtype == "int64"
    assert table["disadvantage"].tolist() == [0.2, 0.7, 0.5]
    assert table["name"].tolist() == ["La Mariscal", "La Roldós", "Parque"]
    assert table["barrio_id"].tolist() == [101, 102, 103]
    assert isinstance(table, pd.DataFrame)


def test_csv_path_is_relative_to_the_file_that_names_it():
    write("city/parent.toml", CITY)
    write("city/data/barrios.csv", GOOD_CSV)
    write("child.toml", 'extend = "city/parent.toml"\n')
    assert len(load_scenario("child.toml").city_table) == 3


def test_missing_csv_file():
    write("s.toml", CITY)
    assert error("s.toml") == ("s.toml: city.barrio_file: expected an existing CSV file, "
                               "found 'data/barrios.csv' (no such file)")


def test_csv_missing_column():
    assert csv_error("row,col,population\n0,0,10\n") == (
        "data/barrios.csv: column disadvantage: expected a required column, found none in "
        "the header (row, col, population)")


def test_csv_unknown_column():
    assert csv_error("row,col,population,disadvantage,lightning\n0,0,10,0.5,0.5\n") == (
        "data/barrios.csv: column lightning: unknown column; expected one of row, col, "
        "population, disadvantage, lighting, disorder, attractors, name, barrio_id")


def test_csv_value_out_of_range():
    assert csv_error("row,col,population,disadvantage\n0,0,10,0.5\n0,1,10,1.4\n") == (
        "data/barrios.csv: column disadvantage, row 2 (line 3): expected a number in [0, 1], "
        "found 1.4")


def test_csv_value_not_a_number():
    assert csv_error("row,col,population,disadvantage\n0,0,many,0.5\n") == (
        "data/barrios.csv: column population, row 1 (line 2): expected a number in "
        "[0, 1e+09], found 'many'")


def test_csv_empty_cell():
    assert csv_error("row,col,population,disadvantage\n0,0,10,\n") == (
        "data/barrios.csv: column disadvantage, row 1 (line 2): expected a number in [0, 1], "
        "found an empty cell")


def test_csv_position_outside_the_grid():
    assert csv_error("row,col,population,disadvantage\n0,0,10,0.5\n2,0,10,0.5\n") == (
        "data/barrios.csv: column row, row 2 (line 3): expected an integer in [0, 1] "
        "(city.height = 2), found 2")


def test_csv_position_not_an_integer():
    assert csv_error("row,col,population,disadvantage\n0,1.5,10,0.5\n") == (
        "data/barrios.csv: column col, row 1 (line 2): expected an integer in [0, 2] "
        "(city.width = 3), found 1.5")


def test_csv_duplicate_position():
    assert csv_error("row,col,population,disadvantage\n0,0,1,0.5\n1,1,1,0.5\n0,0,1,0.5\n") == (
        "data/barrios.csv: columns row and col, row 3 (line 4): expected each grid position "
        "once, found (0, 0) again, first at row 1 (line 2)")


def test_csv_with_only_a_header():
    assert csv_error("row,col,population,disadvantage\n") == (
        "data/barrios.csv: expected at least one barrio row, found only the header")


def test_csv_empty_file():
    assert csv_error("") == ("data/barrios.csv: expected a CSV file with a header row, found "
                             "No columns to parse from file")


# --- the error object and the summary ---------------------------------------------------


def test_scenario_error_survives_pickling():
    """Errors raised in worker processes must reach the parent intact."""
    import pickle

    err = BadInput(Path("a.toml"), "run.years", "expected a number, found 'x' (str)")
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) == "a.toml: run.years: expected a number, found 'x' (str)"


def test_summary_names_the_chain_and_the_programmes():
    text = scenario_summary(load_scenario(SCENARIOS / "quito_2023_2025.toml"))
    assert "baseline_2023.toml -> quito_2023_2025.toml" in text
    assert "street_lighting: from 2024-02-01, ramp 18 months, intensity 0.3" in text
    assert "patrol_units:" in text and "hot_spots" in text
    assert "upc_posts: from 2023-06-01, ramp_from 0.6, ramp 24 months, intensity 0.25" in text
    assert "ramp_from" not in text.split("street_lighting:")[1].splitlines()[0]


def test_csv_attractors_are_read_or_follow_population(tmp_path):
    """A barrio table may give crime attractors; without them they follow population."""
    from simulation import BarriosModel

    (tmp_path / "b.csv").write_text("row,col,population,disadvantage,attractors\n"
                                    "0,0,1000,0.5,0.9\n1,0,2000,0.5,0.1\n0,1,500,0.5,0.0\n")
    (tmp_path / "s.toml").write_text('[city]\nwidth = 2\nheight = 2\npopulation = 100000\n'
                                     'inhabitants_per_agent = 100\nbarrio_file = "b.csv"\n')
    loaded = load_scenario(tmp_path / "s.toml")
    model = BarriosModel(loaded.scenario, city_table=loaded.city_table)
    assert model.city.layer("attractors")[[0, 1, 2]].tolist() == [0.9, 0.1, 0.0]
    table = loaded.city_table.drop(columns="attractors")
    model = BarriosModel(loaded.scenario, city_table=table)
    assert model.city.layer("attractors")[[0, 1, 2]].tolist() == [0.5, 1.0, 0.25]


def test_power_cut_ending_before_it_starts():
    write("bad.toml", "[[power_cuts]]\nstart = 2024-10-01\nend = 2024-09-01\n"
                      "night_dark_share = 0.4\n")
    assert error("bad.toml") == ("bad.toml: power_cuts[0].end: expected end on or after start "
                                 "(2024-10-01), found 2024-09-01")


def test_power_cuts_overlapping():
    write("bad.toml", "[[power_cuts]]\nstart = 2024-10-01\nend = 2024-10-31\n"
                      "night_dark_share = 0.4\n"
                      "[[power_cuts]]\nstart = 2024-10-15\nend = 2024-11-30\n"
                      "night_dark_share = 0.5\n")
    assert error("bad.toml") == ("bad.toml: power_cuts: expected periods in date order, each "
                                 "starting after the one before ends (2024-10-31), found one "
                                 "starting 2024-10-15")


def test_power_cut_share_out_of_range():
    write("bad.toml", "[[power_cuts]]\nstart = 2024-10-01\nend = 2024-10-31\n"
                      "night_dark_share = 1.5\n")
    message = error("bad.toml")
    assert message.startswith("bad.toml: power_cuts[0].night_dark_share: expected a number in [0, 1]")
    assert message.endswith("found 1.5")
