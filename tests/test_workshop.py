"""The workshop app without a browser: scenario look-up, input validation, the intensity
and budget rules, and the page's components rendered with ``solara.render`` (no kernel,
no server). The browser test is ``test_workshop_browser.py``.
"""

from __future__ import annotations

import math
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pytest
import solara

from conftest import SCENARIOS, shipped
from barrios.cli import main
from experiments.scenario_files import load_scenario
from simulation import BarriosModel
from simulation.interventions import INTERVENTIONS
from workshop import budget as bud
from workshop import core
from workshop.app import use_page_state
from workshop import components, drawing
from workshop.components import (BudgetGame, Charts, Controls, InterventionSliders, LanguagePicker,
                                 MapView, game_options, results_rows, use_play_loop)
from workshop.core import InputError, Settings
from workshop.i18n import INTERVENTION_TEXT, MECHANISMS, STRINGS, intervention_name, t
from workshop.turns import STEPPING

SMALL = 500.0  # inhabitants per agent: ~5,600 residents, fast


def small(scenario: str = "quito_2023_2025", **kwargs) -> Settings:
    return Settings(scenario=scenario, seed=7, scale=SMALL, **kwargs)


# --- scenarios, validation -------------------------------------------------------------------


def test_scenario_list_is_the_shipped_intervention_mixes_by_their_titles():
    kinds = {p.stem: load_scenario(p).scenario.kind for p in SCENARIOS.glob("*.toml")}
    assert core.SCENARIO_NAMES == tuple(sorted(n for n, kind in kinds.items() if kind == "mix"))
    assert {"baseline_2023", "quito_2023_2025", "mano_dura"} <= set(core.SCENARIO_NAMES)
    assert not {"calibrated", "budget_menu"} & set(core.SCENARIO_NAMES)  # parameters, menu
    for name in core.SCENARIO_NAMES:  # the files' own titles, one per language
        scenario = core.load_named(name).scenario
        assert core.scenario_label(name, "es") == scenario.title_es
        assert core.scenario_label(name, "en") == scenario.title
    assert core.scenario_label("quito_2023_2025", "es") == "Plan Metropolitano de Quito 2023–2025"
    with pytest.raises(InputError):
        core.check_scenario("calibrated")


@pytest.fixture
def own_scenarios(tmp_path, monkeypatch):
    """A scenarios folder of the baseline plus files a user dropped in, as the app would
    find it at start-up."""
    shutil.copy(SCENARIOS / "baseline_2023.toml", tmp_path)
    (tmp_path / "mi_mezcla.toml").write_text(
        'extend = "baseline_2023.toml"\ntitle = "My mix"\ntitle_es = "Mi mezcla"\n'
        "[interventions.safety_committees]\nintensity = 0.8\n")
    (tmp_path / "sin_titulo.toml").write_text('extend = "baseline_2023.toml"\n')
    (tmp_path / "mis_parametros.toml").write_text(
        'extend = "baseline_2023.toml"\nkind = "parameters"\n[parameters]\n')
    (tmp_path / "mi_ciudad.csv").write_text(
        "row,col,population,disadvantage,name\n0,0,3000,0.2,La Mariscal\n1,0,2000,0.6,Chillogallo\n"
        "2,0,2500,0.4,\n0,1,1500,0.3,Cotocollao\n1,1,1800,0.5,La Magdalena\n")
    (tmp_path / "mi_ciudad.toml").write_text(
        'title = "My city"\n[city]\nwidth = 2\nheight = 3\npopulation = 10800\n'
        'inhabitants_per_agent = 20\nbarrio_file = "mi_ciudad.csv"\n'
        "[run]\nyears = 0.1\nburn_in_days = 5\n")
    monkeypatch.setattr(core, "SCENARIO_DIR", tmp_path)
    monkeypatch.setattr(core, "SCENARIO_NAMES", core._scan_scenarios(tmp_path))
    caches = (core.load_named, core.app_scenario, core.full_levels)
    for cache in caches:
        cache.cache_clear()
    yield tmp_path
    for cache in caches:
        cache.cache_clear()


def test_a_users_own_mix_shows_up_by_its_title(own_scenarios):
    assert core.SCENARIO_NAMES == ("baseline_2023", "mi_ciudad", "mi_mezcla", "sin_titulo")
    assert core.scenario_label("mi_mezcla", "es") == "Mi mezcla"
    assert core.scenario_label("mi_mezcla", "en") == "My mix"
    assert core.scenario_label("mi_ciudad", "es") == "My city"  # no Spanish title: the English
    assert core.scenario_label("sin_titulo", "es") == "sin_titulo"  # no title: the file name
    assert Settings().with_scenario("mi_mezcla").intensities()["safety_committees"] == 0.8


def test_barrio_names_from_the_city_table_are_written_on_the_map(own_scenarios):
    names = core.barrio_names("mi_ciudad")
    # barrio number = column x height + row; a blank name is no name
    assert names == {0: "La Mariscal", 1: "Chillogallo", 3: "Cotocollao", 4: "La Magdalena"}
    assert core.barrio_names("mi_mezcla") == {}  # the synthetic city has no names
    model = core.build_model(Settings(scenario="mi_ciudad", seed=1))
    figure = drawing.MapDrawing(model, names).draw("safety", "es")
    written = {text.get_gid(): text.get_text().replace("\n", " ") for text in figure.axes[0].texts}
    assert written == {f"barrio-{b}": name for b, name in names.items()}
    assert len(drawing.MapDrawing(model).draw("safety", "es").axes[0].texts) == 0


@pytest.mark.parametrize("name", ["../README", "/etc/passwd", "baseline_2023.toml",
                                  "scenarios/baseline_2023", "", None, 3, ["baseline_2023"],
                                  "quito_2023_2025\x00", "x" * 500])
def test_unknown_scenario_names_are_rejected_without_reading_files(name, monkeypatch):
    opened = []
    monkeypatch.setattr(core, "load_scenario", lambda path: opened.append(path))
    with pytest.raises(InputError):
        core.check_scenario(name)
    with pytest.raises(InputError):
        Settings().with_scenario(name)
    assert opened == []


@pytest.mark.parametrize("value", [-0.01, 1.01, 1.5, float("nan"), float("inf"), "abc", None,
                                   True, [0.5], "1e400"])
def test_out_of_range_intensities_are_rejected(value):
    with pytest.raises(InputError):
        core.check_intensity(value)
    with pytest.raises(InputError):
        Settings().with_level("street_lighting", value)


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "1e3", " ", str(2**32), 2**40, -3, 2.5,
                                   float("nan"), None, True])
def test_bad_seeds_are_rejected(value):
    with pytest.raises(InputError):
        core.check_seed(value)


def test_good_values_pass():
    assert core.check_seed(" 123 ") == 123
    assert core.check_seed(0) == 0
    assert core.check_intensity("0.25") == 0.25
    assert core.check_intensity(1) == 1.0
    assert core.check_layer("lighting") == "lighting"
    with pytest.raises(InputError):
        core.check_layer("population")
    with pytest.raises(InputError):
        core.check_intervention("free_money")
    with pytest.raises(InputError):
        core.check_speed(5)


# --- intensities -------------------------------------------------------------------------------


def test_app_scenarios_run_exactly_as_their_files():
    """Re-expressing patrols and operations on the app's scale changes nothing."""
    for name in ("baseline_2023", "mano_dura"):
        raw = shipped(name, run={"years": 0.2, "burn_in_days": 30})
        a = BarriosModel(raw, rng=5)
        a.run()
        app, _ = core.build_scenario(Settings(scenario=name, seed=5, scale=SMALL))
        app = app.model_copy(update={"run": raw.run})
        b = BarriosModel(app, rng=5)
        b.run()
        assert np.allclose(a.datacollector.get_model_vars_dataframe().to_numpy(),
                           b.datacollector.get_model_vars_dataframe().to_numpy())


def test_levels_follow_the_documented_rules():
    start = date(2023, 1, 1)
    # a standing programme raised: expanded from the run's start, from its old level
    scenario, _ = core.build_scenario(small("baseline_2023").with_level("upc_posts", 0.3))
    upc = scenario.interventions.upc_posts
    assert (upc.start, upc.intensity, upc.ramp_from, upc.ramp_months) == (start, 0.3, 0.5, 24.0)
    # a programme the scenario lacks: the Quito plan's settings at the chosen intensity
    scenario, _ = core.build_scenario(small("baseline_2023").with_level("street_lighting", 0.5))
    lighting = scenario.interventions.street_lighting
    assert (lighting.start, lighting.intensity, lighting.unit_cost_usd,
            lighting.capital_cost_usd) == (date(2024, 2, 1), 0.5, 15_000, 250_000)
    # zero switches it off
    scenario, _ = core.build_scenario(small().with_level("street_lighting", 0))
    assert "street_lighting" not in scenario.interventions.active()
    # an expansion during the run keeps its level before the start (0.15 posts)
    scenario, _ = core.build_scenario(small().with_level("upc_posts", 0.5))
    upc = scenario.interventions.upc_posts
    assert math.isclose(upc.ramp_from * upc.intensity, 0.15)
    # another place: the plan's programme shifted to the scenario's start
    scenario, _ = core.build_scenario(small("northern_border").with_level("street_lighting", 0.2))
    assert scenario.interventions.street_lighting.start == date(2014, 11, 1)
    # patrols and operations: intensity 1 is the largest shipped level
    assert core.full_levels() == {"patrol_units": ("units", 160.0),
                                  "police_operations": ("per_year", 4000.0)}


def test_budget_rule():
    years, barrios = 3.0, 1200
    levels = bud.budget_levels(100, {"street_lighting": 50, "safety_committees": 10,
                                     "patrol_units": 20, "police_operations": 20})
    # a lit barrio costs its luminaires once and its upkeep every year
    assert math.isclose(levels["street_lighting"], 50e6 / ((250_000 + 15_000 * years) * barrios))
    assert math.isclose(levels["safety_committees"], min(1.0, 0.10 + 10e6 / (2_000 * barrios * years)))
    assert math.isclose(levels["patrol_units"], 0.25 + 20e6 / (100_000 * 160 * years))
    assert math.isclose(levels["police_operations"], 0.2 + 20e6 / (5_000 * 4000 * years))
    assert set(levels) == {"street_lighting", "safety_committees", "patrol_units", "police_operations"}
    # all of it on public space: capped at full coverage
    assert bud.budget_levels(10_000, {"public_space_recovery": 100}) == {"public_space_recovery": 1.0}
    settings = bud.budget_settings(100, {"cero_acoso": 30}, seed=3, scale=SMALL)
    assert settings.scenario == "baseline_2023"
    assert math.isclose(settings.intensities()["cero_acoso"], 30e6 / (20_000 * barrios * years))


@pytest.mark.parametrize("total, shares", [
    ("-5", {}), ("abc", {}), ("nan", {}), ("inf", {}), (1e9, {}), (0, {}), (True, {}),
    (100, {"street_lighting": 60, "cero_acoso": 50}), (100, {"street_lighting": -1}),
    (100, {"street_lighting": "x"}), (100, {"teleport": 10}), (100, {"cero_acoso": float("nan")}),
])
def test_bad_budgets_are_rejected(total, shares):
    with pytest.raises(InputError):
        bud.budget_levels(total, shares)


def _outcomes(public, neighbourhood=0.5, cost=100e6, victims=0.15) -> dict:
    return dict.fromkeys(bud.OUTCOMES, 0.0) | {"safe_public": public, "safe_neighbourhood": neighbourhood,
                                                "cost_usd": cost, "victimization_12m": victims}


def test_gains_are_paired_means_with_t_intervals():
    reference = [_outcomes(p) for p in (0.40, 0.42, 0.38, 0.41, 0.39)]
    gains_pp = np.array([5.0, 4.0, 6.5, 5.5, 4.5])
    runs = [_outcomes(r["safe_public"] + g / 100, cost=150e6) for r, g in zip(reference, gains_pp)]
    g = bud.paired_gains(runs, reference)
    half = 2.7764451051977987 * gains_pp.std(ddof=1) / math.sqrt(5)  # t(0.975, 4 df)
    assert math.isclose(g["gain_public_pp"].mean, gains_pp.mean())
    assert math.isclose(g["gain_public_pp"].low, gains_pp.mean() - half)
    assert math.isclose(g["gain_public_pp"].high, gains_pp.mean() + half)
    assert math.isclose(g["extra_cost_musd"].mean, 50.0)
    per_point = g["musd_per_pp_public"]  # the ratios the gain's interval allows
    assert math.isclose(per_point.mean, 50 / gains_pp.mean())
    assert math.isclose(per_point.low, 50 / (gains_pp.mean() + half))
    assert math.isclose(per_point.high, 50 / (gains_pp.mean() - half))
    assert g["musd_per_pp_neighbourhood"] is None  # no gain at all
    assert bud.estimate_text(g["gain_public_pp"], "es") == (
        f"+5,1 [{gains_pp.mean() - half:.1f}; {gains_pp.mean() + half:.1f}]".replace(".", ","))
    with pytest.raises(ValueError):
        bud.paired_gains(runs[:3], reference)


def test_a_gain_whose_interval_includes_zero_has_an_open_ended_cost_per_point():
    uncertain = bud.cost_per_point(bud.Estimate(80.0, 79.0, 81.0), bud.Estimate(0.5, -0.3, 1.6))
    assert uncertain.low == 50.0 and math.isinf(uncertain.high)
    assert bud.cost_per_point_text(uncertain, "en") == "[50.0, ∞)"
    assert bud.cost_per_point_text(uncertain, "es") == "[50,0; ∞)"
    none = bud.cost_per_point(bud.Estimate(80.0, 79.0, 81.0), bud.Estimate(-0.5, -1.2, 0.0))
    assert none is None
    assert bud.cost_per_point_text(none, "en") == "no clear gain"
    assert bud.cost_per_point_text(none, "es") == "sin ganancia clara"
    clear = bud.cost_per_point(bud.Estimate(1234.5, 1230.0, 1240.0), bud.Estimate(2.0, 1.0, 3.0))
    assert bud.cost_per_point_text(clear, "es") == "617,2 [411,5; 1.234,5]"


def test_game_runs_pair_replications_whatever_ran_before():
    """Replication k of every option runs on child k of SeedSequence(seed), in a worker
    process or here, in any order: the same outcomes."""
    base = Settings(scenario="baseline_2023", seed=3, scale=2000.0)
    plan = replace(base, scenario="quito_2023_2025")
    comparisons = bud.Comparisons(replications=2, workers=1)
    try:
        in_worker = [f.result(timeout=300) for f in comparisons.request(base)]
        assert comparisons.runs(base) == in_worker  # kept
        assert comparisons.progress([base, base]) == (2, 2)
    finally:
        comparisons.shutdown()
    plan_second = bud.run_replication(plan, 1)
    assert bud.run_replication(base, 1) == in_worker[1]  # after another option, here
    assert in_worker[0] != in_worker[1]                  # two streams, not one
    assert set(in_worker[0]) == set(bud.OUTCOMES)
    assert plan_second["cost_usd"] > in_worker[1]["cost_usd"]  # the plan on top of the baseline


def test_the_game_compares_with_the_baseline_and_shipped_mixes_only():
    comparable = bud.comparable_scenarios()
    assert "quito_2023_2025" in comparable
    assert not {"northern_border", "calibrated", "budget_menu", "baseline_2023"} & set(comparable)
    mine = small("baseline_2023").with_level("cero_acoso", 0.4)
    options = game_options(mine)
    assert options[0] == (None, mine)
    assert options[1] == ("baseline_2023", Settings(scenario="baseline_2023", seed=7, scale=SMALL))
    assert [name for name, _ in options[2:]] == list(comparable)
    assert all((o.seed, o.scale, o.levels) == (7, SMALL, ()) for _, o in options[1:])


def test_map_layers_come_from_public_state():
    model = core.build_model(small())
    for _ in range(20):
        model.step()
    values = {name: core.layer_values(model, name) for name in core.MAP_LAYERS}
    for name, array in values.items():
        assert array.shape == (model.city.n,)
        low, high = core.LAYER_RANGE[name]
        assert np.nanmin(array) >= 0
        if high <= 1:
            assert np.nanmax(array) <= 1 + 1e-9
    share = values["safety"]
    pop = model.population
    b = int(np.argmax(pop.residents_per_barrio))
    residents = pop.home == b
    expected = np.mean(pop.safe_neighbourhood[residents] > model.params.safe_threshold)
    assert math.isclose(share[b], expected)
    assert not np.allclose(np.nan_to_num(values["safety"]), np.nan_to_num(values["lighting"]))


def test_map_cells_are_large_enough_to_read_from_the_back():
    cell, width, height = drawing.map_geometry(20, 60)  # Quito's synthetic city
    assert cell >= 20 and width >= 20 * cell and height >= 60 * cell
    assert drawing.map_geometry(5, 5)[0] > 60  # a small city fills the map's column
    model = core.build_model(small())
    figure = drawing.MapDrawing(model).draw("safety", "es")
    drawn = figure.axes[0].get_window_extent()  # the map's axes, in pixels
    assert drawn.width / model.city.width >= 20 and drawn.height / model.city.height >= 20


@pytest.mark.parametrize("series, zero, expected", [
    ([1.2, 1.5, 1.9], True, (0.0, 1.9)),     # a 1-2% line: 0 to just above its top
    ([41.0, 47.0, 52.0], False, (41.0, 52.0)),
    ([7.5, 7.5], False, (7.5, 7.5)),         # flat: at least min_span around it
])
def test_axis_limits_follow_the_data(series, zero, expected):
    low, high = drawing.fit_limits(series, zero=zero, min_span=0.5)
    assert low <= expected[0] and high >= expected[1]
    assert high - low >= 0.5
    slack = 0.35 * max(expected[1] - expected[0], 0.5) + 0.25  # headroom, a flat line's span
    assert high <= expected[1] + slack and low >= (0 if zero else expected[0] - slack)
    assert drawing.fit_limits([97.0, 99.9], top=100)[1] == 100  # a share stops at 100%


def test_chart_axes_fit_the_series_they_show():
    model = core.build_model(small())
    for _ in range(40):
        model.step()
    df, _ = drawing.timeseries(model)
    figure = drawing.draw_charts(model, "quito_2023_2025", "es")
    axes = {ax.get_title(): ax for ax in figure.axes}
    members = axes[t("chart_members", "es")]
    top = 100 * df["committee_members"].max()
    assert members.get_ylim()[0] == 0 and top < members.get_ylim()[1] <= max(1.3 * top, 0.7)
    trust = axes[t("chart_trust", "es")]
    low, high = trust.get_ylim()
    assert low <= 100 * df["legitimacy"].min() and high >= 100 * df["legitimacy"].max()
    assert high - low <= 20  # not a 0-100 axis for a line that moves a few points
    perception = axes[t("chart_perception", "es")]
    assert perception.get_ylim()[1] - perception.get_ylim()[0] < 40
    # the 2024 power cuts are shaded, once in the legend
    assert perception.get_legend_handles_labels()[1].count(t("power_cuts", "es")) == 1


def test_every_text_exists_in_both_languages():
    for table in (STRINGS, INTERVENTION_TEXT, MECHANISMS):
        for key, texts in table.items():
            assert set(texts) == {"es", "en"}, key
    # every explanation is of a registered intervention, and today's ten are explained (a
    # new intervention may come without teaching text: the page then shows its name)
    assert set(INTERVENTION_TEXT) <= set(INTERVENTIONS)
    assert len(INTERVENTION_TEXT) == 10
    for name, entry in INTERVENTIONS.items():  # display names come from the registry
        assert intervention_name(name, "es") == entry.label_es
        assert intervention_name(name, "en") == entry.label_en
        assert intervention_name(name, "fr") == entry.label_es  # unknown language: Spanish
    assert t("step", "es") == "Avanzar" and t("step", "en") == "Step"
    assert t("step", "fr") == "Avanzar"  # unknown language: Spanish
    assert t("no_such_key", "en") == "no_such_key"


# --- components ------------------------------------------------------------------------------


def fake_runner(option: Settings, replication: int) -> dict:
    """Outcomes that grow with an option's intensities, a little noise per replication
    (no model run: the component tests check the page, not the model)."""
    push = sum(option.intensities().values())
    noise = 0.004 * math.sin(3 * replication + 7 * push)
    return _outcomes(0.40 + 0.02 * push + noise, 0.50 + 0.01 * push, 1e8 * (1 + push))


@pytest.fixture
def fake_game(monkeypatch):
    """The budget game's runs, in a thread, from ``fake_runner``."""
    comparisons = bud.Comparisons(replications=3, runner=fake_runner,
                                  pool=ThreadPoolExecutor(max_workers=1))
    monkeypatch.setattr(bud, "COMPARISONS", comparisons)
    yield comparisons
    comparisons.shutdown()


@pytest.fixture
def page(fake_game):
    """The page's components rendered without a browser; yields (state, render context)."""
    box = {}

    @solara.component
    def Harness():
        state = use_page_state(small(), "es")
        box["state"] = state
        use_play_loop(state)
        with solara.Column():
            LanguagePicker(state)
            Controls(state)
            InterventionSliders(state)
            MapView(state)
            Charts(state)
            BudgetGame(state)

    _, rc = solara.render(Harness(), handle_error=False)
    yield box["state"], rc
    rc.close()


def _buttons(rc, label) -> list:
    """Buttons whose text is ``label`` (an icon may come with it)."""
    return [w for w in rc.find(v.Btn).widgets if label in w.children]


def _button(rc, label):
    found = _buttons(rc, label)
    assert len(found) == 1, (label, found)
    return found[0]


def _images(rc) -> list[bytes]:
    return [w.value for w in rc.find(widgets.Image).widgets]


def _texts(rc) -> set[str]:
    out = set()
    for w in rc.find(v.Html).widgets:
        out.update(c for c in w.children if isinstance(c, str))
    return out


def test_layer_picker_changes_the_map(page):
    state, rc = page
    map_before, charts_before = _images(rc)[:2]
    _button(rc, "Incidentes").click()
    assert state.layer.value == "incidents"
    map_after, charts_after = _images(rc)[:2]
    assert map_after != map_before
    assert charts_after == charts_before  # the time series do not depend on the layer
    _button(rc, "Alumbrado").click()
    assert _images(rc)[0] not in (map_before, map_after)


def test_language_switch_changes_labels(page):
    state, rc = page
    _button(rc, "Avanzar")
    assert any(text.startswith("Seguros en espacios públicos") for text in _texts(rc))
    _button(rc, "English").click()
    assert state.lang.value == "en"
    _button(rc, "Step")
    _button(rc, "Perceived safety")
    assert _buttons(rc, "Avanzar") == []
    assert any(text.startswith("Safe in public spaces") for text in _texts(rc))
    assert rc.find(v.Slider, label=intervention_name("street_lighting", "en")).widgets
    _button(rc, "Español").click()
    _button(rc, "Avanzar")


def test_slider_then_step_changes_the_run_and_the_chart(page):
    state, rc = page
    charts_before = _images(rc)[1]
    slider = rc.find(v.Slider, label=intervention_name("street_lighting", "es"), max=1.0)
    slider.widget.v_model = 0.8
    assert state.pending and state.run.model.day == 0
    _button(rc, "Avanzar").click()
    assert not state.pending
    assert state.run.settings.intensities()["street_lighting"] == 0.8
    assert state.run.model.day == 7
    assert _images(rc)[1] != charts_before
    assert any("día 7 de" in text for text in _texts(rc))


def test_to_the_end_shows_progress_and_draws_the_charts_once_at_the_end(page, monkeypatch):
    state, rc = page
    drawn = []
    monkeypatch.setattr(components, "draw_charts", lambda *a: drawn.append(a) or drawing.draw_charts(*a))
    monkeypatch.setattr(components, "PROGRESS_INTERVAL_S", 0.0)
    seen = []
    state.progress.subscribe(lambda day: seen.append(day))
    charts_before = _images(rc)[1]
    with STEPPING.turn(1):  # another page's run has the server: this one waits its turn
        _button(rc, "Hasta el final").click()
        time.sleep(0.2)
        assert any(text.startswith("Esperando turno") for text in _texts(rc))
        assert state.run.model.day == 0
    deadline = time.monotonic() + 60
    while state.finishing.value and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state.run.finished and not state.finishing.value
    days = [day for day in seen if day is not None]
    assert days == sorted(days) and 0 < days[0] < days[-1] <= state.run.total_days  # it moved
    assert len(drawn) == 1  # the charts were drawn once, at the end
    assert _images(rc)[1] != charts_before
    assert any(f"día {state.run.total_days} de" in text for text in _texts(rc))
    assert "Fin de la simulación." in _texts(rc)
    assert _button(rc, "Hasta el final").disabled and _button(rc, "Avanzar").disabled


def test_bad_inputs_from_the_page_become_messages(page):
    state, rc = page
    model = state.run.model
    select = rc.find(v.Select).widget
    for bad in ("../../etc/passwd", "baseline_2023.toml", None):  # (more in the tests above)
        select.v_model = bad
        assert isinstance(state.error.value, InputError)
        assert state.run.model is model  # nothing rebuilt
        rc.find(v.Alert).assert_not_empty()
    slider = rc.find(v.Slider, label=intervention_name("cero_acoso", "es"), max=1.0).widget
    for bad in (1.7, "lots", {"x": 1}):
        state.error.set(None)
        slider.v_model = bad
        assert isinstance(state.error.value, InputError)
    assert not state.pending
    # the other handlers, called as the page calls them (text fields commit on enter/blur)
    for handler, args in ((state.set_seed, ("-1",)), (state.set_seed, ("abc",)),
                          (state.set_seed, ("99999999999",)), (state.set_lang, ("fr",)),
                          (state.set_layer, ("secret",)), (state.set_speed, (5,)),
                          (state.set_budget_total, ("-3",)), (state.set_share, ("teleport", 10)),
                          (state.set_share, ("cero_acoso", 101))):
        state.error.set(None)
        state.guard(handler, *args)
        assert isinstance(state.error.value, InputError), (handler, args)
    assert state.lang.value == "es" and state.layer.value == "safety"
    # a good choice after all that still works
    select.v_model = "baseline_2023"
    assert state.error.value is None and state.run.settings.scenario == "baseline_2023"


def test_budget_game_applies_the_mix(page):
    state, rc = page
    sliders = {w.label: w for w in rc.find(v.Slider).widgets}
    lighting = intervention_name("street_lighting", "es")
    budget_sliders = [w for w in rc.find(v.Slider).widgets if w.label == lighting and w.max == 100]
    assert lighting in sliders and len(budget_sliders) == 1
    budget_sliders[0].v_model = 40
    assert state.shares.value == {"street_lighting": 40.0}
    _button(rc, t("budget_apply", "es")).click()
    assert state.run.settings.scenario == "baseline_2023"
    expected = 40e6 / ((250_000 + 15_000 * 3) * 1200)
    assert math.isclose(state.run.settings.intensities()["street_lighting"], expected)
    # the sidebar's slider snaps the budget's intensity to its step: that is no change
    rc.find(v.Slider, label=lighting, max=1.0).widget.v_model = round(expected, 2)
    assert not state.pending
    # too much in total: the apply button is disabled and a warning shown
    rc.find(v.Slider, label=intervention_name("cero_acoso", "es"), max=100).widget.v_model = 70
    assert _button(rc, t("budget_apply", "es")).disabled
    rc.find(v.Alert).assert_not_empty()
    state.guard(state.apply_budget)  # even if a client sends the click anyway
    assert isinstance(state.error.value, InputError)
    assert math.isclose(state.run.settings.intensities()["street_lighting"], expected)


def test_scenario_picker_offers_mixes_by_title_in_the_pages_language(page):
    state, rc = page
    items = rc.find(v.Select).widget.items
    assert [i["value"] for i in items] == list(core.SCENARIO_NAMES)
    texts = {i["text"] for i in items}
    assert "Plan Metropolitano de Quito 2023–2025" in texts and "Mano dura" in texts
    assert not any("calibrad" in text.lower() for text in texts)
    _button(rc, "English").click()
    texts = {i["text"] for i in rc.find(v.Select).widget.items}
    assert "Quito's Metropolitan Plan 2023–2025" in texts and "Mano dura (iron fist)" in texts


def _tables(rc) -> list[str]:
    return [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
            if "barrios-results-table" in w.unsafe_innerHTML]


def test_results_show_each_mix_over_seeds_against_the_baseline(page, fake_game):
    state, rc = page
    rc.find(v.Slider, label=intervention_name("safety_committees", "es"), max=100).widget.v_model = 20
    _button(rc, t("budget_apply", "es")).click()
    settings = state.run.settings
    options = [option for _, option in game_options(settings)]
    for option in options:
        for future in fake_game.request(option):
            future.result(timeout=60)
    rows = results_rows(settings, "es", fake_game)
    labels = [row[0] for row in rows]
    assert labels[0] == "Su mezcla: Quito antes del plan (base 2023) *"
    assert labels[1:] == [core.scenario_label(n, "es") for n in ("baseline_2023", *bud.comparable_scenarios())]
    assert rows[1][1:3] == ["0,0 [0,0; 0,0]"] * 2 and rows[1][4] == "sin ganancia clara"
    reference = fake_game.runs(options[1])
    expected = bud.paired_gains(fake_game.runs(options[0]), reference)["gain_public_pp"]
    assert rows[0][1] == bud.estimate_text(expected, "es") and "[" in rows[0][1]
    assert expected.low < expected.mean < expected.high  # an interval over the seeds
    english = results_rows(settings, "en", fake_game)
    assert english[0][0] == "Your mix: Quito before the plan (2023 baseline) *"
    assert english[1][4] == "no clear gain"
    rc.find(v.Alert).widget  # noqa: B018 - re-render happened (the notice)
    state.redraw()
    table = _tables(rc)
    assert len(table) == 1 and "Su mezcla: Quito antes del plan" in table[0]
    assert "Mano dura" in table[0] and "calibrad" not in table[0].lower()


def test_cli_rejects_bad_app_options(capsys):
    for args in (["app", "--port", "70000"], ["app", "--scale", "0"], ["app", "--lang", "fr"],
                 ["app", "--port", "abc"]):
        with pytest.raises(SystemExit) as exc:
            main(args)
        assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_the_server_says_which_addresses_to_open_and_warns_off_loopback():
    from workshop.server import announcement

    local = announcement("127.0.0.1", 8765)
    assert local == ["Barrios workshop app: http://127.0.0.1:8765  (Ctrl-C to stop)"]
    room = announcement("0.0.0.0", 8765)
    assert not any("0.0.0.0:8765" in line for line in room)   # no browser opens that
    assert "http://127.0.0.1:8765" in " ".join(room)
    assert room[-1].startswith("warning:") and "network" in room[-1]
    assert announcement("::1", 9000)[0] == "Barrios workshop app: http://[::1]:9000  (Ctrl-C to stop)"


def test_stopping_the_budget_game_stops_its_workers_without_waiting_for_their_runs():
    """Ctrl-C on the server: the game's runs are only a cache, so its workers are stopped,
    not waited for (they had held the server's exit for a run and a queued one)."""
    import subprocess
    import time as clock

    from workshop.budget import Comparisons

    game = Comparisons(replications=2, workers=1, runner=subprocess.call)
    game.request(("sleep", "30"))  # runner(option, k): call(("sleep", "30"), k) takes 30 s
    deadline = clock.monotonic() + 60
    while not game._pool._processes and clock.monotonic() < deadline:
        clock.sleep(0.1)
    workers = list(game._pool._processes.values())
    assert workers, "the pool never started its worker"
    game.shutdown()
    # Polled, not joined once: the pool's own thread reaps the worker too, and the loser
    # of that race reads "alive" until the winner has stored the exit code (CI, 3.13).
    deadline = clock.monotonic() + 10
    while any(w.is_alive() for w in workers) and clock.monotonic() < deadline:
        clock.sleep(0.1)
    assert not any(w.is_alive() for w in workers), "a worker outlived the 30 s run's stop"
