"""The page's Solara components. Each takes the page state it needs (``PageState``) and the
language; every event handler goes through ``PageState.guard``, so a bad value from the
browser becomes a message on the page, never an exception in the server.
"""

from __future__ import annotations

import concurrent.futures
import html
import io
import logging
import math
import time
from dataclasses import dataclass
from functools import partial

import solara
import solara.lab

from simulation.interventions import INTERVENTIONS
from workshop import budget as bud
from workshop.core import (BASELINE, MAP_LAYERS, SCENARIO_NAMES, SPEEDS, InputError, LiveRun,
                           Settings, Shared, app_scenario, barrio_names, check_layer,
                           check_scenario, check_speed, current_values, full_levels, model_day,
                           scenario_label, unit_count)
from workshop.drawing import MapDrawing, day_date, draw_charts, map_geometry
from workshop.i18n import (INTERVENTION_TEXT, LANGS, MECHANISMS, check_lang, error_text,
                           intervention_name, t)

log = logging.getLogger("workshop")
CHART_INTERVAL_S = 1.0  # while playing, redraw the time series at most this often
PROGRESS_INTERVAL_S = 1.0  # while running to the end, move its progress bar at most this often
SLIDER_STEP = 0.01      # an intervention slider's step (intensity)


@dataclass
class PageState:
    """Everything a page (one browser tab) holds: the live run and reactive values."""

    run: LiveRun
    lang: solara.Reactive
    frame: solara.Reactive      # bumped whenever the model changed (redraw the map, status)
    chart_frame: solara.Reactive  # bumped when the time series are redrawn (at most twice a
                                  # second while playing: they cost more than the map)
    draft: solara.Reactive      # Settings chosen in the page, applied on step/play/reset
    playing: solara.Reactive
    finishing: solara.Reactive  # running to the end: the map and charts wait for the end
    progress: solara.Reactive   # the day reached meanwhile (its progress bar), or None
    speed: solara.Reactive      # days per screen update while playing
    layer: solara.Reactive
    error: solara.Reactive      # the last rejected input (an exception), or None
    rate: solara.Reactive       # measured simulated days per second while playing
    budget_total: solara.Reactive  # text typed in the budget box
    shares: solara.Reactive     # {intervention: percent}
    notice: solara.Reactive     # a key of an informational message, or None

    # --- safety ------------------------------------------------------------------------
    def guard(self, handler, *args):
        """Run an event handler; a rejected input or any failure becomes a message."""
        try:
            handler(*args)
        except InputError as error:
            self.error.set(error)
        except Exception as error:  # noqa: BLE001 - nothing from the page may escape
            log.exception("workshop: handler failed")
            self.error.set(error)

    def handler(self, fn):
        return lambda *args: self.guard(fn, *args)

    # --- model changes -----------------------------------------------------------------------
    def redraw(self, charts: bool = True):
        self.frame.set(self.frame.value + 1)
        if charts:
            self.chart_frame.set(self.chart_frame.value + 1)

    def rebuild(self, settings: Settings):
        self.playing.set(False)
        self.run.rebuild(settings)
        self.draft.set(settings)
        self.error.set(None)
        self.redraw()

    def apply_pending(self):
        if self.draft.value != self.run.settings:
            self.rebuild(self.draft.value)

    @property
    def pending(self) -> bool:
        return self.draft.value != self.run.settings

    # --- handlers -------------------------------------------------------------------------
    def set_lang(self, value):
        self.lang.set(check_lang(value))

    def set_scenario(self, value):
        self.rebuild(self.draft.value.with_scenario(check_scenario(value)))
        self.notice.set(None)

    def set_seed(self, value):
        self.draft.set(self.draft.value.with_seed(value))
        self.error.set(None)

    def set_level(self, name, value):
        current = self.draft.value.intensities().get(name)
        settings = self.draft.value.with_level(name, value)  # validates name and value
        # The slider snaps to its step: a budget's 16.9% comes back as 17%, which is no change.
        if current is not None and abs(settings.level_dict()[name] - current) <= SLIDER_STEP / 2:
            return
        self.draft.set(settings)
        self.error.set(None)

    def set_layer(self, value):
        self.layer.set(check_layer(value))

    def set_speed(self, value):
        self.speed.set(check_speed(value))

    def step(self):
        self.apply_pending()
        self.run.advance(self.speed.value)
        self.redraw()

    def reset(self):
        self.rebuild(self.draft.value)

    def to_end(self):
        """Run to the end in the background (``use_play_loop``): the page shows a progress
        bar, and draws the map and charts once, at the end."""
        self.apply_pending()
        self.playing.set(False)
        if not self.run.finished:
            self.finishing.set(True)

    def toggle_play(self):
        if self.playing.value:
            self.playing.set(False)
            return
        self.apply_pending()
        if not self.run.finished and not self.finishing.value:
            self.playing.set(True)

    def set_budget_total(self, value):
        self.budget_total.set(str(value)[:40])
        bud.check_budget(value)
        self.error.set(None)

    def set_share(self, name, value):
        """One programme's percentage (0-100); the total is checked when applying."""
        share = bud.check_shares({name: value})[name]
        self.shares.set({**self.shares.value, name: share})
        self.notice.set(None)

    def apply_budget(self):
        settings = bud.budget_settings(self.budget_total.value, self.shares.value,
                                       self.draft.value.seed, self.run.settings.scale)
        self.rebuild(settings)
        self.notice.set("budget_applied")


# --- inputs that never raise ---------------------------------------------------------------------


@solara.component
def SafeSlider(label: str, value: float, on_value, min: float = 0.0, max: float = 1.0,
               step: float = 0.01, classes: list[str] | None = None):
    """A Vuetify slider whose raw value goes straight to ``on_value`` (a guarded handler
    that validates it). Solara's own sliders convert the value first, which raises on
    nonsense sent by a client."""
    return solara.v.Slider(v_model=value, on_v_model=on_value, label=label, min=min, max=max,
                           step=step, thumb_label=True, hide_details=True,
                           class_=" ".join(classes or []))


# --- frame -------------------------------------------------------------------------------------


@solara.component
def LanguagePicker(state: PageState):
    lang = state.lang.value
    with solara.Row(gap="4px", style={"align-items": "center"}):
        for code in LANGS:
            active = code == lang
            solara.Button("Español" if code == "es" else "English", small=True, depressed=True,
                          outlined=not active,
                          style={"color": "#0d47a1", "background-color": "white"} if active
                          else {"color": "white"},
                          on_click=state.handler(partial(state.set_lang, code)),
                          classes=[f"barrios-lang-{code}"] + (["barrios-lang-active"] if active else []))


@solara.component
def ErrorBanner(state: PageState):
    if state.error.value is not None:
        solara.Error(error_text(state.error.value, state.lang.value), dense=True,
                     classes=["barrios-error"])


# --- controls -------------------------------------------------------------------------------


@solara.component
def Controls(state: PageState):
    lang, run = state.lang.value, state.run
    state.frame.get()  # redraw with the model
    draft = state.draft.value
    with solara.Card(t("controls", lang), margin=0, classes=["barrios-controls"]):
        solara.v.Select(label=t("scenario", lang), v_model=draft.scenario,
                        items=[{"text": scenario_label(n, lang), "value": n} for n in SCENARIO_NAMES],
                        on_v_model=state.handler(state.set_scenario), dense=True,
                        class_="barrios-scenario")
        solara.InputText(t("seed", lang), value=str(draft.seed),
                         on_value=state.handler(state.set_seed), classes=["barrios-seed"])
        with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
            playing, busy = state.playing.value, state.playing.value or state.finishing.value
            solara.Button(t("pause", lang) if playing else t("play", lang),
                          icon_name="mdi-pause" if playing else "mdi-play", color="primary",
                          on_click=state.handler(state.toggle_play),
                          disabled=(run.finished or state.finishing.value) and not playing,
                          classes=["barrios-play"])
            solara.Button(t("step", lang), icon_name="mdi-step-forward",
                          on_click=state.handler(state.step), disabled=busy or run.finished,
                          classes=["barrios-step"])
            solara.Button(t("reset", lang), icon_name="mdi-restart",
                          on_click=state.handler(state.reset), classes=["barrios-reset"])
            solara.Button(t("to_end", lang), icon_name="mdi-skip-forward",
                          on_click=state.handler(state.to_end), disabled=busy or run.finished,
                          classes=["barrios-to-end"])
        solara.Text(t("speed", lang), style={"font-size": "0.85em"})
        with solara.Row(gap="2px"):
            for days in SPEEDS:
                active = days == state.speed.value
                solara.Button(str(days), small=True, outlined=not active,
                              color="primary" if active else None,
                              on_click=state.handler(partial(state.set_speed, days)),
                              classes=[f"barrios-speed-{days}"])
        Status(state)
        ToEndProgress(state)
        if state.pending:
            solara.Info(t("pending", lang), dense=True, classes=["barrios-pending"])
        ErrorBanner(state)


@solara.component
def Status(state: PageState):
    lang, run = state.lang.value, state.run
    state.frame.get()
    with run.lock:
        model = run.model
        text = t("status", lang, date=day_date(model).isoformat(), day=model_day(model),
                 total=run.total_days)
        residents = t("residents", lang, n=model.population.n,
                      scale=model.config.city.inhabitants_per_agent)
    solara.Text(text, classes=["barrios-status"], style={"font-weight": "bold"})
    if state.playing.value and state.rate.value:
        solara.Text(t("rate", lang, rate=state.rate.value), classes=["barrios-rate"],
                    style={"font-size": "0.85em"})
    if run.finished:
        solara.Text(t("finished", lang), classes=["barrios-finished"])
    solara.Text(residents, style={"font-size": "0.8em", "color": "#666"})


@solara.component
def ToEndProgress(state: PageState):
    """How far a run to the end has got (its own component: moving the bar redraws
    nothing else)."""
    if not state.finishing.value:
        return
    day, total, lang = state.progress.value, state.run.total_days, state.lang.value
    # None until its first turn: in a room, other pages' runs may go first (workshop.turns)
    text = t("to_end_waiting", lang) if day is None else t("to_end_progress", lang, day=day, total=total)
    solara.Text(text, classes=["barrios-to-end-progress"], style={"font-size": "0.85em"})
    solara.ProgressLinear(value=100 * (day or 0) / max(total, 1))


def _units_text(name: str, level: float, scenario, lang: str) -> str:
    count = level * unit_count(scenario, name)
    key = {"barrios": "n_barrios", "units": "n_units", "per_year": "n_ops"}[INTERVENTIONS[name].counts]
    return t("intensity_value", lang, pct=100 * level, what=t(key, lang, n=count))


@solara.component
def InterventionSliders(state: PageState):
    lang = state.lang.value
    draft = state.draft.value
    levels = draft.intensities()
    scenario = app_scenario(draft.scenario)
    full = full_levels()
    with solara.Card(t("interventions", lang), margin=0, classes=["barrios-interventions"]):
        solara.Text(t("interventions_help", lang, units=full["patrol_units"][1],
                      ops=full["police_operations"][1]), style={"font-size": "0.8em", "color": "#555"})
        for name in INTERVENTIONS:
            SafeSlider(intervention_name(name, lang), value=levels[name], min=0.0, max=1.0,
                       step=SLIDER_STEP, on_value=state.handler(partial(state.set_level, name)),
                       classes=[f"barrios-slider-{name}"])
            solara.Text(_units_text(name, levels[name], scenario, lang),
                        classes=[f"barrios-level-{name}"],
                        style={"font-size": "0.8em", "color": "#555", "margin-left": "8px"})


# --- map and charts -----------------------------------------------------------------------------


def png(figure) -> bytes:
    """A figure as PNG bytes (shown at the width of its column, so it fills it)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


FIRST_PICTURES = Shared(32)
"""The map and charts of models not stepped yet, by settings, layer and language."""


def picture(run: LiveRun, key: tuple, draw):
    """``draw()`` (call it holding ``run.lock``); while the model has not stepped, shared
    by every page with the same settings: they show the same model, and a room opens the
    page together."""
    if not run.pristine:
        return draw()
    return FIRST_PICTURES.get((run.settings, *key), draw)


@solara.component
def MapView(state: PageState):
    lang, run, layer = state.lang.value, state.run, state.layer.value
    frame = state.frame.value
    drawing = solara.use_memo(lambda: MapDrawing(run.model, barrio_names(run.settings.scenario)),
                              [run.version])

    def draw():
        with run.lock:
            if drawing.model is not run.model:  # rebuilt meanwhile: draw at the next frame
                return None
            return picture(run, ("map", layer, lang), lambda: png(drawing.draw(layer, lang)))

    image = solara.use_memo(draw, [frame, layer, lang, run.version])
    width = map_geometry(run.model.city.width, run.model.city.height)[1]
    with solara.Column(classes=["barrios-map"], gap="4px",
                       style={"flex": f"0 0 {width:.0f}px", "max-width": "55%"}):
        solara.Text(t("map", lang), style={"font-weight": "bold"})
        with solara.Row(gap="2px", style={"flex-wrap": "wrap"}):
            for key in MAP_LAYERS:
                active = key == layer
                solara.Button(t(f"layer_{key}", lang), small=True, outlined=not active,
                              color="primary" if active else None,
                              on_click=state.handler(partial(state.set_layer, key)),
                              classes=[f"barrios-layer-{key}"] + (["barrios-layer-active"] if active else []))
        solara.Text(t("map_help", lang), style={"font-size": "0.85em", "color": "#555"})
        if image is not None:
            solara.Image(image, width="100%")


@solara.component
def Charts(state: PageState):
    lang, run = state.lang.value, state.run
    frame = state.chart_frame.value

    def draw():
        with run.lock:
            return picture(run, ("charts", lang), lambda: (
                png(draw_charts(run.model, run.settings.scenario, lang)), current_values(run.model)))

    image, values = solara.use_memo(draw, [frame, lang, run.version])
    with solara.Column(classes=["barrios-charts"], gap="4px", style={"flex": "1 1 auto", "min-width": "0"}):
        solara.Text(t("charts", lang), style={"font-weight": "bold"})
        solara.Text(t("readout", lang, public=100 * values["safe_public"],
                      neighbourhood=100 * values["safe_neighbourhood"],
                      victim=100 * values["victimization_12m"], cost=values["cost_usd"] / 1e6),
                    classes=["barrios-readout"], style={"font-size": "0.9em"})
        solara.Image(image, width="100%")


# --- budget game ----------------------------------------------------------------------------------


@solara.component
def BudgetGame(state: PageState):
    lang = state.lang.value
    base = app_scenario(BASELINE) if BASELINE in SCENARIO_NAMES else None
    if base is None:
        return
    shares = state.shares.value
    total_ok = True
    try:
        total = bud.check_budget(state.budget_total.value)
    except InputError:
        total, total_ok = 0.0, False
    allocated = sum(shares.values())
    levels = bud.budget_levels(total, shares) if total_ok and allocated <= 100 else {}
    with solara.Card(t("tab_budget", lang), margin=0, classes=["barrios-budget"]):
        solara.Text(t("budget_intro", lang, years=base.run.years))
        solara.InputText(t("budget_total", lang), value=state.budget_total.value,
                         on_value=state.handler(state.set_budget_total), classes=["barrios-budget-total"])
        with solara.Columns([1, 1]):
            names = tuple(INTERVENTIONS)
            for half in (names[:5], names[5:]):
                with solara.Column(gap="0px"):
                    for name in half:
                        pct = shares.get(name, 0.0)
                        SafeSlider(intervention_name(name, lang), value=pct, min=0, max=100,
                                   step=5, on_value=state.handler(partial(state.set_share, name)),
                                   classes=[f"barrios-share-{name}"])
                        level = levels.get(name, bud.scenario_levels(base)[name])
                        solara.Text(t("budget_line", lang, pct=pct, musd=total * pct / 100,
                                      level=100 * level),
                                    style={"font-size": "0.8em", "color": "#555", "margin-left": "8px"})
        if allocated > 100:
            solara.Warning(t("budget_over", lang, pct=allocated), dense=True)
        else:
            solara.Text(t("budget_left", lang, pct=100 - allocated, musd=total * (100 - allocated) / 100))
        solara.Button(t("budget_apply", lang), color="primary", icon_name="mdi-check",
                      disabled=not total_ok or allocated > 100,
                      on_click=state.handler(state.apply_budget), classes=["barrios-budget-apply"])
        if state.notice.value:
            solara.Success(t(state.notice.value, lang, n=bud.COMPARISONS.replications), dense=True)
        solara.Text(t("budget_rule", lang), style={"font-size": "0.8em", "color": "#555"})
        ErrorBanner(state)
    Results(state)


def game_options(settings: Settings) -> list[tuple[str | None, Settings]]:
    """What the results table runs: the page's own settings first (label None), then the
    baseline (the reference) and the shipped mixes of its city and period, on the page's
    seed and scale. A shipped scenario picked unchanged is the same option as its row, so
    its runs are shared."""
    shipped = [(name, Settings(scenario=name, seed=settings.seed, scale=settings.scale))
               for name in (BASELINE, *bud.comparable_scenarios())]
    return [(None, settings), *shipped]


def results_rows(settings: Settings, lang: str, comparisons=None) -> list[list[str]] | None:
    """The results table's rows as text (None until the baseline's runs are in): each
    option's mean difference with the baseline over the game's replications and its 95%
    interval; an option still running shows '…'."""
    comparisons = comparisons or bud.COMPARISONS
    options = game_options(settings)
    reference = comparisons.runs(options[1][1])
    if reference is None:
        return None
    rows = []
    for name, option in options:
        if name is None:
            label = t("your_run", lang, name=scenario_label(settings.scenario, lang),
                      changed=" *" if settings.levels else "")
        else:
            label = scenario_label(name, lang)
        runs = comparisons.runs(option)
        if runs is None:
            rows.append([label] + ["…"] * 5)
            continue
        g = bud.paired_gains(runs, reference)
        rows.append([label, bud.estimate_text(g["gain_public_pp"], lang),
                     bud.estimate_text(g["gain_neighbourhood_pp"], lang),
                     bud.estimate_text(g["extra_cost_musd"], lang, sign=False),
                     bud.cost_per_point_text(g["musd_per_pp_public"], lang),
                     bud.estimate_text(g["victimization_change_pp"], lang)])
    return rows


@solara.component
def Results(state: PageState):
    lang, run = state.lang.value, state.run
    state.frame.get()
    _, set_ready = solara.use_state(0)
    settings = run.settings
    same_city = bud.same_place(app_scenario(settings.scenario), app_scenario(BASELINE))
    options = [option for _, option in game_options(settings)] if same_city else []

    def wait():
        """Redraw whenever one of the runs finishes (they run in worker processes)."""
        pending = {f for option in options for f in bud.COMPARISONS.request(option)}
        while pending:
            done, pending = concurrent.futures.wait(
                pending, timeout=600, return_when=concurrent.futures.FIRST_COMPLETED)
            if not done:
                return
            set_ready(lambda n: n + 1)

    solara.lab.use_task(wait, dependencies=[settings, same_city], prefer_threaded=True)
    with solara.Card(t("results", lang), margin=0, classes=["barrios-results"]):
        if not same_city:
            solara.Info(t("results_other_city", lang), dense=True)
            return
        done, total = bud.COMPARISONS.progress(options)
        if done < total:
            solara.Info(t("results_computing", lang, done=done, total=total,
                          n=bud.COMPARISONS.replications), dense=True,
                        classes=["barrios-results-progress"])
            solara.ProgressLinear(value=100 * done / max(total, 1))
        rows = results_rows(settings, lang)
        if rows is None:
            return
        solara.Text(t("results_intro", lang, n=bud.COMPARISONS.replications))
        header = ["col_mix", "col_gain_public", "col_gain_neighbourhood", "col_extra_cost",
                  "col_cost_per_point", "col_victim"]
        cells = "".join(f"<th style='text-align:left;padding:4px'>{html.escape(t(h, lang))}</th>" for h in header)
        body = []
        for i, values in enumerate(rows):
            weight = "bold" if i == 0 else "normal"
            tds = "".join(f"<td style='padding:4px;font-weight:{weight}'>{html.escape(v)}</td>" for v in values)
            body.append(f"<tr>{tds}</tr>")
        solara.HTML(tag="div", unsafe_innerHTML=(
            "<table class='barrios-results-table' style='border-collapse:collapse;font-size:0.95em'>"
            f"<thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table>"))
        solara.Text(t("results_note", lang), style={"font-size": "0.8em", "color": "#555"})


# --- explanations ------------------------------------------------------------------------------------


@solara.component
def Explanations(state: PageState):
    lang = state.lang.value
    with solara.Column(classes=["barrios-explanations"]):
        solara.Text(t("explain_intro", lang))
        with solara.Columns([1, 1]):
            with solara.Card(t("mechanisms", lang), margin=0):
                for key, texts in MECHANISMS.items():
                    title, body = texts.get(lang, texts["es"])
                    solara.HTML(tag="div", unsafe_innerHTML=f"<p><b>{html.escape(title)}.</b> {html.escape(body)}</p>")
            with solara.Card(t("programmes", lang), margin=0):
                for name in INTERVENTIONS:  # an intervention without teaching text shows its name
                    texts = INTERVENTION_TEXT.get(name, {})
                    body = texts.get(lang, texts.get("es", ""))
                    solara.HTML(tag="div", unsafe_innerHTML=(
                        f"<p><b>{html.escape(intervention_name(name, lang))}.</b> {html.escape(body)}</p>"))


# --- the play loop ------------------------------------------------------------------------------------


def use_play_loop(state: PageState):
    """While playing, step ``speed`` days, redraw, repeat; measure days per second."""

    def loop():
        if not state.playing.value:
            return
        run = state.run
        mark_time, mark_day = time.perf_counter(), run.model.day
        charts_drawn = 0.0
        state.rate.set(None)
        try:
            while state.playing.value and not run.finished:
                run.advance(state.speed.value)
                now = time.perf_counter()
                charts = now - charts_drawn >= CHART_INTERVAL_S
                state.redraw(charts=charts)
                if charts:
                    charts_drawn = now
                now = time.perf_counter()
                if now - mark_time >= 1.0:
                    state.rate.set((run.model.day - mark_day) / (now - mark_time))
                    mark_time, mark_day = now, run.model.day
        except Exception as error:  # noqa: BLE001
            log.exception("workshop: play loop failed")
            state.error.set(error)
        finally:
            state.playing.set(False)
            state.redraw()

    solara.lab.use_task(loop, dependencies=[state.playing.value], prefer_threaded=True)

    def finish():
        _run_to_end(state)

    solara.lab.use_task(finish, dependencies=[state.finishing.value], prefer_threaded=True)


def _run_to_end(state: PageState):
    """Run the model to its last day, moving the progress bar at most every
    ``PROGRESS_INTERVAL_S``; the map and charts are drawn once, at the end."""
    if not state.finishing.value:
        return
    run, shown, start = state.run, -math.inf, model_day(state.run.model)

    def progress(done: int):
        nonlocal shown
        if time.perf_counter() - shown >= PROGRESS_INTERVAL_S:
            state.progress.set(start + done)
            shown = time.perf_counter()

    try:
        run.advance(run.total_days + 1, progress)
    except Exception as error:  # noqa: BLE001
        log.exception("workshop: run to the end failed")
        state.error.set(error)
    finally:
        state.progress.set(None)
        state.redraw()  # the end on screen before the buttons come back
        state.finishing.set(False)
