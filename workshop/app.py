"""The workshop page (``Page``), served by ``barrios app`` (see ``workshop.server``).

Layout: an app bar with the title and the language switch; a sidebar with the controls
(scenario, seed, play / pause / step / reset / to the end, speed) and one slider per
intervention; three tabs: the simulation (barrio map with a layer picker and legend, time
series), the budget game (with the results), and plain-language explanations.

The language and scale the server was started with come from the environment
(``BARRIOS_LANG``, ``BARRIOS_SCALE``, set by ``workshop.server``); bad values fall back to
Spanish and the scenarios' own scale.
"""

from __future__ import annotations

import os

import solara
import solara.lab

from workshop.budget import DEFAULT_BUDGET_MUSD
from workshop.components import (BudgetGame, Charts, Controls, Explanations, InterventionSliders,
                                 LanguagePicker, MapView, PageState, use_play_loop)
from workshop.core import (DEFAULT_SCENARIO, DEFAULT_SEED, DEFAULT_SPEED, MAP_LAYERS, SCENARIO_NAMES,
                           InputError, LiveRun, Settings, check_scale)
from workshop.i18n import DEFAULT_LANG, LANGS, t


def start_language() -> str:
    lang = os.environ.get("BARRIOS_LANG", DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def start_scale() -> float | None:
    """Inhabitants per agent for every scenario, or None for each scenario's own."""
    value = os.environ.get("BARRIOS_SCALE", "")
    if not value:
        return None
    try:
        return check_scale(value)
    except InputError:
        return None


def start_settings() -> Settings:
    scenario = DEFAULT_SCENARIO if DEFAULT_SCENARIO in SCENARIO_NAMES else SCENARIO_NAMES[0]
    return Settings(scenario=scenario, seed=DEFAULT_SEED, scale=start_scale())


def use_page_state(settings: Settings | None = None, lang: str | None = None) -> PageState:
    """The state of one page (one browser tab): its own live run and reactive values."""
    run = solara.use_memo(lambda: LiveRun(settings or start_settings()), [])
    return PageState(
        run=run,
        lang=solara.use_reactive(lang if lang in LANGS else start_language()),
        frame=solara.use_reactive(0),
        chart_frame=solara.use_reactive(0),
        draft=solara.use_reactive(run.settings),
        playing=solara.use_reactive(False),
        finishing=solara.use_reactive(False),
        progress=solara.use_reactive(None),
        speed=solara.use_reactive(DEFAULT_SPEED),
        layer=solara.use_reactive(MAP_LAYERS[0]),
        error=solara.use_reactive(None),
        rate=solara.use_reactive(None),
        budget_total=solara.use_reactive(f"{DEFAULT_BUDGET_MUSD:g}"),
        shares=solara.use_reactive({}),
        notice=solara.use_reactive(None),
    )


@solara.component
def Page(lang: str | None = None, settings: Settings | None = None):
    state = use_page_state(settings, lang)
    tab = solara.use_reactive(0)
    use_play_loop(state)
    current = state.lang.value

    solara.Title(t("title", current))
    with solara.AppBar():
        LanguagePicker(state)
    with solara.AppBarTitle():
        solara.Text(t("title", current), classes=["barrios-title"])
    with solara.Sidebar():
        Controls(state)
        InterventionSliders(state)
    with solara.lab.Tabs(value=tab, lazy=True):
        with solara.lab.Tab(t("tab_simulation", current)):
            with solara.Row(style={"align-items": "flex-start", "flex-wrap": "nowrap"}):
                MapView(state)
                Charts(state)
        with solara.lab.Tab(t("tab_budget", current)):
            BudgetGame(state)
        with solara.lab.Tab(t("tab_explain", current)):
            Explanations(state)
